"""PairingProfile through the engine protocol, against the PCE simulator.

Each test plays what the Pulumi engine does for one scenario (Check, then Diff/Create/Update/
Read/Delete over gRPC to a real ``python -m pulumi.dynamic``) and asserts both the answers and
the HTTP calls that reached the simulator.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from conftest import API_SECRET, stack_config
from pairing_provider.client import PCEClient
from pairing_provider.profile import PairingProfileProvider
from pairing_provider.simulator import Simulator
from tests.engine import UNKNOWN, Engine, EngineError, serialized

PROVIDER = PairingProfileProvider()
URN = "urn:pulumi:dev::proj::pulumi-python:dynamic/illumio:PairingProfile::web"


def calls(simulator: Simulator) -> list[tuple[str, str, int]]:
    return [(r["method"], r["path"].split("?")[0], r["status"]) for r in simulator.requests()]


def create(engine: Engine, simulator: Simulator, **inputs: Any) -> tuple[str, dict[str, Any]]:
    """Check then Create, as `pulumi up` does for a new resource; clears the request log."""
    checked = engine.check(PROVIDER, {}, inputs, urn=URN)
    assert checked.failures == []
    created = engine.create(PROVIDER, checked.inputs, urn=URN)
    simulator.clear_requests()
    return created.id, created.outs


def test_bad_inputs_fail_check_with_no_request(engine: Engine, simulator: Simulator) -> None:
    checked = engine.check(
        PROVIDER,
        {},
        {"name": "web", "enabled": True, "enforcement_mode": "enforced", "key_lifespan": -1},
        urn=URN,
    )
    assert dict(checked.failures) == {
        "enforcement_mode": (
            "enforcement_mode: must be one of idle, visibility_only, selective, full"
        ),
        "key_lifespan": 'key_lifespan: must be "unlimited" or a whole number from 1 to 2147483647',
    }
    missing = engine.check(PROVIDER, {}, {"description": "no name"}, urn=URN)
    assert {prop for prop, _ in missing.failures} == {"name", "enabled"}
    assert simulator.requests() == []


def test_preview_with_unknown_inputs(engine: Engine, simulator: Simulator) -> None:
    checked = engine.check(
        PROVIDER, {}, {"name": UNKNOWN, "enabled": True, "labels": [UNKNOWN]}, urn=URN
    )
    assert checked.failures == []
    assert checked.inputs["name"] == UNKNOWN
    assert checked.inputs["enforcement_mode"] == "visibility_only"
    href, outs = create(engine, simulator, name="web", enabled=True)
    diff = engine.diff(PROVIDER, href, outs, {**outs, "description": UNKNOWN}, urn=URN)
    assert diff.changes is True
    assert diff.replaces == []
    assert simulator.requests() == []


def test_create_sends_one_post_of_writable_fields(engine: Engine, simulator: Simulator) -> None:
    checked = engine.check(
        PROVIDER,
        {},
        {"name": "web", "enabled": True, "key_lifespan": 3600, "allowed_uses_per_key": 5},
        urn=URN,
    )
    created = engine.create(PROVIDER, checked.inputs, urn=URN)

    assert created.id.startswith("/orgs/1/pairing_profiles/")
    assert created.outs["href"] == created.id
    assert created.outs["key_lifespan"] == 3600
    assert created.outs["allowed_uses_per_key"] == 5
    assert created.outs["enforcement_mode"] == "visibility_only"
    assert created.outs["created_at"]
    [post] = simulator.requests()
    assert (post["method"], post["status"]) == ("POST", 201)
    assert post["body"]["name"] == "web"
    assert "href" not in post["body"] and "adopt_existing" not in post["body"]


def test_same_program_twice_is_no_change(engine: Engine, simulator: Simulator) -> None:
    inputs = {"name": "web", "enabled": True, "key_lifespan": 60, "labels": []}
    href, outs = create(engine, simulator, **inputs)
    again = engine.check(PROVIDER, inputs, inputs, urn=URN)
    diff = engine.diff(PROVIDER, href, outs, again.inputs, urn=URN)
    assert diff.changes is False
    assert simulator.requests() == []
    # A refresh with nothing drifted keeps it that way.
    read = engine.read(PROVIDER, href, outs)
    assert engine.diff(PROVIDER, href, read.outs, again.inputs, urn=URN).changes is False


def test_every_field_updated_with_one_partial_put(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    labels = [
        client.request("POST", "/orgs/1/labels", json_body={"key": k, "value": v}).json()["href"]
        for k, v in [("env", "prod"), ("app", "web")]
    ]
    href, outs = create(engine, simulator, name="web", enabled=True, key_lifespan=60)
    new_values = {
        "name": "web-2",
        "enabled": False,
        "description": "front end",
        "enforcement_mode": "full",
        "enforcement_mode_lock": False,
        "visibility_level": "flow_drops",
        "visibility_level_lock": False,
        "allowed_uses_per_key": 10,
        "key_lifespan": "unlimited",  # a number back to unlimited (Terraform defect 1)
        "labels": labels,
        "env_label_lock": False,
        "loc_label_lock": False,
        "role_label_lock": False,
        "app_label_lock": False,
        "log_traffic": True,
        "log_traffic_lock": False,
        "ven_type": "endpoint",
        "agent_software_release": "21.5.20-8451",
        "external_data_set": "cmdb",
        "external_data_reference": "ci-42",
    }
    checked = engine.check(PROVIDER, outs, new_values, urn=URN)
    assert checked.failures == []
    assert engine.diff(PROVIDER, href, outs, checked.inputs, urn=URN).changes is True

    updated = engine.update(PROVIDER, href, outs, checked.inputs, urn=URN)

    put, get = simulator.requests()
    assert (put["method"], put["path"], put["status"]) == ("PUT", f"/api/v2{href}", 204)
    assert set(put["body"]) == set(new_values)
    assert put["body"]["key_lifespan"] == "unlimited"
    assert put["body"]["labels"] == [{"href": h} for h in sorted(labels)]
    assert get["method"] == "GET"
    live = client.get_pairing_profile(href)
    for field, value in new_values.items():
        if field != "labels":
            assert updated[field] == value, field
            assert live[field] == value or str(live[field]) == str(value), field
    assert updated["updated_at"] == live["updated_at"]
    assert engine.diff(PROVIDER, href, updated, checked.inputs, urn=URN).changes is False


def test_update_sends_only_the_changed_field(engine: Engine, simulator: Simulator) -> None:
    href, outs = create(engine, simulator, name="web", enabled=True, allowed_uses_per_key=3)
    checked = engine.check(
        PROVIDER, outs, {"name": "web", "enabled": True, "allowed_uses_per_key": "unlimited"}
    )
    engine.update(PROVIDER, href, outs, checked.inputs, urn=URN)
    put = simulator.requests()[0]
    assert put["body"] == {"allowed_uses_per_key": "unlimited"}
    assert len(simulator.requests()) == 2


def test_drift_shows_exactly_the_drifted_fields_and_up_reverts_it(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    inputs = {"name": "web", "enabled": True, "description": "managed"}
    href, outs = create(engine, simulator, **inputs)
    client.update_pairing_profile(href, {"description": "edited in console", "enabled": False})
    simulator.clear_requests()

    read = engine.read(PROVIDER, href, outs)

    assert read.id == href
    assert calls(simulator) == [("GET", f"/api/v2{href}", 200)]
    assert read.outs["description"] == "edited in console"
    assert read.outs["enabled"] is False
    # Inputs follow the live values, so the engine's preview shows these two fields changing.
    drifted = {k for k in read.inputs if read.inputs[k] != outs.get(k)}
    assert drifted == {"description", "enabled"}

    checked = engine.check(PROVIDER, read.inputs, inputs, urn=URN)
    assert engine.diff(PROVIDER, href, read.outs, checked.inputs, urn=URN).changes is True
    simulator.clear_requests()
    engine.update(PROVIDER, href, read.outs, checked.inputs, urn=URN)
    assert simulator.requests()[0]["body"] == {"description": "managed", "enabled": True}
    assert client.get_pairing_profile(href)["description"] == "managed"


def test_profile_deleted_out_of_band(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    href, outs = create(engine, simulator, name="web", enabled=True)
    client.delete_pairing_profile(href)

    read = engine.read(PROVIDER, href, outs)
    assert read.id == ""
    assert read.outs == {}
    engine.delete(PROVIDER, href, outs)  # a profile already gone counts as deleted
    assert [c[2] for c in calls(simulator)] == [204, 404, 404]


def test_delete_sends_one_delete(engine: Engine, simulator: Simulator, client: PCEClient) -> None:
    href, outs = create(engine, simulator, name="web", enabled=True)
    engine.delete(PROVIDER, href, outs)
    assert calls(simulator) == [("DELETE", f"/api/v2{href}", 204)]
    assert client.list_pairing_profiles() == []


def test_existing_name_without_adopt_names_the_existing_href(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    existing = client.create_pairing_profile({"name": "web", "enabled": True})["href"]
    checked = engine.check(PROVIDER, {}, {"name": "web", "enabled": True}, urn=URN)
    with pytest.raises(EngineError) as caught:
        engine.create(PROVIDER, checked.inputs, urn=URN)
    message = caught.value.last_line
    assert "name_must_be_unique" in message
    assert existing in message
    assert "adopt_existing=True" in message
    assert len(client.list_pairing_profiles()) == 1


def test_adopt_existing_takes_over_with_a_put_of_differences(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    client.create_pairing_profile({"name": "web-servers", "enabled": True})  # substring decoy
    existing = client.create_pairing_profile({"name": "web", "enabled": True, "key_lifespan": 60})
    simulator.clear_requests()
    checked = engine.check(
        PROVIDER,
        {},
        {"name": "web", "enabled": True, "key_lifespan": 60, "description": "adopted"},
        urn=URN,
    )
    checked.inputs["adopt_existing"] = True

    created = engine.create(PROVIDER, checked.inputs, urn=URN)

    assert created.id == existing["href"]
    assert created.outs["adopt_existing"] is True
    methods = [(c[0], c[2]) for c in calls(simulator)]
    assert methods == [("POST", 406), ("GET", 200), ("PUT", 204), ("GET", 200)]
    assert simulator.requests()[2]["body"] == {"description": "adopted"}
    assert len(client.list_pairing_profiles()) == 2


def test_pce_refusal_is_a_readable_error_and_leaves_nothing(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    checked = engine.check(
        PROVIDER, {}, {"name": "web", "enabled": True, "labels": ["/orgs/1/labels/999"]}, urn=URN
    )
    assert checked.failures == []  # the shape is right; only the PCE knows the label is missing
    with pytest.raises(EngineError) as caught:
        engine.create(PROVIDER, checked.inputs, urn=URN)
    assert "NotAcceptableError" in caught.value.last_line
    assert "input_validation_error" in caught.value.last_line
    assert "/orgs/1/labels/999" in caught.value.last_line
    assert client.list_pairing_profiles() == []


def test_pickled_provider_is_a_small_reference_without_settings(simulator: Simulator) -> None:
    text = serialized(PROVIDER)
    assert len(text) <= 200
    configured = PairingProfileProvider()
    configured.configure(ConfigureRequest(Config(stack_config(simulator), "proj")))
    assert configured.client.settings.api_key_secret.get_secret_value() == API_SECRET
    assert serialized(configured) == text  # settings never travel into state
    assert API_SECRET not in repr(configured) + repr(configured.client)


def test_key_value_labels_resolve_with_one_listing_for_many_resources(
    simulator: Simulator, client: PCEClient
) -> None:
    hrefs = [
        client.request("POST", "/orgs/1/labels", json_body={"key": k, "value": v}).json()["href"]
        for k, v in [("env", "prod"), ("app", "web"), ("env", "production")]
    ]
    simulator.clear_requests()
    with Engine() as fresh:  # a new provider process: nothing cached yet
        fresh.configure(stack_config(simulator))
        for i in range(5):
            checked = fresh.check(
                PROVIDER,
                {},
                {
                    "name": f"web-{i}",
                    "enabled": True,
                    "labels": [{"key": "env", "value": "prod"}, {"key": "app", "value": "web"}],
                },
            )
            assert checked.failures == []
            assert checked.inputs["labels"] == [{"href": hrefs[0]}, {"href": hrefs[1]}]
        assert calls(simulator) == [("GET", "/api/v2/orgs/1/labels", 200)]

        missing = fresh.check(
            PROVIDER,
            {},
            {"name": "web", "enabled": True, "labels": [{"key": "env", "value": "qa"}]},
        )
        assert missing.failures == [
            ("labels", "labels: no label {key: 'env', value: 'qa'} in org 1")
        ]


def test_a_thousand_resources_can_be_serialized() -> None:
    """serialize_provider (SDK 3.272) nests pickle's dict writer once per call; a provider
    that pickled any dict would fail with RecursionError after ~1000 resources."""
    from pulumi.dynamic.dynamic import serialize_provider

    texts = {serialize_provider(PairingProfileProvider()) for _ in range(1500)}
    assert len(texts) == 1
