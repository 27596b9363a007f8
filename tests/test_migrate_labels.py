"""Migration of labels and what item 14 of issue #22 adds: ``illumio-core_label`` resources
become ``Label`` resources, a profile's labels are written by what the state says they are,
label data sources point at ``find_label``, keys carry a ``triggers`` placeholder, and the
report maps each Terraform output to the stack output that replaces it.

The fixture ``fixtures_terraform/labels.show.json``: one managed label (app=shop, with external
data), two label data sources (env=prod; a list holding loc=eu), a profile labelled with those
three and one more the state knows nothing of, its key, and four outputs.
"""

from __future__ import annotations

import json
import py_compile
from pathlib import Path

import pytest
from test_migrate import FIXTURES, api_calls, is_profile_write, ruff_format_check, run_program

from pairing_provider.client import PCEClient
from pairing_provider.migrate import main, parse_state, plan_migration
from pairing_provider.migrate.render import render_program
from pairing_provider.simulator import Simulator

pytest_plugins = ["test_simulator_support"]

STATE = FIXTURES / "labels.show.json"
LABELS_PCE = [("app", "shop"), ("env", "prod"), ("loc", "eu")]  # hrefs 1, 2, 3 as in the state
TOKEN = json.loads(STATE.read_text())["values"]["outputs"]["shop_codes"]["value"][0]


def program_text() -> str:
    return render_program(plan_migration(parse_state(STATE.read_bytes())), "labels.show.json")


def test_labels_become_label_resources_and_profiles_name_labels_by_what_they_are(
    tmp_path: Path,
) -> None:
    program = program_text()
    assert (
        'app_label = Label(\n    "app",\n    key="app",\n    value="shop",\n'
        '    external_data_set="cmdb",\n    external_data_reference="app-7",\n'
        "    adopt_existing=True,\n)"
    ) in program
    assert (
        "    labels=[\n"
        "        app_label.id,\n"  # the migrated resource
        '        {"key": "env", "value": "prod"},\n'  # read by data.illumio-core_label
        '        {"key": "loc", "value": "eu"},\n'  # read by data.illumio-core_labels
        '        "/orgs/1/labels/9",\n'  # nothing more known: the href, reported
        "    ],\n"
    ) in program
    assert "from pairing_provider import Label, PairingKey, PairingProfile\n" in program
    assert 'pulumi.export("app_label_href", app_label.href)' in program
    path = tmp_path / "__main__.py"
    path.write_text(program, encoding="utf-8")
    checked = ruff_format_check(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_report_points_label_data_sources_at_find_label_and_maps_outputs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--from-terraform", str(STATE)]) == 0
    _, report = capsys.readouterr()
    for expected in (
        'Label "app"            <- illumio-core_label.app (/orgs/1/labels/1)',
        "data.illumio-core_label.prod: a data source reads, it manages nothing; use "
        "find_label(key, value) in the program",
        "data.illumio-core_labels.locations: a data source reads, it manages nothing; use "
        "find_labels(key, value) in the program",
        "illumio-core_pairing_profile.shop: labels: /orgs/1/labels/9 is neither an "
        "illumio-core_label nor read by a data source in this state: written as its href",
        "Terraform outputs, and the stack output that replaces each (4):",
        "  shop_profile -> pulumi stack output shop_profile_href\n",
        "  app_label -> pulumi stack output app_label_href\n",
        "  shop_codes -> pulumi stack output shop_key_activation_code (a new code: Terraform's "
        "cannot be carried over)\n",
        "  region -> none (none of the migrated objects' values: add a pulumi.export for it",
        "      illumio-core_label.app \\\n",
    ):
        assert expected in report, expected
    assert "PairingProfile.get" not in report
    assert TOKEN not in report and "eu-west" not in report  # output values are never shown


def test_generated_keys_carry_a_triggers_placeholder_to_uncomment(tmp_path: Path) -> None:
    program = program_text()
    placeholder = '    # triggers={"rotation": "2026-01"},  # change the value to rotate'
    assert f"    pairing_profile=shop_profile,\n{placeholder}" in program
    uncommented = tmp_path / "__main__.py"
    uncommented.write_text(program.replace("# triggers=", "triggers="), encoding="utf-8")
    py_compile.compile(str(uncommented), doraise=True)  # one edit away from a rotation


def test_the_program_adopts_labels_and_profile_without_a_write(
    tmp_path: Path, simulator: Simulator, client: PCEClient
) -> None:
    """The PCE as Terraform left it: the labels (with the app label's external data), a
    label the state only names by href (9), the profile labelled with four of them."""
    for key, value in [*LABELS_PCE, *[("role", f"r{n}") for n in range(4, 10)]]:
        extra = {"external_data_set": "cmdb", "external_data_reference": "app-7"}
        body = {"key": key, "value": value, **(extra if key == "app" else {})}
        client.create_label(body)
    labels = [{"href": f"/orgs/1/labels/{n}"} for n in (1, 2, 3, 9)]
    profile = client.create_pairing_profile({"name": "shop", "enabled": True, "labels": labels})
    path = tmp_path / "__main__.py"
    path.write_text(program_text(), encoding="utf-8")
    simulator.clear_requests()

    up = run_program(path, simulator, {})

    calls = api_calls(simulator)
    writes = [call for call in calls if is_profile_write(*call)]
    assert writes == []  # no label or profile created, changed or deleted
    # The Label's create meets the label and adopts it (then the look-ups: GETs alone).
    label_calls = [call for call in calls if call[1] == "/orgs/1/labels" and call[0] != "GET"]
    assert label_calls == [("POST", "/orgs/1/labels", 406)]
    assert up.resource("app", "Label").id == "/orgs/1/labels/1"
    assert up.resource("shop", "PairingProfile").id == profile["href"]
    assert client.get_pairing_profile(profile["href"])["labels"] == labels
