"""Resource identity is public API: the URNs of the example stacks are a committed snapshot.

A URN that disappears is a resource ``pulumi up`` deletes, and with a new one a replacement:
for a database or a namespace that is data loss. A deliberate rename must carry an alias
(``opts=ResourceOptions(aliases=[pulumi.Alias(name="old-name")])``, or ``parent=``/``type_=``
for a move); children named ``f"{name}-part"`` follow an aliased parent automatically.

To accept a change deliberately, regenerate the snapshot and commit it with the change:

    PAIF_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/components/test_urn_snapshot.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pulumi
import pytest

from tests.support.stacks import ROOT

SNAPSHOT = Path(__file__).parent / "snapshots" / "urns.json"
STACKS = ("prod", "dr")
UPDATE = os.environ.get("PAIF_UPDATE_SNAPSHOTS") == "1"
HOW_TO_UPDATE = (
    "If the change is deliberate, regenerate and commit the snapshot: "
    "PAIF_UPDATE_SNAPSHOTS=1 python -m pytest tests/components/test_urn_snapshot.py "
    f"(writes {SNAPSHOT.relative_to(ROOT)})."
)


@pytest.fixture(scope="module")
def plans(example_out: Path) -> dict[str, list[dict[str, Any]]]:
    """The resources of the session's example plans (plan.json), by stack."""
    return {
        stack: json.loads((example_out / stack / "plan.json").read_text())["resources"]
        for stack in STACKS
    }


@pytest.fixture(scope="module")
def current(plans: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    urns = {stack: sorted(r["urn"] for r in resources) for stack, resources in plans.items()}
    if UPDATE:
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(json.dumps(urns, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return urns


@pytest.fixture(scope="module")
def snapshot(current: dict[str, list[str]]) -> dict[str, list[str]]:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))


@pytest.mark.parametrize("stack", STACKS)
def test_no_resource_of_the_snapshot_would_be_deleted_or_replaced(
    plans: dict[str, list[dict[str, Any]]],
    current: dict[str, list[str]],
    snapshot: dict[str, list[str]],
    stack: str,
) -> None:
    aliased = {alias for r in plans[stack] for alias in r["aliases"]}
    gone = sorted(set(snapshot[stack]) - set(current[stack]) - aliased)
    assert gone == [], (
        f"{len(gone)} resource(s) of stack {stack} would be deleted by `pulumi up` (replaced, "
        "if renamed): " + ", ".join(gone) + ". A rename or move must keep its identity: add "
        "aliases=[pulumi.Alias(name=<old name>)] (or parent=/type_=) to the resource's "
        f"ResourceOptions. {HOW_TO_UPDATE}"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_the_snapshot_is_current(
    current: dict[str, list[str]], snapshot: dict[str, list[str]], stack: str
) -> None:
    added = sorted(set(current[stack]) - set(snapshot[stack]))
    removed = sorted(set(snapshot[stack]) - set(current[stack]))
    assert (added, removed) == ([], []), (
        f"stack {stack}: the URN snapshot is out of date (new: {added}; gone: {removed}). "
        f"Gone URNs need aliases unless their deletion is intended. {HOW_TO_UPDATE}"
    )


def test_urns_carry_the_full_parent_type_chain(current: dict[str, list[str]]) -> None:
    """As the engine forms them (``generateURN``): every ancestor type, outermost first."""
    assert (
        "urn:pulumi:prod::paif::paif:site:PaifSite$paif:tenancy:Tenant"
        "$paif:tenancy:SupervisorNamespace$vsphere:index/namespace:Namespace"
        "::seoul-primary-marketing-namespace-namespace"
    ) in current["prod"]
    assert "urn:pulumi:prod::paif::paif:site:PaifSite::seoul-primary" in current["prod"]
    assert "urn:pulumi:dr::paif::pulumi:providers:vsphere::busan-dr-vsphere" in current["dr"]


class _Part(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("paif:test:Part", name, None, opts)
        pulumi.CustomResource(
            "vsphere:index/zone:Zone",
            f"{name}-zone",
            {"name": "z"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})


def _urns(run_pulumi: Any, name: str, aliases: list[Any] | None = None) -> dict[str, list[str]]:
    def program() -> None:
        site = pulumi.ComponentResource("paif:test:Site", "site")
        _Part(name, pulumi.ResourceOptions(parent=site, aliases=aliases or []))

    result = run_pulumi(program, stack="prod")
    return {r.urn: r.aliases for r in result.resources}


def test_an_alias_covers_the_renamed_resource_and_its_children(run_pulumi: Any) -> None:
    """The mechanism the snapshot check relies on: aliases resolve to the old URNs."""
    before = _urns(run_pulumi, "old")
    after = _urns(run_pulumi, "new", [pulumi.Alias(name="old")])
    gone = set(before) - set(after)
    assert gone == {
        "urn:pulumi:prod::paif::paif:test:Site$paif:test:Part::old",
        "urn:pulumi:prod::paif::paif:test:Site$paif:test:Part$vsphere:index/zone:Zone::old-zone",
    }
    covered = {alias for aliases in after.values() for alias in aliases}
    assert gone <= covered
    without_alias = _urns(run_pulumi, "new")
    assert not gone & {alias for aliases in without_alias.values() for alias in aliases}


def test_two_resources_with_one_urn_fail_the_plan(run_pulumi: Any) -> None:
    """The engine refuses a program that registers a URN twice; the plan must not hide it."""
    from paif_cli.errors import ProgramError

    def program() -> None:
        for _ in range(2):
            pulumi.CustomResource("vsphere:index/zone:Zone", "zone", {"name": "z"})

    with pytest.raises(ProgramError) as info:
        run_pulumi(program, stack="prod")
    assert str(info.value) == (
        "duplicate resource URN 'urn:pulumi:prod::paif::vsphere:index/zone:Zone::zone': two "
        "resources of one type have the same name; give them unique names"
    )
