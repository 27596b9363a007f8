"""Engine requests built before the clock starts, so a timing holds the gRPC call alone.

The real engine is a Go process whose share of a call is small. Building a request here takes
the Python SDK's async property serializer; timing that would bill the provider for this
harness. So each request is encoded first, and only ``stub.Method(request)`` is timed: the gRPC
round trip, the SDK's dynamic provider server (un-pickling the provider, decoding and encoding
properties on its event loop) and this project's code, with the PCE's own time inside it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any, Final

from google.protobuf import struct_pb2
from pulumi.dynamic import ResourceProvider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from tests.engine import PROVIDER_KEY, serialized

PROFILE_TYPE: Final[str] = "pulumi-python:dynamic/illumio:PairingProfile"
KEY_TYPE: Final[str] = "pulumi-python:dynamic/illumio:PairingKey"
Props = Mapping[str, Any]


class Wire:
    """Builds the engine's requests for one resource type and decodes its answers."""

    def __init__(self, provider: ResourceProvider, type_token: str) -> None:
        self.type_token = type_token
        self._provider_text = serialized(provider)
        self._local = threading.local()  # an event loop per thread: loops are not shareable

    def _loop(self) -> asyncio.AbstractEventLoop:
        loop = getattr(self._local, "loop", None)
        if loop is None:
            loop = self._local.loop = asyncio.new_event_loop()
        return loop

    def _bag(self, props: Props | None) -> struct_pb2.Struct:
        """A property bag as the engine sends it: ``__provider`` added, empty stays empty."""
        if not props:
            return struct_pb2.Struct()
        bag = {**props, PROVIDER_KEY: self._provider_text}
        return self._loop().run_until_complete(rpc.serialize_properties(bag, {}))

    def decode(self, struct: struct_pb2.Struct) -> dict[str, Any]:
        decoded = rpc.deserialize_properties(struct)
        return {key: value for key, value in decoded.items() if key != PROVIDER_KEY}

    def _names(self, name: str) -> dict[str, str]:
        urn = f"urn:pulumi:bench::bench::{self.type_token}::{name}"
        return {"urn": urn, "name": name, "type": self.type_token}

    def check(self, name: str, news: Props, olds: Props | None = None) -> Any:
        return provider_pb2.CheckRequest(
            **self._names(name), olds=self._bag(olds), news=self._bag(news)
        )

    def diff(self, name: str, id_: str, olds: Props, news: Props) -> Any:
        return provider_pb2.DiffRequest(
            **self._names(name),
            id=id_,
            olds=self._bag(olds),
            news=self._bag(news),
            old_inputs=self._bag(olds),
        )

    def create(self, name: str, props: Props) -> Any:
        return provider_pb2.CreateRequest(**self._names(name), properties=self._bag(props))

    def read(self, name: str, id_: str, props: Props) -> Any:
        bag = self._bag(props)
        return provider_pb2.ReadRequest(**self._names(name), id=id_, properties=bag, inputs=bag)

    def update(self, name: str, id_: str, olds: Props, news: Props) -> Any:
        return provider_pb2.UpdateRequest(
            **self._names(name),
            id=id_,
            olds=self._bag(olds),
            news=self._bag(news),
            old_inputs=self._bag(olds),
        )

    def delete(self, name: str, id_: str, props: Props) -> Any:
        bag = self._bag(props)
        return provider_pb2.DeleteRequest(
            **self._names(name), id=id_, properties=bag, old_inputs=bag
        )
