"""A dynamic provider that does nothing: the floor of any call through the SDK's server.

Timed beside the real providers, it splits their overhead into what every Python dynamic
provider pays (gRPC, the SDK's server un-pickling the provider and converting properties) and
what this package adds. Importable, so it pickles by reference like the real ones.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ResourceProvider


class FloorProvider(ResourceProvider):
    """Echoes its inputs, as cheaply as Python allows."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, [])

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("floor", props)
