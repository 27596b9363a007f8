"""Checks of a ``--data-file``'s content before any of it is used.

The file is input: hand-edited, truncated, or written by something else. Whatever the API
could never have stored is refused at load, with the first problem found, so a bad file
stops the simulator at start instead of answering 500 to every listing later (a ``"name":
7``) or letting a new profile overwrite a stored one (``next_profile_id`` at or below an id
in use). The writable fields are checked as a POST body is (:mod:`.validation`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .validation import LABEL_FIELDS, PROFILE_POST_FIELDS, Check, json_type

# What the simulator stores beside the writable fields (profiles.py, labels.py).
_TIMESTAMP = "a string (a time)"
_OPTIONAL_TIMESTAMP = "null or a string (a time)"
_USER = 'an object {"href": string}'
_OPTIONAL_USER = 'null or an object {"href": string}'
_COUNT = "a whole number of at least 0"
_BOOL = "true or false"
_CAPS = "an array of strings"
PROFILE_STORED: dict[str, str] = {
    "created_at": _TIMESTAMP,
    "updated_at": _TIMESTAMP,
    "created_by": _USER,
    "updated_by": _USER,
    "total_use_count": _COUNT,
    "is_default": _BOOL,
    "last_pairing_at": _OPTIONAL_TIMESTAMP,
    "last_pairing_key_generated_at": _OPTIONAL_TIMESTAMP,
    "last_pairing_key_generated_by": _OPTIONAL_USER,
    "caps": _CAPS,
    "status_lock": _BOOL,
}
LABEL_STORED: dict[str, str] = {
    "created_at": _TIMESTAMP,
    "updated_at": _TIMESTAMP,
    "created_by": _USER,
    "updated_by": _USER,
}
# Deprecated inputs are mapped before storing: a stored profile never holds them.
PROFILE_WRITABLE: dict[str, Check] = {
    name: check for name, check in PROFILE_POST_FIELDS.items() if name not in ("mode", "mode_lock")
}
KEY_FIELDS = {"profile_href": str, "activation_code": str, "generated_at": str, "revoked": bool}
_JSON_NAMES = {str: "string", bool: "boolean"}


class StoredDataError(ValueError):
    """The first problem of a data file's content, as a sentence without the file's name."""


def check_data(data: Any, org_id: int) -> None:
    """Raise :class:`StoredDataError` naming the first thing the simulator could not have
    stored, and where."""
    if not isinstance(data, dict):
        raise StoredDataError("the document is not a JSON object")
    _check_counter(data, "next_profile_id")
    _check_counter(data, "next_label_id")
    profiles = _objects(data, "pairing_profiles")
    labels = _objects(data, "labels")
    profile_ids = _ids(profiles, "pairing_profiles", rf"/orgs/{org_id}/pairing_profiles/")
    label_ids = _ids(labels, "labels", rf"/orgs/{org_id}/labels/")
    _above(data, "next_profile_id", profile_ids, "pairing_profiles")
    _above(data, "next_label_id", label_ids, "labels")
    for number, profile in enumerate(profiles):
        _check_fields(profile, f"pairing_profiles[{number}]", PROFILE_WRITABLE, PROFILE_STORED)
    pairs: set[tuple[Any, Any]] = set()
    for number, label in enumerate(labels):
        _check_fields(label, f"labels[{number}]", LABEL_FIELDS, LABEL_STORED)
        pair = (label["key"], label["value"])
        if pair in pairs:  # the API refuses a second label of one key and value
            raise StoredDataError(
                f"labels[{number}] is a second label {label['key']}={label['value']}"
            )
        pairs.add(pair)
    for number, key in enumerate(_objects(data, "pairing_keys")):
        _check_key(key, f"pairing_keys[{number}]")


def _check_counter(data: dict[str, Any], name: str) -> None:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise StoredDataError(f"{name} must be a whole number of at least 1, not {_show(value)}")


def _objects(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    items = data.get(name)
    if not isinstance(items, list):
        raise StoredDataError(f"{name} must be a JSON array, not {_show(items)}")
    for number, item in enumerate(items):
        if not isinstance(item, dict):
            raise StoredDataError(f"{name}[{number}] must be a JSON object")
    return items


def _ids(items: list[dict[str, Any]], name: str, prefix: str) -> set[int]:
    pattern = re.compile(re.escape(prefix) + r"([1-9][0-9]{0,17})")
    ids: set[int] = set()
    for number, item in enumerate(items):
        href = item.get("href")
        match = pattern.fullmatch(href) if isinstance(href, str) else None
        if match is None:
            raise StoredDataError(f"{name}[{number}].href must be {prefix}N, not {_show(href)}")
        if int(match.group(1)) in ids:
            raise StoredDataError(f"{name}[{number}].href {href} is used twice")
        ids.add(int(match.group(1)))
    return ids


def _above(data: dict[str, Any], counter: str, ids: set[int], name: str) -> None:
    if ids and data[counter] <= max(ids):
        raise StoredDataError(
            f"{counter} is {data[counter]}, but {name} already holds id {max(ids)}: the next "
            "one created would overwrite it"
        )


def _check_fields(
    item: dict[str, Any], where: str, writable: dict[str, Check], stored: dict[str, str]
) -> None:
    unknown = sorted(set(item) - set(writable) - set(stored) - {"href"})
    if unknown:
        raise StoredDataError(f"{where} has fields the simulator never stores: {unknown[:5]}")
    missing = sorted((set(writable) | set(stored)) - set(item))
    if missing:  # the simulator stores every field, and reads them all back
        raise StoredDataError(f"{where} lacks fields the simulator always stores: {missing[:5]}")
    for name, check in writable.items():
        if name in item and (problem := check(name, item[name])) is not None:
            raise StoredDataError(f"{where}: {problem}")
    for name, kind in stored.items():
        if name in item and not _STORED_CHECKS[kind](item[name]):
            raise StoredDataError(f"{where}.{name} must be {kind}, not {_show(item[name])}")


def _check_key(key: dict[str, Any], where: str) -> None:
    missing = sorted(set(KEY_FIELDS) - {"revoked"} - set(key))
    unknown = sorted(set(key) - set(KEY_FIELDS))
    if missing or unknown:
        raise StoredDataError(f"{where} must have exactly the fields {list(KEY_FIELDS)}")
    for name, kind in KEY_FIELDS.items():
        if name in key and not isinstance(key[name], kind):
            raise StoredDataError(f"{where}.{name} must be a JSON {_JSON_NAMES[kind]}")


def _is_user(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"href"} and isinstance(value["href"], str)


_STORED_CHECKS: dict[str, Callable[[Any], bool]] = {
    _TIMESTAMP: lambda value: isinstance(value, str),
    _OPTIONAL_TIMESTAMP: lambda value: value is None or isinstance(value, str),
    _USER: _is_user,
    _OPTIONAL_USER: lambda value: value is None or _is_user(value),
    _COUNT: lambda value: type(value) is int and value >= 0,
    _BOOL: lambda value: isinstance(value, bool),
    _CAPS: lambda value: isinstance(value, list) and all(isinstance(c, str) for c in value),
}


def _show(value: Any) -> str:
    """A short rendering for a message: a data file holds activation codes, so no long text."""
    text = json.dumps(value)  # JSON's names (null, true), control characters escaped
    return text if len(text) <= 40 else f"a JSON {json_type(value)}"
