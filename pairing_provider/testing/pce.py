"""A PCE simulator for one test, with the API key the providers need and a seeding API.

Seeding goes through the simulator's own state (:class:`~pairing_provider.simulator.PCEState`
methods, the same validation as its HTTP API), so it never shows in the request log: the log
holds only what the code under test sent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pairing_provider.simulator import Simulator

if TYPE_CHECKING:
    from pairing_provider.testing.channels import ChannelFactory
    from pairing_provider.testing.stack import Program, Stack

API_KEY_USERNAME = "api_0123456789ab"
API_KEY_SECRET = "pce-test-secret-7f3a91c0"  # noqa: S105 - the simulator's key, not a real one
UNPACED = 1_000_000  # the highest illumio:maxRequestsPerMinute: no wait for room


class PCE:
    """A running simulator: ``with PCE() as pce:``, or the ``pce`` pytest fixture.

    It starts as a fresh PCE does, with its default pairing profiles (``Default (Servers)``,
    ``Default (Endpoints)``); ``seed_defaults=False`` starts it empty. ``simulator_options``
    go to :class:`~pairing_provider.simulator.Simulator` as they are (``release``,
    ``rate_limit``, ``async_retry_after``, and whatever else it accepts).
    """

    def __init__(
        self, org_id: int = 1, *, seed_defaults: bool = True, **simulator_options: Any
    ) -> None:
        # The provider's default pacing (450 requests a minute, a real PCE's budget) only
        # slows a test down against a simulator that enforces no limit: off unless one is set.
        self.paced = simulator_options.get("rate_limit") is not None
        self.simulator = Simulator(
            api_key_username=API_KEY_USERNAME,
            api_key_secret=API_KEY_SECRET,
            org_id=org_id,
            seed_defaults=seed_defaults,
            **simulator_options,
        )

    def __enter__(self) -> PCE:
        self.simulator.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.simulator.stop()

    # --- where it is and how to reach it --------------------------------------------------

    @property
    def url(self) -> str:
        if self.simulator.url is None:
            raise RuntimeError("the PCE simulator is not running")
        return self.simulator.url

    @property
    def org_id(self) -> int:
        return self.simulator.org_id

    @property
    def stack_config(self) -> dict[str, str]:
        """The ``illumio:*`` stack config pointing a stack's providers at this PCE."""
        return {
            "illumio:pceHost": self.url,
            "illumio:apiKeyUsername": API_KEY_USERNAME,
            "illumio:apiKeySecret": API_KEY_SECRET,
            "illumio:orgId": str(self.org_id),
        }

    @property
    def environment(self) -> dict[str, str]:
        """The ``ILLUMIO_*`` environment variables pointing the package at this PCE."""
        return {
            "ILLUMIO_PCE_HOST": self.url,
            "ILLUMIO_API_KEY_USERNAME": API_KEY_USERNAME,
            "ILLUMIO_API_KEY_SECRET": API_KEY_SECRET,
            "ILLUMIO_PCE_ORG_ID": str(self.org_id),
        }

    @contextmanager
    def environ(self) -> Iterator[dict[str, str]]:
        """``os.environ`` with :attr:`environment` set, restored on exit."""
        saved = {name: os.environ.get(name) for name in self.environment}
        os.environ.update(self.environment)
        try:
            yield self.environment
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    # --- seeding --------------------------------------------------------------------------

    def add_label(self, key: str, value: str) -> str:
        """Create a label (``env``/``prod``); its href."""
        label = self.simulator.state.create_label(self.org_id, {"key": key, "value": value})
        return str(label["href"])

    def add_profile(self, name: str, enabled: bool = True, **fields: Any) -> dict[str, Any]:
        """Create a pairing profile as someone did in the console; the PCE's view of it.

        ``fields`` are API fields (``enforcement_mode="full"``, ``labels=[{"href": ...}]``).
        """
        body = {"name": name, "enabled": enabled, **fields}
        return self.simulator.state.create_profile(self.org_id, body)

    def profile(self, href: str) -> dict[str, Any]:
        """A profile as a GET returns it (not logged)."""
        return self.simulator.state.get_profile(self.org_id, _last_number(href))

    def profiles(self) -> list[dict[str, Any]]:
        """Every profile of the org, as the collection GET returns them (not logged)."""
        return self.simulator.state.collection("pairing_profiles", self.org_id, {})

    def change_profile(self, href: str, **fields: Any) -> None:
        """A change made outside the stack (drift), as a PUT of ``fields``."""
        self.simulator.state.update_profile(self.org_id, _last_number(href), fields)

    def delete_profile(self, href: str) -> None:
        """A profile deleted outside the stack."""
        self.simulator.state.delete_profile(self.org_id, _last_number(href))

    def add_fault(self, **fault: Any) -> dict[str, Any]:
        """Make the PCE fail: fields as the simulator's ``/_simulator/faults``."""
        return self.simulator.add_fault(**fault)

    # --- what happened --------------------------------------------------------------------

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every API request received: ``{"method", "path", "status", "body"}``, in order."""
        return self.simulator.requests()

    def clear_requests(self) -> None:
        self.simulator.clear_requests()

    @property
    def pairing_keys(self) -> list[dict[str, Any]]:
        """Every key issued: ``{"profile_href", "activation_code", "generated_at", "revoked"}``."""
        return self.simulator.pairing_keys()

    # --- stacks ---------------------------------------------------------------------------

    def stack(
        self,
        program: Program,
        *,
        config: dict[str, str] | None = None,
        secrets: tuple[str, ...] = (),
        project: str | None = None,
        stack: str = "test",
        channels: ChannelFactory | None = None,
    ) -> Stack:
        """A stack of ``program`` (a function, a project directory or its ``__main__.py``)
        whose providers talk to this PCE; ``config`` as ``pulumi config set`` takes it (a key
        without a namespace is the project's), ``secrets`` the keys set with ``--secret``."""
        from pairing_provider.testing.stack import Stack

        unpaced = {} if self.paced else {"illumio:maxRequestsPerMinute": str(UNPACED)}
        return Stack(
            program,
            config={**self.stack_config, **unpaced, **(config or {})},
            secrets=(*secrets, "illumio:apiKeySecret"),
            project=project,
            stack=stack,
            request_log=self._request_log,
            channels=channels,
        )

    def _request_log(self) -> list[dict[str, Any]]:
        return self.simulator.requests()


def _last_number(href: str) -> int:
    return int(Path(href).name)
