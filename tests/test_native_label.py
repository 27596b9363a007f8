"""The native ``illumio:index:Label`` over gRPC, the plugin started as the language host starts
it, against the simulator: what each call sends to the PCE (create, preview, update, import,
delete), its detailed diffs, and a profile's ``labels`` taking a native label's href. The same
resource in a program's sequences is in ``tests/test_native_sequences.py``."""

from __future__ import annotations

import grpc
import pytest

from pairing_provider.simulator import Simulator
from tests.native_driver import (
    KIND,
    LABEL,
    PROFILE,
    UNKNOWN,
    Plugin,
    pulumi_import,
)

PROD = {"key": "env", "value": "prod"}


def calls(simulator: Simulator) -> list[str]:
    return [f"{r['method']} {r['path'].removeprefix('/api/v2')}" for r in simulator.requests()]


def label_id(href: str) -> int:
    return int(href.rsplit("/", 1)[1])


def test_a_preview_create_sends_nothing_and_the_create_is_one_post(
    plugin: Plugin, simulator: Simulator
) -> None:
    checked, failures = plugin.check(LABEL, "env", {}, {**PROD, "externalDataSet": UNKNOWN})
    assert failures == [] and checked["adoptExisting"] is False

    preview_id, preview = plugin.create(LABEL, "env", checked, preview=True)
    assert (preview_id, preview["value"], preview["externalDataSet"]) == ("", "prod", UNKNOWN)
    assert "href" not in preview and calls(simulator) == []

    made = plugin.made(LABEL, "env", {**PROD, "externalDataSet": "cmdb"})

    assert calls(simulator) == ["POST /orgs/1/labels"]
    assert made.id == made.outputs["href"]
    stored = simulator.state.get_label(1, label_id(made.id))
    assert (stored["key"], stored["value"], stored["external_data_set"]) == ("env", "prod", "cmdb")


def test_a_value_edit_updates_in_place_and_a_key_edit_replaces(
    plugin: Plugin, simulator: Simulator
) -> None:
    old = plugin.made(LABEL, "env", PROD)
    simulator.clear_requests()
    value, _ = plugin.check(LABEL, "env", old.inputs, {**PROD, "value": "production"})
    key, _ = plugin.check(LABEL, "env", old.inputs, {**PROD, "key": "loc"})

    by_value = plugin.diff(LABEL, "env", old.id, old.outputs, value)
    by_key = plugin.diff(LABEL, "env", old.id, old.outputs, key)

    assert {name: KIND(d.kind) for name, d in by_value.detailedDiff.items()} == {"value": "UPDATE"}
    assert list(by_value.replaces) == []
    assert {name: KIND(d.kind) for name, d in by_key.detailedDiff.items()} == {
        "key": "UPDATE_REPLACE"
    }
    # Made before the old one goes: the new key and value are not the old label's.
    assert (list(by_key.replaces), by_key.deleteBeforeReplace) == (["key"], False)
    assert calls(simulator) == []

    previewed = plugin.update(LABEL, "env", old.id, old.outputs, value, preview=True)
    assert previewed["value"] == "production" and calls(simulator) == []
    updated = plugin.update(LABEL, "env", old.id, old.outputs, value)

    assert calls(simulator) == [f"PUT {old.id}", f"GET {old.id}"]
    assert simulator.requests()[0]["body"] == {"value": "production"}
    assert updated["value"] == "production" and updated["href"] == old.id


def test_import_is_one_get_and_previews_no_change(plugin: Plugin, simulator: Simulator) -> None:
    """``pulumi import illumio:index:Label NAME HREF``: Read(id) alone, then Check of the read
    inputs and a Diff that must show no change (``pulumi_import`` asserts it)."""
    body = {**PROD, "external_data_set": "cmdb", "external_data_reference": "42"}
    href = simulator.state.create_label(1, body)["href"]
    simulator.clear_requests()

    imported = pulumi_import(plugin, "env", LABEL, href)

    assert calls(simulator) == [f"GET {href}"]
    assert imported.id == href
    # What a program would write: no adoptExisting, this provider's own flag at its default.
    assert imported.inputs == {**PROD, "externalDataSet": "cmdb", "externalDataReference": "42"}


def test_import_of_a_missing_label_says_so(plugin: Plugin) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        plugin.read(LABEL, "gone", "/orgs/1/labels/999")
    assert "nothing to import there" in caught.value.details()
    assert "/orgs/1/labels/999" in caught.value.details()


def test_delete_is_one_request(plugin: Plugin, simulator: Simulator) -> None:
    made = plugin.made(LABEL, "env", PROD)
    simulator.clear_requests()

    plugin.delete(LABEL, "env", made.id, made.outputs)

    assert calls(simulator) == [f"DELETE {made.id}"]
    assert simulator.state.get_label(1, label_id(made.id)).get("deleted") is True


def test_a_refresh_reads_back_a_value_edit_and_drops_a_deleted_label(
    plugin: Plugin, simulator: Simulator
) -> None:
    made = plugin.made(LABEL, "env", PROD)
    simulator.state.update_label(1, label_id(made.id), {"value": "edited"})
    simulator.clear_requests()

    read_id, outputs, inputs = plugin.read(LABEL, "env", made.id, made.outputs, made.inputs)
    assert (read_id, outputs["value"], inputs["value"]) == (made.id, "edited", "edited")
    assert calls(simulator) == [f"GET {made.id}"]

    simulator.state.delete_label(1, label_id(made.id))  # the PCE keeps it, marked deleted
    assert plugin.read(LABEL, "env", made.id, made.outputs, made.inputs)[0] == ""


def test_a_profile_s_labels_take_the_native_label_s_href(
    plugin: Plugin, simulator: Simulator
) -> None:
    label = plugin.made(LABEL, "env", PROD)
    simulator.clear_requests()

    # As a generated SDK sends it: the schema's ``labels`` items are objects.
    labels = [{"href": label.id}]
    web = plugin.made(PROFILE, "web", {"name": "web", "enabled": True, "labels": labels})

    posted = simulator.requests()[0]
    assert f"{posted['method']} {posted['path']}" == "POST /api/v2/orgs/1/pairing_profiles"
    assert posted["body"]["labels"] == labels and web.outputs["labels"] == labels


def test_bad_input_is_named_in_camel_case_before_any_request(
    plugin: Plugin, simulator: Simulator
) -> None:
    _, failures = plugin.check(LABEL, "env", {}, {"key": "", "value": 5, "externalDataSett": "x"})

    assert sorted(failures) == [
        (
            "externalDataSett",
            'externalDataSett: is not a known property (did you mean "externalDataSet"?)',
        ),
        ("key", 'key: "" string should have at least 1 character'),
        ("value", "value: 5 input should be a valid string"),
    ]
    assert calls(simulator) == []


def test_a_taken_key_and_value_names_the_label_and_the_camel_case_flag(
    plugin: Plugin, simulator: Simulator
) -> None:
    taken = simulator.state.create_label(1, PROD)["href"]
    checked, _ = plugin.check(LABEL, "env", {}, PROD)
    with pytest.raises(grpc.RpcError) as caught:
        plugin.create(LABEL, "env", checked)
    details = caught.value.details()
    assert f"already exists at {taken}" in details and "Set adoptExisting=True" in details

    adopted, outputs = plugin.create(LABEL, "env", {**checked, "adoptExisting": True})
    assert (adopted, outputs["adoptExisting"]) == (taken, True)
