"""The look-ups as the native face's functions (``Invoke``): ``lookups.py`` run with the
provider's own connection, arguments and results in camelCase."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from pairing_provider import lookups
from pairing_provider.client import PCEClient
from pairing_provider.errors import LookupFailedError
from pairing_provider.native.names import to_camel, to_snake
from pairing_provider.native.schema import FUNCTION_TOKENS

FUNCTIONS: dict[str, Callable[..., Any]] = {
    token: getattr(lookups, name) for name, token in FUNCTION_TOKENS.items()
}


def invoke(token: str, args: Mapping[str, Any], client: PCEClient) -> dict[str, Any]:
    function = FUNCTIONS.get(token)
    if function is None:
        raise LookupFailedError(f"unknown function {token!r} (known: {', '.join(FUNCTIONS)})")
    parameters = tuple(name for name in inspect.signature(function).parameters if name != "client")
    given = to_snake(args, parameters)
    unknown = sorted(set(given) - set(parameters))
    if unknown:
        raise LookupFailedError(
            f"{token}: unknown argument {', '.join(unknown)} (known: {', '.join(parameters)})"
        )
    with client.operation():
        result = function(**given, client=client)
    if token == FUNCTION_TOKENS["get_pairing_profile"]:
        return to_camel(result.model_dump())
    if token == FUNCTION_TOKENS["find_pairing_profiles"]:
        return {"profiles": [to_camel(profile.model_dump()) for profile in result]}
    return {"labels": list(result)}
