"""One try at an API call, as one record: the request as its caller asked for it, the answer
or the failure, and how many retries came before. Errors are built from it, and only here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from pairing_provider import transport
from pairing_provider.config import Settings
from pairing_provider.errors import (
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
            detail = "; ".join(filter(None, [reason, tried, note, scheme_hint(settings, failure)]))
            timed_out = isinstance(failure, transport.DeadlinePassed)
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
