"""Hostile input: the simulator answers cleanly, stays up and keeps its memory bounded."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests
from test_simulator_support import SECRET, USER, api, assert_refused, call, control

from pairing_provider.simulator import Simulator
from pairing_provider.simulator.framing import MAX_BODY, MAX_JSON_DEPTH

pytest_plugins = ["test_simulator_support"]

PROFILES = "/orgs/1/pairing_profiles"


def raw_exchange(sim: Simulator, data: bytes) -> bytes:
    """Send raw bytes on a fresh connection; everything the server answers before closing.

    The write side stays open: a server that waits for more body (as one reading a chunk
    of size -1 "to the end" would) times the test out instead of answering.
    """
    host, port = sim.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
            if len(received) > 1_000_000:  # bounded: a runaway answer fails the test
                break
    return received


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def chunked_post(path: str, chunks: bytes) -> bytes:
    return (
        f"POST /api/v2{path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: application/json\r\n\r\n"
    ).encode() + chunks


@pytest.fixture
def small_log() -> Iterator[Simulator]:
    with Simulator(USER, SECRET, request_log_limit=50) as simulator:
        yield simulator


def test_unauthenticated_flood_keeps_the_log_bounded_and_bodyless(small_log: Simulator) -> None:
    with requests.Session() as flood:
        for index in range(120):
            response = flood.post(
                api(small_log, PROFILES), json={"junk": "x" * 1000, "n": index}, timeout=5
            )
            assert response.status_code == 401
    log = small_log.requests()
    assert len(log) == 50
    assert all(entry["body"] is None and entry["status"] == 401 for entry in log)
    with requests.Session() as session:  # still serving, and accepted bodies are kept
        session.auth = (USER, SECRET)
        session.post(api(small_log, PROFILES), json={"enabled": True}, timeout=5)
    assert small_log.requests()[-1]["body"] == {"enabled": True}
    assert len(small_log.requests()) == 50


@pytest.mark.parametrize(
    "size_line",
    [b"-1", b"-0", b"0x10", b"fffffffff", b"", b" ", b"1_0", b"\xd9\xa1"],
)
def test_malformed_chunk_sizes_are_400(sim: Simulator, size_line: bytes) -> None:
    answer = raw_exchange(sim, chunked_post(PROFILES, size_line + b"\r\n"))
    assert status_of(answer) == 400
    assert b"Connection: close" in answer
    assert call("GET", api(sim, PROFILES), auth=(USER, SECRET)).status_code == 200


def test_chunks_adding_up_past_the_limit_are_413_without_reading_them(sim: Simulator) -> None:
    first = f"{MAX_BODY // 2:x}\r\n".encode() + b" " * (MAX_BODY // 2) + b"\r\n"
    second = f"{MAX_BODY // 2 + 1:x}\r\n".encode()  # announced, never sent
    answer = raw_exchange(sim, chunked_post(PROFILES, first + second))
    assert status_of(answer) == 413
    assert sim.state.profiles == {}


@pytest.mark.parametrize("length", ["-1", "+5", "1e3", "99999999999999", "٣"])
def test_bad_or_huge_content_length(sim: Simulator, length: str) -> None:
    request = f"POST /api/v2{PROFILES} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n"
    answer = raw_exchange(sim, request.encode())
    assert status_of(answer) in (400, 413)


@pytest.mark.parametrize(("path", "status"), [(PROFILES, 406), ("/orgs/1/labels", 406)])
def test_deeply_nested_json_is_a_clean_refusal(
    sim: Simulator, session: requests.Session, path: str, status: int
) -> None:
    for body in (b"[" * 200_000, b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)):
        response = session.post(
            api(sim, path), data=body, headers={"Content-Type": "application/json"}
        )
        assert_refused(response, status, "input_validation_error", "JSON")
    refused = control("POST", f"{sim.url}/_simulator/faults", data=b"{" * 200_000)
    assert refused.status_code == 400
    assert session.get(api(sim, PROFILES)).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/orgs/1/pairing_profiles/" + "9" * 5000,
        "/orgs/1/pairing_profiles/" + "1" * 19,
        "/orgs/" + "1" * 5000 + "/pairing_profiles",
        "/orgs/1/labels/" + "7" * 5000,
        "/orgs/1/pairing_profiles/\u0661",  # an Arabic-Indic digit: not an id
    ],
)
def test_huge_or_non_ascii_ids_are_404(
    sim: Simulator, session: requests.Session, path: str
) -> None:
    for method in ("GET", "PUT", "DELETE"):
        response = session.request(method, api(sim, path), json={})
        assert_refused(response, 404, "not_found")
        assert len(response.text) < 500  # no traceback, no echo of the whole id


def test_long_unknown_query_names_are_refused_briefly(
    sim: Simulator, session: requests.Session
) -> None:
    response = session.get(api(sim, PROFILES), params={"x" * 20_000: "1"})
    assert_refused(response, 406, "input_validation_error", "Unknown query parameter")
    assert len(response.text) < 500
    assert len(sim.requests()[-1]["path"]) < 5000  # the log keeps a bounded path
