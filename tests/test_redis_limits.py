"""The Redis-backed limiter against a real ``redis-server`` (``itsm_async/redis.py``).

The suite starts its own server on a free loopback port (``redis_server.py``).
The bucket, pause and lease checks read the scripts' answers without
waiting: time is moved by rewriting the stored state. The processes check
is the one place where real time passes (about 3 s): four replicas share a
rate limit against a counting HTTP server, which never sees more than the
limit plus the burst in any second of the run, and one of them sees a 429.
"""

from __future__ import annotations

import asyncio
import collections
import importlib
import math
import multiprocessing
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING

import anyio
import httpx
import pytest
import redis.asyncio
import stamina

from itsm_async import InvalidArgumentError, RetryPolicy
from itsm_async._limits import Limiter, LimitTimeout, RateLimit, check_limits, limit_key
from itsm_async._transport import RetryTransport
from itsm_async.redis import RedisLimiter

# pytest puts this folder on sys.path; mypy, run from the repository, sees a package.
if TYPE_CHECKING:
    from tests.redis_server import redis_server
else:
    from redis_server import redis_server

KEY = limit_key("kloudless", "123")
SHARED_RATE = RateLimit(per_second=50, burst=10)
WORKERS = 4
#: Each replica's calls in flight at once: far more than the shared rate needs.
CALLS_PER_WORKER = 16
RUN_SECONDS = 3.0
#: When, into the run, the counting server answers one request with a 429.
RATE_LIMITED_AT = 1.5
LEASE_TTL = 0.75
#: The path the replicas open their connections with; the counting server does not count it.
WARM_UP = "/warm-up"


# --- the replicas' program --------------------------------------------------------------------------


def limited_client(limiter: Limiter, inner: httpx.AsyncBaseTransport, base_url: str, worker: str) -> httpx.AsyncClient:
    """What a KloudlessClient builds: the limits under the retries."""
    limits = check_limits("KloudlessClient", max_concurrency=None, rate_limit=limiter)
    retrying = RetryTransport(limits.transport(inner, key=KEY), RetryPolicy())
    return httpx.AsyncClient(base_url=base_url, transport=retrying, headers={"x-worker": worker})


async def open_connections(inner: httpx.AsyncBaseTransport, base_url: str) -> None:
    """Open a pooled connection per call before the run, past the limits and uncounted.

    A first request waits for its connection after its turn, and requests
    that waited would reach the server bunched together.
    """

    async def warm_up() -> None:
        response = await inner.handle_async_request(httpx.Request("GET", f"{base_url}{WARM_UP}"))
        await response.aread()
        await response.aclose()

    async with anyio.create_task_group() as tg:
        for _ in range(CALLS_PER_WORKER):
            tg.start_soon(warm_up)


async def send_until_stopped(channel: Connection, redis_url: str, prefix: str, base_url: str, worker: str) -> None:
    """Say ``ready``, receive ``(start, stop)`` (wall clock), keep calling in between, send the statuses."""
    client = redis.asyncio.Redis.from_url(redis_url)
    statuses: collections.Counter[int] = collections.Counter()
    limiter = RedisLimiter(client, rate=SHARED_RATE, key_prefix=prefix)
    inner = httpx.AsyncHTTPTransport()
    async with limited_client(limiter, inner, base_url, worker) as http:
        await open_connections(inner, base_url)
        channel.send("ready")
        start, stop = channel.recv()
        await anyio.sleep(max(0.0, start - time.time()))

        async def keep_calling() -> None:
            while True:
                statuses[(await http.get("/tickets")).status_code] += 1

        # At the stop, calls still waiting for their turn are cancelled.
        with anyio.move_on_after(stop - time.time()):
            async with anyio.create_task_group() as tg:
                for _ in range(CALLS_PER_WORKER):
                    tg.start_soon(keep_calling)
    await client.aclose()
    channel.send(dict(statuses))


async def hold_capacity(channel: Connection, redis_url: str, prefix: str) -> None:
    """Take the one unit of shared concurrency, say ``held`` and keep it (renewing) until killed."""
    client = redis.asyncio.Redis.from_url(redis_url)
    limiter = RedisLimiter(client, max_concurrency=1, lease_ttl=LEASE_TTL, key_prefix=prefix)
    await limiter.acquire(KEY, math.inf)
    channel.send("held")
    await anyio.sleep(60)


def _run_replica(mode: str, channel: Connection, *arguments: str) -> None:
    program = send_until_stopped if mode == "send" else hold_capacity
    asyncio.run(program(channel, *arguments))


def replica(mode: str, *arguments: str) -> tuple[BaseProcess, Connection]:
    """Start a replica process running ``mode`` ("send" or "hold"); returns it and its end of a pipe.

    Replicas are forked from a forkserver that has imported this module
    once, so that four of them start in milliseconds rather than importing
    the client each on a shared machine.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    ours, theirs = context.Pipe()
    process = context.Process(target=_run_replica, args=(mode, theirs, *arguments), daemon=True)
    process.start()
    theirs.close()
    return process, ours


def stop(process: BaseProcess, channel: Connection) -> None:
    process.kill()
    process.join()
    process.close()
    channel.close()


# --- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
def prefix() -> str:
    """A key prefix of the test's own, so that tests never share limits."""
    return f"itsm-test-{uuid.uuid4().hex[:8]}"


# --- import and arguments ----------------------------------------------------------------------------


def test_without_redis_py_the_import_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    monkeypatch.delitem(sys.modules, "itsm_async.redis")
    with pytest.raises(
        ModuleNotFoundError, match=r"redis extra \(redis(\.asyncio)? is missing\): pip install 'itsm-async\[redis\]'"
    ):
        importlib.import_module("itsm_async.redis")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"rate": 50}, r"rate must be a RateLimit"),
        ({"max_concurrency": 0}, r"max_concurrency must be a positive int"),
        ({"max_concurrency": True}, r"max_concurrency must be a positive int"),
        ({"lease_ttl": 0}, r"lease_ttl must be a positive, finite number of seconds"),
        ({"lease_ttl": math.inf}, r"lease_ttl must be a positive, finite number of seconds"),
        ({"poll_interval": -1}, r"poll_interval must be a positive, finite number of seconds"),
        ({"key_prefix": ""}, r"key_prefix must be a non-empty string"),
    ],
)
async def test_limiter_arguments_are_checked(
    redis_client: redis.asyncio.Redis, arguments: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=r"^RedisLimiter: " + message):
        RedisLimiter(redis_client, **arguments)  # type: ignore[arg-type]


def test_the_client_must_be_an_asyncio_redis_client(redis_url: str) -> None:
    import redis as sync_redis

    with pytest.raises(InvalidArgumentError, match=r"^RedisLimiter: client must be a redis.asyncio.Redis"):
        RedisLimiter(sync_redis.Redis.from_url(redis_url))  # type: ignore[arg-type]


def test_a_redis_limiter_is_a_limiter_a_client_accepts(redis_url: str) -> None:
    limiter = RedisLimiter(redis.asyncio.Redis.from_url(redis_url), rate=SHARED_RATE)
    assert isinstance(limiter, Limiter)
    assert check_limits("KloudlessClient", max_concurrency=4, rate_limit=limiter).rate_limit is limiter


def test_on_trio_the_limiter_says_it_runs_on_asyncio_only(redis_url: str) -> None:
    limiter = RedisLimiter(redis.asyncio.Redis.from_url(redis_url), rate=SHARED_RATE)

    async def flow() -> None:
        with pytest.raises(RuntimeError, match=r"asyncio only"):
            await limiter.acquire(KEY, 1)

    anyio.run(flow, backend="trio")


# --- the bucket, the pause and the leases, on the server --------------------------------------------


async def shift_back(client: redis.asyncio.Redis, bucket: str, microseconds: int) -> None:
    """Move the bucket's last update back, as if that much of the server's time had passed."""
    updated = await client.hget(bucket, "updated")
    assert isinstance(updated, str)
    await client.hset(bucket, "updated", str(int(updated) - microseconds))


async def test_the_shared_bucket_starts_at_the_burst_then_waits_for_the_rate(
    redis_client: redis.asyncio.Redis, prefix: str
) -> None:
    limiter = RedisLimiter(redis_client, rate=RateLimit(per_second=10, burst=3), key_prefix=prefix)
    assert [await limiter.try_acquire(KEY) for _ in range(3)] == [(0, 0)] * 3
    wait, why = await limiter.try_acquire(KEY)
    assert why == 3
    assert 0.05 < wait <= 0.1
    # 0.25 s later, by the server's clock: two tokens more, not three.
    bucket = limiter.keys(KEY)[0]
    await shift_back(redis_client, bucket, 250_000)
    assert [await limiter.try_acquire(KEY) for _ in range(3)] == [(0, 0), (0, 0), (pytest.approx(0.05, abs=0.01), 3)]


async def test_a_long_quiet_spell_refills_the_bucket_to_the_burst_only(
    redis_client: redis.asyncio.Redis, prefix: str
) -> None:
    limiter = RedisLimiter(redis_client, rate=RateLimit(per_second=10, burst=3), key_prefix=prefix)
    await limiter.try_acquire(KEY)
    bucket = limiter.keys(KEY)[0]
    await shift_back(redis_client, bucket, 3_600_000_000)
    assert [(await limiter.try_acquire(KEY))[1] for _ in range(4)] == [0, 0, 0, 3]


async def test_limits_are_kept_per_api_and_account_under_the_prefix(
    redis_client: redis.asyncio.Redis, prefix: str
) -> None:
    limiter = RedisLimiter(redis_client, rate=RateLimit(per_second=1), key_prefix=prefix)
    other_account = limit_key("kloudless", "456")
    assert await limiter.try_acquire(KEY) == (0, 0)
    assert (await limiter.try_acquire(KEY))[1] == 3
    assert await limiter.try_acquire(other_account) == (0, 0)
    assert await limiter.try_acquire(limit_key("spiceworks")) == (0, 0)
    assert sorted(await redis_client.keys(f"{prefix}:*")) == [
        f"{prefix}:{{kloudless:123}}:bucket",
        f"{prefix}:{{kloudless:456}}:bucket",
        f"{prefix}:{{spiceworks}}:bucket",
    ]
    # Each bucket expires once it would be full again (1 s here), plus a second.
    assert 0 < await redis_client.pttl(f"{prefix}:{{kloudless:123}}:bucket") <= 2000


async def test_a_pause_holds_every_turn_and_a_shorter_one_does_not_cut_it(
    redis_client: redis.asyncio.Redis, prefix: str
) -> None:
    limiter = RedisLimiter(redis_client, rate=SHARED_RATE, key_prefix=prefix)
    await limiter.pause(KEY, 30)
    await limiter.pause(KEY, 2)
    wait, why = await limiter.try_acquire(KEY)
    assert why == 1
    assert 29 < wait <= 30
    started = time.monotonic()
    with pytest.raises(LimitTimeout, match=r"paused after a 429 \(Retry-After\) for 30s more"):
        await limiter.acquire(KEY, 5)
    assert time.monotonic() - started < 0.5  # no wait for a turn past the budget
    assert 30_000 < await redis_client.pttl(limiter.keys(KEY)[1]) <= 31_000
    # The pause took no token: the bucket is untouched.
    assert await redis_client.exists(limiter.keys(KEY)[0]) == 0


async def test_shared_concurrency_is_leased_and_given_back(redis_client: redis.asyncio.Redis, prefix: str) -> None:
    limiter = RedisLimiter(redis_client, max_concurrency=2, key_prefix=prefix, poll_interval=0.01)
    first = await limiter.acquire(KEY, 1)
    second = await limiter.acquire(KEY, 1)
    leases = limiter.keys(KEY)[2]
    assert await redis_client.zcard(leases) == 2
    wait, why = await limiter.try_acquire(KEY, "a-third")
    assert why == 2
    assert 0 < wait <= 0.01
    with pytest.raises(LimitTimeout, match=r"waited 0.1s: the shared max_concurrency is taken"):
        await limiter.acquire(KEY, 0.1)
    await first()
    third = await limiter.acquire(KEY, 1)
    assert await redis_client.zcard(leases) == 2
    await second()
    await third()
    assert await redis_client.zcard(leases) == 0


async def test_a_lapsed_lease_frees_its_capacity(redis_client: redis.asyncio.Redis, prefix: str) -> None:
    limiter = RedisLimiter(redis_client, max_concurrency=1, key_prefix=prefix)
    assert await limiter.try_acquire(KEY, "dead-replica") == (0, 0)
    assert (await limiter.try_acquire(KEY, "live-replica"))[1] == 2
    await redis_client.zadd(limiter.keys(KEY)[2], {"dead-replica": 1}, xx=True)  # lapsed long ago
    assert await limiter.try_acquire(KEY, "live-replica") == (0, 0)
    assert await redis_client.zrange(limiter.keys(KEY)[2], 0, -1) == ["live-replica"]


async def test_a_turn_takes_a_lease_and_a_token_together_or_neither(
    redis_client: redis.asyncio.Redis, prefix: str
) -> None:
    limiter = RedisLimiter(redis_client, rate=RateLimit(per_second=1), max_concurrency=5, key_prefix=prefix)
    assert await limiter.try_acquire(KEY, "one") == (0, 0)
    assert (await limiter.try_acquire(KEY, "two"))[1] == 3
    assert await redis_client.zrange(limiter.keys(KEY)[2], 0, -1) == ["one"]


async def test_a_429_seen_by_one_replica_pauses_another(
    redis_client: redis.asyncio.Redis, redis_url: str, prefix: str
) -> None:
    def too_many(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, json={"error": "slow down"}, headers={"Retry-After": "30"})

    seeing = RedisLimiter(redis_client, rate=SHARED_RATE, key_prefix=prefix)
    limits = check_limits("KloudlessClient", max_concurrency=None, rate_limit=seeing)
    transport = RetryTransport(limits.transport(httpx.MockTransport(too_many), key=KEY), RetryPolicy.never())
    with stamina.set_testing(False):
        async with httpx.AsyncClient(base_url="https://kl.test", transport=transport) as http:
            assert (await http.get("/incidents")).status_code == 429
    other_client = redis.asyncio.Redis.from_url(redis_url)
    other_replica = RedisLimiter(other_client, rate=SHARED_RATE, key_prefix=prefix)
    wait, why = await other_replica.try_acquire(KEY)
    await other_client.aclose()
    assert why == 1
    assert 29 < wait <= 30


async def test_a_redis_that_does_not_answer_cannot_hold_a_call_past_its_budget() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        client = redis.asyncio.Redis(host="127.0.0.1", port=silent.getsockname()[1])
        limiter = RedisLimiter(client, rate=SHARED_RATE)
        started = time.monotonic()
        with pytest.raises(LimitTimeout, match=r"Redis did not answer within the call's time budget"):
            await limiter.acquire(KEY, 0.1)
        waited = time.monotonic() - started
        await client.aclose()
    assert 0.1 < waited < 0.1 + 1.0 + 0.5  # the budget, then a second's grace for the answer


# --- replicas in processes, in real time -------------------------------------------------------------


class _Counting(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, rate_limit_at: float) -> None:
        super().__init__(("127.0.0.1", 0), _CountingHandler)
        self.lock = threading.Lock()
        self.seen: list[tuple[float, str]] = []
        self.rate_limit_at = rate_limit_at
        self.rate_limited: tuple[float, str] | None = None


class _CountingHandler(BaseHTTPRequestHandler):
    """Records each request's time and replica; answers one request, the first after ``rate_limit_at``, with a 429."""

    protocol_version = "HTTP/1.1"
    server: _Counting

    def do_GET(self) -> None:
        if self.path == WARM_UP:
            time.sleep(0.05)  # held, so that each replica opens a connection per call
            self._answer(200)
            return
        now = time.time()
        worker = self.headers.get("x-worker", "?")
        with self.server.lock:
            self.server.seen.append((now, worker))
            limited = self.server.rate_limited is None and now >= self.server.rate_limit_at
            if limited:
                self.server.rate_limited = (now, worker)
        self._answer(429 if limited else 200, {"Retry-After": "1"} if limited else {})

    def _answer(self, status: int, headers: dict[str, str] | None = None) -> None:
        body = b"{}"
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads ``seen``."""


def busiest_second(times: list[float]) -> int:
    """The most of ``times`` in any closed window of one second.

    Reported, not asserted: the limit holds at the Redis server's clock,
    and the replicas' requests reach the counting server a few milliseconds
    later each, by amounts that vary on a loaded machine.
    """
    ordered = sorted(times)
    most, first = 0, 0
    for last, when in enumerate(ordered):
        while ordered[first] < when - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def test_four_processes_share_the_rate_limit_and_a_429_pauses_them_all(redis_url: str, prefix: str) -> None:
    server = _Counting(rate_limit_at=math.inf)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    workers = [replica("send", redis_url, prefix, base_url, str(n)) for n in range(WORKERS)]
    try:
        assert [channel.recv() for _, channel in workers] == ["ready"] * WORKERS
        start = time.time() + 0.1
        server.rate_limit_at = start + RATE_LIMITED_AT
        for _, channel in workers:
            channel.send((start, start + RUN_SECONDS))
        statuses = [channel.recv() if channel.poll(30) else None for _, channel in workers]
        for process, _ in workers:
            process.join(10)
        exit_codes = [process.exitcode for process, _ in workers]
    finally:
        for process, channel in workers:
            stop(process, channel)
        server.shutdown()
        server.server_close()
    assert exit_codes == [0] * WORKERS
    assert all(counts is not None and set(counts) == {200} for counts in statuses)  # the 429 was retried
    times = [when for when, _ in server.seen]
    by_worker = collections.Counter(worker for _, worker in server.seen)
    # Each second of the run, as an API counts its requests per second.
    per_second = collections.Counter(math.floor(when - start) for when in times)
    print(
        f"requests {len(times)}; per second of the run {[per_second[n] for n in sorted(per_second)]};"
        f" busiest sliding second {busiest_second(times)}; per replica {dict(sorted(by_worker.items()))}"
    )
    assert max(per_second.values()) <= SHARED_RATE.per_second + SHARED_RATE.burst
    # Not a vacuous bound: more than a second's worth at the limit was sent.
    assert len(times) > SHARED_RATE.per_second + SHARED_RATE.burst
    assert len(by_worker) == WORKERS

    assert server.rate_limited is not None
    limited_at, limited_worker = server.rate_limited
    others = {worker for when, worker in server.seen if limited_at - 0.5 <= when < limited_at} - {limited_worker}
    assert others  # other replicas were sending when one of them saw the 429
    # Requests let through just before the pause was shared may still arrive
    # a little later on a loaded machine; after that, a second of silence.
    during = [when - limited_at for when, _ in server.seen if limited_at + 0.25 < when < limited_at + 0.95]
    assert during == []  # every replica waited out the Retry-After
    after = {worker for when, worker in server.seen if limited_at + 0.95 <= when <= limited_at + 1.5}
    assert len(after) >= 2


def test_a_replica_killed_while_holding_capacity_frees_it_after_the_lease_ttl(redis_url: str, prefix: str) -> None:
    holder, channel = replica("hold", redis_url, prefix)
    try:
        assert channel.poll(30)
        assert channel.recv() == "held"

        async def flow() -> float:
            client = redis.asyncio.Redis.from_url(redis_url)
            limiter = RedisLimiter(client, max_concurrency=1, lease_ttl=LEASE_TTL, key_prefix=prefix)
            # Alive, the holder renews its lease: it keeps it past twice the TTL.
            with pytest.raises(LimitTimeout, match=r"max_concurrency is taken"):
                await limiter.acquire(KEY, 2 * LEASE_TTL)
            holder.kill()  # SIGKILL: no cleanup, no release
            holder.join()
            assert holder.exitcode == -signal.SIGKILL
            killed = time.monotonic()
            release = await limiter.acquire(KEY, 5)
            freed_after = time.monotonic() - killed
            await release()
            await client.aclose()
            return freed_after

        freed_after = asyncio.run(flow())
    finally:
        stop(holder, channel)
    print(f"capacity freed {freed_after:.2f}s after the kill (lease TTL {LEASE_TTL}s)")
    # Renewed every TTL/3, the dead holder's lease lapses between 2/3 TTL and one TTL after the kill.
    assert LEASE_TTL / 3 < freed_after < LEASE_TTL + 0.5
