"""The README's Python examples run, as written, against the simulator (through the test kit).

Each example is the README's own text: a program that runs here runs for a user.
"""

from __future__ import annotations

from pathlib import Path

from pairing_provider.testing import PCE, Secret

README = Path(__file__).resolve().parents[1] / "README.md"


def example(heading: str) -> str:
    """The first ```python block after the ``## heading`` line."""
    section = README.read_text(encoding="utf-8").split(f"\n## {heading}\n", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def write_program(tmp_path: Path, source: str) -> Path:
    (tmp_path / "__main__.py").write_text(source, encoding="utf-8")
    (tmp_path / "Pulumi.yaml").write_text("name: readme-example\nruntime: python\n")
    return tmp_path


def test_the_quick_example_runs_and_a_second_up_changes_nothing(pce: PCE, tmp_path: Path) -> None:
    for number in range(1, 8):  # the example names label 7
        pce.add_label("env", f"env-{number}")
    stack = pce.stack(write_program(tmp_path, example("Quick example")))

    first = stack.up()

    assert first.outputs["web_profile"].startswith("/orgs/1/pairing_profiles/")
    assert isinstance(first.outputs["web_cloud_init"], Secret)
    assert stack.up().changes == {}


def test_the_look_up_example_runs_against_a_fresh_pce(pce: PCE, tmp_path: Path) -> None:
    """A fresh PCE has its default profiles ("Default (Servers)"); the labels are the user's."""
    pce.add_label("env", "prod")
    pce.add_label("app", "payments")
    stack = pce.stack(write_program(tmp_path, example("Look-ups (data sources)")))

    result = stack.up()

    assert isinstance(result.outputs["payments_cloud_init"], Secret)
    assert stack.up().changes == {}
