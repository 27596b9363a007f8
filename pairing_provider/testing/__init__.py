"""An offline test kit for stacks that use pairing_provider: the PCE simulator plus an
in-process engine, so a pytest run needs no PCE, no Pulumi CLI and no network.

With the package installed, pytest gets a ``pce`` fixture (a running simulator per test) from
the plugin :mod:`pairing_provider.testing.plugin`::

    def test_prod_stack(pce):
        pce.add_label("env", "prod")
        stack = pce.stack("path/to/project", config={"rotation": "1"})
        up = stack.up()
        assert isinstance(up.outputs["prod_cloud_init"], Secret)
        assert stack.up().changes == {}

Everything here imports the Pulumi SDK only when a stack is made, so the plugin costs a
pytest run nothing until a test uses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pairing_provider.testing.pce import API_KEY_SECRET, API_KEY_USERNAME, PCE
from pairing_provider.testing.values import UNKNOWN, ResourceState, Secret

if TYPE_CHECKING:
    from pairing_provider.errors import CheckFailedError, StackError, StackInterrupted
    from pairing_provider.testing.records import PendingOperation, Step
    from pairing_provider.testing.run_result import RunResult
    from pairing_provider.testing.stack import Stack

_LAZY = {
    "RunResult": "pairing_provider.testing.run_result",
    "Stack": "pairing_provider.testing.stack",
    "PendingOperation": "pairing_provider.testing.records",
    "CheckFailedError": "pairing_provider.errors",
    "StackError": "pairing_provider.errors",
    "StackInterrupted": "pairing_provider.errors",
    "Step": "pairing_provider.testing.records",
}

__all__ = [
    "API_KEY_SECRET",
    "API_KEY_USERNAME",
    "PCE",
    "UNKNOWN",
    "CheckFailedError",
    "PendingOperation",
    "ResourceState",
    "RunResult",
    "Secret",
    "Stack",
    "StackError",
    "StackInterrupted",
    "Step",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
