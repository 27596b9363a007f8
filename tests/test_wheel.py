"""The built wheel, as another repository uses it (marker ``wheel``: run by ``.ci/run``).

One wheel per session (``$PAIRING_PROVIDER_WHEEL``, or ``python -m build`` here, about 15 s),
installed with ``--no-deps`` into a fresh venv that borrows this interpreter's installed
dependencies through a ``.pth`` file: creating it takes about two seconds instead of a full
dependency install, and the package itself comes only from the wheel. Each test then works in a
directory outside the repository, with nothing of the checkout on its path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures_terraform"
README = REPO / "README.md"


def run(*command: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "ILLUMIO_"))}
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("PAIRING_PROVIDER_WHEEL")
    if given:
        return Path(given).resolve()
    out = tmp_path_factory.mktemp("dist")
    built = run(sys.executable, "-m", "build", "--wheel", "--outdir", out, REPO, cwd=REPO)
    assert built.returncode == 0, built.stdout + built.stderr
    [path] = out.glob("pairing_provider-*.whl")
    return path


@pytest.fixture(scope="session")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A venv with the wheel installed and this interpreter's dependencies visible."""
    home = tmp_path_factory.mktemp("venv") / "venv"
    made = run(sys.executable, "-m", "venv", "--without-pip", home, cwd=home.parent)
    assert made.returncode == 0, made.stderr
    python = home / "bin" / "python"
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=home)
    deps = sysconfig.get_path("purelib")  # .pth files there are not run: no editable finder
    (Path(site.stdout.strip()) / "borrowed-dependencies.pth").write_text(deps + "\n")
    installed = run(
        sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        "--disable-pip-version-check", "--quiet", wheel, cwd=home.parent,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return home


def readme_block(heading: str) -> str:
    """The first ```python block after ``heading`` in the README."""
    text = README.read_text(encoding="utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_package_comes_from_the_wheel(venv: Path, tmp_path: Path) -> None:
    where = "import pairing_provider; print(pairing_provider.__file__)"
    shown = run(venv / "bin" / "python", "-c", where, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(str(venv)), shown.stdout


def test_a_users_repository_tests_its_stack_with_the_plugin(venv: Path, tmp_path: Path) -> None:
    """The README's "Testing your stack": its program and its test file, in a new directory."""
    project = tmp_path / "my-stack"
    shutil.copytree(REPO / "examples" / "fleet", project, ignore=shutil.ignore_patterns("test_*"))
    (project / "Pulumi.yaml").write_text("name: pairing-provider\nruntime: python\n")
    (project / "test_stack.py").write_text(readme_block("Testing your stack"), encoding="utf-8")

    tested = run(
        venv / "bin" / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project
    )

    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert " passed" in tested.stdout and "failed" not in tested.stdout


def test_console_scripts(venv: Path, tmp_path: Path) -> None:
    out = tmp_path / "migrated"
    migrated = run(
        venv / "bin" / "pairing-provider-migrate",
        "--from-terraform", FIXTURES / "show.json", "--out", out, cwd=tmp_path,
    )  # fmt: skip
    assert migrated.returncode == 0, migrated.stderr
    # Installed from a wheel file on this disk (direct_url.json says file://): no line another
    # machine could install, so the file says to add one (docs/packaging.md).
    requirements = (out / "requirements.txt").read_text()
    assert "--requirement SPEC" in requirements and "file:" not in requirements

    simulator = subprocess.Popen(
        [venv / "bin" / "pce-simulator", "--port", "0"],
        env={"ILLUMIO_API_KEY_USERNAME": "api_wheel", "ILLUMIO_API_KEY_SECRET": "wheel-secret"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert simulator.stdout is not None
        url = simulator.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        import requests

        answer = requests.get(
            f"{url}/api/v2/orgs/1/labels", auth=("api_wheel", "wheel-secret"), timeout=5
        )
        assert answer.status_code == 200 and answer.json() == []
    finally:
        simulator.terminate()
        assert simulator.wait(timeout=10) == 0


def test_the_native_plugin_command_serves_the_schema(venv: Path, tmp_path: Path) -> None:
    """``pulumi-resource-illumio``, the native plugin as a command of the installed wheel:
    prints its port, answers GetSchema with the package ``illumio``."""
    import json

    import grpc
    from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

    plugin = subprocess.Popen(
        [venv / "bin" / "pulumi-resource-illumio", "127.0.0.1:1"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert plugin.stdout is not None
        port = int(plugin.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            schema = json.loads(stub.GetSchema(provider_pb2.GetSchemaRequest()).schema)
        assert schema["name"] == "illumio" and "illumio:index:PairingProfile" in schema["resources"]
    finally:
        plugin.terminate()
        plugin.wait(timeout=10)
