"""Empty a shared provider process's process-wide state between tests.

Tests share one ``python -m pulumi.dynamic`` child (starting one costs ~0.4 s). The provider
keeps, per process, a client per PCE connection, its request pacer, and caches built on them
(the label listing, the refresh snapshot); a fresh child starts with none of these, and a test
that resets the simulator must not meet them. :class:`ProcessResetProvider` is a dynamic
provider whose ``check`` runs :func:`reset_process_state` inside the child: one Check call, and
the child holds exactly what a fresh one would (the configured provider objects, which hold only
the stack's settings, are kept; every test that uses the shared child has the same config).
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CheckResult, ResourceProvider

from pairing_provider import client


def reset_process_state() -> None:
    """Forget every process-wide client, pacer and cache of the provider package."""
    client.reset_connections()


class ProcessResetProvider(ResourceProvider):
    """Its ``check`` resets the process it runs in (see the module docstring)."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        reset_process_state()
        return CheckResult({"reset": True}, [])
