"""Refresh many profiles for the price of one collection GET.

A ``pulumi refresh`` of N profiles sends N reads to one provider process, all at once (the
engine has them read in parallel). A read that finds no fresh snapshot waits a moment
(``BURST_WAIT_SECONDS``) for another read: when one comes, a burst is under way, so the
reader lists every profile of the org once (asynchronously past 500) and answers the whole
burst from that snapshot, for a short, bounded time; when none comes, it is a lone read and
costs one GET. Reads happen only in a refresh or a ``.get``, where a tenth of a second is
nothing next to what the refresh itself takes. Each connection (``client.profiles``) has one
reader; it wraps the endpoints and is told of every write through their ``profile_written``.

Exactness is kept where it matters:
- a profile missing from the snapshot (deleted, or created after it was taken) is confirmed
  with its own GET, so a refresh never drops a profile that still exists;
- a profile this process wrote is read with its own GET until a listing that started after
  the write had finished: the client marks it when the write has ended (not when it starts,
  so a listing taken while a PUT is under way cannot pass for newer than the PUT).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pairing_provider.errors import NotFoundError, PCEError

if TYPE_CHECKING:
    from pairing_provider.endpoints import PCEEndpoints

log = logging.getLogger("pairing_provider")
SNAPSHOT_MAX_AGE_SECONDS = 30.0  # long enough for a large refresh, short enough to stay fresh
BURST_SECONDS = 5.0  # a second read this soon after the first starts a snapshot
BURST_WAIT_SECONDS = 0.1  # how long a read with no recent company waits for another


class ProfileReader:
    """Reads profiles one by one, or from a shared snapshot while many reads arrive."""

    def __init__(
        self,
        client: PCEEndpoints,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_age: float = SNAPSHOT_MAX_AGE_SECONDS,
    ) -> None:
        self._client = client
        self._clock = clock
        self._max_age = max_age
        self._lock = threading.Lock()  # held while a listing is taken
        self._snapshot: dict[str, dict[str, Any]] | None = None
        self._listed_from = float("-inf")  # when the snapshot's listing was started
        self._last_read_at = float("-inf")
        self._written_lock = threading.Lock()  # never waits for a listing
        self._written: dict[str, float] = {}  # href -> when this process's write to it ended
        self._arrived = threading.Condition()  # never waits for a listing either
        self._arrivals = 0

    def get(self, href: str) -> dict[str, Any] | None:
        """The profile as the PCE has it now, or None when it no longer exists."""
        with self._arrived:
            self._arrivals += 1
            arrivals = self._arrivals
            self._arrived.notify_all()
        cached = self._from_snapshot(href, arrivals)
        if cached is not None:
            return cached
        try:
            return self._client.get_pairing_profile(href)
        except NotFoundError:
            return None

    def wrote(self, href: str) -> None:
        """A write (create, update, delete) of ``href`` by this process has just ended."""
        with self._written_lock:
            self._written[href] = self._clock()

    def reset(self) -> None:
        with self._lock, self._written_lock:
            self._snapshot, self._listed_from, self._last_read_at = (
                None,
                float("-inf"),
                float("-inf"),
            )
            self._written.clear()

    def _from_snapshot(self, href: str, arrivals: int) -> dict[str, Any] | None:
        # Another thread may be listing: wait for it no longer than this operation may last,
        # then read this one profile on its own.
        if not self._lock.acquire(timeout=max(0.0, self._client.remaining())):
            return None
        try:
            now = self._clock()
            burst = now - self._last_read_at <= BURST_SECONDS
            self._last_read_at = now
            if now - self._listed_from > self._max_age:
                if not burst and not self._another_read_comes(arrivals):
                    return None  # a lone read: one GET is cheaper than a listing
                self._take_snapshot()
            if self._snapshot is None or self._written_since_listing(href):
                return None
            return self._snapshot.get(href)
        finally:
            self._lock.release()

    def _another_read_comes(self, arrivals: int) -> bool:
        """Whether another read arrives within the burst wait (it then waits for our lock)."""
        wait = min(BURST_WAIT_SECONDS, max(0.0, self._client.remaining()))
        with self._arrived:
            return self._arrived.wait_for(lambda: self._arrivals > arrivals, timeout=wait)

    def _take_snapshot(self) -> None:
        # Taken under the lock: the other worker threads wait for it, not list too.
        started = self._clock()
        try:
            profiles = self._client.list_pairing_profiles()
        except PCEError as exc:
            # A failed listing must not fail the reads it was meant to spare: each reads its
            # own profile with one GET, and no listing is tried again for ``max_age``.
            log.warning("listing profiles for a refresh failed (%s): reading one by one", exc)
            self._snapshot, self._listed_from = None, started
            return
        self._snapshot = {profile["href"]: profile for profile in profiles}
        self._listed_from = started
        with self._written_lock:  # writes that ended before the listing began are in it
            self._written = {h: at for h, at in self._written.items() if at >= started}

    def _written_since_listing(self, href: str) -> bool:
        with self._written_lock:
            ended = self._written.get(href)
        return ended is not None and ended >= self._listed_from
