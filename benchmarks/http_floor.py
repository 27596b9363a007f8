"""The least CPU a Python HTTP request to the PCE costs: no thread per request (asyncio, one
event loop), kept-alive connections, and a parser that reads only the Content-Length of the
answer. Nothing a provider could ship (no TLS, no limits, no errors handled): a floor to hold
the native goal's budget against, measured the way the provider's exchanges are (POSTs of a
profile, many in flight, the PCE answering after its latency).
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from urllib.parse import urlsplit

from benchmarks.pce import API_SECRET, API_USER, SimulatorProcess


def asyncio_cpu_ms(pce: SimulatorProcess, count: int, in_flight: int) -> float:
    """CPU ms of this process per POST, ``in_flight`` at once over as many connections."""
    return asyncio.run(_measure(pce, count, in_flight))


async def _measure(pce: SimulatorProcess, count: int, in_flight: int) -> float:
    url = urlsplit(f"{pce.api_url}/orgs/1/pairing_profiles")
    token = base64.b64encode(f"{API_USER}:{API_SECRET}".encode()).decode()
    head = (
        f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Basic {token}\r\n"
        "Content-Type: application/json\r\n"
    )
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(in_flight):
        idle.put_nowait(await asyncio.open_connection(url.hostname, url.port))

    async def post(name: str) -> None:
        reader, writer = await idle.get()
        body = json.dumps({"name": name, "enabled": True}).encode()
        writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await reader.readline()  # the status line
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            field, _, value = line.partition(b":")
            if field.lower() == b"content-length":
                length = int(value)
        json.loads(await reader.readexactly(length))
        idle.put_nowait((reader, writer))

    await asyncio.gather(*(post(f"floor-warm-{i}") for i in range(in_flight)))
    started = time.process_time()
    await asyncio.gather(*(post(f"floor-{i:05d}") for i in range(count)))
    used = time.process_time() - started
    while not idle.empty():
        idle.get_nowait()[1].close()
    return used * 1000 / count
