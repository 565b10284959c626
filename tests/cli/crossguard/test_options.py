"""The engine options a ``ResourceRecord`` carries reach a policy as the engine sends them.

The offline recorder does not record them (plan.json has them only when set); a caller playing a
live registration sets them on the record, and both paths of the analyzer pass them on
(``marshalResourceOptions``: ``paif_cli.crossguard.wire.resource_options``).
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, StackValidationPolicy

from paif_cli.crossguard.analyzer import evaluate
from paif_components.contract.plan import ResourceRecord

ENDPOINT = ResourceRecord(
    urn="urn:pulumi:t::p::paif:test:Endpoint::e", type="paif:test:Endpoint", name="e"
)
DATABASE = ResourceRecord(
    urn="urn:pulumi:t::p::paif:test:Database::db",
    type="paif:test:Database",
    name="db",
    inputs={"instances": 2},
    ignore_changes=("instances",),
    delete_before_replace=False,
    additional_secret_outputs=("password",),
    custom_timeouts={"create": 600, "update": 60},
    property_dependencies={"instances": (ENDPOINT.urn,)},
)


@pytest.mark.parametrize("via_protocol", [False, True], ids=["direct", "protocol"])
def test_the_options_a_record_carries_reach_stack_policies(via_protocol: bool) -> None:
    seen: dict[str, Any] = {}

    def options(args: Any, report: Any) -> None:
        for resource in args.resources:
            o = resource.opts
            timeouts = o.custom_timeouts
            seen[resource.name] = {
                "ignore": list(o.ignore_changes),
                "dbr": o.delete_before_replace,
                "secret_outputs": list(o.additional_secret_outputs),
                "timeouts": (timeouts.create_seconds, timeouts.update_seconds),
                "deps": {k: [r.name for r in v] for k, v in resource.property_dependencies.items()},
            }

    policy = StackValidationPolicy(name="opts", description="Options.", validate=options)
    findings = evaluate(
        [policy],
        [ENDPOINT, DATABASE],
        pack_name="t",
        pack_version="1",
        pack_config=None,
        enforcement_level=EnforcementLevel.ADVISORY,
        via_protocol=via_protocol,
    )
    assert findings == []
    assert seen == {
        "db": {
            "ignore": ["instances"],
            "dbr": False,  # defined, and false
            "secret_outputs": ["password"],
            "timeouts": (600.0, 60.0),
            "deps": {"instances": ["e"]},
        },
        "e": {"ignore": [], "dbr": None, "secret_outputs": [], "timeouts": (0.0, 0.0), "deps": {}},
    }
