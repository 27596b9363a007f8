"""Property bags on the wire (protobuf ``Struct``) and back, for a provider that accepts secrets.

The engine's encoding (``sdk/go/common/resource/plugin/rpc.go``; the Python SDK's
``pulumi/runtime/rpc.py`` uses the same constants): a secret is an object whose signature key
holds the secret signature, with the value under ``value``; a value not known in a preview is
the string ``UNKNOWN``. Numbers are doubles: a whole one comes back as ``int``.

Decoding unwraps secrets and records which top-level properties held one, so the outputs mark
them secret again (the engine does not re-mark them for a provider that accepts secrets).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from google.protobuf import struct_pb2  # type: ignore[import-untyped]
from pulumi.output import Unknown

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 (a marker, not a password)
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def decode(struct: struct_pb2.Struct) -> tuple[dict[str, Any], set[str]]:
    """The bag as Python values, and the names of the properties that held a secret."""
    secret_names: set[str] = set()
    bag = {}
    for name, value in struct.fields.items():
        marks: list[bool] = []
        bag[name] = _value(value, marks)
        if marks:
            secret_names.add(name)
    return bag, secret_names


def _value(value: struct_pb2.Value, marks: list[bool]) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "null_value" or kind is None:
        return None
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() else number
    if kind == "string_value":
        return Unknown() if value.string_value == UNKNOWN else value.string_value  # type: ignore[no-untyped-call]
    if kind == "bool_value":
        return value.bool_value
    if kind == "list_value":
        return [_value(item, marks) for item in value.list_value.values]
    fields = value.struct_value.fields
    if SIG_KEY in fields and fields[SIG_KEY].string_value == SECRET_SIG:
        marks.append(True)
        return _value(fields["value"], marks) if "value" in fields else None
    return {key: _value(item, marks) for key, item in fields.items()}


def encode(bag: Mapping[str, Any], secret_names: Iterable[str] = ()) -> struct_pb2.Struct:
    """A Struct of the bag; None values are left out (the engine reads a missing output as
    unknown in a preview and as null otherwise) and the named properties are sent secret."""
    secrets = set(secret_names)
    struct = struct_pb2.Struct()
    for name, value in bag.items():
        if value is None:
            continue
        plain = _plain(value)
        struct[name] = {SIG_KEY: SECRET_SIG, "value": plain} if name in secrets else plain
    return struct


def _plain(value: Any) -> Any:
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
