"""The generated files: ``__main__.py`` (formatted as ``ruff format`` would), ``Pulumi.yaml`` and
``requirements.txt``.

Every string from the state is written as a Python literal built here character by character,
so quotes, backslashes, control characters and any Unicode come out as valid source, and the
layout is the one ruff settles on (a second ``ruff format`` changes nothing).
"""

from __future__ import annotations

import json
import re
import shlex
import unicodedata
from pathlib import Path
from typing import Any

from pairing_provider.migrate.decls import KeyDecl, LabelDecl, Migration, ProfileDecl
from pairing_provider.migrate.labels import LabelRef
from pairing_provider.migrate.origin import Requirement
from pairing_provider.migrate.outputs import export_names
from pairing_provider.migrate.text import comment_text

LINE_LENGTH = 100
INDENT = "    "
DEFAULT_PROJECT = "illumio-pairing"
PULUMI_REQUIREMENT = "pulumi>=3.216,<4"
# A commented-out argument in each key: uncommenting it is how a key is rotated later.
TRIGGERS_PLACEHOLDER = (
    '# triggers={"rotation": "2026-01"},  # change the value to rotate: a new key, a new code'
)


# --- Python literals ----------------------------------------------------------------------------


def python_string(text: str) -> str:
    """A string literal in ruff's style: double quotes unless the text holds more double quotes
    than single ones; non-printable characters escaped as ``repr`` escapes them."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    return quote + "".join(_escape(char, quote) for char in text) + quote


def _escape(char: str, quote: str) -> str:
    if char in ("\\", quote):
        return "\\" + char
    if char.isprintable():
        return char
    return repr(char)[1:-1]  # \n, \t, \x00, \u200b, \ud800, ...


def display_width(text: str) -> int:
    """Columns as ruff counts them: East Asian wide characters take two, combining marks none."""
    return sum(_char_width(char) for char in text)


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _fits(line: str) -> bool:
    return display_width(line) <= LINE_LENGTH


def string_argument(pad: str, keyword: str, text: str) -> list[str]:
    """``keyword="text",`` laid out as ruff lays it out: on one line if it fits, else the
    literal alone in parentheses, else split into implicitly concatenated parts."""
    literal = python_string(text)
    line = f"{pad}{keyword}={literal},"
    if _fits(line):
        return [line]
    inner = pad + INDENT
    parts = [literal] if _fits(inner + literal) else _split_string(text, inner)
    return [f"{pad}{keyword}=(", *(inner + part for part in parts), f"{pad}),"]


def _split_string(text: str, inner: str) -> list[str]:
    """Literals of consecutive slices of ``text``, each fitting on a line after ``inner``;
    a slice ends after a space where one is near the end, so words stay whole."""
    parts: list[str] = []
    start = 0
    while start < len(text):
        end = _slice_end(text, start, inner)
        parts.append(python_string(text[start:end]))
        start = end
    return parts


def _slice_end(text: str, start: int, inner: str) -> int:
    end = start + 1  # at least one character, whatever its width
    while end < len(text) and _fits(inner + python_string(text[start : end + 1])):
        end += 1
    space = text.rfind(" ", start, end)
    if end < len(text) and space > start + (end - start) // 2:
        return space + 1
    return end


def list_argument(pad: str, keyword: str, items: list[str]) -> list[str]:
    return source_list_argument(pad, keyword, [python_string(item) for item in items])


def source_list_argument(pad: str, keyword: str, literals: list[str]) -> list[str]:
    """``keyword=[...],`` of items already written as Python source."""
    line = f"{pad}{keyword}=[{', '.join(literals)}],"
    if _fits(line):
        return [line]
    return [f"{pad}{keyword}=[", *(f"{pad}{INDENT}{item}," for item in literals), f"{pad}],"]


def label_source(ref: LabelRef) -> str:
    """A profile's label as the program writes it: the Label resource's id, a key-value pair,
    or the href."""
    if ref.label is not None:
        return f"{ref.label.variable}.id"
    if ref.pair is not None:
        key, value = (python_string(part) for part in ref.pair)
        return f'{{"key": {key}, "value": {value}}}'
    return python_string(ref.href)


def argument(pad: str, keyword: str, value: Any) -> list[str]:
    if isinstance(value, str):
        return string_argument(pad, keyword, value)
    if isinstance(value, list) and all(isinstance(item, LabelRef) for item in value):
        return source_list_argument(pad, keyword, [label_source(item) for item in value])
    if isinstance(value, list):
        return list_argument(pad, keyword, value)
    return [f"{pad}{keyword}={value!r},"]  # bool or int: repr is the literal


# --- __main__.py ------------------------------------------------------------------------------


def render_program(migration: Migration, source_name: str) -> str:
    lines = [*_header(migration, source_name), "", *_imports(migration)]
    if migration.secrets:
        lines += ["", "config = pulumi.Config()"]
    for label in migration.labels:
        lines += ["", *_label_block(label)]
    for profile in migration.profiles:
        lines += ["", *_profile_block(profile)]
    for key in migration.keys:
        lines += ["", *_key_block(key)]
    lines += ["", *_exports(migration)]
    return "\n".join(lines) + "\n"


def _exports(migration: Migration) -> list[str]:
    """What Terraform users read from the state: each label's and profile's href, each key's
    activation code and cloud-init user-data (both secret outputs of PairingKey, so secret
    exports)."""
    lines = [
        "# Stack outputs: `pulumi stack output NAME` (add --show-secrets for a key's code).",
    ]
    for name, expression in export_names(migration):
        lines += _export(name, expression)
    return lines


def _export(name: str, expression: str) -> list[str]:
    """``pulumi.export(name, expression)`` as ruff lays out a call: on one line, else the
    arguments on one indented line, else one argument a line."""
    arguments = [python_string(name), expression]
    line = f"pulumi.export({', '.join(arguments)})"
    if _fits(line):
        return [line]
    if _fits(INDENT + ", ".join(arguments)):
        return ["pulumi.export(", INDENT + ", ".join(arguments), ")"]
    return ["pulumi.export(", *(f"{INDENT}{argument}," for argument in arguments), ")"]


def _header(migration: Migration, source_name: str) -> list[str]:
    state = migration.state
    made_by = f", Terraform {state.terraform_version}" if state.terraform_version else ""
    counts = f"{_count(migration.profiles, 'pairing profile')}, {_count(migration.keys, 'key')}"
    if migration.labels:
        counts = f"{_count(migration.labels, 'label')}, {counts}"
    text = [
        "Illumio pairing profiles and keys migrated from Terraform by `python -m "
        f"pairing_provider.migrate`, from {comment_text(source_name)} ({state.format}{made_by}): "
        f"{counts}.",
        "",
        "Every PairingProfile and Label has adopt_existing=True: `pulumi up` takes over the "
        "profile that already has its name (the label that has its key and value) instead of "
        "creating one, and changes nothing whose values match. Inputs left out take the "
        "Terraform provider's defaults.",
        "",
        "Next steps:",
        "1. pulumi stack init, then set illumio:pceHost, illumio:apiKeyUsername and "
        "illumio:apiKeySecret (--secret) as the README's Configuration section says.",
        *_secret_steps(migration),
        "2. pulumi preview: each resource shows as a create; for a profile or a label, that create "
        "adopts.",
        "3. pulumi up",
        "4. Make Terraform forget these resources without destroying them:",
    ]
    lines = [line for paragraph in text for line in _wrap(paragraph)]
    lines += [f"     {line}" for line in state_rm_command(migration.addresses)]
    # Everything from the state is escaped again here: a version string holding a line break
    # must not end the comment and put code into the program.
    return [f"# {comment_text(line)}".rstrip() for line in lines]


def _secret_steps(migration: Migration) -> list[str]:
    return [
        f"   pulumi config set --secret {secret.config_key} VALUE, where VALUE is the "
        f"{secret.attribute}{secret.value_hint} of {comment_text(secret.address)} (sensitive "
        "in Terraform)"
        for secret in migration.secrets
    ]


def state_rm_command(addresses: list[str]) -> list[str]:
    """One `terraform state rm`, an address a line, each quoted for a POSIX shell."""
    quoted = [shlex.quote(comment_text(address)) for address in addresses]
    return ["terraform state rm \\", *(f"  {item} \\" for item in quoted[:-1]), f"  {quoted[-1]}"]


def _wrap(paragraph: str, width: int = LINE_LENGTH - 2) -> list[str]:
    """Word-wrap for comments. Continuation lines keep the paragraph's indent, plus a numbered
    step's number width, so steps read as a list."""
    text = paragraph.lstrip(" ")
    indent = " " * (len(paragraph) - len(text))
    hanging = indent + ("   " if re.match(r"\d\. ", text) else "")
    lines, line = [], indent
    for word in text.split(" "):
        if line.strip() and display_width(f"{line} {word}") > width:
            lines.append(line)
            line = hanging + word
        else:
            line = f"{line} {word}" if line.strip() else line + word
    return [*lines, line]


def _count(items: list[Any], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _imports(migration: Migration) -> list[str]:
    classes = (
        ("Label", migration.labels),
        ("PairingKey", migration.keys),
        ("PairingProfile", migration.profiles),
    )
    names = [name for name, used in classes if used]
    return ["import pulumi", f"from pairing_provider import {', '.join(names)}"]


def _origin(decl: ProfileDecl | LabelDecl) -> list[str]:
    """The comment above a migrated resource: its Terraform address and its href."""
    origin = comment_text(decl.address)
    if decl.href:
        origin += f" ({comment_text(decl.href)})"
    return [f"# {line}" for line in _wrap(origin)]


def _profile_block(profile: ProfileDecl) -> list[str]:
    lines = _origin(profile)
    lines += [
        f"{profile.variable} = PairingProfile(",
        f"{INDENT}{python_string(profile.resource_name)},",
    ]
    for keyword, value in profile.args.items():
        secret = profile.secrets.get(keyword)
        if secret is None:
            lines += argument(INDENT, keyword, value)
        else:
            key = python_string(secret.config_key)
            lines.append(f"{INDENT}{keyword}=config.{secret.getter}({key}),")
    return [*lines, f"{INDENT}adopt_existing=True,", ")"]


def _label_block(label: LabelDecl) -> list[str]:
    lines = _origin(label)
    lines += [f"{label.variable} = Label(", f"{INDENT}{python_string(label.resource_name)},"]
    for keyword, value in label.args.items():
        lines += argument(INDENT, keyword, value)
    return [*lines, f"{INDENT}adopt_existing=True,", ")"]


def _key_block(key: KeyDecl) -> list[str]:
    note = (
        f"{comment_text(key.address)}: Terraform's activation codes cannot be carried over "
        "(the PCE cannot read one back); this key is a fresh one, made by `pulumi up`."
    )
    lines = [f"# {line}" for line in _wrap(note)]
    lines += [f"{key.variable} = PairingKey(", f"{INDENT}{python_string(key.resource_name)},"]
    if key.profile is not None:
        lines.append(f"{INDENT}pairing_profile={key.profile.variable},")
    else:
        lines += argument(INDENT, "pairing_profile_href", key.profile_href)
    if key.token_count != 1:  # Terraform's count of codes, kept (one per VM for single-use keys)
        lines.append(f"{INDENT}token_count={key.token_count},")
    return [*lines, f"{INDENT}{TRIGGERS_PLACEHOLDER}", ")"]


# --- Pulumi.yaml and requirements.txt ---------------------------------------------------------


def project_name(directory: Path) -> str:
    """A Pulumi project name (letters, digits, ``-``, ``_``, ``.``) from the directory's name."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", directory.resolve().name).strip("-.")
    return name or DEFAULT_PROJECT


def render_pulumi_yaml(project: str) -> str:
    # JSON strings are YAML strings: no project name can be misread as a number or a bool.
    return (
        f"name: {json.dumps(project)}\n"
        "description: Illumio pairing profiles and keys migrated from Terraform\n"
        "runtime:\n"
        "  name: python\n"
        "  options:\n"
        "    toolchain: pip\n"
        "    virtualenv: venv\n"
        "options:\n"
        "  # Read the PCE before every preview, up and destroy, as Terraform's plan does:\n"
        "  # without it a console edit or a deleted profile previews as no change.\n"
        "  refresh: always\n"
    )


def render_requirements(requirement: Requirement) -> str:
    lines = [
        "# The Pulumi engine runs the provider from this project's virtualenv: it must be",
        "# installed there.",
        PULUMI_REQUIREMENT,
    ]
    if requirement.line is None:
        lines += [f"# {line}" for line in _wrap(requirement.note)]
    else:
        lines.append(requirement.line)
    return "\n".join(lines) + "\n"
