"""Illumio PCE pairing profiles and pairing keys as Pulumi resources (a dynamic provider)."""

from pairing_provider.config import Settings
from pairing_provider.errors import (
    AuthenticationError,
    ConfigurationError,
    ForbiddenError,
    IllumioError,
    NotAcceptableError,
    NotFoundError,
    PCEConnectionError,
    PCEError,
    RateLimitedError,
)
from pairing_provider.key import PairingKey, PairingKeyProvider
from pairing_provider.profile import PairingProfile, PairingProfileProvider

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "ForbiddenError",
    "IllumioError",
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
