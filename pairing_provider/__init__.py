"""Illumio PCE pairing profiles, pairing keys and labels as Pulumi resources (a dynamic provider).

The names below are loaded on first use (PEP 562), so ``import pairing_provider`` stays cheap:
the simulator and the migration tool do not pay for the Pulumi SDK, and a program pays only
for what it uses.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("pairing_provider")  # the installed distribution's, pyproject's
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

if TYPE_CHECKING:
    from pairing_provider.config import Settings
    from pairing_provider.errors import (
        AuthenticationError,
        ConfigurationError,
        ForbiddenError,
        IllumioError,
        InvalidHrefError,
        InvalidInputError,
        JobFailedError,
        LabelError,
        LookupFailedError,
        MigrationError,
        NotAcceptableError,
        NotFoundError,
        OperationTimeoutError,
        PairingKeyError,
        PairingKeyLimitError,
        PairingProfileError,
        PCEConnectionError,
        PCEError,
        RateLimitedError,
        UnexpectedResponseError,
    )
    from pairing_provider.key import PairingKey, PairingKeyProvider
    from pairing_provider.label import Label, LabelProvider
    from pairing_provider.lookups import (
        find_label,
        find_label_output,
        find_labels,
        find_labels_output,
        find_pairing_profiles,
        find_pairing_profiles_output,
        get_pairing_profile,
        get_pairing_profile_output,
    )
    from pairing_provider.models import PairingProfileData
    from pairing_provider.profile import PairingProfile, PairingProfileProvider

_EXPORTS = {
    "Settings": "pairing_provider.config",
    "AuthenticationError": "pairing_provider.errors",
    "ConfigurationError": "pairing_provider.errors",
    "ForbiddenError": "pairing_provider.errors",
    "IllumioError": "pairing_provider.errors",
    "InvalidHrefError": "pairing_provider.errors",
    "InvalidInputError": "pairing_provider.errors",
    "JobFailedError": "pairing_provider.errors",
    "LabelError": "pairing_provider.errors",
    "LookupFailedError": "pairing_provider.errors",
    "MigrationError": "pairing_provider.errors",
    "OperationTimeoutError": "pairing_provider.errors",
    "PairingKeyError": "pairing_provider.errors",
    "PairingKeyLimitError": "pairing_provider.errors",
    "PairingProfileError": "pairing_provider.errors",
    "UnexpectedResponseError": "pairing_provider.errors",
    "NotAcceptableError": "pairing_provider.errors",
    "NotFoundError": "pairing_provider.errors",
    "PCEConnectionError": "pairing_provider.errors",
    "PCEError": "pairing_provider.errors",
    "RateLimitedError": "pairing_provider.errors",
    "PairingKey": "pairing_provider.key",
    "PairingKeyProvider": "pairing_provider.key",
    "PairingProfile": "pairing_provider.profile",
    "PairingProfileProvider": "pairing_provider.profile",
    "PairingProfileData": "pairing_provider.models",
    "Label": "pairing_provider.label",
    "LabelProvider": "pairing_provider.label",
    "find_label": "pairing_provider.lookups",
    "find_label_output": "pairing_provider.lookups",
    "find_labels": "pairing_provider.lookups",
    "find_labels_output": "pairing_provider.lookups",
    "find_pairing_profiles": "pairing_provider.lookups",
    "find_pairing_profiles_output": "pairing_provider.lookups",
    "get_pairing_profile": "pairing_provider.lookups",
    "get_pairing_profile_output": "pairing_provider.lookups",
}

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "ForbiddenError",
    "IllumioError",
    "InvalidHrefError",
    "InvalidInputError",
    "JobFailedError",
    "Label",
    "LabelError",
    "LabelProvider",
    "LookupFailedError",
    "MigrationError",
    "NotAcceptableError",
    "NotFoundError",
    "OperationTimeoutError",
    "PCEConnectionError",
    "PCEError",
    "PairingKey",
    "PairingKeyError",
    "PairingKeyLimitError",
    "PairingKeyProvider",
    "PairingProfile",
    "PairingProfileData",
    "PairingProfileError",
    "PairingProfileProvider",
    "RateLimitedError",
    "Settings",
    "UnexpectedResponseError",
    "find_label",
    "find_label_output",
    "find_labels",
    "find_labels_output",
    "find_pairing_profiles",
    "find_pairing_profiles_output",
    "get_pairing_profile",
    "get_pairing_profile_output",
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
