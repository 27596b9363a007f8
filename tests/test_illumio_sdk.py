"""Illumio's own Python SDK (``illumio`` on PyPI) against the simulator.

The SDK is a third-party client users also point at the simulator; what it sends is read
from its source (``illumio/pce.py``): ``must_connect()`` reads ``/health`` and the org's
``settings/workloads``; ``get_all()`` first sends ``max_results=0`` to learn the total from
``X-Total-Count``; ``get_async()`` follows the 202's Location as a path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import illumio
import pytest
from test_simulator_support import SECRET, USER

from pairing_provider.simulator import Simulator


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(USER, SECRET, seed_defaults=True) as simulator:
        yield simulator


@pytest.fixture
def pce(sim: Simulator) -> illumio.PolicyComputeEngine:
    host, port = sim.url.removeprefix("http://").rsplit(":", 1)
    engine = illumio.PolicyComputeEngine(f"http://{host}", port=port, org_id="1", retry_count=0)
    engine.set_credentials(USER, SECRET)
    engine.set_timeout(5)
    return engine


def test_must_connect(sim: Simulator, pce: illumio.PolicyComputeEngine) -> None:
    pce.must_connect()
    assert [(r["method"], r["path"]) for r in sim.requests()] == [
        ("GET", "/api/v2/health"),
        ("GET", "/api/v2/orgs/1/settings/workloads"),
    ]
    pce.set_credentials(USER, "wrong")
    assert pce.check_connection() is False


def test_get_all_learns_the_total_with_max_results_zero(
    sim: Simulator, pce: illumio.PolicyComputeEngine
) -> None:
    profiles = pce.pairing_profiles.get_all()
    assert [p.name for p in profiles] == ["Default (Servers)", "Default (Endpoints)"]
    assert all(p.is_default for p in profiles)
    assert [r["path"] for r in sim.requests()] == [
        "/api/v2/orgs/1/pairing_profiles?max_results=0",
        "/api/v2/orgs/1/pairing_profiles?max_results=2",
    ]


def test_profile_lifecycle_and_keys(sim: Simulator, pce: illumio.PolicyComputeEngine) -> None:
    label = pce.labels.create(illumio.Label(key="role", value="web"))
    created = pce.pairing_profiles.create(
        illumio.PairingProfile(
            name="PP-WEB",
            enabled=True,
            enforcement_mode="visibility_only",
            key_lifespan="3600",  # the SDK turns numeric strings into integers
            allowed_uses_per_key="unlimited",
            labels=[label],
        )
    )
    assert re.fullmatch(r"/orgs/1/pairing_profiles/\d+", created.href)
    assert created.key_lifespan == 3600 and created.labels[0].href == label.href
    pce.pairing_profiles.update(
        created.href, illumio.PairingProfile(name="PP-WEB-2", enabled=False)
    )
    fetched = pce.pairing_profiles.get_by_reference(created.href)
    assert (fetched.name, fetched.enabled) == ("PP-WEB-2", False)
    assert pce.pairing_profiles.get_by_name("PP-WEB-2").href == created.href
    code = pce.generate_pairing_key(created.href)  # a disabled profile still issues keys
    assert re.fullmatch(r"[0-9a-f]{81}", code)
    assert sim.pairing_keys()[-1]["activation_code"] == code
    pce.pairing_profiles.delete(created.href)
    assert [p.name for p in pce.pairing_profiles.get()] == [
        "Default (Servers)",
        "Default (Endpoints)",
    ]
    statuses = [(r["method"], r["status"]) for r in sim.requests()]
    assert ("PUT", 204) in statuses and ("DELETE", 204) in statuses
    assert all(status < 400 for _, status in statuses)


def test_sdk_errors_carry_the_pce_refusal(pce: illumio.PolicyComputeEngine) -> None:
    pce.pairing_profiles.create(illumio.PairingProfile(name="dup", enabled=True))
    with pytest.raises(illumio.IllumioApiException, match="name_must_be_unique"):
        pce.pairing_profiles.create(illumio.PairingProfile(name="dup", enabled=True))


def test_get_async_follows_the_job(sim: Simulator, pce: illumio.PolicyComputeEngine) -> None:
    sim.update_settings(async_job_progress=["pending", "running"])
    profiles = pce.pairing_profiles.get_async()
    assert [p.name for p in profiles] == ["Default (Servers)", "Default (Endpoints)"]
    polls = [r for r in sim.requests() if "/jobs/" in r["path"]]
    assert len(polls) == 3
