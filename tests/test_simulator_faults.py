"""Fault injection for hostile-network tests of clients (README, "Fault injection")."""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

import pytest
import requests
from test_simulator_support import api, control, create

from pairing_provider.simulator import Simulator

pytest_plugins = ["test_simulator_support"]

PROFILES = "/orgs/1/pairing_profiles"


def test_dripping_body_arrives_slowly_but_whole(sim: Simulator, session: requests.Session) -> None:
    body = {"padding": "x" * 28}  # 43 bytes of JSON
    sim.add_fault(method="GET", status=200, body=body, drip_bytes_per_second=200)
    started = time.monotonic()
    response = session.get(api(sim, PROFILES), timeout=0.15)  # each piece beats the timeout
    elapsed = time.monotonic() - started
    assert response.json() == body
    assert 0.15 <= elapsed < 2


def test_the_real_answer_can_drip(sim: Simulator, session: requests.Session) -> None:
    href = create(session, sim, name="slow")["href"]
    sim.add_fault(method="GET", when="after", merge_body={}, drip_bytes_per_second=20_000)
    started = time.monotonic()
    got = session.get(api(sim, href))
    assert got.json() == session.get(api(sim, href)).json()  # whole, as the PCE answered
    assert time.monotonic() - started >= 0.02


@pytest.mark.parametrize("value", ["999999", "inf", "-1", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_any_header_value_can_be_sent(
    sim: Simulator, session: requests.Session, value: str
) -> None:
    sim.add_fault(status=429, headers={"Retry-After": value, "X-Extra": "1"}, retry_after=5)
    response = session.get(api(sim, PROFILES))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == value  # headers win over retry_after
    assert response.headers["X-Extra"] == "1"


@pytest.mark.parametrize("status", [202, 302])
def test_status_with_location_makes_redirect_loops(
    sim: Simulator, session: requests.Session, status: int
) -> None:
    location = api(sim, PROFILES)
    sim.add_fault(method="GET", status=status, count=3, headers={"Location": location})
    for _ in range(3):
        response = session.get(location, allow_redirects=False)
        assert (response.status_code, response.headers["Location"]) == (status, location)
    assert session.get(location).status_code == 200  # the fault is used up


def test_oversize_body_is_streamed_not_held(sim: Simulator, session: requests.Session) -> None:
    size = 30_000_000  # three times the request limit
    sim.add_fault(method="GET", status=200, body_bytes=size)
    tracemalloc.start()
    try:
        response = session.get(api(sim, PROFILES), stream=True)
        assert response.headers["Content-Length"] == str(size)
        received = sum(len(piece) for piece in response.iter_content(256 * 1024))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received == size
    assert peak < 5_000_000  # neither side held the body


@pytest.mark.parametrize(
    ("fault", "content"),
    [
        ({"raw_body": ""}, b""),
        ({"raw_body": "<html>gateway</html>"}, b"<html>gateway</html>"),
        ({"body": "a string"}, b'"a string"'),
        (
            {"body": [{"href": "/orgs/1/pairing_profiles/1"}]},
            b'[{"href": "/orgs/1/pairing_profiles/1"}]',
        ),
    ],
)
def test_wrongly_shaped_2xx_bodies(
    sim: Simulator, session: requests.Session, fault: dict[str, Any], content: bytes
) -> None:
    href = create(session, sim, name="p")["href"]
    sim.add_fault(method="GET", path=href + "$", status=200, **fault)
    response = session.get(api(sim, href))
    assert response.status_code == 200
    assert response.content == content
    assert response.headers["Content-Length"] == str(len(content))
    is_json = "body" in fault
    assert ("Content-Type" in response.headers) is is_json


def test_get_answering_another_profiles_href(sim: Simulator, session: requests.Session) -> None:
    href = create(session, sim, name="mine")["href"]
    other = "/orgs/1/pairing_profiles/99"
    sim.add_fault(method="GET", when="after", merge_body={"href": other})
    response = session.get(api(sim, href))
    assert response.status_code == 200
    assert response.json()["href"] == other and response.json()["name"] == "mine"
    assert session.get(api(sim, href)).json()["href"] == href


@pytest.mark.parametrize(
    "bad",
    [
        {"body": {}, "raw_body": ""},
        {"body_bytes": 10**10},
        {"body_bytes": -1},
        {"raw_body": 5},
        {"merge_body": {"href": "x"}},  # needs when="after"
        {"merge_body": [1], "when": "after"},
        {"drip_bytes_per_second": 0},
        {"delay": 10_000},
        {"headers": {"Content-Length": "5"}},
        {"headers": {"X-Bad": "a\r\nInjected: 1"}},
        {"headers": {"Bad Name": "1"}},
        {"headers": ["Retry-After"]},
        {"error": "disk_full"},
    ],
)
def test_bad_faults_are_refused_with_the_field_named(sim: Simulator, bad: dict[str, Any]) -> None:
    response = control("POST", f"{sim.url}/_simulator/faults", json=bad)
    assert response.status_code == 400, bad
    field = next(iter(bad)) if len(bad) == 1 or "when" in bad else "body"
    assert field.split("_")[0] in response.json()[0]["message"]
    assert sim.faults() == []
