"""Injected failures for tests (README, "Fault injection").

A fault matches requests by method and path regex and answers the next ``count`` of them in
its own way: another status, extra headers, a body that is not JSON, or wrongly shaped, or
huge, or dripped slowly, or no answer at all. Every size and duration is bounded, so a fault
cannot make the simulator itself run out of memory or hang forever.
"""

from __future__ import annotations

import copy
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from .clock import format_seconds

MAX_DELAY = 300.0  # seconds
MAX_RAW_BODY = 1024 * 1024  # characters of a verbatim body
MAX_BODY_BYTES = 1_000_000_000  # a streamed filler body, never held in memory
MAX_HEADERS = 50
MAX_HEADER_VALUE = 8192
# Framing stays the simulator's: a fault cannot lie about these.
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")

# Named refusals real PCEs send, for ``error=``.
PRESET_ERRORS: dict[str, tuple[int, list[dict[str, str]]]] = {
    # The token of this refusal is not published; clients match the message.
    "database_lock": (
        406,
        [{"token": "database_lock_error", "message": "Could not get a database lock"}],
    ),
}

FAULT_FIELDS = frozenset(
    {
        "method",
        "path",
        "status",
        "count",
        "retry_after",
        "delay",
        "drop_connection",
        "when",
        "body",
        "raw_body",
        "body_bytes",
        "merge_body",
        "headers",
        "drip_bytes_per_second",
        "error",
    }
)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _header_problems(headers: Any) -> list[str]:
    if not isinstance(headers, dict) or len(headers) > MAX_HEADERS:
        return [f"headers must be an object of at most {MAX_HEADERS} name: string value pairs"]
    problems = []
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name) or name.lower() in FRAMING_HEADERS:
            problems.append(f"headers: the name {name[:64]!r} is not allowed")
        elif (
            not isinstance(value, str)
            or len(value) > MAX_HEADER_VALUE
            or any(c in value for c in "\r\n\0")
        ):
            problems.append(f"headers: {name} must be a one-line string of at most 8192 characters")
    return problems


@dataclass
class Fault:
    """One injected failure for the next ``count`` API requests that match it."""

    method: str | None = None
    path: str | None = None
    status: int = 503
    count: int = 1
    retry_after: float | None = None
    delay: float = 0.0
    drop_connection: bool = False
    when: str = "before"
    body: Any = None
    raw_body: str | None = None
    body_bytes: int | None = None
    merge_body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    drip_bytes_per_second: float | None = None
    error: str | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Fault:
        """Build a fault from control-API JSON; ValueError names every bad field."""
        if not isinstance(data, dict):
            raise ValueError("a fault must be a JSON object")
        unknown = sorted(set(data) - FAULT_FIELDS)
        if unknown:
            raise ValueError(f"unknown fault fields: {unknown}; known: {sorted(FAULT_FIELDS)}")
        fault = cls(**data)
        problems = fault._problems()
        if problems:
            raise ValueError("; ".join(problems))
        if fault.method:
            fault.method = fault.method.upper()
        if fault.error is not None and "status" not in data:
            fault.status = PRESET_ERRORS[fault.error][0]
        return fault

    def _problems(self) -> list[str]:
        problems = self._matching_problems() + self._answer_problems()
        return problems + self._body_problems()

    def _matching_problems(self) -> list[str]:
        problems = []
        if self.method is not None and not isinstance(self.method, str):
            problems.append("method must be a string")
        if self.path is not None:
            try:
                re.compile(self.path)
            except (re.error, TypeError) as exc:
                problems.append(f"path must be a valid regex: {exc}")
        if not _is_int(self.count) or self.count < 1:
            problems.append("count must be a positive integer")
        if self.when not in ("before", "after"):
            problems.append('when must be "before" or "after"')
        return problems

    def _answer_problems(self) -> list[str]:
        problems = []
        if not _is_int(self.status) or not 100 <= self.status <= 599:
            problems.append("status must be an integer from 100 to 599")
        if self.retry_after is not None and not (
            _is_number(self.retry_after) and self.retry_after >= 0
        ):
            problems.append("retry_after must be a non-negative number")
        if not _is_number(self.delay) or not 0 <= self.delay <= MAX_DELAY:
            problems.append(f"delay must be a number of seconds from 0 to {MAX_DELAY:g}")
        if not isinstance(self.drop_connection, bool):
            problems.append("drop_connection must be a boolean")
        problems += _header_problems(self.headers)
        rate = self.drip_bytes_per_second
        if rate is not None and not (_is_number(rate) and rate > 0):
            problems.append("drip_bytes_per_second must be a positive number")
        if self.error is not None and self.error not in PRESET_ERRORS:
            problems.append(f"error must be one of {sorted(PRESET_ERRORS)}")
        return problems

    def _body_problems(self) -> list[str]:
        problems = []
        given = [
            name
            for name in ("body", "raw_body", "body_bytes", "merge_body", "error")
            if getattr(self, name) is not None
        ]
        if len(given) > 1:
            problems.append(f"give at most one body kind; got {given}")
        if self.raw_body is not None and not (
            isinstance(self.raw_body, str) and len(self.raw_body) <= MAX_RAW_BODY
        ):
            problems.append(f"raw_body must be a string of at most {MAX_RAW_BODY} characters")
        if self.body_bytes is not None and not (
            _is_int(self.body_bytes) and 0 <= self.body_bytes <= MAX_BODY_BYTES
        ):
            problems.append(f"body_bytes must be an integer from 0 to {MAX_BODY_BYTES}")
        if self.merge_body is not None and (
            not isinstance(self.merge_body, dict) or self.when != "after"
        ):
            problems.append('merge_body must be an object, with when="after"')
        return problems

    def matches(self, method: str, path: str, target: str) -> bool:
        """Method equal (when set) and path regex found in the path or path+query."""
        if self.method and self.method != method:
            return False
        if self.path is None:
            return True
        return re.search(self.path, path) is not None or re.search(self.path, target) is not None

    def response_body(self) -> Any:
        """The JSON body of the fault's answer (``raw_body``/``body_bytes`` aside)."""
        if self.error is not None:
            return copy.deepcopy(PRESET_ERRORS[self.error][1])
        if self.body is not None:
            return self.body
        return [{"token": "simulated_fault", "message": f"Simulated fault: HTTP {self.status}"}]

    def response_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.retry_after is not None:
            headers.setdefault("Retry-After", format_seconds(self.retry_after))
        return headers

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultBook:
    """The armed faults, first match wins. Not locked: the caller serialises access."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, data: Any) -> dict[str, Any]:
        fault = Fault.from_dict(data)
        self.faults.append(fault)
        return fault.to_dict()

    def listing(self) -> list[dict[str, Any]]:
        return [fault.to_dict() for fault in self.faults]

    def clear(self) -> None:
        self.faults.clear()

    def take(self, method: str, path: str, target: str) -> Fault | None:
        """Consume one use of the first fault matching this request, if any."""
        for fault in self.faults:
            if fault.matches(method, path, target):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return copy.copy(fault)
        return None
