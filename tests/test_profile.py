"""PairingProfile through the engine protocol, against the PCE simulator.

Each test plays what the Pulumi engine does for one scenario (Check, then Diff/Create/Update/
Read/Delete over gRPC to a real ``python -m pulumi.dynamic``) and asserts both the answers and
the HTTP calls that reached the simulator.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from conftest import API_SECRET, stack_config, wait_for
from pairing_provider import provider_base
from pairing_provider.client import PCEClient, reset_connections
from pairing_provider.profile import PairingProfileProvider
from pairing_provider.simulator import Simulator
from tests.engine import UNKNOWN, Engine, EngineError, serialized

PROVIDER = PairingProfileProvider()
# The description a create's POST carries: its proof, 128 random bits.
MARK = (
    r"pulumi create in progress \(token [0-9a-f]{32}\); if this stays, that create was "
    "interrupted"
)
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
            'enforcement_mode: "enforced" is not one of idle, visibility_only, selective, full'
        ),
        "key_lifespan": (
            'key_lifespan: -1 must be "unlimited" or a whole number from 1 to 2147483647'
        ),
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


def test_create_sends_a_marked_post_then_one_put(engine: Engine, simulator: Simulator) -> None:
    """The POST carries the writable fields, with a description only this create knows and
    enabled=False; the PUT then sets both as the program says: 2 requests."""
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
    assert (created.outs["description"], created.outs["enabled"]) == ("", True)
    post, put = simulator.requests()
    assert (post["method"], post["status"]) == ("POST", 201)
    assert post["body"]["name"] == "web"
    assert post["body"]["enabled"] is False
    assert re.fullmatch(MARK, post["body"]["description"])
    assert "href" not in post["body"] and "adopt_existing" not in post["body"]
    assert (put["method"], put["path"], put["status"]) == ("PUT", f"/api/v2{created.id}", 204)
    assert put["body"] == {"description": "", "enabled": True}
    [live] = simulator.state.collection("pairing_profiles", 1, {})
    assert (live["description"], live["enabled"], live["key_lifespan"]) == ("", True, 3600)


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


def test_every_updatable_field_updated_with_one_partial_put(
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
    # The refused POST, the look-up by name, the PUT, a GET (ven_type unset: not looked up).
    assert methods == [("POST", 406), ("GET", 200), ("PUT", 204), ("GET", 200)]
    assert simulator.requests()[2]["body"] == {"description": "adopted"}
    assert len(client.list_pairing_profiles()) == 2


@pytest.mark.newer_sdk
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


def test_a_provider_holds_its_client_until_the_connections_are_reset(
    simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[object] = []
    client_for = provider_base.client_for
    monkeypatch.setattr(provider_base, "client_for", lambda s: asked.append(s) or client_for(s))
    provider = PairingProfileProvider()
    provider.configure(ConfigureRequest(Config(stack_config(simulator), "proj")))

    made = provider.create(provider.check({}, {"name": "held", "enabled": True}).inputs)
    provider.read(made.id, made.outs)
    assert len(asked) == 1  # not once per request and per check of the org

    held = provider.client
    reset_connections()  # a new deployment: that connection is closed
    assert provider.read(made.id, made.outs).id == made.id
    assert provider.client is not held and len(asked) == 2

    provider.configure(ConfigureRequest(Config(stack_config(simulator, maxRetries="1"), "p")))
    assert provider.client.settings.max_retries == 1  # new settings, their own client


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
            ("labels", "labels[0]: no label {key: 'env', value: 'qa'} in org 1")
        ]


def test_a_thousand_resources_can_be_serialized() -> None:
    """serialize_provider (SDK 3.272) nests pickle's dict writer once per call; a provider
    that pickled any dict would fail with RecursionError after ~1000 resources."""
    from pulumi.dynamic.dynamic import serialize_provider

    texts = {serialize_provider(PairingProfileProvider()) for _ in range(1500)}
    assert len(texts) == 1


# -- ven_type is create-only (the PCE's PUT schema has no ven_type: a PUT with it is a 406) ------


def test_a_ven_type_change_replaces_deleting_first_when_the_name_stays(
    engine: Engine, simulator: Simulator
) -> None:
    href, outs = create(engine, simulator, name="web", enabled=True, ven_type="server")
    news = engine.check(PROVIDER, outs, {"name": "web", "enabled": True, "ven_type": "endpoint"})

    diff = engine.diff(PROVIDER, href, outs, news.inputs, urn=URN)

    assert (diff.changes, diff.replaces, diff.delete_before_replace) == (True, ["ven_type"], True)
    renamed = {**news.inputs, "name": "web-endpoints"}
    diff = engine.diff(PROVIDER, href, outs, renamed, urn=URN)
    assert (diff.replaces, diff.delete_before_replace) == (["ven_type"], False)
    assert simulator.requests() == []


def test_adopting_a_profile_of_another_ven_type_fails_before_any_write(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    existing = client.create_pairing_profile(
        {"name": "web", "enabled": True, "ven_type": "endpoint"}
    )["href"]
    simulator.clear_requests()
    program = {"name": "web", "enabled": True, "ven_type": "server", "adopt_existing": True}
    checked = engine.check(PROVIDER, {}, program)

    with pytest.raises(EngineError) as caught:
        engine.create(PROVIDER, checked.inputs, urn=URN)

    assert caught.value.last_line.endswith(
        f"cannot adopt {existing}: its ven_type is 'endpoint' and the program says 'server', "
        "and ven_type can only be set when a profile is created. Declare ven_type='endpoint' "
        "to adopt it, or give the new profile another name"
    )
    # The refused POST, the look-up by name, then the PCE's ven_type filter (GET bodies do
    # not carry ven_type): not "server", but "endpoint". No write at all.
    assert [c[0] for c in calls(simulator)] == ["POST", "GET", "GET", "GET"]
    assert ["ven_type=server" in r["path"] for r in simulator.requests()[2:]] == [True, False]
    assert "ven_type=endpoint" in simulator.requests()[3]["path"]


def test_no_put_ever_carries_ven_type(engine: Engine, simulator: Simulator) -> None:
    href, outs = create(engine, simulator, name="web", enabled=True, ven_type="endpoint")
    news = engine.check(
        PROVIDER, outs, {"name": "web", "enabled": True, "ven_type": "endpoint", "description": "x"}
    )
    engine.update(PROVIDER, href, outs, news.inputs, urn=URN)
    [put] = [r for r in simulator.requests() if r["method"] == "PUT"]
    assert put["body"] == {"description": "x"}


# -- nothing taken that is not ours ----------------------------------------------------------------


def test_a_twin_stack_creating_the_same_profile_meanwhile_is_never_claimed(
    engine: Engine, simulator: Simulator
) -> None:
    """Issue #19 item 1. Stack A's POST is answered 502 with nothing made; stack B, the same
    program with the same API key, creates the same profile before A looks it up (made after
    A's POST was sent, same values, same creator). A must not claim it: both stacks would
    hold one id, and destroying either would delete the other's profile."""
    simulator.add_fault(
        method="POST", path="pairing_profiles$", status=502, when="before", retry_after=1.5
    )
    checked = engine.check(PROVIDER, {}, {"name": "web", "enabled": True}, urn=URN)
    # Stack B runs in its own provider process, as another deployment does (in A's, its create
    # would be a second resource of A's deployment declaring the name).
    with Engine() as stack_b, ThreadPoolExecutor(max_workers=1) as pool:
        stack_b.configure(stack_config(simulator), secret_keys={"illumio:apiKeySecret"})
        stack_a = pool.submit(engine.create, PROVIDER, checked.inputs, urn=URN)
        wait_for(lambda: any(r["status"] == 502 for r in simulator.requests()))
        theirs = stack_b.create(PROVIDER, checked.inputs, urn=URN).id  # meanwhile
        with pytest.raises(EngineError) as caught:
            stack_a.result()

    message = caught.value.last_line
    assert f"a pairing profile named 'web' already exists at {theirs}; " in message
    assert "this create did not make it, so it is not taken" in message
    assert "Set adopt_existing=True only if no other stack manages that profile" in message
    collection = "/api/v2/orgs/1/pairing_profiles"
    assert calls(simulator) == [
        ("POST", collection, 502),  # A: nothing made
        ("POST", collection, 201),  # B, during A's wait before its look-up
        ("PUT", f"/api/v2{theirs}", 204),  # B finishes its profile
        ("GET", collection, 200),  # A's look-up: a profile of that name, not carrying A's mark
        ("POST", collection, 406),  # A sends again: the name is taken
        ("GET", collection, 200),  # whose it is, for the error
    ]
    [live] = simulator.state.collection("pairing_profiles", 1, {})
    assert (live["href"], live["description"], live["enabled"]) == (theirs, "", True)


def test_our_own_lost_create_answer_is_recovered_within_the_create(
    engine: Engine, simulator: Simulator
) -> None:
    """The PCE made the profile, the answer was lost: the look-up finds it by the description
    only our POST carried, and the PUT finishes it. Nothing is sent twice."""
    simulator.add_fault(method="POST", path="pairing_profiles$", drop_connection=True, when="after")
    checked = engine.check(PROVIDER, {}, {"name": "web", "enabled": True, "description": "d"})

    created = engine.create(PROVIDER, checked.inputs, urn=URN)

    post, look_up, put = simulator.requests()
    assert post["method"] == "POST" and re.fullmatch(MARK, post["body"]["description"])
    assert (look_up["method"], look_up["path"]) == (
        "GET",
        "/api/v2/orgs/1/pairing_profiles?name=web",
    )
    assert (put["method"], put["path"], put["body"]) == (
        "PUT",
        f"/api/v2{created.id}",
        {"description": "d", "enabled": True},
    )
    [live] = simulator.state.collection("pairing_profiles", 1, {})
    assert (live["href"], live["description"], live["enabled"]) == (created.id, "d", True)


def test_our_own_profile_met_as_a_taken_name_is_finished_not_refused(
    engine: Engine, simulator: Simulator
) -> None:
    """The look-up after the lost answer did not see our profile yet (a listing answered
    empty), so the POST went again and met the name taken: by our own, which the mark
    proves. It is finished, not reported as someone else's."""
    simulator.add_fault(method="POST", path="pairing_profiles$", status=504, when="after")
    simulator.add_fault(method="GET", path="pairing_profiles[?]", status=200, body=[])
    checked = engine.check(PROVIDER, {}, {"name": "web", "enabled": True})

    created = engine.create(PROVIDER, checked.inputs, urn=URN)

    collection = "/api/v2/orgs/1/pairing_profiles"
    assert calls(simulator) == [
        ("POST", collection, 504),  # made, answer lost
        ("GET", collection, 200),  # the look-up, answered empty
        ("POST", collection, 406),  # sent again: the name is taken, by our own
        ("GET", collection, 200),  # whose: it carries our mark
        ("PUT", f"/api/v2{created.id}", 204),
    ]
    [live] = simulator.state.collection("pairing_profiles", 1, {})
    assert (live["href"], live["description"], live["enabled"]) == (created.id, "", True)


def test_a_lost_create_answer_with_adopt_existing_takes_it(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    theirs = client.create_pairing_profile({"name": "web", "enabled": True})["href"]
    simulator.add_fault(method="POST", path="pairing_profiles$", status=502, when="before")
    checked = engine.check(PROVIDER, {}, {"name": "web", "enabled": True, "adopt_existing": True})
    created = engine.create(PROVIDER, checked.inputs, urn=URN)
    assert created.id == theirs
    assert len(client.list_pairing_profiles()) == 1


def test_a_taken_name_names_the_href_and_when_to_adopt(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    existing = client.create_pairing_profile({"name": "web", "enabled": True})["href"]
    simulator.clear_requests()
    checked = engine.check(PROVIDER, {}, {"name": "web", "enabled": True})
    with pytest.raises(EngineError) as caught:
        engine.create(PROVIDER, checked.inputs)
    assert (
        f"already exists at {existing}; this create did not make it, so it is not taken. Set "
        "adopt_existing=True only if no other stack manages that profile (e.g. it is this "
        "stack's own and its state was lost)"
    ) in caught.value.last_line
    # Refused by the POST itself: nothing made, nothing to clean up.
    assert [c[0:3:2] for c in calls(simulator)] == [("POST", 406), ("GET", 200)]


def test_a_failed_finishing_put_deletes_the_new_profile_and_raises_the_real_error(
    engine: Engine, simulator: Simulator
) -> None:
    simulator.add_fault(
        method="PUT", status=406, body=[{"token": "input_validation_error", "message": "no"}]
    )
    checked = engine.check(PROVIDER, {}, {"name": "web", "enabled": True})
    with pytest.raises(EngineError) as caught:
        engine.create(PROVIDER, checked.inputs)
    put = simulator.requests()[1]
    assert (
        f"PUT {put['path'].removeprefix('/api/v2')} failed: HTTP 406; input_validation_error: no; "
        "Request-ID "
    ) in caught.value.last_line  # the PUT's own error, nothing added: the delete went through
    assert [c[0:3:2] for c in calls(simulator)] == [("POST", 201), ("PUT", 406), ("DELETE", 204)]
    assert simulator.state.collection("pairing_profiles", 1, {}) == []


@pytest.mark.newer_sdk  # the error's class shows in the engine's message from SDK 3.260
def test_a_half_made_profile_that_cannot_be_deleted_is_named_in_the_error(
    engine: Engine, simulator: Simulator
) -> None:
    simulator.add_fault(method="PUT", status=406)
    simulator.add_fault(method="DELETE", status=500)
    checked = engine.check(PROVIDER, {}, {"name": "web", "enabled": True})
    with pytest.raises(EngineError) as caught:
        engine.create(PROVIDER, checked.inputs)
    [left] = simulator.state.collection("pairing_profiles", 1, {})
    assert caught.value.last_line.startswith(  # the PUT's own error, of its own class
        f"pairing_provider.errors.NotAcceptableError: PUT {left['href']} failed: HTTP 406; "
    )
    assert (
        f"deleting the new profile failed too (DELETE {left['href']} failed: HTTP 500; "
    ) in caught.value.last_line
    assert (
        f"it is left at {left['href']}, disabled, its description starting 'pulumi create in "
        "progress'; delete it in the PCE"
    ) in caught.value.last_line
    assert left["enabled"] is False and re.fullmatch(MARK, left["description"])


# -- hostile input ---------------------------------------------------------------------------------


def test_malformed_labels_are_check_failures_each_with_its_index(
    engine: Engine, simulator: Simulator
) -> None:
    labels = [
        {"key": ["a"], "value": {"b": 1}},
        "/orgs/1/labels/1\n",
        "/orgs/1/labels/\u0661",  # an Arabic-Indic digit one
        "/orgs/2/labels/3",
        {"href": "label-1"},
    ]
    checked = engine.check(PROVIDER, {}, {"name": "web", "enabled": True, "labels": labels})
    assert [prop for prop, _ in checked.failures] == ["labels"] * 5
    reasons = [reason for _, reason in checked.failures]
    assert reasons[0] == "labels[0]: a {key, value} label needs a string key and a string value"
    assert reasons[1] == "labels[1]: " + LABEL_SHAPE.format('"/orgs/1/labels/1\n" ')
    assert reasons[2] == "labels[2]: " + LABEL_SHAPE.format('"/orgs/1/labels/\u0661" ')
    assert reasons[3] == 'labels[3]: "/orgs/2/labels/3" is in org 2, not the configured org 1'
    assert reasons[4] == "labels[4]: " + LABEL_SHAPE.format('{"href": "label-1"} ')
    assert simulator.requests() == []


LABEL_SHAPE = (
    '{}must be an href "/orgs/N/labels/N", {{"href": "/orgs/N/labels/N"}} '
    'or {{"key": "...", "value": "..."}}'
)


@pytest.mark.newer_sdk
@pytest.mark.parametrize(
    "bad_id",
    [
        "/orgs/1/pairing_profiles/1/../../labels/1",
        "/orgs/1/pairing_profiles/1\n",
        "/orgs/2/pairing_profiles/1",
        "/orgs/1/labels/1",
    ],
)
def test_a_bad_resource_id_never_reaches_the_pce(
    engine: Engine, simulator: Simulator, bad_id: str
) -> None:
    outs = {"name": "web", "enabled": True}
    for call in (
        lambda: engine.read(PROVIDER, bad_id, outs),
        lambda: engine.delete(PROVIDER, bad_id, outs),
        lambda: engine.update(PROVIDER, bad_id, outs, {**outs, "description": "x"}),
    ):
        with pytest.raises(EngineError) as caught:
            call()
        assert "InvalidHrefError: pairing profile href" in caught.value.last_line
    assert simulator.requests() == []


def test_get_of_a_missing_href_fails_naming_it(engine: Engine, simulator: Simulator) -> None:
    """``PairingProfile.get`` sends Read with just ``__provider`` (properties = inputs)."""
    only_provider = {"__provider": serialized(PROVIDER)}
    with pytest.raises(EngineError) as caught:
        engine.read(PROVIDER, "/orgs/1/pairing_profiles/404", only_provider, only_provider)
    assert "no pairing profile at /orgs/1/pairing_profiles/404" in caught.value.last_line


# -- every GET shape a PCE answers with (docs/pce-api.md, "GET bodies") ------------------------


@pytest.mark.parametrize("release", ["current", "legacy"])
def test_refresh_then_preview_of_the_same_program_is_no_change_on_every_get_shape(
    engine: Engine, simulator: Simulator, release: str
) -> None:
    """No PCE reports ven_type; older ones leave out log_traffic* and enforcement_mode_lock and
    answer key limits as numeric strings. None of that is drift."""
    simulator.update_settings(release=release)
    program = {
        "name": "web",
        "enabled": True,
        "ven_type": "endpoint",
        "log_traffic": True,
        "enforcement_mode_lock": False,
        "allowed_uses_per_key": 5,
        "key_lifespan": 60,
    }
    href, outs = create(engine, simulator, **program)

    refreshed = engine.read(PROVIDER, href, outs, outs, urn=URN)
    checked = engine.check(PROVIDER, refreshed.inputs or {}, program, urn=URN)
    diff = engine.diff(PROVIDER, href, refreshed.outs, checked.inputs, urn=URN)

    assert diff.changes is False
    assert refreshed.outs["ven_type"] == "endpoint"  # kept from state: the PCE did not say
    assert refreshed.outs["log_traffic"] is True
    assert calls(simulator) == [("GET", f"/api/v2{href}", 200)]


def test_a_label_of_another_org_is_refused_at_create_when_check_could_not_know_the_org(
    engine: Engine, simulator: Simulator
) -> None:
    """Check runs before settings may be known; create holds every href to the configured org."""
    inputs = {"name": "web", "enabled": True, "labels": [{"href": "/orgs/2/labels/3"}]}
    with pytest.raises(EngineError) as caught:
        engine.create(PROVIDER, inputs, urn=URN)
    assert caught.value.last_line.endswith(  # the class name shows from SDK 3.260
        'labels[0]: {"href": "/orgs/2/labels/3"} is in org 2, not the configured org 1'
    )
    assert simulator.requests() == []


@pytest.mark.newer_sdk
def test_invalid_inputs_at_create_are_an_invalid_input_error_naming_every_field(
    engine: Engine, simulator: Simulator
) -> None:
    """Inputs that skipped check (nothing of it is an href) are not an InvalidHrefError."""
    with pytest.raises(EngineError) as caught:
        engine.create(PROVIDER, {"description": "no name"}, urn=URN)
    assert caught.value.last_line.endswith(
        "InvalidInputError: name: is required; enabled: is required"
    )
    other_org = {"name": "web", "enabled": True, "labels": ["/orgs/2/labels/3"]}
    with pytest.raises(EngineError) as caught:
        engine.create(PROVIDER, other_org, urn=URN)
    assert "InvalidHrefError: labels[0]: " in caught.value.last_line  # an href problem stays one
    assert simulator.requests() == []


def test_a_misspelt_value_gets_the_nearest_allowed_one(engine: Engine) -> None:
    checked = engine.check(
        PROVIDER, {}, {"name": "web", "enabled": True, "enforcement_mode": "visiblity_only"}
    )
    assert checked.failures == [
        (
            "enforcement_mode",
            'enforcement_mode: "visiblity_only" is not one of idle, visibility_only, selective, '
            'full (did you mean "visibility_only"?)',
        )
    ]
