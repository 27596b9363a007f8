"""Section 5: what the provider costs besides time per call.

The pickled provider travels in every resource's state; the import runs in every program and
every provider process; the provider process lives through a whole ``pulumi up``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Final

from benchmarks.budget import KEY, PROFILE, expect
from benchmarks.pce import UNPACED, SimulatorProcess, provider_process
from benchmarks.report import Goal, Section, Table
from benchmarks.scale import Scale
from benchmarks.timing import median, ms, parallel
from tests.engine import REPO_ROOT, Engine, serialized

PICKLE_GOAL_CHARS: Final[int] = 200
# `import pairing_provider` against `import pulumi`, which every program pays anyway.
IMPORT_RATIO_GOAL: Final[float] = 0.25
PULUMI_IMPORT: Final[str] = "import pulumi"
PACKAGE_IMPORT: Final[str] = "import pairing_provider"
RSS_GOAL_MB: Final[float] = 150.0
SOAK_GOAL_OPERATIONS: Final[int] = 10_000
OPS_PER_CYCLE: Final[int] = 10
# (label, set-up not timed, statement timed), each in a fresh interpreter.
IMPORTS: Final[list[tuple[str, str, str]]] = [
    (PACKAGE_IMPORT, "", "import pairing_provider"),
    (PULUMI_IMPORT, "", "import pulumi"),
    (
        "from pairing_provider import PairingProfile, PairingKey (pulumi already imported)",
        "import pulumi",
        "from pairing_provider import PairingKey, PairingProfile",
    ),
    ("import pulumi (for reference)", "", "import pulumi"),
]


def import_seconds(setup: str, statement: str) -> float:
    code = "\n".join(
        [
            setup,
            "import time",
            "t = time.perf_counter()",
            statement,
            "print(time.perf_counter() - t)",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def memory_mb(pid: int) -> dict[str, float]:
    """VmHWM (peak resident set) and VmRSS of a process, in MB (Linux ``/proc``)."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            fields[name] = int(value.split()[0]) / 1024
    return fields


def one_cycle(engine: Engine, index: int) -> None:
    """Ten operations: a profile and a key through their whole life."""
    name = f"soak-{index:05d}"
    checked = engine.check(PROFILE, {}, {"name": name, "enabled": True}).inputs
    href, outs = engine.create(PROFILE, checked)
    engine.read(PROFILE, href, outs)
    news = {**checked, "description": "v2"}
    engine.diff(PROFILE, href, outs, news)
    key_inputs = engine.check(KEY, {}, {"pairing_profile_href": href, "triggers": index}).inputs
    key_id, key_outs = engine.create(KEY, key_inputs)
    engine.read(KEY, key_id, key_outs)
    engine.delete(KEY, key_id, key_outs)
    updated = engine.update(PROFILE, href, outs, news)
    engine.delete(PROFILE, href, updated)


def soak(pce: SimulatorProcess, operations: int) -> tuple[dict[str, float], dict[str, float]]:
    """Memory of a provider process after start-up, and after ``operations`` operations."""
    pce.reset()
    with provider_process(pce, maxRequestsPerMinute=UNPACED) as engine:
        assert engine.pid is not None
        one_cycle(engine, -1)  # loads every module a real run loads
        before = memory_mb(engine.pid)
        parallel(lambda i: one_cycle(engine, i), range(operations // OPS_PER_CYCLE))
        after = memory_mb(engine.pid)
    expect(pce.requests()[-1]["method"] == "DELETE", "the soak ran to the end")
    return before, after


def measure_footprint(pce: SimulatorProcess, scale: Scale) -> Section:
    table = Table("footprint", "5. Footprint", ["measure", "value", "goal", "met"])
    goals = [pickle_rows(table), *import_rows(table, scale), soak_rows(table, pce, scale)]
    return Section([table], goals)


def pickle_rows(table: Table) -> Goal:
    sizes = {"PairingProfile": len(serialized(PROFILE)), "PairingKey": len(serialized(KEY))}
    for resource, size in sizes.items():
        met = size <= PICKLE_GOAL_CHARS
        table.add(
            f"pickled {resource} provider (base64 chars)", size, f"≤ {PICKLE_GOAL_CHARS}", yes(met)
        )
    largest = max(sizes.values())
    return Goal(
        "pickled provider in state",
        f"≤ {PICKLE_GOAL_CHARS} chars (base64)",
        ", ".join(f"{r} {s}" for r, s in sizes.items()),
        largest <= PICKLE_GOAL_CHARS,
    )


def import_rows(table: Table, scale: Scale) -> list[Goal]:
    seconds = {}
    for label, setup, statement in IMPORTS:
        seconds[label] = median(
            [import_seconds(setup, statement) for _ in range(scale.import_runs)]
        )
        table.add(
            f"{label}, ms (median of {scale.import_runs} fresh interpreters)",
            ms(seconds[label]),
            None,
            None,
        )
    ratio = seconds[PACKAGE_IMPORT] / seconds[PULUMI_IMPORT]
    met = ratio <= IMPORT_RATIO_GOAL
    table.add(
        f"{PACKAGE_IMPORT} vs {PULUMI_IMPORT}",
        f"{ratio:.2f}x",
        f"≤ {IMPORT_RATIO_GOAL:g}x",
        yes(met),
    )
    measured = (
        f"{ratio:.2f}x ({ms(seconds[PACKAGE_IMPORT]):.1f} ms vs "
        f"{ms(seconds[PULUMI_IMPORT]):.0f} ms on this machine)"
    )
    return [
        Goal(f"`{PACKAGE_IMPORT}` vs `{PULUMI_IMPORT}`", f"≤ {IMPORT_RATIO_GOAL:g}x", measured, met)
    ]


def soak_rows(table: Table, pce: SimulatorProcess, scale: Scale) -> Goal:
    ops = scale.soak_operations
    before, after = soak(pce, ops)
    met = after["VmHWM"] < RSS_GOAL_MB
    table.add("provider process RSS after start-up and one cycle, MB", before["VmRSS"], None, None)
    table.add(f"provider process RSS after {ops:,} operations, MB", after["VmRSS"], None, None)
    table.add(
        f"provider process peak RSS (VmHWM) over {ops:,} operations, MB",
        after["VmHWM"],
        f"< {RSS_GOAL_MB:g}",
        yes(met),
    )
    table.notes.append(
        f"{ops:,} operations from 8 threads, in cycles of 10: profile check, create, read, diff; "
        "key check, create, read, delete; profile update, delete."
    )
    return Goal(
        "provider process memory",
        f"< {RSS_GOAL_MB:g} MB after {SOAK_GOAL_OPERATIONS:,} operations",
        f"peak {after['VmHWM']:.1f} MB over {ops:,} operations",
        met if ops >= SOAK_GOAL_OPERATIONS else None,
    )


def yes(met: bool | None) -> str | None:
    return None if met is None else ("yes" if met else "no")
