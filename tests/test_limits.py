"""Client-wide limits: max_concurrency, the rate limit and the 429 pause (``_limits.py``).

Every timing here is virtual: trio's ``MockClock`` with autojump (the event
loop's clock jumps to the next deadline as soon as every task waits), or, on
asyncio, an injected clock whose sleep moves it forward. The limits are
driven as the clients drive them, under a ``RetryTransport``, and end to end
through ``SpiceworksClient(transport=LimitedTransport(...))``.

pytest-asyncio's auto mode would run an anyio-marked trio test on asyncio
(see ``test_trio.py``), so the tests that run on both libraries start their
own event loop with ``anyio.run``.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
import sniffio
import stamina
from trio.testing import MockClock

from itsm_async import (
    ApiError,
    ApiTimeoutError,
    InvalidArgumentError,
    KloudlessClient,
    RateLimitError,
    ResponseDecodeError,
    RetryPolicy,
    SpiceworksClient,
)
from itsm_async._limits import (
    LimitedTransport,
    Limiter,
    LimitTimeout,
    LocalLimiter,
    RateLimit,
    TokenBucket,
    check_limits,
    limit_key,
)
from itsm_async._transport import RetryTransport

BASE_URL = "https://sw.test"
WHEN = "2024-05-01T09:00:00+00:00"
#: A ticket with every field the spec says the API always returns.
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


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def run(backend: str, flow: Callable[[], Awaitable[None]], *, mock_clock: bool = False) -> None:
    """Run ``flow`` on ``backend``, with trio's autojumping MockClock when asked."""

    async def checked() -> None:
        assert sniffio.current_async_library() == backend
        await flow()

    options: dict[str, Any] = {"clock": MockClock(autojump_threshold=0)} if mock_clock else {}
    anyio.run(checked, backend=backend, backend_options=options)


def run_virtual(flow: Callable[[], Awaitable[None]]) -> None:
    """Run ``flow`` on trio in virtual time: every sleep returns at once, the clock jumps."""
    run("trio", flow, mock_clock=True)


class FakeClock:
    """An injected clock; ``sleep`` moves it forward and yields to the other tasks."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)
        await anyio.lowlevel.checkpoint()


def busiest_second(times: list[float]) -> int:
    """The most of ``times`` in any closed window of one second."""
    ordered = sorted(times)
    most, first = 0, 0
    for last, when in enumerate(ordered):
        while ordered[first] < when - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def client_stack(
    inner: httpx.AsyncBaseTransport,
    *,
    max_concurrency: int | None = None,
    rate_limit: RateLimit | Limiter | None = None,
    policy: RetryPolicy | None = None,
) -> httpx.AsyncClient:
    """What a client builds: the limits under the retries, over ``inner``."""
    limits = check_limits("SpiceworksClient", max_concurrency=max_concurrency, rate_limit=rate_limit)
    retrying = RetryTransport(limits.transport(inner, key=limit_key("spiceworks")), policy or RetryPolicy())
    return httpx.AsyncClient(base_url=BASE_URL, transport=retrying)


class Recorder:
    """A fake server: answers ``respond(request)`` (200 by default) and records each request's path and time."""

    def __init__(
        self,
        clock: Callable[[], float] = anyio.current_time,
        respond: Callable[[httpx.Request], httpx.Response] | None = None,
    ) -> None:
        self._clock = clock
        self._respond = respond
        self.seen: list[tuple[str, float]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.url.path, self._clock()))
        if self._respond is not None:
            return self._respond(request)
        return httpx.Response(200, json=TICKET)

    def times(self, path: str | None = None) -> list[float]:
        return [when for seen_path, when in self.seen if path is None or seen_path == path]


class InFlight(httpx.AsyncBaseTransport):
    """Counts requests in flight: from the request until its response body is closed.

    Each request and each body chunk yields to the other tasks, so that
    whatever is allowed to run at once does. ``first_status`` answers the
    first attempt at each path.
    """

    def __init__(self, first_status: int = 200) -> None:
        self.in_flight = 0
        self.peak = 0
        self.attempts = 0
        self._first_status = first_status
        self._paths: set[str] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        self.attempts += 1
        try:
            await anyio.lowlevel.checkpoint()
        except BaseException:  # cancelled before answering: no body to close
            self.in_flight -= 1
            raise
        status = 200 if request.url.path in self._paths else self._first_status
        self._paths.add(request.url.path)
        return httpx.Response(status, stream=_CountedBody(self), headers={"content-type": "application/json"})


class _CountedBody(httpx.AsyncByteStream):
    def __init__(self, owner: InFlight) -> None:
        self._owner = owner
        self._open = True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        body = json.dumps(TICKET).encode()
        for chunk in (body[:10], body[10:-1], body[-1:]):
            await anyio.lowlevel.checkpoint()
            yield chunk

    async def aclose(self) -> None:
        if self._open:
            self._open = False
            self._owner.in_flight -= 1


# --- argument checks -----------------------------------------------------------------------------


@pytest.mark.parametrize("per_second", [0, -1, math.nan, math.inf, True, "50", None])
def test_rate_limit_refuses_a_rate_that_is_not_a_positive_finite_number(per_second: object) -> None:
    with pytest.raises(InvalidArgumentError, match=r"^RateLimit: per_second must be a positive, finite number"):
        RateLimit(per_second=per_second)  # type: ignore[arg-type]


@pytest.mark.parametrize("burst", [0, -3, 1.5, True, "10", None])
def test_rate_limit_refuses_a_burst_that_is_not_a_positive_int(burst: object) -> None:
    with pytest.raises(InvalidArgumentError, match=r"^RateLimit: burst must be a positive int"):
        RateLimit(per_second=50, burst=burst)  # type: ignore[arg-type]


def test_rate_limit_takes_fractions_of_a_request_per_second_and_bursts_one_by_default() -> None:
    assert RateLimit(per_second=0.5) == RateLimit(per_second=0.5, burst=1)
    assert RateLimit(per_second=50, burst=10).burst == 10


@pytest.mark.parametrize("value", [0, -2, True, 2.5, "4"])
def test_max_concurrency_must_be_a_positive_int(value: object) -> None:
    with pytest.raises(InvalidArgumentError, match=r"^KloudlessClient: max_concurrency must be a positive int"):
        check_limits("KloudlessClient", max_concurrency=value, rate_limit=None)


@pytest.mark.parametrize("value", [50, 12.5, {"per_second": 50}, "50/s", (50, 10)])
def test_rate_limit_must_be_a_rate_limit_or_a_limiter(value: object) -> None:
    with pytest.raises(InvalidArgumentError, match=r"^SpiceworksClient: rate_limit must be a RateLimit") as caught:
        check_limits("SpiceworksClient", max_concurrency=None, rate_limit=value)
    assert "RateLimit(per_second=50, burst=10)" in str(caught.value)


def test_a_limiter_class_is_refused_for_its_instance() -> None:
    with pytest.raises(InvalidArgumentError, match=r"rate_limit must be an instance, got the class LocalLimiter"):
        check_limits("SpiceworksClient", max_concurrency=None, rate_limit=LocalLimiter)


def test_accepted_limits_are_kept_as_given() -> None:
    rate = RateLimit(per_second=5)
    limiter = LocalLimiter(rate)
    assert check_limits("c", max_concurrency=3, rate_limit=rate).rate_limit is rate
    assert check_limits("c", max_concurrency=None, rate_limit=limiter).rate_limit is limiter
    assert check_limits("c", max_concurrency=None, rate_limit=None).max_concurrency is None
    assert check_limits("c", max_concurrency=3, rate_limit=None).max_concurrency == 3


def test_limit_keys_name_the_api_and_the_account() -> None:
    assert limit_key("kloudless", "123") == "kloudless:123"
    assert limit_key("spiceworks") == "spiceworks"


# --- the token bucket ------------------------------------------------------------------------------


def test_the_bucket_starts_full_refills_at_the_rate_and_holds_no_more_than_the_burst() -> None:
    bucket = TokenBucket(RateLimit(per_second=10, burst=3), now=100.0)
    for _ in range(3):
        assert bucket.wait(100.0) == 0
        bucket.take(100.0)
    assert bucket.wait(100.0) == pytest.approx(0.1)
    assert bucket.wait(100.04) == pytest.approx(0.06)
    assert bucket.wait(100.1) == 0
    bucket.take(100.1)
    # A long quiet spell refills to the burst, not beyond.
    for _ in range(3):
        assert bucket.wait(200.0) == 0
        bucket.take(200.0)
    assert bucket.wait(200.0) == pytest.approx(0.1)


def test_a_wait_computed_to_the_token_is_enough() -> None:
    bucket = TokenBucket(RateLimit(per_second=3), now=0.0)
    bucket.take(0.0)
    now = 0.0
    for _ in range(30):
        now += bucket.wait(now)
        assert bucket.wait(now) == 0  # no second wait for float error
        bucket.take(now)
    assert now == pytest.approx(10.0)


# --- the rate limit, in virtual time -------------------------------------------------------------


def expected_start(index: int, start: float, rate: RateLimit) -> float:
    """When attempt ``index`` (0-based) of a burst of gathered calls may start."""
    return start + max(0, index - rate.burst + 1) / rate.per_second


def test_gathered_calls_start_at_the_burst_then_at_the_rate_on_trio_virtual_time() -> None:
    rate = RateLimit(per_second=50, burst=10)

    async def flow() -> None:
        server = Recorder()
        start = anyio.current_time()
        async with client_stack(httpx.MockTransport(server), rate_limit=rate) as http, anyio.create_task_group() as tg:
            for n in range(200):
                tg.start_soon(http.get, f"/tickets/{n}")
        times = server.times()
        assert len(times) == 200
        assert times == [pytest.approx(expected_start(i, start, rate), abs=1e-6) for i in range(200)]
        assert busiest_second(times) <= rate.per_second + rate.burst
        assert anyio.current_time() - start == pytest.approx((200 - rate.burst) / rate.per_second, abs=1e-6)

    run_virtual(flow)


def test_the_rate_limit_on_an_injected_clock(anyio_backend: str) -> None:
    rate = RateLimit(per_second=20, burst=4)
    clock = FakeClock()

    async def flow() -> None:
        server = Recorder(clock)
        start = clock()
        limited = LimitedTransport(
            httpx.MockTransport(server), limiter=LocalLimiter(rate, clock=clock, sleep=clock.sleep)
        )
        retrying = RetryTransport(limited, RetryPolicy())
        async with httpx.AsyncClient(base_url=BASE_URL, transport=retrying) as http, anyio.create_task_group() as tg:
            for n in range(60):
                tg.start_soon(http.get, f"/tickets/{n}")
        times = server.times()
        assert times == [pytest.approx(expected_start(i, start, rate), abs=1e-6) for i in range(60)]
        assert busiest_second(times) <= rate.per_second + rate.burst
        assert all(seconds > 0 for seconds in clock.slept)

    run(anyio_backend, flow)


def test_each_retry_takes_its_own_turn_of_the_rate_limit() -> None:
    rate = RateLimit(per_second=10)

    async def flow() -> None:
        inner = InFlight(first_status=503)
        server_times: list[float] = []

        class Timed(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                server_times.append(anyio.current_time())
                return await inner.handle_async_request(request)

        start = anyio.current_time()
        async with client_stack(Timed(), rate_limit=rate) as http, anyio.create_task_group() as tg:
            for n in range(10):
                tg.start_soon(http.get, f"/tickets/{n}")
        assert inner.attempts == 20  # each call: a 503, then its retry
        assert server_times == [pytest.approx(start + i / rate.per_second, abs=1e-6) for i in range(20)]

    run_virtual(flow)


# --- max_concurrency -------------------------------------------------------------------------------


def test_max_concurrency_is_never_exceeded_and_is_reached(anyio_backend: str) -> None:
    async def flow() -> None:
        inner = InFlight()
        async with client_stack(inner, max_concurrency=7) as http, anyio.create_task_group() as tg:
            for n in range(60):
                tg.start_soon(http.get, f"/tickets/{n}")
        assert inner.attempts == 60
        assert inner.peak == 7
        assert inner.in_flight == 0

    run(anyio_backend, flow)


def test_without_max_concurrency_every_gathered_call_is_in_flight_at_once(anyio_backend: str) -> None:
    # The counter sees what a missing limit lets through.
    async def flow() -> None:
        inner = InFlight()
        async with client_stack(inner) as http, anyio.create_task_group() as tg:
            for n in range(60):
                tg.start_soon(http.get, f"/tickets/{n}")
        assert inner.peak == 60

    run(anyio_backend, flow)


def test_a_slot_is_held_until_the_body_is_read_and_each_retry_takes_one(anyio_backend: str) -> None:
    async def flow() -> None:
        inner = InFlight(first_status=503)
        async with client_stack(inner, max_concurrency=1) as http, anyio.create_task_group() as tg:
            for n in range(8):
                tg.start_soon(http.get, f"/tickets/{n}")
        assert inner.attempts == 16
        assert inner.peak == 1

    run(anyio_backend, flow)


def test_a_response_built_with_its_content_gives_its_slot_back_at_once() -> None:
    # httpx reads such a response (a mock, an in-process app) when it is made,
    # so closing it later does nothing: the slot cannot wait for that.
    async def flow() -> None:
        in_flight, peak = 0, 0

        async def handler(request: httpx.Request) -> httpx.Response:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await anyio.sleep(0.1)
            in_flight -= 1
            return httpx.Response(200, json=TICKET)

        start = anyio.current_time()
        async with (
            client_stack(httpx.MockTransport(handler), max_concurrency=2) as http,
            anyio.create_task_group() as tg,
        ):
            for n in range(20):
                tg.start_soon(http.get, f"/tickets/{n}")
        assert peak == 2
        assert anyio.current_time() - start == pytest.approx(20 / 2 * 0.1)

    run_virtual(flow)


def test_a_call_cancelled_while_waiting_or_reading_gives_its_slot_back(anyio_backend: str) -> None:
    async def flow() -> None:
        inner = InFlight()
        async with client_stack(inner, max_concurrency=2) as http:
            with anyio.move_on_after(0):  # cancelled at its first wait
                await http.get("/tickets/cancelled-early")
            async with anyio.create_task_group() as tg:
                for n in range(5):
                    tg.start_soon(http.get, f"/tickets/{n}")
                await anyio.lowlevel.checkpoint()
                tg.cancel_scope.cancel()  # mid-flight: some wait for a slot, some read their bodies
            assert inner.in_flight == 0
            inner.peak = 0
            async with anyio.create_task_group() as tg:
                for n in range(6):
                    tg.start_soon(http.get, f"/again/{n}")
            assert inner.peak == 2  # both slots came back
            assert inner.in_flight == 0

    run(anyio_backend, flow)


def test_a_call_that_cannot_get_a_slot_within_its_budget_times_out_unsent() -> None:
    async def flow() -> None:
        release = anyio.Event()
        seen: list[str] = []

        async def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request.url.path)
            await release.wait()
            return httpx.Response(200, json=TICKET)

        limited = LimitedTransport(httpx.MockTransport(handler), max_concurrency=1)
        async with (
            SpiceworksClient(token="t", base_url=BASE_URL, transport=limited) as sw,
            anyio.create_task_group() as tg,
        ):
            tg.start_soon(sw.tickets.get_ticket, 1)
            await anyio.sleep(1)
            started = anyio.current_time()
            with pytest.raises(ApiTimeoutError) as caught:
                await sw.with_options(retry=RetryPolicy(budget=5)).tickets.get_ticket(2)
            release.set()
        assert anyio.current_time() - started == pytest.approx(5, abs=0.002)
        assert isinstance(caught.value.__cause__, LimitTimeout)
        assert "max_concurrency" in str(caught.value.__cause__)
        assert seen == ["/api/v1/tickets/1"]

    run_virtual(flow)


# --- the 429 pause ---------------------------------------------------------------------------------


def rate_limited_once(path: str, retry_after: str) -> Callable[[httpx.Request], httpx.Response]:
    """Answers the first request to ``path`` with a 429 and ``Retry-After``; everything else with a ticket."""
    answered: set[str] = set()

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path == path and path not in answered:
            answered.add(path)
            return httpx.Response(429, json={"error": "slow down"}, headers={"Retry-After": retry_after})
        return httpx.Response(200, json=TICKET)

    return respond


async def call_ignoring_errors(operation: Callable[[int], Awaitable[object]], ticket_id: int) -> None:
    with contextlib.suppress(ApiError):
        await operation(ticket_id)


async def one_429_then_two_calls(server: Recorder, **limits: Any) -> float:
    """Call 1 gets a 429; half a second later calls 2 and 3 start. Returns the start time."""
    limited = LimitedTransport(httpx.MockTransport(server), **limits)
    start = anyio.current_time()
    async with (
        SpiceworksClient(token="t", base_url=BASE_URL, transport=limited) as sw,
        anyio.create_task_group() as tg,
    ):
        tg.start_soon(call_ignoring_errors, sw.tickets.get_ticket, 1)
        await anyio.sleep(0.5)
        tg.start_soon(sw.tickets.get_ticket, 2)
        tg.start_soon(sw.tickets.get_ticket, 3)
    return start


def test_a_429_with_retry_after_pauses_every_call_of_the_client() -> None:
    async def flow() -> None:
        server = Recorder(respond=rate_limited_once("/api/v1/tickets/1", "2"))
        with stamina.set_testing(False):
            start = await one_429_then_two_calls(server)
        assert server.times("/api/v1/tickets/1") == [pytest.approx(start), pytest.approx(start + 2)]
        # Calls 2 and 3 started at 0.5 s and waited with call 1's retry for the end of the pause.
        assert server.times("/api/v1/tickets/2") == [pytest.approx(start + 2)]
        assert server.times("/api/v1/tickets/3") == [pytest.approx(start + 2)]

    run_virtual(flow)


def test_the_pause_holds_back_a_rate_limited_client_too() -> None:
    async def flow() -> None:
        server = Recorder(respond=rate_limited_once("/api/v1/tickets/1", "2"))
        with stamina.set_testing(False):
            start = await one_429_then_two_calls(server, limiter=LocalLimiter(RateLimit(per_second=1, burst=5)))
        later = sorted(server.times("/api/v1/tickets/2") + server.times("/api/v1/tickets/3"))
        assert later == [pytest.approx(start + 2), pytest.approx(start + 2)]

    run_virtual(flow)


@pytest.mark.parametrize(("headers", "status"), [({}, 429), ({"Retry-After": "0"}, 429), ({"Retry-After": "2"}, 503)])
def test_no_pause_without_a_429_asking_for_one(headers: dict[str, str], status: int) -> None:
    async def flow() -> None:
        def respond(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/1"):
                return httpx.Response(status, json={"error": "busy"}, headers=headers)
            return httpx.Response(200, json=TICKET)

        server = Recorder(respond=respond)
        with stamina.set_testing(False):
            start = await one_429_then_two_calls(server, limiter=LocalLimiter())
        assert server.times("/api/v1/tickets/2") == [pytest.approx(start + 0.5)]

    run_virtual(flow)


def test_stamina_testing_mode_skips_the_pause_as_it_skips_the_retry_waits() -> None:
    async def flow() -> None:
        server = Recorder(respond=rate_limited_once("/api/v1/tickets/1", "2"))
        start = await one_429_then_two_calls(server)  # the suite runs in testing mode
        assert server.times("/api/v1/tickets/1") == [pytest.approx(start), pytest.approx(start)]
        assert server.times("/api/v1/tickets/2") == [pytest.approx(start + 0.5)]

    run_virtual(flow)


def test_a_pause_is_capped_at_the_policys_max_retry_after() -> None:
    async def flow() -> None:
        server = Recorder(respond=rate_limited_once("/api/v1/tickets/1", "3600"))
        limited = LimitedTransport(httpx.MockTransport(server))
        start = anyio.current_time()
        with stamina.set_testing(False):
            async with SpiceworksClient(
                token="t", base_url=BASE_URL, transport=limited, retry=RetryPolicy(max_retry_after=5)
            ) as sw:
                with pytest.raises(RateLimitError) as caught:  # longer than max_retry_after: not retried
                    await sw.tickets.get_ticket(1)
                assert caught.value.retry_after == 3600
                await sw.tickets.get_ticket(2)
        assert server.times("/api/v1/tickets/2") == [pytest.approx(start + 5)]

    run_virtual(flow)


def test_a_call_whose_budget_ends_before_the_pause_fails_at_once_unsent() -> None:
    async def flow() -> None:
        server = Recorder(respond=rate_limited_once("/api/v1/tickets/1", "30"))
        limited = LimitedTransport(httpx.MockTransport(server))
        with stamina.set_testing(False):
            async with (
                SpiceworksClient(token="t", base_url=BASE_URL, transport=limited) as sw,
                anyio.create_task_group() as tg,
            ):
                tg.start_soon(sw.tickets.get_ticket, 1)
                await anyio.sleep(0.5)
                started = anyio.current_time()
                with pytest.raises(ApiTimeoutError) as caught:
                    await sw.with_options(retry=RetryPolicy(budget=10)).tickets.get_ticket(2)
                assert anyio.current_time() == pytest.approx(started)  # no wait, no retry
        assert isinstance(caught.value.__cause__, LimitTimeout)
        assert "paused for 29.5s more after a 429" in str(caught.value.__cause__)
        assert server.times("/api/v1/tickets/2") == []
        assert len(server.times("/api/v1/tickets/1")) == 2

    run_virtual(flow)


def test_a_turn_of_the_rate_past_the_budget_fails_at_once() -> None:
    async def flow() -> None:
        clock = FakeClock()
        limiter = LocalLimiter(RateLimit(per_second=0.1), clock=clock, sleep=clock.sleep)
        await limiter.acquire("spiceworks", math.inf)
        with pytest.raises(LimitTimeout, match=r"the rate limit's next turn is 10s away"):
            await limiter.acquire("spiceworks", 5)
        assert clock.slept == []
        release = await limiter.acquire("spiceworks", 10)
        assert clock.slept == [pytest.approx(10)]
        await release()

    run("asyncio", flow)


def test_a_shorter_pause_does_not_cut_a_longer_one_short() -> None:
    async def flow() -> None:
        clock = FakeClock()
        limiter = LocalLimiter(clock=clock, sleep=clock.sleep)
        await limiter.pause("spiceworks", 10)
        await limiter.pause("spiceworks", 2)
        await limiter.acquire("spiceworks", math.inf)
        assert sum(clock.slept) == pytest.approx(10)

    run("asyncio", flow)


def test_the_local_limiter_is_a_limiter() -> None:
    assert isinstance(LocalLimiter(), Limiter)


# --- through the clients' constructors -------------------------------------------------------------

wired = pytest.mark.skipif(
    "rate_limit" not in inspect.signature(SpiceworksClient.__init__).parameters,
    reason="the clients do not take max_concurrency= and rate_limit= yet (_client.py)",
)


class KeyRecording(LocalLimiter):
    """A roomy in-memory limiter that records the key of each turn it gives."""

    def __init__(self) -> None:
        super().__init__(RateLimit(per_second=1000, burst=1000))
        self.keys: list[str] = []

    async def acquire(self, key: str, max_wait: float) -> Callable[[], Awaitable[None]]:
        self.keys.append(key)
        return await super().acquire(key, max_wait)


@wired
@pytest.mark.parametrize(("name", "value"), [("max_concurrency", 0), ("rate_limit", 50)])
def test_the_clients_check_their_limits(name: str, value: object) -> None:
    limits: dict[str, Any] = {name: value}
    with pytest.raises(InvalidArgumentError, match=rf"^SpiceworksClient: {name} must be"):
        SpiceworksClient(token="t", **limits)
    with pytest.raises(InvalidArgumentError, match=rf"^KloudlessClient: {name} must be"):
        KloudlessClient(account_id="123", token="t", **limits)


@wired
def test_the_clients_limit_every_call_and_key_a_shared_limiter_by_api_and_account(anyio_backend: str) -> None:
    async def flow() -> None:
        inner = InFlight()
        three: dict[str, Any] = {"max_concurrency": 3}
        async with (
            SpiceworksClient(token="t", base_url=BASE_URL, transport=inner, **three) as sw,
            anyio.create_task_group() as tg,
        ):
            for n in range(12):
                tg.start_soon(sw.tickets.get_ticket, n)
        assert (inner.attempts, inner.peak) == (12, 3)

        shared = KeyRecording()
        limits: dict[str, Any] = {"rate_limit": shared}
        async with (
            SpiceworksClient(token="t", base_url=BASE_URL, transport=InFlight(), **limits) as sw,
            KloudlessClient(account_id="123", token="t", transport=InFlight(), **limits) as kl,
        ):
            await sw.tickets.get_ticket(1)
            with contextlib.suppress(ResponseDecodeError):  # the fake answers with a ticket
                await kl.incidents.get_incident("inc-1")
        assert shared.keys == ["spiceworks", "kloudless:123"]

    run(anyio_backend, flow)
