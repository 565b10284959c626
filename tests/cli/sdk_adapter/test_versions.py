"""The version guard: the SDK shortcuts run only on the SDK versions they were written for, and
the plan is the same either way."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime import stack as sdk_stack

import paif_cli.sdk_adapter as adapter
from paif_cli.main import main
from paif_cli.sdk_adapter import WRITTEN_FOR, check_versions, installed_versions, sdk_shortcuts
from paif_cli.sdk_adapter import policy as adapter_policy
from paif_cli.sdk_adapter import runtime as adapter_runtime
from tests.support.stacks import ROOT

IN_RANGE = {"pulumi": "3.272.0", "pulumi-policy": "1.21.0"}


def test_the_pinned_versions_are_the_ones_the_shortcuts_were_written_for() -> None:
    shortcuts = check_versions()
    assert (shortcuts.runtime, shortcuts.policy, shortcuts.notes) == (True, True, ())
    for package, version in installed_versions().items():
        low, _ = WRITTEN_FOR[package]
        assert version == low, "pyproject.toml pins what the shortcuts were written for"


@pytest.mark.parametrize(
    ("installed", "runtime", "policy"),
    [
        (IN_RANGE, True, True),
        ({"pulumi": "3.272.9", "pulumi-policy": "1.21.3"}, True, True),
        ({"pulumi": "3.273.0", "pulumi-policy": "1.21.0"}, False, True),
        ({"pulumi": "3.271.1", "pulumi-policy": "1.21.0"}, False, True),
        ({"pulumi": "3.272.0", "pulumi-policy": "1.22.0"}, True, False),
        ({"pulumi": "3.272.0", "pulumi-policy": "1.21.0rc1"}, True, False),
        ({"pulumi": None, "pulumi-policy": "not-a-version"}, False, False),
    ],
)
def test_shortcuts_follow_the_installed_versions(
    installed: dict[str, str | None], runtime: bool, policy: bool
) -> None:
    shortcuts = check_versions(installed)
    assert (shortcuts.runtime, shortcuts.policy) == (runtime, policy)
    assert len(shortcuts.notes) == (not runtime) + (not policy)


def test_the_note_says_which_package_and_what_happens() -> None:
    (note,) = check_versions({"pulumi": "3.280.1", "pulumi-policy": "1.21.0"}).notes
    assert note == (
        "pulumi 3.280.1 is outside the range the plan's SDK shortcuts were written for "
        "(3.272.0 up to before 3.273.0): the SDK's own code runs instead (slower, the same plan)"
    )


def test_turned_off_nothing_is_noted() -> None:
    assert check_versions(IN_RANGE, wanted=False) == adapter.Shortcuts(False, False)


def test_in_range_the_six_functions_are_swapped_and_restored() -> None:
    sdk = (sdk_stack.wait_for_rpcs, sdk_resource._get_stack_trace)
    with sdk_shortcuts() as shortcuts:
        assert shortcuts.runtime
        assert sdk_stack.wait_for_rpcs is adapter_runtime.wait_for_rpcs
        assert sdk_resource._get_stack_trace is not sdk[1]
    assert (sdk_stack.wait_for_rpcs, sdk_resource._get_stack_trace) == sdk
    with pytest.raises(RuntimeError), sdk_shortcuts():
        raise RuntimeError("the block failed")
    assert (sdk_stack.wait_for_rpcs, sdk_resource._get_stack_trace) == sdk


def test_outside_the_range_nothing_is_swapped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adapter, "installed_versions", lambda: {**IN_RANGE, "pulumi": "4.0.0"})
    sdk = adapter_runtime.SDK_FUNCTIONS
    with sdk_shortcuts() as shortcuts:
        assert not shortcuts.runtime and shortcuts.policy
        assert sdk_stack.wait_for_rpcs is sdk["wait_for_rpcs"]
        assert sdk_resource._get_stack_trace is sdk["_get_stack_trace"]


def _tree(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _plan(out: Path) -> int:
    argv = ["plan", "--stack", "prod", "--stack", "dr", "--project-dir", str(ROOT)]
    return main([*argv, "--out", str(out), "--quiet", "--format", "none", "--jobs", "1"])


def test_a_plan_on_other_sdk_versions_is_the_same_plan_on_the_sdks_own_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    taken: list[str] = []

    def spy(name: str, real: object) -> object:
        def called(*args: object, **kwargs: object) -> object:
            taken.append(name)
            return real(*args, **kwargs)  # type: ignore[operator]

        return called

    monkeypatch.setattr(adapter_runtime, "register", spy("register", adapter_runtime.register))
    monkeypatch.setattr(
        adapter_runtime, "InlineExecutorLoop", spy("loop", adapter_runtime.InlineExecutorLoop)
    )
    monkeypatch.setattr(
        "paif_cli.crossguard.analyzer.analyze_stack", spy("direct", adapter_policy.analyze_stack)
    )
    monkeypatch.setattr(
        "paif_cli.crossguard.protocol.shared_conversions",
        spy("shared", adapter_policy.shared_conversions),
    )
    # In range, the shortcuts are taken (the spies see them) ...
    assert _plan(tmp_path / "fast") == 0
    assert {"register", "loop", "direct"} <= set(taken)
    assert capsys.readouterr().err == ""
    # ... outside it, none is.
    taken.clear()
    monkeypatch.setattr(
        adapter, "installed_versions", lambda: {"pulumi": "3.300.0", "pulumi-policy": "2.0.0"}
    )
    assert _plan(tmp_path / "stock") == 0
    assert taken == []
    assert _tree(tmp_path / "stock") == _tree(tmp_path / "fast")
    err = capsys.readouterr().err
    assert "note: pulumi 3.300.0 is outside the range" in err
    assert "note: pulumi-policy 2.0.0 is outside the range" in err
