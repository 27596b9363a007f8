"""Section 8: the simulator's time per request with a small org and a ten times larger one.

A write's name-uniqueness check and a read by href must not scan the org. So the same batch of
POSTs (each a new name) and of GETs by href is timed at both sizes, from one bare
``requests.Session`` (the client's own time is the same at both sizes); each POST batch is
deleted again, untimed, so every round sees the same org size.
"""

from __future__ import annotations

from typing import Final

from benchmarks.budget import expect
from benchmarks.pce import BareClient, SimulatorProcess, seed_profiles
from benchmarks.report import Goal, Section, Table
from benchmarks.scale import Scale
from benchmarks.timing import ENGINE_THREADS, median, parallel, timed

SIZE_RATIO_GOAL: Final[float] = 1.5


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


def post_batch(bare: BareClient, tag: str, count: int) -> float:
    """Seconds for ``count`` POSTs of new names; the profiles are deleted after, untimed."""
    hrefs, seconds = timed(lambda: seed_profiles(bare, tag, count))
    for href in hrefs:
        bare.call("DELETE", href)
    return seconds


def get_batch(bare: BareClient, hrefs: list[str]) -> float:
    return timed(lambda: [bare.call("GET", href) for href in hrefs])[1]


def batches_at(bare: BareClient, scale: Scale, size: int) -> tuple[float, float]:
    """Median seconds of the POST batch and of the GET batch with ``size`` profiles held."""
    spec = scale.simulator
    expect(org_size(bare) == size, f"the org holds {size} profiles")
    hrefs = [f"/orgs/1/pairing_profiles/{i}" for i in range(1, spec.batch + 1)]
    posts = [post_batch(bare, f"batch-{size}-{r}-", spec.batch) for r in range(spec.rounds)]
    gets = [get_batch(bare, hrefs) for _ in range(spec.rounds)]
    expect(org_size(bare) == size, f"the org still holds {size} profiles")
    return median(posts), median(gets)


def measure_simulator_scale(pce: SimulatorProcess, scale: Scale) -> Section:
    spec = scale.simulator
    pce.reset()
    bare = BareClient(pce)
    start = org_size(bare)  # a fresh PCE's default profiles
    grow_org(pce, "small-", spec.small - start)
    small = batches_at(bare, scale, spec.small)
    grow_org(pce, "large-", spec.large - spec.small)
    large = batches_at(bare, scale, spec.large)
    bare.close()
    pce.reset()  # leave no 10,000 profiles behind for the next section
    return simulator_scale_section(scale, small, large)


def simulator_scale_section(
    scale: Scale, small: tuple[float, float], large: tuple[float, float]
) -> Section:
    spec = scale.simulator
    table = Table(
        "simulator scale",
        f"8. The simulator's time for {spec.batch:,} requests with {spec.small:,} and "
        f"{spec.large:,} profiles held (median of {spec.rounds} batches)",
        ["requests", f"s at {spec.small:,}", f"s at {spec.large:,}", "ratio"],
        notes=[
            "One bare requests.Session, one request at a time, to the simulator process. POSTs "
            "carry new names (the exact-name uniqueness check); GETs read profiles by href. "
            "The `name` filter of a listing is a partial match and scans the org, as any "
            "listing does: not timed here.",
        ],
    )
    ratios = [big / few for big, few in zip(large, small, strict=True)]
    for label, few, big, times in zip(("POST", "GET by href"), small, large, ratios, strict=True):
        table.add(label, few, big, f"{times:.2f}x")
    measured = ", ".join(
        f"{label} {times:.2f}x" for label, times in zip(("POST", "GET"), ratios, strict=True)
    )
    goal = Goal(
        f"simulator: {spec.batch:,} requests at {spec.large:,} vs {spec.small:,} profiles",
        f"≤ {SIZE_RATIO_GOAL:g}x",
        measured,
        all(times <= SIZE_RATIO_GOAL for times in ratios),
    )
    return Section([table], [goal])
