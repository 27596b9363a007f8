"""Request-body schemas of the pairing-profile and label APIs, worded like the PCE's validator.

The PCE checks bodies against one JSON schema per method (see docs/pce-api.md, "Request
bodies"): both have ``additionalProperties: false``; POST needs ``enabled``; ``ven_type`` is
allowed in a POST only. Messages read like the PCE's (ruby ``json-schema``):
``The property '#/enabled' of type string did not match the following type: boolean``.
Everything that needs the PCE's state (label existence, name uniqueness) lives in the stores.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MAX_INT32 = 2147483647
LABEL_KEY_MAX = 64
LABEL_TEXT_MAX = 255

ENFORCEMENT_MODES = ("idle", "visibility_only", "selective", "full")
VISIBILITY_LEVELS = (
    "flow_full_detail",
    "flow_summary",
    "flow_drops",
    "flow_off",
    "enhanced_data_collection",
)
VEN_TYPES = ("server", "endpoint", "specified_during_activation")
# Legacy ``mode`` values and the enforcement_mode each stands for.
LEGACY_MODES = {"idle": "idle", "illuminated": "visibility_only", "enforced": "full"}

# Read-only properties of a profile: named as such in the refusal, for a clearer message.
PROFILE_READ_ONLY = frozenset(
    {
        "href",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "total_use_count",
        "last_pairing_at",
        "last_pairing_key_generated_at",
        "last_pairing_key_generated_by",
        "is_default",
        "caps",
        "status",
        "status_lock",
    }
)

# A check gets (field name, value) and returns an error message, or None when fine.
Check = Callable[[str, Any], "str | None"]


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value, as a schema validator would report it."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is a subclass of int in Python
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_error(field: str, value: Any, expected: str) -> str:
    return (
        f"The property '#/{field}' of type {json_type(value)} did not match "
        f"the following type: {expected}"
    )


def _show(value: Any) -> str:
    text = f'"{value}"' if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_bool(field: str, value: Any) -> str | None:
    return None if isinstance(value, bool) else _type_error(field, value, "boolean")


def enum_check(choices: tuple[str, ...]) -> Check:
    def check(field: str, value: Any) -> str | None:
        if isinstance(value, str) and value in choices:
            return None
        return (
            f"The property '#/{field}' value {_show(value)} did not match one of the "
            f"following values: {', '.join(choices)}"
        )

    return check


def text_check(*, nullable: bool, min_length: int = 0, max_length: int | None = None) -> Check:
    def check(field: str, value: Any) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            return _type_error(field, value, "string, null" if nullable else "string")
        if len(value) < min_length or (max_length is not None and len(value) > max_length):
            return (
                f"The property '#/{field}' must be between {min_length} and {max_length} "
                f"characters long (got {len(value)})"
            )
        return None

    return check


def check_use_limit(field: str, value: Any) -> str | None:
    """``allowed_uses_per_key``/``key_lifespan``: "unlimited" or an int32 >= 1.

    Numeric strings are refused on input even though reads may return them.
    """
    if isinstance(value, str) and value == "unlimited":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if 1 <= value <= MAX_INT32:
            return None
        return f"The property '#/{field}' value {value} must be between 1 and {MAX_INT32}"
    return (
        f"The property '#/{field}' value {_show(value)} did not match: expected the string "
        f'"unlimited" or an integer from 1 to {MAX_INT32}'
    )


def check_href_list(field: str, value: Any) -> str | None:
    """Unique ``{"href": string}`` objects; whether each href exists is checked later."""
    if not isinstance(value, list):
        return _type_error(field, value, "array")
    seen: set[str] = set()
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("href"), str):
            return f"The property '#/{field}/{index}' must be an object with a string 'href'"
        extra = sorted(set(item) - {"href"})
        if extra:
            return (
                f"The property '#/{field}/{index}' contains additional properties "
                f"{extra} outside of the schema when none are allowed"
            )
        if item["href"] in seen:
            return f"The property '#/{field}' contained duplicated array values (uniqueItems)"
        seen.add(item["href"])
    return None


# Properties both methods accept (the PUT schema is exactly this list).
PROFILE_PUT_FIELDS: dict[str, Check] = {
    "name": text_check(nullable=False),
    "description": text_check(nullable=False),
    "enabled": check_bool,
    "enforcement_mode": enum_check(ENFORCEMENT_MODES),
    "enforcement_mode_lock": check_bool,
    "visibility_level": enum_check(VISIBILITY_LEVELS),
    "visibility_level_lock": check_bool,
    "allowed_uses_per_key": check_use_limit,
    "key_lifespan": check_use_limit,
    "labels": check_href_list,
    "env_label_lock": check_bool,
    "loc_label_lock": check_bool,
    "role_label_lock": check_bool,
    "app_label_lock": check_bool,
    "log_traffic": check_bool,
    "log_traffic_lock": check_bool,
    "agent_software_release": text_check(nullable=True),
    "external_data_set": text_check(nullable=True),
    "external_data_reference": text_check(nullable=True),
    "mode": enum_check(tuple(LEGACY_MODES)),
    "mode_lock": check_bool,
}
# ven_type can only be chosen when a profile is created.
PROFILE_POST_FIELDS: dict[str, Check] = {**PROFILE_PUT_FIELDS, "ven_type": enum_check(VEN_TYPES)}

LABEL_FIELDS: dict[str, Check] = {
    "key": text_check(nullable=False, min_length=1, max_length=LABEL_KEY_MAX),
    "value": text_check(nullable=False, min_length=1, max_length=LABEL_TEXT_MAX),
    "external_data_set": text_check(nullable=True, max_length=LABEL_TEXT_MAX),
    "external_data_reference": text_check(nullable=True, max_length=LABEL_TEXT_MAX),
}
LABEL_PUT_FIELDS: dict[str, Check] = {k: v for k, v in LABEL_FIELDS.items() if k != "key"}
LABEL_READ_ONLY = frozenset({"href", "deleted", "created_at", "updated_at"})


def _check_object(
    body: Any, fields: dict[str, Check], read_only: frozenset[str], required: tuple[str, ...]
) -> list[str]:
    if not isinstance(body, dict):
        return [
            f"The property '#/' of type {json_type(body)} did not match the following type: object"
        ]
    errors = [
        f"The property '#/{key}' is read-only and cannot be set" for key in body if key in read_only
    ]
    unknown = sorted(key for key in body if key not in fields and key not in read_only)
    if unknown:
        shown = [name if len(name) <= 64 else name[:61] + "..." for name in unknown[:20]]
        errors.append(
            f"The property '#/' contains additional properties {shown} outside of the "
            "schema when none are allowed"
        )
    errors += [
        f"The property '#/' did not contain a required property of '{key}'"
        for key in required
        if key not in body
    ]
    for key, check in fields.items():
        if key in body and (message := check(key, body[key])) is not None:
            errors.append(message)
    return errors


def profile_errors(body: Any, *, creating: bool) -> list[str]:
    """Schema errors of a pairing profile POST (``creating``) or PUT body."""
    if creating:
        return _check_object(body, PROFILE_POST_FIELDS, PROFILE_READ_ONLY, ("enabled",))
    return _check_object(body, PROFILE_PUT_FIELDS, PROFILE_READ_ONLY, ())


def label_errors(body: Any) -> list[str]:
    """Schema errors of a label POST body."""
    return _check_object(body, LABEL_FIELDS, LABEL_READ_ONLY, ("key", "value"))


def label_update_errors(body: Any) -> list[str]:
    """Schema errors of a label PUT body: no ``key`` (a label's key cannot change)."""
    return _check_object(body, LABEL_PUT_FIELDS, LABEL_READ_ONLY, ())
