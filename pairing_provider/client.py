"""A small typed client for the PCE REST API v2: pairing profiles, pairing keys, labels.

One ``PCEClient`` per connection settings per process (``client_for``): it owns the HTTP
session, the pacer, the refresh reader (``client.profiles``) and the label cache
(``client.labels``), so every resource handled by a provider process shares them, and one
``reset()`` forgets them. Every request goes through ``PCEClient.request``, which owns the
single retry policy; a POST that may have been carried out is resent only after its caller's
``find_created`` look-up found nothing.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from pairing_provider import held_profiles, redaction, transport
from pairing_provider.batch_reads import ProfileReader
from pairing_provider.config import Settings
from pairing_provider.errors import (
    JobFailedError,
    OperationTimeoutError,
    PCEConnectionError,
    PCEError,
    UnexpectedResponseError,
    error_class_for,
)
from pairing_provider.hrefs import DATAFILE_HREF, JOB_HREF, LABEL_HREF, PROFILE_HREF, href_problem
from pairing_provider.labels import LabelDirectory
from pairing_provider.pacing import NoRoomBeforeDeadline, RequestPacer, pacer_for, reset_pacers

log = logging.getLogger("pairing_provider")
redaction.install(log)

IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE"})
UNCLEAR_STATUSES = frozenset({502, 503, 504})  # a gateway's word: the PCE may have done it
DATABASE_LOCK_MESSAGE = "could not get a database lock"
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0
RETRY_AFTER_CAP_SECONDS = 86400.0  # past any deadline; keeps "inf" and 1e308 arithmetic sane
JOB_POLL_SECONDS = 1.0
MAX_REDIRECTS = 5
API_PREFIX = "/api/v2"
ERROR_TEXT_CHARS = 300
PROFILE_FILTERS = (
    "name",
    "description",
    "agent_software_release",
    "external_data_set",
    "external_data_reference",
    "ven_type",
)


class CreateAttempt:
    """What a ``find_created`` look-up is told after a POST got no clear answer."""

    def __init__(self, number: int, error: PCEError) -> None:
        self.number = number  # 1 after the first unclear answer, 2 after the second, ...
        self.error = error  # the unclear answer (a 502/503/504, a dropped connection, ...)

    def __repr__(self) -> str:
        return f"CreateAttempt(number={self.number}, error={type(self.error).__name__})"


FindCreated = Callable[[CreateAttempt], "dict[str, Any] | None"]


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
    only after its caller's look-up found nothing (``PCEClient.create``).
    """

    def __init__(self, max_retries: int, rng: random.Random | None = None) -> None:
        self.max_retries = max_retries
        self._rng = rng or random.Random()

    @staticmethod
    def outcome(
        response: requests.Response | None, failure: requests.RequestException | None
    ) -> Outcome:
        if response is None:
            if isinstance(failure, requests.exceptions.SSLError | transport.DeadlinePassed):
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
    could be made, or TLS was refused): such a request is safe to send again, even a POST."""
    if isinstance(failure, requests.exceptions.SSLError | requests.exceptions.ConnectTimeout):
        return False
    reason = failure.args[0] if failure is not None and failure.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return not isinstance(reason, urllib3.exceptions.NewConnectionError)


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


def parse_error_body(response: requests.Response) -> list[tuple[str, str]]:
    """The PCE's ``[{"token", "message"}]`` (or a single such object) as (token, message).

    Anything else is kept as at most 300 characters of text; ``PCEError`` redacts it all.
    """
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return [("", text[:ERROR_TEXT_CHARS])] if text else []
    items = body if isinstance(body, list) else [body]
    errors = []
    for item in items[:20]:
        if isinstance(item, Mapping):
            token = str(item.get("token") or "")[:ERROR_TEXT_CHARS]
            message = str(item.get("message") or item.get("error") or "")
            errors.append((token, message[:ERROR_TEXT_CHARS]))
        else:
            errors.append(("", str(item)[:ERROR_TEXT_CHARS]))
    return errors


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    try:
        port = parts.port or default
    except ValueError:
        port = -1  # not a port: matches no PCE
    return parts.scheme, (parts.hostname or "").lower(), port


def _int_header(response: requests.Response, name: str) -> int | None:
    value = response.headers.get(name, "").strip()
    return int(value) if value.isascii() and value.isdigit() else None


@dataclass(frozen=True)
class _Request:
    """One API call as its caller asked for it (retries and redirects send it again)."""

    method: str
    path: str
    json_body: Any = None
    params: Mapping[str, Any] | None = None
    headers: Mapping[str, str] | None = None


# (the answer or None, the failure or None)
_Sent = tuple[requests.Response | None, requests.RequestException | None]


class _Found:
    """The object a ``find_created`` look-up returned in place of a POST's answer."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body


class PCEClient:
    """Typed calls for the objects this provider manages. Hrefs are relative to ``/api/v2``."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        pacer: RequestPacer | None = None,
    ) -> None:
        self.settings = settings
        self.retry_policy = RetryPolicy(settings.max_retries)
        self._sleep = sleep
        self._clock = clock
        secret = settings.api_key_secret.get_secret_value()
        redaction.register_secret(settings.api_key_username, secret)
        self._session = transport.new_session(use_environment_proxies=settings.uses_tls)
        self._session.auth = (settings.api_key_username, secret)
        self._session.verify = settings.verify
        self._pacer = pacer or self._default_pacer(settings, clock, sleep)
        self._operation = threading.local()  # each gRPC worker thread runs its own operation
        self._large_collections: set[str] = set()
        self.profiles = ProfileReader(self, clock=clock)
        self.labels = LabelDirectory(self, clock=clock)
        self._warn_about_transport(settings)

    @staticmethod
    def _default_pacer(
        settings: Settings, clock: Callable[[], float], sleep: Callable[[float], None]
    ) -> RequestPacer:
        limit, window = settings.max_requests_per_minute, settings.rate_window
        if clock is time.monotonic and sleep is time.sleep:
            return pacer_for(settings.pce_host, settings.api_key_username, limit, window)
        return RequestPacer(limit, window, clock=clock, sleep=sleep)  # a pacer counts in one clock

    @staticmethod
    def _warn_about_transport(settings: Settings) -> None:
        if settings.insecure:
            log.warning(
                "TLS certificate verification is OFF for %s (illumio:insecure): use "
                "illumio:caFile to trust a private CA instead",
                settings.pce_host,
            )
        if not settings.uses_tls and not settings.is_loopback:
            log.warning(
                "plain http to %s (illumio:allowInsecureHttp): the API key travels in clear",
                settings.pce_host,
            )

    def __repr__(self) -> str:
        return f"PCEClient(pce_host={self.settings.pce_host!r}, org_id={self.settings.org_id})"

    def close(self) -> None:
        self._session.close()

    def reset(self) -> None:
        """Forget every cache of this connection (refresh snapshot, labels, collection sizes)."""
        self.profiles.reset()
        self.labels.reset()
        self._large_collections.clear()

    @property
    def org_href(self) -> str:
        return self.settings.org_href

    # -- deadlines -----------------------------------------------------------------------------

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

    def remaining(self) -> float:
        """Seconds left to the current operation (the whole timeout outside of one)."""
        return self._deadline() - self._clock()

    # -- the one place requests are sent -------------------------------------------------------

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
        result = self._call(_Request(method, path, json_body, params, headers), None)
        assert isinstance(result, requests.Response)  # no find_created: never a _Found
        return result

    def create(
        self, path: str, body: Mapping[str, Any], *, find_created: FindCreated | None = None
    ) -> dict[str, Any]:
        """POST ``body`` to the collection ``path``; the created object.

        On an unclear answer (the request may have been carried out) ``find_created(attempt)``
        is asked for what this POST may have created; an object it returns is the result,
        None sends the POST again under the same retry policy (backoff, Retry-After, retries,
        deadline). Without ``find_created`` an unclear answer is raised. Exceptions from
        ``find_created`` propagate.
        """
        result = self._call(_Request("POST", path, body), find_created)
        if isinstance(result, _Found):
            return result.body
        return self._json_object(result, "POST", path)

    def _call(self, call: _Request, find_created: FindCreated | None) -> requests.Response | _Found:
        method, path = call.method, call.path
        deadline = self._deadline()
        retries = 0
        while True:
            response, failure = self._exchange(call, deadline)
            if failure is None and response is not None and response.status_code < 400:
                return response
            outcome = self.retry_policy.outcome(response, failure)
            retryable = outcome is Outcome.REFUSED or (
                outcome is Outcome.UNCLEAR
                and (method in IDEMPOTENT_METHODS or find_created is not None)
            )
            if retries >= self.retry_policy.max_retries or not retryable:
                raise self._error(method, path, response, failure, retries)
            retries += 1
            self._wait_before_retry(method, path, response, failure, retries, deadline)
            if outcome is Outcome.UNCLEAR and find_created is not None:
                error = self._error(method, path, response, failure, retries - 1)
                log.warning("%s %s got no clear answer (%s): looking it up", method, path, error)
                found = find_created(CreateAttempt(retries, error))
                if found is not None:
                    return _Found(found)

    def _wait_before_retry(
        self,
        method: str,
        path: str,
        response: requests.Response | None,
        failure: requests.RequestException | None,
        retry: int,
        deadline: float,
    ) -> None:
        wait = self.retry_policy.delay(retry, response)
        if self._clock() + wait > deadline:
            timeout = self.settings.operation_timeout
            note = f"gave up: the next retry would pass the {timeout:g}s operation timeout"
            raise self._error(method, path, response, failure, retry - 1, note)
        log.info(
            "%s %s: %s, retry %d/%d in %.1fs",
            method,
            path,
            response.status_code if response is not None else type(failure).__name__,
            retry,
            self.retry_policy.max_retries,
            wait,
        )
        self._sleep(wait)

    def _exchange(self, call: _Request, deadline: float) -> _Sent:
        """One request, following at most ``MAX_REDIRECTS`` same-host redirects of a GET,
        each through the pacer. Returns (response, failure)."""
        method, path, params = call.method, call.path, call.params
        url = self.settings.api_url + path
        redirects = 0
        while True:
            response, failure = self._send_once(call, url, params, deadline)
            if response is None or not response.is_redirect:
                return response, failure
            if redirects == MAX_REDIRECTS:
                why = f"more than {MAX_REDIRECTS} redirects"
                raise self._unexpected(response, method, path, why)
            redirects += 1
            url = self._redirect_target(method, path, url, response)
            params = None  # the Location carries its own query

    def _redirect_target(
        self, method: str, path: str, url: str, response: requests.Response
    ) -> str:
        location = response.headers["Location"]
        if method != "GET":
            raise self._unexpected(response, method, path, "a redirect; not followed")
        target = urljoin(url, location)
        if _origin(target) != _origin(self.settings.pce_host):
            raise self._unexpected(
                response,
                method,
                path,
                f"a redirect to another host ({location[:200]}); not followed, so the API key "
                "is not sent there",
            )
        return target

    def _send_once(
        self, call: _Request, url: str, params: Mapping[str, Any] | None, deadline: float
    ) -> _Sent:
        try:
            with self._pacer.slot(deadline):  # the wait for room is bounded by the deadline too
                response, failure = self._send_in_slot(call, url, params, deadline)
        except NoRoomBeforeDeadline as exc:
            return None, transport.DeadlinePassed(str(exc), sent=False)
        if response is not None:
            log.debug(
                "%s %s -> %s (Request-ID %s)",
                call.method,
                response.request.path_url,
                response.status_code,
                response.headers.get("Request-ID"),
            )
        return response, failure

    def _send_in_slot(
        self, call: _Request, url: str, params: Mapping[str, Any] | None, deadline: float
    ) -> _Sent:
        seconds = deadline - self._clock()
        if seconds <= 0:
            return None, transport.DeadlinePassed("no time left to send it", sent=False)
        per_read = min(self.settings.request_timeout, seconds)
        try:
            response = transport.exchange(
                self._session,
                call.method,
                url,
                seconds=seconds,
                json=call.json_body,
                params=params,
                headers=call.headers,
                timeout=(per_read, per_read),
                # Per request, not only on the session: requests lets REQUESTS_CA_BUNDLE
                # override a session-level CA file (psf/requests#3829).
                verify=self.settings.verify,
            )
        except requests.RequestException as exc:
            return None, exc
        except transport.BodyTooLarge as exc:
            raise self._too_large(call.method, url, str(exc)) from None
        return response, None

    def _too_large(self, method: str, url: str, why: str) -> UnexpectedResponseError:
        path = url[len(self.settings.api_url) :] if url.startswith(self.settings.api_url) else url
        return UnexpectedResponseError(status=0, method=method, path=path, detail=why)

    def _error(
        self,
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
            detail = "; ".join(filter(None, [reason, tried, note, self._scheme_hint(failure)]))
            timed_out = isinstance(failure, transport.DeadlinePassed)
            if timed_out:
                timeout = self.settings.operation_timeout
                detail = f"the {timeout:g}s operation timeout passed; {detail}"
            return (OperationTimeoutError if timed_out else PCEConnectionError)(
                status=0,
                method=method,
                path=path,
                detail=detail,
                maybe_processed=failure.sent
                if isinstance(failure, transport.DeadlinePassed)
                else request_was_sent(failure),
            )
        return error_class_for(response.status_code)(
            status=response.status_code,
            method=method,
            path=path,
            request_id=response.headers.get("Request-ID"),
            errors=parse_error_body(response),
            detail="; ".join(filter(None, [tried, note])),
        )

    def _scheme_hint(self, failure: requests.RequestException | None) -> str:
        """What to check when the answer looks like a scheme mix-up: https spoken to a plain
        http port (``WRONG_VERSION_NUMBER``), or plain http to a TLS port (the server hangs
        up without an answer)."""
        text = str(failure)
        https = self.settings.pce_host.startswith("https://")
        if (https and "WRONG_VERSION_NUMBER" in text) or (
            not https and ("RemoteDisconnected" in text or "Connection reset" in text)
        ):
            return (
                f"check illumio:pceHost ({self.settings.pce_host}): https:// vs http:// and the "
                "port (a PCE serves https, on 8443 on-premises or 443 for SaaS)"
            )
        return ""

    # -- answers that must have a shape ----------------------------------------------------------

    @staticmethod
    def _unexpected(
        response: requests.Response, method: str, path: str, what: str
    ) -> UnexpectedResponseError:
        """Never quotes the body: it may hold an activation code."""
        return UnexpectedResponseError(
            status=response.status_code,
            method=method,
            path=path,
            request_id=response.headers.get("Request-ID"),
            detail=f"unexpected answer: {what}",
        )

    def _json(self, response: requests.Response, method: str, path: str) -> Any:
        try:
            return json.loads(response.content)
        except (ValueError, RecursionError):
            size = len(response.content)
            what = f"a body of {size} bytes that is not JSON"
            raise self._unexpected(response, method, path, what) from None

    def _json_object(self, response: requests.Response, method: str, path: str) -> dict[str, Any]:
        body = self._json(response, method, path)
        if not isinstance(body, dict):
            raise self._unexpected(response, method, path, f"{_kind(body)} where an object is due")
        return body

    def _json_objects(
        self, response: requests.Response, method: str, path: str
    ) -> list[dict[str, Any]]:
        """A listing: a JSON array of objects, each with a text ``href``."""
        body = self._json(response, method, path)
        if not isinstance(body, list):
            raise self._unexpected(response, method, path, f"{_kind(body)} where a list is due")
        for index, item in enumerate(body):
            if not isinstance(item, dict) or not isinstance(item.get("href"), str):
                raise self._unexpected(
                    response, method, path, f"item {index} is not an object with an href"
                )
        return body

    def _object_at(self, href: str) -> dict[str, Any]:
        """GET one object; it must be the one asked for."""
        response = self.request("GET", href)
        body = self._json_object(response, "GET", href)
        if body.get("href") != href:
            got = body.get("href")
            raise self._unexpected(
                response, "GET", href, f"another object ({str(got)[:100]!r}) than the one asked for"
            )
        return body

    # -- collections -----------------------------------------------------------------------------

    def get_collection(self, path: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Every match of a collection GET: synchronous, or asynchronous past the sync cap.

        A collection this client saw past the cap goes asynchronous at once: the synchronous
        page would be thrown away.
        """
        query = {k: v for k, v in (params or {}).items() if v is not None}
        capped_by_caller = "max_results" in query
        key = f"{path}?{sorted(query.items())}"
        if key in self._large_collections and not capped_by_caller:
            return self._get_collection_async(path, query)
        response = self.request("GET", path, params=query)
        items = self._json_objects(response, "GET", path)
        total = _int_header(response, "X-Total-Count")
        if capped_by_caller or total is None or total <= len(items):
            return items
        log.info("%s: %d matches, past the synchronous cap: async collection", path, total)
        if len(self._large_collections) > 64:
            self._large_collections.clear()  # bounded: a few collections are ever listed
        self._large_collections.add(key)
        return self._get_collection_async(path, query)

    def _get_collection_async(self, path: str, params: Mapping[str, Any]) -> list[Any]:
        started = self.request("GET", path, params=params, headers={"Prefer": "respond-async"})
        location = started.headers.get("Location")
        if started.status_code != 202 or not location:
            raise JobFailedError(
                status=started.status_code,
                method="GET",
                path=path,
                request_id=started.headers.get("Request-ID"),
                detail="the PCE did not start an asynchronous collection job",
            )
        job_href = self._api_href(started, path, location, JOB_HREF, "job Location")
        wait = retry_after_seconds(started) or 0.0
        while True:
            self._wait_for_job(path, job_href, wait)
            poll = self.request("GET", job_href)
            job = self._json_object(poll, "GET", job_href)
            status = job.get("status")
            if status == "done":
                result = job.get("result")
                raw = result.get("href") if isinstance(result, dict) else None
                if not isinstance(raw, str):
                    raise self._unexpected(poll, "GET", job_href, "a done job without result.href")
                href = self._api_href(poll, job_href, raw, DATAFILE_HREF, "job result.href")
                return self._json_objects(self.request("GET", href), "GET", href)
            if status == "failed":
                result = job.get("result")
                why = result.get("message") if isinstance(result, dict) else None
                raise JobFailedError(
                    status=poll.status_code,
                    method="GET",
                    path=job_href,
                    request_id=poll.headers.get("Request-ID"),
                    detail=f"asynchronous collection of {path} failed"
                    + (f": {str(why)[:ERROR_TEXT_CHARS]}" if why else ""),
                )
            wait = retry_after_seconds(poll) or JOB_POLL_SECONDS

    def _wait_for_job(self, path: str, job_href: str, wait: float) -> None:
        """Sleep as the PCE asked before the next poll, unless that passes the deadline."""
        left = self.remaining()
        if wait >= left:
            raise JobFailedError(
                status=0,
                method="GET",
                path=job_href,
                detail=(
                    f"asynchronous collection of {path} not done: the PCE asked to poll again "
                    f"in {wait:g}s, past the {self.settings.operation_timeout:g}s operation "
                    f"timeout ({max(0.0, left):.1f}s left)"
                ),
            )
        if wait > 0:
            self._sleep(wait)

    def _api_href(
        self,
        response: requests.Response,
        path: str,
        location: str,
        shape: Any,
        what: str,
    ) -> str:
        """An href from the PCE (a path under /api/v2, or an absolute URL on the PCE's own
        host) as a relative href of ``shape``; anything else is refused, never followed."""
        shown = location[:200]
        relative = location
        if "://" in location or location.startswith("//"):
            if _origin(location) != _origin(self.settings.pce_host):
                raise self._unexpected(
                    response, "GET", path, f"a {what} on another host ({shown}); not followed"
                )
            relative = urlsplit(location).path
        if relative.startswith(API_PREFIX + "/"):
            relative = relative[len(API_PREFIX) :]
        problem = href_problem(shape, relative, "", self.settings.org_id)
        if problem is not None:
            raise self._unexpected(response, "GET", path, f"a {what} {shown!r} that is not valid")
        return relative

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
        return self._object_at(href)

    def create_pairing_profile(
        self, body: Mapping[str, Any], *, find_created: FindCreated | None = None
    ) -> dict[str, Any]:
        path = f"{self.org_href}/pairing_profiles"
        created = self.create(path, body, find_created=find_created)
        href = created.get("href")
        if href_problem(PROFILE_HREF, href, "", self.settings.org_id) is not None:
            raise UnexpectedResponseError(
                status=0, method="POST", path=path, detail="the created profile has no valid href"
            )
        self.profiles.wrote(str(href))
        return created

    def update_pairing_profile(self, href: str, body: Mapping[str, Any]) -> None:
        try:
            self.request("PUT", href, json_body=body)
        finally:
            self.profiles.wrote(href)  # after the PUT ended: a listing taken meanwhile is old

    def delete_pairing_profile(self, href: str) -> None:
        try:
            self.request("DELETE", href)
        finally:
            self.profiles.wrote(href)

    def generate_pairing_key(self, profile_href: str) -> str:
        """A new activation code for the profile. The code is a secret: never log it."""
        path = f"{profile_href}/pairing_key"
        try:
            response = self.request("POST", path, json_body={})
        finally:
            self.profiles.wrote(profile_href)  # its last_pairing_key_generated_* changed
        code = self._json_object(response, "POST", path).get("activation_code")
        if not isinstance(code, str) or not code:
            raise self._unexpected(response, "POST", path, "no activation_code text")
        return code

    # -- labels --------------------------------------------------------------------------------

    def list_labels(
        self, *, key: str | None = None, value: str | None = None, max_results: int | None = None
    ) -> list[dict[str, Any]]:
        params = {"key": key, "value": value, "max_results": max_results}
        return self.get_collection(f"{self.org_href}/labels", params)

    def get_label(self, href: str) -> dict[str, Any]:
        return self._object_at(href)

    def create_label(
        self, body: Mapping[str, Any], *, find_created: FindCreated | None = None
    ) -> dict[str, Any]:
        path = f"{self.org_href}/labels"
        created = self.create(path, body, find_created=find_created)
        if href_problem(LABEL_HREF, created.get("href"), "", self.settings.org_id) is not None:
            raise UnexpectedResponseError(
                status=0, method="POST", path=path, detail="the created label has no valid href"
            )
        self.labels.wrote(created)
        return created

    def update_label(self, href: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """PUT (a partial update), then the label as it now is."""
        self.request("PUT", href, json_body=body)
        label = self._object_at(href)
        self.labels.wrote(label)
        return label

    def delete_label(self, href: str) -> None:
        try:
            self.request("DELETE", href)
        finally:
            self.labels.deleted(href)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "a string" if isinstance(value, str) else "a scalar"


_clients: dict[Settings, PCEClient] = {}
_clients_lock = threading.Lock()


def client_for(settings: Settings) -> PCEClient:
    """The one client for these settings in this process (shared by every provider)."""
    with _clients_lock:
        client = _clients.get(settings)
        if client is None:
            client = _clients[settings] = PCEClient(settings)
        return client


def reset_connections() -> None:
    """Close and forget every client and pacer (tests: a reset simulator meets no old cache)."""
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()
    reset_pacers()
    held_profiles.forget_all()  # the profiles a deployment's resources hold: a new process
