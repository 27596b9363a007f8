"""What every provider of this package shares: connection settings from ``configure``.

A dynamic provider is pickled (dill) into every resource's state. Ours pickle by reference to
their importable class and carry no instance state (see ``__reduce__``), so no setting, and
above all no API secret, can travel into a Pulumi state file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, ConfigureRequest, ResourceProvider

from pairing_provider.client import PCEClient, client_for
from pairing_provider.config import Settings
from pairing_provider.declaration import Declaration
from pairing_provider.errors import ConfigurationError, InvalidHrefError
from pairing_provider.hrefs import PROFILE_EXAMPLE, PROFILE_HREF, href_problem
from pairing_provider.log_level import apply_log_level

Method = TypeVar("Method", bound=Callable[..., Any])


class IllumioResourceProvider(ResourceProvider):
    """Base class: settings come from the stack config (``configure``) or the environment."""

    # The pickled provider holds nothing secret, so it need not be encrypted in state.
    serialize_as_secret_always = False
    declaration: Declaration[Any, Any]

    _settings: Settings | None = None
    _settings_error: ConfigurationError | None = None
    # The client of these settings, held: an operation asks for it several times, and
    # client_for takes a lock and hashes every setting each time.
    _client: PCEClient | None = None

    def configure(self, req: ConfigureRequest) -> None:
        # Invalid settings are reported when the PCE is first needed: check and diff work
        # without a PCE, so a preview can still show every input problem at once.
        self._client = None
        try:
            apply_log_level()  # this is where the engine's provider process starts its work
            self._settings = Settings.load(req.config.get)
            self._settings_error = None
        except ConfigurationError as exc:
            self._settings, self._settings_error = None, exc

    @property
    def client(self) -> PCEClient:
        client = self._client
        if client is not None and not client.retired:
            return client
        if self._settings is None:
            if self._settings_error is not None:
                raise self._settings_error
            apply_log_level()  # configure was not called (an engine before 3.139)
            self._settings = Settings.load()  # environment only
        client = self._client = client_for(self._settings)
        return client

    @property
    def org_id(self) -> int | None:
        """The configured org, or None while settings are missing (check works offline)."""
        try:
            return self.client.settings.org_id
        except ConfigurationError:
            return None

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """The declaration's validation: defaults filled, every problem at once."""
        inputs, failures = self.declaration.check(news, context={"org_id": self.org_id})
        if failures:
            inputs = dict(news)  # the engine shows the failures; keep what the program said
        return CheckResult(inputs, [CheckFailure(f.field, f.reason) for f in failures])

    def valid_href(self, href: Any) -> str:
        """A profile href of the configured org, checked before any request is built from it:
        an id such as ``.../pairing_profiles/1/../../labels/1`` never reaches the PCE."""
        return self.checked_href(href, PROFILE_HREF, PROFILE_EXAMPLE, "pairing profile")

    def checked_href(self, href: Any, shape: re.Pattern[str], example: str, noun: str) -> str:
        """``href`` when it is an object of ``shape`` in the configured org, else
        :class:`InvalidHrefError` naming it (``example`` shows the shape)."""
        problem = href_problem(shape, href, example, self.org_id)
        if problem is not None:
            shown = repr(href) if isinstance(href, str) and len(href) <= 120 else "the value"
            raise InvalidHrefError(f"{noun} href {shown} {problem}")
        return str(href)

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


def whole_numbers(resource: pulumi.Resource, declaration: Declaration[Any, Any]) -> None:
    """Make the ``int | str`` outputs ints at run time, as their types say.

    Numbers cross gRPC as doubles, and the SDK turns them back into ints only for a plain
    ``int`` type, not for ``int | str``: so ``key_lifespan`` would resolve to ``3600.0``.
    """
    for name in declaration.int_or_text:
        output: pulumi.Output[Any] = resource.__dict__[name]
        resource.__dict__[name] = output.apply(_whole)


def _whole(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value
