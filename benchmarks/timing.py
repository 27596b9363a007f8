"""Clocks and concurrency helpers shared by the benchmark sections."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

ENGINE_THREADS = 8
"""Client threads driving the provider process: more than its 4 gRPC workers, as a large
``pulumi up`` keeps every worker busy."""


def timed(action: Callable[[], T]) -> tuple[T, float]:
    """``action()``'s result and the seconds it took."""
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def parallel(
    action: Callable[[T], R], items: Iterable[T], threads: int = ENGINE_THREADS
) -> list[R]:
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(action, items))


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def ms(seconds: float) -> float:
    return seconds * 1000.0


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}x" if baseline > 0 else "-"


def interleaved(rounds: int, *sides: Callable[[], T]) -> list[list[T]]:
    """Run every side once per round, rotating which goes first.

    Load on a shared machine drifts; interleaving spreads the drift over every side alike,
    so their ratio holds even when the absolute times wander.
    """
    results: list[list[T]] = [[] for _ in sides]
    for round_ in range(rounds):
        for step in range(len(sides)):
            index = (round_ + step) % len(sides)
            results[index].append(sides[index]())
    return results


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux ``/proc``)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    user, system = int(fields[11]), int(fields[12])
    return (user + system) / os.sysconf("SC_CLK_TCK")
