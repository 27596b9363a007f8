"""The migration for the native face: `pulumi import` of every pairing profile of a Terraform
state, as an import file (`pulumi import --file`) or as one command per profile.

`pulumi import` reads each profile by its href through the native provider and writes the
program for it; nothing is created or changed in the PCE. Pairing keys are not imported (the
PCE shows an activation code only once): the guidance says to declare new keys.

The import file's shape is the CLI's (pulumi/pulumi ``pkg/cmd/pulumi/operations/import.go``,
``importFile``/``importSpec``): ``{"resources": [{"type", "name", "id"}]}``.
"""

from __future__ import annotations

import json
import shlex

from pairing_provider.migrate.decls import Migration
from pairing_provider.migrate.render import state_rm_command
from pairing_provider.migrate.text import comment_text
from pairing_provider.native.names import KEY_TOKEN, PROFILE_TOKEN

FORMATS = ("file", "commands")


def importable(migration: Migration) -> list[tuple[str, str]]:
    """(Pulumi name, href) of each profile the state knows the href of."""
    return [(p.resource_name, p.href) for p in migration.profiles if p.href]


def render_import_file(migration: Migration) -> str:
    resources = [
        {"type": PROFILE_TOKEN, "name": name, "id": href} for name, href in importable(migration)
    ]
    return json.dumps({"resources": resources}, indent=2) + "\n"


def render_import_commands(migration: Migration) -> str:
    return "".join(
        f"pulumi import {PROFILE_TOKEN} {shlex.quote(name)} {shlex.quote(href)}\n"
        for name, href in importable(migration)
    )


def render(migration: Migration, form: str) -> str:
    return render_import_file(migration) if form == "file" else render_import_commands(migration)


def render_import_report(migration: Migration, source_name: str, form: str) -> str:
    """What to do with the output; like the program's report it shows no value of the state."""
    missing = [p.address for p in migration.profiles if not p.href]
    lines = [
        f"Import for the native provider (package illumio) from {comment_text(source_name)}: "
        f"{len(importable(migration))} pairing profile(s).",
    ]
    lines += [f"  no href in the state, not imported: {address}" for address in missing]
    if migration.keys:
        lines.append(
            f"  {len(migration.keys)} pairing key(s) not imported: the PCE shows an activation "
            f"code only once. Declare a new {KEY_TOKEN} for each in the program."
        )
    step = (
        "pulumi import --file import.json  (the output above, saved as import.json)"
        if form == "file"
        else "run each pulumi import command above"
    )
    lines += [
        "Next:",
        "  pulumi package add <the provider's repository> (README: other languages)",
        f"  {step}: each profile is read by its href, nothing is written to the PCE",
        "  then make Terraform forget the resources, without destroying them:",
        *(f"    {line}" for line in state_rm_command(migration.profile_and_key_addresses)),
    ]
    return "".join(f"{comment_text(line)}\n" for line in lines)
