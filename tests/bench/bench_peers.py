"""Peer benchmark: itsm_async against raw httpx, raw aiohttp and the stock generated client.

    python tests/bench/bench_peers.py [--rounds 7] [--sequential 2000] ...   (``--help`` lists the sizes)

Every client talks to one canned Spiceworks server (``canned_server.py``) in
a separate process on loopback. The machine is shared and noisy, so nothing
here is an absolute time: in each round every client runs each workload in
turn (the order rotating from round to round), each time is divided by raw
``httpx.AsyncClient`` + ``json.loads`` doing the same work in the same round,
and a cell is the median of those ratios over the rounds (lower is faster).

- A: sequential ``GET`` of a ticket, on one kept-alive connection.
- B: the same ``GET``, with a fixed number of requests in flight.
- C: list pages of 100 tickets, parsed into models (raw clients: ``json`` only);
  and itsm_async in strict mode (``strict=True``), as a ratio to raw httpx in
  the same round.
- D: a collection read by paging, each answer delayed by the server; and,
  when ``paginate`` takes ``concurrency=``, itsm_async's parallel walk as a
  ratio to its own sequential walk in the same round. Raw aiohttp and
  openapi-generator are left out: a sequential walk waits on the latency
  alone, so one more would add time and tell nothing.
- Peak memory growth while paging a large collection (the resident set,
  sampled, in one fresh process per client), as a ratio to raw httpx.
- Import time (``import itsm_async`` against ``import httpx``), each in a
  fresh interpreter.

Clients: ``itsm_async.SpiceworksClient`` with its defaults (retries and auth
on), raw httpx, raw aiohttp, and the stock openapi-python-client output of
``specs/spiceworks-cloud-apps.yaml`` (``stock_client.py``, generated into a
temporary folder); and openapi-generator's python client (its asyncio
library: aiohttp and pydantic) when ``openapi-generator-cli``, Java and the
generated client's dependencies are installed, or else a line saying which
is missing.

Prints one table and the issue's targets for itsm_async, each met or not. It
never fails on timing: the exit status is 1 only when a client failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import inspect
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp
import httpx

from itsm_async import SpiceworksClient

if TYPE_CHECKING:
    from tests.bench.stock_client import (
        GeneratorApi,
        GeneratorPeer,
        GeneratorUnavailable,
        StockApi,
        StockPeer,
        generate,
        generate_openapi_generator,
    )
else:  # run as a script: this folder is first on sys.path
    from stock_client import (
        GeneratorApi,
        GeneratorPeer,
        GeneratorUnavailable,
        StockApi,
        StockPeer,
        generate,
        generate_openapi_generator,
    )

TOKEN = "bench-token"
HTTPX, AIOHTTP, STOCK, GENERATOR, ITSM = (
    "raw httpx",
    "raw aiohttp",
    "stock openapi-python-client",
    "openapi-generator python (aiohttp + pydantic)",
    "itsm_async",
)
COLUMNS = (HTTPX, AIOHTTP, STOCK, GENERATOR, ITSM)
DASH = "\N{EN DASH}"  # a cell with no measurement
TIMES = "\N{MULTIPLICATION SIGN}"
#: Distinct ticket ids asked for by A and B (the server renders each once).
TICKET_IDS = 100


class Peer(Protocol):
    """One client, as every workload calls it; each call parses what it gets."""

    async def open(self) -> None: ...
    async def aclose(self) -> None: ...
    async def get_ticket(self, ticket_id: int) -> object: ...
    async def list_page(self, page: int, per_page: int) -> int: ...
    async def walk(self, per_page: int) -> int: ...


class HttpxPeer:
    """Raw ``httpx.AsyncClient`` and ``json.loads``: the baseline."""

    def __init__(self, base_url: str) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {TOKEN}"})

    async def open(self) -> None:
        await self._client.__aenter__()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _json(self, path: str) -> dict[str, object]:
        response = await self._client.get(path)
        response.raise_for_status()
        data: dict[str, object] = json.loads(response.content)
        return data

    async def get_ticket(self, ticket_id: int) -> object:
        return await self._json(f"/api/v1/tickets/{ticket_id}")

    async def list_page(self, page: int, per_page: int) -> int:
        return len(_tickets(await self._json(f"/api/v1/tickets?page={page}&per_page={per_page}")))

    async def walk(self, per_page: int) -> int:
        return await _walk_json(self._json, per_page)


class AiohttpPeer:
    """Raw ``aiohttp.ClientSession`` and ``json.loads``."""

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        self._session = aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"})

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _json(self, path: str) -> dict[str, object]:
        assert self._session is not None
        async with self._session.get(self._base_url + path) as response:
            response.raise_for_status()
            data: dict[str, object] = json.loads(await response.read())
            return data

    async def get_ticket(self, ticket_id: int) -> object:
        return await self._json(f"/api/v1/tickets/{ticket_id}")

    async def list_page(self, page: int, per_page: int) -> int:
        return len(_tickets(await self._json(f"/api/v1/tickets?page={page}&per_page={per_page}")))

    async def walk(self, per_page: int) -> int:
        return await _walk_json(self._json, per_page)


def _tickets(page: dict[str, object]) -> list[object]:
    tickets = page["tickets"]
    assert isinstance(tickets, list)
    return tickets


async def _walk_json(get: Callable[[str], Awaitable[dict[str, object]]], per_page: int) -> int:
    """Every item by page number until ``meta.total_pages``, as a user of a raw client writes it."""
    seen, page = 0, 1
    while True:
        data = await get(f"/api/v1/tickets?page={page}&per_page={per_page}")
        tickets = _tickets(data)
        seen += len(tickets)
        meta = data["meta"]
        assert isinstance(meta, dict)
        if not tickets or page >= meta["total_pages"]:
            return seen
        page += 1


class ItsmPeer:
    """``itsm_async.SpiceworksClient`` with its defaults: retries, auth and typed errors on."""

    def __init__(self, base_url: str, *, strict: bool | None = None) -> None:
        self.client = SpiceworksClient(token=TOKEN, base_url=base_url, strict=strict)

    async def open(self) -> None:
        pass

    async def aclose(self) -> None:
        await self.client.aclose()

    async def get_ticket(self, ticket_id: int) -> object:
        return await self.client.tickets.get_ticket(ticket_id)

    async def list_page(self, page: int, per_page: int) -> int:
        return len((await self.client.tickets.list_tickets(page=page, per_page=per_page)).tickets)

    async def walk(self, per_page: int, concurrency: int | None = None) -> int:
        # concurrency= only when asked for: paginate may not take it yet.
        options: dict[str, Any] = {} if concurrency is None else {"concurrency": concurrency}
        seen = 0
        # Inside async with, as the README shows a parallel walk: pages stay in flight while items are read.
        async with self.client.paginate(self.client.tickets.list_tickets, per_page=per_page, **options) as items:
            async for _ in items:
                seen += 1
        return seen


def paginate_takes_concurrency() -> bool:
    """Whether ``SpiceworksClient.paginate`` has a ``concurrency`` parameter."""
    return "concurrency" in inspect.signature(SpiceworksClient.paginate).parameters


@dataclass(frozen=True)
class Sizes:
    """The sizes of one run; every one is a command-line flag."""

    rounds: int
    sequential: int
    in_flight_requests: int
    in_flight: int
    pages: int
    per_page: int
    paged_items: int
    latency_ms: int
    concurrency: int
    memory_items: int

    def describe(self) -> str:
        return (
            f"sizes: {self.rounds} rounds; A {self.sequential:,} GETs; B {self.in_flight_requests:,} GETs, "
            f"{self.in_flight} in flight; C {self.pages} pages {TIMES} {self.per_page}; D {self.paged_items:,} items, "
            f"{self.per_page} a page, {self.latency_ms} ms latency, concurrency={self.concurrency}; "
            f"memory {self.memory_items:,} items"
        )


@dataclass(frozen=True)
class Workload:
    """A row of the table: what each client does, against which collection."""

    row: str
    total: int
    latency_ms: int
    run: Callable[[Peer], Awaitable[object]]
    count: int = 0  # requests, for a rate in the baseline's cell
    leave_out: tuple[str, ...] = ()


def workloads(sizes: Sizes) -> list[Workload]:
    async def sequential(peer: Peer) -> None:
        for n in range(sizes.sequential):
            await peer.get_ticket(n % TICKET_IDS + 1)

    async def in_flight(peer: Peer) -> None:
        ids = iter(range(sizes.in_flight_requests))

        async def worker() -> None:
            for n in ids:  # shared: each worker takes the next request
                await peer.get_ticket(n % TICKET_IDS + 1)

        async with asyncio.TaskGroup() as group:
            for _ in range(sizes.in_flight):
                group.create_task(worker())

    async def parsed_pages(peer: Peer) -> None:
        for page in range(1, sizes.pages + 1):
            if await peer.list_page(page, sizes.per_page) != sizes.per_page:
                raise RuntimeError(f"page {page} is not full")

    async def paged(peer: Peer) -> None:
        seen = await peer.walk(sizes.per_page)
        if seen != sizes.paged_items:
            raise RuntimeError(f"the walk saw {seen} items of {sizes.paged_items}")

    collection = sizes.pages * sizes.per_page
    return [
        Workload(f"A {sizes.sequential:,} sequential GET ticket", TICKET_IDS, 0, sequential, sizes.sequential),
        Workload(
            f"B {sizes.in_flight_requests:,} GET, {sizes.in_flight} in flight",
            TICKET_IDS,
            0,
            in_flight,
            sizes.in_flight_requests,
        ),
        Workload(f"C {sizes.pages} pages {TIMES} {sizes.per_page} tickets, parsed", collection, 0, parsed_pages),
        Workload(
            f"D {sizes.paged_items:,} tickets by paging, {sizes.latency_ms} ms server latency",
            sizes.paged_items,
            sizes.latency_ms,
            paged,
            # Latency-bound: more sequential walks would add time and tell nothing.
            leave_out=(AIOHTTP, GENERATOR),
        ),
    ]


def collection_url(server: str, total: int, latency_ms: int) -> str:
    return f"{server}/total/{total}/latency/{latency_ms}"


@contextlib.contextmanager
def canned_server() -> Iterator[str]:
    """The canned server in its own process; yields its URL."""
    script = Path(__file__).with_name("canned_server.py")
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)  # noqa: S603
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("listening on "):
            raise RuntimeError(f"the canned server did not start: {line!r}")
        yield line.removeprefix("listening on ").strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


class ParallelItsmPeer(ItsmPeer):
    """itsm_async walking with ``paginate(..., concurrency=N)``."""

    def __init__(self, base_url: str, concurrency: int) -> None:
        super().__init__(base_url)
        self._concurrency = concurrency

    async def walk(self, per_page: int, concurrency: int | None = None) -> int:
        return await super().walk(per_page, self._concurrency)


def strict_peer(base_url: str) -> ItsmPeer:
    """itsm_async reading strictly: a body that does not fit its schema fails the call."""
    return ItsmPeer(base_url, strict=True)


Key = tuple[str, str]  # (row, client)


class Results:
    """Measurements per row, client and round; the first failure of a cell ends it."""

    def __init__(self) -> None:
        self.values: dict[Key, dict[int, float]] = {}
        self.errors: dict[Key, str] = {}
        self.notes: list[str] = []

    async def measure(self, key: Key, round_: int, measurement: Callable[[], Awaitable[float]]) -> None:
        if key in self.errors:
            return
        try:
            self.values.setdefault(key, {})[round_] = await measurement()
        except Exception as exc:
            self.errors[key] = f"{type(exc).__name__}: {exc}"
            print(f"{key[1]} failed on {key[0]}: {self.errors[key]}", file=sys.stderr)

    def ratio(self, key: Key, base: Key) -> float | None:
        """The median over rounds of the paired ratio ``key / base``."""
        mine, theirs = self.values.get(key, {}), self.values.get(base, {})
        pairs = [mine[r] / theirs[r] for r in mine.keys() & theirs.keys() if theirs[r] > 0]
        return statistics.median(pairs) if pairs else None

    def median(self, key: Key) -> float | None:
        values = list(self.values.get(key, {}).values())
        return statistics.median(values) if values else None


async def time_once(make: Callable[[str], Peer], url: str, work: Callable[[Peer], Awaitable[object]]) -> float:
    """Seconds ``work`` takes on a fresh client, connected before the clock starts."""
    peer = make(url)
    await peer.open()
    try:
        await peer.list_page(1, 1)
        gc.collect()
        started = time.perf_counter()
        await work(peer)
        return time.perf_counter() - started
    finally:
        await peer.aclose()


@dataclass
class Generated:
    """Where the generated clients are (folder for ``sys.path``, package), when they were generated."""

    stock: tuple[Path, str] | None = None
    generator: tuple[Path, str] | None = None

    def child_arguments(self) -> list[str]:
        """The same clients, for ``--memory-child``."""
        arguments = []
        for flag, where in (("--stock", self.stock), ("--generator", self.generator)):
            if where is not None:
                arguments += [flag, f"{where[0]}{os.pathsep}{where[1]}"]
        return arguments

    @staticmethod
    def parse(argument: str | None) -> tuple[Path, str] | None:
        if argument is None:
            return None
        path, _, package = argument.rpartition(os.pathsep)
        return Path(path), package

    def child_env(self) -> dict[str, str]:
        """The environment of a child process that imports them."""
        paths = [str(where[0]) for where in (self.stock, self.generator) if where is not None]
        paths += [os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []
        return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def peer_factories(generated: Generated) -> dict[str, Callable[[str], Peer]]:
    """Each client that is available, by column."""
    factories: dict[str, Callable[[str], Peer]] = {HTTPX: HttpxPeer, AIOHTTP: AiohttpPeer}
    if generated.stock is not None:
        stock = StockApi(*generated.stock)
        factories[STOCK] = lambda url: StockPeer(stock, url, TOKEN)
    if generated.generator is not None:
        generator = GeneratorApi(*generated.generator)
        factories[GENERATOR] = lambda url: GeneratorPeer(generator, url, TOKEN)
    factories[ITSM] = ItsmPeer
    return factories


async def run_rounds(sizes: Sizes, server: str, results: Results, generated: Generated) -> None:
    """Every workload for every client, interleaved, round after round."""
    factories = peer_factories(generated)
    names = list(factories)
    parallel = paginate_takes_concurrency()
    for round_ in range(sizes.rounds):
        started = time.perf_counter()
        shift = round_ % len(names)
        order = names[shift:] + names[:shift]
        for workload in workloads(sizes):
            url = collection_url(server, workload.total, workload.latency_ms)
            for name in order:
                if name in workload.leave_out:
                    continue
                timed = functools.partial(time_once, factories[name], url, workload.run)
                await results.measure((workload.row, name), round_, timed)
                if name == ITSM and workload.row.startswith("C "):
                    timed = functools.partial(time_once, strict_peer, url, workload.run)
                    await results.measure((strict_row(sizes), ITSM), round_, timed)
                if name == ITSM and workload.row.startswith("D ") and parallel:
                    make = functools.partial(ParallelItsmPeer, concurrency=sizes.concurrency)
                    timed = functools.partial(time_once, make, url, workload.run)
                    await results.measure((parallel_row(sizes), ITSM), round_, timed)
        print(f"round {round_ + 1}/{sizes.rounds}: {time.perf_counter() - started:.1f} s", file=sys.stderr)


def strict_row(sizes: Sizes) -> str:
    return f"C {sizes.pages} pages {TIMES} {sizes.per_page} tickets, parsed, strict mode"


def parallel_row(sizes: Sizes) -> str:
    return f"D with concurrency={sizes.concurrency}, vs its own sequential walk"


def memory_row(sizes: Sizes) -> str:
    return f"peak memory while paging {sizes.memory_items:,} items"


IMPORT_ROW = "import time"
IMPORTS = {
    HTTPX: "import httpx",
    AIOHTTP: "import aiohttp",
    ITSM: "import itsm_async",
}


def _run_child(command: list[str], env: dict[str, str]) -> float:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}")
    return float(done.stdout.strip().splitlines()[-1])


async def measure_memory(sizes: Sizes, server: str, results: Results, generated: Generated) -> None:
    """Peak memory growth during one walk, each client in a fresh process, all at once.

    Memory does not depend on the time a walk takes, so the walks share the
    cores rather than wait for each other.
    """
    started = time.perf_counter()
    url = collection_url(server, sizes.memory_items, 0)
    async with asyncio.TaskGroup() as group:
        for name in peer_factories(generated):
            command = [sys.executable, __file__, "--memory-child", name, "--url", url]
            command += ["--per-page", str(sizes.per_page), "--memory-items", str(sizes.memory_items)]
            command += generated.child_arguments()
            child = functools.partial(asyncio.to_thread, _run_child, command, generated.child_env())
            group.create_task(results.measure((memory_row(sizes), name), 0, child))
    print(f"memory: {time.perf_counter() - started:.1f} s", file=sys.stderr)


_STATM = Path("/proc/self/statm")


def _has_statm() -> bool:
    return _STATM.exists()


def _resident_bytes() -> int:
    """This process's resident set (Linux ``/proc/self/statm``: its second field, in pages)."""
    return int(_STATM.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def _peak_growth(walk: Awaitable[int]) -> tuple[int, int]:
    """Items walked and the peak memory growth while walking them.

    The resident set, sampled every 2 ms, over its size when the walk began:
    what the operating system sees, at no cost to the walk. tracemalloc
    (Python's own allocations) where there is no ``/proc``: it slows a walk
    of httpx responses several times over.
    """
    if not _has_statm():
        tracemalloc.start()
        try:
            return await walk, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    start = peak = _resident_bytes()

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, _resident_bytes())
            await asyncio.sleep(0.002)

    sampler = asyncio.create_task(sample())
    try:
        seen = await walk
    finally:
        sampler.cancel()
    return seen, max(peak, _resident_bytes()) - start


async def memory_child(name: str, url: str, per_page: int, items: int, generated: Generated) -> None:
    """In the child process: walk ``items`` items and print the peak memory growth in bytes."""
    peer = peer_factories(generated)[name](url)
    await peer.open()
    try:
        await peer.list_page(1, 1)
        gc.collect()
        seen, peak = await _peak_growth(peer.walk(per_page))
    finally:
        await peer.aclose()
    if seen != items:
        raise RuntimeError(f"the walk saw {seen} items of {items}")
    print(peak)


async def measure_imports(sizes: Sizes, results: Results, generated: Generated) -> None:
    """Seconds each client's import takes in a fresh interpreter (startup excluded), interleaved."""
    started = time.perf_counter()
    imports = dict(IMPORTS)
    if generated.generator is not None:
        imports[GENERATOR] = f"import {generated.generator[1]}"
    if generated.stock is not None:
        package = generated.stock[1]
        imports[STOCK] = (
            f"import {package}.client, {package}.api.tickets.get_ticket, {package}.api.tickets.list_tickets"
        )
    env = generated.child_env()
    names = list(imports)
    for round_ in range(-1, sizes.rounds):  # round -1 writes the bytecode caches, and is not counted
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            code = f"import time\nstarted = time.perf_counter()\n{imports[name]}\nprint(time.perf_counter() - started)"
            child = functools.partial(asyncio.to_thread, _run_child, [sys.executable, "-c", code], env)
            await results.measure((IMPORT_ROW, name), round_, child)
    for values in results.values.values():
        values.pop(-1, None)
    print(f"import time: {time.perf_counter() - started:.1f} s", file=sys.stderr)


def _cell(ratio: float | None, note: str = "") -> str:
    if ratio is None:
        return DASH
    return f"{ratio:.2f} ({note})" if note else f"{ratio:.2f}"


def _rate(results: Results, key: Key, count: int) -> str:
    seconds = results.median(key)
    return f"{count / seconds:,.0f} req/s" if seconds else ""


def table(sizes: Sizes, results: Results) -> list[str]:
    """The markdown table: one row per workload, one column per client."""
    rows: list[tuple[str, dict[str, str]]] = []
    for workload in workloads(sizes):
        base = (workload.row, HTTPX)
        cells = {}
        for name in COLUMNS:
            key = (workload.row, name)
            note = ""
            if workload.count and name in (HTTPX, AIOHTTP):
                note = _rate(results, key, workload.count)
            elif name == HTTPX and results.median(key) is not None:
                note = f"{results.median(key):.3g} s"
            cells[name] = "error" if key in results.errors else _cell(results.ratio(key, base), note)
        rows.append((workload.row, cells))
        if workload.row.startswith("C "):
            strict = (strict_row(sizes), ITSM)
            rows.append(
                (strict[0], {ITSM: "error" if strict in results.errors else _cell(results.ratio(strict, base))})
            )
        if workload.row.startswith("D "):
            parallel = (parallel_row(sizes), ITSM)
            mine = "n/a: paginate takes no concurrency=" if not paginate_takes_concurrency() else ""
            mine = (
                "error" if parallel in results.errors else mine or _cell(results.ratio(parallel, (workload.row, ITSM)))
            )
            rows.append((parallel[0], {ITSM: mine}))
    for row, unit in ((memory_row(sizes), "MB"), (IMPORT_ROW, "s")):
        cells = {}
        for name in COLUMNS:
            key = (row, name)
            note = ""
            base_value = results.median(key)
            if name == HTTPX and base_value is not None:
                note = f"{base_value / 1e6:.1f} MB" if unit == "MB" else f"{base_value:.3f} s"
            cells[name] = "error" if key in results.errors else _cell(results.ratio(key, (row, HTTPX)), note)
        rows.append((row, cells))
    lines = ["| workload | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    lines += [f"| {row} | " + " | ".join(cells.get(name, DASH) for name in COLUMNS) + " |" for row, cells in rows]
    return lines


def targets(sizes: Sizes, results: Results) -> list[str]:
    """The issue's targets for itsm_async, each met or not."""
    rows = {workload.row[0]: workload.row for workload in workloads(sizes)}
    checks = [
        (f"B ≤ 0.25 ({rows['B']}, itsm_async vs raw httpx)", (rows["B"], ITSM), (rows["B"], HTTPX), 0.25),
        (f"A ≤ 0.6 ({rows['A']}, itsm_async vs raw httpx)", (rows["A"], ITSM), (rows["A"], HTTPX), 0.6),
        (f"C ≤ 1.3 ({rows['C']}, itsm_async vs raw httpx)", (rows["C"], ITSM), (rows["C"], HTTPX), 1.3),
        (f"C(strict) ≤ 1.3 ({strict_row(sizes)}, vs raw httpx)", (strict_row(sizes), ITSM), (rows["C"], HTTPX), 1.3),
        (
            f"D(concurrency={sizes.concurrency}) ≤ 0.2 of itsm_async's sequential walk",
            (parallel_row(sizes), ITSM),
            (rows["D"], ITSM),
            0.2,
        ),
    ]
    lines = []
    for name, key, base, limit in checks:
        ratio = results.ratio(key, base)
        if ratio is None:
            if key in results.errors or base in results.errors:
                why = "a client failed"
            elif key[0] == parallel_row(sizes) and not paginate_takes_concurrency():
                why = "paginate takes no concurrency="
            else:
                why = "no measurement"
            lines.append(f"target {name}: not met ({why})")
        else:
            lines.append(f"target {name}: {ratio:.2f}, {'met' if ratio <= limit else 'not met'}")
    return lines


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_argument_group("sizes")
    size.add_argument("--rounds", type=int, default=7, help="rounds; each cell is a median over them (7)")
    size.add_argument("--sequential", type=int, default=2000, help="A: sequential GETs (2000)")
    size.add_argument("--in-flight-requests", type=int, default=800, help="B: GETs (800)")
    size.add_argument("--in-flight", type=int, default=64, help="B: requests in flight (64)")
    size.add_argument("--pages", type=int, default=150, help="C: pages parsed (150)")
    size.add_argument("--per-page", type=int, default=100, help="C, D and memory: items a page (100)")
    size.add_argument("--paged-items", type=int, default=10_000, help="D: items paged through (10000)")
    size.add_argument("--latency-ms", type=int, default=20, help="D: server latency in ms (20)")
    size.add_argument("--concurrency", type=int, default=8, help="D: paginate's concurrency= (8)")
    size.add_argument("--memory-items", type=int, default=100_000, help="memory: items paged through (100000)")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--stock", help=argparse.SUPPRESS)
    parser.add_argument("--generator", help=argparse.SUPPRESS)
    return parser.parse_args()


def _generated_and_imported(
    generator: Callable[[Path], tuple[Path, str]], api: Callable[[Path, str], object], folder: Path
) -> tuple[Path, str]:
    where = generator(folder)
    api(*where)  # an import error is the client's failure, reported as such
    return where


async def generate_clients(folder: Path, results: Results) -> Generated:
    """Both stock generated clients, side by side; openapi-generator's only when it is installed."""
    stock, generator = await asyncio.gather(
        asyncio.to_thread(_generated_and_imported, generate, StockApi, folder),
        asyncio.to_thread(_generated_and_imported, generate_openapi_generator, GeneratorApi, folder),
        return_exceptions=True,
    )
    generated = Generated()
    if isinstance(stock, BaseException):
        results.errors[("generate", STOCK)] = f"{type(stock).__name__}: {stock}"
    else:
        generated.stock = stock
    if isinstance(generator, GeneratorUnavailable):
        results.notes.append(f"{GENERATOR}: skipped: {generator}")
        print(results.notes[-1], file=sys.stderr)
    elif isinstance(generator, BaseException):
        results.errors[("generate", GENERATOR)] = f"{type(generator).__name__}: {generator}"
    else:
        generated.generator = generator
    return generated


async def bench(sizes: Sizes, server: str, folder: Path) -> int:
    results = Results()
    generated = await generate_clients(folder, results)
    await run_rounds(sizes, server, results, generated)
    await measure_memory(sizes, server, results, generated)
    await measure_imports(sizes, results, generated)
    print()
    print("\n".join(table(sizes, results)))
    print()
    print("\n".join([*results.notes, *targets(sizes, results)]))
    for (row, name), error in sorted(results.errors.items()):
        print(f"error: {name} on {row}: {error}")
    return 1 if results.errors else 0


def main() -> int:
    args = arguments()
    if args.memory_child:
        generated = Generated(Generated.parse(args.stock), Generated.parse(args.generator))
        asyncio.run(memory_child(args.memory_child, args.url, args.per_page, args.memory_items, generated))
        return 0
    sizes = Sizes(
        rounds=args.rounds,
        sequential=args.sequential,
        in_flight_requests=args.in_flight_requests,
        in_flight=args.in_flight,
        pages=args.pages,
        per_page=args.per_page,
        paged_items=args.paged_items,
        latency_ms=args.latency_ms,
        concurrency=args.concurrency,
        memory_items=args.memory_items,
    )
    print(sizes.describe(), flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="itsm-bench-peers-") as folder, canned_server() as server:
        status = asyncio.run(bench(sizes, server, Path(folder)))
    print(f"took {time.perf_counter() - started:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
