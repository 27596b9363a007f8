"""Section 3: creating many profiles through the provider, a bare loop, and Illumio's SDK.

The provider runs as the engine runs it (``python -m pulumi.dynamic``, 4 gRPC workers), driven
by 8 client threads that each send Check then Create, as ``pulumi up`` does for a new resource.
The other rows send the same POST body. Every run starts from an empty org.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from collections.abc import Callable
from typing import Any, Final

from benchmarks.budget import PROFILE, expect
from benchmarks.overhead import provider_create_bodies
from benchmarks.pce import (
    API_SECRET,
    API_USER,
    UNPACED,
    BareClient,
    SimulatorProcess,
    provider_process,
)
from benchmarks.report import Section, Table
from benchmarks.scale import Scale
from benchmarks.timing import (
    ENGINE_THREADS,
    cpu_seconds,
    interleaved,
    median,
    ms,
    parallel,
    ratio,
    timed,
)
from benchmarks.wire import PROFILE_TYPE, Wire

SDK_PACKAGE: Final[str] = "illumio"
SDK_ROW: Final[str] = "Illumio SDK (`illumio`), 1 thread"
SDK_MISSING: Final[str] = (
    "Illumio SDK row skipped: the `illumio` package is not installed "
    "(`venv/bin/pip install -r benchmarks/requirements.txt`)."
)
BARE_LOOP: Final[str] = "bare requests, 1 thread"
PROVIDER_ROW: Final[str] = f"provider (gRPC, {ENGINE_THREADS} threads, Check + Create)"
Run = Callable[[list[str]], float]
"""Creates a profile per name; returns the seconds its timed part took."""


def engine_run(stub: Any, pid: int, cpu: list[float]) -> Run:
    """Check + Create per profile from 8 threads; requests are built before the clock.

    Appends to ``cpu`` the provider process's CPU seconds per profile, to tell a process
    waiting on the PCE from one busy with its own work.
    """
    wire = Wire(PROFILE, PROFILE_TYPE)
    template = wire.decode(stub.Check(wire.check("t", {"name": "t", "enabled": True})).inputs)

    def up(calls: tuple[Any, Any]) -> None:
        check, create = calls
        stub.Check(check)
        stub.Create(create)

    def run(batch: list[str]) -> float:
        calls = [
            (wire.check(n, {"name": n, "enabled": True}), wire.create(n, {**template, "name": n}))
            for n in batch
        ]
        used = cpu_seconds(pid)
        seconds = timed(lambda: parallel(up, calls))[1]
        cpu.append((cpu_seconds(pid) - used) / len(batch))
        return seconds

    return run


def bare_loop_run(body: dict[str, Any], bare: BareClient) -> Run:
    def run(batch: list[str]) -> float:
        return timed(lambda: [bare.create_profile({**body, "name": n}) for n in batch])[1]

    return run


def bare_threads_run(body: dict[str, Any], pce: SimulatorProcess) -> Run:
    """The same POSTs from 8 threads, a session each (a Session is not thread-safe)."""
    local = threading.local()

    def post(name: str) -> None:
        if not hasattr(local, "client"):
            local.client = BareClient(pce)
        local.client.create_profile({**body, "name": name})

    def run(batch: list[str]) -> float:
        return timed(lambda: parallel(post, batch))[1]

    return run


def sdk_run(body: dict[str, Any], pce: SimulatorProcess) -> Run | None:
    """Illumio's Python SDK (``illumio`` on PyPI), or None when it is not installed."""
    if importlib.util.find_spec(SDK_PACKAGE) is None:
        return None
    illumio = importlib.import_module(SDK_PACKAGE)  # optional: installed for the benchmark only
    host, port = pce.url.rsplit(":", 1)
    sdk = illumio.PolicyComputeEngine(host, port=port, org_id="1")
    sdk.set_credentials(API_USER, API_SECRET)

    def run(batch: list[str]) -> float:
        return timed(lambda: [sdk.pairing_profiles.create({**body, "name": n}) for n in batch])[1]

    return run


def on_empty_org(pce: SimulatorProcess, run: Run, count: int) -> Callable[[], float]:
    """One timed run of ``count`` creates on an empty org, checked: every POST landed."""

    def measure() -> float:
        pce.reset()
        seconds = run([f"tp-{i:05d}" for i in range(count)])
        created = [r for r in pce.requests() if r["method"] == "POST" and r["status"] == 201]
        expect(len(created) == count, f"{count} profiles created, got {len(created)}")
        return seconds

    return measure


def measure_throughput(pce: SimulatorProcess, scale: Scale) -> Section:
    pce.reset()
    bare = BareClient(pce)
    cpu: list[float] = []
    with provider_process(pce, maxRequestsPerMinute=UNPACED) as engine:
        assert engine.pid is not None
        post, put = provider_create_bodies(pce, engine.stub)
        body = {**post, **put}  # the profile as the provider leaves it, in one POST
        runs: dict[str, Run | None] = {
            PROVIDER_ROW: engine_run(engine.stub, engine.pid, cpu),
            BARE_LOOP: bare_loop_run(body, bare),
            f"bare requests, {ENGINE_THREADS} threads": bare_threads_run(body, pce),
            SDK_ROW: sdk_run(body, pce),
        }
        ready = {label: run for label, run in runs.items() if run is not None}
        samples = interleaved(
            scale.throughput_rounds,
            *(on_empty_org(pce, run, scale.throughput_profiles) for run in ready.values()),
        )
    bare.close()
    timings = {label: median(s) for label, s in zip(ready, samples, strict=True)}
    skipped = [label for label, run in runs.items() if run is None]
    return throughput_section(scale, timings, skipped, median(cpu))


def throughput_section(
    scale: Scale, timings: dict[str, float], skipped: list[str], cpu_per_profile: float
) -> Section:
    n = scale.throughput_profiles
    baseline = timings[BARE_LOOP]
    table = Table(
        "throughput",
        f"3. Creating {n:,} profiles (median of {scale.throughput_rounds} interleaved runs)",
        ["client", "profiles", "seconds", "profiles/s", "time vs bare loop"],
        notes=[
            f"Pacing off for these rows (maxRequestsPerMinute {UNPACED}); section 6 covers "
            "pacing. Every other client sends one POST of the profile the provider makes (its "
            "POST body with its PUT's values); the provider sends 2 requests per profile (the "
            "marked POST, then the PUT: issue #19). Each run starts from an empty org. The "
            "provider row times the gRPC calls only (requests built before).",
            f"The provider process used {ms(cpu_per_profile):.2f} ms of CPU per profile (Check "
            f"+ Create). Most of that is Python under one GIL, so about "
            f"{1 / cpu_per_profile:.0f} profiles/s is roughly its ceiling however fast the PCE "
            "answers; on this 2-core machine it also shares the CPU with the simulator and the "
            "benchmark's client.",
        ],
    )
    for label, seconds in timings.items():
        table.add(label, n, seconds, n / seconds, ratio(seconds, baseline))
    for label in skipped:
        table.add(label, n, None, None, "skipped")
        table.notes.append(SDK_MISSING)
    return Section([table], [])
