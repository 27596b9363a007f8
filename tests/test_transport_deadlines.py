"""Every exchange is bounded by its deadline through one watchdog thread for the process,
not a thread per request (a ``threading.Timer`` each cost a thread start per request)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from pairing_provider import transport
from pairing_provider.client import PCEClient


class SilentServer:
    """Accepts connections, reads the request, and never answers (until closed)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/api/v2/x"
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # closed
            self.connections.append(connection)

    def close(self) -> None:
        self.listener.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def test_many_requests_start_no_thread_each(
    client: PCEClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str] = []
    start = threading.Thread.start
    me = threading.current_thread()

    def counting_start(thread: threading.Thread) -> None:
        if threading.current_thread() is me:  # not the simulator's thread per connection
            started.append(thread.name)
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", counting_start)
    with client.operation():
        for _ in range(60):
            client.list_labels()

    # At most the process's one watchdog, when no exchange ran before in this process.
    assert len(started) <= 1, started


def test_a_later_exchange_with_a_sooner_deadline_is_cut_at_its_own(
    silent: SilentServer,
) -> None:
    """The watchdog sleeping toward a far deadline still wakes for a nearer one."""
    session = transport.Transport(auth=("user", "secret"))

    def wait_for_answer(seconds: float) -> float:
        begun = time.monotonic()
        with pytest.raises(transport.DeadlinePassed):
            session.exchange("GET", silent.url, seconds=seconds, timeout=30)
        return time.monotonic() - begun

    with ThreadPoolExecutor(2) as pool:
        far = pool.submit(wait_for_answer, 1.5)
        time.sleep(0.2)  # the far one is being watched first
        near = pool.submit(wait_for_answer, 0.5)
        near_took, far_took = near.result(timeout=10), far.result(timeout=10)

    assert 0.5 <= near_took < 1.3
    assert 1.5 <= far_took < 2.5
    session.close()


def test_an_exchange_that_ended_is_never_cut_later(silent: SilentServer) -> None:
    """A watch forgotten at the end of its exchange does not fire on the next one."""
    session = transport.Transport(auth=("user", "secret"))
    with pytest.raises(transport.DeadlinePassed):
        session.exchange("GET", silent.url, seconds=0.2, timeout=30)
    # The next exchange reuses nothing of the first: its own full deadline holds.
    begun = time.monotonic()
    with pytest.raises(transport.DeadlinePassed):
        session.exchange("GET", silent.url, seconds=0.8, timeout=30)
    assert time.monotonic() - begun >= 0.8
    session.close()
