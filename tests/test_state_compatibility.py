"""State written by earlier releases keeps working: a promise, pinned here.

Every resource's state holds its provider pickled by reference (``__provider``): the module
path and class name of the provider as they were when the state was written. Refresh and
destroy un-pickle exactly that string, with no program to correct it. These are the strings
release 0.1.0 wrote; each must still refresh and destroy in every later release, so a class
that moves keeps an importable alias at its old path.
"""

from __future__ import annotations

from typing import Any

import pytest

from pairing_provider.client import PCEClient
from pairing_provider.profile import PairingProfileProvider
from pairing_provider.simulator import Simulator
from tests.engine import Engine, EngineError, pickled_bytes

# The harness pickles this only into bags without a __provider; every bag here has its own.
UNUSED = PairingProfileProvider()

PROFILE_PROVIDER_0_1 = (
    "gASVOgAAAAAAAACMGHBhaXJpbmdfcHJvdmlkZXIucHJvZmlsZZSMFlBhaXJpbmdQcm9maWxlUHJvdmlkZXKUk5QpUpQu"
)
KEY_PROVIDER_0_1 = (
    "gASVMgAAAAAAAACMFHBhaXJpbmdfcHJvdmlkZXIua2V5lIwSUGFpcmluZ0tleVByb3ZpZGVylJOUKVKULg=="
)


def test_the_pinned_strings_name_the_classes_they_always_named() -> None:
    assert b"pairing_provider.profile" in pickled_bytes(PROFILE_PROVIDER_0_1)
    assert b"PairingProfileProvider" in pickled_bytes(PROFILE_PROVIDER_0_1)
    assert b"pairing_provider.key" in pickled_bytes(KEY_PROVIDER_0_1)
    assert b"PairingKeyProvider" in pickled_bytes(KEY_PROVIDER_0_1)


@pytest.fixture
def old_state(client: PCEClient) -> dict[str, Any]:
    """A profile and a key as release 0.1.0 left them in a stack's state."""
    profile = client.create_pairing_profile({"name": "web", "enabled": True})
    href = profile["href"]
    return {
        "profile": {
            "__provider": PROFILE_PROVIDER_0_1,
            "name": "web",
            "enabled": True,
            "description": "",
            "href": href,
            "adopt_existing": False,
        },
        "key": {
            "__provider": KEY_PROVIDER_0_1,
            "pairing_profile_href": href,
            "regenerate_when_expired": True,
            "activation_code": "0" * 81,
            "generated_at": "2026-11-01T00:00:00Z",
            "pce_host": "127.0.0.1:8443",
            "profile_id": href.rsplit("/", 1)[1],
        },
    }


def test_refresh_and_destroy_of_old_state_still_work(
    engine: Engine, simulator: Simulator, old_state: dict[str, Any]
) -> None:
    profile, key = old_state["profile"], old_state["key"]
    href = profile["href"]
    key_id = f"{href}/pairing_keys/0123456789abcdef"
    simulator.clear_requests()

    # refresh: Read with the old outputs, whose __provider is the old string
    key_read = engine.read(UNUSED, key_id, key, key)
    profile_read = engine.read(UNUSED, href, profile, profile)
    assert key_read.id == key_id
    assert profile_read.id == href and profile_read.outs["name"] == "web"

    # destroy: Delete with the old outputs, dependents first
    engine.delete(UNUSED, key_id, key)
    engine.delete(UNUSED, href, profile)
    methods = [(r["method"], r["path"]) for r in simulator.requests()]
    assert methods[-1] == ("DELETE", f"/api/v2{href}")


def test_state_of_0_1_without_ven_type_is_checked_once_and_never_replaced(
    engine: Engine, simulator: Simulator, client: PCEClient, old_state: dict[str, Any]
) -> None:
    """0.1.0 kept what a refresh read, and no PCE reports ven_type: such state has none. A
    program that sets ven_type must not replace the profile (delete and recreate it) on that
    guess: the diff asks the PCE's ven_type filter once, and the update records the value
    (asking once more), with no PUT."""
    profile = old_state["profile"]
    href = profile["href"]
    refreshed = engine.read(UNUSED, href, profile, profile)
    assert "ven_type" not in refreshed.outs
    program = {"name": "web", "enabled": True, "ven_type": "server"}
    checked = engine.check(UNUSED, refreshed.inputs or {}, program).inputs
    simulator.clear_requests()

    diff = engine.diff(UNUSED, href, refreshed.outs, checked)
    updated = engine.update(UNUSED, href, refreshed.outs, checked)

    assert (diff.changes, diff.replaces) == (True, [])
    assert updated["ven_type"] == "server"
    calls = [(r["method"], r["path"].split("?")[0]) for r in simulator.requests()]
    assert calls == [("GET", "/api/v2/orgs/1/pairing_profiles")] * 2
    assert all("ven_type=server" in r["path"] for r in simulator.requests())
    assert engine.diff(UNUSED, href, updated, checked).changes is False


def test_state_of_0_1_whose_profile_has_another_ven_type_says_so_before_any_write(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    made = client.create_pairing_profile({"name": "ep", "enabled": True, "ven_type": "endpoint"})
    old = {"__provider": PROFILE_PROVIDER_0_1, "name": "ep", "enabled": True, "href": made["href"]}
    program = {"name": "ep", "enabled": True, "ven_type": "server"}
    checked = engine.check(UNUSED, old, program).inputs
    simulator.clear_requests()
    with pytest.raises(EngineError) as caught:
        engine.update(UNUSED, made["href"], old, checked)
    assert caught.value.last_line.endswith(
        f"cannot update {made['href']}: its ven_type is 'endpoint' and the program says "  # noqa: S608 (prose, not SQL)
        "'server', and ven_type can only be set when a profile is created. Declare "
        "ven_type='endpoint' to update it, or give the new profile another name"
    )
    assert [r["method"] for r in simulator.requests()] == ["GET", "GET"]
