"""The native plugin over gRPC, started as the language host starts it, against the simulator:
what single calls answer (plugin info, preview Create, detailed diffs, reads by id alone,
look-ups, check failures, errors, Configure's fall-backs) and concurrency. The engine's
sequences of real programs are in ``tests/test_native_sequences.py``, on the test kit."""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from importlib import metadata

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from pairing_provider.simulator import Simulator
from tests.credentials import API_SECRET, API_USER
from tests.native_driver import (
    KEY,
    KIND,
    PROFILE,
    UNKNOWN,
    Plugin,
    session_config,
    struct,
)


def requests_of(simulator: Simulator) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in simulator.requests()]


WEB = {"name": "web", "enabled": True, "description": "web servers", "keyLifespan": 3600}


def test_started_as_the_host_starts_it_it_prints_its_port_and_its_version(plugin: Plugin) -> None:
    assert plugin.port > 0
    assert plugin.plugin_info() == metadata.version("pairing_provider")
    schema = json.loads(plugin.schema())
    assert (schema["name"], schema["version"]) == ("illumio", metadata.version("pairing_provider"))


def test_a_preview_create_returns_the_known_inputs_and_no_id(plugin: Plugin) -> None:
    checked, _ = plugin.check(PROFILE, "web", {}, {**WEB, "description": UNKNOWN})
    id_, outs = plugin.create(PROFILE, "web", checked, preview=True)
    assert id_ == ""
    assert outs["name"] == "web" and outs["keyLifespan"] == 3600
    assert outs["description"] == UNKNOWN
    assert "href" not in outs  # not known until the PCE makes it


def test_a_description_edit_is_a_detailed_update(plugin: Plugin) -> None:
    old = plugin.made(PROFILE, "web", WEB)
    checked, _ = plugin.check(PROFILE, "web", old.inputs, {**WEB, "description": "new"})

    diff = plugin.diff(PROFILE, "web", old.id, old.outputs, checked)

    assert {name: KIND(d.kind) for name, d in diff.detailedDiff.items()} == {
        "description": "UPDATE"
    }
    assert (list(diff.replaces), diff.hasDetailedDiff) == ([], True)


def test_a_ven_type_edit_replaces_deleting_first(plugin: Plugin, simulator: Simulator) -> None:
    server = {**WEB, "venType": "server"}  # set: the state knows it, the diff lists nothing
    old = plugin.made(PROFILE, "web", server)
    simulator.clear_requests()
    checked, _ = plugin.check(PROFILE, "web", old.inputs, {**WEB, "venType": "endpoint"})

    diff = plugin.diff(PROFILE, "web", old.id, old.outputs, checked)

    assert {name: KIND(d.kind) for name, d in diff.detailedDiff.items()} == {
        "venType": "UPDATE_REPLACE"
    }
    assert (list(diff.replaces), diff.deleteBeforeReplace) == (["venType"], True)
    assert requests_of(simulator) == []


def test_import_of_a_missing_profile_says_so(plugin: Plugin) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        plugin.read(PROFILE, "gone", "/orgs/1/pairing_profiles/999")
    assert "no pairing profile at /orgs/1/pairing_profiles/999" in caught.value.details()
    assert "Traceback" not in caught.value.details()


def test_a_key_cannot_be_imported_and_says_why(plugin: Plugin) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        plugin.read(KEY, "key", "/orgs/1/pairing_profiles/1/pairing_keys/abc")
    assert "cannot be imported" in caught.value.details()
    assert "activation code only once" in caught.value.details()


def test_a_look_up_finds_the_profile(plugin: Plugin) -> None:
    web = plugin.made(PROFILE, "web", WEB)

    found = plugin.invoke("illumio:index:findPairingProfiles", {"name": "web", "exactName": True})
    one = plugin.invoke("illumio:index:getPairingProfile", {"href": web.id})

    assert [p["href"] for p in found["profiles"]] == [web.id]
    assert (one["name"], one["keyLifespan"]) == ("web", 3600)
    with pytest.raises(grpc.RpcError) as caught:
        plugin.invoke("illumio:index:getPairingProfile", {"href": "/orgs/1/labels/1"})
    assert caught.value.details() == (
        "Invoke illumio:index:getPairingProfile: href: must be a profile href like "
        "\"/orgs/1/pairing_profiles/7\", not '/orgs/1/labels/1'"
    )


def test_bad_input_is_named_in_camel_case_with_the_allowed_values(plugin: Plugin) -> None:
    _, failures = plugin.check(PROFILE, "web", {}, {**WEB, "enforcementMode": "fullest"})
    assert failures == [
        (
            "enforcementMode",
            'enforcementMode: "fullest" is not one of idle, visibility_only, selective, full '
            '(did you mean "full"?)',
        )
    ]


def test_an_unknown_input_is_named_with_the_camel_case_guess(plugin: Plugin) -> None:
    _, failures = plugin.check(PROFILE, "web", {}, {**WEB, "keyLifespn": 5})
    assert failures == [
        ("keyLifespn", 'keyLifespn: is not a known property (did you mean "keyLifespan"?)')
    ]


def test_a_pce_error_reaches_the_engine_as_one_message(
    plugin: Plugin, simulator: Simulator
) -> None:
    simulator.state.create_profile(1, {"name": "taken", "enabled": True})
    checked, _ = plugin.check(PROFILE, "web", {}, {"name": "taken", "enabled": True})
    with pytest.raises(grpc.RpcError) as caught:
        plugin.create(PROFILE, "web", checked)
    details = caught.value.details()
    assert "already exists" in details and "Set adoptExisting=True" in details
    assert "Traceback" not in details and len(details.splitlines()) == 1


def test_an_engine_sending_only_variables_and_settings_from_the_environment(
    simulator: Simulator,
) -> None:
    """Configure's fallbacks: the engine's ``illumio:config:*`` variables when ``args`` is
    empty, then the environment for what the stack does not set."""
    env = {**os.environ, "ILLUMIO_API_KEY_USERNAME": API_USER, "ILLUMIO_API_KEY_SECRET": API_SECRET}
    with Plugin(env=env) as fresh:
        fresh.stub.Configure(
            provider_pb2.ConfigureRequest(variables={"illumio:config:pceHost": str(simulator.url)})
        )
        assert fresh.invoke("illumio:index:findLabels", {"key": "env"}) == {"labels": []}
    assert API_SECRET not in fresh.stderr


def test_check_config_names_a_malformed_setting_and_leaves_missing_ones_to_later(
    plugin: Plugin,
) -> None:
    response = plugin.stub.CheckConfig(
        provider_pb2.CheckRequest(
            urn="urn:pulumi:dev::proj::pulumi:providers:illumio::default",
            news=struct({"pceHost": "ftp://pce.example.com", "orgId": "0"}),
        )
    )
    failures = {f.property: f.reason for f in response.failures}
    assert sorted(failures) == ["orgId", "pceHost"]
    assert "scheme must be https or http" in failures["pceHost"]
    assert "apiKeySecret" not in failures  # missing: reported by the first call to the PCE


def test_it_serves_many_calls_at_once_where_the_dynamic_server_runs_four(
    plugin: Plugin, simulator: Simulator
) -> None:
    """16 creates against a PCE that answers each after 0.4 s: served together they take
    about 0.4 s; four at a time (the SDK's dynamic server) would take at least 1.6 s."""
    count, latency = 16, 0.4
    simulator.add_fault(method="POST", delay=latency, when="after", merge_body={}, count=count)
    checked = [
        plugin.check(PROFILE, f"p{i}", {}, {**WEB, "name": f"p{i}"})[0] for i in range(count)
    ]

    with ThreadPoolExecutor(max_workers=count) as pool:
        started = time.monotonic()
        made = list(pool.map(lambda i: plugin.create(PROFILE, f"p{i}", checked[i]), range(count)))
        elapsed = time.monotonic() - started

    assert len({id_ for id_, _ in made}) == count
    assert elapsed < count / 4 * latency, f"{elapsed:.2f} s: calls were not served at once"


def test_a_key_due_for_renewal_names_why_in_its_detailed_diff(plugin: Plugin) -> None:
    """Expired: ``expiresAt`` replaces; within ``renewBefore`` of expiry: ``renewBefore``."""
    web = plugin.made(PROFILE, "web", WEB)
    old = plugin.made(KEY, "key", {"pairingProfileHref": web.id, "profileKeyLifespan": 3600})
    soon = (datetime.now(UTC) + timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")

    expired = plugin.diff(
        KEY, "key", old.id, {**old.outputs, "expiresAt": "2000-01-01T00:00:00Z"}, old.inputs
    )
    renewing = plugin.diff(
        KEY, "key", old.id, {**old.outputs, "expiresAt": soon}, {**old.inputs, "renewBefore": 600}
    )

    assert {name: KIND(d.kind) for name, d in expired.detailedDiff.items()} == {
        "expiresAt": "UPDATE_REPLACE"
    }
    assert list(expired.replaces) == ["expiresAt"]
    assert {name: KIND(d.kind) for name, d in renewing.detailedDiff.items()} == {
        "renewBefore": "UPDATE_REPLACE"
    }


def test_a_plugin_configured_again_serves_a_new_deployment(
    plugin: Plugin, simulator: Simulator
) -> None:
    """What a deployment's resources created is held by the plugin process, so a second
    resource of that deployment cannot take it; the engine configures a plugin once per
    deployment, so a plugin configured again forgets it: a profile at the same href in a new
    deployment is an ordinary taken name."""
    checked, _ = plugin.check(PROFILE, "web", {}, {"name": "web", "enabled": True})
    held = plugin.create(PROFILE, "web", checked)[0]
    simulator.reset()  # a new org whose ids start again: the next profile gets the same href
    assert simulator.state.create_profile(1, {"name": "web", "enabled": True})["href"] == held

    plugin.configure(session_config(simulator))
    with pytest.raises(grpc.RpcError) as caught:
        plugin.create(PROFILE, "web", checked)

    details = caught.value.details()
    assert f"already exists at {held}" in details and "two resources" not in details
