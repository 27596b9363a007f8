"""What a declared field's type says: its allowed literal values, whether it mixes whole
numbers and text, and how the README shows it. Pulumi-free, like :mod:`.declaration`."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Annotated, Any


def literal_values(annotation: Any) -> tuple[str, ...]:
    """The allowed strings of a ``Literal`` (inside Optional/Annotated too), else ()."""
    for candidate in _walk_types(annotation):
        if typing.get_origin(candidate) is typing.Literal:
            return tuple(str(value) for value in typing.get_args(candidate))
    return ()


def holds_int_and_literal(annotation: Any) -> bool:
    """Whether the type is ``int`` or a ``Literal`` (a key limit: ``int | "unlimited"``)."""
    parts = list(_walk_types(annotation))
    return int in parts and any(typing.get_origin(part) is typing.Literal for part in parts)


def _walk_types(annotation: Any) -> Iterator[Any]:
    pending = [annotation]
    while pending:
        item = pending.pop()
        yield item
        if typing.get_origin(item) is not typing.Literal:
            pending.extend(typing.get_args(item))


def type_text(annotation: Any) -> str:
    """A type as the README shows it: ``int | "unlimited"``, ``str | none``, ``list[str]``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return type_text(args[0])
    if origin is typing.Literal:
        return " | ".join(f'"{value}"' for value in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_text(arg) for arg in args)
    if annotation is type(None):
        return "none"
    if annotation is Any:
        return "any JSON value"
    if origin is not None:
        return f"{origin.__name__}[{', '.join(type_text(arg) for arg in args)}]"
    return getattr(annotation, "__name__", str(annotation))
