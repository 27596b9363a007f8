"""Secret scans: the API secret and activation codes appear nowhere they should not."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from conftest import API_SECRET, stack_config
from pairing_provider import PairingKeyProvider, PairingProfileProvider
from pairing_provider.client import PCEClient, client_for
from pairing_provider.config import Settings
from pairing_provider.key import SECRET_OUTPUTS
from pairing_provider.simulator import Simulator
from tests.engine import Engine, EngineError, pickled_bytes, serialized


def test_nothing_secret_leaks_through_a_whole_lifecycle(
    simulator: Simulator, client: PCEClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    profiles, keys = PairingProfileProvider(), PairingKeyProvider()
    seen: list[Any] = []  # everything that a person or a state file could see
    with Engine() as engine:
        engine.configure(stack_config(simulator), secret_keys={"illumio:apiKeySecret"})
        checked = engine.check(profiles, {}, {"name": "web", "enabled": True, "key_lifespan": 60})
        href, outs = engine.create(profiles, checked.inputs)
        key_inputs = engine.check(keys, {}, {"pairing_profile_href": href}).inputs
        key_id, key_outs = engine.create(keys, key_inputs)
        code = key_outs["activation_code"]
        seen += [checked.inputs, outs, key_inputs, key_id]
        seen += [{k: v for k, v in key_outs.items() if k not in SECRET_OUTPUTS}]
        key_read = engine.read(keys, key_id, key_outs)
        assert key_read.outs["activation_code"] == code  # kept, under the engine's encryption
        seen += [engine.read(profiles, href, outs), key_read.id]
        seen += [{k: v for k, v in key_read.outs.items() if k not in SECRET_OUTPUTS}]
        news = engine.check(profiles, outs, {"name": "web", "enabled": False}).inputs
        seen.append(engine.update(profiles, href, outs, news))
        with pytest.raises(EngineError) as refused:  # an error on the way: its text too
            engine.create(profiles, {**checked.inputs, "enforcement_mode": "bogus"})
        seen.append(refused.value.details)
        engine.delete(keys, key_id, key_outs)
        engine.delete(profiles, href, outs)
        seen += [engine.stderr_text(), engine.stdout_text()]
    seen += [serialized(profiles), pickled_bytes(serialized(keys)), simulator.requests()]
    seen.append(caplog.text)
    # Compare without printing: a failing assert must not put the secret in test output.
    leaks = [i for i, item in enumerate(seen) if API_SECRET in repr(item) or code in repr(item)]
    assert leaks == []
    for name in SECRET_OUTPUTS:
        assert code in key_outs[name]  # the secret outputs, which the engine encrypts


def test_configured_objects_never_show_the_secret(simulator: Simulator) -> None:
    provider = PairingProfileProvider()
    provider.configure(ConfigureRequest(Config(stack_config(simulator), "proj")))
    settings = provider.client.settings
    client = client_for(settings)
    for text in (repr(provider), str(provider), repr(settings), str(settings), repr(client)):
        assert API_SECRET not in text
    assert API_SECRET not in serialized(provider)
    assert API_SECRET not in str(settings.model_dump())
    assert API_SECRET not in settings.model_dump_json()


def test_wrong_secret_error_does_not_echo_the_secret(settings: Settings) -> None:
    wrong = "wrong-secret-61c2"
    client = PCEClient(Settings.model_validate({**dict(settings), "api_key_secret": wrong}))
    with pytest.raises(Exception) as caught:
        client.list_pairing_profiles()
    assert "HTTP 401" in str(caught.value)
    assert wrong not in str(caught.value) + repr(caught.value)
