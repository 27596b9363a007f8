"""Pydantic models of a pairing profile and the normalisation both sides of a diff go through.

``PairingProfileSpec`` is what a program manages: every writable field, with the defaults of the
Terraform ``illumio-core_pairing_profile`` resource. ``normalise_live`` turns a PCE GET body into
the same shape, so that comparing the two is exact: no phantom changes from the PCE's quirks
(``"5"`` for 5, ``"Default (21.5.20-8451)"`` for the default release, null for "").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
)
from pydantic_core import PydanticCustomError

MAX_KEY_LIMIT = 2_147_483_647
UNLIMITED = "unlimited"
LABEL_HREF = re.compile(r"^/orgs/\d+/labels/\d+$")
PROFILE_HREF = re.compile(r"^/orgs/(\d+)/pairing_profiles/(\d+)$")
DEFAULT_RELEASE = re.compile(r"^Default \(.*\)$")

EnforcementMode = Literal["idle", "visibility_only", "selective", "full"]
VisibilityLevel = Literal[
    "flow_full_detail", "flow_summary", "flow_drops", "flow_off", "enhanced_data_collection"
]
VenType = Literal["server", "endpoint", "specified_during_activation"]


def _key_limit(value: Any) -> int | str:
    """``"unlimited"`` or a whole number 1..2147483647; gRPC floats and Terraform's numeric
    strings are accepted and become integers."""
    number: Any = value
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if value == UNLIMITED or (
        type(number) is int and 1 <= number <= MAX_KEY_LIMIT  # bool is not a number here
    ):
        return number
    raise PydanticCustomError(
        "key_limit", f'must be "{UNLIMITED}" or a whole number from 1 to {MAX_KEY_LIMIT}'
    )


def _label_refs(value: Any) -> list[dict[str, str]]:
    """Hrefs as strings or ``{"href": ...}`` objects -> a sorted, de-duplicated list of objects."""
    if not isinstance(value, list | tuple):
        raise PydanticCustomError("labels", "must be a list of label hrefs")
    hrefs = set()
    for item in value:
        href = item.get("href") if isinstance(item, Mapping) and set(item) == {"href"} else item
        if not isinstance(href, str) or not LABEL_HREF.match(href):
            raise PydanticCustomError(
                "labels",
                'each label must be an href "/orgs/N/labels/N", {"href": "/orgs/N/labels/N"} '
                'or {"key": ..., "value": ...}',
            )
        hrefs.add(href)
    return [{"href": href} for href in sorted(hrefs, key=_href_sort_key)]


def _href_sort_key(href: str) -> tuple[str, int]:
    prefix, _, number = href.rpartition("/")
    return (prefix, int(number))


def _release(value: Any) -> Any:
    """The PCE reads the default release back as ``Default (x.y.z)``: that means null."""
    if isinstance(value, str) and DEFAULT_RELEASE.match(value):
        return None
    return value


def _empty_is_none(value: Any) -> Any:
    return None if value == "" else value


def _none_is_empty(value: Any) -> Any:
    return "" if value is None else value


def _clean_text(value: str) -> str:
    """Text a PCE can store: no NUL, no lone UTF-16 surrogate (not even encodable as UTF-8)."""
    if "\x00" in value or any(0xD800 <= ord(char) <= 0xDFFF for char in value):
        raise PydanticCustomError("text", "must be valid Unicode text without NUL characters")
    return value


KeyLimit = Annotated[int | str, BeforeValidator(_key_limit)]
LabelRefs = Annotated[list[dict[str, str]], BeforeValidator(_label_refs)]
Text255 = Annotated[StrictStr, Field(max_length=255), AfterValidator(_clean_text)]
NonEmptyText255 = Annotated[
    StrictStr, Field(min_length=1, max_length=255), AfterValidator(_clean_text)
]
OptionalText = Annotated[NonEmptyText255 | None, BeforeValidator(_empty_is_none)]


class PairingProfileSpec(BaseModel):
    """The writable fields of a pairing profile, as a program declares them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: NonEmptyText255
    enabled: StrictBool
    description: Annotated[Text255, BeforeValidator(_none_is_empty)] = ""
    enforcement_mode: EnforcementMode = "visibility_only"
    enforcement_mode_lock: StrictBool = True
    visibility_level: VisibilityLevel = "flow_summary"
    visibility_level_lock: StrictBool = True
    allowed_uses_per_key: KeyLimit = UNLIMITED
    key_lifespan: KeyLimit = UNLIMITED
    labels: LabelRefs = Field(default_factory=list)
    env_label_lock: StrictBool = True
    loc_label_lock: StrictBool = True
    role_label_lock: StrictBool = True
    app_label_lock: StrictBool = True
    log_traffic: StrictBool = False
    log_traffic_lock: StrictBool = True
    ven_type: VenType = "server"
    agent_software_release: Annotated[NonEmptyText255 | None, BeforeValidator(_release)] = None
    external_data_set: OptionalText = None
    external_data_reference: OptionalText = None

    def api_body(self, fields: set[str] | None = None) -> dict[str, Any]:
        """A request body of writable fields only (never read-only ones: the PCE answers 406).

        ``fields`` limits it to those fields (a partial PUT); a full body (POST) leaves out the
        nulls, so the PCE applies its own defaults there.
        """
        data = self.model_dump()
        if fields is not None:
            return {name: data[name] for name in sorted(fields)}
        return {name: value for name, value in data.items() if value is not None}


SPEC_FIELDS: tuple[str, ...] = tuple(PairingProfileSpec.model_fields)

READ_ONLY_FIELDS: tuple[str, ...] = (
    "href",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "total_use_count",
    "is_default",
    "last_pairing_at",
    "last_pairing_key_generated_at",
    "last_pairing_key_generated_by",
    "caps",
    "status",
    "status_lock",
)

_ALLOWED_VALUES: dict[str, tuple[str, ...]] = {
    "enforcement_mode": EnforcementMode.__args__,  # type: ignore[attr-defined]
    "visibility_level": VisibilityLevel.__args__,  # type: ignore[attr-defined]
    "ven_type": VenType.__args__,  # type: ignore[attr-defined]
}


def describe_errors(exc: ValidationError) -> list[tuple[str, str]]:
    """(property, reason) per problem; enums list their allowed values. Inputs are not echoed."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        allowed = _ALLOWED_VALUES.get(field)
        if error["type"] == "missing":
            reason = "is required"
        elif error["type"] == "extra_forbidden":
            reason = "is not a known property"
        elif allowed is not None and error["type"] == "literal_error":
            reason = f"must be one of {', '.join(allowed)}"
        else:
            reason = error["msg"][0].lower() + error["msg"][1:]
        problems.append((field, f"{field}: {reason}"))
    return problems


def normalise_live(body: Mapping[str, Any]) -> dict[str, Any]:
    """The writable fields of a PCE GET body, normalised as the spec normalises inputs."""
    values = {name: body.get(name) for name in SPEC_FIELDS}
    values["description"] = _none_is_empty(values["description"])
    values["agent_software_release"] = _release(values["agent_software_release"])
    for name in ("external_data_set", "external_data_reference"):
        values[name] = _empty_is_none(values[name])
    for name in ("allowed_uses_per_key", "key_lifespan"):
        try:
            values[name] = _key_limit(values[name])
        except PydanticCustomError:
            pass  # leave an odd value as it is: it will show as a difference, not crash
    try:
        values["labels"] = _label_refs(values["labels"] or [])
    except PydanticCustomError:
        pass
    return values


def read_only_values(body: Mapping[str, Any]) -> dict[str, Any]:
    return {name: body.get(name) for name in READ_ONLY_FIELDS}


class PairingProfileData(PairingProfileSpec):
    """A whole pairing profile as the PCE returns it: the spec plus the read-only fields."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Annotated[StrictStr, Field(min_length=0, max_length=255)] = ""  # type: ignore[assignment]
    enabled: StrictBool = True
    href: str
    created_at: str | None = None
    updated_at: str | None = None
    created_by: dict[str, Any] | None = None
    updated_by: dict[str, Any] | None = None
    total_use_count: int | None = None
    is_default: bool | None = None
    last_pairing_at: str | None = None
    last_pairing_key_generated_at: str | None = None
    last_pairing_key_generated_by: dict[str, Any] | None = None
    caps: list[str] | None = None
    status: str | None = None
    status_lock: bool | None = None

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> PairingProfileData:
        # Fields this PCE version leaves out take the spec's defaults instead of failing.
        values = {k: v for k, v in normalise_live(body).items() if v is not None}
        return cls.model_validate({**values, **read_only_values(body)})
