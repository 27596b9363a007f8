"""Credentials never leave in a message: every error text and log line goes through here.

A PCE error body may echo the request (some proxies and servers put the request headers in
their error pages), so anything read from the network is cleaned before it reaches an
exception or a log: ``Basic``/``Bearer`` credentials, and every API secret this process was
configured with, as itself and in the base64 ``user:secret`` form that basic auth sends.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from urllib.parse import unquote, urlsplit

REDACTED = "[redacted]"
# A credential after an auth scheme name, as a header or an echo of one would carry it: 8 or
# more token characters, not all lowercase letters (so "Basic authentication" stays readable;
# a configured secret is replaced whatever it looks like, below).
_AUTH_VALUE = re.compile(
    r"(?i:\b(basic|bearer|digest))(\s+)(?=[A-Za-z0-9+/=._~:-]*[A-Z0-9+/=])[A-Za-z0-9+/=._~:-]{8,}"
)
_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(username: str, secret: str) -> None:
    """Remember a configured credential so that no message of this process can show it."""
    pair = f"{username}:{secret}".encode("latin-1", "replace")
    forms = {secret, base64.b64encode(pair).decode("ascii")}
    with _lock:
        _secrets.update(form for form in forms if len(form) >= 4)


def register_url_credentials(url: str) -> None:
    """A URL's ``user:password@`` (a proxy's): the password as written and decoded, and the
    ``Proxy-Authorization: Basic`` form of each."""
    parts = urlsplit(url)
    if parts.password:
        username = parts.username or ""
        register_secret(username, parts.password)
        register_secret(unquote(username), unquote(parts.password))


def redact(text: str) -> str:
    """``text`` with every credential form replaced by ``[redacted]``."""
    cleaned = _AUTH_VALUE.sub(lambda match: f"{match.group(1)}{match.group(2)}{REDACTED}", text)
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)  # longest first: no partial leftovers
    for secret in known:
        cleaned = cleaned.replace(secret, REDACTED)
    return cleaned


class RedactingFilter(logging.Filter):
    """Cleans every record of the package's loggers, whatever code formatted it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install(logger: logging.Logger) -> None:
    if not any(isinstance(existing, RedactingFilter) for existing in logger.filters):
        logger.addFilter(RedactingFilter())
