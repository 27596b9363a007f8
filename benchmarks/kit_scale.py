"""``stack.up()`` of N profile+key pairs through the test kit, providers in-process and over gRPC.

The same program on the same engine imitation (``pairing_provider.testing``), on a fresh
simulator each: its default in-process provider channel, and its gRPC channel (the providers in
a ``python -m pulumi.dynamic`` child, started by the run as the engine starts it). Pacing off in
both (the kit's default against its own simulator). Run: ``venv/bin/python -m
benchmarks.kit_scale 100 300 500``; prints a Markdown table.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from benchmarks.report import Goal, Section, Table
from benchmarks.scale import Scale
from pairing_provider.testing import PCE
from pairing_provider.testing.channels import ChannelFactory, over_grpc_process

TITLE = "7. Test kit: `stack.up()` of N profile+key pairs"
PROGRAM = """
import pulumi
from pairing_provider import PairingKey, PairingProfile
for i in range(int(pulumi.Config().require("pairs"))):
    profile = PairingProfile(f"p{i}", name=f"profile-{i}", enabled=True)
    PairingKey(f"k{i}", pairing_profile=profile)
"""


def up_seconds(program: Path, pairs: int, channels: ChannelFactory | None) -> float:
    with PCE() as pce:
        config = {"pairs": str(pairs)}
        stack = pce.stack(program.parent, project="bench", config=config, channels=channels)
        start = time.perf_counter()
        up = stack.up()
        elapsed = time.perf_counter() - start
        # a profile is a POST and a PUT, its wired key one POST
        assert len(up.steps) == 2 * pairs and len(pce.requests) == 3 * pairs
    return elapsed


def measure_kit_scale(scale: Scale) -> Section:
    """Section 7: the kit's ``up`` of N pairs in-process against the same over gRPC."""
    table = Table(
        "kit",
        f"{TITLE}, seconds",
        ["pairs", "in-process s", "over gRPC s", "in-process / gRPC"],
        notes=[
            "The same program on the same engine imitation: its default in-process provider "
            "channel, and its gRPC channel to a `python -m pulumi.dynamic` child started by the "
            "run. Pacing off in both (the kit's default against its own simulator). Both rows "
            "share the SDK's own wait loop, which grows faster than N in either."
        ],
    )
    worst = 0.0
    for pairs, kit, grpc in timings(scale.kit_pairs):
        worst = max(worst, kit / grpc)
        table.add(pairs, f"{kit:.1f}", f"{grpc:.1f}", f"{kit / grpc:.2f}x")
    largest = scale.kit_pairs[-1]
    goal = Goal(
        f"test kit `up` of {largest} profile+key pairs vs over gRPC",
        "≤ 3x",
        f"{worst:.2f}x at most",
        worst <= 3,
    )
    return Section(tables=[table], goals=[goal])


def timings(sizes: Iterable[int]) -> Iterator[tuple[int, float, float]]:
    """(pairs, in-process seconds, over-gRPC seconds) for each size, the same program both."""
    with tempfile.TemporaryDirectory() as directory:
        program = Path(directory) / "__main__.py"
        program.write_text(PROGRAM, encoding="utf-8")
        for pairs in sizes:
            yield (
                pairs,
                up_seconds(program, pairs, None),
                up_seconds(program, pairs, over_grpc_process()),
            )


def main(argv: list[str]) -> int:
    sizes = [int(arg) for arg in argv] or [100, 300, 500]
    print("| pairs | kit s | gRPC s | kit / gRPC |\n| --- | --- | --- | --- |")
    for pairs, kit, grpc in timings(sizes):
        print(f"| {pairs} | {kit:.1f} | {grpc:.1f} | {kit / grpc:.2f}x |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
