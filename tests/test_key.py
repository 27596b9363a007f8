"""PairingKey through the engine protocol, against the PCE simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from conftest import API_SECRET, issued_codes
from pairing_provider.client import PCEClient
from pairing_provider.key import PairingKeyProvider, parse_rfc3339
from pairing_provider.simulator import Simulator
from tests.engine import UNKNOWN, Engine, EngineError, serialized

PROVIDER = PairingKeyProvider()
URN = "urn:pulumi:dev::proj::pulumi-python:dynamic/illumio:PairingKey::web-key"


def new_profile(client: PCEClient, **fields: Any) -> str:
    return client.create_pairing_profile({"name": "web", "enabled": True, **fields})["href"]


def create_key(engine: Engine, simulator: Simulator, **inputs: Any) -> tuple[str, dict[str, Any]]:
    checked = engine.check(PROVIDER, {}, inputs, urn=URN)
    assert checked.failures == []
    created = engine.create(PROVIDER, checked.inputs, urn=URN)
    simulator.clear_requests()
    return created.id, created.outs


def test_create_issues_a_code_and_renders_the_scripts(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    href = new_profile(client, key_lifespan=3600)
    simulator.clear_requests()
    checked = engine.check(PROVIDER, {}, {"pairing_profile_href": href}, urn=URN)
    before = datetime.now(UTC).replace(microsecond=0)

    created = engine.create(PROVIDER, checked.inputs, urn=URN)

    outs = created.outs
    code = outs["activation_code"]
    assert issued_codes(simulator) == [code]
    assert [(r["method"], r["path"]) for r in simulator.requests()] == [
        ("GET", f"/api/v2{href}"),
        ("POST", f"/api/v2{href}/pairing_key"),
    ]
    assert code not in created.id
    generated = parse_rfc3339(outs["generated_at"])
    assert before <= generated <= datetime.now(UTC)
    assert parse_rfc3339(outs["expires_at"]) == generated + timedelta(seconds=3600)
    profile_id = href.rsplit("/", 1)[1]
    server = simulator.url.removeprefix("http://")
    assert outs["pce_host"] == server
    assert outs["profile_id"] == profile_id
    linux = outs["linux_pairing_script"]
    assert f"--management-server {server} --activation-code {code}" in linux
    assert f"https://{server}/api/v18/software/ven/image?pair_script=pair.sh" in linux
    assert f"&profile_id={profile_id}" in linux
    windows = outs["windows_pairing_script"]
    assert "pair_script=pair.ps1" in windows
    assert f"-management-server {server} -activation-code {code}" in windows
    user_data = outs["cloud_init"]
    assert user_data.startswith("#cloud-config\n")
    assert yaml.safe_load(user_data) == {"runcmd": [linux]}
    for text in (linux, windows, user_data):
        assert API_SECRET not in text


def test_unlimited_lifespan_has_no_expiry(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    _, outs = create_key(engine, simulator, pairing_profile_href=new_profile(client))
    assert "expires_at" not in outs  # None is dropped on the wire


def test_same_triggers_no_change_and_no_request(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    inputs = {"pairing_profile_href": new_profile(client), "triggers": {"rotation": "1", "n": 2}}
    key_id, outs = create_key(engine, simulator, **inputs)
    checked = engine.check(PROVIDER, inputs, {**inputs, "triggers": {"n": 2, "rotation": "1"}})
    diff = engine.diff(PROVIDER, key_id, outs, checked.inputs, urn=URN)
    assert diff.changes is False
    assert diff.replaces == []
    assert simulator.requests() == []


def test_changed_triggers_replace_with_a_new_code(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    inputs = {"pairing_profile_href": new_profile(client), "triggers": {"rotation": "1"}}
    key_id, outs = create_key(engine, simulator, **inputs)
    news = engine.check(PROVIDER, inputs, {**inputs, "triggers": {"rotation": "2"}}).inputs

    diff = engine.diff(PROVIDER, key_id, outs, news, urn=URN)
    assert diff.changes is True
    assert diff.replaces == ["triggers"]
    assert diff.delete_before_replace is False  # create first: the output never goes empty

    replacement = engine.create(PROVIDER, news, urn=URN)
    engine.delete(PROVIDER, key_id, outs)
    assert replacement.outs["activation_code"] != outs["activation_code"]
    assert replacement.id != key_id
    assert issued_codes(simulator)[-1] == replacement.outs["activation_code"]
    methods = [r["method"] for r in simulator.requests()]
    assert "DELETE" not in methods  # deleting a key never revokes the profile's keys


def test_unknown_triggers_or_new_profile_replace(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    inputs = {"pairing_profile_href": new_profile(client), "triggers": "a"}
    key_id, outs = create_key(engine, simulator, **inputs)
    preview = engine.diff(PROVIDER, key_id, outs, {**inputs, "triggers": UNKNOWN}, urn=URN)
    assert preview.replaces == ["triggers"]
    other = "/orgs/1/pairing_profiles/999"
    moved = engine.diff(PROVIDER, key_id, outs, {**inputs, "pairing_profile_href": other})
    assert moved.replaces == ["pairing_profile_href"]
    assert simulator.requests() == []  # diff never calls the PCE


def expired(outs: dict[str, Any]) -> dict[str, Any]:
    """The same state, as it is once its expiry time has passed."""
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    return {**outs, "expires_at": past.strftime("%Y-%m-%dT%H:%M:%SZ")}


def test_expired_key_is_replaced_and_refresh_drops_it(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    inputs = {"pairing_profile_href": new_profile(client, key_lifespan=60)}
    key_id, outs = create_key(engine, simulator, **inputs)
    checked = engine.check(PROVIDER, inputs, inputs).inputs
    assert engine.diff(PROVIDER, key_id, outs, checked, urn=URN).changes is False
    outs = expired(outs)

    assert engine.diff(PROVIDER, key_id, outs, checked, urn=URN).replaces == ["expires_at"]
    read = engine.read(PROVIDER, key_id, outs)
    assert read.id == ""

    keep = {**inputs, "regenerate_when_expired": False}
    kept_outs = {**outs, "regenerate_when_expired": False}
    assert engine.diff(PROVIDER, key_id, kept_outs, keep, urn=URN).changes is False
    assert engine.read(PROVIDER, key_id, kept_outs).id == key_id


def test_turning_regeneration_off_is_an_update_with_no_request_that_refresh_honours(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    inputs = {"pairing_profile_href": new_profile(client, key_lifespan=60)}
    key_id, outs = create_key(engine, simulator, **inputs)
    news = engine.check(PROVIDER, inputs, {**inputs, "regenerate_when_expired": False}).inputs

    diff = engine.diff(PROVIDER, key_id, outs, news, urn=URN)
    assert (diff.changes, diff.replaces) == (True, [])
    updated = engine.update(PROVIDER, key_id, outs, news, urn=URN)

    assert simulator.requests() == []
    assert updated == {**outs, "regenerate_when_expired": False}
    assert engine.diff(PROVIDER, key_id, updated, news, urn=URN).changes is False
    assert engine.read(PROVIDER, key_id, expired(updated)).id == key_id  # kept though expired


def test_a_key_wired_to_its_profile_costs_one_request(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    """``pairing_profile=profile`` passes the profile's key_lifespan: no GET before the POST."""
    href = new_profile(client, key_lifespan=3600)
    simulator.clear_requests()
    wired = {"pairing_profile_href": href, "profile_key_lifespan": 3600.0}
    checked = engine.check(PROVIDER, {}, wired, urn=URN)
    assert checked.failures == []

    created = engine.create(PROVIDER, checked.inputs, urn=URN)

    assert [(r["method"], r["path"]) for r in simulator.requests()] == [
        ("POST", f"/api/v2{href}/pairing_key")
    ]
    generated = parse_rfc3339(created.outs["generated_at"])
    assert parse_rfc3339(created.outs["expires_at"]) == generated + timedelta(seconds=3600)
    lifespan_edit = {**checked.inputs, "profile_key_lifespan": 60}
    assert engine.diff(PROVIDER, created.id, created.outs, lifespan_edit).changes is False


def test_a_lifespan_past_any_date_is_tracked_with_no_expiry(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    href = new_profile(client)
    live = client.get_pairing_profile(href)
    simulator.add_fault(
        method="GET", path=f"{href}$", status=200, body={**live, "key_lifespan": 10**12}
    )
    checked = engine.check(PROVIDER, {}, {"pairing_profile_href": href}, urn=URN)
    created = engine.create(PROVIDER, checked.inputs, urn=URN)
    assert "expires_at" not in created.outs
    assert issued_codes(simulator) == [created.outs["activation_code"]]


def test_a_key_cannot_be_read_by_id(engine: Engine, simulator: Simulator) -> None:
    only_provider = {"__provider": serialized(PROVIDER)}
    with pytest.raises(EngineError) as caught:
        engine.read(PROVIDER, "/orgs/1/pairing_profiles/1/pairing_keys/x", only_provider)
    assert "cannot be read by id: the PCE never shows an activation code again" in (
        caught.value.last_line
    )


def test_windows_script_enables_tls12_first_as_the_pce_does(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    _, outs = create_key(engine, simulator, pairing_profile_href=new_profile(client))
    assert outs["windows_pairing_script"].startswith(
        'PowerShell -Command "& {Set-Variable -Name ErrorActionPreference -Value '
        "SilentlyContinue; [System.Net.ServicePointManager]::SecurityProtocol=[Enum]::ToObject("
        "[System.Net.SecurityProtocolType], 3072); Set-Variable -Name ErrorActionPreference "
        "-Value Continue; Set-ExecutionPolicy -Scope process remotesigned -Force;"
    )


def test_refresh_keeps_a_valid_key_and_its_code(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    key_id, outs = create_key(engine, simulator, pairing_profile_href=new_profile(client))
    read = engine.read(PROVIDER, key_id, outs)
    assert read.id == key_id
    assert read.outs["activation_code"] == outs["activation_code"]
    assert len(simulator.requests()) == 1


def test_profile_deleted_out_of_band_drops_the_key(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    href = new_profile(client)
    key_id, outs = create_key(engine, simulator, pairing_profile_href=href)
    client.delete_pairing_profile(href)
    assert engine.read(PROVIDER, key_id, outs).id == ""


def test_delete_sends_no_request(engine: Engine, simulator: Simulator, client: PCEClient) -> None:
    key_id, outs = create_key(engine, simulator, pairing_profile_href=new_profile(client))
    engine.delete(PROVIDER, key_id, outs)
    assert simulator.requests() == []


def test_check_rejects_bad_inputs_without_a_request(engine: Engine, simulator: Simulator) -> None:
    checked = engine.check(
        PROVIDER, {}, {"pairing_profile_href": "/orgs/1/labels/3", "colour": "red"}, urn=URN
    )
    reasons = dict(checked.failures)
    assert "/orgs/1/pairing_profiles/7" in reasons["pairing_profile_href"]
    assert reasons["colour"] == (
        "colour: is not a known property (known: pairing_profile_href, profile_key_lifespan, "
        "triggers, regenerate_when_expired, renew_before, token_count, script_api_version)"
    )
    nested: Any = "leaf"
    for _ in range(40):
        nested = [nested]
    deep = engine.check(
        PROVIDER, {}, {"pairing_profile_href": "/orgs/1/pairing_profiles/1", "triggers": nested}
    )
    assert deep.failures == []
    assert deep.inputs["triggers"] == nested
    assert simulator.requests() == []


def test_a_disabled_profile_still_issues_keys(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    """As a real PCE does (Terraform's acceptance test makes keys of an enabled=false profile)."""
    href = new_profile(client, enabled=False)
    checked = engine.check(PROVIDER, {}, {"pairing_profile_href": href}, urn=URN)
    created = engine.create(PROVIDER, checked.inputs, urn=URN)
    assert issued_codes(simulator) == [created.outs["activation_code"]]
