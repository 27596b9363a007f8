"""Pacing: stay under the PCE's per-API-key rate limit instead of bouncing off 429s.

The PCE allows 500 requests per minute per API key. All threads of a provider process (the
dynamic provider server runs 4) share one pacer per PCE and key, a sliding window over the
moments requests were sent: request N+1 waits until the oldest of the last N has left it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RequestPacer:
    """At most ``limit`` sends in any ``window`` seconds, across every thread that shares it."""

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until a request may be sent; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and now - self._sent[0] >= self.window:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return waited
                pause = self.window - (now - self._sent[0])
            # Sleep outside the lock, so other threads can see the window move too.
            self._sleep(pause)
            waited += pause


_pacers: dict[tuple[str, str, int, float], RequestPacer] = {}
_pacers_lock = threading.Lock()


def pacer_for(pce_host: str, api_key: str, limit: int, window: float) -> RequestPacer:
    """The process-wide pacer of one API key on one PCE (the PCE counts per key)."""
    key = (pce_host, api_key, limit, window)
    with _pacers_lock:
        pacer = _pacers.get(key)
        if pacer is None:
            pacer = _pacers[key] = RequestPacer(limit, window)
        return pacer
