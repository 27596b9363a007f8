"""The sending layers of the PCE client, each named for what it adds (as httpx's ``Client``):

``request``/``create`` → ``_send_handling_retries`` (retry policy, and the find-created look-up
of a POST that got no clear answer) → ``_send_handling_redirects`` (same-host GET redirects)
→ ``_send_paced`` (a slot in the request budget) → ``_send_single_request`` (the time left to
the operation's deadline) → ``transport.exchange``. Every request and retry of one provider
operation shares that operation's deadline (``operation()``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from pairing_provider import redaction, transport
from pairing_provider.answers import json_object, unexpected
from pairing_provider.attempt import Attempt, Request
from pairing_provider.config import Settings
from pairing_provider.connections import DEFAULT_PORTS
from pairing_provider.errors import (
    BodyTooLarge,
    ConfigurationError,
    DeadlinePassed,
    NoRoomBeforeDeadline,
    PCEError,
    UnexpectedResponseError,
)
from pairing_provider.pacing import RequestPacer, pacer_for
from pairing_provider.retry import IDEMPOTENT_METHODS, Outcome, RetryPolicy

log = logging.getLogger("pairing_provider")
redaction.install(log)

MAX_REDIRECTS = 5


class CreateAttempt:
    """What a ``find_created`` look-up is told after a POST got no clear answer."""

    def __init__(self, number: int, error: PCEError) -> None:
        self.number = number  # 1 after the first unclear answer, 2 after the second, ...
        self.error = error  # the unclear answer (a 502/503/504, a dropped connection, ...)

    def __repr__(self) -> str:
        return f"CreateAttempt(number={self.number}, error={type(self.error).__name__})"


FindCreated = Callable[[CreateAttempt], "dict[str, Any] | None"]


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of ``url``: the API key is only ever sent to the PCE's own."""
    parts = urlsplit(url)
    default = DEFAULT_PORTS.get(parts.scheme)
    try:
        port = parts.port or default
    except ValueError:
        port = -1  # not a port: matches no PCE
    return parts.scheme, (parts.hostname or "").lower(), port


class PCESession:
    """Sends API calls to one PCE: deadline → pace → redirects → retries → find-created."""

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
        if settings.https_proxy is not None:
            redaction.register_url_credentials(settings.https_proxy)
        self._session = transport.Transport(
            auth=(settings.api_key_username, secret),
            verify=settings.verify,
            cert=settings.client_certificate,
            proxy=settings.https_proxy,
            # Over plain http an environment proxy would read the API key in clear.
            use_environment_proxies=settings.uses_tls,
        )
        try:  # the proxy the environment names is chosen now: a bad one is a settings problem
            self._session.route(urlsplit(settings.api_url))
        except ValueError as exc:
            problem = f"the proxy HTTPS_PROXY or ALL_PROXY names for {settings.pce_host}: {exc}"
            raise ConfigurationError([problem]) from None
        self._pacer = pacer or self._default_pacer(settings, clock, sleep)
        self._operation = threading.local()  # each gRPC worker thread runs its own operation
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

    def close(self) -> None:
        self._session.close()

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

    # -- what callers send ---------------------------------------------------------------------

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
        result = self._send_handling_retries(Request(method, path, json_body, params, headers))
        assert isinstance(result, requests.Response)  # no find_created: never a found object
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
        result = self._send_handling_retries(Request("POST", path, body), find_created)
        if isinstance(result, dict):
            return result  # what find_created found
        return json_object(result, "POST", path)

    # -- the layers ------------------------------------------------------------------------------

    def _send_handling_retries(
        self, request: Request, find_created: FindCreated | None = None
    ) -> requests.Response | dict[str, Any]:
        """The successful answer, or the object ``find_created`` found after an unclear one."""
        deadline = self._deadline()
        retries = 0
        while True:
            attempt = self._send_handling_redirects(request, deadline)
            if retries:
                attempt = replace(attempt, retries=retries)
            if attempt.succeeded:
                assert attempt.response is not None
                return attempt.response
            outcome = self.retry_policy.outcome(attempt.response, attempt.failure)
            retryable = outcome is Outcome.REFUSED or (
                outcome is Outcome.UNCLEAR
                and (request.method in IDEMPOTENT_METHODS or find_created is not None)
            )
            if retries >= self.retry_policy.max_retries or not retryable:
                raise attempt.error(self.settings)
            self._wait_before_retry(attempt, deadline)
            retries += 1
            if outcome is Outcome.UNCLEAR and find_created is not None:
                error = attempt.error(self.settings)
                log.warning(
                    "%s %s got no clear answer (%s): looking it up",
                    request.method,
                    request.path,
                    error,
                )
                found = find_created(CreateAttempt(retries, error))
                if found is not None:
                    return found

    def _wait_before_retry(self, attempt: Attempt, deadline: float) -> None:
        retry = attempt.retries + 1
        wait = self.retry_policy.delay(retry, attempt.response)
        if self._clock() + wait > deadline:
            timeout = self.settings.operation_timeout
            note = f"gave up: the next retry would pass the {timeout:g}s operation timeout"
            raise attempt.error(self.settings, note)
        log.info(
            "%s %s: %s, retry %d/%d in %.1fs",
            attempt.request.method,
            attempt.request.path,
            attempt.response.status_code
            if attempt.response is not None
            else type(attempt.failure).__name__,
            retry,
            self.retry_policy.max_retries,
            wait,
        )
        self._sleep(wait)

    def _send_handling_redirects(self, request: Request, deadline: float) -> Attempt:
        """One request, following at most ``MAX_REDIRECTS`` same-host redirects of a GET,
        each through the pacer."""
        url = self.settings.api_url + request.path
        params = request.params
        redirects = 0
        while True:
            attempt = self._send_paced(request, url, params, deadline)
            if attempt.response is None or not attempt.response.is_redirect:
                return attempt
            if redirects == MAX_REDIRECTS:
                why = f"more than {MAX_REDIRECTS} redirects"
                raise unexpected(attempt.response, request.method, request.path, why)
            redirects += 1
            url = self._redirect_target(request, url, attempt.response)
            params = None  # the Location carries its own query

    def _redirect_target(self, request: Request, url: str, response: requests.Response) -> str:
        method, path = request.method, request.path
        location = response.headers["Location"]
        if method != "GET":
            raise unexpected(response, method, path, "a redirect; not followed")
        target = urljoin(url, location)
        if origin(target) != origin(self.settings.pce_host):
            raise unexpected(
                response,
                method,
                path,
                f"a redirect to another host ({location[:200]}); not followed, so the API key "
                "is not sent there",
            )
        return target

    def _send_paced(
        self, request: Request, url: str, params: Mapping[str, Any] | None, deadline: float
    ) -> Attempt:
        try:
            with self._pacer.slot(deadline):  # the wait for room is bounded by the deadline too
                attempt = self._send_single_request(request, url, params, deadline)
        except NoRoomBeforeDeadline as exc:
            return Attempt(request, failure=exc)
        if attempt.response is not None and log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s -> %s (Request-ID %s)",
                request.method,
                attempt.response.request.path_url,
                attempt.response.status_code,
                attempt.response.headers.get("Request-ID"),
            )
        return attempt

    def _send_single_request(
        self, request: Request, url: str, params: Mapping[str, Any] | None, deadline: float
    ) -> Attempt:
        seconds = deadline - self._clock()
        if seconds <= 0:
            failure = DeadlinePassed("no time left to send it", sent=False)
            return Attempt(request, failure=failure)
        try:
            response = self._session.exchange(
                request.method,
                url,
                seconds=seconds,
                timeout=self.settings.request_timeout,
                json=request.json_body,
                params=params,
                headers=request.headers,
            )
        except requests.RequestException as exc:
            return Attempt(request, failure=exc)
        except BodyTooLarge as exc:
            raise self._too_large(request.method, url, str(exc)) from None
        return Attempt(request, response=response)

    def _too_large(self, method: str, url: str, why: str) -> UnexpectedResponseError:
        path = url[len(self.settings.api_url) :] if url.startswith(self.settings.api_url) else url
        return UnexpectedResponseError(status=0, method=method, path=path, detail=why)
