"""The package schema of ``illumio``, generated from the one declaration.

Resources come from ``models.PROFILE`` / ``KEY`` / ``LABEL`` (types, defaults, ``Facts``:
description, secret, replace on change), the look-up functions from the signatures of
``lookups.py``, and the config variables from ``config.SOURCES`` and ``config.Settings``.
Property names go through ``names.camel``. The result is valid under Pulumi's package metaschema
(``pkg/codegen/schema/pulumi.json``; ``tests/test_native_schema.py`` holds it to a copy).
"""

from __future__ import annotations

import inspect
import json
import types
import typing
from functools import cache
from importlib import metadata
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from pairing_provider import lookups
from pairing_provider.config import CONFIG_NAMESPACE, SOURCES, Settings
from pairing_provider.declaration import Declaration, facts_of
from pairing_provider.models import KEY, LABEL, PROFILE, PairingProfileData
from pairing_provider.native import PACKAGE
from pairing_provider.native.names import KEY_TOKEN, LABEL_TOKEN, PROFILE_TOKEN, camel

ANY = {"$ref": "pulumi.json#/Any"}
PROFILE_DATA_TOKEN = f"{PACKAGE}:index:PairingProfileData"
# An item of findLabels' result, named after the function. Not "Label", the resource's token:
# a type of a resource's token gives a generated SDK two classes of one name (Go's generator
# renames the type with a "Type" suffix; docs/pulumi-engine.md, "One token, one thing").
FOUND_LABEL_TOKEN = f"{PACKAGE}:index:FindLabelsLabel"
FUNCTION_TOKENS = {
    "get_pairing_profile": f"{PACKAGE}:index:getPairingProfile",
    "find_pairing_profiles": f"{PACKAGE}:index:findPairingProfiles",
    "find_labels": f"{PACKAGE}:index:findLabels",
}
PRIMITIVES = {str: "string", bool: "boolean", int: "integer", float: "number", SecretStr: "string"}
KEY_IMPORT_NOTE = (
    "A pairing key cannot be imported: the PCE shows its activation code only once, when the "
    "key is made."
)


def version() -> str:
    return metadata.version("pairing_provider")


class Types:
    """The schema's named types (enums), filled while properties are described."""

    def __init__(self) -> None:
        self.specs: dict[str, dict[str, Any]] = {}

    def spec(self, annotation: Any, field: str) -> dict[str, Any]:
        """The typeSpec of a Python annotation; ``field`` names an enum after its field."""
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is Annotated:
            return self.spec(args[0], field)
        if origin in (typing.Union, types.UnionType):
            return self._union([arg for arg in args if arg is not type(None)], field)
        if origin is Literal:
            return self._enum(args, field)
        if origin is list:
            return {"type": "array", "items": self.spec(args[0], field)}
        if origin is dict:
            return {"type": "object", "additionalProperties": self.spec(args[1], field)}
        if annotation in PRIMITIVES:
            return {"type": PRIMITIVES[annotation]}
        return dict(ANY)

    def _union(self, members: list[Any], field: str) -> dict[str, Any]:
        if len(members) == 1:
            return self.spec(members[0], field)
        # An int or a keyword ("unlimited"): the keyword is a plain string on the wire.
        specs = [
            {"type": "string"} if typing.get_origin(member) is Literal else self.spec(member, field)
            for member in members
        ]
        return {"oneOf": specs}

    def _enum(self, values: tuple[Any, ...], field: str) -> dict[str, Any]:
        name = camel(field)
        token = f"{PACKAGE}:index:{name[:1].upper()}{name[1:]}"
        self.specs[token] = {
            "type": "string",
            "description": f"allowed values of {name}",
            "enum": [{"value": value, "name": _enum_name(value)} for value in values],
        }
        return {"$ref": f"#/types/{token}"}


def _enum_name(value: str) -> str:
    name = camel(value)
    return name[:1].upper() + name[1:]


def _property(types_: Types, name: str, info: FieldInfo, *, is_input: bool) -> dict[str, Any]:
    facts = facts_of(info)
    spec = {**types_.spec(_accepted(info, is_input), name), "description": facts.description}
    if facts.secret:
        spec["secret"] = True
    if is_input and (facts.replace_on_change or facts.create_only):
        spec["replaceOnChanges"] = True
    default = None if info.is_required() else info.get_default(call_default_factory=True)
    if is_input and isinstance(default, str | bool | int | float):
        spec["default"] = default
    return spec


def _accepted(info: FieldInfo, is_input: bool) -> Any:
    """The type a program may give: a validator's declared input type (``renew_before``
    takes seconds or ``"12h"``) where it has one, else the field's own."""
    if is_input:
        for item in info.metadata:
            if isinstance(item, BeforeValidator) and item.json_schema_input_type not in (
                Any,
                PydanticUndefined,
            ):
                return item.json_schema_input_type
    return info.annotation


def _is_optional(info: FieldInfo) -> bool:
    return type(None) in typing.get_args(info.annotation)


def resource_spec(
    types_: Types, declaration: Declaration[Any, Any], description: str
) -> dict[str, Any]:
    state = declaration.state.model_fields
    inputs = declaration.args.model_fields
    return {
        "description": description,
        "properties": {
            camel(name): _property(types_, name, info, is_input=False)
            for name, info in state.items()
        },
        "required": [camel(name) for name, info in state.items() if not _is_optional(info)],
        "inputProperties": {
            camel(name): _property(types_, name, info, is_input=True)
            for name, info in inputs.items()
        },
        "requiredInputs": [camel(name) for name in declaration.required],
    }


def object_spec(types_: Types, model: type[BaseModel], description: str) -> dict[str, Any]:
    fields = model.model_fields
    return {
        "type": "object",
        "description": description,
        "properties": {
            camel(name): _property(types_, name, info, is_input=False)
            for name, info in fields.items()
        },
        "required": [camel(name) for name, info in fields.items() if not _is_optional(info)],
    }


def function_inputs(types_: Types, function: Any) -> dict[str, Any]:
    """A look-up's inputs, from its Python signature (names, types, defaults)."""
    hints = typing.get_type_hints(function)
    properties: dict[str, Any] = {}
    required = []
    for name, parameter in inspect.signature(function).parameters.items():
        if name == "client":
            continue  # the provider's own connection, not an argument
        annotation = hints[name]
        spec = types_.spec(annotation, name)
        if name == "labels":
            spec = {"type": "array", "items": ANY}  # hrefs, {key, value}, or lists of them
        spec["description"] = f"the look-up's {camel(name)} argument"
        if parameter.default is inspect.Parameter.empty:
            required.append(camel(name))
        elif isinstance(parameter.default, str | bool | int):
            spec["default"] = parameter.default
        properties[camel(name)] = spec
    return (
        {"properties": properties, "required": required} if required else {"properties": properties}
    )


def config_variables() -> dict[str, Any]:
    fields = Settings.model_fields
    variables = {}
    for source in SOURCES:
        info = fields[source.field]
        spec: dict[str, Any] = {
            **Types().spec(info.annotation, source.field),
            "description": f"{source.description} (environment variable {source.env_var})",
            "defaultInfo": {"environment": [source.env_var]},
        }
        if info.annotation is SecretStr or not info.repr:  # repr=False: it may hold a password
            spec["secret"] = True
        default = None if info.is_required() else info.get_default()
        if isinstance(default, str | bool | int | float):
            spec["default"] = default
        variables[source.config_key] = spec
    return variables


@cache
def package_schema() -> dict[str, Any]:
    types_ = Types()
    profile_doc = (
        "An Illumio PCE pairing profile. The id is its href. Import one made in the PCE "
        f"console with `pulumi import {PROFILE_TOKEN} NAME /orgs/1/pairing_profiles/5`."
    )
    key_doc = (
        "An activation code made from a pairing profile, kept secret; a change of `triggers` "
        f"makes a new one. {KEY_IMPORT_NOTE}"
    )
    label_doc = (
        "An Illumio label (key and value, unique together in the org). The id is its href; "
        "a profile's `labels` take it. A new `key` replaces the label (the PCE takes a key "
        "only at creation). Import one made in the PCE console with "
        f"`pulumi import {LABEL_TOKEN} NAME /orgs/1/labels/7`."
    )
    resources = {
        PROFILE_TOKEN: resource_spec(types_, PROFILE, profile_doc),
        KEY_TOKEN: resource_spec(types_, KEY, key_doc),
        LABEL_TOKEN: resource_spec(types_, LABEL, label_doc),
    }
    data = object_spec(types_, PairingProfileData, "a pairing profile as the PCE reports it")
    found_label = {
        "type": "object",
        "description": "a label of the PCE, as findLabels returns it",
        "properties": {
            name: {"type": "string", "description": name} for name in lookups.Label.__annotations__
        },
        "required": list(lookups.Label.__annotations__),
    }
    functions = {
        FUNCTION_TOKENS["get_pairing_profile"]: {
            "description": "The pairing profile at an href.",
            "inputs": function_inputs(types_, lookups.get_pairing_profile),
            "outputs": {"properties": data["properties"], "required": data["required"]},
        },
        FUNCTION_TOKENS["find_pairing_profiles"]: {
            "description": "Pairing profiles matching every filter given.",
            "inputs": function_inputs(types_, lookups.find_pairing_profiles),
            "outputs": _listing("profiles", PROFILE_DATA_TOKEN),
        },
        FUNCTION_TOKENS["find_labels"]: {
            "description": "Labels by key (exact) and value (substring).",
            "inputs": function_inputs(types_, lookups.find_labels),
            "outputs": _listing("labels", FOUND_LABEL_TOKEN),
        },
    }
    variables = config_variables()
    return {
        "name": PACKAGE,
        "displayName": "Illumio pairing",
        "version": version(),
        "description": "Illumio PCE pairing profiles, pairing keys and labels.",
        "keywords": ["illumio", "pce", "category/network"],
        "license": "Apache-2.0",
        "config": {"variables": variables},
        "provider": {
            "description": f"The {PACKAGE} provider: its settings are the `{CONFIG_NAMESPACE}:*` "
            "stack config, else the environment.",
            "inputProperties": variables,
        },
        "types": {**types_.specs, PROFILE_DATA_TOKEN: data, FOUND_LABEL_TOKEN: found_label},
        "resources": resources,
        "functions": functions,
        "language": {"python": {"packageName": "pulumi_illumio"}},
    }


def _listing(name: str, token: str) -> dict[str, Any]:
    return {
        "properties": {
            name: {
                "type": "array",
                "items": {"$ref": f"#/types/{token}"},
                "description": f"the {name} found",
            }
        },
        "required": [name],
    }


def schema_json() -> str:
    return json.dumps(package_schema(), sort_keys=True)
