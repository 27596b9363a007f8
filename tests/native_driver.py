"""Drive the native plugin as the engine does: started as the Python language host starts a
plugin directory, called over gRPC one call at a time (docs/pulumi-engine.md). The engine's
sequences of real programs run on the test kit instead (``pairing_provider/testing/native.py``).

The plugin directory ``provider/`` has a ``__main__.py``, so the host runs it as
``python provider/ <engine address>`` (``RunPlugin``, bare-directory mode) and reads the port
from the first line of its stdout. Values are encoded here with protobuf's own ``Struct``,
independently of the plugin's codec: secrets as the engine's signature object, a preview's
unknown as its sentinel string (the kit's wire constants, which are the SDK's).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from pairing_provider.simulator import Simulator
from pairing_provider.testing.native import plugin_command
from pairing_provider.testing.process import DynamicProviderProcess
from tests.credentials import API_SECRET, API_USER
from tests.engine import secret

PLUGIN_DIR = Path(__file__).resolve().parents[1] / "provider"
UNKNOWN = rpc.UNKNOWN  # a preview's unknown value on the wire
PROFILE = "illumio:index:PairingProfile"
KEY = "illumio:index:PairingKey"
LABEL = "illumio:index:Label"
KIND = provider_pb2.PropertyDiff.Kind.Name


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


class Plugin(DynamicProviderProcess):
    """The plugin process started as ``RunPlugin`` runs its directory (the kit's process
    class: stderr to a file, stdout drained, the child stopped however the start ends), with
    the engine's calls below."""

    def __init__(self, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> None:
        super().__init__(cwd, env, command=plugin_command(PLUGIN_DIR))

    @property
    def stderr(self) -> str:
        return self.stderr_text()

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

    def made(self, token: str, name: str, news: Mapping[str, Any]) -> Resource:
        """Check and Create, as an up creates one resource."""
        checked, failures = self.check(token, name, {}, news)
        assert failures == [], failures
        id_, outputs = self.create(token, name, checked)
        return Resource(token, id_, checked, outputs)

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


def pulumi_import(plugin: Plugin, name: str, token: str, id_: str) -> Resource:
    """``pulumi import`` (an import deployment, ``ImportStep`` with ``planned``): Read(id)
    alone, then Check of the read inputs against themselves and a Diff that must show no
    change. (A program's ``import_=`` runs on the test kit: tests/test_native_sequences.py.)"""
    read_id, outs, inputs = plugin.read(token, name, id_)
    checked, failures = plugin.check(token, name, inputs, inputs)
    assert failures == [], failures
    diff = plugin.diff(token, name, read_id, outs, checked)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE, list(diff.diffs)
    return Resource(token, read_id, inputs, outs)


@pytest.fixture(scope="session", name="shared_plugin")
def shared_plugin_fixture(simulator_server: Simulator) -> Iterator[Plugin]:
    """One plugin process per test session (per xdist worker), configured for the session's
    simulator; each test meets a reset simulator."""
    with Plugin() as running:
        running.configure(session_config(simulator_server))
        yield running
    assert API_SECRET not in running.stderr


def session_config(simulator: Simulator) -> dict[str, Any]:
    return {
        "pceHost": simulator.url,
        "apiKeyUsername": API_USER,
        "apiKeySecret": API_SECRET,
        "requestTimeout": 5,
        "maxRetries": 1,
    }


@pytest.fixture(name="plugin")
def plugin_fixture(shared_plugin: Plugin, simulator: Simulator) -> Plugin:
    """The shared plugin configured again, as for a new deployment (nothing held from the
    last test's), before the test's requests are counted."""
    shared_plugin.configure(session_config(simulator))
    simulator.clear_requests()
    return shared_plugin
