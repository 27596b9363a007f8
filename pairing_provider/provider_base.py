"""What every provider of this package shares: connection settings from ``configure``.

A dynamic provider is pickled (dill) into every resource's state. Ours pickle by reference to
their importable class and carry no instance state (see ``__reduce__``), so no setting, and
above all no API secret, can travel into a Pulumi state file.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from pulumi.dynamic import ConfigureRequest, ResourceProvider
from pulumi.output import Unknown

from pairing_provider.client import PCEClient, client_for
from pairing_provider.config import Settings
from pairing_provider.errors import ConfigurationError

PROVIDER_KEY = "__provider"
Method = TypeVar("Method", bound=Callable[..., Any])


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

    def __reduce__(self) -> tuple[type, tuple[()]]:
        # Pickled as "call this class with no arguments": no instance state at all, so no
        # setting can travel into state. And no dict is pickled, which matters: the SDK's
        # serialize_provider (3.272) wraps pickle's dict writer once more on every call and
        # never unwraps it, so after ~1000 resources any pickled dict hits RecursionError.
        return (type(self), ())

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def pce_operation(method: Method) -> Method:
    """Run a provider method as one client operation: its requests share one deadline."""

    @functools.wraps(method)
    def wrapper(self: IllumioResourceProvider, *args: Any, **kwargs: Any) -> Any:
        with self.client.operation():
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def contains_unknown(value: Any) -> bool:
    """True when a preview value is, or holds, a not-yet-known value.

    Iterative, so a hostile, deeply nested input cannot exhaust the recursion limit.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, Unknown):
            return True
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


def without_provider(props: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in props.items() if key != PROVIDER_KEY}
