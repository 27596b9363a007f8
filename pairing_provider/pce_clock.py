"""The PCE's own time, bounded from below by the ``Date`` headers of its answers.

Deciding whether an object found after a lost POST answer is the one that POST created needs
the PCE's time at the moment the POST was sent (its ``created_at`` is in the PCE's clock, not
ours). An answer received at local monotonic time ``w1`` with ``Date: D`` (whole seconds,
rounded down) was made at a PCE time of at least ``D`` and before ``w1``, so at any local
time ``w0`` the PCE's time was at least ``D + (w0 - w1)``. The best bound is the largest over
recent answers; both clocks are assumed to run at the same rate (NTP keeps them close).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from pairing_provider.errors import PCEError

SAMPLES_KEPT = 32  # recent answers only: a PCE clock that was stepped back ages out


class PCEClock:
    """A small, bounded record of (local arrival time, PCE ``Date``) pairs."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._samples: deque[tuple[float, datetime]] = deque(maxlen=SAMPLES_KEPT)
        self._lock = threading.Lock()

    def observe(self, date_header: str | None) -> None:
        """Record one answer's ``Date``, as it arrives; unparsable or naive dates are ignored."""
        if not date_header:
            return
        try:
            stamp = parsedate_to_datetime(date_header)
        except (TypeError, ValueError, IndexError):
            return
        if stamp.tzinfo is None:
            return  # "-0000" or no zone: not a time the PCE vouched for in UTC
        with self._lock:
            self._samples.append((self._clock(), stamp.astimezone(UTC)))

    def lower_bound_at(self, local: float) -> datetime | None:
        """A time the PCE's clock was certainly past at local monotonic time ``local``."""
        with self._lock:
            samples = list(self._samples)
        bounds = [stamp + timedelta(seconds=local - arrived) for arrived, stamp in samples]
        return max(bounds, default=None)


class CreateAttempt:
    """What a ``find_created`` look-up is told after a POST got no clear answer."""

    def __init__(self, number: int, error: PCEError, pce_clock: PCEClock, sent_at: float):
        self.number = number  # 1 after the first unclear answer, 2 after the second, ...
        self.error = error  # the unclear answer (a 502/503/504, a dropped connection, ...)
        self._pce_clock = pce_clock
        self._sent_at = sent_at

    def pce_time_at_send(self) -> datetime | None:
        """A lower bound of the PCE's time when the FIRST POST of this create was sent.

        Computed on each call, so answers received since (the look-up's own included)
        tighten it. None when no answer ever carried a ``Date``.
        """
        return self._pce_clock.lower_bound_at(self._sent_at)

    def __repr__(self) -> str:
        return f"CreateAttempt(number={self.number}, error={type(self.error).__name__})"


def parse_rfc3339(text: str) -> datetime:
    """A PCE timestamp (``2026-01-01T00:00:00.000Z``) as an aware datetime; ValueError when it
    is not one, a timestamp without a time zone included (it could not be compared)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"no time zone in {text!r}")
    return moment
