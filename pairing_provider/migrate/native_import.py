"""The migration for the native face: `pulumi import` of every label and pairing profile of a
Terraform state, as an import file (`pulumi import --file`) or as one command per resource.

`pulumi import` reads each by its href through the native provider and writes the program for
it; nothing is created or changed in the PCE. Labels come first, so that the profiles wired to
them follow what they need. Pairing keys are not imported (the PCE shows an activation code
only once): the guidance says to declare new keys.

The import file's shape is the CLI's (pulumi/pulumi ``pkg/cmd/pulumi/operations/import.go``,
``importFile``/``importSpec``): ``{"resources": [{"type", "name", "id"}]}``.
"""

from __future__ import annotations

import json
import shlex

from pairing_provider.migrate.decls import Migration
from pairing_provider.migrate.render import state_rm_command
from pairing_provider.migrate.text import comment_text
from pairing_provider.native.names import KEY_TOKEN, LABEL_TOKEN, PROFILE_TOKEN

FORMATS = ("file", "commands")


def importable(migration: Migration) -> list[tuple[str, str, str]]:
    """(type token, Pulumi name, href) of each label and profile the state knows the href of."""
    labels = [(LABEL_TOKEN, decl.resource_name, decl.href) for decl in migration.labels]
    profiles = [(PROFILE_TOKEN, decl.resource_name, decl.href) for decl in migration.profiles]
    return [(token, name, href) for token, name, href in labels + profiles if href]


def render_import_file(migration: Migration) -> str:
    resources = [
        {"type": token, "name": name, "id": href} for token, name, href in importable(migration)
    ]
    return json.dumps({"resources": resources}, indent=2) + "\n"


def render_import_commands(migration: Migration) -> str:
    return "".join(
        f"pulumi import {token} {shlex.quote(name)} {shlex.quote(href)}\n"
        for token, name, href in importable(migration)
    )


def render(migration: Migration, form: str) -> str:
    return render_import_file(migration) if form == "file" else render_import_commands(migration)


def render_import_report(migration: Migration, source_name: str, form: str) -> str:
    """What to do with the output; like the program's report it shows no value of the state."""
    missing = [d.address for d in migration.labels if not d.href]
    missing += [d.address for d in migration.profiles if not d.href]
    tokens = [token for token, _, _ in importable(migration)]
    lines = [
        f"Import for the native provider (package illumio) from {comment_text(source_name)}: "
        f"{tokens.count(LABEL_TOKEN)} label(s), {tokens.count(PROFILE_TOKEN)} pairing "
        "profile(s).",
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
        f"  {step}: each is read by its href, nothing is written to the PCE",
        "  then make Terraform forget the resources, without destroying them:",
        *(f"    {line}" for line in state_rm_command(migration.addresses)),
    ]
    return "".join(f"{comment_text(line)}\n" for line in lines)
