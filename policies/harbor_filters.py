"""Harbor replication filters: the doublestar globs Harbor matches repository names with, and
whether two filters can select the same repository (replication loops, PAIF-DR-005)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from itertools import product
from typing import Any

__all__ = ["RepoFilter", "glob_matches", "globs_overlap", "parse_filters"]


# A glob token: ("lit", c) | ("one",) | ("star",) | ("globstar",) | ("class", chars, negated)
_Token = tuple[Any, ...]


def _expand_braces(pattern: str, limit: int = 64) -> list[str]:
    """``a/{b,c}/**`` -> ``a/b/**``, ``a/c/**`` (doublestar alternatives), at most ``limit``."""
    match = re.search(r"\{([^{}]*)\}", pattern)
    if not match:
        return [pattern]
    out: list[str] = []
    for option in match.group(1).split(","):
        for expanded in _expand_braces(pattern[: match.start()] + option + pattern[match.end() :]):
            out.append(expanded)
            if len(out) >= limit:
                return out
    return out


def _tokens(pattern: str) -> tuple[_Token, ...]:
    tokens: list[_Token] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            if pattern.startswith("**", i):
                tokens.append(("globstar",))
                i += 2
                while i < len(pattern) and pattern[i] == "*":
                    i += 1
                continue
            tokens.append(("star",))
        elif char == "?":
            tokens.append(("one",))
        elif char == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            negated = body[:1] in ("!", "^")
            body = body[1:] if negated else body
            chars: set[str] = set()
            j = 0
            while j < len(body):
                if j + 2 < len(body) and body[j + 1] == "-":
                    chars.update(chr(c) for c in range(ord(body[j]), ord(body[j + 2]) + 1))
                    j += 3
                else:
                    chars.add(body[j])
                    j += 1
            tokens.append(("class", frozenset(chars), negated))
            i = end + 1
            continue
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            tokens.append(("lit", pattern[i]))
        else:
            tokens.append(("lit", char))
        i += 1
    return tuple(tokens)


def _token_regex(token: _Token) -> str:
    kind = token[0]
    if kind == "lit":
        return re.escape(token[1])
    if kind == "one":
        return "[^/]"
    if kind == "star":
        return "[^/]*"
    if kind == "globstar":
        return ".*"
    chars = "".join(re.escape(c) for c in sorted(token[1]))
    return f"[^/{chars}]" if token[2] else f"[{chars}]"


def glob_matches(pattern: str, text: str) -> bool:
    """Harbor's (doublestar) match of a repository name or tag against a filter pattern."""
    return any(
        re.fullmatch("".join(_token_regex(t) for t in _tokens(option)), text) is not None
        for option in _expand_braces(pattern)
    )


def _is_star(token: _Token) -> bool:
    return token[0] in ("star", "globstar")


def _star_takes(star: _Token, other: _Token) -> bool:
    """Can ``star`` consume a character that ``other`` matches?"""
    if star[0] == "globstar":
        return True
    kind = other[0]
    if kind == "lit":
        return other[1] != "/"
    if kind == "class" and not other[2]:
        return bool(other[1] - {"/"})
    return True  # "?" and negated classes match characters other than "/"


def _chars_meet(a: _Token, b: _Token) -> bool:
    """Do two single-character tokens match a common character?"""
    if a[0] == "lit" and b[0] == "lit":
        return bool(a[1] == b[1])
    if a[0] != "lit" and b[0] == "lit":
        a, b = b, a
    if a[0] == "lit":
        char = a[1]
        if b[0] == "one":
            return bool(char != "/")
        return (char in b[1]) != b[2] and char != "/"
    if a[0] == "class" and b[0] == "class" and not a[2] and not b[2]:
        return bool((a[1] & b[1]) - {"/"})
    if a[0] == "class" and not a[2]:
        return bool(a[1] - {"/"})
    if b[0] == "class" and not b[2]:
        return bool(b[1] - {"/"})
    return True


def _tokens_overlap(a: tuple[_Token, ...], b: tuple[_Token, ...]) -> bool:
    """Is there a string both token sequences match? (product automaton reachability)"""

    @cache
    def meet(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and _is_star(a[i]) and meet(i + 1, j):
            return True
        if j < len(b) and _is_star(b[j]) and meet(i, j + 1):
            return True
        if i == len(a) or j == len(b):
            return False
        ta, tb = a[i], b[j]
        if _is_star(ta) and _is_star(tb):
            return False  # both consuming the same character changes no state
        if _is_star(ta):
            return _star_takes(ta, tb) and meet(i, j + 1)
        if _is_star(tb):
            return _star_takes(tb, ta) and meet(i + 1, j)
        return _chars_meet(ta, tb) and meet(i + 1, j + 1)

    return meet(0, 0)


def globs_overlap(a: str, b: str) -> bool:
    """True when some name matches both patterns (e.g. ``marketing/**`` and ``*/llama*``)."""
    return any(
        _tokens_overlap(_tokens(x), _tokens(y))
        for x, y in product(_expand_braces(a), _expand_braces(b))
    )


@dataclass(frozen=True)
class RepoFilter:
    """A rule's filters as far as they select repositories: name and tag (None = any)."""

    name: str | None = None
    tag: str | None = None
    tag_excludes: bool = False
    charts_only: bool = False

    @property
    def name_pattern(self) -> str:
        return self.name or "**"

    def covers(self, repository: str, tag: str | None) -> bool:
        if self.charts_only or not glob_matches(self.name_pattern, repository):
            return False
        if self.tag is None or tag is None:
            return True  # no tag filter, or a digest reference whose tags we cannot see
        return glob_matches(self.tag, tag) != self.tag_excludes

    def overlaps(self, other: RepoFilter) -> bool:
        if self.charts_only != other.charts_only:
            return False
        if not globs_overlap(self.name_pattern, other.name_pattern):
            return False
        if self.tag is None or other.tag is None or self.tag_excludes or other.tag_excludes:
            return True
        return globs_overlap(self.tag, other.tag)

    def describe(self) -> str:
        text = self.name_pattern
        if self.tag is not None:
            text += f" ({'not ' if self.tag_excludes else ''}tag {self.tag})"
        return text


def parse_filters(raw: Any) -> RepoFilter:
    """Harbor ``filters`` ([{name}, {tag, decoration}, {resource}]) or a list of name patterns."""
    name = tag = None
    excludes = charts = False
    for item in raw or []:
        if isinstance(item, str):
            name = name or item
            continue
        if item.get("name"):
            name = name or str(item.get("name"))
        if item.get("tag"):
            tag = str(item.get("tag"))
            excludes = str(item.get("decoration") or "matches") == "excludes"
        if str(item.get("resource") or "") == "chart":
            charts = True
    return RepoFilter(name, tag, excludes, charts)
