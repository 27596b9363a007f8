"""Refresh many profiles for the price of one collection GET.

A ``pulumi refresh`` of N profiles sends N reads to one provider process. The first read of a
burst is one GET of that profile; a second read soon after means a burst is under way, so the
reader lists every profile of the org once (asynchronously past 500) and answers the rest of
the burst from that snapshot, for a short, bounded time.

Exactness is kept where it matters:
- a profile missing from the snapshot (deleted, or created after it was taken) is confirmed
  with its own GET, so a refresh never drops a profile that still exists;
- a profile this process wrote since the snapshot was taken is read again with its own GET,
  so an update is never answered with the values it replaced.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from pairing_provider.client import PCEClient, PerClient
from pairing_provider.errors import NotFoundError

SNAPSHOT_MAX_AGE_SECONDS = 30.0  # long enough for a large refresh, short enough to stay fresh
BURST_SECONDS = 5.0  # a second read this soon after the first starts a snapshot


class ProfileReader:
    """Reads profiles one by one, or from a shared snapshot while many reads arrive."""

    def __init__(
        self,
        client: PCEClient,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_age: float = SNAPSHOT_MAX_AGE_SECONDS,
    ) -> None:
        self._client = client
        self._clock = clock
        self._max_age = max_age
        self._lock = threading.Lock()
        self._snapshot: dict[str, dict[str, Any]] | None = None
        self._taken_at = float("-inf")
        self._last_read_at = float("-inf")
        self._written: set[str] = set()  # hrefs this process changed since the snapshot

    def get(self, href: str) -> dict[str, Any] | None:
        """The profile as the PCE has it now, or None when it no longer exists."""
        cached = self._from_snapshot(href)
        if cached is not None:
            return cached
        try:
            return self._client.get_pairing_profile(href)
        except NotFoundError:
            return None

    def wrote(self, href: str) -> None:
        """This process created, changed or deleted ``href``: the snapshot no longer knows it."""
        with self._lock:
            self._written.add(href)

    def _from_snapshot(self, href: str) -> dict[str, Any] | None:
        with self._lock:
            now = self._clock()
            burst = now - self._last_read_at <= BURST_SECONDS
            self._last_read_at = now
            if now - self._taken_at > self._max_age:
                if not burst:
                    return None  # a lone read: one GET is cheaper than a listing
                # Taken under the lock: the other worker threads wait for it, not list too.
                profiles = self._client.list_pairing_profiles()
                self._snapshot = {profile["href"]: profile for profile in profiles}
                self._taken_at, self._written = self._clock(), set()
            if self._snapshot is None or href in self._written:
                return None
            return self._snapshot.get(href)


# The process-wide reader for a client's PCE and org.
reader_for: PerClient[ProfileReader] = PerClient(ProfileReader)
