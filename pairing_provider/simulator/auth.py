"""Who may call: one API key bound to one org, and its rate limit."""

from __future__ import annotations

import base64
import binascii
import hmac
import math
from collections import deque

from .errors import ApiError

# The user every change is attributed to (the API key's owner).
USER_HREF = "/users/1"


class RateLimiter:
    """Sliding-window limit of ``limit`` requests per ``window`` seconds per API key."""

    def __init__(self, limit: int | None, window: float) -> None:
        if limit is not None and limit < 1:
            raise ValueError("rate_limit must be a positive integer or None")
        if window <= 0:
            raise ValueError("rate_window must be positive")
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}

    def clear(self) -> None:
        self._hits.clear()

    def hit(self, key: str, now: float) -> int | None:
        """Count one request; None when allowed, else whole seconds until a slot frees."""
        if self.limit is None:
            return None
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            # Refused requests are not counted, so a client that waits as told gets in.
            return max(1, math.ceil(hits[0] + self.window - now))
        hits.append(now)
        return None


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization[:6].lower() == "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, secret = decoded.partition(":")
    return (user, secret) if sep else None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class ApiKey:
    """The one API key the simulated PCE knows, and the org it is bound to."""

    def __init__(self, username: str, secret: str, org_id: int) -> None:
        self.username = username
        self.secret = secret
        self.org_id = org_id

    def authenticate(self, authorization: str | None) -> str:
        """The API key id of a valid basic-auth header; 401 otherwise."""
        credentials = _basic_credentials(authorization)
        if credentials is not None:
            user, secret = credentials
            user_ok = _same(user, self.username)
            secret_ok = _same(secret, self.secret)  # always compared: even timing
            if user_ok and secret_ok:
                return user
        raise ApiError(
            401,
            "authentication_required",
            "Authentication required: send the API key id and secret with HTTP basic auth",
        )

    def check_org(self, org_id: int) -> None:
        if org_id != self.org_id:
            raise ApiError(403, "forbidden", f"The API key has no access to org {org_id}")
