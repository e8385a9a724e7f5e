"""Client-wide limits: requests in flight, a rate with a burst, and a 429's pause.

:class:`LimitedTransport` wraps the transport that sends each attempt and
sits under the retrying transport, so every attempt, retries included, waits
for its turn: a slot among ``max_concurrency`` (held until the response body
is closed, as httpcore holds a pooled connection), then the
:class:`Limiter`'s turn: the end of any pause, then a token of the rate
limit. A 429 with ``Retry-After`` pauses every attempt through the limiter,
not only the call that saw it.

The in-memory limiter (a :class:`RateLimit`, or none) is per client; a
shared one, such as ``itsm_async.redis.RedisLimiter``, implements the same
:class:`Limiter` protocol for many clients, processes and machines.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol, runtime_checkable

import anyio
import attrs
import httpx
import stamina

from . import _arguments as check
from ._exceptions import InvalidArgumentError
from ._retry import parse_retry_after

logger = logging.getLogger("itsm_async")

#: Request extension: seconds an attempt may wait for its turn (the retrying
#: transport sets it to what is left of the call's budget).
LIMIT_WAIT_EXTENSION = "itsm_async.limit_wait"
#: Request extension: the longest pause a 429 may impose (the policy's ``max_retry_after``).
MAX_PAUSE_EXTENSION = "itsm_async.max_pause"
#: The longest pause when no retrying transport says otherwise: ``RetryPolicy().max_retry_after``.
DEFAULT_MAX_PAUSE = 60.0

#: An attempt's wait ends this much before the budget does: admitted with no
#: time left it could only be cut short, and the retrying transport's own cap
#: at the budget's end would report a read timeout instead of the limit.
ADMISSION_MARGIN = 0.001

#: Ends an attempt's hold on a limiter; called once, when the attempt is over.
Release = Callable[[], Awaitable[None]]


def _check_rate(instance: RateLimit, attribute: attrs.Attribute[float], value: object) -> None:
    if not (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0):
        check.refuse("RateLimit", "per_second", "a positive, finite number of requests per second", value)


def _check_burst(instance: RateLimit, attribute: attrs.Attribute[int], value: object) -> None:
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        check.refuse("RateLimit", "burst", "a positive int (requests that may go at once)", value)


@attrs.frozen
class RateLimit:
    """A rate limit as a token bucket: ``per_second`` on average, up to ``burst`` at once.

    The bucket holds ``burst`` tokens and gains ``per_second`` a second; each
    attempt takes one. In any window of ``t`` seconds at most
    ``burst + per_second * t`` attempts start, so an API that allows ``N``
    requests in each second is never tripped with ``per_second + burst <= N``.

    Args:
        per_second: Requests per second, on average (a fraction for slower rates).
        burst: Requests that may start at once after a quiet spell.

    Raises:
        InvalidArgumentError: ``per_second`` is not a positive, finite number,
            or ``burst`` is not a positive int.
    """

    per_second: float = attrs.field(validator=_check_rate)
    burst: int = attrs.field(default=1, validator=_check_burst)


class LimitTimeout(httpx.PoolTimeout):
    """An attempt's turn would come, or came, too late for the call's time budget; nothing was sent.

    A pool timeout, as httpx's own wait for a pooled connection: the client
    reports it as an ``ApiTimeoutError``, and it is never retried (a later
    attempt would queue again).
    """


@runtime_checkable
class Limiter(Protocol):
    """Decides when each attempt may be sent, for one or many clients.

    ``key`` names the API and account (``"spiceworks"``, ``"kloudless:123"``):
    a limiter shared by several clients keeps one limit per key.
    """

    async def acquire(self, key: str, max_wait: float) -> Release:
        """Wait for an attempt's turn.

        Args:
            key: The API and account the attempt is for.
            max_wait: Seconds the attempt may wait (``math.inf`` for no bound).

        Returns:
            The release, awaited once when the attempt ends.

        Raises:
            LimitTimeout: The turn cannot come within ``max_wait``.
        """
        ...

    async def pause(self, key: str, seconds: float) -> None:
        """Hold back every attempt for ``key`` for ``seconds`` (a server's ``Retry-After``)."""
        ...


async def _released() -> None:
    """The release of a turn that holds nothing."""


class TokenBucket:
    """The token bucket of a :class:`RateLimit`, as arithmetic on the times it is given.

    Args:
        rate: The rate and burst.
        now: The time it starts at, full.
    """

    # A token is counted whole when this close to it: after a wait computed
    # to the token, float error must not ask for another wait of 1e-17 s.
    _EPSILON = 1e-9

    def __init__(self, rate: RateLimit, now: float) -> None:
        self._per_second = float(rate.per_second)
        self._burst = float(rate.burst)
        self._tokens = self._burst
        self._updated = now

    def _refill(self, now: float) -> None:
        if now > self._updated:
            self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._per_second)
            self._updated = now

    def wait(self, now: float) -> float:
        """Seconds from ``now`` until a token is there; 0 when one is."""
        self._refill(now)
        missing = 1.0 - self._tokens
        return 0.0 if missing <= self._EPSILON else missing / self._per_second

    def take(self, now: float) -> None:
        """Take a token (call when :meth:`wait` says 0)."""
        self._refill(now)
        self._tokens -= 1.0


class LocalLimiter:
    """The in-memory limiter of one client: an optional rate limit and the 429 pause.

    Waiters take their turns first come, first served.

    Args:
        rate: The rate limit, or None for the pause only.
        clock: Seconds; the event loop's clock (``anyio.current_time``) by default.
        sleep: Waits the given seconds; ``anyio.sleep`` by default.
    """

    def __init__(
        self,
        rate: RateLimit | None = None,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self._rate = rate
        self._clock = clock if clock is not None else anyio.current_time
        self._sleep = sleep if sleep is not None else anyio.sleep
        self._bucket: TokenBucket | None = None
        self._queue = anyio.Lock()
        self._paused_until = -math.inf

    async def acquire(self, key: str, max_wait: float) -> Release:
        now = self._clock()
        deadline = now + max_wait
        if self._rate is None:
            if self._paused_until > now:  # never, until a 429 asks for a pause
                await self._wait_for_turn(deadline, lambda now: 0.0)
            return _released
        if self._bucket is None:
            self._bucket = TokenBucket(self._rate, now)
        bucket = self._bucket
        # The common case: nobody queued, not paused, a token there. The lock
        # stays held while anyone waits for it, so this never jumps the queue.
        if not self._queue.locked() and self._paused_until <= now and bucket.wait(now) == 0:
            bucket.take(now)
            return _released
        with anyio.move_on_after(max_wait):
            async with self._queue:
                await self._wait_for_turn(deadline, bucket.wait)
                bucket.take(self._clock())
                return _released
        raise LimitTimeout(f"waited {max_wait:g}s in the queue for the rate limit, past the call's time budget")

    async def _wait_for_turn(self, deadline: float, rate_wait: Callable[[float], float]) -> None:
        while True:
            now = self._clock()
            paused = self._paused_until - now
            wait = max(paused, rate_wait(now))
            if wait <= 0:
                return
            if now + wait > deadline:
                why = (
                    f"the client is paused for {paused:.3g}s more after a 429 (Retry-After)"
                    if paused >= wait
                    else f"the rate limit's next turn is {wait:.3g}s away"
                )
                raise LimitTimeout(f"{why}, past the call's time budget")
            await self._sleep(wait)

    async def pause(self, key: str, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)


class _Held:
    """What one attempt holds: a slot of ``max_concurrency``, the limiter's release, or neither."""

    __slots__ = ("release", "slots")

    def __init__(self, slots: anyio.Semaphore | None) -> None:
        self.slots = slots
        self.release: Release | None = None

    @property
    def nothing(self) -> bool:
        return self.slots is None and self.release is None

    async def aclose(self) -> None:
        """Give everything back, once; a cancellation cannot stop it halfway."""
        slots, self.slots = self.slots, None
        release, self.release = self.release, None
        try:
            if release is not None:
                with anyio.CancelScope(shield=True):
                    await release()
        finally:
            if slots is not None:
                slots.release()


class _ReleasingStream(httpx.AsyncByteStream):
    """A response body that gives back what its attempt held when it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, held: _Held) -> None:
        self._stream = stream
        self._held = held

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._stream.__aiter__()

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            await self._held.aclose()


class LimitedTransport(httpx.AsyncBaseTransport):
    """Sends each request through an inner transport when the client's limits allow.

    Args:
        inner: The transport that sends the request.
        limiter: The rate limit and pause; a fresh ``LocalLimiter()`` (the
            pause only) by default.
        key: The API and account, as the limiter keys its limits.
        max_concurrency: Requests in flight at once, or None for no bound.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        limiter: Limiter | None = None,
        key: str = "",
        max_concurrency: int | None = None,
    ) -> None:
        self._inner = inner
        self._limiter: Limiter = limiter if limiter is not None else LocalLimiter()
        self._key = key
        self._max_concurrency = max_concurrency
        self._slots = anyio.Semaphore(max_concurrency) if max_concurrency is not None else None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        max_wait = float(request.extensions.get(LIMIT_WAIT_EXTENSION, math.inf)) - ADMISSION_MARGIN
        try:
            if self._slots is not None:
                max_wait = await self._take_slot(max_wait)
        except LimitTimeout as exc:
            exc.request = request
            raise
        held = _Held(self._slots)
        try:
            release = await self._limiter.acquire(self._key, max_wait)
            if release is not _released:
                held.release = release
            response = await self._inner.handle_async_request(request)
        except BaseException as exc:
            if isinstance(exc, LimitTimeout):
                exc.request = request
            await held.aclose()
            raise
        if response.status_code == 429:
            try:
                await self._pause(request, response)
            except Exception:  # the 429 still reaches the caller, paused or not
                logger.warning("could not pause the client after a 429 from %s", request.url.path, exc_info=True)
        if held.nothing:
            return response
        if response.is_closed:
            # Built with its content (a mock, an in-process app): already read,
            # so closing it again does nothing and nothing is left in flight.
            await held.aclose()
            return response
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        response.stream = _ReleasingStream(stream, held)
        return response

    async def _take_slot(self, max_wait: float) -> float:
        """Take one of the ``max_concurrency`` slots; returns what is left of ``max_wait``."""
        assert self._slots is not None
        try:
            # A free slot means nobody waits for one: no queue to jump.
            self._slots.acquire_nowait()
            return max_wait
        except anyio.WouldBlock:
            pass
        started = anyio.current_time()
        with anyio.move_on_after(max_wait):
            await self._slots.acquire()
            return max_wait - (anyio.current_time() - started)
        raise LimitTimeout(
            f"waited {max_wait:g}s for one of the client's {self._max_concurrency} requests in flight"
            " (max_concurrency), past the call's time budget"
        )

    async def _pause(self, request: httpx.Request, response: httpx.Response) -> None:
        # The server's Retry-After speaks for the account, not for one call.
        # stamina's testing mode zeroes the retries' waits; the pause follows it.
        seconds = parse_retry_after(response.headers)
        if not seconds or stamina.is_testing():
            return
        cap = float(request.extensions.get(MAX_PAUSE_EXTENSION, DEFAULT_MAX_PAUSE))
        await self._limiter.pause(self._key, min(seconds, cap))

    async def aclose(self) -> None:
        await self._inner.aclose()


def limit_key(api: str, account: str | None = None) -> str:
    """The key a limiter keeps a client's limits under: ``"kloudless:123"``, ``"spiceworks"``."""
    return api if account is None else f"{api}:{account}"


@attrs.frozen
class Limits:
    """A client's checked ``max_concurrency`` and ``rate_limit``, before its transport is built."""

    max_concurrency: int | None
    rate_limit: RateLimit | Limiter | None

    def transport(self, inner: httpx.AsyncBaseTransport, *, key: str) -> LimitedTransport:
        """The limited transport over ``inner``, its limits kept under ``key`` (see :func:`limit_key`)."""
        rate = self.rate_limit
        limiter = LocalLimiter(rate) if rate is None or isinstance(rate, RateLimit) else rate
        return LimitedTransport(inner, limiter=limiter, key=key, max_concurrency=self.max_concurrency)


def check_limits(where: str, *, max_concurrency: object, rate_limit: object) -> Limits:
    """Check a client's ``max_concurrency`` and ``rate_limit`` arguments.

    Args:
        where: The constructor, for messages.
        max_concurrency: A positive int, or None.
        rate_limit: A ``RateLimit``, a ``Limiter`` (``RedisLimiter``), or None.

    Returns:
        The checked limits.

    Raises:
        InvalidArgumentError: Either is of the wrong type or out of bounds, named in the message.
    """
    concurrency: int | None = None
    if isinstance(max_concurrency, int) and not isinstance(max_concurrency, bool) and max_concurrency >= 1:
        concurrency = max_concurrency
    elif max_concurrency is not None:
        check.refuse(where, "max_concurrency", "a positive int (requests in flight at once) or None", max_concurrency)
    # A class has the protocol's methods too: RedisLimiter, not RedisLimiter(...).
    if isinstance(rate_limit, type):
        raise InvalidArgumentError(f"{where}: rate_limit must be an instance, got the class {rate_limit.__name__}")
    rate: RateLimit | Limiter | None = None
    if isinstance(rate_limit, RateLimit | Limiter):
        rate = rate_limit
    elif rate_limit is not None:
        check.refuse(
            where,
            "rate_limit",
            "a RateLimit (RateLimit(per_second=50, burst=10)), a Limiter such as RedisLimiter, or None",
            rate_limit,
        )
    return Limits(concurrency, rate)
