"""Values as they cross the engine's gRPC boundary, for the in-process engine.

``serialize_properties``/``deserialize_properties`` are the SDK's own: integers become floats,
``None`` is dropped, secrets travel as the signature dict, unknowns as ``Unknown``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from google.protobuf import struct_pb2  # type: ignore[import-untyped]
from pulumi.output import Unknown as SdkUnknown
from pulumi.runtime import rpc

PROVIDER_KEY = "__provider"
SECRET = {rpc._special_sig_key: rpc._special_secret_sig}


def to_grpc(values: dict[str, Any]) -> struct_pb2.Struct:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(values, {}))
    finally:
        loop.close()


def from_grpc(struct: struct_pb2.Struct) -> dict[str, Any]:
    values = rpc.deserialize_properties(struct, True)
    assert isinstance(values, dict)
    return values


def over_grpc(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` as they arrive on the other side of a gRPC call."""
    return from_grpc(to_grpc(values))


def unwrap_secrets(values: dict[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """Plain values, and the top-level names that held a secret anywhere inside."""
    plain, secret = {}, set()
    for name, value in values.items():
        plain[name], held = _unwrap(value)
        if held:
            secret.add(name)
    return plain, frozenset(secret)


def plain_outputs(
    outputs: dict[str, Any], secret: frozenset[str]
) -> tuple[dict[str, Any], frozenset[str]]:
    """Outputs without secret markers, and ``secret`` with the names that held one: a provider
    that accepts secrets (the native plugin) marks its secret outputs itself, and the engine
    keeps them secret; the dynamic server marks none."""
    plain, marked = unwrap_secrets(outputs)
    return plain, secret | marked


def _unwrap(value: Any) -> tuple[Any, bool]:
    if rpc.is_rpc_secret(value):
        return _unwrap(rpc.unwrap_rpc_secret(value))[0], True
    if isinstance(value, dict):
        pairs = {key: _unwrap(item) for key, item in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(s for _, s in pairs.values())
    if isinstance(value, list):
        items = [_unwrap(item) for item in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def mark_secrets(values: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    return {k: {**SECRET, "value": v} if k in names else v for k, v in values.items()}


def contains_unknown(value: Any) -> bool:
    if isinstance(value, SdkUnknown):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    return False
