"""One try at an API call, as one record: the request as its caller asked for it, the answer
or the failure, and how many retries came before. Errors are built from it, and only here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from pairing_provider.config import Settings, where
from pairing_provider.errors import (
    DeadlinePassed,
    OperationTimeoutError,
    PCEConnectionError,
    PCEError,
    error_class_for,
)
from pairing_provider.retry import request_was_sent

ERROR_TEXT_CHARS = 300


@dataclass(frozen=True)
class Request:
    """One API call as its caller asked for it (retries and redirects send it again)."""

    method: str
    path: str
    json_body: Any = None
    params: Mapping[str, Any] | None = None
    headers: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Attempt:
    """One try at ``request``: its answer or its failure (one of the two is set)."""

    request: Request
    response: requests.Response | None = None
    failure: requests.RequestException | None = None
    retries: int = 0  # how many tries came before this one

    @property
    def succeeded(self) -> bool:
        return (
            self.failure is None and self.response is not None and self.response.status_code < 400
        )

    def error(self, settings: Settings, note: str = "") -> PCEError:
        """What this attempt's failure or error answer raises."""
        method, path, response, failure = (
            self.request.method,
            self.request.path,
            self.response,
            self.failure,
        )
        tried = (
            f"after {self.retries} retr{'y' if self.retries == 1 else 'ies'}"
            if self.retries
            else ""
        )
        if response is None:
            # The exception text names the URL and the reason; never the credentials.
            reason = f"{type(failure).__name__}: {failure}"
            hints = [scheme_hint(settings, failure), client_certificate_hint(settings, failure)]
            detail = "; ".join(filter(None, [reason, tried, note, *hints]))
            timed_out = isinstance(failure, DeadlinePassed)
            if timed_out:
                detail = f"the {settings.operation_timeout:g}s operation timeout passed; {detail}"
            return (OperationTimeoutError if timed_out else PCEConnectionError)(
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


def scheme_hint(settings: Settings, failure: requests.RequestException | None) -> str:
    """What to check when the answer looks like a scheme mix-up: https spoken to a plain
    http port (``WRONG_VERSION_NUMBER``), or plain http to a TLS port (the server hangs
    up without an answer)."""
    text = str(failure)
    https = settings.pce_host.startswith("https://")
    if (https and "WRONG_VERSION_NUMBER" in text) or (
        not https and ("RemoteDisconnected" in text or "Connection reset" in text)
    ):
        return (
            f"check illumio:pceHost ({settings.pce_host}): https:// vs http:// and the "
            "port (a PCE serves https, on 8443 on-premises or 443 for SaaS)"
        )
    return ""


# TLS alerts a server sends about the client's certificate (OpenSSL's names for them).
CERTIFICATE_REQUIRED_ALERT = "CERTIFICATE_REQUIRED"  # TLS 1.3: none was sent
TLS_CLOSED = "EOF occurred in violation of protocol"  # ssl.SSLEOFError's text
CERTIFICATE_REFUSED_ALERTS = ("ALERT_BAD_CERTIFICATE", "ALERT_UNKNOWN_CA", "CERTIFICATE_UNKNOWN")


def client_certificate_hint(settings: Settings, failure: requests.RequestException | None) -> str:
    """What to set when the PCE (or a gateway before it) asked for a TLS client certificate,
    or did not accept the one given."""
    text = str(failure)
    settings_named = f"{where('client_cert')} and {where('client_key')}"
    if CERTIFICATE_REQUIRED_ALERT in text:
        return f"the PCE asks for a TLS client certificate: set {settings_named}"
    if settings.client_cert is None and TLS_CLOSED in text:
        # Under TLS 1.3 the server checks the client's certificate after the client thinks
        # the handshake is done: its alert may be lost to the connection's close.
        return (
            "the PCE closed the TLS connection: if it asks for a TLS client certificate, set "
            + settings_named
        )
    if settings.client_cert is not None and any(a in text for a in CERTIFICATE_REFUSED_ALERTS):
        return f"the PCE did not accept the TLS client certificate of {settings_named}"
    return ""


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
