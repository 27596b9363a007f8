"""Issue #22 item 1: previews see drift only through a refresh, and the shipped configuration
refreshes.

The engine refreshes before a preview, up or destroy only when asked: ``--refresh``,
``refresh: true`` in ``pulumi/actions``, or the project option ``options: refresh: always``
(pulumi/pulumi ``pkg/cmd/pulumi/operations/io.go``, ``getRefreshOption``). The kit reads the
project's ``Pulumi.yaml`` as the CLI does. The shipped project (the repository root's
``Pulumi.yaml``, running examples/fleet) is previewed after a console edit and after a
deletion: the change shows; a copy of it without the option previews no change, which is what
the engine does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pairing_provider.migrate.render import render_pulumi_yaml
from pairing_provider.testing import PCE, Stack

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "examples" / "github-actions" / "preview.yml"


def project_without_refresh(directory: Path) -> Path:
    """The shipped Pulumi.yaml without its ``options``, running the same program."""
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
    del project["options"]
    project["main"] = str(ROOT / "examples" / "fleet")
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump(project), encoding="utf-8")
    return directory


def fleet(pce: PCE, project: Path) -> tuple[Stack, dict[str, Any]]:
    """The fleet up, on a fresh PCE (the program creates its own labels)."""
    stack = pce.stack(project, config={"rotation": "2026-11"})
    return stack, stack.up().outputs


def test_the_shipped_project_refreshes_always() -> None:
    assert Stack(ROOT, project="pairing-provider").refresh_always


def test_a_console_edit_shows_in_the_shipped_preview(pce: PCE) -> None:
    stack, outputs = fleet(pce, ROOT)
    pce.change_profile(outputs["prod_profile_href"], enforcement_mode="idle")

    preview = stack.preview()

    assert preview.changes == {"prod": "update"}
    assert [r["method"] for r in preview.requests] == ["GET"] * len(preview.requests)
    assert pce.profile(outputs["prod_profile_href"])["enforcement_mode"] == "idle"  # no write
    up = stack.up()
    assert up.changes == {"prod": "update"}
    assert pce.profile(outputs["prod_profile_href"])["enforcement_mode"] == "full"


def test_a_deleted_profile_shows_in_the_shipped_preview(pce: PCE) -> None:
    stack, outputs = fleet(pce, ROOT)
    pce.delete_profile(outputs["staging_profile_href"])

    preview = stack.preview()

    # The profile is gone, and with it its key (refresh reads the key's profile).
    assert preview.changes == {"staging": "create", "staging-key": "create"}
    assert stack.resource("staging").id == outputs["staging_profile_href"]  # nothing saved
    assert stack.up().changes == {"staging": "create", "staging-key": "create"}


def test_without_the_option_a_preview_sees_no_drift(pce: PCE, tmp_path: Path) -> None:
    """The engine's own behaviour: the state, not the PCE, is what a preview diffs against."""
    stack, outputs = fleet(pce, project_without_refresh(tmp_path))
    pce.change_profile(outputs["prod_profile_href"], enforcement_mode="idle")
    pce.delete_profile(outputs["staging_profile_href"])

    assert not stack.refresh_always
    assert stack.preview().changes == {}
    assert stack.preview(refresh=True).changes == {  # pulumi preview --refresh
        "prod": "update",
        "staging": "create",
        "staging-key": "create",
    }


def test_refresh_false_on_the_command_line_wins_over_the_option(pce: PCE) -> None:
    stack, outputs = fleet(pce, ROOT)
    pce.change_profile(outputs["prod_profile_href"], enforcement_mode="idle")

    assert stack.preview(refresh=False).changes == {}  # pulumi preview --refresh=false


def test_destroy_with_the_option_skips_what_is_already_gone(pce: PCE) -> None:
    stack, outputs = fleet(pce, ROOT)
    pce.delete_profile(outputs["staging_profile_href"])

    destroyed = stack.destroy()

    deletes = [r["path"] for r in destroyed.requests if r["method"] == "DELETE"]
    profiles = [path for path in deletes if "/pairing_profiles/" in path]
    assert profiles == [f"/api/v2{outputs['prod_profile_href']}"]  # not the one already gone
    assert len(deletes) == len(profiles) + 3  # and the program's three labels
    assert destroyed.requests[0]["method"] == "GET"  # the refresh, part of the run
    assert stack.state == {}


def workflow_preview() -> dict[str, Any]:
    """The ``with:`` of the workflow's pulumi/actions step."""
    document = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    [job] = document["jobs"].values()
    [preview] = [step for step in job["steps"] if step.get("uses", "").startswith("pulumi/")]
    settings: dict[str, Any] = preview["with"]
    return settings


def test_the_workflows_preview_shows_drift_even_without_the_project_option(
    pce: PCE, tmp_path: Path
) -> None:
    """The workflow's ``refresh: true`` is ``pulumi preview --refresh``: a repository whose
    Pulumi.yaml lacks the option still previews the console edit."""
    settings = workflow_preview()
    assert settings["command"] == "preview"
    stack, outputs = fleet(pce, project_without_refresh(tmp_path))
    pce.change_profile(outputs["prod_profile_href"], enforcement_mode="idle")

    assert stack.preview(refresh=settings["refresh"]).changes == {"prod": "update"}


def test_a_migrated_project_refreshes_always(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text(render_pulumi_yaml("illumio-stack"), encoding="utf-8")
    (tmp_path / "__main__.py").write_text("", encoding="utf-8")

    assert Stack(tmp_path).refresh_always
