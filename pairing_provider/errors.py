"""Exceptions the provider raises. Each message is meant to be read in a `pulumi up` log.

None of them ever carries a credential or an activation code: they are built from the HTTP
method, the path, the status, the PCE's own error tokens and its Request-ID.
"""

from __future__ import annotations

from typing import Any

import requests

from pairing_provider.redaction import redact


class IllumioError(Exception):
    """Base class of every error this package raises."""


class ConfigurationError(IllumioError):
    """Connection settings are missing or malformed; lists every problem at once."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"Illumio provider configuration is invalid:\n{listing}")


class InvalidHrefError(IllumioError, ValueError):
    """An href (a resource id or an input) that is not the kind of object it must name."""


class InvalidInputError(IllumioError, ValueError):
    """Inputs that reached a create or update invalid (a check normally stops them first):
    every problem at once, each as ``field: reason``."""


class PCEError(IllumioError):
    """The PCE answered with an error status (or could not be reached)."""

    def __init__(
        self,
        *,
        status: int,
        method: str,
        path: str,
        request_id: str | None = None,
        errors: list[tuple[str, str]] | None = None,
        detail: str = "",
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.request_id = request_id
        # A PCE (or a proxy in front of it) may echo request headers: clean what it said.
        self.errors = [(redact(token), redact(message)) for token, message in errors or []]
        self.detail = redact(detail)
        super().__init__(redact(self._message()))

    def add_detail(self, note: str) -> None:
        """Add ``note`` to the message, keeping the error's class (what callers catch)."""
        self.detail = redact("; ".join(filter(None, [self.detail, note])))
        self.args = (redact(self._message()),)

    @property
    def tokens(self) -> list[str]:
        """The PCE's error tokens, e.g. ``["name_must_be_unique"]``."""
        return [token for token, _ in self.errors]

    def _message(self) -> str:
        what = f"{self.method} {self.path} failed"
        status = f"HTTP {self.status}" if self.status else "no response"
        parts = [f"{what}: {status}"]
        parts += [f"{token}: {message}" if token else message for token, message in self.errors]
        if self.detail:
            parts.append(self.detail)
        if self.request_id:
            parts.append(f"Request-ID {self.request_id}")
        return "; ".join(parts)


# The settings an error points to, as config.SOURCES names them (tests hold the two together).
CREDENTIAL_SETTINGS = (
    "stack config 'illumio:apiKeyUsername' and 'illumio:apiKeySecret' (or environment "
    "variables ILLUMIO_API_KEY_USERNAME and ILLUMIO_API_KEY_SECRET)"
)
HOST_SETTING = "stack config 'illumio:pceHost' (or environment variable ILLUMIO_PCE_HOST)"


class AuthenticationError(PCEError):
    """401: the API key id or secret is wrong or missing."""

    def _message(self) -> str:
        return f"{super()._message()}; the PCE refused the API key: check {CREDENTIAL_SETTINGS}"


class ForbiddenError(PCEError):
    """403: the API key is valid but not for this org, or lacks the permission."""


class NotFoundError(PCEError):
    """404: no object at that href."""


class NotAcceptableError(PCEError):
    """406: the PCE refused the request body (schema violation, duplicate name, ...)."""


class RateLimitedError(PCEError):
    """429 still returned after every retry."""


class PCEConnectionError(PCEError):
    """The request never got an HTTP answer (connection refused or dropped, timeout, TLS).

    ``maybe_processed`` is False when the request cannot have reached the PCE (no
    connection, TLS refused): only then is a lost POST known not to have created anything.
    """

    def __init__(self, *, maybe_processed: bool = True, **fields: Any) -> None:
        self.maybe_processed = maybe_processed
        super().__init__(**fields)

    def _message(self) -> str:
        message = super()._message()
        if self.maybe_processed or "illumio:" in message:  # a hint named its setting already
            return message
        # No connection at all (refused, unknown host, TLS refused): the host setting first.
        return f"{message}; could not connect: check {HOST_SETTING} and that the PCE is up"


class OperationTimeoutError(PCEConnectionError):
    """The operation deadline (``operationTimeout``) passed while a request was under way."""


class JobFailedError(PCEError):
    """An asynchronous collection job ended in ``failed`` or did not finish in time."""


class UnexpectedResponseError(PCEError):
    """The PCE answered, but not with what the API promises: a body that is not JSON or not
    of the expected shape, another object than the one asked for, a body past the size cap,
    a redirect loop or a redirect (or job ``Location``) to another host."""


class PairingProfileError(PCEError):
    """Creating or adopting a profile failed for a reason the program can fix."""


class PairingKeyError(PCEError):
    """Making a key's activation codes failed after the PCE had issued some of them: the
    message says how many were issued and that none is kept (the PCE cannot revoke one)."""


class PairingKeyLimitError(PairingKeyError):
    """The PCE refused a new activation code: the profile's hard limit of outstanding
    pairing keys is reached."""


class LabelError(PCEError):
    """Creating or adopting a label failed for a reason the program can fix (the key and
    value are another label's)."""


def restate(error: PCEError, cls: type[PCEError], detail: str) -> PCEError:
    """``error`` as ``cls``, with ``detail`` added: the same request, status and PCE tokens."""
    return cls(
        status=error.status,
        method=error.method,
        path=error.path,
        request_id=error.request_id,
        errors=error.errors,
        detail="; ".join(filter(None, [error.detail, detail])),
    )


class LookupFailedError(IllumioError, LookupError):
    """A look-up found nothing, or more than the one it needed."""


class MigrationError(IllumioError):
    """The state cannot be migrated: the message says why and names the resource addresses."""


_BY_STATUS: dict[int, type[PCEError]] = {
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    406: NotAcceptableError,
    429: RateLimitedError,
}


def error_class_for(status: int) -> type[PCEError]:
    return _BY_STATUS.get(status, PCEError)


# -- internal: raised and handled inside the PCE client, never seen by a caller -------------
# Each ends as one of the errors above (the client's attempt record builds it), so that a
# caller meets one tree; they live here so that every exception class has one home.


class DeadlinePassed(requests.RequestException):
    """The operation deadline passed before or while an exchange was under way; the attempt
    that met it ends as an ``OperationTimeoutError``."""

    def __init__(self, message: str, *, sent: bool = True) -> None:
        super().__init__(message)
        self.sent = sent  # False: no byte of the request left


class NoRoomBeforeDeadline(DeadlinePassed):
    """The request budget has no room for another request before the operation's deadline
    (nothing was sent)."""

    def __init__(self, waited: float) -> None:
        message = f"no room in the request budget before the deadline (waited {waited:g}s)"
        super().__init__(message, sent=False)
        self.waited = waited


class ConnectFailed(requests.exceptions.ConnectionError):
    """No connection to the PCE (or its proxy) could be made: nothing of the request was sent,
    so it is safe to send again, even a POST."""


class BodyTooLarge(Exception):
    """An answer's body is past the transport's cap (declared, or counted while reading); it
    ends as an ``UnexpectedResponseError``."""


# --- the test kit (pairing_provider.testing): what the imitated engine reports -------------


class StackError(Exception):
    """The engine refused a resource: a check failure, a protected resource, an option or an
    invoke the kit does not model (the message says which)."""


class CheckFailedError(StackError):
    """Check returned failures: the engine reports each one and stops the resource there.
    ``failures`` holds them as ``(property, reason)`` pairs (property ``""`` when none)."""

    def __init__(self, message: str, failures: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.failures = failures


class StackInterrupted(StackError):
    """The run stopped as a killed ``pulumi up`` does: the state keeps a pending operation."""
