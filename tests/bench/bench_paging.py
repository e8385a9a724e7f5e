"""Benchmarks: paging cost against a baseline measured in the same run (``nox -s bench``).

The machine is shared and noisy, so nothing here is an absolute time: each
figure is a ratio between two runs of the same work made moments apart.

- Sandbox paging at 100,000 records against 300: the time per page must not
  grow with the collection (in memory and in SQLite, for both APIs).
- Client paging memory: the live memory while ``async for`` walks 20,000
  items against the same walk at item 2,000 must not grow, since one page
  is held at a time (measured after a garbage collection, so that garbage
  awaiting the collector does not count as held).

- Served keep-alive: requests per second of sequential ``get_ticket`` calls
  through one ``SpiceworksClient`` on a kept-alive connection to
  ``serve()``, against a new connection per request (urllib) and against
  raw httpx on a kept-alive connection, each the median of ``ROUNDS``
  interleaved rounds. A response written in pieces meeting the client's
  delayed ACK (Nagle) stalls each kept-alive request ~40 ms, which shows as
  a first ratio far below 1. Reported only: no limit.

Prints each ratio; exits 1 when a ratio with a limit passes it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from pathlib import Path

import httpx

from itsm_async import SpiceworksClient
from itsm_async.sandbox import Sandbox, SeedCounts, serve

SMALL, LARGE = 300, 100_000
PAGES = 15
PER_PAGE = 20
TIME_LIMIT = 3.0
MEMORY_LIMIT = 1.5
KEEP_ALIVE_CALLS = 300
ROUNDS = 5


def counts(records: int) -> SeedCounts:
    return SeedCounts(tickets=records, incidents=records, users=50, devices=50, problems=5, changes=5)


async def seconds_per_page(sandbox: Sandbox) -> float:
    """Median seconds to fetch one page, over pages spread through the collection."""
    samples: list[float] = []
    async with sandbox.spiceworks_client() as sw, sandbox.kloudless_client() as kl:
        for number in range(1, PAGES + 1):
            started = time.perf_counter()
            await sw.tickets.list_tickets(page=number, per_page=PER_PAGE)
            samples.append(time.perf_counter() - started)
        pages = kl.paginate(kl.incidents.list_incidents, page_size=PER_PAGE).pages()
        for _ in range(PAGES):
            started = time.perf_counter()
            await anext(pages)
            samples.append(time.perf_counter() - started)
        await pages.aclose()
    return statistics.median(samples)


async def live_bytes_while_paging(sandbox: Sandbox, checkpoints: tuple[int, ...]) -> list[int]:
    """Traced live memory at each checkpoint (items seen) of one walk through the client."""
    live = []
    async with sandbox.kloudless_client() as kl:
        gc.collect()
        tracemalloc.start()
        seen = 0
        async for _ in kl.paginate(kl.incidents.list_incidents, page_size=PER_PAGE, max_items=max(checkpoints)):
            seen += 1
            if seen in checkpoints:
                gc.collect()
                live.append(tracemalloc.get_traced_memory()[0])
        tracemalloc.stop()
    assert len(live) == len(checkpoints)
    return live


async def requests_per_second(url: str) -> dict[str, float]:
    """Sequential ``GET /api/v1/tickets/1`` per second: through the client, raw httpx and new connections."""
    rates = {}
    async with SpiceworksClient(token="bench", base_url=url) as client:
        await client.tickets.get_ticket(1)  # connect
        start = time.perf_counter()
        for _ in range(KEEP_ALIVE_CALLS):
            await client.tickets.get_ticket(1)
        rates["client"] = KEEP_ALIVE_CALLS / (time.perf_counter() - start)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": "Bearer bench"}) as raw:
        (await raw.get("/api/v1/tickets/1")).raise_for_status()  # connect
        start = time.perf_counter()
        for _ in range(KEEP_ALIVE_CALLS):
            (await raw.get("/api/v1/tickets/1")).raise_for_status()
        rates["httpx"] = KEEP_ALIVE_CALLS / (time.perf_counter() - start)
    rates["new connection"] = await asyncio.to_thread(_new_connections_per_second, url)
    return rates


def _new_connections_per_second(url: str) -> float:
    request = urllib.request.Request(f"{url}/api/v1/tickets/1", headers={"Authorization": "Bearer bench"})  # noqa: S310
    start = time.perf_counter()
    for _ in range(KEEP_ALIVE_CALLS):
        with urllib.request.urlopen(request) as response:  # noqa: S310 (a loopback http:// URL)
            response.read()
    return KEEP_ALIVE_CALLS / (time.perf_counter() - start)


def report(name: str, ratio: float, limit: float | None) -> bool:
    verdict = "(reported only)" if limit is None else "ok" if ratio <= limit else f"OVER LIMIT {limit}"
    print(f"{name:<58} {ratio:6.2f}x  {verdict}")
    return limit is None or ratio <= limit


async def main() -> int:
    """Run every benchmark; returns the exit status."""
    argparse.ArgumentParser(description=__doc__).parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        for storage in ("memory", "sqlite"):
            per_page = {}
            for records in (SMALL, LARGE):
                db = Path(folder, f"{records}.db") if storage == "sqlite" else None
                with Sandbox(seed=1, counts=counts(records), db_path=db) as sandbox:
                    await seconds_per_page(sandbox)  # warm up
                    per_page[records] = await seconds_per_page(sandbox)
            name = f"time per page, {LARGE:,} vs {SMALL} records ({storage})"
            ok &= report(name, per_page[LARGE] / per_page[SMALL], TIME_LIMIT)
    with Sandbox(seed=1, counts=counts(20_000)) as sandbox:
        # Warm up past every bounded cache on the way (urllib's urlsplit cache holds 128 URLs).
        await live_bytes_while_paging(sandbox, (5_000,))
        small, large = await live_bytes_while_paging(sandbox, (2_000, 20_000))
    ok &= report("client live memory at item 20,000 vs item 2,000 of one walk", large / small, MEMORY_LIMIT)
    with serve("--seed", "1") as url:
        # Interleaved rounds, each kind's median: one busy moment on a shared machine skews one round only.
        rounds = [await requests_per_second(url) for _ in range(ROUNDS)]
    rates = {kind: statistics.median(r[kind] for r in rounds) for kind in rounds[0]}
    print(
        f"served get_ticket: {rates['client']:,.0f} req/s through SpiceworksClient kept alive; "
        f"{rates['httpx']:,.0f} raw httpx kept alive; {rates['new connection']:,.0f} a new connection each "
        f"(medians of {ROUNDS} rounds of {KEEP_ALIVE_CALLS})"
    )
    report("served req/s, client kept alive vs a new connection each", rates["client"] / rates["new connection"], None)
    report("served req/s, client kept alive vs raw httpx kept alive", rates["client"] / rates["httpx"], None)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
