"""What a program registers with the engine, run in-process by the test kit's engine."""

from __future__ import annotations

import pulumi

from conftest import API_SECRET, issued_codes, kit_stack
from pairing_provider import PairingKey, PairingProfile
from pairing_provider.key import SECRET_OUTPUTS
from pairing_provider.simulator import Simulator

PROFILE_TYPE = "pulumi-python:dynamic/illumio:PairingProfile"
KEY_TYPE = "pulumi-python:dynamic/illumio:PairingKey"


def test_profile_registers_its_type_and_inputs(simulator: Simulator, client) -> None:
    label = client.request("POST", "/orgs/1/labels", json_body={"key": "env", "value": "prod"})
    assert label.json()["href"] == "/orgs/1/labels/1"

    def program() -> None:
        profile = PairingProfile(
            "web", name="web", enabled=True, key_lifespan=3600, labels=["/orgs/1/labels/1"]
        )
        pulumi.export("href", profile.href)

    up = kit_stack(simulator, program).up()
    href = up.outputs["href"]
    request = up.registration("web", PROFILE_TYPE)
    inputs = pulumi.runtime.rpc.deserialize_properties(request.object)
    assert inputs["name"] == "web"
    assert inputs["enabled"] is True
    assert inputs["key_lifespan"] == 3600
    assert inputs["labels"] == ["/orgs/1/labels/1"]
    assert inputs["adopt_existing"] is False
    assert len(inputs["__provider"]) <= 200
    assert href.startswith("/orgs/1/pairing_profiles/")


def test_key_asks_the_engine_to_keep_every_secret_output_secret(simulator: Simulator) -> None:
    def program() -> None:
        profile = PairingProfile("web", name="web", enabled=True)
        key = PairingKey("web-key", pairing_profile=profile, triggers={"rotation": "1"})
        for name in SECRET_OUTPUTS:
            pulumi.export(name, getattr(key, name))

    up = kit_stack(simulator, program).up()
    code = up.outputs["activation_code"].value
    # The request the SDK really sends: the engine marks these outputs secret before it saves
    # or returns them (docs/pulumi-engine.md, "Secrets").
    key_request = up.registration("web-key", KEY_TYPE)
    assert list(key_request.additionalSecretOutputs) == SECRET_OUTPUTS
    assert set(SECRET_OUTPUTS) == {
        "activation_code",
        "activation_codes",
        "linux_pairing_script",
        "windows_pairing_script",
        "cloud_init",
        "windows_user_data",
    }
    assert list(up.registration("web", PROFILE_TYPE).additionalSecretOutputs) == []
    assert code in issued_codes(simulator)
    for name in SECRET_OUTPUTS:
        assert code in up.outputs[name].value, name
    assert API_SECRET not in str(pulumi.runtime.rpc.deserialize_properties(key_request.object))


def test_get_reads_an_existing_profile(simulator: Simulator, client) -> None:
    existing = client.create_pairing_profile({"name": "legacy", "enabled": False})

    def program() -> None:
        found = PairingProfile.get("legacy", existing["href"])
        pulumi.export("name", found.name)
        pulumi.export("enabled", found.enabled)

    up = kit_stack(simulator, program).up()
    assert (up.outputs["name"], up.outputs["enabled"]) == ("legacy", False)
