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
from tests.pulumi_mocks import EngineLikeMonitor, ProviderBackedMocks

PROFILE_TYPE = "pulumi-python:dynamic/illumio:PairingProfile"
KEY_TYPE = "pulumi-python:dynamic/illumio:PairingKey"


@pytest.fixture
def monitor(simulator: Simulator) -> EngineLikeMonitor:
    mocks = ProviderBackedMocks(stack_config(simulator))
    recording = EngineLikeMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="proj", stack="dev", preview=False, monitor=recording)
    return recording


def resolve(output: pulumi.Output[Any]) -> tuple[Any, bool]:
    """An output's value and whether it is secret."""

    async def both() -> tuple[Any, bool]:
        return await output.future(), await output.is_secret()

    return asyncio.get_event_loop().run_until_complete(both())


def test_profile_registers_its_type_and_inputs(monitor: EngineLikeMonitor, client) -> None:
    label = client.request("POST", "/orgs/1/labels", json_body={"key": "env", "value": "prod"})
    assert label.json()["href"] == "/orgs/1/labels/1"
    profile = PairingProfile(
        "web", name="web", enabled=True, key_lifespan=3600, labels=["/orgs/1/labels/1"]
    )
    href, _ = resolve(profile.href)
    request = monitor.registration(PROFILE_TYPE, "web")
    inputs = pulumi.runtime.rpc.deserialize_properties(request.object)
    assert inputs["name"] == "web"
    assert inputs["enabled"] is True
    assert inputs["key_lifespan"] == 3600
    assert inputs["labels"] == ["/orgs/1/labels/1"]
    assert inputs["adopt_existing"] is False
    assert len(inputs["__provider"]) <= 200
    assert href.startswith("/orgs/1/pairing_profiles/")


def test_key_registers_every_secret_output_as_secret(
    monitor: EngineLikeMonitor, simulator: Simulator
) -> None:
    profile = PairingProfile("web", name="web", enabled=True)
    key = PairingKey("web-key", pairing_profile_href=profile.href, triggers={"rotation": "1"})
    code, code_is_secret = resolve(key.activation_code)
    request = monitor.registration(KEY_TYPE, "web-key")
    assert set(request.additionalSecretOutputs) == set(SECRET_OUTPUTS)
    assert set(SECRET_OUTPUTS) == {
        "activation_code",
        "linux_pairing_script",
        "windows_pairing_script",
        "cloud_init",
    }
    assert code_is_secret
    assert code in issued_codes(simulator)
    for name in SECRET_OUTPUTS:
        value, is_secret = resolve(getattr(key, name))
        assert is_secret, name
        assert code in value or name == "activation_code"
    _, href_secret = resolve(key.pairing_profile_href)
    assert not href_secret
    assert API_SECRET not in str(pulumi.runtime.rpc.deserialize_properties(request.object))


def test_get_reads_an_existing_profile(monitor: EngineLikeMonitor, client) -> None:
    existing = client.create_pairing_profile({"name": "legacy", "enabled": False})
    found = PairingProfile.get("legacy", existing["href"])
    name, _ = resolve(found.name)
    enabled, _ = resolve(found.enabled)
    assert (name, enabled) == ("legacy", False)
