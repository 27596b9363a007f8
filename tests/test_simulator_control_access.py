"""Who may use the simulator's control API: a loopback client holding the simulator's API key,
asking under a name the simulator serves on. Not any local process (it would read every
activation code issued), not a browser page under a rebound DNS name.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator

import pytest
import requests
from test_simulator_support import SECRET, USER, assert_refused, call, control, create

from pairing_provider.simulator import ControlClient, ControlError, Simulator
from pairing_provider.simulator.control import host_name

pytest_plugins = ["test_simulator_support"]

ROUTES = [
    ("GET", "/requests"),
    ("DELETE", "/requests"),
    ("POST", "/reset"),
    ("GET", "/faults"),
    ("POST", "/faults"),
    ("DELETE", "/faults"),
    ("GET", "/settings"),
    ("PUT", "/settings"),
    ("GET", "/pairing_keys"),
]


@pytest.fixture
def issued(sim: Simulator, session: requests.Session) -> Iterator[str]:
    """A profile with a key issued: what a trespasser would be after."""
    href = create(session, sim, name="web")["href"]
    response = session.post(f"{sim.api_url}{href}/pairing_key", json={})
    yield response.json()["activation_code"]


@pytest.mark.parametrize("credentials", [None, (USER, "wrong"), ("someone", SECRET)])
def test_no_control_without_the_api_key(
    credentials: tuple[str, str] | None, sim: Simulator, issued: str
) -> None:
    for method, path in ROUTES:
        response = call(method, f"{sim.url}/_simulator{path}", auth=credentials, json={})
        assert_refused(response, 401, "authentication_required")
        assert issued not in response.text
    # Nothing happened: no reset, no fault, settings as they were.
    assert [key["activation_code"] for key in sim.pairing_keys()] == [issued]
    assert sim.faults() == [] and sim.settings()["release"] == "current"


def host_header(sim: Simulator, host: str | None) -> tuple[int, bytes]:
    """GET /_simulator/pairing_keys with this Host header (None: none), the API key sent."""
    connection = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10)
    try:
        connection.putrequest("GET", "/_simulator/pairing_keys", skip_host=True)
        if host is not None:
            connection.putheader("Host", host)
        connection.putheader("Authorization", requests.auth._basic_auth_str(USER, SECRET))
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_only_the_names_the_simulator_serves_on(sim: Simulator, issued: str) -> None:
    port = sim.port
    for good in ("127.0.0.1", f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
        assert host_header(sim, good)[0] == 200, good
    assert host_header(sim, f"LocalHost:{port}")[0] == 200  # names are case-insensitive
    rebound = [
        f"attacker.example:{port}",  # DNS rebinding: the page's own name, resolving to us
        f"127.0.0.1.attacker.example:{port}",
        f"localhost.:{port}",
        f"127.0.0.2:{port}",
        "0.0.0.0",  # noqa: S104 (a Host header, not a bind)
        "",
        None,
        "127.0.0.1:8443:1",
    ]
    for bad in rebound:
        status, body = host_header(sim, bad)
        assert status == 403, bad
        assert b"host_not_allowed" in body and issued.encode() not in body


def test_the_host_given_is_a_name_it_serves_on() -> None:
    """127.0.0.2 is loopback too on Linux: started there, it answers under that name."""
    with Simulator(api_key_username=USER, api_key_secret=SECRET, host="127.0.0.2") as sim:
        assert control("GET", f"{sim.url}/_simulator/requests").status_code == 200
        assert sim.url.startswith("http://127.0.0.2:")
    assert host_name("[::1]:8443") == "::1" and host_name("Example.COM") == "example.com"


def test_the_control_client_sends_the_key(sim: Simulator, issued: str) -> None:
    client = sim.control_client()
    assert [key["activation_code"] for key in client.pairing_keys()] == [issued]
    assert client.add_fault(path="labels", status=500)["status"] == 500
    assert len(client.faults()) == 1
    client.clear_faults()
    assert client.update_settings(release="legacy")["release"] == "legacy"
    assert client.settings()["release"] == "legacy"
    assert [r["method"] for r in client.requests()] == ["POST", "POST"]
    client.clear_requests()
    client.reset(seed_defaults=False)
    assert client.pairing_keys() == [] and client.requests() == []
    wrong = ControlClient(sim.url or "", USER, "wrong")
    with pytest.raises(ControlError, match="HTTP 401") as refused:
        wrong.requests()
    assert refused.value.status == 401
    with pytest.raises(ValueError, match="http:// or https://"):
        ControlClient("file:///etc/passwd", USER, SECRET)


def test_the_control_client_over_tls() -> None:
    pytest.importorskip("cryptography")
    with Simulator(api_key_username=USER, api_key_secret=SECRET, tls=True) as sim:
        assert sim.control_client().requests() == []
