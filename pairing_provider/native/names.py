"""Property names: the declaration's snake_case, the native schema's camelCase.

One mapping function (``camel``) and its inverse over a bag. Every name the native face shows
(schema, wire, detailed diff, check failures) goes through it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from pairing_provider.native import PACKAGE

PROFILE_TOKEN = f"{PACKAGE}:index:PairingProfile"
KEY_TOKEN = f"{PACKAGE}:index:PairingKey"
LABEL_TOKEN = f"{PACKAGE}:index:Label"


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
    by_camel = _by_camel(known)
    return {by_camel.get(name, name): value for name, value in bag.items()}


@cache
def _by_camel(known: tuple[str, ...]) -> dict[str, str]:
    return {camel(name): name for name in known}


@cache
def _declared_names() -> re.Pattern[str]:
    from pairing_provider.models import KEY, LABEL, PROFILE  # the one list of property names

    names = {name for d in (PROFILE, KEY, LABEL) for name in d.outputs if "_" in name}
    return re.compile(r"\b(" + "|".join(sorted(names, key=len, reverse=True)) + r")\b")


def camel_text(text: str) -> str:
    """A message of the core (a check failure, an error) with every declared property named
    as the native face names it: ``key_lifespan`` -> ``keyLifespan``."""
    return _declared_names().sub(lambda match: camel(match.group(1)), text)
