"""The state's Terraform outputs, each with the Pulumi export of the program that replaces it.

A state keeps an output's value, not the expression that made it, so the match is by value: an
output holding a migrated profile's or label's href is that resource's ``*_href`` export; one
holding a key's activation code (alone or inside a larger value) is that key's
``*_activation_code`` export, a new code. The values are compared, never shown.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pairing_provider.migrate.decls import KeyDecl, LabelDecl, Migration, ProfileDecl

NEW_CODE = "a new code: Terraform's cannot be carried over"


@dataclass(frozen=True)
class OutputMapping:
    name: str
    export: str | None  # the stack output that replaces it, None when none does
    note: str = ""


KEY_EXPORTS = ("activation_code", "cloud_init")


def export_name(decl: LabelDecl | ProfileDecl | KeyDecl, output: str) -> str:
    """The stack output the program writes for ``decl``'s ``output``: one spelling for the
    program and for the report that maps Terraform's outputs to it."""
    return f"{decl.variable}_{output}"


def export_names(migration: Migration) -> list[tuple[str, str]]:
    """(stack output name, Python expression) of every export the program writes, in order."""
    holders: list[LabelDecl | ProfileDecl] = [*migration.labels, *migration.profiles]
    names = [(export_name(d, "href"), f"{d.variable}.href") for d in holders]
    for key in migration.keys:
        for output in KEY_EXPORTS:
            names.append((export_name(key, output), f"{key.variable}.{output}"))
    return names


def map_outputs(migration: Migration) -> list[OutputMapping]:
    holders: list[LabelDecl | ProfileDecl] = [*migration.labels, *migration.profiles]
    by_href = {d.href: export_name(d, "href") for d in holders if d.href}
    codes = dict(_key_codes(migration))
    mappings = []
    for output in migration.state.outputs:
        if isinstance(output.value, str) and output.value in by_href:
            mappings.append(OutputMapping(output.name, by_href[output.value]))
            continue
        text = _text(output.value)
        export = next((name for code, name in codes.items() if code in text), None)
        if export is not None:
            mappings.append(OutputMapping(output.name, export, NEW_CODE))
        else:
            note = "none of the migrated objects' values: add a pulumi.export for it by hand"
            mappings.append(OutputMapping(output.name, None, note))
    return mappings


def _key_codes(migration: Migration) -> Iterator[tuple[str, str]]:
    """(Terraform's activation code, the export of the key that replaces it)."""
    instances = {instance.address: instance for instance in migration.state.instances}
    for key in migration.keys:
        tokens = instances[key.address].values.get("activation_tokens") or []
        for token in tokens if isinstance(tokens, list) else []:
            code = token.get("activation_token") if isinstance(token, dict) else None
            if isinstance(code, str) and code:
                yield code, export_name(key, "activation_code")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)
