"""Labels in a migration: ``illumio-core_label`` resources become ``Label`` resources, and a
profile's labels are written by what they are, never as bare hrefs where the state says more.

A profile's label is written, in this order of preference, as the migrated ``Label`` resource's
id (``env_label.id``: the program owns it), as ``{"key": ..., "value": ...}`` when a data source
of the state read that label (``data.illumio-core_label`` or ``data.illumio-core_labels``), or
as its href when the state knows nothing more (the report says so).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pairing_provider.declaration import Failure
from pairing_provider.migrate.decls import LabelDecl, ProfileDecl
from pairing_provider.migrate.findings import Finding, problems
from pairing_provider.migrate.names import unique_names
from pairing_provider.migrate.state import StateInstance, TerraformState
from pairing_provider.models import LABEL

LABEL_TYPE = "illumio-core_label"
LABELS_DATA_TYPE = "illumio-core_labels"
LABEL_FIELDS = LABEL.sent  # key, value, external_data_set, external_data_reference
# Computed by the PCE or by Terraform (``id``, ``deleted``): never inputs.
LABEL_READ_ONLY = frozenset({"id", "deleted", *LABEL.read_only})


@dataclass(frozen=True)
class LabelRef:
    """One item of a profile's ``labels``, as the program writes it."""

    href: str
    label: LabelDecl | None = None  # the migrated Label resource it is
    pair: tuple[str, str] | None = None  # (key, value) a data source of the state read


def plan_label(instance: StateInstance, resource_name: str) -> tuple[LabelDecl, list[Failure]]:
    values = instance.values
    candidate = {name: values[name] for name in LABEL_FIELDS if values.get(name) is not None}
    inputs, failures = LABEL.check(candidate)
    args = {} if failures else {n: inputs[n] for n in LABEL_FIELDS if inputs[n] is not None}
    href = values.get("href") or values.get("id")
    return LabelDecl(
        instance.address, resource_name, href if isinstance(href, str) else None, args
    ), failures


def unmapped_label_attributes(instance: StateInstance) -> list[str]:
    return [
        name
        for name, value in instance.values.items()
        if name not in LABEL_FIELDS and name not in LABEL_READ_ONLY and value not in (None, "", [])
    ]


def pairs_read(state: TerraformState) -> dict[str, tuple[str, str]]:
    """href -> (key, value) of every label a data source of the state read."""
    found: dict[str, tuple[str, str]] = {}
    for item in _data_labels(state):
        href, key, value = (item.get(name) for name in ("href", "key", "value"))
        if isinstance(href, str) and isinstance(key, str) and isinstance(value, str):
            found.setdefault(href, (key, value))
    return found


def _data_labels(state: TerraformState) -> Iterator[Mapping[str, Any]]:
    for instance in state.instances:
        if instance.mode != "data":
            continue
        if instance.type == LABEL_TYPE:
            yield instance.values
        elif instance.type == LABELS_DATA_TYPE and isinstance(instance.values.get("items"), list):
            yield from (item for item in instance.values["items"] if isinstance(item, Mapping))


def label_refs(
    hrefs: list[str], owned: Mapping[str, LabelDecl], read: Mapping[str, tuple[str, str]]
) -> list[LabelRef]:
    return [LabelRef(href, owned.get(href), read.get(href)) for href in hrefs]


def plan_labels(
    instances: list[StateInstance], findings: list[Finding], errors: list[str]
) -> list[LabelDecl]:
    names = unique_names(instances)
    labels = []
    for instance in instances:
        decl, failures = plan_label(instance, names[instance.address])
        labels.append(decl)
        errors += problems(instance, LABEL, failures)
        findings += [
            Finding(instance.address, name, "not an input of Label; left out")
            for name in unmapped_label_attributes(instance)
        ]
    errors += _duplicate_pairs(labels)
    return labels


def _duplicate_pairs(labels: list[LabelDecl]) -> list[str]:
    """Key and value are unique together in an org: two resources would adopt one label."""
    by_pair: dict[tuple[Any, Any], list[str]] = defaultdict(list)
    for decl in labels:
        if decl.args:
            by_pair[(decl.args["key"], decl.args["value"])].append(decl.address)
    return [
        f"{', '.join(addresses)}: share the key and value {key}={value}; an org holds one such "
        "label, so they cannot all be adopted"
        for (key, value), addresses in by_pair.items()
        if len(addresses) > 1
    ]


def wire_labels(
    profiles: list[ProfileDecl],
    labels: list[LabelDecl],
    read: dict[str, tuple[str, str]],
    findings: list[Finding],
) -> None:
    """A profile's label hrefs become the migrated Label resources, or key-value pairs a data
    source read; an href the state says nothing more of stays an href, reported."""
    owned = {decl.href: decl for decl in labels if decl.href}
    for profile in profiles:
        hrefs = profile.args.get("labels")
        if not hrefs or "labels" in profile.secrets:
            continue
        refs = label_refs(hrefs, owned, read)
        profile.args["labels"] = refs
        findings += [
            Finding(
                profile.address,
                "labels",
                f"{ref.href} is neither an {LABEL_TYPE} nor read by a data source in this "
                "state: written as its href",
            )
            for ref in refs
            if ref.label is None and ref.pair is None
        ]
