"""The retry budget caps the whole call: attempts' timeouts are clipped to what is left (``_transport.py``).

Time is fake here: a clock that moves only when a fake attempt "takes" time
or a fake sleep "waits", or trio's virtual clock. No test waits for real.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
import pytest
import stamina
import trio
import trio.testing

from itsm_async import ApiConnectionError, ApiTimeoutError, RetryEvent, RetryPolicy, RetryTransport, SpiceworksClient

URL = "https://sw.test/x"
SPICEWORKS_URL = "https://sw.test"
CLIENT_TIMEOUT = httpx.Timeout(30, connect=5)
#: A ticket with every field the spec says the API always returns.
WHEN = "2024-05-01T09:00:00+00:00"
TICKET = {
    "ticket": {
        "id": 42,
        "summary": "Printer on fire",
        "status": "open",
        "priority": "high",
        "created_at": WHEN,
        "updated_at": WHEN,
    }
}


class FakeTime:
    """A clock, and a sleep that moves it, for ``RetryTransport(clock=, sleep=)``."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class SlowServer:
    """Each attempt takes ``seconds`` of fake time, unless its read timeout is shorter.

    It honours ``request.extensions["timeout"]`` as httpcore does: an attempt
    whose read timeout runs out first takes that long and raises ReadTimeout.
    """

    def __init__(self, time: FakeTime, seconds: float, status: int = 503) -> None:
        self.time = time
        self.seconds = seconds
        self.status = status
        self.timeouts: list[dict[str, float | None]] = []
        self.started: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        timeouts: dict[str, float | None] = dict(request.extensions["timeout"])
        self.timeouts.append(timeouts)
        self.started.append(self.time.now)
        read = timeouts["read"]
        if read is not None and read < self.seconds:
            self.time.now += read
            raise httpx.ReadTimeout("timed out", request=request)
        self.time.now += self.seconds
        return httpx.Response(self.status)


def transport_for(server: SlowServer, policy: RetryPolicy, events: list[RetryEvent] | None = None) -> RetryTransport:
    return RetryTransport(
        httpx.MockTransport(server),
        policy,
        on_retry=None if events is None else events.append,
        clock=server.time,
        sleep=server.time.sleep,
    )


async def get(transport: RetryTransport, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=transport, timeout=kwargs.pop("timeout", CLIENT_TIMEOUT)) as http:
        return await http.get(URL, **kwargs)


#: budget=1.0 and attempts of 0.9 s: before, the second attempt ran whole and the call took 1.85 s.
ONE_SECOND = RetryPolicy(budget=1.0, initial_backoff=0.05, jitter=0)


async def test_the_budget_caps_the_whole_call() -> None:
    time = FakeTime()
    server = SlowServer(time, 0.9)
    events: list[RetryEvent] = []
    transport = transport_for(server, ONE_SECOND, events)
    with stamina.set_testing(False), pytest.raises(httpx.ReadTimeout):
        await get(transport)
    assert time.now == pytest.approx(1.0)
    assert server.started == pytest.approx([0.0, 0.95])
    assert time.slept == [0.05]
    # The first attempt's timeouts are clipped to the budget, the second's to what is left of it.
    assert server.timeouts[0] == {"connect": 1.0, "read": 1.0, "write": 1.0, "pool": 1.0}
    assert server.timeouts[1] == pytest.approx({"connect": 0.05, "read": 0.05, "write": 0.05, "pool": 0.05})
    assert [(event.attempt, event.delay, event.reason) for event in events] == [(1, 0.05, "status 503")]
    assert transport.retries == 1


async def test_the_budget_caps_the_call_in_testing_mode_too() -> None:
    time = FakeTime()
    server = SlowServer(time, 0.9)
    transport = transport_for(server, ONE_SECOND)
    with stamina.set_testing(True, attempts=3, cap=True), pytest.raises(httpx.ReadTimeout):
        await get(transport)
    # The wait is zeroed, so the second attempt gets the 0.1 s the wait would have used.
    assert time.now == pytest.approx(1.0)
    assert time.slept == [0.0]
    assert server.timeouts[1]["read"] == pytest.approx(0.1)
    assert transport.retries == 1


async def test_shorter_timeouts_are_kept_and_missing_ones_get_what_is_left() -> None:
    time = FakeTime()
    server = SlowServer(time, 0.1, status=200)
    transport = transport_for(server, RetryPolicy(budget=10))
    await get(transport, timeout=httpx.Timeout(None, read=2.5))
    assert server.timeouts == [{"connect": 10.0, "read": 2.5, "write": 10.0, "pool": 10.0}]


async def test_the_callers_request_keeps_its_own_timeouts() -> None:
    # The auth flow replays the same request after a 401: it must not carry a previous clip.
    time = FakeTime()
    server = SlowServer(time, 0.1, status=200)
    transport = transport_for(server, RetryPolicy(budget=1))
    async with httpx.AsyncClient(transport=transport, timeout=CLIENT_TIMEOUT) as http:
        request = http.build_request("GET", URL)
        await http.send(request)
        await http.send(request)
    assert request.extensions["timeout"] == {"connect": 5.0, "read": 30.0, "write": 30.0, "pool": 30.0}
    assert [timeouts["read"] for timeouts in server.timeouts] == pytest.approx([1.0, 1.0])


async def test_no_retry_when_the_wait_would_use_up_the_budget() -> None:
    time = FakeTime()
    server = SlowServer(time, 0.9)
    events: list[RetryEvent] = []
    transport = transport_for(server, RetryPolicy(budget=1.0, initial_backoff=0.1, jitter=0), events)
    with stamina.set_testing(False):
        response = await get(transport)
    # 0.9 + 0.1 leaves nothing for a second attempt: the caller gets the first 503.
    assert response.status_code == 503
    assert len(server.started) == 1
    assert events == []
    assert transport.retries == 0
    assert time.now == pytest.approx(0.9)


async def test_a_wait_that_overruns_sends_nothing_more() -> None:
    # A late wake-up (a busy event loop) may leave no time once the wait is over.
    time = FakeTime()
    server = SlowServer(time, 0.5)

    async def late_sleep(seconds: float) -> None:
        time.now += seconds + 1

    transport = RetryTransport(httpx.MockTransport(server), ONE_SECOND, clock=time, sleep=late_sleep)
    with stamina.set_testing(False), pytest.raises(httpx.PoolTimeout, match="budget of 1s ran out before sending"):
        await get(transport)
    assert len(server.started) == 1
    assert transport.retries == 0  # announced, but never sent


def run_in_virtual_time(scenario: Callable[[], Awaitable[None]], backend: str = "trio") -> float:
    """Run ``scenario`` with a clock that jumps whenever every task sleeps; return its virtual seconds."""
    if backend == "asyncio":

        async def main() -> None:
            await scenario()

        with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
            runner.run(main())
            loop = runner.get_loop()
            assert isinstance(loop, VirtualTimeLoop)
            return loop.now
    clock = trio.testing.MockClock(autojump_threshold=0)
    trio.run(scenario, clock=clock)
    return clock.current_time()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on a virtual clock: when nothing is ready, it jumps to the next timer instead of waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        super().__init__(_JumpingSelector(self))

    def time(self) -> float:
        return self.now


class _JumpingSelector(selectors.DefaultSelector):
    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if not ready and timeout is not None and timeout > 0:
            self._loop.now += timeout
        return ready


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize("testing", [False, True], ids=["real-waits", "testing-mode"])
def test_a_transport_ignoring_timeouts_is_cut_short_at_the_budget(testing: bool, backend: str) -> None:
    # The in-memory transport never reads the timeout extension: the budget holds all the same,
    # and the caller gets the typed timeout.
    requests: list[httpx.Request] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        await anyio.sleep(0.9)
        return httpx.Response(503)

    async def scenario() -> None:
        async with SpiceworksClient(
            token="t0k3n", base_url=SPICEWORKS_URL, transport=httpx.MockTransport(slow), retry=ONE_SECOND
        ) as client:
            with pytest.raises(ApiTimeoutError) as caught:
                await client.tickets.get_ticket(42)
            assert client.retries == 1
        assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
        assert "budget" in str(caught.value.__cause__)

    with stamina.set_testing(testing, attempts=3, cap=True):
        elapsed = run_in_virtual_time(scenario, backend)
    assert elapsed == pytest.approx(1.0)
    assert len(requests) == 2


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_timeout_the_transport_raises_itself_is_not_the_budgets(backend: str) -> None:
    # Raised inside the cap, well within the budget: the transport's own error, not a cut.
    async def times_out(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(0.1)
        raise TimeoutError("the transport's own")

    async def scenario() -> None:
        async with SpiceworksClient(
            token="t0k3n", base_url=SPICEWORKS_URL, transport=httpx.MockTransport(times_out), retry=ONE_SECOND
        ) as client:
            with pytest.raises(ApiConnectionError, match="the transport's own") as caught:
                await client.tickets.get_ticket(42)
        assert isinstance(caught.value.__cause__, TimeoutError)
        assert "budget" not in str(caught.value)

    with stamina.set_testing(False):
        elapsed = run_in_virtual_time(scenario, backend)
    assert elapsed == pytest.approx(0.1)


def test_the_virtual_time_loop_jumps_to_the_next_timer() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        woke: list[float] = []
        loop.call_later(5, lambda: woke.append(loop.time()))
        await asyncio.sleep(2)
        woke.append(loop.time())
        await asyncio.sleep(4)
        assert woke == [2.0, 5.0]

    assert run_in_virtual_time(scenario, "asyncio") == pytest.approx(6.0)


def test_a_call_within_the_budget_is_not_cut() -> None:
    statuses = [503, 503, 200]

    async def answer(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(0.4)
        return httpx.Response(statuses.pop(0), json=TICKET)

    async def scenario() -> None:
        async with SpiceworksClient(
            token="t0k3n",
            base_url=SPICEWORKS_URL,
            transport=httpx.MockTransport(answer),
            retry=RetryPolicy(budget=2.0, initial_backoff=0.1, jitter=0),
        ) as client:
            ticket = await client.tickets.get_ticket(42)
            assert ticket.to_dict() == TICKET
            assert client.retries == 2

    with stamina.set_testing(False):
        elapsed = run_in_virtual_time(scenario)
    # Three attempts of 0.4 s and waits of 0.1 s and 0.2 s, all within the budget.
    assert elapsed == pytest.approx(1.5)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_callers_own_deadline_inside_the_budget_cancels_the_call(backend: str) -> None:
    # The caller's cancel scope ends first: the call is cancelled (not a budget timeout), and the scope catches it.
    async def hangs(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(30)
        return httpx.Response(200, json=TICKET)

    outcome: list[str] = []

    async def scenario() -> None:
        async with SpiceworksClient(
            token="t0k3n", base_url=SPICEWORKS_URL, transport=httpx.MockTransport(hangs), retry=ONE_SECOND
        ) as client:
            with anyio.move_on_after(0.5) as scope:
                await client.tickets.get_ticket(42)
            outcome.append("cancelled" if scope.cancelled_caught else "finished")
            # The client still works after the cancelled call, and its budget still cuts.
            with pytest.raises(ApiTimeoutError):
                await client.tickets.get_ticket(42)
            outcome.append("cut")

    with stamina.set_testing(False):
        elapsed = run_in_virtual_time(scenario, backend)
    assert outcome == ["cancelled", "cut"]
    assert elapsed == pytest.approx(1.5)


def test_an_asyncio_timeout_around_the_call_is_the_callers() -> None:
    async def hangs(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(30)
        return httpx.Response(200, json=TICKET)

    async def scenario() -> None:
        async with SpiceworksClient(
            token="t0k3n", base_url=SPICEWORKS_URL, transport=httpx.MockTransport(hangs), retry=ONE_SECOND
        ) as client:
            with pytest.raises(TimeoutError) as caught:
                async with asyncio.timeout(0.25):
                    await client.tickets.get_ticket(42)
            assert not isinstance(caught.value, ApiTimeoutError)

    with stamina.set_testing(False):
        assert run_in_virtual_time(scenario, "asyncio") == pytest.approx(0.25)
