"""What pyproject.toml promises an installer: its commands and its pytest plugin exist.

The wheel itself, installed and used from outside the checkout, is tested in test_wheel.py
(marker ``wheel``, run by ``.ci/run``).
"""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest

PYPROJECT = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text("utf-8"))


def target(spec: str) -> object:
    module, _, attribute = spec.partition(":")
    loaded = importlib.import_module(module)
    return getattr(loaded, attribute) if attribute else loaded


@pytest.mark.parametrize("command", ["pce-simulator", "pairing-provider-migrate"])
def test_each_command_is_the_python_m_entry_point(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main = target(PYPROJECT["project"]["scripts"][command])
    assert callable(main)
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    assert "--" in capsys.readouterr().out  # its options are listed


def test_the_pytest_plugin_entry_point_is_the_kit_plugin() -> None:
    [(name, spec)] = PYPROJECT["project"]["entry-points"]["pytest11"].items()
    plugin = target(spec)
    assert name == spec == "pairing_provider.testing.plugin"  # so `-p` and the entry point meet
    assert callable(getattr(plugin, "pce", None))


def test_the_lowest_supported_sdk_is_what_ci_installs() -> None:
    [pulumi] = [d for d in PYPROJECT["project"]["dependencies"] if d.startswith("pulumi")]
    assert pulumi == "pulumi>=3.216,<4"
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text("utf-8")
    assert '"pulumi==$LOWEST.0"' in ci and "pulumi>=" in ci


def test_every_public_exception_is_exported_by_the_package() -> None:
    """README: every error is an IllumioError, and all are exported by the package."""
    import inspect

    import pairing_provider
    from pairing_provider import errors

    public = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, errors.IllumioError)
    }
    assert public <= set(pairing_provider.__all__)
    assert all(getattr(pairing_provider, name) is getattr(errors, name) for name in public)
