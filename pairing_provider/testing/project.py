"""What the test kit reads of a Pulumi project directory, as the CLI reads its ``Pulumi.yaml``:
where the program is (``main:``), the project's name (the namespace of its own config keys) and
its ``options: refresh``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

Program = Callable[[], Any] | str | os.PathLike[str]


def project_files(program: Program) -> tuple[Path | None, Path | None]:
    """(the directory of the program's ``__main__.py``, the project's ``Pulumi.yaml``).

    ``program`` is a project directory (its ``Pulumi.yaml`` may name the program's directory
    with ``main:``, as the repository root's does), a program directory or its ``__main__.py``.
    """
    if callable(program):
        return None, None
    path = Path(program).resolve()
    directory = path.parent if path.name == "__main__.py" else path
    candidate = directory / "Pulumi.yaml"
    project_file = candidate if candidate.is_file() else None
    if project_file is not None and not (directory / "__main__.py").is_file():
        main = top_level_scalar(project_file, "main")
        directory = (directory / main).resolve() if main else directory
    if not (directory / "__main__.py").is_file():
        raise FileNotFoundError(f"no __main__.py in {directory}")
    return directory, project_file


def project_name(directory: Path | None, project_file: Path | None) -> str:
    """``name:`` of the project's Pulumi.yaml, else the program directory's name."""
    if directory is None:
        return "project"
    name = top_level_scalar(project_file, "name") if project_file else None
    return name or directory.name


def top_level_scalar(project_file: Path, key: str) -> str | None:
    """A plain or quoted top-level ``key: value`` of a Pulumi.yaml (no YAML library needed)."""
    text = project_file.read_text(encoding="utf-8")
    pattern = rf"^{key}:[ \t]*(['\"]?)([^'\"\n#]+?)\1[ \t]*(#.*)?$"
    match = re.search(pattern, text, re.MULTILINE)
    return match.group(2) if match else None


def refreshes_always(project_file: Path | None) -> bool:
    """Whether the project's ``options: refresh`` is ``always`` (``ProjectOptions.Refresh``;
    the CLI refreshes for no other value)."""
    if project_file is None:
        return False
    project = yaml.safe_load(project_file.read_text(encoding="utf-8"))
    options = project.get("options") if isinstance(project, dict) else None
    return isinstance(options, dict) and options.get("refresh") == "always"
