"""A small typed client for the PCE REST API v2: pairing profiles, pairing keys, labels.

One ``requests.Session`` per client and one client per connection settings per process
(``client_for``), so every resource handled by a provider process shares a connection pool.
Every request goes through ``PCEClient.request``, which owns the single retry policy.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Generic, TypeVar

import requests
import urllib3
from requests.adapters import HTTPAdapter

from pairing_provider.config import Settings
from pairing_provider.errors import (
    JobFailedError,
    PCEConnectionError,
    PCEError,
    error_class_for,
)
from pairing_provider.pacing import pacer_for

log = logging.getLogger("pairing_provider")
Shared = TypeVar("Shared")

IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE"})
RETRYABLE_SERVER_STATUSES = frozenset({502, 503, 504})
DATABASE_LOCK_MESSAGE = "could not get a database lock"
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0
JOB_POLL_SECONDS = 1.0
PROFILE_FILTERS = (
    "name",
    "description",
    "agent_software_release",
    "external_data_set",
    "external_data_reference",
    "ven_type",
)


class RetryPolicy:
    """Which failures are retried, and how long to wait before the next attempt.

    429 is retried for every method (the PCE refused before doing anything), honouring
    ``Retry-After``. 502/503/504, a 406 "database lock" and connection failures are retried only
    for idempotent methods: a POST whose answer was lost may have been carried out.
    """

    def __init__(self, max_retries: int, rng: random.Random | None = None) -> None:
        self.max_retries = max_retries
        self._rng = rng or random.Random()

    def is_retryable(
        self,
        method: str,
        response: requests.Response | None,
        failure: requests.RequestException | None = None,
    ) -> bool:
        if response is None:
            if isinstance(failure, requests.exceptions.SSLError):
                return False  # a certificate problem does not go away by asking again
            return method in IDEMPOTENT_METHODS or not request_was_sent(failure)
        if response.status_code == 429:
            return True
        if method not in IDEMPOTENT_METHODS:
            return False
        if response.status_code in RETRYABLE_SERVER_STATUSES:
            return True
        return response.status_code == 406 and DATABASE_LOCK_MESSAGE in response.text.lower()

    def delay(self, attempt: int, response: requests.Response | None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        asked = retry_after_seconds(response) if response is not None else None
        if asked is not None:
            return asked
        # Full jitter: spreads the retries of concurrent workers instead of syncing them.
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
        return self._rng.uniform(0, ceiling)


def request_was_sent(failure: requests.RequestException | None) -> bool:
    """False when the failure happened before any byte of the request left (no connection
    could be made, or TLS was refused): such a request is safe to send again, even a POST."""
    if isinstance(failure, requests.exceptions.SSLError | requests.exceptions.ConnectTimeout):
        return False
    reason = failure.args[0] if failure is not None and failure.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return not isinstance(reason, urllib3.exceptions.NewConnectionError)


def retry_after_seconds(response: requests.Response) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date; None when absent."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def parse_error_body(response: requests.Response) -> list[tuple[str, str]]:
    """The PCE's ``[{"token", "message"}]`` (or a single such object) as (token, message)."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return [("", text[:300])] if text else []
    items = body if isinstance(body, list) else [body]
    errors = []
    for item in items:
        if isinstance(item, Mapping):
            token = str(item.get("token") or "")
            message = str(item.get("message") or item.get("error") or "")
            errors.append((token, message))
        else:
            errors.append(("", str(item)[:300]))
    return errors


class CreateAttempt:
    """TEMPORARY until the one-retry-policy client lands: the PCE's clock at the first POST."""

    def __init__(self, client: PCEClient, sent_at: float) -> None:
        self._client, self._sent_at = client, sent_at

    def pce_time_at_send(self) -> Any:
        bounds = [
            date + timedelta(seconds=self._sent_at - received)
            for date, received in list(self._client.date_samples)
        ]
        return max(bounds, default=None)


class PCEClient:
    """Typed calls for the objects this provider manages. Hrefs are relative to ``/api/v2``."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.retry_policy = RetryPolicy(settings.max_retries)
        self._sleep = sleep
        self._clock = clock
        self._session = self._new_session(settings)
        self._pacer = pacer_for(
            settings.pce_host,
            settings.api_key_username,
            settings.max_requests_per_minute,
            settings.rate_window,
        )
        self._operation = threading.local()  # each gRPC worker thread runs its own operation
        self.date_samples: deque[tuple[Any, float]] = deque(maxlen=16)
        if settings.insecure:
            log.warning(
                "TLS certificate verification is OFF for %s (illumio:insecure): use "
                "illumio:caFile to trust a private CA instead",
                settings.pce_host,
            )

    def __repr__(self) -> str:
        return f"PCEClient(pce_host={self.settings.pce_host!r}, org_id={self.settings.org_id})"

    @staticmethod
    def _new_session(settings: Settings) -> requests.Session:
        session = requests.Session()
        session.auth = (
            settings.api_key_username,
            settings.api_key_secret.get_secret_value(),
        )
        session.verify = settings.verify
        session.headers.update({"Accept": "application/json"})
        # The dynamic provider server runs 4 worker threads; keep a connection for each.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=8, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def close(self) -> None:
        self._session.close()

    @property
    def org_href(self) -> str:
        return self.settings.org_href

    # -- the one place requests are sent -------------------------------------------------------

    @contextmanager
    def operation(self) -> Iterator[None]:
        """One provider operation: every request and retry in it shares one deadline."""
        if getattr(self._operation, "deadline", None) is not None:
            yield  # nested: the outer operation's deadline holds
            return
        self._operation.deadline = self._clock() + self.settings.operation_timeout
        try:
            yield
        finally:
            self._operation.deadline = None

    def _deadline(self) -> float:
        deadline = getattr(self._operation, "deadline", None)
        return deadline if deadline is not None else self._clock() + self.settings.operation_timeout

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one API call with retries; return the successful response or raise PCEError."""
        url = self.settings.api_url + path
        deadline = self._deadline()
        attempt = 0
        while True:
            response, failure = self._send_once(method, url, json_body, params, headers)
            if failure is None and response is not None and response.status_code < 400:
                return response
            if attempt >= self.retry_policy.max_retries or not self.retry_policy.is_retryable(
                method, response, failure
            ):
                raise self._error(method, path, response, failure, attempt)
            attempt += 1
            wait = self.retry_policy.delay(attempt, response)
            if self._clock() + wait > deadline:
                timeout = self.settings.operation_timeout
                note = f"gave up: the next retry would pass the {timeout:g}s operation timeout"
                raise self._error(method, path, response, failure, attempt - 1, note)
            log.info(
                "%s %s: %s, retry %d/%d in %.1fs",
                method,
                path,
                response.status_code if response is not None else type(failure).__name__,
                attempt,
                self.retry_policy.max_retries,
                wait,
            )
            self._sleep(wait)

    def _send_once(
        self,
        method: str,
        url: str,
        json_body: Any,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
    ) -> tuple[requests.Response | None, requests.RequestException | None]:
        self._pacer.acquire()
        try:
            response = self._session.request(
                method,
                url,
                json=json_body,
                params=params,
                headers=headers,
                timeout=self.settings.request_timeout,
                # Per request, not only on the session: requests lets REQUESTS_CA_BUNDLE
                # override a session-level CA file (psf/requests#3829).
                verify=self.settings.verify,
            )
        except requests.RequestException as exc:
            return None, exc
        try:
            date = parsedate_to_datetime(response.headers["Date"])
            self.date_samples.append((date, time.monotonic()))
        except (KeyError, TypeError, ValueError):
            pass
        log.debug(
            "%s %s -> %s (Request-ID %s)",
            method,
            response.request.path_url,
            response.status_code,
            response.headers.get("Request-ID"),
        )
        return response, None

    @staticmethod
    def _error(
        method: str,
        path: str,
        response: requests.Response | None,
        failure: requests.RequestException | None,
        retries: int,
        note: str = "",
    ) -> PCEError:
        tried = f"after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""
        if response is None:
            # The exception text names the URL and the reason; never the credentials.
            reason = f"{type(failure).__name__}: {failure}"
            detail = "; ".join(filter(None, [reason, tried, note]))
            return PCEConnectionError(
                status=0,
                method=method,
                path=path,
                detail=detail,
                maybe_processed=request_was_sent(failure),
            )
        return error_class_for(response.status_code)(
            status=response.status_code,
            method=method,
            path=path,
            request_id=response.headers.get("Request-ID"),
            errors=parse_error_body(response),
            detail="; ".join(filter(None, [tried, note])),
        )

    # -- collections -----------------------------------------------------------------------------

    def get_collection(self, path: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Every match of a collection GET: synchronous first, asynchronous when truncated."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        response = self.request("GET", path, params=query)
        items = response.json()
        total = _int_header(response, "X-Total-Count")
        capped_by_caller = "max_results" in query
        if capped_by_caller or total is None or total <= len(items):
            return list(items)
        log.info("%s: %d matches, past the synchronous cap: async collection", path, total)
        return self._get_collection_async(path, query)

    def _get_collection_async(self, path: str, params: Mapping[str, Any]) -> list[Any]:
        started = self.request("GET", path, params=params, headers={"Prefer": "respond-async"})
        job_href = started.headers.get("Location")
        if started.status_code != 202 or not job_href:
            raise JobFailedError(
                status=started.status_code,
                method="GET",
                path=path,
                request_id=started.headers.get("Request-ID"),
                detail="the PCE did not start an asynchronous collection job",
            )
        wait = retry_after_seconds(started) or 0.0
        deadline = self._deadline()
        while True:
            self._sleep(wait)
            poll = self.request("GET", job_href)
            job = poll.json()
            status = job.get("status")
            if status == "done":
                return list(self.request("GET", job["result"]["href"]).json())
            if status == "failed" or self._clock() >= deadline:
                raise JobFailedError(
                    status=poll.status_code,
                    method="GET",
                    path=job_href,
                    request_id=poll.headers.get("Request-ID"),
                    detail=f"asynchronous collection of {path} ended as {status!r}",
                )
            wait = retry_after_seconds(poll) or JOB_POLL_SECONDS

    # -- pairing profiles ----------------------------------------------------------------------

    def list_pairing_profiles(
        self,
        *,
        labels: Sequence[Sequence[str]] | None = None,
        max_results: int | None = None,
        **filters: str | None,
    ) -> list[dict[str, Any]]:
        """Profiles matching the PCE's filters (``name`` is a partial match on the PCE)."""
        unknown = set(filters) - set(PROFILE_FILTERS)
        if unknown:
            raise TypeError(f"unknown pairing profile filter(s): {', '.join(sorted(unknown))}")
        params: dict[str, Any] = dict(filters)
        if labels is not None:
            params["labels"] = json.dumps([list(group) for group in labels])
        params["max_results"] = max_results
        return self.get_collection(f"{self.org_href}/pairing_profiles", params)

    def get_pairing_profile(self, href: str) -> dict[str, Any]:
        return self.request("GET", href).json()

    def create_pairing_profile(
        self,
        body: Mapping[str, Any],
        find_created: Callable[[CreateAttempt], dict[str, Any] | None] | None = None,
    ) -> dict[str, Any]:
        # TEMPORARY until the one-retry-policy client lands.
        attempts = self.settings.max_retries + 1
        path = f"{self.org_href}/pairing_profiles"
        sent_at = time.monotonic()
        for attempt in range(1, attempts + 1):
            try:
                return self.request("POST", path, json_body=body).json()  # type: ignore[no-any-return]
            except PCEError as exc:
                ambiguous = (
                    exc.maybe_processed
                    if isinstance(exc, PCEConnectionError)
                    else exc.status in RETRYABLE_SERVER_STATUSES
                )
                if find_created is None or not ambiguous or attempt == attempts:
                    raise
                found = find_created(CreateAttempt(self, sent_at))
                if found is not None:
                    return found
        raise AssertionError("unreachable")

    def update_pairing_profile(self, href: str, body: Mapping[str, Any]) -> None:
        self.request("PUT", href, json_body=body)

    def delete_pairing_profile(self, href: str) -> None:
        self.request("DELETE", href)

    def generate_pairing_key(self, profile_href: str) -> str:
        """A new activation code for the profile. The code is a secret: never log it."""
        response = self.request("POST", f"{profile_href}/pairing_key", json_body={})
        return str(response.json()["activation_code"])

    # -- labels --------------------------------------------------------------------------------

    def list_labels(
        self, *, key: str | None = None, value: str | None = None, max_results: int | None = None
    ) -> list[dict[str, Any]]:
        params = {"key": key, "value": value, "max_results": max_results}
        return self.get_collection(f"{self.org_href}/labels", params)

    def get_label(self, href: str) -> dict[str, Any]:
        return self.request("GET", href).json()


def _int_header(response: requests.Response, name: str) -> int | None:
    try:
        return int(response.headers[name])
    except (KeyError, ValueError):
        return None


class PerClient(Generic[Shared]):
    """One ``Shared`` object per PCE connection in this process, made on first use.

    Caches that every resource of a stack should share (the label listing, the refresh
    snapshot) live here: keyed by the client's settings, so two stacks' PCEs never mix.
    """

    def __init__(self, make: Callable[[PCEClient], Shared]) -> None:
        self._make = make
        self._made: dict[Settings, Shared] = {}
        self._lock = threading.Lock()

    def __call__(self, client: PCEClient) -> Shared:
        with self._lock:
            made = self._made.get(client.settings)
            if made is None:
                made = self._made[client.settings] = self._make(client)
            return made

    def clear(self) -> None:
        """Forget every object made (tests: a reset simulator must not meet old caches)."""
        with self._lock:
            self._made.clear()


_clients: dict[Settings, PCEClient] = {}
_clients_lock = threading.Lock()


def client_for(settings: Settings) -> PCEClient:
    """The process-wide client for these settings (shared by every provider in the process)."""
    with _clients_lock:
        client = _clients.get(settings)
        if client is None:
            client = _clients[settings] = PCEClient(settings)
        return client
