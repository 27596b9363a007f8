"""The migration report: what became what, what was not carried over and why, what to do next.

It never shows a value from the state (a sensitive one could be among them): only addresses,
attribute names, hrefs of migrated profiles and counts.
"""

from __future__ import annotations

from pairing_provider.migrate.decls import Migration
from pairing_provider.migrate.outputs import map_outputs
from pairing_provider.migrate.render import state_rm_command
from pairing_provider.migrate.text import comment_text


def render_report(migration: Migration, source_name: str, written: list[str]) -> str:
    state = migration.state
    made_by = f", Terraform {state.terraform_version}" if state.terraform_version else ""
    lines = [f"Migrated from {comment_text(source_name)} ({state.format}{made_by}):"]
    lines += _mapped(migration)
    lines += _section(
        "Not carried over",
        [
            f"{comment_text(f.address)}: {f.subject + ': ' if f.subject else ''}{f.reason}"
            for f in migration.findings
        ],
    )
    lines += _section("Notes", migration.notes)
    lines += _section(
        "Terraform outputs, and the stack output that replaces each",
        [
            f"{comment_text(m.name)} -> "
            + (f"pulumi stack output {m.export}" if m.export else "none")
            + (f" ({m.note})" if m.note else "")
            for m in map_outputs(migration)
        ],
    )
    lines += _section(
        "Sensitive in Terraform, so read from stack config: set each before `pulumi up`",
        [
            f"pulumi config set --secret {s.config_key}  "
            f"# {comment_text(s.address)}: {s.attribute}{s.value_hint}"
            for s in migration.secrets
        ],
    )
    lines += _section("Written", written)
    lines += _section("Next", _next_steps(migration), counted=False)
    return "".join(f"{comment_text(line)}\n" for line in lines)  # no control character escapes


def _mapped(migration: Migration) -> list[str]:
    rows = [
        (f'Label "{label.resource_name}"', label.address, f" ({label.href})" if label.href else "")
        for label in migration.labels
    ]
    rows += [
        (f'PairingProfile "{p.resource_name}"', p.address, f" ({p.href})" if p.href else "")
        for p in migration.profiles
    ]
    rows += [(f'PairingKey "{k.resource_name}"', k.address, "") for k in migration.keys]
    width = max(len(row[0]) for row in rows)
    return [f"  {name:<{width}}  <- {comment_text(addr)}{href}" for name, addr, href in rows]


def _section(title: str, items: list[str], counted: bool = True) -> list[str]:
    if not items:
        return []
    heading = f"{title} ({len(items)}):" if counted else f"{title}:"
    return ["", heading, *(f"  {item}" for item in items)]


def _next_steps(migration: Migration) -> list[str]:
    return [
        "review the program, then: pulumi stack init; set the illumio: config (README)",
        "pulumi preview: every resource shows as a create; a profile's or label's create adopts it",
        "pulumi up: adopts each label and profile (changing nothing that matches), makes the "
        "new keys",
        "then make Terraform forget the resources, without destroying them:",
        *(f"  {line}" for line in state_rm_command(migration.addresses)),
    ]
