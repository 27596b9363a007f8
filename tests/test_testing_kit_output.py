"""What a failing test of a kit user prints: never a secret, at any verbosity.

pytest explains a failed ``==`` of two dataclasses field by field, values included, whatever
their ``repr`` says; with ``-vv`` it adds a full diff. Each check here runs pytest for real, in
a subprocess, on a generated test file whose assertions fail, and reads what it printed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

CODE = "c0de5ecret0a1b2c3d4e5f"  # stands for an activation code
SCRIPT = "#!/bin/sh\nrc=c0de5cript9f8e7d\n"  # stands for a pairing script (cloud_init)
FAILING_TESTS = textwrap.dedent(
    f"""
    import requests
    from pairing_provider.testing import API_KEY_SECRET, API_KEY_USERNAME, ResourceState, Secret

    CODE, SCRIPT = {CODE!r}, {SCRIPT!r}


    def state(code):
        return ResourceState(
            urn="urn:pulumi:test::proj::PairingKey::key",
            type="PairingKey",
            name="key",
            id="/orgs/1/pairing_profiles/1/pairing_key",
            raw_inputs={{"pairing_profile_href": "/orgs/1/pairing_profiles/1"}},
            raw_outputs={{"activation_code": code, "cloud_init": SCRIPT}},
            secret_outputs=frozenset({{"activation_code", "cloud_init"}}),
        )


    # As in a user's test: the values come from a run, not from the assert line (pytest shows
    # every call's arguments in an assert line, whatever they are).
    def test_secret_against_secret():
        outputs = state(CODE).outputs
        assert outputs["activation_code"] == Secret("x")


    def test_script_against_text():
        outputs = state(CODE).outputs
        assert outputs["cloud_init"] == "x"


    def test_outputs():
        outputs = state(CODE).outputs
        assert outputs == {{"activation_code": Secret("x"), "cloud_init": "x"}}


    def test_resource_states():
        kept, expected = state(CODE), state("x")
        assert kept == expected


    def test_resource_lists():
        kept, expected = [state(CODE)], [state("x")]
        assert kept == expected


    def test_request_log(pce):
        profile = pce.add_profile("web")
        url = pce.url + "/api/v2" + profile["href"] + "/pairing_key"
        auth = (API_KEY_USERNAME, API_KEY_SECRET)
        issued = requests.post(url, json={{}}, auth=auth, timeout=10).json()["activation_code"]
        with open("issued.txt", "w") as handle:
            handle.write(issued)
        assert pce.requests == [{{"method": "GET", "path": "/", "status": 0, "body": None}}]
    """
)
TESTS = ["secret_against_secret", "script_against_text", "outputs", "resource_states"]
TESTS += ["resource_lists", "request_log"]
PIPES: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """-q and -vv runs of the failing tests, at once: (what pytest printed, the issued code)."""
    runs = {}
    for verbosity in ("-q", "-vv"):
        directory = tmp_path_factory.mktemp(verbosity.strip("-"))
        (directory / "test_user.py").write_text(FAILING_TESTS, encoding="utf-8")
        command = [sys.executable, "-m", "pytest", verbosity, "-p", "no:cacheprovider"]
        runs[verbosity] = (directory, subprocess.Popen(command, cwd=directory, **PIPES))
    results = {}
    for verbosity, (directory, process) in runs.items():
        printed, _ = process.communicate(timeout=120)
        results[verbosity] = (printed, (directory / "issued.txt").read_text())
    return results


PIPES = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True}


@pytest.mark.parametrize("verbosity", ["-q", "-vv"])
def test_failing_assertions_never_print_a_secret(
    verbosity: str, outputs: dict[str, tuple[str, str]]
) -> None:
    printed, issued = outputs[verbosity]
    assert f"{len(TESTS)} failed" in printed, printed
    for secret in (CODE, "c0de5cript9f8e7d", issued):
        assert secret not in printed
    # Still understandable: which test, which assertion, the masked values.
    for name in TESTS:
        assert f"test_{name}" in printed
    assert "assert Secret([secret]) == Secret([secret])" in printed
    assert "assert Secret([secret]) == 'x'" in printed
    assert "ResourceState(urn='urn:pulumi:test::proj::PairingKey::key'" in printed
    assert "'activation_code': Secret([secret])" in printed
