"""The migration against a state, and an output directory, written by someone hostile or careless:
sensitive values stay out of error lines, control characters never reach the terminal, a planted
symlink is never written through, and no nesting depth ends in a traceback.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from test_migrate import FIXTURES, KEYS_TYPE, PROFILE_TYPE, fixture, show_profile

from pairing_provider.migrate import main

SITE = "module.edge.illumio-core_pairing_profile.site[1]"
SECRET = "TOPSECRET-d41d8cd9"
# ESC (a terminal command: clear the screen), CR (overwrite the line), NUL, a line break.
HOSTILE_KEY = "eu\x1b[2J\rx\x00\ny"
HOSTILE_SHOWN = "eu\\x1b[2J\\rx\\x00\\ny"


def run(tmp_path: Path, document: Any, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    """stderr of one migration of ``document``, which must fail with one ``error:`` report."""
    state = tmp_path / "state.json"
    state.write_text(document if isinstance(document, str) else json.dumps(document), "utf-8")
    assert main(["--from-terraform", str(state), *extra]) == 1
    stdout, stderr = capsys.readouterr()
    assert stdout == ""
    assert stderr.startswith("error: ")
    return stderr


def tfstate_profile(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in document["resources"] if r["type"] == PROFILE_TYPE and r["name"] == name)


# --- sensitive values ---------------------------------------------------------------------------


def sensitive_show_json() -> dict[str, Any]:
    """Invalid values in attributes `terraform show -json` marks sensitive (a list one too)."""
    document = fixture("show.json")
    site = show_profile(document, SITE)
    site["values"].update(
        enforcement_mode=f"{SECRET}-full",  # close enough to "full" for a did-you-mean
        description={"text": SECRET},  # not a string
        labels=[{"href": f"/orgs/1/{SECRET}"}],
    )
    site["sensitive_values"].update(enforcement_mode=True, description=True, labels=[{}])
    site["sensitive_values"]["labels"] = [{"href": True}]
    return document


def sensitive_tfstate() -> dict[str, Any]:
    """The same in a terraform.tfstate, marked with `sensitive_attributes` paths; and a key
    whose profile href is sensitive and invalid."""
    document = fixture("terraform.tfstate")
    instance = tfstate_profile(document, "web")["instances"][0]
    instance["attributes"].update(enforcement_mode=f"{SECRET}-full", key_lifespan=SECRET)
    instance["sensitive_attributes"] = [
        [{"type": "get_attr", "value": "enforcement_mode"}],
        [{"type": "get_attr", "value": "key_lifespan"}],
    ]
    keys = next(r for r in document["resources"] if r["type"] == KEYS_TYPE)
    keys["instances"][0]["attributes"]["pairing_profile_href"] = f"{SECRET}/7"
    keys["instances"][0]["sensitive_attributes"] = [
        [{"type": "get_attr", "value": "pairing_profile_href"}]
    ]
    return document


@pytest.mark.parametrize(
    ("document", "attributes"),
    [
        (sensitive_show_json(), ["enforcement_mode", "description", "labels"]),
        (sensitive_tfstate(), ["enforcement_mode", "key_lifespan", "pairing_profile_href"]),
    ],
    ids=["show-json", "tfstate"],
)
def test_an_invalid_sensitive_value_is_named_never_shown(
    document: dict[str, Any],
    attributes: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stderr = run(tmp_path, document, capsys)
    assert SECRET not in stderr
    assert "did you mean" not in stderr  # a guess is made from the value
    for attribute in attributes:
        assert f"{attribute}: not a valid value (expected " in stderr
    assert stderr.count("sensitive in Terraform, so not shown") == len(attributes)
    assert '"idle" | "visibility_only" | "selective" | "full"' in stderr  # what it must be


def test_a_value_not_marked_sensitive_is_still_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = fixture("show.json")
    show_profile(document, SITE)["values"]["enforcement_mode"] = "fulll"
    assert 'enforcement_mode: "fulll" is not one of' in run(tmp_path, document, capsys)


# --- terminal escapes ---------------------------------------------------------------------------


def hostile_tfstate() -> dict[str, Any]:
    """A module path holding terminal controls, on an instance whose value is refused (an
    instance key is JSON-escaped in the address already)."""
    document = fixture("terraform.tfstate")
    resource = tfstate_profile(document, "web")
    resource["module"] = f"module.{HOSTILE_KEY}"
    resource["instances"][0]["attributes"]["key_lifespan"] = 0
    return document


def hostile_show_json() -> dict[str, Any]:
    """An address holding terminal controls, shared by two instances (a repeated address)."""
    document = fixture("show.json")
    for address in (SITE, "module.edge.illumio-core_pairing_profile.site[0]"):
        show_profile(document, address)["address"] = f"edge.site[{HOSTILE_KEY}]"
    return document


def flat_attributes() -> dict[str, Any]:
    document = hostile_tfstate()
    instance = tfstate_profile(document, "web")["instances"][0]
    instance["attributes_flat"] = instance.pop("attributes")
    return document


@pytest.mark.parametrize(
    "document",
    [hostile_tfstate(), hostile_show_json(), flat_attributes()],
    ids=["refused-value", "repeated-address", "flat-attributes"],
)
def test_error_lines_escape_what_the_state_holds(
    document: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stderr = run(tmp_path, document, capsys)
    assert HOSTILE_SHOWN in stderr
    for control in ("\x1b", "\r", "\x00"):
        assert control not in stderr
    assert "\ny" not in stderr  # a line break in an address cannot start a line of its own


# --- the output directory -----------------------------------------------------------------------


@pytest.mark.parametrize("name", [".__main__.py.migrate-tmp", "__main__.py"])
def test_a_planted_symlink_is_never_written_through(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Someone who can write to the output directory plants a link where the migration writes
    (its old fixed temporary name, or a dangling link at the program's own name)."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "shared"
    out.mkdir()
    (out / name).symlink_to(victim if name.startswith(".") else tmp_path / "absent")
    assert main(["--from-terraform", str(FIXTURES / "show.json"), "--out", str(out)]) == 0
    capsys.readouterr()
    assert victim.read_text() == "precious\n"
    assert not (tmp_path / "absent").exists()
    program = out / "__main__.py"
    assert not program.is_symlink() and "PairingProfile(" in program.read_text()
    assert oct(program.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    assert not [p for p in out.iterdir() if p.name.endswith(".migrate-tmp") and p.name != name]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# --- nesting --------------------------------------------------------------------------------------


def deep_marks() -> str:
    """Sensitive marks nested deeper than the stack: valid JSON the reader accepts."""
    document = fixture("show.json")
    marks = show_profile(document, SITE)["sensitive_values"]
    marks["description"] = "MARKS"  # the one attribute of this profile Terraform marked
    depth = 900
    return json.dumps(document).replace('"MARKS"', "[" * depth + "true" + "]" * depth)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"format_version": "1.0", "values": ' + "[" * 5000 + "]" * 5000 + "}", "nested too"),
        (deep_marks(), None),
    ],
    ids=["top-level", "in-values", "sensitive-marks"],
)
def test_deep_nesting_is_one_clear_line(
    document: str, message: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state.json"
    state.write_text(document, "utf-8")
    code = main(["--from-terraform", str(state)])
    stdout, stderr = capsys.readouterr()
    if message is None:  # readable: the marks were walked, the program written
        assert code == 0, stderr
        assert 'description=config.require_secret("edge_site_1_description")' in stdout
    else:
        assert code == 1
        assert stderr.startswith("error: ") and message in stderr
        assert stderr.count("\n") == 1
