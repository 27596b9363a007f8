"""The log of API requests tests read back (``GET /_simulator/requests``).

Bounded (a deque of the last ``limit`` entries), so a client hammering the simulator cannot
grow its memory. Requests refused before they reach the API (401, 403, 429, framing errors)
are logged without their body: nobody inspects it, and an unauthenticated client must not
be able to park data in the simulator. Never headers (the API secret) nor response bodies
(activation codes).
"""

from __future__ import annotations

import copy
from collections import deque
from typing import Any

DEFAULT_LIMIT = 10_000
GATEKEEPER_REFUSALS = frozenset({400, 401, 403, 411, 413, 429})
MAX_LOGGED_PATH = 4096  # request lines may be 64 KiB; the log keeps this much of each


class RequestLog:
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        if limit < 1:
            raise ValueError("request_log_limit must be a positive integer")
        self.entries: deque[dict[str, Any]] = deque(maxlen=limit)

    def add(self, method: str, target: str, status: int, body: Any) -> None:
        kept = None if status in GATEKEEPER_REFUSALS else copy.deepcopy(body)
        path = target if len(target) <= MAX_LOGGED_PATH else target[:MAX_LOGGED_PATH] + "..."
        self.entries.append({"method": method, "path": path, "status": status, "body": kept})

    def listing(self) -> list[dict[str, Any]]:
        return copy.deepcopy(list(self.entries))

    def clear(self) -> None:
        self.entries.clear()
