"""Run Pulumi programs in-process (``pulumi.runtime.set_mocks``) with real providers behind them.

``RecordingMonitor`` records every registration request the SDK sends. ``ProviderBackedMocks``
hands each dynamic resource to its real provider (un-pickled from ``__provider``, configured with
the given stack config): check then create, or read for ``Resource.get``, against the PCE
simulator.
"""

from __future__ import annotations

import base64
from typing import Any

import dill
import pulumi
from pulumi.dynamic import Config, ConfigureRequest, ResourceProvider
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs

PROVIDER_KEY = "__provider"


class RecordingMonitor(MockMonitor):
    """Keeps every ``RegisterResourceRequest`` the SDK sends, exactly as it built it.

    It does not imitate what the engine then does with the request (e.g. marking the outputs
    named in ``additionalSecretOutputs`` secret): a test asserts on the request itself, and
    ``docs/pulumi-engine.md`` says, from the engine's source, what the engine does with it.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Any] = []

    def RegisterResource(self, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(request)
        return super().RegisterResource(request)

    def registration(self, type_: str, name: str) -> Any:
        return next(r for r in self.registrations if r.type == type_ and r.name == name)


# The former name, still imported by test_lookups.py and test_migrate.py.
EngineLikeMonitor = RecordingMonitor


class ProviderBackedMocks(pulumi.runtime.Mocks):
    def __init__(self, stack_config: dict[str, str]) -> None:
        self.stack_config = stack_config

    def _provider(self, inputs: dict[str, Any]) -> ResourceProvider:
        # What the dynamic provider server does with the pickled provider (our own state).
        provider: ResourceProvider = dill.loads(base64.b64decode(inputs[PROVIDER_KEY]))  # noqa: S301
        provider.configure(ConfigureRequest(Config(self.stack_config, "proj")))
        return provider

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        # The dynamic provider server answers Configure with acceptSecrets=False, so the
        # engine hands it secret inputs in plain text: do the same.
        args.inputs = {key: rpc.unwrap_rpc_secret(value) for key, value in args.inputs.items()}
        provider = self._provider(args.inputs)
        if args.resource_id:  # Resource.get: the engine reads it
            read = provider.read(args.resource_id, args.inputs)
            return read.id, dict(read.outs or {})
        checked = provider.check({}, dict(args.inputs))
        if checked.failures:
            problems = "; ".join(f.reason for f in checked.failures)
            raise ValueError(f"check failed for {args.name}: {problems}")
        created = provider.create(checked.inputs)
        return created.id, dict(created.outs or {})

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        raise NotImplementedError(f"no invoke is expected here: {args.token}")
