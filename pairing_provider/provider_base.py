"""What every provider of this package shares: connection settings from ``configure``.

A dynamic provider is pickled (dill) into every resource's state. Ours pickle by reference to
their importable class and carry no instance state (``__getstate__`` is empty), so no setting,
and above all no API secret, can travel into a Pulumi state file.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import ConfigureRequest, ResourceProvider
from pulumi.output import Unknown

from pairing_provider.client import PCEClient, client_for
from pairing_provider.config import Settings
from pairing_provider.errors import ConfigurationError

PROVIDER_KEY = "__provider"


class IllumioResourceProvider(ResourceProvider):
    """Base class: settings come from the stack config (``configure``) or the environment."""

    # The pickled provider holds nothing secret, so it need not be encrypted in state.
    serialize_as_secret_always = False

    _settings: Settings | None = None
    _settings_error: ConfigurationError | None = None

    def configure(self, req: ConfigureRequest) -> None:
        # Invalid settings are reported when the PCE is first needed: check and diff work
        # without a PCE, so a preview can still show every input problem at once.
        try:
            self._settings = Settings.load(req.config.get)
            self._settings_error = None
        except ConfigurationError as exc:
            self._settings, self._settings_error = None, exc

    @property
    def client(self) -> PCEClient:
        if self._settings is None:
            if self._settings_error is not None:
                raise self._settings_error
            self._settings = Settings.load()  # configure was not called: environment only
        return client_for(self._settings)

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def contains_unknown(value: Any) -> bool:
    """True when a preview value is, or holds, a not-yet-known value."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(item) for item in value)
    return False


def without_provider(props: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in props.items() if key != PROVIDER_KEY}
