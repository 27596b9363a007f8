"""Pacing: stay under the PCE's per-API-key rate limit instead of bouncing off 429s.

The PCE allows 500 requests per minute per API key and counts a request when it arrives,
which is some time after this process sent it. Counting at send time lets a request sent
exactly one window after an earlier one arrive less than a window after it (the earlier one
travelled slower), and the PCE refuses it. So a request holds its slot from the moment it is
sent until its answer arrives, and only then starts its window: the PCE saw it before the
answer left, so a window measured from the answer's arrival is never shorter than the PCE's.
That makes a limit set exactly to the PCE's own safe; no margin is needed for latency.

All threads of a provider process (the dynamic provider server runs 4), and every connection
setting with the same PCE and API key (settings that differ only in timeouts, say), share one
pacer: the PCE counts per key, not per connection. And the next process (each ``pulumi``
command starts one) starts from this one's recent answers, through a budget file
(:mod:`.budget_file`): the PCE's window does not end with the process.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pairing_provider.budget_file import BudgetFile
from pairing_provider.errors import NoRoomBeforeDeadline

__all__ = ["NoRoomBeforeDeadline", "RequestPacer", "pacer_for", "reset_pacers"]


class RequestPacer:
    """At most ``limit`` requests in any ``window`` seconds, across every thread sharing it."""

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        budget_file: BudgetFile | None = None,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._answered: deque[float] = deque()  # when answers arrived, oldest first
        self._in_flight = 0
        self._changed = threading.Condition()
        self._budget_file = budget_file
        if budget_file is not None:  # what earlier processes spent of the window still counts
            now = clock()
            self._answered.extend(now - age for age in budget_file.recent_ages())

    def acquire(self, deadline: float | None = None) -> float:
        """Block until a request may be sent and take a slot; return the seconds waited.

        Never waits past ``deadline`` (on this pacer's clock): ``NoRoomBeforeDeadline`` is
        raised instead, with no slot taken. Every ``acquire`` must be followed by one
        ``release`` when the answer (or the failure) has arrived: ``slot()`` pairs them.
        """
        waited = 0.0
        while True:
            with self._changed:
                now = self._clock()
                while self._answered and now - self._answered[0] >= self.window:
                    self._answered.popleft()
                if len(self._answered) + self._in_flight < self.limit:
                    self._in_flight += 1
                    return waited
                left = self.window if deadline is None else deadline - now
                if not self._answered:
                    # Every slot is a request still under way: wait for one of them to end.
                    if left <= 0:
                        raise NoRoomBeforeDeadline(waited)
                    self._changed.wait(timeout=min(self.window, left))
                    continue
                pause = self.window - (now - self._answered[0])
                if pause > left:
                    raise NoRoomBeforeDeadline(waited)
            # Sleep outside the lock, so other threads can see the window move too.
            self._sleep(pause)
            waited += pause

    def release(self) -> None:
        """The answer to one acquired request arrived: its window starts now."""
        with self._changed:
            self._in_flight -= 1
            self._answered.append(self._clock())
            self._changed.notify_all()
        if self._budget_file is not None:  # outside the lock: the other threads need not wait
            self._budget_file.record()

    @contextmanager
    def slot(self, deadline: float | None = None) -> Iterator[float]:
        """``with pacer.slot():`` around one request: waits for room, frees it at the answer."""
        waited = self.acquire(deadline)
        try:
            yield waited
        finally:
            self.release()

    def tighten(self, limit: int, window: float) -> None:
        """Keep the stricter of two settings for the same API key (the PCE has one limit)."""
        with self._changed:
            self.limit = min(self.limit, limit)
            self.window = max(self.window, window)
            if self._budget_file is not None:
                self._budget_file.window = self.window


_pacers: dict[tuple[str, str], RequestPacer] = {}
_pacers_lock = threading.Lock()


def pacer_for(pce_host: str, api_key: str, limit: int, window: float) -> RequestPacer:
    """The process-wide pacer of one API key on one PCE (the PCE counts per key)."""
    with _pacers_lock:
        pacer = _pacers.get((pce_host, api_key))
        if pacer is None:
            budget_file = BudgetFile.for_key(pce_host, api_key, window)
            pacer = RequestPacer(limit, window, budget_file=budget_file)
            _pacers[(pce_host, api_key)] = pacer
        else:
            pacer.tighten(limit, window)
        return pacer


def reset_pacers() -> None:
    """Forget every pacer (tests: a fresh simulator has a fresh rate window). Their budget
    files stay: a pacer made after this starts from them, as a new process would."""
    with _pacers_lock:
        _pacers.clear()
