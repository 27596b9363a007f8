"""Section 8: the simulator's time per request with a small org and a ten times larger one.

A write's name-uniqueness check and a read by href must not scan the org. So the same batch of
POSTs (each a new name) and of GETs by href is timed at both sizes, from one bare
``requests.Session`` (the client's own time is the same at both sizes); each POST batch is
deleted again, untimed, so every round sees the same org size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, NamedTuple

from benchmarks.budget import expect
from benchmarks.pce import BareClient, SimulatorProcess, seed_profiles
from benchmarks.report import Goal, Section, Table
from benchmarks.scale import Scale
from benchmarks.timing import (
    ENGINE_THREADS,
    cpu_seconds,
    interleaved,
    median,
    parallel,
    ratio,
    timed,
)

SIZE_RATIO_GOAL: Final[float] = 1.5
Org = tuple[SimulatorProcess, BareClient]  # a simulator process and a client of it


def grow_org(pce: SimulatorProcess, prefix: str, count: int) -> None:
    """``count`` more profiles from 8 threads (a session each): the org's bulk, untimed."""
    share = -(-count // ENGINE_THREADS)

    def seed(part: int) -> None:
        bare = BareClient(pce)
        seed_profiles(bare, f"{prefix}{part}-", max(0, min(share, count - part * share)))
        bare.close()

    parallel(seed, range(ENGINE_THREADS))


def org_size(bare: BareClient) -> int:
    response = bare.session.get(
        f"{bare.api_url}/orgs/1/pairing_profiles", params={"max_results": 0}, timeout=30
    )
    response.raise_for_status()
    return int(response.headers["X-Total-Count"])


class Batch(NamedTuple):
    seconds: float
    simulator_cpu: float  # the simulator process's CPU seconds for the batch


def post_batch(pce: SimulatorProcess, bare: BareClient, tag: str, count: int) -> Batch:
    """``count`` POSTs of new names; the profiles are deleted after, untimed."""
    used = cpu_seconds(pce.pid)
    hrefs, seconds = timed(lambda: seed_profiles(bare, tag, count))
    batch = Batch(seconds, cpu_seconds(pce.pid) - used)
    for href in hrefs:
        bare.call("DELETE", href)
    return batch


def get_batch(pce: SimulatorProcess, bare: BareClient, count: int) -> Batch:
    hrefs = [f"/orgs/1/pairing_profiles/{i}" for i in range(1, count + 1)]
    used = cpu_seconds(pce.pid)
    seconds = timed(lambda: [bare.call("GET", href) for href in hrefs])[1]
    return Batch(seconds, cpu_seconds(pce.pid) - used)


def org_of(size: int) -> Org:
    """A simulator process holding ``size`` profiles, and a client of it."""
    pce = SimulatorProcess().start()
    bare = BareClient(pce)
    grow_org(pce, f"org-{size}-", size - org_size(bare))
    expect(org_size(bare) == size, f"the org holds {size} profiles")
    return pce, bare


def measure_simulator_scale(scale: Scale) -> Section:
    """Two simulator processes, one per org size, the batches interleaved between them so
    that load drifting on the machine lands on both alike."""
    spec = scale.simulator
    small, large = org_of(spec.small), org_of(spec.large)
    tags = (f"batch-{n}-" for n in range(1_000_000))

    def posts_to(org: Org) -> Callable[[], Batch]:
        return lambda: post_batch(*org, next(tags), spec.batch)

    def gets_from(org: Org) -> Callable[[], Batch]:
        return lambda: get_batch(*org, spec.batch)

    try:
        posts = interleaved(spec.rounds, posts_to(small), posts_to(large))
        gets = interleaved(spec.rounds, gets_from(small), gets_from(large))
        sizes = [org_size(bare) for _, bare in (small, large)]
        expect(sizes == [spec.small, spec.large], "the batches left each org as it was")
    finally:
        for pce, bare in (small, large):
            bare.close()
            pce.stop()
    return simulator_scale_section(scale, posts, gets)


def medians(batches: list[Batch]) -> Batch:
    return Batch(median([b.seconds for b in batches]), median([b.simulator_cpu for b in batches]))


def simulator_scale_section(
    scale: Scale, posts: list[list[Batch]], gets: list[list[Batch]]
) -> Section:
    spec = scale.simulator
    table = Table(
        "simulator scale",
        f"9. The simulator's time for {spec.batch:,} requests with {spec.small:,} and "
        f"{spec.large:,} profiles held (median of {spec.rounds} interleaved batches)",
        [
            "requests",
            f"s at {spec.small:,}",
            f"s at {spec.large:,}",
            "ratio",
            f"simulator CPU s at {spec.small:,}",
            f"simulator CPU s at {spec.large:,}",
            "CPU ratio",
        ],
        notes=[
            "Two simulator processes, one per org size, each batch sent to both in turn from "
            "one bare requests.Session, one request at a time. POSTs carry new names (the "
            "exact-name uniqueness check) and are deleted again untimed; GETs read profiles "
            "by href. Simulator CPU: the simulator process's own user + system time (/proc), "
            "which other load on the machine moves less than the wall time. The `name` filter "
            "of a listing is a partial match and scans the org, as any listing does: not timed.",
        ],
    )
    ratios = []
    for label, (few, big) in (("POST", posts), ("GET by href", gets)):
        at_small, at_large = medians(few), medians(big)
        times = at_large.seconds / at_small.seconds
        ratios.append((label, times))
        table.add(
            label,
            at_small.seconds,
            at_large.seconds,
            f"{times:.2f}x",
            at_small.simulator_cpu,
            at_large.simulator_cpu,
            ratio(at_large.simulator_cpu, at_small.simulator_cpu),
        )
    goal = Goal(
        f"simulator: {spec.batch:,} requests at {spec.large:,} vs {spec.small:,} profiles",
        f"≤ {SIZE_RATIO_GOAL:g}x",
        ", ".join(f"{label} {times:.2f}x" for label, times in ratios),
        all(times <= SIZE_RATIO_GOAL for _, times in ratios),
    )
    return Section([table], [goal])
