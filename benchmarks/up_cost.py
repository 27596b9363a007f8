"""Section 7: the provider process's CPU per resource in a ``pulumi up``, beside the no-op provider.

An ``up`` of N profiles, each with a key wired to it, through the engine protocol with 32 calls
in flight (the engine runs many resources at once): every profile's Check and Create, then
every key's Check and Create (a key's inputs wait for its profile's href, as in the engine).
The same process then serves the no-op provider the same 2N Check + Create pairs with the same
property bags: what any Python dynamic provider pays per resource (gRPC, the SDK's server).
The two alternate, and the ratio of their CPU per resource is taken within each round.
"""

from __future__ import annotations

from typing import Any, Final

from benchmarks.budget import KEY, PROFILE, expect
from benchmarks.floor_provider import FloorProvider
from benchmarks.pce import UNPACED, SimulatorProcess, provider_process
from benchmarks.report import Goal, Section, Table
from benchmarks.scale import Scale
from benchmarks.timing import cpu_seconds, median, ms, parallel
from benchmarks.wire import KEY_TYPE, PROFILE_TYPE, Wire

IN_FLIGHT: Final[int] = 32
CPU_RATIO_GOAL: Final[float] = 2.0
FLOOR_TYPE: Final[str] = "pulumi-python:dynamic:FloorProvider"


def profile_inputs(name: str) -> dict[str, Any]:
    return {"name": name, "enabled": True}


def key_inputs(href: str) -> dict[str, Any]:
    """A key wired with ``pairing_profile=``: the profile's href and key_lifespan come along."""
    return {
        "pairing_profile_href": href,
        "profile_key_lifespan": "unlimited",
        "triggers": {"rotation": "1"},
    }


class Up:
    """One process serving both the provider's ``up`` and the no-op provider's."""

    def __init__(self, stub: Any, pid: int) -> None:
        self.stub, self.pid = stub, pid
        self.profiles, self.keys = Wire(PROFILE, PROFILE_TYPE), Wire(KEY, KEY_TYPE)
        self.floor = Wire(FloorProvider(), FLOOR_TYPE)
        self.checked: list[tuple[str, dict[str, Any]]] = []  # what the provider's checks gave

    def check_then_create(self, wire: Wire, items: list[tuple[str, dict[str, Any]]]) -> list[Any]:
        """Check + Create of each item, ``IN_FLIGHT`` at once; the Create answers."""

        def one(item: tuple[str, dict[str, Any]]) -> Any:
            name, inputs = item
            checked = wire.decode(self.stub.Check(wire.check(name, inputs)).inputs)
            self.checked.append((name, checked))
            return self.stub.Create(wire.create(name, checked))

        return parallel(one, items, threads=IN_FLIGHT)

    def provider_up(self, names: list[str]) -> float:
        """The provider process's CPU seconds for N profiles and N keys."""
        self.checked = []
        used = cpu_seconds(self.pid)
        created = self.check_then_create(self.profiles, [(n, profile_inputs(n)) for n in names])
        hrefs = [answer.id for answer in created]
        keys = [(f"{n}-key", key_inputs(h)) for n, h in zip(names, hrefs, strict=True)]
        made = self.check_then_create(self.keys, keys)
        cpu = cpu_seconds(self.pid) - used
        expect(all(answer.id for answer in made), "every key created")
        return cpu

    def floor_up(self) -> float:
        """The same process's CPU seconds for the no-op provider, given the bags the provider's
        checks returned (defaults filled in) as its inputs."""
        bags = self.checked
        used = cpu_seconds(self.pid)
        self.check_then_create(self.floor, bags)
        return cpu_seconds(self.pid) - used


def measure_up_cost(pce: SimulatorProcess, scale: Scale) -> Section:
    n = scale.up_profiles
    ratios: list[float] = []
    provider_cpu: list[float] = []
    floor_cpu: list[float] = []
    with provider_process(pce, maxRequestsPerMinute=UNPACED) as engine:
        assert engine.pid is not None
        up = Up(engine.stub, engine.pid)
        up.provider_up([f"warm-{i}" for i in range(IN_FLIGHT)])  # imports, first calls
        up.floor_up()
        for round_ in range(scale.up_rounds):
            pce.reset()
            mine = up.provider_up([f"up-{round_}-{i:05d}" for i in range(n)]) / (2 * n)
            floor = up.floor_up() / (2 * n)
            provider_cpu.append(mine)
            floor_cpu.append(floor)
            ratios.append(mine / floor)
    return up_cost_section(scale, median(provider_cpu), median(floor_cpu), median(ratios))


def up_cost_section(scale: Scale, mine: float, floor: float, ratio: float) -> Section:
    n = scale.up_profiles
    table = Table(
        "up cost",
        f"8. Provider CPU per resource in an `up` of {n:,} profiles and {n:,} keys "
        f"(median of {scale.up_rounds} rounds)",
        ["provider", "resources", "CPU ms per resource", "vs no-op provider"],
        notes=[
            f"{IN_FLIGHT} Check + Create calls in flight; CPU is the provider process's user + "
            "system time (/proc) over the whole up; pacing off. The no-op provider "
            "(benchmarks/floor_provider.py) runs in the same process with the same property "
            "bags, alternating with the real up; the ratio is taken within each round.",
        ],
    )
    table.add("PairingProfile + PairingKey", 2 * n, ms(mine), f"{ratio:.2f}x")
    table.add("no-op provider (floor)", 2 * n, ms(floor), "1.00x")
    goal = Goal(
        "provider CPU per resource in an `up` vs the no-op provider",
        f"≤ {CPU_RATIO_GOAL:g}x",
        f"{ratio:.2f}x ({ms(mine):.2f} ms vs {ms(floor):.2f} ms per resource)",
        ratio <= CPU_RATIO_GOAL,
    )
    return Section([table], [goal])
