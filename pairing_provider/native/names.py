"""Property names: the declaration's snake_case, the native schema's camelCase.

One mapping function (``camel``) and its inverse over a bag. Every name the native face shows
(schema, wire, detailed diff, check failures) goes through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from pairing_provider.native import PACKAGE

PROFILE_TOKEN = f"{PACKAGE}:index:PairingProfile"
KEY_TOKEN = f"{PACKAGE}:index:PairingKey"


@cache
def camel(name: str) -> str:
    """``key_lifespan`` -> ``keyLifespan``; a name without ``_`` is unchanged."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def to_camel(bag: Mapping[str, Any]) -> dict[str, Any]:
    return {camel(name): value for name, value in bag.items()}


def to_snake(bag: Mapping[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    """A camelCase bag in the declaration's names. A name no declared field maps to is kept
    as it came, so check can still report it as unknown."""
    by_camel = {camel(name): name for name in known}
    return {by_camel.get(name, name): value for name, value in bag.items()}


def camel_reason(field: str, reason: str) -> str:
    """A check failure's text starts with the field's path: name it as the program does."""
    return camel(field) + reason[len(field) :] if reason.startswith(field) else reason
