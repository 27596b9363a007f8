"""Issue #22 items 2 and 4: a profile belongs to one resource, and never the PCE's default ones.

Item 2: two resources of one program declaring the same profile name passed check and
preview and failed at ``up`` with advice to set ``adopt_existing=True``, which made both share
one profile. One provider process serves a whole deployment, so a profile it created or
adopted in this run is never taken again for another resource (``held_profiles``), and the
error says that two resources declare the same name.

Item 4: the PCE's default profiles (``is_default: true``) are never adopted (destroying the
stack would delete them), and a state that holds one anyway (an older release's adoption, an
import) keeps it on destroy.
"""

from __future__ import annotations

import logging
import re

import pytest

from conftest import stack_config
from pairing_provider import PairingKey, PairingProfile, PairingProfileError
from pairing_provider.profile import PairingProfileProvider
from pairing_provider.simulator import Simulator
from pairing_provider.testing import PCE, StackError
from pairing_provider.testing.channels import over_grpc_process
from tests.engine import Engine

TWICE = "two resources of this deployment declare the pairing profile name 'web-servers'"


def declared_twice(adopt_second: bool) -> None:
    first = PairingProfile("web", name="web-servers", enabled=True)
    PairingKey("web-key", pairing_profile=first)
    PairingProfile("web-again", name="web-servers", enabled=False, adopt_existing=adopt_second)


@pytest.mark.parametrize("adopt_second", [False, True])
def test_two_resources_of_one_name_fail_naming_the_clash(pce: PCE, adopt_second: bool) -> None:
    stack = pce.stack(lambda: declared_twice(adopt_second))
    assert stack.preview().changes == {"web": "create", "web-key": "create", "web-again": "create"}

    with pytest.raises(PairingProfileError, match=TWICE) as caught:
        stack.up()

    [profile] = [p for p in pce.profiles() if p["name"] == "web-servers"]
    assert profile["href"] in str(caught.value)
    assert "adopt_existing=True only if" not in str(caught.value)  # no advice to share it
    # Whichever resource's create came first, only its own finishing PUT reached the profile.
    assert [r["method"] for r in pce.requests if r["path"].endswith(profile["href"])] == ["PUT"]


def test_over_grpc_the_clash_reaches_the_engine_as_the_same_message(pce: PCE) -> None:
    stack = pce.stack(lambda: declared_twice(True), channels=over_grpc_process())

    with pytest.raises(StackError, match=TWICE):
        stack.up()


def test_a_profile_of_an_earlier_deployment_is_still_adopted(pce: PCE) -> None:
    """The clash is per deployment: a new run (a new provider process) adopts as before."""
    pce.stack(lambda: PairingProfile("web", name="web-servers", enabled=True)).up()

    lost_state = pce.stack(
        lambda: PairingProfile("web", name="web-servers", enabled=True, adopt_existing=True)
    )

    assert lost_state.up().changes == {"web": "create"}


@pytest.mark.parametrize("adopt", [False, True])
def test_a_default_profile_is_never_adopted(pce: PCE, adopt: bool) -> None:
    [default] = [p for p in pce.profiles() if p["name"] == "Default (Servers)"]
    stack = pce.stack(
        lambda: PairingProfile("d", name="Default (Servers)", enabled=True, adopt_existing=adopt)
    )
    message = re.escape("is one of the PCE's default pairing profiles (is_default)")

    with pytest.raises(PairingProfileError, match=message) as caught:
        stack.up()

    assert default["href"] in str(caught.value)
    assert [r["method"] for r in pce.requests] == ["POST", "GET"]  # refused, looked up, no PUT
    assert pce.profile(default["href"]) == default


def test_a_default_profile_in_a_state_is_kept_on_delete(
    engine: Engine, simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Over gRPC: Delete of a state whose outputs say ``is_default`` sends no DELETE."""
    simulator.reset(seed_defaults=True)
    href = "/orgs/1/pairing_profiles/1"
    outputs = {"href": href, "name": "Default (Servers)", "is_default": True}

    engine.delete(PairingProfileProvider(), href, outputs)

    assert [r["method"] for r in simulator.requests()] == []
    assert simulator.state.get_profile(1, 1)["is_default"] is True


def test_in_process_the_kept_default_is_logged(
    simulator: Simulator, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulator.reset(seed_defaults=True)
    for key, value in stack_config(simulator).items():
        monkeypatch.setenv(
            {
                "illumio:pceHost": "ILLUMIO_PCE_HOST",
                "illumio:apiKeyUsername": "ILLUMIO_API_KEY_USERNAME",
                "illumio:apiKeySecret": "ILLUMIO_API_KEY_SECRET",
                "illumio:orgId": "ILLUMIO_PCE_ORG_ID",
            }.get(key, key),
            value,
        )
    href = "/orgs/1/pairing_profiles/1"

    with caplog.at_level(logging.WARNING, logger="pairing_provider"):
        PairingProfileProvider().delete(href, {"href": href, "is_default": True})

    assert f"{href} is one of the PCE's default pairing profiles: kept" in caplog.text
    assert simulator.requests() == []
