"""The Terraform bridge's naming rules, ported (pulumi-terraform-bridge ``naming`` and
pulumi/inflector), and the generator of ``components/terraform_bridge_names.py``.

The bindings look wire names up in that generated table instead of pluralising at run time;
``tests/components/test_nsx_binding.py`` holds the table to these rules. After adding a field
to a binding, regenerate it::

    .venv/bin/python -m tests.support.terraform_bridge --write
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Final

from tests.support.stacks import ROOT

NAMES_FILE = ROOT / "components" / "terraform_bridge_names.py"


# pulumi/inflector, the pluralizer the bridge uses (naming.terraformToPulumiName).
_UNINFLECTED: Final = (
    "Amoyese|bison|Borghese|bream|breeches|britches|buffalo|cantus|carp|chassis|clippers|cod|"
    "coitus|Congoese|contretemps|corps|debris|diabetes|djinn|eland|elk|equipment|Faroese|"
    "flounder|Foochowese|gallows|Genevese|Genoese|Gilbertese|graffiti|headquarters|herpes|"
    "hijinks|Hottentotese|information|innings|jackanapes|Kiplingese|Kongoese|Lucchese|mackerel|"
    "Maltese|.*?media|mews|moose|mumps|Nankingese|news|nexus|Niasese|Pekingese|Piedmontese|"
    "pincers|Pistoiese|pliers|Portuguese|proceedings|rabies|rice|rhinoceros|salmon|Sarawakese|"
    "scissors|sea[- ]bass|series|Shavese|shears|siemens|species|swine|testes|trousers|trout|"
    "tuna|Vermontese|Wenchowese|whiting|wildebeest|Yengeese|"
    ".*[nrlm]ese|.*deer|.*fish|.*measles|.*ois|.*pox|.*sheep|people"
)


_IRREGULAR_PLURALS: Final = {
    "atlas": "atlases", "beef": "beefs", "brother": "brothers", "cafe": "cafes",
    "child": "children", "cookie": "cookies", "corpus": "corpuses", "cow": "cows",
    "ganglion": "ganglions", "genie": "genies", "genus": "genera", "graffito": "graffiti",
    "hoof": "hoofs", "loaf": "loaves", "man": "men", "money": "monies",
    "mongoose": "mongooses", "move": "moves", "mythos": "mythoi", "niche": "niches",
    "numen": "numina", "occiput": "occiputs", "octopus": "octopuses", "opus": "opuses",
    "ox": "oxen", "penis": "penises", "person": "people", "sex": "sexes",
    "soliloquy": "soliloquies", "testis": "testes", "trilby": "trilbys", "turf": "turfs",
    "potato": "potatoes", "hero": "heroes", "tooth": "teeth", "goose": "geese", "foot": "feet",
}  # fmt: skip


_PLURAL_RULES: Final = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"(?i)(s)tatus$", r"\1tatuses"),
        (r"(?i)(quiz)$", r"\1zes"),
        (r"(?i)^(ox)$", r"\1en"),
        (r"(?i)([m|l])ouse$", r"\1ice"),
        (r"(?i)(matr|vert|ind)(ix|ex)$", r"\1ices"),
        (r"(?i)(x|ch|ss|sh)$", r"\1es"),
        (r"(?i)([^aeiouy]|qu)y$", r"\1ies"),
        (r"(?i)(hive)$", r"\1s"),
        (r"(?i)(?:([^f])fe|([lre])f)$", r"\1\2ves"),
        (r"(?i)sis$", "ses"),
        (r"(?i)([ti])um$", r"\1a"),
        (r"(?i)(p)erson$", r"\1eople"),
        (r"(?i)(m)an$", r"\1en"),
        (r"(?i)(c)hild$", r"\1hildren"),
        (r"(?i)(buffal|tomat)o$", r"\1oes"),
        (
            r"(?i)(alumn|bacill|cact|foc|fung|nucle|radi|stimul|syllab|termin|vir)us$",
            r"\1i",
        ),
        (r"(?i)us$", "uses"),
        (r"(?i)(alias)$", r"\1es"),
        (r"(?i)(ax|cris|test)is$", r"\1es"),
        (r"s$", "s"),
        (r"^$", ""),
        (r"$", "s"),
    )
)


_UNINFLECTED_RE: Final = re.compile(rf"(?i)(^(?:{_UNINFLECTED}))$")


_IRREGULAR_RE: Final = re.compile(rf"(?i)(.*)\b((?:{'|'.join(_IRREGULAR_PLURALS)}))$")


def pluralize(word: str) -> str:
    """``inflector.Pluralize``: irregular words, then uninflected ones, then the first rule."""
    irregular = _IRREGULAR_RE.match(word)
    if irregular:
        return irregular[1] + word[:1] + _IRREGULAR_PLURALS[irregular[2].lower()][1:]
    if _UNINFLECTED_RE.match(word):
        return word
    for pattern, replacement in _PLURAL_RULES:
        if pattern.search(word):
            return pattern.sub(replacement, word)
    return word


def camel_case(snake: str) -> str:
    """The bridge's ``terraformToPulumiName`` casing (lowerCamel, leading ``_`` kept)."""
    out: list[str] = []
    next_cap = activated = False
    prev = ""
    for char in snake:
        prev = char
        if char == "_" and activated:
            next_cap = True
            continue
        activated = activated or char != "_"
        out.append(char.upper() if next_cap and "a" <= char <= "z" else char)
        next_cap = False
    if prev == "_":
        out.append("_")
    return "".join(out)


def pulumi_property_name(terraform_name: str, *, collection: bool) -> str:
    """Wire name of a Terraform argument; ``collection`` = list/set whose MaxItems is not 1."""
    return camel_case(pluralize(terraform_name) if collection else terraform_name)


def bound_fields() -> Iterator[tuple[str, bool]]:
    """(Terraform name, collection) of every field of every argument type of the bindings."""
    import paif_components.avi_binding
    import paif_components.nsx_binding

    for module in (paif_components.nsx_binding, paif_components.avi_binding):
        for value in vars(module).values():
            if isinstance(value, type) and dataclasses.is_dataclass(value):
                for spec in dataclasses.fields(value):
                    if "terraform_name" in spec.metadata:
                        yield spec.metadata["terraform_name"], spec.metadata["collection"]


def names_module() -> str:
    """The text of components/terraform_bridge_names.py for the bindings as they are."""
    pairs = sorted(set(bound_fields()))
    lines = [
        '"""Wire names of the Terraform arguments the NSX and Avi bindings use, by (Terraform',
        "name, collection): generated from the bridge's naming rules by",
        "``python -m tests.support.terraform_bridge --write``; do not edit by hand.",
        "",
        "A collection (a list or set whose MaxItems is not 1) is pluralised with pulumi/inflector",
        'before it is camelCased (``criteria`` -> ``criterias``, ``ip`` -> ``ips``)."""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Final",
        "",
        "WIRE_NAMES: Final[dict[tuple[str, bool], str]] = {",
    ]
    for name, collection in pairs:
        wire = pulumi_property_name(name, collection=collection)
        lines.append(f'    ("{name}", {collection}): "{wire}",')
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.terraform_bridge")
    parser.add_argument("--write", action="store_true", help=f"write {NAMES_FILE.name}")
    args = parser.parse_args(argv)
    text = names_module()
    if args.write:
        NAMES_FILE.write_text(text, encoding="utf-8")
        print(f"wrote {NAMES_FILE}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
