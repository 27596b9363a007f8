"""The engine's ResourceProvider gRPC protocol, served by our own servicer.

Why our own (not the SDK's ``pulumi.provider.experimental`` server): that server sends the
engine the whole Python traceback of every error (``_raise_with_traceback`` in 3.272) and
runs every call on one asyncio loop. Here each call runs on a worker thread of the gRPC
server's pool (``server.py``), the core's blocking HTTP included, and an error reaches the
engine as one message: what failed, for which input, and the fix.
"""

from __future__ import annotations

import functools
import json
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import grpc  # type: ignore[import-untyped]
from google.protobuf import empty_pb2  # type: ignore[import-untyped]
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

from pairing_provider.client import reset_connections
from pairing_provider.config import CONFIG_NAMESPACE, SOURCES, Settings
from pairing_provider.errors import ConfigurationError, IllumioError
from pairing_provider.native import invokes, wire
from pairing_provider.native.names import camel, camel_text, to_camel, to_snake
from pairing_provider.native.resources import NativeResource, resources
from pairing_provider.native.schema import schema_json, version
from pairing_provider.redaction import redact

Handler = TypeVar("Handler", bound=Callable[..., Any])
KINDS = {
    "UPDATE": provider_pb2.PropertyDiff.UPDATE,
    "UPDATE_REPLACE": provider_pb2.PropertyDiff.UPDATE_REPLACE,
}


def reported(method: Handler) -> Handler:
    """Errors reach the engine as one message; a bug's traceback goes to the plugin's stderr
    (the engine's log), never to the user's screen."""

    @functools.wraps(method)
    def wrapper(self: Servicer, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return method(self, request, context)
        except IllumioError as exc:
            context.abort(
                grpc.StatusCode.UNKNOWN, f"{_what(method, request)}: {camel_text(str(exc))}"
            )
        except Exception as exc:  # a bug: say so, without a traceback on the user's screen
            sys.stderr.write(redact(traceback.format_exc()))
            context.abort(
                grpc.StatusCode.INTERNAL,
                f"{_what(method, request)}: internal error of the {CONFIG_NAMESPACE} provider "
                f"({type(exc).__name__}: {redact(str(exc))}); please report it with the "
                "plugin's log",
            )

    return wrapper  # type: ignore[return-value]


def _what(method: Callable[..., Any], request: Any) -> str:
    token = type_token(request) or getattr(request, "tok", "")
    return f"{method.__name__} {token}".strip()


def type_token(request: Any) -> str:
    """The request's type: its ``type`` field, or the URN's (``...::parent$type::name``)."""
    if getattr(request, "type", ""):
        return str(request.type)
    urn = str(getattr(request, "urn", ""))
    parts = urn.split("::")
    return parts[-2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


def bags(resource: NativeResource, *structs: Any) -> list[tuple[dict[str, Any], set[str]]]:
    """Each bag in the declaration's names, and the (camelCase) names that came secret."""
    decoded = [wire.decode(struct) for struct in structs]
    return [(to_snake(bag, resource.declaration.outputs), secrets) for bag, secrets in decoded]


class StackConfig:
    """The provider's config as the dynamic providers' ``configure`` reads it:
    ``get("illumio:pceHost")``. Native providers get their own keys un-namespaced."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values

    def get(self, key: str) -> Any:
        value = self.values.get(key.split(":", 1)[-1])
        return json.dumps(value) if isinstance(value, bool) else value


class ConfigureRequest:
    def __init__(self, values: Mapping[str, Any]) -> None:
        self.config = StackConfig(values)


class Servicer(provider_pb2_grpc.ResourceProviderServicer):
    def __init__(self) -> None:
        self.resources = resources()

    def resource(self, request: Any) -> NativeResource:
        token = type_token(request)
        try:
            return self.resources[token]
        except KeyError:
            known = ", ".join(self.resources)
            raise IllumioError(f"unknown resource type {token!r} (known: {known})") from None

    # -- plugin and provider --------------------------------------------------------------------

    def GetPluginInfo(self, request: empty_pb2.Empty, context: Any) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version=version())

    def GetSchema(self, request: Any, context: Any) -> provider_pb2.GetSchemaResponse:
        return provider_pb2.GetSchemaResponse(schema=schema_json())

    @reported
    def CheckConfig(self, request: Any, context: Any) -> provider_pb2.CheckResponse:
        news, secrets = wire.decode(request.news)
        failures = []
        try:
            Settings.load(ConfigureRequest(news).config.get)
        except ConfigurationError as exc:
            # A missing setting is reported by the first call that needs the PCE: check and
            # diff need none, so a preview still shows every input problem.
            failures = [
                provider_pb2.CheckFailure(property=problem.split(":", 1)[0], reason=problem)
                for problem in exc.problems
                if ": required" not in problem
            ]
        return provider_pb2.CheckResponse(inputs=wire.encode(news, secrets), failures=failures)

    @reported
    def DiffConfig(self, request: Any, context: Any) -> provider_pb2.DiffResponse:
        olds, _ = wire.decode(request.olds)
        news, _ = wire.decode(request.news)
        keys = {source.config_key for source in SOURCES}
        changed = sorted(key for key in keys if olds.get(key) != news.get(key))
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME
            if changed
            else provider_pb2.DiffResponse.DIFF_NONE,
            diffs=changed,
        )

    @reported
    def Configure(self, request: Any, context: Any) -> provider_pb2.ConfigureResponse:
        values, _ = wire.decode(request.args)
        if not values:  # an engine that sends only the variables: "illumio:config:pceHost"
            prefix = f"{CONFIG_NAMESPACE}:config:"
            values = {k.removeprefix(prefix): v for k, v in request.variables.items()}
        # An engine configures a plugin once, at the start of a deployment; a plugin configured
        # again serves a new one: what an earlier one held (connections, caches, the profiles
        # its resources created or adopted) is not this one's.
        reset_connections()
        for resource in self.resources.values():
            resource.provider.configure(ConfigureRequest(values))  # type: ignore[arg-type]
        return provider_pb2.ConfigureResponse(
            acceptSecrets=True, supportsPreview=True, acceptResources=False
        )

    # -- resources ------------------------------------------------------------------------------

    @reported
    def Check(self, request: Any, context: Any) -> provider_pb2.CheckResponse:
        resource = self.resource(request)
        (olds, _), (news, secrets) = bags(resource, request.olds, request.news)
        inputs, failures = resource.check(olds, news)
        return provider_pb2.CheckResponse(
            inputs=wire.encode(to_camel(inputs), secrets),
            failures=[
                provider_pb2.CheckFailure(property=camel(name), reason=camel_text(reason))
                for name, reason in failures
            ],
        )

    @reported
    def Diff(self, request: Any, context: Any) -> provider_pb2.DiffResponse:
        resource = self.resource(request)
        (olds, _), (news, _) = bags(resource, request.olds, request.news)
        diff = resource.diff(request.id, olds, news)
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME
            if diff.changes
            else provider_pb2.DiffResponse.DIFF_NONE,
            replaces=[camel(name) for name in diff.replaces],
            deleteBeforeReplace=diff.delete_before_replace,
            diffs=[camel(name) for name in diff.detailed],
            detailedDiff={
                camel(name): provider_pb2.PropertyDiff(kind=KINDS[kind], inputDiff=False)
                for name, kind in diff.detailed.items()
            },
            hasDetailedDiff=True,
        )

    @reported
    def Create(self, request: Any, context: Any) -> provider_pb2.CreateResponse:
        resource = self.resource(request)
        [(props, secrets)] = bags(resource, request.properties)
        id_, outputs = resource.create(props, preview=request.preview)
        return provider_pb2.CreateResponse(
            id=id_, properties=self._outputs(resource, outputs, secrets)
        )

    @reported
    def Read(self, request: Any, context: Any) -> provider_pb2.ReadResponse:
        resource = self.resource(request)
        (props, secrets), (inputs, input_secrets) = bags(
            resource, request.properties, request.inputs
        )
        read = resource.read(request.id, props, inputs)
        response = provider_pb2.ReadResponse(
            id=read.id, properties=self._outputs(resource, read.outputs, secrets)
        )
        if read.inputs is not None:
            response.inputs.CopyFrom(wire.encode(to_camel(read.inputs), input_secrets))
        return response

    @reported
    def Update(self, request: Any, context: Any) -> provider_pb2.UpdateResponse:
        resource = self.resource(request)
        (olds, _), (news, secrets) = bags(resource, request.olds, request.news)
        outputs = resource.update(request.id, olds, news, preview=request.preview)
        return provider_pb2.UpdateResponse(properties=self._outputs(resource, outputs, secrets))

    @reported
    def Delete(self, request: Any, context: Any) -> empty_pb2.Empty:
        resource = self.resource(request)
        [(props, _)] = bags(resource, request.properties)
        resource.delete(request.id, props)
        return empty_pb2.Empty()

    @reported
    def Invoke(self, request: Any, context: Any) -> provider_pb2.InvokeResponse:
        args, _ = wire.decode(request.args)
        provider = self.resources[next(iter(self.resources))].provider
        result = invokes.invoke(request.tok, args, provider.client)
        return provider_pb2.InvokeResponse(**{"return": wire.encode(result)})

    def Cancel(self, request: Any, context: Any) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    @staticmethod
    def _outputs(resource: NativeResource, outputs: Mapping[str, Any], secrets: set[str]) -> Any:
        secret = {camel(name) for name in resource.declaration.secret_outputs} | secrets
        return wire.encode(to_camel(outputs), secret)
