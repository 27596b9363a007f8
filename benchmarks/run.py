"""Run the benchmark: ``venv/bin/python -m benchmarks.run [--quick | --smoke] [--out FILE]``.

Everything runs against the PCE simulator on this machine: no PCE, no network. A full run takes
a few minutes and writes ``benchmarks/RESULTS.md``; ``--quick`` scales every part down (and
the rate-limit window to 6 s); ``--smoke`` is the minute-long run the test suite does, and
writes a file only when ``--out`` is given. The report is printed either way.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks.budget import measure_refresh, measure_requests
from benchmarks.footprint import measure_footprint
from benchmarks.handover import measure_handover
from benchmarks.kit_scale import measure_kit_scale
from benchmarks.native_results import native_block, with_native_block
from benchmarks.overhead import measure_overhead
from benchmarks.pacing import measure_pacing
from benchmarks.pce import SimulatorProcess
from benchmarks.report import Report, Section
from benchmarks.scale import SCALES, Scale
from benchmarks.simulator_scale import measure_simulator_scale
from benchmarks.summary import what_this_shows
from benchmarks.throughput import measure_throughput
from benchmarks.timing import timed
from benchmarks.up_cost import measure_up_cost
from pairing_provider.budget_file import separate_budget_dir

DEFAULT_OUT = Path(__file__).resolve().parent / "RESULTS.md"
COMMAND = "venv/bin/python -m benchmarks.run"


def package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or "unknown"
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else "unknown"


def environment(scale: Scale) -> list[tuple[str, str]]:
    flag = "" if scale.mode == "full" else f" --{scale.mode}"
    return [
        ("command", f"`{COMMAND}{flag}` ({scale.mode} run)"),
        ("date", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        (
            "machine",
            f"{os.cpu_count()} cores ({cpu_model()}), {platform.system()} {platform.release()}",
        ),
        # Other work on the machine moves every time measured: say how busy it was.
        ("load average (1 min) at start", f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"),
        ("Python", platform.python_version()),
        ("pulumi (Python SDK)", package_version("pulumi")),
        ("grpcio / requests", f"{package_version('grpcio')} / {package_version('requests')}"),
        ("Illumio SDK (illumio)", package_version("illumio")),
    ]


def sections(scale: Scale, pce: SimulatorProcess) -> list[tuple[str, Callable[[], Section]]]:
    return [
        ("requests per operation", lambda: measure_requests(pce)),
        ("overhead per operation", lambda: measure_overhead(pce, scale)),
        ("throughput", lambda: measure_throughput(pce, scale)),
        ("refresh", lambda: measure_refresh(pce, scale)),
        ("footprint", lambda: measure_footprint(pce, scale)),
        ("pacing", lambda: measure_pacing(scale)),
        ("test kit at scale", lambda: measure_kit_scale(scale)),
        ("CPU per resource in an up", lambda: measure_up_cost(pce, scale)),
        ("simulator at two org sizes", lambda: measure_simulator_scale(scale)),
        ("up then destroy, two processes", lambda: measure_handover(scale)),
    ]


def run_benchmark(scale: Scale) -> Report:
    """Every section, in order, against one simulator (those under a rate limit start their
    own). Provider processes keep their budget files in a temporary directory."""
    report = Report(scale, environment(scale))
    with separate_budget_dir(), SimulatorProcess() as pce:
        steps = sections(scale, pce)
        for number, (title, measure) in enumerate(steps, 1):
            print(f"[{number}/{len(steps)}] {title} ...", end=" ", file=sys.stderr, flush=True)
            section, seconds = timed(measure)
            print(f"{seconds:.1f} s", file=sys.stderr, flush=True)
            report.extend(section)
    return report


def render(report: Report) -> str:
    parts = [
        "# Benchmark results",
        "\n".join(f"- {name}: {value}" for name, value in report.environment),
        "## Summary",
        report.goals_markdown(),
        "## What this shows",
        what_this_shows(report),
        "## Details",
        *(table.markdown() for table in report.tables),
    ]
    return "\n\n".join(parts) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="scaled down, about a minute")
    mode.add_argument("--smoke", action="store_true", help="tiny, for the test suite")
    parser.add_argument("--out", type=Path, help=f"markdown file to write (default {DEFAULT_OUT})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scale = SCALES["quick" if args.quick else "smoke" if args.smoke else "full"]
    text = render(run_benchmark(scale))
    print(text)
    out = args.out or (None if args.smoke else DEFAULT_OUT)
    if out is not None:
        # The native face's section comes from benchmarks.native: keep it.
        kept = native_block(out.read_text(encoding="utf-8")) if out.exists() else ""
        out.write_text(with_native_block(text, kept) if kept else text, encoding="utf-8")
        print(f"written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
