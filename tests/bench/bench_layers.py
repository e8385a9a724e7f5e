"""Where a sequential GET's time goes: each layer of ``SpiceworksClient``'s send path, timed on its own.

    python tests/bench/bench_layers.py [--rounds 40] [--calls 200]

Against the canned Spiceworks server (``canned_server.py``, its own process
on loopback), on asyncio, one kept-alive connection. Each row calls one
entry point of the send path with the same ``GET /api/v1/tickets/{id}``:
aiohttp alone with the arguments the default transport passes it, building
the ``httpx.Request`` alone, then every transport from the network up (found
by following each one's inner transport, so a new layer shows up by
itself), the client's send (auth), and the operation (the call built, sent
and parsed into models). Rows run in turn, ``--calls`` calls at a time,
``--rounds`` times; a cell is the median over the rounds of CPU (and wall)
microseconds per call, and "added" is the difference to the row before.
It reports; it asserts nothing about timing (the machine is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import aiohttp
import httpx

from itsm_async import SpiceworksClient
from itsm_async._default_transport import DefaultTransport
from itsm_async._inmemory import read_in_memory

if TYPE_CHECKING:
    from tests.bench.bench_peers import TOKEN, canned_server
else:  # run as a script: this folder is first on sys.path
    from bench_peers import TOKEN, canned_server

TICKET = "/api/v1/tickets/7"
BUILD = "building the httpx.Request"
DASH = "\N{EN DASH}"  # no row before to compare with


def layers(client: SpiceworksClient) -> list[httpx.AsyncBaseTransport]:
    """The client's transports, outermost first, down to the one that does the network I/O."""
    found: list[httpx.AsyncBaseTransport] = []
    layer: object = client._retry_transport
    while isinstance(layer, httpx.AsyncBaseTransport):
        found.append(layer)
        layer = getattr(layer, "_inner", None)
    if isinstance(found[-1], DefaultTransport):
        found.append(found[-1]._for_this_loop())
    return found


def entry_points(client: SpiceworksClient, base_url: str) -> dict[str, Callable[[], Awaitable[object]]]:
    """Each row's call, innermost first."""

    def request() -> httpx.Request:
        built = client._request({"method": "get", "url": TICKET})
        built.headers["Authorization"] = f"Bearer {TOKEN}"
        return built

    transports = layers(client)
    network = transports[-1]
    session = getattr(network, "client", None)
    assert isinstance(session, aiohttp.ClientSession), "the default transport on asyncio is aiohttp's"
    # The default transport's own arguments, worked out once: aiohttp's call alone.
    method, url, options = getattr(network, "arguments")(request())  # noqa: B009 - ApiTransport is local to its factory

    async def aiohttp_alone() -> object:
        response = await session.request(method, url, **options)
        try:
            return await response.read()
        finally:
            response.release()

    async def build() -> object:
        return request().read()

    def through(transport: httpx.AsyncBaseTransport) -> Callable[[], Awaitable[object]]:
        async def call() -> object:
            built = request()
            built.read()
            response = await transport.handle_async_request(built)
            read_in_memory(response)
            return response

        return call

    rows: dict[str, Callable[[], Awaitable[object]]] = {
        "aiohttp alone, with the default transport's arguments": aiohttp_alone,
        BUILD: build,
    }
    for transport in reversed(transports):
        rows[f"through {type(transport).__name__}"] = through(transport)

    async def send() -> object:
        return await client._send(request())

    async def operation() -> object:
        return await client.tickets.get_ticket(7)

    rows["the client's send (auth)"] = send
    rows["tickets.get_ticket (built, sent, parsed)"] = operation
    return rows


async def measure(base_url: str, rounds: int, calls: int) -> list[tuple[str, float, float]]:
    """(row, median CPU µs per call, median wall µs per call), innermost first."""
    async with SpiceworksClient(token=TOKEN, base_url=base_url) as client:
        await client.tickets.get_ticket(7)  # connects, and opens the aiohttp session
        rows = entry_points(client, base_url)
        for call in rows.values():  # warm up each path
            for _ in range(min(calls, 50)):
                await call()
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in rows}
        for _ in range(rounds):
            for name, call in rows.items():
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(calls):
                    await call()
                samples[name].append(((time.process_time() - cpu) / calls, (time.perf_counter() - wall) / calls))
    return [
        (
            name,
            statistics.median(cpu for cpu, _ in timed) * 1e6,
            statistics.median(wall for _, wall in timed) * 1e6,
        )
        for name, timed in samples.items()
    ]


def table(results: list[tuple[str, float, float]]) -> list[str]:
    lines = ["| layer | CPU µs a call | added | wall µs a call |", "|---|---|---|---|"]
    before: float | None = None
    for name, cpu, wall in results:
        # Building the request is a part of every row after it, not a layer under them.
        added = DASH if before is None or name == BUILD else f"{cpu - before:+.0f}"
        lines.append(f"| {name} | {cpu:.0f} | {added} | {wall:.0f} |")
        if name != BUILD:
            before = cpu
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=40, help="rounds; each cell is a median over them (40)")
    parser.add_argument("--calls", type=int, default=200, help="calls a row makes in a round (200)")
    options = parser.parse_args()
    with canned_server() as server:
        base_url = f"{server}/total/1000/latency/0"
        results = asyncio.run(measure(base_url, options.rounds, options.calls))
    print(f"send path of one sequential GET, {options.rounds} rounds of {options.calls} calls a row")
    print("\n".join(table(results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
