"""The value types the declarations share: key limits, label references, text, triggers,
durations, the install scripts' API segment; each a pydantic validator with the PCE's rule.

Pulumi-free, like every module of this package.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictStr,
    ValidationInfo,
)
from pydantic_core import PydanticCustomError

from pairing_provider.hrefs import (
    LABEL_EXAMPLE,
    LABEL_HREF,
    PROFILE_EXAMPLE,
    PROFILE_HREF,
    href_problem,
)

MAX_KEY_LIMIT = 2_147_483_647
UNLIMITED: Literal["unlimited"] = "unlimited"
DEFAULT_RELEASE = re.compile(r"Default \(.*\)", re.DOTALL)
MAX_TRIGGERS_BYTES = 64 * 1024
MAX_TOKEN_COUNT = 5  # Terraform's token_count allows 1 to 5
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
DURATION_PART = re.compile(r"(\d+)([smhdw])")
DURATION = re.compile(r"(?:\d+[smhdw])+")
SCRIPT_API_VERSION = re.compile(r"v[1-9][0-9]?")
NOT_STORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL, or a lone UTF-16 surrogate
# The api/vNN segment Illumio's own docs and Ansible role use in pairing scripts (older PCEs
# serve it; that an older PCE serves a newer segment is shown nowhere): docs/pce-api.md.
DEFAULT_SCRIPT_API = "v18"
LABEL_SHAPE = (
    'must be an href "/orgs/N/labels/N", {"href": "/orgs/N/labels/N"} '
    'or {"key": "...", "value": "..."}'
)

EnforcementMode = Literal["idle", "visibility_only", "selective", "full"]
VisibilityLevel = Literal[
    "flow_full_detail", "flow_summary", "flow_drops", "flow_off", "enhanced_data_collection"
]
VenType = Literal["server", "endpoint", "specified_during_activation"]


# -- value types: how one input is validated and normalised ------------------------------------


def key_limit(value: Any) -> int | str:
    """``"unlimited"`` or a whole number 1..2147483647; gRPC floats and Terraform's numeric
    strings are accepted and become integers."""
    number: Any = value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if value == UNLIMITED or (
        type(number) is int and 1 <= number <= MAX_KEY_LIMIT  # bool is not a number here
    ):
        return number  # type: ignore[no-any-return]
    raise PydanticCustomError(
        "key_limit", f'must be "{UNLIMITED}" or a whole number from 1 to {MAX_KEY_LIMIT}'
    )


def _org_of(info: ValidationInfo) -> int | None:
    context = info.context if isinstance(info.context, Mapping) else {}
    org = context.get("org_id")
    return org if isinstance(org, int) else None


def _label_ref(item: Any, info: ValidationInfo) -> dict[str, str]:
    """One label: an href or ``{"href": ...}`` (``{"key", "value"}`` is resolved before)."""
    is_object = isinstance(item, Mapping) and set(item) == {"href"}
    href = item.get("href") if is_object else item
    problem = href_problem(LABEL_HREF, href, LABEL_EXAMPLE, _org_of(info), shape=LABEL_SHAPE)
    if problem is None:
        return {"href": href}
    if isinstance(item, Mapping) and set(item) == {"key", "value"}:
        problem = "a {key, value} label needs a string key and a string value"
    if is_object and isinstance(href, str) and len(href) <= 80:
        problem = f'{{"href": "{href}"}} {problem}'  # the item is an object: name its href
    raise PydanticCustomError("label", problem)


def sorted_unique(labels: list[dict[str, str]]) -> list[dict[str, str]]:
    """The PCE wants unique items; order is not meaningful, so sort for a stable diff."""
    hrefs = {label["href"] for label in labels}
    return [{"href": href} for href in sorted(hrefs, key=_href_sort_key)]


def _href_sort_key(href: str) -> tuple[str, int]:
    prefix, _, number = href.rpartition("/")
    return (prefix, int(number))


def release(value: Any) -> Any:
    """The PCE reads the default release back as ``Default (x.y.z)``: that means null."""
    if isinstance(value, str) and DEFAULT_RELEASE.fullmatch(value):
        return None
    return value


def empty_is_none(value: Any) -> Any:
    return None if value == "" else value


def none_is_empty(value: Any) -> Any:
    return "" if value is None else value


def _clean_text(value: str) -> str:
    """Text a PCE can store: no NUL, no lone UTF-16 surrogate (not even encodable as UTF-8)."""
    if NOT_STORABLE.search(value):
        raise PydanticCustomError("text", "must be valid Unicode text without NUL characters")
    return value


def _profile_href(value: Any, info: ValidationInfo) -> str:
    problem = href_problem(PROFILE_HREF, value, PROFILE_EXAMPLE, _org_of(info))
    if problem is not None:
        raise PydanticCustomError("href", problem)
    return value  # type: ignore[no-any-return]


def canonical_json(value: Any) -> str:
    """Triggers compared by value: key order and 1 vs 1.0 (gRPC floats) do not count."""
    return json.dumps(
        _integral_floats_as_ints(value), sort_keys=True, separators=(",", ":"), allow_nan=False
    )


def _integral_floats_as_ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral_floats_as_ints(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_integral_floats_as_ints(item) for item in value]
    return value


def valid_triggers(value: Any) -> Any:
    try:
        text = canonical_json(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise PydanticCustomError(
            "triggers", f"must be JSON-serialisable ({type(exc).__name__})"
        ) from None
    if len(text.encode()) > MAX_TRIGGERS_BYTES:
        raise PydanticCustomError(
            "triggers", f"must serialise to at most {MAX_TRIGGERS_BYTES} bytes of JSON"
        )
    return value


def valid_token_count(value: Any) -> int:
    """1..5 codes, as Terraform's ``token_count``; gRPC sends 3 as 3.0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if type(value) is int and 1 <= value <= MAX_TOKEN_COUNT:
        return value
    raise PydanticCustomError("token_count", f"must be a whole number from 1 to {MAX_TOKEN_COUNT}")


def duration(value: Any) -> int:
    """Seconds (a whole number) or a duration such as ``"12h"``, ``"7d"``, ``"1h30m"``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if type(value) is int and 0 <= value <= MAX_KEY_LIMIT:
        return value
    if isinstance(value, str) and DURATION.fullmatch(value.strip()) and value.strip():
        seconds = sum(
            int(number) * DURATION_UNITS[unit]
            for number, unit in DURATION_PART.findall(value.strip())
        )
        if seconds <= MAX_KEY_LIMIT:
            return seconds
    raise PydanticCustomError(
        "duration",
        f'must be seconds (0 to {MAX_KEY_LIMIT}) or a duration such as "12h", "7d" or "1h30m"',
    )


def script_api(value: Any) -> str:
    if isinstance(value, str) and SCRIPT_API_VERSION.fullmatch(value):
        return value
    raise PydanticCustomError("script_api", 'must be "v" and a release number, such as "v18"')


KeyLimit = Annotated[int | Literal["unlimited"], BeforeValidator(key_limit)]
LabelRef = Annotated[dict[str, str], BeforeValidator(_label_ref)]
LabelRefs = Annotated[list[LabelRef], AfterValidator(sorted_unique)]
# No length limit: the PCE's POST and PUT schemas set no maxLength on these strings.
Text = Annotated[StrictStr, AfterValidator(_clean_text)]
NonEmptyText = Annotated[StrictStr, Field(min_length=1), AfterValidator(_clean_text)]
OptionalText = Annotated[NonEmptyText | None, BeforeValidator(empty_is_none)]
ProfileHref = Annotated[StrictStr, AfterValidator(_profile_href)]


# -- the pairing profile --------------------------------------------------------------------------
