"""Illumio PCE pairing profiles and pairing keys as Pulumi resources (a dynamic provider).

The names below are loaded on first use (PEP 562), so ``import pairing_provider`` stays cheap:
the simulator and the migration tool do not pay for the Pulumi SDK, and a program pays only
for what it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pairing_provider.config import Settings
    from pairing_provider.errors import (
        AuthenticationError,
        ConfigurationError,
        ForbiddenError,
        IllumioError,
        JobFailedError,
        NotAcceptableError,
        NotFoundError,
        PCEConnectionError,
        PCEError,
        RateLimitedError,
    )
    from pairing_provider.key import PairingKey, PairingKeyProvider
    from pairing_provider.profile import PairingProfile, PairingProfileProvider

_EXPORTS = {
    "Settings": "pairing_provider.config",
    "AuthenticationError": "pairing_provider.errors",
    "ConfigurationError": "pairing_provider.errors",
    "ForbiddenError": "pairing_provider.errors",
    "IllumioError": "pairing_provider.errors",
    "JobFailedError": "pairing_provider.errors",
    "NotAcceptableError": "pairing_provider.errors",
    "NotFoundError": "pairing_provider.errors",
    "PCEConnectionError": "pairing_provider.errors",
    "PCEError": "pairing_provider.errors",
    "RateLimitedError": "pairing_provider.errors",
    "PairingKey": "pairing_provider.key",
    "PairingKeyProvider": "pairing_provider.key",
    "PairingProfile": "pairing_provider.profile",
    "PairingProfileProvider": "pairing_provider.profile",
}

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "ForbiddenError",
    "IllumioError",
    "JobFailedError",
    "NotAcceptableError",
    "NotFoundError",
    "PCEConnectionError",
    "PCEError",
    "PairingKey",
    "PairingKeyProvider",
    "PairingProfile",
    "PairingProfileProvider",
    "RateLimitedError",
    "Settings",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pairing_provider' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
