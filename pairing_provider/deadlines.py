"""Hard time limits on HTTP exchanges: one thread for the whole process cuts the socket of every
exchange whose deadline has passed.

Socket timeouts bound each socket operation, not an exchange: a server that sends one byte a
second (TLS handshake, headers or body) keeps a read going for as long as it likes. So each
exchange is watched: when the time left to its operation runs out, its socket is shut down,
whatever phase the exchange is in, and the blocked read or write fails at once.
"""

from __future__ import annotations

import math
import socket
import threading
import time


class Watch:
    """One exchange's deadline, and the socket to cut when it passes."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + max(0.0, seconds)
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._finished = False
        self.fired = False

    def __enter__(self) -> Watch:
        _WATCHDOG.watch(self)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._finished = True
        _WATCHDOG.forget(self)

    def attach(self, sock: socket.socket) -> None:
        """The socket the exchange is blocked on from now (a new connection's, or a TLS one
        that took its place): cut at once if the deadline has already passed."""
        with self._lock:
            self._socket = sock
            fired = self.fired
        if fired:
            _shut(sock)

    def fire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.fired = True
            sock = self._socket
        if sock is not None:
            _shut(sock)


class _Watchdog:
    """One thread for the whole process that fires every watch whose deadline has passed.

    A thread per exchange (a ``threading.Timer``) cost a thread start and stop per request,
    about an eighth of the provider's CPU in a large ``pulumi up``. Here an exchange only adds
    itself to a set and removes itself; the thread sleeps until the earliest deadline of the
    set and is woken only when a new exchange's deadline comes sooner than that.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._watches: set[Watch] = set()
        self._wake_at = math.inf  # when the thread looks next, on time.monotonic()
        self._thread: threading.Thread | None = None

    def watch(self, watch: Watch) -> None:
        with self._changed:
            self._watches.add(watch)
            if self._thread is None or not self._thread.is_alive():  # first use, or a fork
                self._thread = threading.Thread(
                    target=self._run, name="pairing-provider-deadlines", daemon=True
                )
                self._thread.start()
            if watch.deadline < self._wake_at:
                self._wake_at = watch.deadline
                self._changed.notify()

    def forget(self, watch: Watch) -> None:
        # No wake-up: the thread finds the set changed when it next looks, and sleeps again.
        with self._changed:
            self._watches.discard(watch)

    def _run(self) -> None:
        with self._changed:
            while True:
                now = time.monotonic()
                due = [watch for watch in self._watches if watch.deadline <= now]
                for watch in due:
                    self._watches.discard(watch)
                    watch.fire()
                self._wake_at = min((watch.deadline for watch in self._watches), default=math.inf)
                wait = None if self._wake_at == math.inf else self._wake_at - now
                self._changed.wait(timeout=wait)


_WATCHDOG = _Watchdog()


def _shut(sock: socket.socket) -> None:
    try:
        # The plain socket's shutdown, also for TLS: it unblocks a read in another thread
        # without touching the TLS object that thread is using.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed
