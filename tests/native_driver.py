"""Drive the native plugin as the engine does: started as the Python language host starts a
plugin directory, called over gRPC, in the engine's sequences (docs/pulumi-engine.md).

The plugin directory ``provider/`` has a ``__main__.py``, so the host runs it as
``python provider/ <engine address>`` (``RunPlugin``, bare-directory mode) and reads the port
from the first line of its stdout. Values are encoded here with protobuf's own ``Struct``,
independently of the plugin's codec: secrets as the engine's signature object, a preview's
unknown as its sentinel string.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from pairing_provider.simulator import Simulator
from tests.conftest import API_SECRET, API_USER

PLUGIN_DIR = Path(__file__).resolve().parents[1] / "provider"
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
PROFILE = "illumio:index:PairingProfile"
KEY = "illumio:index:PairingKey"
KIND = provider_pb2.PropertyDiff.Kind.Name


def secret(value: Any) -> dict[str, Any]:
    return {SIG_KEY: SECRET_SIG, "value": value}


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def reveal(value: Any) -> Any:
    return value["value"] if is_secret(value) else value


def struct(bag: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(dict(bag))
    return message


def plain(message: struct_pb2.Struct) -> dict[str, Any]:
    """Decoded as the engine holds it; whole numbers as ints (the wire has only doubles)."""
    return _ints(json_format.MessageToDict(message))  # type: ignore[no-any-return]


def _ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_ints(item) for item in value]
    return value


def urn(token: str, name: str) -> str:
    return f"urn:pulumi:dev::proj::{token}::{name}"


class Plugin:
    """The plugin process and a stub of its ResourceProvider service."""

    def __init__(self, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(PLUGIN_DIR), "127.0.0.1:1"],  # as RunPlugin runs it
            cwd=cwd,
            env=None if env is None else dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline().strip())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def __enter__(self) -> Plugin:
        return self

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType]) -> None:
        self.channel.close()
        self.process.terminate()
        _, self.stderr = self.process.communicate(timeout=10)

    def configure(self, config: Mapping[str, Any]) -> provider_pb2.ConfigureResponse:
        """Config as the engine sends a native provider its own keys (``illumio:apiKeySecret``
        set with --secret arrives secret)."""
        args = {
            key: secret(value) if key == "apiKeySecret" else value for key, value in config.items()
        }
        request = provider_pb2.ConfigureRequest(
            args=struct(args),
            variables={f"illumio:config:{key}": str(value) for key, value in config.items()},
            acceptSecrets=True,
        )
        return self.stub.Configure(request)

    def check(
        self, token: str, name: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        response = self.stub.Check(
            provider_pb2.CheckRequest(urn=urn(token, name), olds=struct(olds), news=struct(news))
        )
        return plain(response.inputs), [(f.property, f.reason) for f in response.failures]

    def diff(
        self, token: str, name: str, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> provider_pb2.DiffResponse:
        return self.stub.Diff(
            provider_pb2.DiffRequest(
                urn=urn(token, name), id=id_, olds=struct(olds), news=struct(news)
            )
        )

    def create(
        self, token: str, name: str, inputs: Mapping[str, Any], *, preview: bool = False
    ) -> tuple[str, dict[str, Any]]:
        response = self.stub.Create(
            provider_pb2.CreateRequest(
                urn=urn(token, name), properties=struct(inputs), preview=preview
            )
        )
        return response.id, plain(response.properties)

    def read(
        self,
        token: str,
        name: str,
        id_: str,
        props: Mapping[str, Any] | None = None,
        inputs: Mapping[str, Any] | None = None,
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        response = self.stub.Read(
            provider_pb2.ReadRequest(
                urn=urn(token, name),
                id=id_,
                properties=struct(props or {}),
                inputs=struct(inputs or {}),
            )
        )
        return response.id, plain(response.properties), plain(response.inputs)

    def update(
        self,
        token: str,
        name: str,
        id_: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        preview: bool = False,
    ) -> dict[str, Any]:
        response = self.stub.Update(
            provider_pb2.UpdateRequest(
                urn=urn(token, name), id=id_, olds=struct(olds), news=struct(news), preview=preview
            )
        )
        return plain(response.properties)

    def delete(self, token: str, name: str, id_: str, props: Mapping[str, Any]) -> None:
        self.stub.Delete(
            provider_pb2.DeleteRequest(urn=urn(token, name), id=id_, properties=struct(props))
        )

    def invoke(self, token: str, args: Mapping[str, Any]) -> dict[str, Any]:
        response = self.stub.Invoke(provider_pb2.InvokeRequest(tok=token, args=struct(args)))
        return plain(getattr(response, "return"))

    def plugin_info(self) -> str:
        return str(self.stub.GetPluginInfo(empty_pb2.Empty()).version)

    def schema(self) -> str:
        return str(self.stub.GetSchema(provider_pb2.GetSchemaRequest(version=0)).schema)


@dataclass
class Resource:
    token: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


@dataclass
class Ref:
    """An input taken from another resource of the same run: its id or one of its outputs."""

    name: str
    output: str = "id"


@dataclass
class Stack:
    """A stack's state over engine operations (FACTS 4b): preview, up, refresh, import, destroy.

    A program is a list of ``(name, token, inputs)``; an input may be a :class:`Ref`.
    """

    plugin: Plugin
    state: dict[str, Resource] = field(default_factory=dict)

    def preview(self, program: list[tuple[str, str, dict[str, Any]]]) -> dict[str, str]:
        return self._run(program, preview=True)

    def up(self, program: list[tuple[str, str, dict[str, Any]]]) -> dict[str, str]:
        return self._run(program, preview=False)

    def _run(
        self, program: list[tuple[str, str, dict[str, Any]]], *, preview: bool
    ) -> dict[str, str]:
        changes: dict[str, str] = {}
        seen: dict[str, Resource] = {}
        pending_deletes: list[tuple[str, Resource]] = []
        for name, token, given in program:
            news = {key: self._resolve(value, seen) for key, value in given.items()}
            old = self.state.get(name)
            checked, failures = self.plugin.check(token, name, old.inputs if old else {}, news)
            assert failures == [], failures
            if old is None:
                id_, outs = self.plugin.create(token, name, checked, preview=preview)
                seen[name] = Resource(token, id_, checked, outs)
                changes[name] = "create"
                continue
            diff = self.plugin.diff(token, name, old.id, old.outputs, checked)
            if diff.changes != provider_pb2.DiffResponse.DIFF_SOME:
                seen[name] = Resource(token, old.id, checked, old.outputs)
                continue
            if diff.replaces:
                changes[name] = "replace"
                checked, _ = self.plugin.check(token, name, {}, news)  # again, with no olds
                if diff.deleteBeforeReplace and not preview:
                    self.plugin.delete(token, name, old.id, old.outputs)
                elif not preview:
                    pending_deletes.append((name, old))
                id_, outs = self.plugin.create(token, name, checked, preview=preview)
                seen[name] = Resource(token, id_, checked, outs)
                continue
            changes[name] = "update"
            outs = self.plugin.update(token, name, old.id, old.outputs, checked, preview=preview)
            seen[name] = Resource(token, old.id, checked, outs)
        removed = [name for name in self.state if name not in seen]
        changes.update(dict.fromkeys(removed, "delete"))
        if not preview:
            for name, old in [*pending_deletes, *((n, self.state[n]) for n in reversed(removed))]:
                self.plugin.delete(old.token, name, old.id, old.outputs)
            self.state = seen
        return changes

    def _resolve(self, value: Any, seen: dict[str, Resource]) -> Any:
        if not isinstance(value, Ref):
            return value
        resource = seen[value.name]
        if not resource.id:  # created or replaced in a preview: not known yet
            return UNKNOWN
        return resource.id if value.output == "id" else resource.outputs.get(value.output, UNKNOWN)

    def refresh(self) -> None:
        for name, resource in list(self.state.items()):
            id_, outs, inputs = self.plugin.read(
                resource.token, name, resource.id, resource.outputs, resource.inputs
            )
            if not id_:
                del self.state[name]
                continue
            self.state[name] = Resource(resource.token, id_, inputs or resource.inputs, outs)

    def import_(self, name: str, token: str, id_: str) -> dict[str, Any]:
        """``pulumi import``: Read(id) alone, then Check of the read inputs and a Diff that
        must show no change; the state then holds the resource."""
        read_id, outs, inputs = self.plugin.read(token, name, id_)
        checked, failures = self.plugin.check(token, name, inputs, inputs)  # as ImportStep does
        assert failures == [], failures
        diff = self.plugin.diff(token, name, read_id, outs, checked)
        assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE, list(diff.diffs)
        self.state[name] = Resource(token, read_id, checked, outs)
        return inputs

    def destroy(self) -> None:
        for name in reversed(list(self.state)):
            resource = self.state.pop(name)
            self.plugin.delete(resource.token, name, resource.id, resource.outputs)


@pytest.fixture(scope="session", name="shared_plugin")
def shared_plugin_fixture(simulator_server: Simulator) -> Iterator[Plugin]:
    """One plugin process per test session (per xdist worker), configured for the session's
    simulator; each test meets a reset simulator."""
    with Plugin() as running:
        running.configure(
            {
                "pceHost": simulator_server.url,
                "apiKeyUsername": API_USER,
                "apiKeySecret": API_SECRET,
                "requestTimeout": 5,
                "maxRetries": 1,
            }
        )
        yield running
    assert API_SECRET not in running.stderr


@pytest.fixture(name="plugin")
def plugin_fixture(shared_plugin: Plugin, simulator: Simulator) -> Plugin:
    simulator.clear_requests()
    return shared_plugin
