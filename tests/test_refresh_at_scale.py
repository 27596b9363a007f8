"""A refresh of many profiles is served from one collection listing, and stays exact."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from conftest import API_SECRET, API_USER
from pairing_provider.batch_reads import ProfileReader
from pairing_provider.client import PCEClient
from pairing_provider.profile import PairingProfileProvider
from pairing_provider.simulator import Simulator
from tests.engine import Engine

PROVIDER = PairingProfileProvider()


def seed(simulator: Simulator, count: int) -> list[str]:
    session = requests.Session()
    session.auth = (API_USER, API_SECRET)
    url = f"{simulator.url}/api/v2/orgs/1/pairing_profiles"
    hrefs = []
    for i in range(count):
        response = session.post(url, json={"name": f"p{i:04d}", "enabled": True})
        response.raise_for_status()
        hrefs.append(response.json()["href"])
    return hrefs


def refresh(engine: Engine, hrefs: list[str]) -> dict[str, Any]:
    """Read every profile the way the engine does a refresh: 4 workers, all at once."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        reads = pool.map(lambda href: engine.read(PROVIDER, href, {"name": "x"}), hrefs)
        return dict(zip(hrefs, reads, strict=True))


def test_refreshing_a_thousand_profiles_costs_at_most_five_requests(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    hrefs = seed(simulator, 1000)
    simulator.clear_requests()

    results = refresh(engine, hrefs)

    assert all(results[href].id == href for href in hrefs)
    assert results[hrefs[7]].outs["name"] == "p0007"
    assert len(simulator.requests()) <= 5
    statuses = [r["status"] for r in simulator.requests()]
    assert 202 in statuses  # past 500: the asynchronous collection, not a silent truncation


def test_drift_and_deletions_stay_exact(
    engine: Engine, simulator: Simulator, client: PCEClient
) -> None:
    hrefs = seed(simulator, 600)
    drifted, deleted = hrefs[10:13], hrefs[20:22]
    for href in drifted:
        client.update_pairing_profile(href, {"description": "edited in the console"})
    for href in deleted:
        client.delete_pairing_profile(href)
    simulator.clear_requests()

    results = refresh(engine, hrefs)

    assert {href for href, read in results.items() if read.id == ""} == set(deleted)
    assert {href for href, read in results.items() if read.outs.get("description")} == set(drifted)
    # One listing for the lot, plus one GET to confirm each absence (never trusted blindly).
    assert len(simulator.requests()) <= 5 + len(deleted)
    confirmations = [r for r in simulator.requests() if r["status"] == 404]
    assert sorted(r["path"] for r in confirmations) == sorted(f"/api/v2{h}" for h in deleted)


def test_a_single_read_costs_one_get_and_writes_are_never_answered_stale(
    simulator: Simulator, client: PCEClient
) -> None:
    hrefs = seed(simulator, 3)
    now = [0.0]
    reader = ProfileReader(client, clock=lambda: now[0])
    simulator.clear_requests()
    assert reader.get(hrefs[0])["name"] == "p0000"
    assert [r["path"] for r in simulator.requests()] == [f"/api/v2{hrefs[0]}"]

    now[0] = 1.0  # a burst: the second read lists everything once
    assert reader.get(hrefs[1])["name"] == "p0001"
    reader.get(hrefs[2])
    assert len(simulator.requests()) == 2

    reader.wrote(hrefs[2])  # this process changed it: ask the PCE, not the snapshot
    client.update_pairing_profile(hrefs[2], {"description": "new"})
    simulator.clear_requests()
    assert reader.get(hrefs[2])["description"] == "new"
    assert len(simulator.requests()) == 1

    created = client.create_pairing_profile({"name": "late", "enabled": True})["href"]
    assert reader.get(created)["name"] == "late"  # missing from the snapshot: confirmed, kept

    now[0] = 100.0  # long after: the snapshot has aged out, a lone read is one GET again
    simulator.clear_requests()
    reader.get(hrefs[0])
    assert len(simulator.requests()) == 1


def test_a_failed_listing_falls_back_to_one_get_per_profile(
    engine: Engine, simulator: Simulator
) -> None:
    """The listing is an optimisation: when it fails, every read still answers, each with its
    own GET, and the listing is not tried again for the rest of the refresh."""
    hrefs = seed(simulator, 6)
    simulator.add_fault(method="GET", path=r"pairing_profiles$", status=500, count=100)
    simulator.clear_requests()

    results = refresh(engine, hrefs)

    assert all(results[href].id == href for href in hrefs)
    paths = [r["path"].split("?")[0] for r in simulator.requests()]
    listings = [p for p in paths if p.endswith("/pairing_profiles")]
    assert len(listings) == 1  # tried once, refused, not retried for every read
    assert sorted(p for p in paths if p not in listings) == sorted(f"/api/v2{h}" for h in hrefs)
