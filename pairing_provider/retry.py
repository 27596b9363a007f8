"""The retry policy: what a failed answer means for sending the request again, and how long
to wait first (backoff with full jitter, or the PCE's own ``Retry-After``)."""

from __future__ import annotations

import math
import random
import time
from email.utils import parsedate_to_datetime
from enum import Enum

import requests

from pairing_provider.errors import ConnectFailed, DeadlinePassed

IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE"})
UNCLEAR_STATUSES = frozenset({502, 503, 504})  # a gateway's word: the PCE may have done it
DATABASE_LOCK_MESSAGE = "could not get a database lock"
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0
RETRY_AFTER_CAP_SECONDS = 86400.0  # past any deadline; keeps "inf" and 1e308 arithmetic sane
# Failures raised while connecting (connections.py): nothing of the request was sent.
NOT_SENT = (
    ConnectFailed,
    requests.exceptions.SSLError,
    requests.exceptions.ConnectTimeout,
    requests.exceptions.ProxyError,
)


class Outcome(Enum):
    """What an answer that is not a success means for sending the request again."""

    REFUSED = "refused"  # nothing was done (429, database lock, no connection): safe to resend
    UNCLEAR = "unclear"  # it may have been done (lost answer, gateway error)
    FINAL = "final"  # a real answer (or a failure asking again cannot fix)


class RetryPolicy:
    """Which failures are retried, and how long to wait before the next attempt.

    A refusal (429, 406 "database lock", a connection that never opened) is retried for every
    method: the PCE did nothing. An unclear answer (502/503/504, a connection lost after the
    request went out, a read timeout) is retried for idempotent methods; a POST is sent again
    only after its caller's look-up found nothing (``PCESession.create``).
    """

    def __init__(self, max_retries: int, rng: random.Random | None = None) -> None:
        self.max_retries = max_retries
        self._rng = rng or random.Random()

    @staticmethod
    def outcome(
        response: requests.Response | None, failure: requests.RequestException | None
    ) -> Outcome:
        if response is None:
            if isinstance(failure, requests.exceptions.SSLError | DeadlinePassed):
                return Outcome.FINAL  # a bad certificate stays bad; no time is left
            return Outcome.UNCLEAR if request_was_sent(failure) else Outcome.REFUSED
        if response.status_code == 429 or is_database_lock(response):
            return Outcome.REFUSED
        if response.status_code in UNCLEAR_STATUSES:
            return Outcome.UNCLEAR
        return Outcome.FINAL

    def delay(self, attempt: int, response: requests.Response | None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        asked = retry_after_seconds(response) if response is not None else None
        if asked is not None:
            return asked
        # Full jitter: spreads the retries of concurrent workers instead of syncing them.
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
        return self._rng.uniform(0, ceiling)


def is_database_lock(response: requests.Response) -> bool:
    """The PCE's "Could not get a database lock" 406: a refusal, nothing was processed."""
    return response.status_code == 406 and DATABASE_LOCK_MESSAGE in response.text.lower()


def request_was_sent(failure: requests.RequestException | None) -> bool:
    """False when the failure happened before any byte of the request left (no connection
    could be made, the proxy or TLS refused it): such a request is safe to send again, even a
    POST."""
    if isinstance(failure, DeadlinePassed):
        return failure.sent
    return not isinstance(failure, NOT_SENT)


def retry_after_seconds(response: requests.Response) -> float | None:
    """``Retry-After`` as seconds (a number or an HTTP date), clamped to 0..1 day; None when
    absent or meaningless (``nan``, text)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if math.isnan(seconds):
        return None
    return min(max(0.0, seconds), RETRY_AFTER_CAP_SECONDS)
