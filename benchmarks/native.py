"""The native face's speed: `up` of profile + key pairs at a PCE latency, engine-like concurrency.

``venv/bin/python -m benchmarks.native`` (100 pairs, 100 ms, 32 in flight; ``--smoke`` for a
tiny run). Each pair is what ``pulumi up`` does for a new profile and the key wired to it:
Check + Create of the profile, then Check + Create of the key (its href and key lifespan from
the profile's outputs). 32 pairs are under way at once, as an engine run with ``--parallel 32``
keeps 32 steps in flight. The PCE simulator answers every API request after the latency
(an injected ``delay`` fault that keeps the real answer).

Rows, from one run: the native plugin (``provider/``, started as the language host starts it),
the dynamic face (``python -m pulumi.dynamic``, the process the engine runs for it), and a
no-op native provider (same gRPC server set-up, echoes its inputs) for CPU per resource.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from benchmarks.http_floor import asyncio_cpu_ms
from benchmarks.native_results import BEGIN, END, RESULTS, with_native_block
from benchmarks.pacing import DEFAULT_BUDGET
from benchmarks.pce import API_SECRET, API_USER, BareClient, SimulatorProcess, provider_process
from benchmarks.timing import cpu_seconds, timed
from pairing_provider.key import PairingKeyProvider
from pairing_provider.profile import PairingProfileProvider
from pairing_provider.transport import Transport
from tests.engine import PROVIDER_KEY, serialized
from tests.native_driver import KEY, PROFILE, Plugin


@dataclass(frozen=True)
class Scale:
    pairs: int
    latency: float
    in_flight: int


FULL = Scale(pairs=100, latency=0.1, in_flight=32)
SMOKE = Scale(pairs=6, latency=0.02, in_flight=4)


@dataclass(frozen=True)
class Row:
    face: str
    seconds: float
    requests: int
    cpu_ms_per_resource: float


def struct(bag: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(bag)
    return message


def plain(message: struct_pb2.Struct) -> dict[str, Any]:
    return {key: value for key, value in message.items()}


Pair = Callable[[int], None]
"""Creates pair number i: the profile, then its key."""


def run_pairs(pair: Pair, scale: Scale, pid: int) -> tuple[float, float]:
    """Seconds for every pair with ``in_flight`` under way, and the provider's CPU ms per
    resource (two resources a pair)."""
    used = cpu_seconds(pid)
    with futures.ThreadPoolExecutor(max_workers=scale.in_flight) as pool:
        _, seconds = timed(lambda: list(pool.map(pair, range(scale.pairs))))
    return seconds, (cpu_seconds(pid) - used) * 1000 / (2 * scale.pairs)


def native_pair(stub: Any, profile_type: str, key_type: str, names: str) -> Pair:
    """A pair as the engine sends it to a native provider (camelCase, no __provider)."""

    def call(method: str, token: str, name: str, **fields: Any) -> Any:
        urn = f"urn:pulumi:bench::bench::{token}::{name}"
        request = getattr(provider_pb2, f"{method}Request")(urn=urn, type=token, **fields)
        return getattr(stub, method)(request)

    def pair(i: int) -> None:
        name = f"{names}{i:04d}"
        news = struct({"name": name, "enabled": True, "keyLifespan": 3600})
        checked = call("Check", profile_type, name, olds=struct({}), news=news).inputs
        made = call("Create", profile_type, name, properties=checked)
        key = struct({"pairingProfileHref": made.id, "profileKeyLifespan": 3600})
        checked = call("Check", key_type, f"{name}-key", olds=struct({}), news=key).inputs
        call("Create", key_type, f"{name}-key", properties=checked)

    return pair


def dynamic_pair(stub: Any, names: str) -> Pair:
    """The same pair as the engine sends it to the dynamic face (snake_case, __provider)."""
    profiles = serialized(PairingProfileProvider())
    keys = serialized(PairingKeyProvider())

    def call(method: str, kind: str, name: str, **fields: Any) -> Any:
        token = f"pulumi-python:dynamic/illumio:{kind}"
        urn = f"urn:pulumi:bench::bench::{token}::{name}"
        request = getattr(provider_pb2, f"{method}Request")(urn=urn, type=token, **fields)
        return getattr(stub, method)(request)

    def pair(i: int) -> None:
        name = f"{names}{i:04d}"
        news = {"name": name, "enabled": True, "key_lifespan": 3600, PROVIDER_KEY: profiles}
        checked = call("Check", "PairingProfile", name, olds=struct({}), news=struct(news))
        made = call("Create", "PairingProfile", name, properties=checked.inputs)
        key = {"pairing_profile_href": made.id, "profile_key_lifespan": 3600, PROVIDER_KEY: keys}
        checked = call("Check", "PairingKey", f"{name}-key", olds=struct({}), news=struct(key))
        call("Create", "PairingKey", f"{name}-key", properties=checked.inputs)

    return pair


def with_latency(pce: SimulatorProcess, latency: float) -> None:
    """Every API request answered after ``latency`` seconds, with its real answer."""
    fault = {"delay": latency, "when": "after", "merge_body": {}, "count": 1_000_000}
    pce.control.add_fault(**fault)


def measure_native(pce: SimulatorProcess, scale: Scale) -> Row:
    with Plugin() as plugin:
        plugin.configure(
            {"pceHost": pce.url, "apiKeyUsername": API_USER, "apiKeySecret": API_SECRET}
        )
        pair = native_pair(plugin.stub, PROFILE, KEY, "native-")
        seconds, cpu = run_pairs(pair, scale, plugin.pid)
    return Row("native plugin (provider/)", seconds, count_requests(pce), cpu)


def measure_dynamic(pce: SimulatorProcess, scale: Scale) -> Row:
    with provider_process(pce) as engine:
        assert engine.pid is not None
        seconds, cpu = run_pairs(dynamic_pair(engine.stub, "dynamic-"), scale, engine.pid)
    return Row("dynamic face (python -m pulumi.dynamic)", seconds, count_requests(pce), cpu)


def measure_noop(scale: Scale) -> Row:
    with noop_process() as (stub, pid):
        pair = native_pair(stub, "noop:index:Profile", "noop:index:Key", "noop-")
        seconds, cpu = run_pairs(pair, scale, pid)
    return Row("no-op native provider (same server set-up)", seconds, 0, cpu)


def http_cpu_ms(pce: SimulatorProcess, count: int) -> tuple[float, float]:
    """CPU ms of one POST from a bare ``requests.Session``, and of one through the provider's
    own transport (``pairing_provider.transport``), measured in this process."""
    bare = BareClient(pce)
    wire = Transport(auth=(API_USER, API_SECRET))
    url = f"{pce.api_url}/orgs/1/pairing_profiles"

    def through_transport(name: str) -> None:
        body = {"name": name, "enabled": True}
        wire.exchange("POST", url, seconds=30, timeout=30, json=body).json()

    def per_post(send: Callable[[str], Any], prefix: str) -> float:
        send(f"{prefix}-warm-up")
        started = time.process_time()
        for i in range(count):
            send(f"{prefix}-{i:04d}")
        return (time.process_time() - started) * 1000 / count

    try:
        bare_ms = per_post(lambda name: bare.create_profile({"name": name, "enabled": True}), "b")
        return bare_ms, per_post(through_transport, "t")
    finally:
        bare.close()
        wire.close()
        pce.reset()


def count_requests(pce: SimulatorProcess) -> int:
    count = len(pce.requests())
    pce.reset()
    return count


# -- the no-op native provider --------------------------------------------------------------------


class NoopServicer(provider_pb2_grpc.ResourceProviderServicer):  # type: ignore[misc]
    """Echoes its inputs: what any native provider on this server set-up pays per call."""

    def Configure(self, request: Any, context: Any) -> Any:
        return provider_pb2.ConfigureResponse(acceptSecrets=True, supportsPreview=True)

    def Check(self, request: Any, context: Any) -> Any:
        return provider_pb2.CheckResponse(inputs=request.news)

    def Create(self, request: Any, context: Any) -> Any:
        return provider_pb2.CreateResponse(id="noop", properties=request.properties)


def serve_noop() -> None:
    from pairing_provider.native import server

    grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=server.WORKERS))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(NoopServicer(), grpc_server)
    port = grpc_server.add_insecure_port("127.0.0.1:0")
    grpc_server.start()
    print(port, flush=True)
    grpc_server.wait_for_termination()


@contextmanager
def noop_process() -> Iterator[tuple[Any, int]]:
    command = [sys.executable, "-m", "benchmarks.native", "--serve-noop"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    port = int(process.stdout.readline())
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield provider_pb2_grpc.ResourceProviderStub(channel), process.pid
    finally:
        channel.close()
        process.terminate()
        process.wait(timeout=10)


# -- the report -----------------------------------------------------------------------------------


def report(scale: Scale) -> tuple[list[Row], str]:
    with SimulatorProcess() as pce:
        with_latency(pce, scale.latency)
        native = measure_native(pce, scale)
        with_latency(pce, scale.latency)
        dynamic = measure_dynamic(pce, scale)
        http_ms = http_cpu_ms(pce, scale.pairs)
        floor_ms = asyncio_cpu_ms(pce, 3 * scale.pairs, scale.in_flight)
        pce.reset()
    noop = measure_noop(scale)
    rows = [native, dynamic, noop]
    return rows, render(scale, rows, (*http_ms, floor_ms))


def render(scale: Scale, rows: list[Row], http_ms: tuple[float, float, float]) -> str:
    native, dynamic, noop = rows
    critical = 3 * scale.latency  # the profile's POST and PUT, then its key's POST
    budget = native.requests / (DEFAULT_BUDGET / 60)
    concurrency = native.requests * scale.latency / scale.in_flight
    bound = max(critical, budget)
    lines = [
        f"`up` of {scale.pairs} profile + key pairs, {scale.latency * 1000:.0f} ms per PCE "
        f"request, {scale.in_flight} pairs in flight, default pacing ({DEFAULT_BUDGET}/min).",
        "",
        "| face | seconds | requests | vs critical path | vs bound | CPU ms per resource |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows[:2]:
        lines.append(
            f"| {row.face} | {row.seconds:.2f} | {row.requests} | {row.seconds / critical:.1f}x "
            f"| {row.seconds / bound:.2f}x | {row.cpu_ms_per_resource:.2f} |"
        )
    lines.append(
        f"| {noop.face} | {noop.seconds:.2f} | 0 | - | - | {noop.cpu_ms_per_resource:.2f} |"
    )
    lines += [
        "",
        f"- critical path: {critical:.2f} s (a profile's POST and PUT, then its key's POST). "
        "requests / rate "
        f"budget: {native.requests} / {DEFAULT_BUDGET} per minute = {budget:.2f} s. Goal bound: "
        f"the larger, {bound:.2f} s; the goal is within 3x of it: native "
        f"{native.seconds / bound:.2f}x ({'met' if native.seconds <= 3 * bound else 'not met'}).",
        f"- {scale.in_flight} in flight at {scale.latency * 1000:.0f} ms cannot go below "
        f"{concurrency:.2f} s ({native.requests} requests x latency / {scale.in_flight}); "
        f"native {native.seconds / concurrency:.2f}x of that, "
        f"dynamic {dynamic.seconds / concurrency:.2f}x.",
        f"- dynamic / native: {dynamic.seconds / native.seconds:.1f}x the time.",
        f"- CPU per resource, native vs the no-op native provider: "
        f"{_ratio(native.cpu_ms_per_resource, noop.cpu_ms_per_resource)} (goal 1.5x: "
        f"{'met' if native.cpu_ms_per_resource <= 1.5 * noop.cpu_ms_per_resource else 'not met'}"
        f"). One POST costs {http_ms[0]:.2f} ms of CPU here from a bare requests.Session, "
        f"{http_ms[1]:.2f} ms through the provider's transport (http.client); a pair sends 3 "
        f"requests for 2 resources, so the no-op provider plus the transport's share is "
        f"{noop.cpu_ms_per_resource + 1.5 * http_ms[1]:.2f} ms per resource, and native is "
        f"{_ratio(native.cpu_ms_per_resource, noop.cpu_ms_per_resource + 1.5 * http_ms[1])} "
        "of that.",
        f"- The goal's budget: 1.5x of the no-op leaves {0.5 * noop.cpu_ms_per_resource:.2f} ms "
        "per resource for everything a resource does beyond a no-op call. The least a Python "
        f"request cost here, asyncio with {scale.in_flight} in flight and a parser that reads "
        f"only Content-Length (benchmarks/http_floor.py), is {http_ms[2]:.2f} ms: "
        f"{1.5 * http_ms[2]:.2f} ms for a resource's 1.5 requests alone.",
    ]
    return "\n".join(lines)


def _ratio(mine: float, floor: float) -> str:
    # A smoke run's floor can be under one clock tick of /proc CPU time: no ratio then.
    return f"{mine / floor:.2f}x" if floor > 0 else "n/a (too short a run to measure)"


def section(text: str) -> str:
    load = os.getloadavg()[0]
    return (
        f"{BEGIN}\n### 11. Native provider: `up` at a PCE latency\n\n"
        f"- command: `venv/bin/python -m benchmarks.native --write`; date: "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average (1 min) at start: {load:.2f} "
        f"on {os.cpu_count()} cores\n\n{text}\n{END}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a tiny run (seconds)")
    parser.add_argument("--write", action="store_true", help="put the rows in RESULTS.md")
    parser.add_argument("--serve-noop", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_noop:
        serve_noop()
        return
    block = section(report(SMOKE if args.smoke else FULL)[1])
    print(block)
    if args.write:
        RESULTS.write_text(with_native_block(RESULTS.read_text(), block), encoding="utf-8")


if __name__ == "__main__":
    main()
