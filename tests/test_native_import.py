"""The migration's output for the native face: the `pulumi import` file and commands of a
Terraform state's profiles, imported through the native plugin with no change."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from pairing_provider.migrate.cli import main
from pairing_provider.simulator import Simulator
from tests.native_driver import (
    LABEL,
    PROFILE,
    Plugin,
    pulumi_import,
)

STATE = Path(__file__).parent / "fixtures_terraform" / "show.json"


def migrate(capsys: pytest.CaptureFixture[str], form: str) -> tuple[str, str]:
    assert main(["--from-terraform", str(STATE), "--native-import", form]) == 0
    out = capsys.readouterr()
    return out.out, out.err


def test_the_import_file_imports_every_profile_with_no_change(
    capsys: pytest.CaptureFixture[str], plugin: Plugin, simulator: Simulator
) -> None:
    text, report = migrate(capsys, "file")
    resources = json.loads(text)["resources"]
    assert [entry["type"] for entry in resources] == [LABEL] + [PROFILE] * 6  # labels first
    simulator.state.create_label(1, {"key": "env", "value": "prod"})  # what the state names
    for number in range(6):
        simulator.state.create_profile(1, {"name": f"tf-{number}", "enabled": True})
    simulator.clear_requests()
    imported = [
        pulumi_import(plugin, entry["name"], entry["type"], entry["id"]) for entry in resources
    ]

    assert [resource.id for resource in imported] == [entry["id"] for entry in resources]
    assert {r["method"] for r in simulator.requests()} == {"GET"}
    assert "1 label(s), 6 pairing profile(s)" in report
    assert "pairing key(s) not imported" in report
    assert "illumio-core_label.env" in report  # Terraform forgets the label too


def test_the_commands_are_one_pulumi_import_per_profile(
    capsys: pytest.CaptureFixture[str],
) -> None:
    commands, _ = migrate(capsys, "commands")
    file_text, _ = migrate(capsys, "file")
    parsed = [shlex.split(line) for line in commands.splitlines()]
    expected = [
        ["pulumi", "import", entry["type"], entry["name"], entry["id"]]
        for entry in json.loads(file_text)["resources"]
    ]
    assert parsed == expected and len(parsed) == 7
