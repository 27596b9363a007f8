"""The resource monitor the SDK talks to during a kit run: the engine's side of a program."""

from __future__ import annotations

from typing import Any

from google.protobuf import empty_pb2  # type: ignore[import-untyped]
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.proto import resource_pb2

from pairing_provider.errors import StackError
from pairing_provider.testing.engine import STACK_TYPE, Deployment
from pairing_provider.testing.wire import mark_secrets, to_grpc


class _NoInvokes(Mocks):
    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        raise AssertionError("the monitor registers resources itself")

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], None]:
        raise StackError(f"no provider serves the invoke {args.token} in this test kit")


class DeploymentMonitor(MockMonitor):
    """What the SDK talks to during a run (``pulumi.runtime.set_mocks(monitor=...)``)."""

    def __init__(self, deployment: Deployment) -> None:
        super().__init__(_NoInvokes())
        self.deployment = deployment

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE or not request.custom:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        self.deployment.record(request)
        id_, outputs, secret = self.deployment.register(urn, request)
        return resource_pb2.RegisterResourceResponse(
            urn=urn, id=id_, object=to_grpc(mark_secrets(outputs, secret))
        )

    def ReadResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        outputs, secret = self.deployment.read(urn, request)
        answer = {"urn": urn, "properties": to_grpc(mark_secrets(outputs, secret))}
        # The id a get asked for, as engines whose ReadResourceResponse has an id field give it
        # (an SDK that knows the field reads an empty one as unknown in a preview); older
        # protocols have no such field, and their SDKs keep the id asked for.
        if "id" in resource_pb2.ReadResourceResponse.DESCRIPTOR.fields_by_name:
            answer["id"] = request.id
        return resource_pb2.ReadResourceResponse(**answer)

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn.split("::")[2] == STACK_TYPE:
            self.deployment.stack_outputs = request.outputs
        return empty_pb2.Empty()
