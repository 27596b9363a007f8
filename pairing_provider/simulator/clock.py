"""Time as the PCE writes it: RFC 3339 timestamps and Retry-After values."""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(epoch: float) -> str:
    """RFC 3339 UTC with milliseconds and Z, the PCE's timestamp format."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def format_seconds(value: float) -> str:
    """A Retry-After value: whole seconds as an integer, fractions kept (tests scale down)."""
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number)
