"""Limits shared by every process and machine that uses one Redis: ``RedisLimiter``.

::

    import redis.asyncio

    from itsm_async import KloudlessClient, RateLimit
    from itsm_async.redis import RedisLimiter

    shared = RedisLimiter(
        redis.asyncio.Redis(host="redis"), rate=RateLimit(per_second=50, burst=10), max_concurrency=20
    )
    async with KloudlessClient(account_id="123", api_key="...", rate_limit=shared) as kl:
        ...

Each API and account has its own token bucket, its own "paused until" after
a 429's ``Retry-After``, and its own leases of the shared concurrency, all
on the Redis server and updated atomically by Lua scripts that read the
server's clock, so replicas whose clocks disagree still share one limit.

asyncio only: redis-py's asyncio client does not run on trio. Needs the
``redis`` extra (redis-py 5 or newer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import uuid

import anyio

try:
    import redis.asyncio
    import redis.exceptions
except ModuleNotFoundError as exc:  # pragma: no cover - exercised in a test that hides redis
    raise ModuleNotFoundError(
        f"itsm_async.redis needs the redis extra ({exc.name} is missing): pip install 'itsm-async[redis]'",
        name=exc.name,
    ) from exc

from . import _arguments as check
from ._limits import LimitTimeout, RateLimit, Release

__all__ = ["RedisLimiter"]

logger = logging.getLogger("itsm_async")

# Times are microseconds of the Redis server's clock (TIME). Values are
# stored with %.0f: Lua's default number format keeps 14 digits, too few
# for microseconds since the epoch.
_NOW = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
"""

# KEYS: bucket, paused, leases.
# ARGV: per_second (0: none), burst, max_concurrency (0: none), lease id,
#       lease ttl (us), poll (us).
# Returns {wait in us (0: admitted), why: 0 admitted, 1 paused, 2 concurrency, 3 rate}.
# Admission is all or nothing: a lease is taken only with a token, and a
# token only with a lease.
_ADMIT = (
    _NOW
    + """
local paused = tonumber(redis.call('GET', KEYS[2]))
if paused and paused > now then
  return {paused - now, 1}
end
local limit = tonumber(ARGV[3])
if limit > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', string.format('%.0f', now))
  if redis.call('ZCARD', KEYS[3]) >= limit then
    local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
    local expires = tonumber(first[2]) - now
    return {math.max(1, math.min(expires, tonumber(ARGV[6]))), 2}
  end
end
local rate = tonumber(ARGV[1])
if rate > 0 then
  local burst = tonumber(ARGV[2])
  local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
  local tokens = tonumber(state[1])
  local updated = tonumber(state[2])
  if tokens == nil or updated == nil then
    tokens = burst
  elseif now > updated then
    tokens = math.min(burst, tokens + (now - updated) * rate / 1000000)
  end
  if tokens < 1 - 1e-9 then
    return {math.max(1, math.ceil((1 - tokens) * 1000000 / rate)), 3}
  end
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens - 1), 'updated', string.format('%.0f', now))
  -- Once full again the bucket is as good as absent.
  redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
end
if limit > 0 then
  local ttl = tonumber(ARGV[5])
  redis.call('ZADD', KEYS[3], string.format('%.0f', now + ttl), ARGV[4])
  redis.call('PEXPIRE', KEYS[3], math.ceil(ttl / 1000) + 1000)
end
return {0, 0}
"""
)

# KEYS: paused. ARGV: seconds in us. A shorter pause never cuts a longer one short.
_PAUSE = (
    _NOW
    + """
local pause = tonumber(ARGV[1])
local paused_until = now + pause
local current = tonumber(redis.call('GET', KEYS[1]))
if current == nil or current < paused_until then
  redis.call('SET', KEYS[1], string.format('%.0f', paused_until), 'PX', math.ceil(pause / 1000) + 1000)
end
return 0
"""
)

# KEYS: leases. ARGV: lease id, ttl in us. A lease that lapsed stays lapsed:
# its capacity may already be someone else's.
_RENEW = (
    _NOW
    + """
local expires = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]))
if expires == nil or expires < now then
  return 0
end
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', string.format('%.0f', now + ttl), ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.ceil(ttl / 1000) + 1000)
return 1
"""
)

#: Seconds past the call's deadline that a shielded question to Redis may take.
_ANSWER_GRACE = 1.0

_WHY = {
    1: "the account is paused after a 429 (Retry-After) for {wait:.3g}s more",
    2: "the shared max_concurrency is taken",
    3: "the shared rate limit's next turn is {wait:.3g}s away",
}


def _positive_seconds(name: str, value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        return float(value)
    check.refuse("RedisLimiter", name, "a positive, finite number of seconds", value)


class RedisLimiter:
    """A rate limit, concurrency and 429 pause shared through Redis by every client that uses it.

    Pass it as a client's ``rate_limit=``. Limits are kept per API and account
    under ``{key_prefix}:{<api>:<account>}:...`` (a Redis Cluster hash tag, so
    that each script's keys share a slot); every key expires once it no
    longer matters.

    Concurrency is held as leases that expire ``lease_ttl`` seconds after
    they were last renewed; they are renewed while their request runs, so a
    replica that dies holding capacity frees it ``lease_ttl`` seconds later.

    Args:
        client: A ``redis.asyncio.Redis`` (or ``RedisCluster``) client,
            ``decode_responses`` either way.
        rate: The shared rate limit, or None for none.
        max_concurrency: Requests in flight at once across every replica, or None.
        lease_ttl: Seconds a lease of ``max_concurrency`` outlives its last renewal.
        key_prefix: The start of every key.
        poll_interval: Longest wait, in seconds, before asking again for capacity
            held elsewhere.

    Raises:
        InvalidArgumentError: An argument of the wrong type or out of bounds,
            named in the message.
    """

    def __init__(
        self,
        client: redis.asyncio.Redis | redis.asyncio.RedisCluster,
        *,
        rate: RateLimit | None = None,
        max_concurrency: int | None = None,
        lease_ttl: float = 10.0,
        key_prefix: str = "itsm-async",
        poll_interval: float = 0.05,
    ) -> None:
        if not isinstance(client, redis.asyncio.Redis | redis.asyncio.RedisCluster):
            check.refuse("RedisLimiter", "client", "a redis.asyncio.Redis (or RedisCluster) client", client)
        if rate is not None and not isinstance(rate, RateLimit):
            check.refuse("RedisLimiter", "rate", "a RateLimit (RateLimit(per_second=50, burst=10)) or None", rate)
        if max_concurrency is not None and not (
            isinstance(max_concurrency, int) and not isinstance(max_concurrency, bool) and max_concurrency >= 1
        ):
            check.refuse("RedisLimiter", "max_concurrency", "a positive int or None", max_concurrency)
        if not isinstance(key_prefix, str) or not key_prefix:
            check.refuse("RedisLimiter", "key_prefix", "a non-empty string", key_prefix)
        self._redis = client
        self._rate = rate
        self._max_concurrency = max_concurrency
        self._lease_ttl = _positive_seconds("lease_ttl", lease_ttl)
        self._poll = _positive_seconds("poll_interval", poll_interval)
        self._prefix = key_prefix
        self._admit = client.register_script(_ADMIT)
        self._pause = client.register_script(_PAUSE)
        self._renew = client.register_script(_RENEW)
        # One task per key and process asks Redis at a time; the others queue
        # here, first come first served, instead of all polling the server.
        self._queues: dict[str, anyio.Lock] = {}
        self._renewals: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return (
            f"RedisLimiter(rate={self._rate!r}, max_concurrency={self._max_concurrency!r}, key_prefix={self._prefix!r})"
        )

    def keys(self, key: str) -> tuple[str, str, str]:
        """The Redis keys of ``key``'s bucket, pause and leases."""
        base = f"{self._prefix}:{{{key}}}"
        return f"{base}:bucket", f"{base}:paused", f"{base}:leases"

    async def try_acquire(self, key: str, lease: str = "") -> tuple[float, int]:
        """One atomic attempt at a turn, without waiting.

        Args:
            key: The API and account.
            lease: The lease's id, when ``max_concurrency`` is set.

        Returns:
            ``(0, 0)`` when admitted, else the seconds to wait before asking
            again and why (1 paused, 2 concurrency, 3 rate).
        """
        rate = self._rate
        wait, why = await self._admit(
            keys=self.keys(key),
            args=[
                repr(float(rate.per_second)) if rate is not None else "0",
                rate.burst if rate is not None else 0,
                self._max_concurrency or 0,
                lease,
                round(self._lease_ttl * 1e6),
                round(self._poll * 1e6),
            ],
        )
        return int(wait) / 1e6, int(why)

    async def acquire(self, key: str, max_wait: float) -> Release:
        """Wait for an attempt's turn; see :class:`itsm_async.Limiter`."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError("RedisLimiter runs on asyncio only (redis-py's asyncio client)") from None
        deadline = anyio.current_time() + max_wait
        lease = uuid.uuid4().hex if self._max_concurrency is not None else ""
        queue = self._queues.setdefault(key, anyio.Lock())
        admitted = False
        with anyio.move_on_after(max_wait):
            async with queue:
                while True:
                    # Shielded: an admission the server made is never lost to
                    # a cancellation, nor a connection left mid-reply; bounded,
                    # so that a server that does not answer cannot hold the call.
                    wait, why = math.inf, -1
                    with anyio.CancelScope(shield=True, deadline=deadline + _ANSWER_GRACE):
                        wait, why = await self.try_acquire(key, lease)
                    if why == -1:
                        raise LimitTimeout(f"Redis did not answer within the call's time budget ({self._redis!r})")
                    if why == 0:
                        admitted = True
                        break
                    left = deadline - anyio.current_time()
                    if why != 2 and wait > left:
                        raise LimitTimeout(_WHY[why].format(wait=wait) + ", past the call's time budget")
                    await anyio.sleep(min(wait, max(left, 0.0)))
        if not admitted:
            raise LimitTimeout(f"waited {max_wait:g}s: {_WHY[2]}, past the call's time budget")
        if not lease:
            return _nothing
        return self._hold(key, lease)

    def _hold(self, key: str, lease: str) -> Release:
        leases = self.keys(key)[2]
        renewal = asyncio.get_running_loop().create_task(self._keep(leases, lease))
        self._renewals.add(renewal)

        async def release() -> None:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal
            self._renewals.discard(renewal)
            released = False
            with anyio.move_on_after(self._lease_ttl):
                try:
                    await self._redis.zrem(leases, lease)
                    released = True
                except redis.exceptions.RedisError:
                    logger.debug("releasing a lease of %s failed", leases, exc_info=True)
            if not released:
                logger.warning("could not release a lease of %s; it lapses in %gs", leases, self._lease_ttl)

        return release

    async def _keep(self, leases: str, lease: str) -> None:
        ttl = round(self._lease_ttl * 1e6)
        while True:
            await asyncio.sleep(self._lease_ttl / 3)
            try:
                if not await self._renew(keys=[leases], args=[lease, ttl]):
                    logger.warning("a lease of %s lapsed before its request ended", leases)
                    return
            except redis.exceptions.RedisError:
                logger.warning("could not renew a lease of %s", leases, exc_info=True)

    async def pause(self, key: str, seconds: float) -> None:
        """Pause every replica's attempts for ``key`` for ``seconds``; see :class:`itsm_async.Limiter`."""
        if seconds > 0:
            await self._pause(keys=[self.keys(key)[1]], args=[math.ceil(seconds * 1e6)])


async def _nothing() -> None:
    """The release of a turn that holds no lease."""
