"""The shared provider process (conftest's ``engine``) meets each test as a fresh one would.

A label listing cached in the child before a simulator reset would resolve a label to an href
the reset PCE no longer has; the reset Check the fixture sends empties that cache.
"""

from __future__ import annotations

from pairing_provider.client import PCEClient
from pairing_provider.profile import PairingProfileProvider
from pairing_provider.simulator import Simulator
from tests.engine import Engine
from tests.fixtures_engine.process_reset import ProcessResetProvider

PROVIDER = PairingProfileProvider()
WEB = {"name": "web", "enabled": True, "labels": [{"key": "app", "value": "web"}]}


def label_listings(simulator: Simulator) -> int:
    return sum(1 for r in simulator.requests() if r["path"].split("?")[0].endswith("/labels"))


def new_label(client: PCEClient, key: str, value: str) -> str:
    body = {"key": key, "value": value}
    return str(client.request("POST", "/orgs/1/labels", json_body=body).json()["href"])


def test_reset_forgets_the_label_listing_of_a_reset_pce(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    first = new_label(client, "app", "web")
    simulator.clear_requests()
    assert engine.check(PROVIDER, {}, WEB).inputs["labels"] == [{"href": first}]
    assert engine.check(PROVIDER, {}, WEB).inputs["labels"] == [{"href": first}]
    assert label_listings(simulator) == 1  # cached in the child: one listing for both

    simulator.reset()
    new_label(client, "env", "prod")
    second = new_label(client, "app", "web")
    assert second != first
    engine.check(ProcessResetProvider(), {}, {})
    simulator.clear_requests()
    assert engine.check(PROVIDER, {}, WEB).inputs["labels"] == [{"href": second}]
    assert label_listings(simulator) == 1  # listed again, as a fresh process would


def test_each_test_starts_with_nothing_cached(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    href = new_label(client, "app", "web")  # the simulator was reset for this test
    simulator.clear_requests()
    assert engine.check(PROVIDER, {}, WEB).inputs["labels"] == [{"href": href}]
    assert label_listings(simulator) == 1
