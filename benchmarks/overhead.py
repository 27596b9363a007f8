"""Section 2: the time the provider adds to each operation, beside the bare HTTP call.

Each round takes one profile and one key through their whole life three ways: through the
engine protocol (gRPC to ``python -m pulumi.dynamic``), by calling the provider's methods in
this process, and as the same HTTP requests from a bare ``requests.Session``. The three sides
rotate which goes first, round by round, so load drifting on a shared machine lands on all of
them alike. The difference between the sides splits the overhead: in-process minus bare is this
package's own code; engine minus in-process is gRPC and the SDK's dynamic provider server.
Only the calls are timed: engine requests are built beforehand (see ``wire.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from pulumi.dynamic import ConfigureRequest, ResourceProvider
from pulumi.runtime.proto import provider_pb2

from benchmarks.budget import KEY, PROFILE, expect
from benchmarks.floor_provider import FloorProvider
from benchmarks.pce import UNPACED, BareClient, SimulatorProcess, provider_process, stack_config
from benchmarks.report import Goal, Section, Table
from benchmarks.scale import Scale
from benchmarks.timing import median, ms, ratio, timed
from benchmarks.wire import KEY_TYPE, PROFILE_TYPE, Wire
from pairing_provider.key import PairingKeyProvider
from pairing_provider.profile import PairingProfileProvider

Op = tuple[str, str]
Call = Callable[[], Any] | None
CreateBodies = tuple[dict[str, Any], dict[str, Any]]  # (POST body, PUT body)
SIDES: Final[tuple[str, ...]] = ("engine", "local", "bare")
P: Final[str] = "PairingProfile"
K: Final[str] = "PairingKey"
FLOOR: Final[str] = "no-op provider (floor)"
SOME: Final[int] = provider_pb2.DiffResponse.DIFF_SOME
WARMUP_ROUNDS: Final[int] = 3
# Check and diff against the floor (the no-op provider's check through the same protocol):
# what this package adds must stay a fraction of what any Python dynamic provider pays.
CHECK_DIFF_FLOOR_RATIO_GOAL: Final[float] = 1.5
HTTP_RATIO_GOAL: Final[float] = 1.2
UPDATE: Final[dict[str, str]] = {"description": "v2"}
# (resource, operation, the HTTP requests it makes; None when it makes none)
OPERATIONS: Final[list[tuple[str, str, str | None]]] = [
    ("PairingProfile", "check", None),
    ("PairingProfile", "diff", None),
    ("PairingProfile", "create", "POST + PUT"),
    ("PairingProfile", "read", "GET"),
    ("PairingProfile", "update", "PUT + GET"),
    ("PairingProfile", "delete", "DELETE"),
    ("PairingKey", "check", None),
    ("PairingKey", "diff", None),
    ("PairingKey", "create", "GET + POST"),
    ("PairingKey", "read", "GET"),
    ("PairingKey", "delete", None),
    (FLOOR, "check", None),
    (FLOOR, "create", None),
]


def configured(provider: ResourceProvider, config: dict[str, str]) -> ResourceProvider:
    """A provider for in-process calls, configured as the engine would configure it."""
    provider.configure(ConfigureRequest(config))  # type: ignore[arg-type] - .get is all it uses
    return provider


@dataclass(frozen=True)
class Lives:
    """One round's profile on every side: the engine's, the in-process one, the bare one."""

    href: str
    news: dict[str, Any]  # checked inputs for the update
    outs: dict[str, Any]
    local: Any  # the in-process CreateResult
    bare: str


class Bench:
    """Runs the rounds and keeps every timing, in seconds, by side and operation."""

    def __init__(
        self, stub: Any, bare: BareClient, config: dict[str, str], create: CreateBodies
    ) -> None:
        self.stub = stub
        self.bare = bare
        self.create_bodies = create
        self.local_profile = configured(PairingProfileProvider(), config)
        self.local_key = configured(PairingKeyProvider(), config)
        self.local_floor = FloorProvider()
        self.profiles = Wire(PROFILE, PROFILE_TYPE)
        self.keys = Wire(KEY, KEY_TYPE)
        self.floor = Wire(FloorProvider(), "pulumi-python:dynamic:FloorProvider")
        self.samples: dict[str, dict[Op, list[float]]] = {s: defaultdict(list) for s in SIDES}
        self.record = False
        self.first = 0  # which side goes first this round

    def bare_create_profile(self, name: str) -> str:
        """The provider's two create requests, sent bare: the POST, then the PUT."""
        post, put = self.create_bodies
        href = self.bare.create_profile({**post, "name": name})
        self.bare.call("PUT", href, put)
        return href

    def step(self, op: Op, engine: Call, local: Call, bare: Call = None) -> list[Any]:
        """Time each side's call, in this round's order; their results, in ``SIDES`` order."""
        calls = dict(zip(SIDES, (engine, local, bare), strict=True))
        results: dict[str, Any] = {}
        for i in range(len(SIDES)):
            side = SIDES[(self.first + i) % len(SIDES)]
            call = calls[side]
            if call is None:
                continue
            results[side], seconds = timed(call)
            if self.record:
                self.samples[side][op].append(seconds)
        return [results.get(side) for side in SIDES]

    def round(self, name: str) -> None:
        """One profile and one key per side: created, read, diffed, updated and deleted."""
        profile = self.profile_first_half(name)
        self.key_life(name, profile)
        self.profile_second_half(name, profile)

    def profile_first_half(self, name: str) -> Lives:
        op, wire, local, stub, bare = P, self.profiles, self.local_profile, self.stub, self.bare
        news = {"name": name, "enabled": True}
        request = wire.check(name, news)
        checked, _, _ = self.step(
            (op, "check"), lambda: stub.Check(request), lambda: local.check({}, news)
        )
        inputs = wire.decode(checked.inputs)
        self.floor_calls(name, inputs)
        local_inputs = {**inputs, "name": f"local-{name}"}
        request = wire.create(name, inputs)
        created, local_created, bare_href = self.step(
            (op, "create"),
            lambda: stub.Create(request),
            lambda: local.create(local_inputs),
            lambda: self.bare_create_profile(f"bare-{name}"),
        )
        outs = wire.decode(created.properties)
        request = wire.read(name, created.id, outs)
        read, _, _ = self.step(
            (op, "read"),
            lambda: stub.Read(request),
            lambda: local.read(local_created.id, local_created.outs),
            lambda: bare.call("GET", bare_href),
        )
        news = {**inputs, **UPDATE}
        request = wire.diff(name, created.id, outs, news)
        diff, _, _ = self.step(
            (op, "diff"),
            lambda: stub.Diff(request),
            lambda: local.diff(local_created.id, local_created.outs, news),
        )
        expect(read.id == created.id and diff.changes == SOME, "profile read and diff")
        return Lives(created.id, news, outs, local_created, bare_href)

    def floor_calls(self, name: str, inputs: dict[str, Any]) -> None:
        """Calls to a provider that does nothing, with a profile's property bag (its size
        sets the SDK server's conversion cost): what any dynamic provider pays."""
        check, create = self.floor.check(name, inputs), self.floor.create(name, inputs)
        floor, local = self.stub, self.local_floor
        self.step((FLOOR, "check"), lambda: floor.Check(check), lambda: local.check({}, inputs))
        self.step((FLOOR, "create"), lambda: floor.Create(create), lambda: local.create(inputs))

    def key_life(self, name: str, profile: Lives) -> None:
        op, wire, local, stub, bare = K, self.keys, self.local_key, self.stub, self.bare
        news = {"pairing_profile_href": profile.href, "triggers": {"round": name}}
        local_news = {**news, "pairing_profile_href": profile.local.id}
        request = wire.check(name, news)
        checked, local_checked, _ = self.step(
            (op, "check"), lambda: stub.Check(request), lambda: local.check({}, local_news)
        )
        inputs = wire.decode(checked.inputs)

        def bare_create() -> None:
            bare.call("GET", profile.bare)
            bare.call("POST", f"{profile.bare}/pairing_key", {})

        request = wire.create(name, inputs)
        created, local_created, _ = self.step(
            (op, "create"),
            lambda: stub.Create(request),
            lambda: local.create(local_checked.inputs),
            bare_create,
        )
        outs, local_outs = wire.decode(created.properties), local_created.outs
        rotation = {"triggers": {"round": f"{name}-2"}}
        rotated, local_rotated = {**inputs, **rotation}, {**local_checked.inputs, **rotation}
        request = wire.diff(name, created.id, outs, rotated)
        diff, _, _ = self.step(
            (op, "diff"),
            lambda: stub.Diff(request),
            lambda: local.diff(local_created.id, local_outs, local_rotated),
        )
        request = wire.read(name, created.id, outs)
        read, _, _ = self.step(
            (op, "read"),
            lambda: stub.Read(request),
            lambda: local.read(local_created.id, local_outs),
            lambda: bare.call("GET", profile.bare),
        )
        request = wire.delete(name, created.id, outs)
        self.step(
            (op, "delete"),
            lambda: stub.Delete(request),
            lambda: local.delete(local_created.id, local_outs),
        )
        expect(read.id == created.id and list(diff.replaces) == ["triggers"], "key read and diff")

    def profile_second_half(self, name: str, profile: Lives) -> None:
        op, wire, local, stub, bare = P, self.profiles, self.local_profile, self.stub, self.bare
        href, news, outs = profile.href, profile.news, profile.outs
        mine, theirs = profile.local, profile.bare
        local_news = {**news, "name": f"local-{name}"}

        def bare_update() -> None:
            bare.call("PUT", theirs, UPDATE)
            bare.call("GET", theirs)

        request = wire.update(name, href, outs, news)
        updated, local_updated, _ = self.step(
            (op, "update"),
            lambda: stub.Update(request),
            lambda: local.update(mine.id, mine.outs, local_news),
            bare_update,
        )
        new_outs = wire.decode(updated.properties)
        expect(
            new_outs.get("description") == local_updated.outs.get("description") == "v2", "update"
        )
        request = wire.delete(name, href, new_outs)
        self.step(
            (op, "delete"),
            lambda: stub.Delete(request),
            lambda: local.delete(mine.id, local_updated.outs),
            lambda: bare.call("DELETE", theirs),
        )


def provider_create_bodies(pce: SimulatorProcess, stub: Any) -> CreateBodies:
    """The exact bodies the provider sends to create a profile (its POST, then its PUT), for
    the bare client to send."""
    wire = Wire(PROFILE, PROFILE_TYPE)
    inputs = wire.decode(stub.Check(wire.check("probe", {"name": "probe", "enabled": True})).inputs)
    pce.clear_requests()
    created = stub.Create(wire.create("probe", inputs))
    [post, put] = [r for r in pce.requests() if r["method"] in ("POST", "PUT")]
    stub.Delete(wire.delete("probe", created.id, wire.decode(created.properties)))
    return dict(post["body"]), dict(put["body"])


def measure_overhead(pce: SimulatorProcess, scale: Scale) -> Section:
    pce.reset()
    bare = BareClient(pce)
    # Pacing off: hundreds of rounds would otherwise wait for the 450-per-minute budget.
    settings = {"maxRequestsPerMinute": UNPACED}
    with provider_process(pce, **settings) as engine:
        bodies = provider_create_bodies(pce, engine.stub)
        bench = Bench(engine.stub, bare, stack_config(pce, **settings), bodies)
        for i in range(WARMUP_ROUNDS):
            bench.round(f"warm-{i}")
        bench.record = True
        for i in range(scale.overhead_rounds):
            bench.first = i % len(SIDES)
            bench.round(f"round-{i:04d}")
    bare.close()
    return overhead_section(bench, scale)


def overhead_row(bench: Bench, resource: str, operation: str, http: str | None) -> list[Any]:
    engine, local = (
        ms(median(bench.samples[s][(resource, operation)])) for s in ("engine", "local")
    )
    if http is None:
        return [resource, operation, "none", engine, local, None, engine, local, None]
    bare = ms(median(bench.samples["bare"][(resource, operation)]))
    return [
        resource,
        operation,
        http,
        engine,
        local,
        bare,
        engine - bare,
        local - bare,
        ratio(engine, bare),
    ]


def overhead_section(bench: Bench, scale: Scale) -> Section:
    table = Table(
        "overhead",
        f"2. Time per operation through the engine protocol vs the bare HTTP call "
        f"(median of {scale.overhead_rounds} interleaved rounds, ms)",
        [
            "resource",
            "operation",
            "HTTP",
            "provider ms",
            "in-process ms",
            "bare ms",
            "overhead ms",
            "package ms",
            "ratio",
        ],
        notes=[
            "provider: one gRPC call to `python -m pulumi.dynamic` (4 workers), the request "
            "built beforehand: gRPC, the SDK's dynamic provider server, this package, and the "
            "simulator's time for the requests it sends. in-process: the provider's method "
            "called directly in the benchmark process. bare: the same HTTP requests from a "
            f"requests.Session. Pacing off (maxRequestsPerMinute {UNPACED}).",
            "overhead = provider - bare; package = in-process - bare, this package's own share "
            "(for an operation without HTTP, its whole in-process time). The rest of the "
            "overhead is gRPC and the SDK's server.",
            f"{FLOOR}: benchmarks/floor_provider.py, whose check and create return their "
            "inputs, sent a profile's checked inputs: what any Python dynamic provider pays "
            "per call for bags that size (gRPC, the SDK's server un-pickling the provider and "
            "converting the properties on a new event loop per call).",
        ],
    )
    for resource, operation, http in OPERATIONS:
        table.add(*overhead_row(bench, resource, operation, http))
    return Section([table], overhead_goals(table))


def overhead_goals(table: Table) -> list[Goal]:
    def row(op: Op) -> dict[str, Any]:
        return table.find(resource=op[0], operation=op[1])

    def label(op: Op) -> str:
        return f"{'key ' if op[0] == 'PairingKey' else ''}{op[1]}"

    resources = ("PairingProfile", "PairingKey")
    floor = float(row((FLOOR, "check"))["provider ms"])
    local = {
        (r, o): float(row((r, o))["provider ms"]) / floor
        for r in resources
        for o in ("check", "diff")
    }
    http = [(r, o) for r in resources for o in ("create", "read")]
    ratios = {op: float(row(op)["provider ms"]) / float(row(op)["bare ms"]) for op in http}
    return [
        Goal(
            "check and diff vs the no-op provider's check (median)",
            f"≤ {CHECK_DIFF_FLOOR_RATIO_GOAL:g}x",
            ", ".join(f"{label(op)} {value:.2f}x" for op, value in local.items())
            + f" (floor {floor:.2f} ms on this machine)",
            all(value <= CHECK_DIFF_FLOOR_RATIO_GOAL for value in local.values()),
        ),
        Goal(
            "create and read vs the same bare requests call",
            f"≤ {HTTP_RATIO_GOAL:g}x",
            ", ".join(f"{label(op)} {value:.2f}x" for op, value in ratios.items()),
            all(value <= HTTP_RATIO_GOAL for value in ratios.values()),
        ),
    ]
