"""Requests in flight and latency: what a test of a client's concurrency limit reads from the sandbox.

No test waits for real: latency is held on trio's autojumping ``MockClock``
(virtual time) or on an injected sleep.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
import trio
from trio.testing import MockClock

from itsm_async.sandbox import IN_PROCESS_URL, Sandbox, SeedCounts
from itsm_async.sandbox.__main__ import build_parser, sandbox_from

AUTH = {"Authorization": "Bearer t"}
COUNTS = SeedCounts(users=5, tickets=30, devices=3, incidents=10, problems=1, changes=1, articles=1, assets=1)
INCIDENTS = "/v1/accounts/123/itsm/incidents"


def run_virtual(flow: Callable[[], Awaitable[object]]) -> float:
    """Run ``flow`` on trio in virtual time; its virtual seconds."""
    clock = MockClock(autojump_threshold=0)

    async def timed() -> float:
        start = trio.current_time()
        await flow()
        return trio.current_time() - start

    elapsed: float = anyio.run(timed, backend="trio", backend_options={"clock": clock})
    return elapsed


async def _gather(sandbox: Sandbox, paths: list[str], limit: int | None = None) -> list[int]:
    """GET every path at once (at most ``limit`` at a time); their statuses."""
    statuses: list[int] = []
    gate = anyio.CapacityLimiter(limit or len(paths))
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=IN_PROCESS_URL, headers=AUTH) as http:

        async def one(path: str) -> None:
            async with gate:
                statuses.append((await http.get(path)).status_code)

        async with anyio.create_task_group() as group:
            for path in paths:
                group.start_soon(one, path)
    return statuses


def test_latency_holds_every_answer_in_virtual_time_and_requests_overlap() -> None:
    with Sandbox(counts=COUNTS, latency=0.25) as sandbox:
        paths = [f"/api/v1/tickets/{n}" for n in range(1, 9)]
        started = time.monotonic()
        elapsed = run_virtual(lambda: _gather(sandbox, paths))
        real = time.monotonic() - started
        # Eight requests at once, each held 0.25 s: 0.25 s in all, not 2 s; and no real wait.
        assert elapsed == pytest.approx(0.25)
        assert real < 0.25
        assert sandbox.stats.peak_in_flight == 8
        assert sandbox.stats.peak_in_flight_by_api == {"spiceworks": 8}
        assert sandbox.stats.in_flight == 0
        assert sandbox.stats.requests["getTicket"] == 8


def test_the_peak_is_what_the_caller_lets_through() -> None:
    with Sandbox(counts=COUNTS, latency=0.1) as sandbox:
        paths = [f"/api/v1/tickets/{n}" for n in range(1, 21)] + [INCIDENTS] * 5
        elapsed = run_virtual(lambda: _gather(sandbox, paths, limit=3))
        assert sandbox.stats.peak_in_flight == 3
        assert elapsed == pytest.approx(0.1 * 25 / 3, abs=0.11)  # nine rounds of three, the last of one
        assert sandbox.stats.requests["getTicket"] == 20
        assert sandbox.stats.requests["listIncidents"] == 5
        assert sandbox.stats.requests["spiceworks"] + sandbox.stats.requests["kloudless"] == 25


def test_without_latency_sequential_requests_never_overlap() -> None:
    with Sandbox(counts=COUNTS) as sandbox:
        elapsed = run_virtual(lambda: _gather(sandbox, ["/api/v1/tickets/1"] * 5, limit=1))
        assert elapsed == 0
        assert sandbox.stats.peak_in_flight == 1


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_injected_sleep_is_what_waits(backend: str) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        await anyio.lowlevel.checkpoint()

    with Sandbox(counts=COUNTS, latency=30.0, sleep=fake_sleep, faults="script=ok+slow,delay=2") as sandbox:
        started = time.monotonic()
        anyio.run(lambda: _gather(sandbox, ["/api/v1/tickets/1", "/api/v1/tickets/2"], limit=1), backend=backend)
        assert time.monotonic() - started < 5
        # Latency on both answers; the slow fault's delay on the second, through the same sleep.
        assert slept == [30.0, 30.0, 2.0]


def test_a_request_is_in_flight_until_its_answer_is_sent() -> None:
    seen: list[int] = []

    with Sandbox(counts=COUNTS) as sandbox:

        async def watching_sleep(seconds: float) -> None:
            seen.append(sandbox.stats.in_flight_by_api["kloudless"])
            await anyio.sleep(seconds)

        sandbox.app._sleep = watching_sleep
        sandbox.latency = 1.0
        run_virtual(lambda: _gather(sandbox, [INCIDENTS] * 4))
        assert seen == [1, 2, 3, 4]
        assert sandbox.stats.in_flight_by_api["kloudless"] == 0


def test_reset_restarts_the_peak_and_stats_show_it() -> None:
    with Sandbox(counts=COUNTS, latency=0.5) as sandbox:
        run_virtual(lambda: _gather(sandbox, [INCIDENTS] * 6))

        async def read_stats() -> dict[str, Any]:
            async with httpx.AsyncClient(transport=sandbox.transport(), base_url=IN_PROCESS_URL) as http:
                stats: dict[str, Any] = (await http.get("/_sandbox/stats")).json()
                return stats

        before: dict[str, Any] = anyio.run(read_stats)
        assert (before["in_flight"], before["peak_in_flight"]) == (0, 6)
        assert before["peak_in_flight_by_api"] == {"kloudless": 6}
        assert before["requests"]["listIncidents"] == 6
        sandbox.reset()
        after: dict[str, Any] = anyio.run(read_stats)
        assert (after["in_flight"], after["peak_in_flight"], after["peak_in_flight_by_api"]) == (0, 0, {})


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf")])
def test_latency_is_seconds(bad: float) -> None:
    with pytest.raises(ValueError, match="latency"):
        Sandbox(counts=COUNTS, latency=bad)
    with Sandbox(counts=COUNTS) as sandbox:
        with pytest.raises(ValueError, match="latency"):
            sandbox.latency = bad
        assert sandbox.latency == 0
    with pytest.raises(TypeError, match="latency"):
        Sandbox(counts=COUNTS, latency="0.1")  # type: ignore[arg-type]


def test_the_command_line_takes_a_latency(capsys: pytest.CaptureFixture[str]) -> None:
    assert build_parser().parse_args(["--latency", "0.02"]).latency == 0.02
    assert build_parser().parse_args([]).latency == 0
    for bad in ("-1", "nan", "soon"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["--latency", bad])
        assert "--latency" in capsys.readouterr().err


def test_the_command_line_latency_reaches_the_sandbox() -> None:
    args = build_parser().parse_args(["--latency", "0.02", "--tickets", "2", "--users", "3"])
    with sandbox_from(args) as sandbox:
        assert sandbox.latency == 0.02
        assert sandbox.app.latency == 0.02
