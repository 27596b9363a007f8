"""scripts/demo and the project files it runs: Pulumi.yaml, Pulumi.dev.yaml.

Without the Pulumi CLI the demo must stop at once with one line naming the install page, before
building a venv or starting the simulator. With the CLI (not installable on every machine: the
test is skipped there) it runs the fleet stack twice and the second run changes nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "scripts" / "demo"
INSTALL_URL = "https://www.pulumi.com/docs/install/"
BASH = shutil.which("bash") or "/bin/bash"


def demo_default(pattern: str) -> str:
    """A default the demo script sets, e.g. its simulator port."""
    match = re.search(pattern, DEMO.read_text(), re.MULTILINE)
    assert match, pattern
    return match.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def is_listening(port: int) -> bool:
    """Whether something accepts connections there (a bind test would trip on TIME_WAIT)."""
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_demo_is_valid_bash() -> None:
    subprocess.run([BASH, "-n", str(DEMO)], check=True)


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_demo_is_shellcheck_clean() -> None:
    result = subprocess.run(["shellcheck", str(DEMO)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_without_pulumi_cli_demo_fails_at_once_with_one_line(tmp_path: Path) -> None:
    # A copy of the script in an empty "checkout": anything it went on to do (a venv, .demo/)
    # would show up here, not in the real repository.
    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    demo = checkout / "scripts" / "demo"
    shutil.copy2(DEMO, demo)
    # A PATH with bash and the usual tools but no pulumi. python3/python record every run:
    # building the venv or starting the simulator would need one.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "mkdir", "cat", "sleep", "seq", "tail", "env"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    python_ran = tmp_path / "python-ran"
    for name in ("python3", "python"):
        wrapper = bin_dir / name
        wrapper.write_text(
            f'#!{BASH}\necho "$0 $*" >> "{python_ran}"\nexec "{sys.executable}" "$@"\n'
        )
        wrapper.chmod(0o755)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}

    started = time.monotonic()
    result = subprocess.run(
        [BASH, str(demo)], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    elapsed = time.monotonic() - started

    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Pulumi CLI" in lines[0] and INSTALL_URL in lines[0]
    assert elapsed < 5, f"took {elapsed:.1f}s: the CLI check must come before anything slow"
    assert not python_ran.exists(), python_ran.read_text()  # no venv, no simulator
    assert sorted(p.name for p in checkout.iterdir()) == ["scripts"]


def test_project_files_match_the_demo() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "pairing-provider"
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": "venv"},
    }
    assert project["main"].rstrip("/") == "examples/fleet"
    assert (ROOT / project["main"] / "__main__.py").is_file()

    stack = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    config = stack["config"]
    port = demo_default(r'^port="\$\{DEMO_PORT:-(\d+)\}"')
    assert config["illumio:pceHost"] == f"http://127.0.0.1:{port}"
    assert config["illumio:apiKeyUsername"] == demo_default(r"^demo_user=(\S+)$")
    assert str(config["illumio:orgId"]) == "1"
    assert config["pairing-provider:rotation"]
    # No API secret in the template, neither plain nor encrypted: it comes from the environment.
    assert "illumio:apiKeySecret" not in config
    assert ".demo/" in (ROOT / ".gitignore").read_text().splitlines()


# A stand-in for the Pulumi CLI, for machines without it: it keeps the stack config in a JSON
# file, logs each call with the environment the demo gave it, and on `up` does what the
# provider's first requests would: list the PCE's labels at the configured pceHost with the API
# key from the environment, and create one when there is none. It checks the demo's
# orchestration, not Pulumi itself.
FAKE_PULUMI = """\
import base64, json, os, sys, urllib.request
from pathlib import Path

args = sys.argv[1:]
store = Path(os.environ["FAKE_PULUMI_DIR"])
config_file = store / "config.json"
config = json.loads(config_file.read_text())
entry = {
    "args": args,
    "backend": os.environ.get("PULUMI_BACKEND_URL"),
    "passphrase": bool(os.environ.get("PULUMI_CONFIG_PASSPHRASE")),
    "leaked": [name for name in ("ILLUMIO_PCE_HOST", "PULUMI_CONFIG_PASSPHRASE_FILE")
               if name in os.environ],
}
if args[:2] == ["config", "get"]:
    if args[2] not in config:
        sys.exit(1)
    print(config[args[2]])
elif args[:2] == ["config", "set"]:
    config[args[2]] = args[3]
    config_file.write_text(json.dumps(config))
elif args[0] == "up":
    user = os.environ["ILLUMIO_API_KEY_USERNAME"]
    secret = os.environ["ILLUMIO_API_KEY_SECRET"]
    request = urllib.request.Request(config["illumio:pceHost"] + "/api/v2/orgs/1/labels")
    token = base64.b64encode(f"{user}:{secret}".encode()).decode()
    request.add_header("Authorization", "Basic " + token)
    with urllib.request.urlopen(request, timeout=5) as response:
        entry["labels"] = [[label["key"], label["value"]] for label in json.load(response)]
    if not entry["labels"]:  # as the fleet's Label resources would on the first up
        request.data = json.dumps({"key": "env", "value": "prod"}).encode()
        request.add_header("Content-Type", "application/json")
        urllib.request.urlopen(request, timeout=5).close()
with (store / "calls.jsonl").open("a") as log:
    log.write(json.dumps(entry) + "\\n")
"""


def test_demo_orchestration_with_a_stand_in_cli(tmp_path: Path) -> None:
    checkout = copy_of_repository(tmp_path / "checkout")
    fake_dir = tmp_path / "fake-pulumi"
    (fake_dir / "bin").mkdir(parents=True)
    pulumi = fake_dir / "bin" / "pulumi"
    pulumi.write_text(f"#!{sys.executable}\n{FAKE_PULUMI}")
    pulumi.chmod(0o755)
    template = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    (fake_dir / "config.json").write_text(json.dumps(template))
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{fake_dir / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "FAKE_PULUMI_DIR": str(fake_dir),
        "DEMO_PORT": str(port),
        # The caller's settings for a real PCE and stack must not reach the demo's commands.
        "ILLUMIO_PCE_HOST": "https://pce.example.com:8443",
        "PULUMI_CONFIG_PASSPHRASE_FILE": "/nonexistent",
    }
    calls_file = fake_dir / "calls.jsonl"
    for run in (1, 2):
        result = subprocess.run(
            [BASH, str(checkout / "scripts" / "demo")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert not is_listening(port), "the demo left its simulator running"
        calls = [json.loads(line) for line in calls_file.read_text().splitlines()]
        calls_file.unlink()

        commands = [call["args"] for call in calls]
        assert commands[0] == ["stack", "select", "--create", "dev"]
        assert commands[-2:] == [["up", "--yes"], ["stack", "output"]]
        assert all(call["backend"] == f"file://{checkout}/.demo/state" for call in calls)
        assert all(call["passphrase"] and not call["leaked"] for call in calls)
        # pceHost is set to the simulator's URL (another port than the template's) once only.
        url = f"http://127.0.0.1:{port}"
        sets = [c for c in commands if c[:2] == ["config", "set"]]
        assert sets == ([["config", "set", "illumio:pceHost", url]] if run == 1 else [])
        # When `pulumi up` runs, the simulator answers at pceHost with the environment's key.
        # The demo seeds no label (the fleet stack owns its labels): the first run finds none,
        # the second the one the first made (the simulator's data file kept it).
        [up] = [call for call in calls if call["args"][0] == "up"]
        assert up["labels"] == ([] if run == 1 else [["env", "prod"]])
        # What the script itself prints (the stand-in's own lines prove nothing).
        lines = result.stdout.splitlines()
        assert f"PCE simulator: {url} (state in .demo/pce.json)" in lines
        assert lines.index("Stack outputs (secrets masked):") > lines.index(
            f"PCE simulator: {url} (state in .demo/pce.json)"
        )
        assert f"  export PULUMI_BACKEND_URL='file://{checkout}/.demo/state'" in result.stdout
    assert (checkout / ".demo" / "pce.json").is_file()


def copy_of_repository(destination: Path) -> Path:
    """The working tree without its state, sharing the real venv (installing one is slow)."""
    ignore = shutil.ignore_patterns(
        "venv", ".git", ".demo", ".ci-venv", "__pycache__", ".*_cache", ".hypothesis", "*.egg-info"
    )
    shutil.copytree(ROOT, destination, ignore=ignore)
    # The environment running these tests: ./venv for a developer, .ci-venv in CI.
    (destination / "venv").symlink_to(Path(sys.prefix))
    return destination


def resources_summaries(output: str) -> list[list[str]]:
    """The lines of each ``Resources:`` block pulumi prints (preview and update)."""
    blocks = re.findall(r"^Resources:\n((?:[ \t]+\S.*\n)+)", output, re.MULTILINE)
    return [[line.strip() for line in block.splitlines()] for block in blocks]


@pytest.mark.skipif(
    shutil.which("pulumi") is None,
    reason="the Pulumi CLI is not installed here (its installers download a binary); "
    "the demo's no-CLI path is tested above",
)
def test_demo_twice_second_run_changes_nothing(tmp_path: Path) -> None:
    checkout = copy_of_repository(tmp_path / "checkout")
    port = free_port()
    env = {**os.environ, "DEMO_PORT": str(port)}
    runs = []
    for _ in range(2):
        result = subprocess.run(
            [BASH, str(checkout / "scripts" / "demo")],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        runs.append(result.stdout)
        assert not is_listening(port), "the demo left its simulator running"

    first, second = runs
    assert any(line.endswith("created") for block in resources_summaries(first) for line in block)
    summaries = resources_summaries(second)
    assert summaries, second
    for block in summaries:
        assert all(re.fullmatch(r"\d+ unchanged", line) for line in block), block
    assert re.search(r"prod_activation_code\s+\[secret\]", second)
    assert re.search(r"prod_profile_href\s+/orgs/1/pairing_profiles/\d+", second)
    assert (checkout / ".demo" / "pce.json").is_file()
