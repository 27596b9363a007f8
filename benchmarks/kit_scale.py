"""``stack.up()`` of N profile+key pairs through the test kit and through the gRPC path.

The same program, on a fresh simulator each: the kit (``pairing_provider.testing``, providers
in-process) and the repository's gRPC harness (``tests/engine_program.py``: the SDK's monitor
in this process, the providers in a ``python -m pulumi.dynamic`` child). Pacing off in both
(the kit's default against its own simulator). Run: ``venv/bin/python -m benchmarks.kit_scale
100 300 500``; prints a Markdown table.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from pairing_provider.testing import PCE
from pairing_provider.testing.pce import UNPACED

PROGRAM = """
import pulumi
from pairing_provider import PairingKey, PairingProfile
for i in range(int(pulumi.Config().require("pairs"))):
    profile = PairingProfile(f"p{i}", name=f"profile-{i}", enabled=True)
    PairingKey(f"k{i}", pairing_profile=profile)
"""


def kit_seconds(program: Path, pairs: int) -> float:
    with PCE() as pce:
        stack = pce.stack(program.parent, project="bench", config={"pairs": str(pairs)})
        start = time.perf_counter()
        up = stack.up()
        elapsed = time.perf_counter() - start
        assert len(up.steps) == 2 * pairs and len(pce.requests) == 2 * pairs
    return elapsed


def grpc_seconds(program: Path, pairs: int) -> float:
    from tests.engine import Engine
    from tests.engine_program import run_program
    from tests.engine_stack import Stack

    with PCE() as pce, Engine() as engine:
        config = {**pce.stack_config, "illumio:maxRequestsPerMinute": str(UNPACED)}
        engine.configure(config, secret_keys={"illumio:apiKeySecret"})
        start = time.perf_counter()
        run = run_program(
            Stack(engine, project="bench"),
            program,
            preview=False,
            config={"bench:pairs": str(pairs)},
        )
        elapsed = time.perf_counter() - start
        assert len(run.steps) == 2 * pairs
    return elapsed


def main(argv: list[str]) -> int:
    sizes = [int(arg) for arg in argv] or [100, 300, 500]
    print("| pairs | kit s | gRPC s | kit / gRPC |\n| --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as directory:
        program = Path(directory) / "__main__.py"
        program.write_text(PROGRAM, encoding="utf-8")
        for pairs in sizes:
            kit, grpc = kit_seconds(program, pairs), grpc_seconds(program, pairs)
            print(f"| {pairs} | {kit:.1f} | {grpc:.1f} | {kit / grpc:.2f}x |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
