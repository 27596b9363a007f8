"""The benchmark runs end to end at a tiny scale, and its deterministic numbers are exact.

Timings are not asserted (a shared 2-core machine makes them noise at this scale); request
counts and the pickled size do not depend on timing, so they are held to the issue's budgets.
"""

from __future__ import annotations

import importlib.util

import pytest

from benchmarks.report import Report
from benchmarks.run import render, run_benchmark
from benchmarks.scale import SMOKE
from benchmarks.throughput import SDK_MISSING, SDK_ROW

# The request budget, per operation: what the PCE may see, exactly.
EXPECTED_REQUESTS = {
    ("PairingProfile", "check"): 0,
    ("PairingProfile", "diff"): 0,
    ("PairingProfile", "create"): 2,  # POST with the create's own mark, PUT (issue #19)
    ("PairingProfile", "read"): 1,
    ("PairingProfile", "update"): 2,
    ("PairingProfile", "delete"): 1,
    ("PairingKey", "check"): 0,
    ("PairingKey", "diff"): 0,
    ("PairingKey", "create"): 1,  # wired with pairing_profile=
    ("PairingKey", "create (bare href)"): 2,  # GET the profile's key_lifespan, then POST
    ("PairingKey", "read"): 1,
    ("PairingKey", "delete"): 0,
}
OVERHEAD_ROWS = [
    *(row for row in EXPECTED_REQUESTS if row[1] != "create (bare href)"),
    ("no-op provider (floor)", "check"),
]


@pytest.mark.benchmark
def test_smoke_run() -> None:
    """One run (about a minute) checked five ways: one test, so that parallel workers never run
    it twice (pytest-xdist gives each worker its own module fixtures)."""
    report = run_benchmark(SMOKE)
    check_every_section_is_in_the_report(report)
    check_request_counts_match_the_budget_exactly(report)
    check_every_operation_is_timed_beside_its_bare_call(report)
    check_throughput_refresh_footprint_and_pacing_rows(report)
    check_up_cost_simulator_scale_and_handover_rows(report)


def check_every_section_is_in_the_report(report: Report) -> None:
    text = render(report)
    for heading in (
        "## Summary",
        "## What this shows",
        "1. Requests",
        "2. Time",
        "3. Creating",
        "4. Refresh",
        "5. Footprint",
        "6. ",
        "7. ",
        "8. Provider CPU",
        "9. The simulator",
        "10. `up`",
    ):
        assert heading in text
    assert "python -m benchmarks.run --smoke" in text
    assert [table.key for table in report.tables] == [
        "requests",
        "overhead",
        "throughput",
        "refresh",
        "footprint",
        "pacing",
        "kit",
        "up cost",
        "simulator scale",
        "handover",
    ]
    [kit_row] = report.table("kit").rows  # the test kit's up, in-process and over gRPC
    assert kit_row["pairs"] == 5


def check_request_counts_match_the_budget_exactly(report: Report) -> None:
    table = report.table("requests")
    measured = {(row["resource"], row["operation"]): row["requests"] for row in table.rows}
    assert measured == EXPECTED_REQUESTS
    assert report.goals[0].met is True


def check_every_operation_is_timed_beside_its_bare_call(report: Report) -> None:
    table = report.table("overhead")
    for resource, operation in OVERHEAD_ROWS:
        row = table.find(resource=resource, operation=operation)
        assert isinstance(row["provider ms"], float) and row["provider ms"] > 0
        makes_requests = EXPECTED_REQUESTS.get((resource, operation), 0) > 0
        assert isinstance(row["bare ms"], float) is makes_requests


def check_throughput_refresh_footprint_and_pacing_rows(report: Report) -> None:
    throughput = report.table("throughput")
    clients = [row["client"] for row in throughput.rows]
    assert clients == [
        "provider (gRPC, 8 threads, Check + Create)",
        "bare requests, 1 thread",
        "bare requests, 8 threads",
        SDK_ROW,
    ]
    sdk = throughput.find(client=SDK_ROW)
    if importlib.util.find_spec("illumio") is None:
        assert sdk["time vs bare loop"] == "skipped" and SDK_MISSING in throughput.notes
    else:  # the SDK really created its profiles in the simulator (the run checks every POST)
        assert isinstance(sdk["seconds"], float) and sdk["seconds"] > 0
        assert str(sdk["time vs bare loop"]).endswith("x")
    provider, bare = report.table("refresh").rows
    assert provider["requests"] <= 5 and bare["requests"] == SMOKE.refresh_profiles

    footprint = {row["measure"]: row["value"] for row in report.table("footprint").rows}
    pickled = [v for k, v in footprint.items() if str(k).startswith("pickled")]
    assert len(pickled) == 2 and all(0 < size <= 200 for size in pickled)
    assert any("VmHWM" in str(k) and v > 0 for k, v in footprint.items())
    # Time goals are ratios to a baseline of the same run, never absolute times.
    assert str(footprint["import pairing_provider vs import pulumi"]).endswith("x")
    timed = [g for g in report.goals if g.goal.startswith(("check and diff", "`import"))]
    assert len(timed) == 2 and all(
        g.target.startswith("≤ ") and g.target.endswith("x") for g in timed
    )

    paced, unpaced = report.table("pacing").rows
    assert paced["429s from the PCE"] == 0 and paced["errors at the engine"] == 0
    assert unpaced["errors at the engine"] == 0


@pytest.mark.benchmark
def test_native_speed_smoke_run() -> None:
    """The native face's speed benchmark at its smallest scale: every row measured, both faces
    send exactly their budget: a profile's POST and PUT, its wired key's POST."""
    from benchmarks.native import SMOKE, report

    rows, text = report(SMOKE)

    assert [row.requests for row in rows] == [3 * SMOKE.pairs, 3 * SMOKE.pairs, 0]
    assert all(row.seconds > 0 and row.cpu_ms_per_resource > 0 for row in rows)
    assert "native plugin" in text and "dynamic face" in text and "no-op native" in text


def check_up_cost_simulator_scale_and_handover_rows(report: Report) -> None:
    mine, floor = report.table("up cost").rows
    assert mine["resources"] == floor["resources"] == 2 * SMOKE.up_profiles
    assert isinstance(mine["CPU ms per resource"], float) and mine["CPU ms per resource"] > 0
    assert [row["requests"] for row in report.table("simulator scale").rows] == [
        "POST",
        "GET by href",
    ]
    # Request counts are exact; the hand-over leaves no 429.
    handed, alone = report.table("handover").rows
    pairs = SMOKE.handover.profiles
    # up: a profile POST and PUT and a key POST per pair; destroy: a DELETE per profile
    assert (handed["up requests"], handed["destroy requests"]) == (3 * pairs, pairs)
    assert handed["429s from the PCE"] == 0
    assert (
        alone["up requests"] + alone["destroy requests"] == 4 * pairs + alone["429s from the PCE"]
    )
