"""How the kit's engine reaches a resource's provider: a *provider channel*.

The sequencer (:mod:`pairing_provider.testing.engine`) decides the steps as the engine does and
asks a channel for each provider call, with property bags as the state holds them. A channel
answers as the provider's gRPC server would: values as they come out of a ``Struct`` (ints as
floats, ``None`` dropped), ``__provider`` added to every result of a dynamic provider.

- :class:`InProcessChannel`: the dynamic provider object itself, un-pickled from
  ``__provider`` in this process (fast; the kit's default);
- :class:`GrpcChannel`: a ``python -u -m pulumi.dynamic`` child called over gRPC, exactly the
  process the engine starts (a provider's exception arrives as a :class:`StackError` ending
  with the server's last traceback line, as the engine prints it).

:class:`Channels` picks the channel of a resource: a dynamic resource (its bag holds
``__provider``) goes to the dynamic channel; another provider's face (a native plugin serving
the ResourceProvider protocol) is added by its package name (``illumio`` for
``illumio:index:PairingProfile``) with :meth:`Channels.add`. A resource no channel serves is
echoed by the sequencer (its inputs are its outputs), as Pulumi's own unit-test mocks do.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import dill  # type: ignore[import-untyped]
import grpc  # type: ignore[import-untyped]
from pulumi.dynamic import Config, ConfigureRequest, ResourceProvider
from pulumi.runtime.proto import provider_pb2

from pairing_provider.errors import StackError
from pairing_provider.testing.process import DynamicProviderProcess
from pairing_provider.testing.wire import PROVIDER_KEY, from_grpc, mark_secrets, over_grpc, to_grpc

Bag = dict[str, Any]  # a property bag as the state holds it


@dataclass(frozen=True)
class Checked:
    inputs: dict[str, Any]
    failures: list[tuple[str, str]]  # (property, reason): the property is "" for a whole-input one


@dataclass(frozen=True)
class Diffed:
    changes: bool | None  # None: DIFF_UNKNOWN, the engine compares the inputs itself
    replaces: list[str]
    delete_before_replace: bool
    # The provider's detailed diff (property -> PropertyDiff kind name such as
    # "UPDATE_REPLACE"), or None when it sent none (the dynamic server never does).
    detailed: dict[str, str] | None = None

    @property
    def replace(self) -> bool:
        """``DiffResult.Replace``: a replace kind in the detailed diff, or a replaced key."""
        kinds = (self.detailed or {}).values()
        return bool(self.replaces) or any(kind.endswith("_REPLACE") for kind in kinds)


@dataclass(frozen=True)
class ReadAnswer:
    id: str  # "": the resource is gone
    outputs: dict[str, Any]
    inputs: dict[str, Any] | None  # None: the provider returned none, the old ones stay


class ProviderChannel(Protocol):
    """The provider calls the engine makes, with bags as the state holds them.

    ``supports_preview``: the provider answered Configure with ``supportsPreview``, so a
    preview calls its Create and Update with ``preview=True`` (else no call at all)."""

    supports_preview: bool

    def check(self, urn: str, olds: dict[str, Any], news: dict[str, Any]) -> Checked: ...

    def diff(
        self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any], old_inputs: Bag
    ) -> Diffed: ...

    def create(
        self, urn: str, inputs: dict[str, Any], *, preview: bool = False
    ) -> tuple[str, dict[str, Any]]: ...

    def read(
        self, urn: str, id_: str, props: dict[str, Any], inputs: dict[str, Any]
    ) -> ReadAnswer: ...

    def update(
        self,
        urn: str,
        id_: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        old_inputs: Bag,
        *,
        preview: bool = False,
    ) -> dict[str, Any]: ...

    def delete(self, urn: str, id_: str, props: dict[str, Any], old_inputs: Bag) -> None: ...

    def close(self) -> None: ...


class Channels:
    """The provider channel of each resource (see the module docstring)."""

    def __init__(self, dynamic: ProviderChannel) -> None:
        self.dynamic = dynamic
        self._by_package: dict[str, ProviderChannel] = {}

    def add(self, package: str, channel: ProviderChannel) -> None:
        self._by_package[package] = channel

    def for_resource(self, type_: str, props: dict[str, Any]) -> ProviderChannel | None:
        if PROVIDER_KEY in props:
            return self.dynamic
        return self._by_package.get(type_.split(":", 1)[0])

    def close(self) -> None:
        for channel in (self.dynamic, *self._by_package.values()):
            channel.close()


class InProcessChannel:
    """The dynamic provider in this process, as ``python -m pulumi.dynamic`` would run it: one
    configured provider per pickled class (one provider process per run)."""

    supports_preview = False  # the dynamic server announces no preview support

    def __init__(self, config: dict[str, str], project: str) -> None:
        self._config = ConfigureRequest(Config(dict(config), project))
        self._providers: dict[str, ResourceProvider] = {}
        self._lock = threading.Lock()

    def _provider(self, props: dict[str, Any]) -> ResourceProvider:
        pickled = props[PROVIDER_KEY]
        with self._lock:
            provider = self._providers.get(pickled)
            if provider is None:
                # The provider comes from the program's own registration (as for the engine).
                provider = dill.loads(base64.b64decode(pickled))  # noqa: S301
                provider.configure(self._config)
                self._providers[pickled] = provider
            return provider

    def check(self, urn: str, olds: dict[str, Any], news: dict[str, Any]) -> Checked:
        result = self._provider(news).check(over_grpc(olds), news)
        inputs = self._with_provider(result.inputs, news)
        failures = [(f.property or "", f.reason) for f in result.failures or []]
        return Checked(inputs, failures)

    def diff(
        self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any], old_inputs: Bag
    ) -> Diffed:
        # The dynamic server hands the provider no old inputs (nor does it here).
        result = self._provider(news).diff(id_, over_grpc(olds), over_grpc(news))
        replaces = list(result.replaces or [])
        return Diffed(result.changes, replaces, bool(result.delete_before_replace))

    def create(
        self, urn: str, inputs: dict[str, Any], *, preview: bool = False
    ) -> tuple[str, dict[str, Any]]:
        created = self._provider(inputs).create(over_grpc(inputs))
        return created.id, self._with_provider(created.outs, inputs)

    def read(self, urn: str, id_: str, props: dict[str, Any], inputs: dict[str, Any]) -> ReadAnswer:
        props = props or inputs  # the server's fall-back for a get (SDK 3.268 and later)
        result = self._provider(props).read(id_, over_grpc(props))
        given = getattr(result, "inputs", None)
        new_inputs = None if given is None else self._with_provider(given, props)
        return ReadAnswer(result.id or "", self._with_provider(result.outs, props), new_inputs)

    def update(
        self,
        urn: str,
        id_: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        old_inputs: Bag,
        *,
        preview: bool = False,
    ) -> dict[str, Any]:
        updated = self._provider(news).update(id_, over_grpc(olds), over_grpc(news))
        return self._with_provider(updated.outs, news)

    def delete(self, urn: str, id_: str, props: dict[str, Any], old_inputs: Bag) -> None:
        self._provider(props).delete(id_, over_grpc(props))

    def close(self) -> None:
        self._providers.clear()

    @staticmethod
    def _with_provider(values: dict[str, Any] | None, bag: dict[str, Any]) -> dict[str, Any]:
        return over_grpc({**(values or {}), PROVIDER_KEY: bag[PROVIDER_KEY]})


class GrpcChannel:
    """The dynamic provider server in a child process, called over gRPC as the engine calls it:
    Configure with the whole stack config first (secret keys marked), then each call."""

    def __init__(
        self,
        process: DynamicProviderProcess,
        config: dict[str, str],
        secret_keys: Iterable[str] = (),
        *,
        owned: bool = True,
        call_timeout: float = 60.0,
    ) -> None:
        self.process = process
        self._owned = owned
        self._timeout = call_timeout
        if owned:
            process.start()
        try:
            request = self.configure_request(config, set(secret_keys))
            configured = self._call("Configure", request)
        except BaseException:
            if owned:  # a channel that started its process stops it, whatever failed
                process.close()
            raise
        self.supports_preview = bool(configured.supportsPreview)

    def configure_request(self, config: dict[str, str], secrets: set[str]) -> Any:
        """What the engine sends the dynamic provider: the whole stack config."""
        args = mark_secrets(config, frozenset(secrets))
        return provider_pb2.ConfigureRequest(
            variables={f"pulumi-python:config:{k}": v for k, v in config.items()},
            args=to_grpc(args),
            acceptSecrets=True,
            acceptResources=True,
        )

    def _call(self, method: str, request: Any) -> Any:
        try:
            return self.process.call(method, request, self._timeout)
        except grpc.RpcError as err:
            details = err.details() if isinstance(err, grpc.Call) else str(err)
            last = [line for line in (details or "").splitlines() if line.strip()][-1:]
            raise StackError(f"{method} failed: {''.join(last)}") from err

    @staticmethod
    def _names(urn: str) -> dict[str, Any]:
        type_, name = urn.split("::")[2].rsplit("$", 1)[-1], urn.split("::")[3]
        return {"urn": urn, "type": type_, "name": name}

    def check(self, urn: str, olds: dict[str, Any], news: dict[str, Any]) -> Checked:
        request = provider_pb2.CheckRequest(
            **self._names(urn), olds=to_grpc(olds), news=to_grpc(news)
        )
        response = self._call("Check", request)
        failures = [(f.property, f.reason) for f in response.failures]
        return Checked(from_grpc(response.inputs), failures)

    def diff(
        self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any], old_inputs: Bag
    ) -> Diffed:
        request = provider_pb2.DiffRequest(
            **self._names(urn),
            id=id_,
            olds=to_grpc(olds),
            news=to_grpc(news),
            old_inputs=to_grpc(old_inputs),
        )
        response = self._call("Diff", request)
        changes = {
            provider_pb2.DiffResponse.DIFF_SOME: True,
            provider_pb2.DiffResponse.DIFF_NONE: False,
        }.get(response.changes)
        detailed = {
            name: provider_pb2.PropertyDiff.Kind.Name(item.kind)
            for name, item in response.detailedDiff.items()
        }
        return Diffed(
            changes,
            list(response.replaces),
            response.deleteBeforeReplace,
            detailed if response.hasDetailedDiff else None,
        )

    def create(
        self, urn: str, inputs: dict[str, Any], *, preview: bool = False
    ) -> tuple[str, dict[str, Any]]:
        request = provider_pb2.CreateRequest(
            **self._names(urn), properties=to_grpc(inputs), preview=preview
        )
        response = self._call("Create", request)
        return response.id, from_grpc(response.properties)

    def read(self, urn: str, id_: str, props: dict[str, Any], inputs: dict[str, Any]) -> ReadAnswer:
        request = provider_pb2.ReadRequest(
            **self._names(urn), id=id_, properties=to_grpc(props), inputs=to_grpc(inputs)
        )
        response = self._call("Read", request)
        new_inputs = from_grpc(response.inputs) if response.HasField("inputs") else None
        return ReadAnswer(response.id, from_grpc(response.properties), new_inputs)

    def update(
        self,
        urn: str,
        id_: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        old_inputs: Bag,
        *,
        preview: bool = False,
    ) -> dict[str, Any]:
        request = provider_pb2.UpdateRequest(
            **self._names(urn),
            id=id_,
            olds=to_grpc(olds),
            news=to_grpc(news),
            old_inputs=to_grpc(old_inputs),
            preview=preview,
        )
        return from_grpc(self._call("Update", request).properties)

    def delete(self, urn: str, id_: str, props: dict[str, Any], old_inputs: Bag) -> None:
        request = provider_pb2.DeleteRequest(
            **self._names(urn), id=id_, properties=to_grpc(props), old_inputs=to_grpc(old_inputs)
        )
        self._call("Delete", request)

    def close(self) -> None:
        if self._owned:
            self.process.close()


ChannelFactory = Callable[[dict[str, str], frozenset[str], str], Channels]
"""Opens a run's channels from (stack config, its secret keys, project name)."""


def in_process(config: dict[str, str], secret_keys: frozenset[str], project: str) -> Channels:
    """The kit's default: the dynamic provider in this process."""
    return Channels(InProcessChannel(config, project))


def over_grpc_process(
    process: DynamicProviderProcess | None = None, **process_options: Any
) -> ChannelFactory:
    """Dynamic providers over gRPC: a fresh ``python -m pulumi.dynamic`` child per run, as the
    engine starts one per deployment (``process_options`` as :class:`DynamicProviderProcess`
    takes them), or the running ``process`` given, shared by every run."""

    def channels(config: dict[str, str], secret_keys: frozenset[str], project: str) -> Channels:
        child = process or DynamicProviderProcess(**process_options)
        return Channels(GrpcChannel(child, config, secret_keys, owned=process is None))

    return channels
