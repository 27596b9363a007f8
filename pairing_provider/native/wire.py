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
    """The bag as Python values, and the names of the properties that held a secret.

    A string or a bool, most properties, is read in the loop itself: each call and each read of
    a protobuf field costs about as much as the whole conversion of such a value.
    """
    secret_names: set[str] = set()
    bag = {}
    for name, value in struct.fields.items():
        kind = value.WhichOneof("kind")
        if kind == "string_value":
            text = value.string_value
            bag[name] = Unknown() if text == UNKNOWN else text  # type: ignore[no-untyped-call]
        elif kind == "bool_value":
            bag[name] = value.bool_value
        else:
            marks: list[bool] = []
            bag[name] = _python(value, kind, marks)
            if marks:
                secret_names.add(name)
    return bag, secret_names


def _python(value: struct_pb2.Value, kind: str | None, marks: list[bool]) -> Any:
    """``value`` (whose ``kind`` is read already) as Python; a secret inside adds a mark."""
    if kind == "string_value":
        text = value.string_value
        return Unknown() if text == UNKNOWN else text  # type: ignore[no-untyped-call]
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() else number
    if kind == "bool_value":
        return value.bool_value
    if kind == "list_value":
        return [_python(item, item.WhichOneof("kind"), marks) for item in value.list_value.values]
    if kind == "struct_value":
        fields = value.struct_value.fields
        if SIG_KEY in fields and fields[SIG_KEY].string_value == SECRET_SIG:
            marks.append(True)
            if "value" not in fields:
                return None
            inner = fields["value"]
            return _python(inner, inner.WhichOneof("kind"), marks)
        return {key: _python(item, item.WhichOneof("kind"), marks) for key, item in fields.items()}
    return None  # null_value, or no kind at all


def encode(bag: Mapping[str, Any], secret_names: Iterable[str] = ()) -> struct_pb2.Struct:
    """A Struct of the bag; None values are left out (the engine reads a missing output as
    unknown in a preview and as null otherwise) and the named properties are sent secret.

    Values are written into the message in place: protobuf's own ``Struct.update`` tests each
    value against abstract number classes and builds a message per value, several times the
    cost of the whole call here.
    """
    secrets = set(secret_names)
    struct = struct_pb2.Struct()
    fields = struct.fields
    for name, value in bag.items():
        if value is None:
            continue
        if name in secrets:
            wrapper = fields[name].struct_value.fields
            wrapper[SIG_KEY].string_value = SECRET_SIG
            _set(wrapper["value"], value)
        else:
            _set(fields[name], value)
    return struct


def _set(target: struct_pb2.Value, value: Any) -> None:
    kind = type(value)
    if kind is str:
        target.string_value = value
    elif kind is bool:
        target.bool_value = value
    elif kind is int or kind is float:
        target.number_value = value
    elif value is None:
        target.null_value = 0
    elif isinstance(value, Unknown):
        target.string_value = UNKNOWN
    elif isinstance(value, Mapping):
        target.struct_value.SetInParent()  # an empty object is still an object
        fields = target.struct_value.fields
        for key, item in value.items():
            if item is not None:
                _set(fields[str(key)], item)
    elif isinstance(value, list | tuple):
        target.list_value.SetInParent()
        items = target.list_value.values
        for item in value:
            _set(items.add(), item)
    else:
        raise TypeError(f"cannot send a {kind.__name__} to the engine")
