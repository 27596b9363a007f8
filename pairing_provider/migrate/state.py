"""Terraform state in: ``terraform show -json`` output or a raw ``terraform.tfstate`` (version 4).

Both formats become the same flat list of ``StateInstance``s, one per resource instance
(``count`` and ``for_each`` instances apart) wherever it sits in the module tree, so that the
mapping never cares which format it was given.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pairing_provider.errors import MigrationError
from pairing_provider.migrate.text import comment_text

# `terraform show -json` format versions this reader understands (major version 0 and 1; a new
# major version would mean an incompatible change of the format).
SHOW_JSON_MAJORS = ("0", "1")
TFSTATE_VERSION = 4

IndexKey = int | str | None


@dataclass(frozen=True)
class StateInstance:
    """One object of one resource instance, as Terraform recorded it."""

    address: str
    module: str  # "" for the root module, else e.g. 'module.net["eu"].module.dc'
    mode: str  # "managed" or "data"
    type: str
    name: str
    index: IndexKey
    values: Mapping[str, Any]
    sensitive: frozenset[str]  # top-level attributes with a value marked sensitive
    tainted: bool = False
    deposed: bool = False


@dataclass(frozen=True)
class StateOutput:
    """One of the root module's outputs (its value is never shown: it may be sensitive)."""

    name: str
    value: Any
    sensitive: bool


@dataclass(frozen=True)
class TerraformState:
    format: str  # for the report, e.g. "terraform show -json, format 1.0"
    terraform_version: str | None
    instances: tuple[StateInstance, ...]
    outputs: tuple[StateOutput, ...] = ()


def parse_state(text: str | bytes) -> TerraformState:
    """Read either format, telling them apart by their version key."""
    document = _load_object(text)
    if "planned_values" in document or "resource_changes" in document:
        raise MigrationError(
            "this is a plan's JSON, not a state's: run `terraform show -json` without a plan file"
        )
    if "format_version" in document:
        return _from_show_json(document)
    if "version" in document:
        return _from_tfstate(document)
    raise MigrationError(
        "not a Terraform state: it has neither `format_version` (terraform show -json) "
        "nor `version` (terraform.tfstate)"
    )


def instance_address(module: str, mode: str, type_: str, name: str, index: IndexKey) -> str:
    """Terraform's own address syntax, e.g. ``module.a.illumio-core_pairing_profile.web["x"]``."""
    parts = [module] if module else []
    parts += ["data"] if mode == "data" else []
    parts += [type_, f"{name}{format_index(index)}"]
    return ".".join(parts)


def format_index(index: IndexKey) -> str:
    if index is None:
        return ""
    if isinstance(index, int):
        return f"[{index}]"
    # JSON string escapes are valid HCL string escapes: `terraform state rm` parses this back.
    return f"[{json.dumps(index, ensure_ascii=False)}]"


def _load_object(text: str | bytes) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MigrationError(
            f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); pass the output of "
            "`terraform show -json` or a terraform.tfstate file"
        ) from None
    except UnicodeDecodeError:
        raise MigrationError("not JSON: not UTF-8, UTF-16 or UTF-32 text") from None
    except RecursionError:
        # No Terraform state nests this deep: the JSON reader ran out of stack on it.
        raise MigrationError(
            "not a Terraform state: its JSON is nested too deeply to read"
        ) from None
    if not isinstance(document, dict):
        raise MigrationError("not a Terraform state: the JSON document is not an object")
    return document


def _expect(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise MigrationError(f"malformed state: {where} must be a JSON {_json_kind(names)}")
    return value


def _json_kind(python_names: str) -> str:
    return python_names.replace("dict", "object").replace("list", "array").replace("str", "string")


def _index(raw: Any, where: str) -> IndexKey:
    if raw is None or isinstance(raw, str):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    raise MigrationError(f"malformed state: {where} has an invalid instance key {raw!r}")


# --- terraform show -json -------------------------------------------------------------------


def _from_show_json(document: dict[str, Any]) -> TerraformState:
    version = document["format_version"]
    if not isinstance(version, str) or version.split(".")[0] not in SHOW_JSON_MAJORS:
        raise MigrationError(
            f"unsupported `terraform show -json` format_version {version!r}: this reads "
            f"{' and '.join(m + '.x' for m in SHOW_JSON_MAJORS)}"
        )
    values = _expect(document.get("values") or {}, dict, "values")
    root = _expect(values.get("root_module") or {}, dict, "values.root_module")
    return TerraformState(
        format=f"terraform show -json, format {version}",
        terraform_version=document.get("terraform_version"),
        instances=tuple(_module_instances(root, "values.root_module")),
        outputs=_outputs(values.get("outputs") or {}, "values.outputs"),
    )


def _module_instances(root: dict[str, Any], where: str) -> Iterator[StateInstance]:
    """Every module's resources, each module before its children, in the document's order.
    A loop over pending modules, not recursion: no nesting depth can exhaust the stack."""
    pending: list[tuple[Any, str, str]] = [(root, "", where)]
    while pending:
        module, module_address, where = pending.pop()
        module = _expect(module, dict, where)
        resources = _expect(module.get("resources") or [], list, f"{where}.resources")
        for number, resource in enumerate(resources):
            yield _show_json_instance(resource, module_address, f"{where}.resources[{number}]")
        children = _expect(module.get("child_modules") or [], list, f"{where}.child_modules")
        for number, child in reversed(list(enumerate(children))):
            child_where = f"{where}.child_modules[{number}]"
            child = _expect(child, dict, child_where)
            address = _expect(child.get("address", ""), str, f"{child_where}.address")
            pending.append((child, address, child_where))


def _show_json_instance(resource: Any, module: str, where: str) -> StateInstance:
    resource = _expect(resource, dict, where)
    mode, type_, name = (
        _expect(resource.get(key), str, f"{where}.{key}") for key in ("mode", "type", "name")
    )
    index = _index(resource.get("index"), where)
    address = resource.get("address") or instance_address(module, mode, type_, name, index)
    return StateInstance(
        address=_expect(address, str, f"{where}.address"),
        module=module,
        mode=mode,
        type=type_,
        name=name,
        index=index,
        values=_expect(resource.get("values") or {}, dict, f"{where}.values"),
        sensitive=_marked_attributes(resource.get("sensitive_values") or {}, where),
        tainted=bool(resource.get("tainted")),
        deposed=bool(resource.get("deposed_key")),
    )


def _marked_attributes(marks: Any, where: str) -> frozenset[str]:
    """``sensitive_values`` mirrors ``values`` with ``true`` where a value is sensitive."""
    marks = _expect(marks, dict, f"{where}.sensitive_values")
    return frozenset(name for name, mark in marks.items() if _has_mark(mark))


def _has_mark(mark: Any) -> bool:
    """Whether a ``true`` sits anywhere in ``mark``; a loop, so no nesting exhausts the stack."""
    pending = [mark]
    while pending:
        item = pending.pop()
        if item is True:
            return True
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


# --- terraform.tfstate (version 4) ------------------------------------------------------------


def _from_tfstate(document: dict[str, Any]) -> TerraformState:
    version = document["version"]
    if version != TFSTATE_VERSION or isinstance(version, bool):
        raise MigrationError(
            f"unsupported terraform.tfstate version {version!r}: this reads version "
            f"{TFSTATE_VERSION} (Terraform 0.12 and later); with an older state, upgrade it "
            "first or pass `terraform show -json` output"
        )
    resources = _expect(document.get("resources") or [], list, "resources")
    instances = [
        instance
        for number, resource in enumerate(resources)
        for instance in _tfstate_instances(resource, f"resources[{number}]")
    ]
    return TerraformState(
        format=f"terraform.tfstate, version {TFSTATE_VERSION}",
        terraform_version=document.get("terraform_version"),
        instances=tuple(instances),
        outputs=_outputs(document.get("outputs") or {}, "outputs"),
    )


def _outputs(outputs: Any, where: str) -> tuple[StateOutput, ...]:
    """Both formats keep the root module's outputs as ``{name: {"value", "sensitive"}}``."""
    found = []
    for name, output in _expect(outputs, dict, where).items():
        output = _expect(output, dict, f"{where}.{comment_text(name)}")
        found.append(StateOutput(name, output.get("value"), output.get("sensitive") is True))
    return tuple(found)


def _tfstate_instances(resource: Any, where: str) -> Iterator[StateInstance]:
    resource = _expect(resource, dict, where)
    module = _expect(resource.get("module", ""), str, f"{where}.module")
    mode, type_, name = (
        _expect(resource.get(key), str, f"{where}.{key}") for key in ("mode", "type", "name")
    )
    instances = _expect(resource.get("instances") or [], list, f"{where}.instances")
    for number, instance in enumerate(instances):
        instance_where = f"{where}.instances[{number}]"
        instance = _expect(instance, dict, instance_where)
        index = _index(instance.get("index_key"), instance_where)
        address = instance_address(module, mode, type_, name, index)
        yield StateInstance(
            address=address,
            module=module,
            mode=mode,
            type=type_,
            name=name,
            index=index,
            values=_attributes(instance, address),
            sensitive=_sensitive_paths(instance.get("sensitive_attributes") or [], address),
            tainted=instance.get("status") == "tainted",
            deposed=bool(instance.get("deposed")),
        )


def _attributes(instance: dict[str, Any], address: str) -> Mapping[str, Any]:
    if "attributes" not in instance and "attributes_flat" in instance:
        raise MigrationError(
            f"{comment_text(address)}: only flat (Terraform 0.11) attributes are stored; run "
            "`terraform apply -refresh-only` with Terraform 0.12 or later to upgrade the state"
        )
    attributes: Mapping[str, Any] = _expect(
        instance.get("attributes") or {}, dict, f"{comment_text(address)}: attributes"
    )
    return attributes


def _sensitive_paths(paths: Any, address: str) -> frozenset[str]:
    """``sensitive_attributes`` is a list of paths, each a list of ``{"type", "value"}`` steps
    whose first step names the top-level attribute. A shape not understood is an error rather
    than a guess: guessing wrong would write a secret into the program in plain text."""
    names = set()
    for path in _expect(paths, list, f"{comment_text(address)}: sensitive_attributes"):
        first = path[0] if isinstance(path, list) and path else None
        if not (
            isinstance(first, dict)
            and first.get("type") == "get_attr"
            and isinstance(first.get("value"), str)
        ):
            raise MigrationError(
                f"{comment_text(address)}: unrecognised sensitive_attributes entry; pass the "
                "output of `terraform show -json` instead"
            )
        names.add(first["value"])
    return frozenset(names)
