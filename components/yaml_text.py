"""YAML text as ``yaml.safe_dump`` writes it, without PyYAML's per-node machinery where possible.

A non-empty mapping of the kind the plan's manifests are (block style, short printable-ASCII
string keys, no object twice) is written line by line by :func:`_block_dump`: each distinct key
and one-line string is styled once (plain or single-quoted, by the emitter's own rules) and
folded where the emitter folds it; other strings (line breaks, characters the emitter escapes)
are written by PyYAML's emitter methods at their column (:func:`_python_scalar`). What it does
not take goes to the libyaml path below, then to ``yaml.safe_dump``.

Plans and config maps are written with ``yaml.safe_dump``; its pure-Python emitter was a fifth
of a large plan's time (docs/benchmarks.md). PyYAML's C emitter (``CSafeDumper``) writes the
same text for most documents but not all: it folds long double-quoted strings differently,
and treats empty or very long mapping keys differently. :func:`safe_dump` takes the C path
for documents made of mappings with short non-empty printable-ASCII string keys, lists,
numbers, booleans, nulls and strings, with no object appearing twice (no anchors), and builds
the C emitter's nodes directly instead of through the representer. A string value that is not
printable ASCII (line breaks, non-ASCII: the strings whose quoting the two emitters may write
differently) goes to the C emitter as a unique plain placeholder, and is then written in its
place by PyYAML's own emitter methods, at the column and indentation where the Python emitter
would write it (:func:`_python_scalar`); long double-quoted ones through
:func:`write_double_quoted`, PyYAML's writer without its character-by-character loop. Anything
else goes to ``yaml.safe_dump`` itself. ``tests/components/test_yaml_text.py`` holds both paths
to the same bytes.
"""

from __future__ import annotations

import bisect
import functools
import io
import itertools
import re
import secrets
from typing import Any

import yaml
from yaml.emitter import Emitter
from yaml.events import ScalarEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

# Longer keys are written as complex keys ("? key") at lengths where the two emitters differ.
MAX_KEY_LENGTH = 100
_TAG = "tag:yaml.org,2002:"
_STR, _INT, _BOOL, _NULL, _MAP, _SEQ = (
    _TAG + name for name in ("str", "int", "bool", "null", "map", "seq")
)
_REPRESENTER = yaml.SafeDumper(io.StringIO())  # for its representers only: it writes nothing
# Placeholders: a plain scalar that no document holds (each is checked to occur once).
_PLACEHOLDER = f"paif{secrets.token_hex(6)}q"
# The sequence-item indicators before a placeholder: "- ", "- - ", ... after the indentation.
_ITEM_PREFIX = re.compile(r" *(?:- )+")
_KEY_START = re.compile(r" *(?:- )*")
# Characters ``write_double_quoted`` escapes (with and without allow_unicode).
_ESCAPED_ASCII = re.compile(r'[^\x20-\x7e]|["\\]')
_ESCAPED_UNICODE = re.compile('[^\x20-\x7e\xa0-\ud7ff\ue000-\ufffd]|["\\\\\x85\u2028\u2029\ufeff]')

__all__ = ["safe_dump", "write_double_quoted"]


def safe_dump(
    document: Any,
    *,
    sort_keys: bool = True,
    width: int | None = None,
    allow_unicode: bool = False,
    default_flow_style: bool | None = False,
) -> str:
    """``yaml.safe_dump(document, ...)`` with the same keyword arguments and the same text."""
    if default_flow_style is False:
        text = _block_dump(document, sort_keys, width, allow_unicode)
        if text is not None:
            return text
    if getattr(yaml, "__with_libyaml__", False) and default_flow_style is False:
        text = _c_dump(document, sort_keys, width, allow_unicode)
        if text is not None:
            return text
    return yaml.safe_dump(
        document,
        sort_keys=sort_keys,
        width=width,
        allow_unicode=allow_unicode,
        default_flow_style=default_flow_style,
    )


class _Unfit(Exception):
    """The document is not one the C path writes as ``yaml.safe_dump`` does."""


def _c_dumpable(document: Any, seen: set[int]) -> bool:
    """Whether :func:`safe_dump` takes the C path for ``document``."""
    try:
        _node(document, False, [], seen)
    except _Unfit:
        return False
    return True


def _plain_ascii(text: str) -> bool:
    return text.isascii() and text.isprintable()


def _c_dump(document: Any, sort_keys: bool, width: int | None, allow_unicode: bool) -> str | None:
    """The C emitter's text, placeholders written by the Python emitter; None for a document
    the C path does not take, or if a placeholder is not where it should be (a document
    holding the placeholder's text)."""
    if type(document) is not dict and type(document) is not list:
        return None  # a scalar document: the Python emitter ends it with "..."
    scalars: list[str] = []
    try:
        root = _node(document, sort_keys, scalars, set())
    except _Unfit:
        return None
    stream = io.StringIO()
    dumper = _Dumper(stream, default_flow_style=False, allow_unicode=allow_unicode, width=width)
    dumper.open()
    dumper.serialize(root)
    dumper.close()
    text = stream.getvalue()
    if not scalars:
        return text
    parts: list[str] = []
    done = 0
    for index, value in enumerate(scalars):
        token = f"{_PLACEHOLDER}{index:08d}\n"
        at = text.find(token, done)
        if at < 1 or text[at - 1] != " " or text.find(token, at + 1) >= 0:
            return None
        line_start = text.rfind("\n", 0, at) + 1
        prefix = text[line_start : at - 1]
        parts.append(text[done : at - 1])
        parts.append(_python_scalar(value, prefix, width, allow_unicode))
        done = at + len(token) - 1
    parts.append(text[done:])
    return "".join(parts)


def _node(value: Any, sort_keys: bool, scalars: list[str], seen: set[int]) -> Any:
    """The node ``SafeRepresenter`` makes of ``value`` (default_flow_style=False); strings
    that are not printable ASCII become placeholders, their values kept in ``scalars``. Raise
    ``_Unfit`` for what the C path does not write: a mapping key that is not a short non-empty
    printable-ASCII string, an object met twice (PyYAML writes an anchor), another type."""
    kind = type(value)
    if kind is str:
        if _plain_ascii(value):
            return ScalarNode(_STR, value)
        scalars.append(value)
        return ScalarNode(_STR, f"{_PLACEHOLDER}{len(scalars) - 1:08d}")
    if kind is dict or kind is list:
        if id(value) in seen:
            raise _Unfit
        seen.add(id(value))
        if kind is list:
            return SequenceNode(_SEQ, [_node(v, sort_keys, scalars, seen) for v in value])
        for key in value:
            if type(key) is not str or not 0 < len(key) <= MAX_KEY_LENGTH or not _plain_ascii(key):
                raise _Unfit
        items = sorted(value.items()) if sort_keys else value.items()
        return MappingNode(
            _MAP,
            [(ScalarNode(_STR, k), _node(v, sort_keys, scalars, seen)) for k, v in items],
        )
    if kind is bool:
        return ScalarNode(_BOOL, "true" if value else "false")
    if kind is int:
        return ScalarNode(_INT, str(value))
    if value is None:
        return ScalarNode(_NULL, "null")
    if kind is float:
        return _REPRESENTER.represent_float(value)
    raise _Unfit


# --- the block writer ------------------------------------------------------------------------
# What rules out the plain style for a one-line printable string (``Emitter.analyze_scalar``):
# a document marker, a leading space or indicator, ``?``/``:``/``-`` alone or before a space at
# the start; ``: `` or ``:`` at the end, `` #``, a trailing space anywhere after.
_NOT_PLAIN_START = re.compile(r"---|\.\.\.|[ #,\[\]{}&*!|>'\"%@`]|[?:-](?: |$)")
_NOT_PLAIN_INSIDE = re.compile(r": | #| $|:$")
_SPACE_RUN = re.compile(" +")
# The unfolded text of one-line printable strings and of ints, bools and nulls, by value.
_SCALAR_TEXTS: dict[Any, str] = {}
# Each mapping key the block writer takes, as it starts a line: its text and ":".
_KEY_HEADS: dict[str, str] = {}


def _block_dump(
    document: Any, sort_keys: bool, width: int | None, allow_unicode: bool
) -> str | None:
    """The Python emitter's text of a non-empty mapping (default_flow_style=False), written
    line by line; None for a document it does not take (the same as the C path's, see
    :func:`_node`).

    Each key and scalar is written as the emitter writes it once per distinct value
    (:func:`_scalar_text`), or after its line prefix (:func:`_python_scalar`) where the
    emitter might fold it or where it is not printable ASCII. The layout is the emitter's
    block style: mappings two columns in, sequences in a mapping not indented, a
    collection in a sequence item starting on the item's line, empty collections ``{}``/``[]``.
    """
    if type(document) is not dict or not document:
        return None
    best_width = width if width and width > 4 else 80
    lines: list[str] = []
    writer = _BlockWriter(lines, sort_keys, best_width, width, allow_unicode)
    try:
        writer.mapping(document, 0, "")
    except _Unfit:
        return None
    lines.append("")
    return "\n".join(lines)


class _BlockWriter:
    def __init__(
        self,
        lines: list[str],
        sort_keys: bool,
        best_width: int,
        width: int | None,
        allow_unicode: bool,
    ) -> None:
        self.lines = lines
        self.sort_keys = sort_keys
        self.best_width = best_width
        self.width = width
        self.allow_unicode = allow_unicode
        self.seen: set[int] = set()

    def _enter(self, value: Any) -> None:
        if id(value) in self.seen:
            raise _Unfit  # PyYAML writes an anchor
        self.seen.add(id(value))

    def mapping(self, value: dict[Any, Any], indent: int, first: str) -> None:
        """A non-empty mapping whose keys start at column ``indent``; its first line starts
        with ``first`` (a sequence item's ``- ``), the others with spaces."""
        self._enter(value)
        for key in value:
            if type(key) is not str or key not in _KEY_HEADS:
                if not (type(key) is str and 0 < len(key) <= MAX_KEY_LENGTH and _plain_ascii(key)):
                    raise _Unfit
                _KEY_HEADS[key] = _scalar_text(key) + ":"
        items = sorted(value.items()) if self.sort_keys else value.items()
        pad = " " * indent
        prefix = first
        for key, item in items:
            head = prefix + _KEY_HEADS[key]
            prefix = pad
            if not self._short_string(item, head):
                self.item(item, head, indent, True)

    def sequence(self, value: list[Any], indent: int, first: str) -> None:
        """A non-empty sequence whose ``-`` is at column ``indent``."""
        self._enter(value)
        pad = " " * indent
        prefix = first
        for item in value:
            head = prefix + "-"
            prefix = pad
            if not self._short_string(item, head):
                self.item(item, head, indent, False)

    def _short_string(self, value: Any, head: str) -> bool:
        """Write ``value`` after ``head`` if it is a string styled before that fits the line
        (most values: names, labels, images); whether it did."""
        if type(value) is not str:
            return False
        text = _SCALAR_TEXTS.get(value)
        if (
            text is None
            or len(head) + 1 + len(text) > self.best_width
            or not (self.allow_unicode or value.isascii())
        ):
            return False
        self.lines.append(f"{head} {text}")
        return True

    def item(self, value: Any, head: str, indent: int, in_mapping: bool) -> None:
        """``value`` after ``head`` (its line so far, up to the ``:`` or the ``-``)."""
        kind = type(value)
        if kind is str:
            if value.isprintable() and (self.allow_unicode or value.isascii()):
                text = _SCALAR_TEXTS.get(value)
                if text is None:
                    text = _scalar_text(value)
                column = len(head) + 1
                if column + len(text) > self.best_width:
                    # Where the emitter folds: the key's column or the item's, two in.
                    fold = indent + 2 if in_mapping else column
                    text = _folded(text, column, fold, self.best_width)
                self.lines.append(f"{head} {text}")
                return
            self.lines.append(head + _python_scalar(value, head, self.width, self.allow_unicode))
            return
        if kind is dict or kind is list:
            if not value:
                self._enter(value)
                self.lines.append(f"{head} {{}}" if kind is dict else f"{head} []")
                return
            # A mapping two columns in, a sequence in a mapping at its key's column (PyYAML's
            # indentless sequences); in a sequence item either starts on the item's line.
            inner = indent if kind is list and in_mapping else indent + 2
            if in_mapping:
                self.lines.append(head)
                first = " " * inner
            else:
                first = head + " "
            (self.mapping if kind is dict else self.sequence)(value, inner, first)
            return
        if kind is int or kind is bool or value is None:
            text = _SCALAR_TEXTS.get((kind, value))
            if text is None:
                text = _SCALAR_TEXTS[(kind, value)] = _other_text(value)
        elif kind is float:
            text = _other_text(value)
        else:
            raise _Unfit
        self.lines.append(f"{head} {text}")


def _scalar_text(value: str) -> str:
    """The emitter's unfolded text of a printable string (a single line, no character it
    escapes), as a key or a block value: the simple-key context changes nothing for it.

    ``Emitter.analyze_scalar`` then allows single quotes always and the plain style unless
    an indicator or a document marker sits where it matters or a space leads or trails;
    ``choose_scalar_style`` takes plain when allowed and the text resolves to a string.
    """
    text = _SCALAR_TEXTS.get(value)
    if text is None:
        plain = (
            value
            and not _NOT_PLAIN_START.match(value)
            and not _NOT_PLAIN_INSIDE.search(value)
            and _resolve_plain(value) == _STR
        )
        text = value if plain else "'" + value.replace("'", "''") + "'"
        _SCALAR_TEXTS[value] = text
    return text


def _folded(text: str, column: int, indent: int, best_width: int) -> str:
    """``text`` (plain, or single-quoted with its quotes) started at ``column``, folded as
    ``write_plain``/``write_single_quoted`` fold it: a lone space between characters (not
    at either end of the scalar) becomes a line break and the indentation when the line so
    far passes the width."""
    quoted = text[:1] == "'"
    body = text[1:-1] if quoted else text
    column += quoted
    parts: list[str] = []
    start = 0  # the body from here is not written yet; it starts at ``column``
    end_of_body = len(body)
    for match in _SPACE_RUN.finditer(body):
        space, after = match.span()
        if (
            after - space == 1
            and space != 0
            and after != end_of_body
            and column + (space - start) > best_width
        ):
            parts.append(body[start:space])
            parts.append("\n" + " " * indent)
            column = indent
            start = after
    parts.append(body[start:])
    folded = "".join(parts)
    return f"'{folded}'" if quoted else folded


def _other_text(value: Any) -> str:
    """An int's, bool's, null's or float's plain text; ``_Unfit`` where the emitter would tag it."""
    node = _REPRESENTER.represent_data(value)
    if _resolve_plain(node.value) != node.tag:
        raise _Unfit
    return node.value


def _python_scalar(value: str, prefix: str, width: int | None, allow_unicode: bool) -> str:
    """What PyYAML's emitter writes for the block-context string ``value`` after ``prefix``
    (the line so far, up to the ``:`` of its key or the ``-`` of its item), space included.

    The emitter's state there (``expect_block_mapping_simple_value`` or
    ``expect_block_sequence_item``, then ``expect_scalar``): the column after the indicator, no
    whitespace written after it, indentation one step in from the key or the ``-``; after
    ``-`` at the start of a line the emitter is still in its indentation.
    """
    stream = io.StringIO()
    emitter = Emitter(stream, width=width, allow_unicode=allow_unicode)
    emitter.column = len(prefix)
    emitter.whitespace = False
    item = _ITEM_PREFIX.fullmatch(prefix + " ") is not None
    emitter.indention = item
    key_column = len(prefix) - 1 if item else _KEY_START.match(prefix).end()  # type: ignore[union-attr]
    emitter.indent = key_column + emitter.best_indent
    emitter.flow_level = 0
    emitter.simple_key_context = False
    # The serializer's (plain, quoted) implicit flags: quoted, a string is always a string.
    implicit = (_resolve_plain(value) == _STR, True)
    emitter.event = ScalarEvent(None, _STR, implicit, value)
    if "\n " in value or " \n" in value:
        # A space next to a line break rules out plain and single-quoted styles
        # (``analyze_scalar``: break_space, space_break): ``choose_scalar_style`` gives '"'.
        write_double_quoted(emitter, value)
    else:
        emitter.analysis = emitter.analyze_scalar(value)
        emitter.style = emitter.choose_scalar_style()
        emitter.process_scalar()
    return stream.getvalue()


def write_double_quoted(emitter: Emitter, text: str, split: bool = True) -> None:
    """``emitter.write_double_quoted(text, split)``, the same text and emitter state.

    PyYAML's writer looks at every character; only escaped characters, the character after
    each, and spaces past the line width ever do anything. Where a line break cannot be
    followed by another at once (the width at least two past the indentation), the text is
    escaped in one pass and only the places where lines break are looked for
    (:func:`_write_double_quoted_folded`); otherwise this visits the escapes and spaces.
    """
    if split and emitter.best_width >= (emitter.indent or 0) + 2:
        _write_double_quoted_folded(emitter, text)
        return
    emitter.write_indicator('"', True)
    write = emitter.stream.write
    escaped = _ESCAPED_UNICODE if emitter.allow_unicode else _ESCAPED_ASCII
    length = len(text)
    width = emitter.best_width
    start = 0

    def fold(end: int) -> None:  # the writer's line break before text[end]
        nonlocal start
        _break_line(emitter, text[start:end], text[max(start, end)])
        if start < end:
            start = end

    position = 0  # the next character not yet looked at
    for match in (*escaped.finditer(text), None):
        stop = match.start() if match else length
        if split:
            if position == start and 0 < position < min(stop, length - 1):
                # Just after an escape: the writer may fold here whatever the character.
                if emitter.column > width:
                    fold(position)
                position += 1
            while True:
                # The first space where the line so far would pass the width.
                lowest = max(position, 1, width - emitter.column + start + 1)
                space = text.find(" ", lowest, min(stop, length - 1))
                if space < 0:
                    break
                fold(space)
                position = space + 1
        if start < stop:
            data = text[start:stop]
            emitter.column += len(data)
            write(data)
            start = stop
        if match is None:
            break
        data = _escape(emitter, match.group())
        emitter.column += len(data)
        write(data)
        start = stop + 1
        if split and 0 < stop < length - 1 and emitter.column - 1 > width:
            fold(stop)
        position = stop + 1
    emitter.write_indicator('"', False)


def _break_line(emitter: Emitter, data: str, following: str) -> None:
    """The double-quoted writer's line break after ``data`` (the text since the last one):
    ``\\``, the indentation, and ``\\`` again when the next character is a space."""
    data += "\\"
    emitter.column += len(data)
    emitter.stream.write(data)
    emitter.write_indent()
    emitter.whitespace = False
    emitter.indention = False
    if following == " ":
        emitter.column += 1
        emitter.stream.write("\\")


def _escape(emitter: Emitter, char: str) -> str:
    """How ``write_double_quoted`` writes an escaped character."""
    if char in emitter.ESCAPE_REPLACEMENTS:
        return "\\" + emitter.ESCAPE_REPLACEMENTS[char]
    if char <= "\xff":
        return f"\\x{ord(char):02X}"
    if char <= "\uffff":
        return f"\\u{ord(char):04X}"
    return f"\\U{ord(char):08X}"


def _write_double_quoted_folded(emitter: Emitter, text: str) -> None:
    """``write_double_quoted(emitter, text, split=True)`` where a line break is never followed
    at once by another (``best_width >= indent + 2``).

    The writer breaks the line before the character at ``j`` (``0 < j``) when the line so far
    passes the width there and ``j`` is (a) a space before the last character, (b) a character
    it does not escape, right after one it does, before the last character, or (c) right after
    an escaped character (not the first or the last), the line passing the width by two.
    Each break writes ``\\``, the line break and the indentation, and ``\\`` again before a
    space. With the column of every character known from the escapes before it, each break
    is the first such place at or after the first character past the width.
    """
    emitter.write_indicator('"', True)
    write = emitter.stream.write
    escaped = _ESCAPED_UNICODE if emitter.allow_unicode else _ESCAPED_ASCII
    positions = [match.start() for match in escaped.finditer(text)]
    table = {ord(char): _escape(emitter, char) for char in {text[p] for p in positions}}
    body = text.translate(table) if table else text
    # A character at ``j`` with k escapes before it starts at j + extra(k) in ``body``: k where
    # every escape is two characters (quotes, line breaks), else the sum of what each adds.
    if all(len(escape) == 2 for escape in table.values()):
        extra = None
    else:
        lengths = (len(table[ord(text[p])]) - 1 for p in positions)
        extra = [0, *itertools.accumulate(lengths)]
    length = len(text)
    width = emitter.best_width
    count = len(positions)

    def offset(index: int) -> int:
        k = bisect.bisect_left(positions, index)
        return index + (k if extra is None else extra[k])

    start = 0  # the first character not written yet; it starts at column ``emitter.column``
    while True:
        column, at = emitter.column, offset(start)
        # The first character whose column passes the width: column + offset(j) - at > width.
        if column + len(body) - at <= width:
            break
        # No later than where it would be without escapes (each only moves it closer).
        low, high = start, min(length, start + max(0, width - column) + 1)
        while low < high:
            middle = (low + high) // 2
            if column + offset(middle) - at > width:
                high = middle
            else:
                low = middle + 1
        first = low
        breaks = []
        space = text.find(" ", max(first, 1), length - 1)
        if space >= 0:
            breaks.append(space)
        k = bisect.bisect_left(positions, first - 1)
        while k < count:
            escape = positions[k]
            after = escape + 1
            if space >= 0 and after > space:
                break
            if after < length - 1 and not (k + 1 < count and positions[k + 1] == after):
                breaks.append(after)  # (b): past the width, as after >= first
                break
            if 0 < escape < length - 1 and column + offset(after) - at > width + 1:
                breaks.append(after)  # (c)
                break
            k += 1
        if not breaks:
            break
        end = min(breaks)
        _break_line(emitter, body[at : offset(end)], text[end])
        start = end
    data = body[offset(start) :]
    emitter.column += len(data)
    write(data)
    emitter.write_indicator('"', False)


@functools.lru_cache(maxsize=8192)
def _resolve_plain(value: str) -> str:
    return yaml.resolver.Resolver.resolve(_REPRESENTER, ScalarNode, value, (True, False))


class _Dumper(yaml.CSafeDumper):
    """The C emitter; implicit tags resolved once per scalar value (a pure function)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # Not plain (implicit[0] false): ``Resolver.resolve`` gives the default scalar tag, the
        # safe dumper having no path resolvers.
        if kind is ScalarNode:
            return _resolve_plain(value) if implicit[0] else _STR
        return super().resolve(kind, value, implicit)
