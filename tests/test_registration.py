"""What a program registers with the engine, run in-process under pulumi.runtime.set_mocks."""

from __future__ import annotations

import asyncio
from typing import Any

import pulumi
import pytest

from conftest import API_SECRET, issued_codes, stack_config
from pairing_provider import PairingKey, PairingProfile
from pairing_provider.key import SECRET_OUTPUTS
from pairing_provider.simulator import Simulator
from tests.pulumi_mocks import ProviderBackedMocks, RecordingMonitor

PROFILE_TYPE = "pulumi-python:dynamic/illumio:PairingProfile"
KEY_TYPE = "pulumi-python:dynamic/illumio:PairingKey"


@pytest.fixture
def monitor(simulator: Simulator) -> RecordingMonitor:
    mocks = ProviderBackedMocks(stack_config(simulator))
    recording = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="proj", stack="dev", preview=False, monitor=recording)
    return recording


def resolve(output: pulumi.Output[Any]) -> Any:
    """An output's value (secrecy is the engine's doing: see the registration request)."""
    return asyncio.get_event_loop().run_until_complete(output.future())


def test_profile_registers_its_type_and_inputs(monitor: RecordingMonitor, client) -> None:
    label = client.request("POST", "/orgs/1/labels", json_body={"key": "env", "value": "prod"})
    assert label.json()["href"] == "/orgs/1/labels/1"
    profile = PairingProfile(
        "web", name="web", enabled=True, key_lifespan=3600, labels=["/orgs/1/labels/1"]
    )
    href = resolve(profile.href)
    request = monitor.registration(PROFILE_TYPE, "web")
    inputs = pulumi.runtime.rpc.deserialize_properties(request.object)
    assert inputs["name"] == "web"
    assert inputs["enabled"] is True
    assert inputs["key_lifespan"] == 3600
    assert inputs["labels"] == ["/orgs/1/labels/1"]
    assert inputs["adopt_existing"] is False
    assert len(inputs["__provider"]) <= 200
    assert href.startswith("/orgs/1/pairing_profiles/")


def test_key_asks_the_engine_to_keep_every_secret_output_secret(
    monitor: RecordingMonitor, simulator: Simulator
) -> None:
    profile = PairingProfile("web", name="web", enabled=True)
    key = PairingKey("web-key", pairing_profile=profile, triggers={"rotation": "1"})
    code = resolve(key.activation_code)
    # The request the SDK really sends: the engine marks these outputs secret before it saves
    # or returns them (docs/pulumi-engine.md, "Secrets").
    key_request = monitor.registration(KEY_TYPE, "web-key")
    assert list(key_request.additionalSecretOutputs) == SECRET_OUTPUTS
    assert set(SECRET_OUTPUTS) == {
        "activation_code",
        "activation_codes",
        "linux_pairing_script",
        "windows_pairing_script",
        "cloud_init",
        "windows_user_data",
    }
    assert list(monitor.registration(PROFILE_TYPE, "web").additionalSecretOutputs) == []
    assert code in issued_codes(simulator)
    for name in SECRET_OUTPUTS:
        assert code in resolve(getattr(key, name)), name
    assert API_SECRET not in str(pulumi.runtime.rpc.deserialize_properties(key_request.object))


def test_get_reads_an_existing_profile(monitor: RecordingMonitor, client) -> None:
    existing = client.create_pairing_profile({"name": "legacy", "enabled": False})
    found = PairingProfile.get("legacy", existing["href"])
    name = resolve(found.name)
    enabled = resolve(found.enabled)
    assert (name, enabled) == ("legacy", False)
