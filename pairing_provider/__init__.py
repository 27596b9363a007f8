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

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "ForbiddenError",
    "IllumioError",
    "NotAcceptableError",
    "NotFoundError",
    "PCEConnectionError",
    "PCEError",
    "RateLimitedError",
    "Settings",
]
