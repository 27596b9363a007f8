"""The simulator's ``--data-file`` when it lies, or when two simulators share it: one clear line
naming the file and the problem, a non-zero exit, the file unchanged, no write lost silently.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_simulator_support import SECRET, USER, Session, api

from pairing_provider.simulator import Simulator
from pairing_provider.simulator.errors import DataFileError

pytest_plugins = ["test_simulator_support"]

PROFILE = "/orgs/1/pairing_profiles/1"


def good_data() -> dict[str, Any]:
    """What a simulator writes: a label, a profile with it, a key."""
    with Simulator(api_key_username=USER, api_key_secret=SECRET) as sim:
        label = sim.state.create_label(1, {"key": "env", "value": "prod"})
        sim.state.create_profile(
            1, {"name": "web", "enabled": True, "labels": [{"href": label["href"]}]}
        )
        sim.state.generate_pairing_key(1, 1, {})
        return sim.state.snapshot()


GOOD = good_data()


def changed(path: str, value: Any) -> dict[str, Any]:
    """GOOD with the value at ``path`` (``a.0.b``) replaced; ``...`` deletes it."""
    data = copy.deepcopy(GOOD)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target: Any = data
    for part in parents:
        target = target[part]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return data


BAD_FILES: dict[str, tuple[str | dict[str, Any], str]] = {
    "corrupt": ('{"version": 1, "org_id"', "not JSON (line 1, column 24"),
    "not UTF-8": ("\udcff", "not JSON: not UTF-8 text"),
    "nested": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "not an object": ("[1]", "not a simulator data file of version 1"),
    "other org": (changed("org_id", 2), "holds org 2, not org 1"),
    "numeric name": (changed("pairing_profiles.0.name", 7), "'#/name' of type integer"),
    "no profile list": (changed("pairing_profiles", ...), "pairing_profiles must be a JSON array"),
    "no key list": (changed("pairing_keys", ...), "pairing_keys must be a JSON array"),
    "counter in use": (
        changed("next_profile_id", 1),
        "next_profile_id is 1, but pairing_profiles already holds id 1: the next one created "
        "would overwrite it",
    ),
    "counter a string": (changed("next_label_id", "2"), "next_label_id must be a whole number"),
    "id twice": (
        changed("pairing_profiles", [GOOD["pairing_profiles"][0]] * 2),
        f"pairing_profiles[1].href {PROFILE} is used twice",
    ),
    "one key and value twice": (
        {
            **changed(
                "labels", [GOOD["labels"][0], {**GOOD["labels"][0], "href": "/orgs/1/labels/2"}]
            ),
            "next_label_id": 3,
        },
        "labels[1] is a second label env=prod",
    ),
    "other org's href": (
        changed("labels.0.href", "/orgs/2/labels/1"),
        'labels[0].href must be /orgs/1/labels/N, not "/orgs/2/labels/1"',
    ),
    "bad enum": (changed("pairing_profiles.0.ven_type", "laptop"), "did not match one of"),
    "bad timestamp": (
        changed("pairing_profiles.0.created_at", 5),
        "pairing_profiles[0].created_at must be a string (a time), not 5",
    ),
    "bad user": (changed("pairing_profiles.0.created_by", "me"), "created_by must be an object"),
    "unknown field": (
        changed("pairing_profiles.0.owner", "x"),
        "pairing_profiles[0] has fields the simulator never stores: ['owner']",
    ),
    "label without value": (
        changed("labels.0.value", ...),
        "labels[0] lacks fields the simulator always stores: ['value']",
    ),
    "key field": (
        changed("pairing_keys.0.uses", 1),
        "pairing_keys[0] must have exactly the fields",
    ),
    "key type": (changed("pairing_keys.0.revoked", "no"), "revoked must be a JSON boolean"),
}


def write(path: Path, content: str | dict[str, Any]) -> bytes:
    text = content if isinstance(content, str) else json.dumps(content)
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return path.read_bytes()


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_data_file_is_refused_whole_and_left_as_it_is(case: str, tmp_path: Path) -> None:
    content, message = BAD_FILES[case]
    data_file = tmp_path / "pce.json"
    before = write(data_file, content)
    with pytest.raises(DataFileError) as refused:
        Simulator(api_key_username=USER, api_key_secret=SECRET, data_file=data_file)
    assert str(refused.value).startswith(f"{data_file}: ")
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
    assert data_file.read_bytes() == before


def test_a_good_data_file_loads(tmp_path: Path) -> None:
    data_file = tmp_path / "pce.json"
    write(data_file, GOOD)
    with Simulator(api_key_username=USER, api_key_secret=SECRET, data_file=data_file) as sim:
        assert sim.state.get_profile(1, 1)["labels"] == [{"href": "/orgs/1/labels/1"}]
        assert sim.pairing_keys() == GOOD["pairing_keys"]


def test_a_second_simulator_on_one_data_file_is_refused(tmp_path: Path) -> None:
    data_file = tmp_path / "pce.json"
    kwargs: dict[str, Any] = {"api_key_username": USER, "api_key_secret": SECRET}
    with Simulator(data_file=data_file, **kwargs) as first, Session() as session:
        with pytest.raises(DataFileError, match="another simulator is using it"):
            Simulator(data_file=data_file, **kwargs)
        body = {"name": "kept", "enabled": True}
        assert session.post(api(first, "/orgs/1/pairing_profiles"), json=body).ok
    # The first one stopped: the file is free, and holds the first one's write.
    with Simulator(data_file=data_file, **kwargs) as second:
        assert [p["name"] for p in second.state.profiles.values()] == ["kept"]


def test_the_command_line_says_one_line_and_exits_non_zero(tmp_path: Path) -> None:
    bad, shared = tmp_path / "bad.json", tmp_path / "shared.json"
    before = write(bad, changed("pairing_profiles.0.name", 7))
    env = {**os.environ, "ILLUMIO_API_KEY_USERNAME": USER, "ILLUMIO_API_KEY_SECRET": SECRET}
    # The lock is the kernel's: a simulator in this process keeps one in another one out.
    with Simulator(api_key_username=USER, api_key_secret=SECRET, data_file=shared):
        runs = {
            name: subprocess.Popen(
                [sys.executable, "-m", "pairing_provider.simulator", "--data-file", str(path)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for name, path in (("bad", bad), ("shared", shared))
        }
        results = {
            name: (run.communicate(timeout=30), run.returncode) for name, run in runs.items()
        }
    for name, message in (("bad", "'#/name' of type integer"), ("shared", "another simulator")):
        (stdout, stderr), code = results[name]
        assert code == 1 and stdout == ""
        assert stderr.startswith("error: ") and stderr.count("\n") == 1 and message in stderr
        assert "Traceback" not in stderr
    assert bad.read_bytes() == before
