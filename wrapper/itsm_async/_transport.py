"""The retrying transport: one place where every operation is retried.

It wraps any ``httpx.AsyncBaseTransport`` and delegates each attempt to it.
stamina runs the attempts (on asyncio and trio alike, with its testing mode
that zeroes waits and may cap the attempts); :func:`~itsm_async._retry.decide`
chooses which failures are retried and the wait before each.

stamina asks its backoff hook before it checks its own limits, so a retry is
only announced (``on_retry``, the log, ``retries``) once stamina has started
the next attempt; the wait is made there, ahead of it, and zeroed in
stamina's testing mode as stamina's own waits are.

The policy's ``budget`` caps the whole call: each attempt's timeouts are
clipped to what is left of it, and an attempt still running when it ends is
cut short with an ``httpx.ReadTimeout``.

The clients put their limits (``_limits.LimitedTransport``) under this
transport, so that every attempt takes its own turn; each attempt tells them
how long it may wait for it (what is left of the budget) and the longest
pause a 429 may impose (the policy's ``max_retry_after``). A ``LimitTimeout``
is not retried: a later attempt would queue again.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

import anyio
import attrs
import httpx
import sniffio
import stamina

from ._inmemory import read_in_memory
from ._limits import LIMIT_WAIT_EXTENSION, MAX_PAUSE_EXTENSION, LimitTimeout
from ._retry import RetryDecision, RetryPolicy, decide

logger = logging.getLogger("itsm_async")

#: Request extension that overrides the client's policy for one request.
RETRY_POLICY_EXTENSION = "itsm_async.retry_policy"

#: The phases of ``request.extensions["timeout"]`` that httpx and httpcore read.
_TIMEOUT_PHASES = ("connect", "read", "write", "pool")


@attrs.frozen
class RetryEvent:
    """One retry that is about to happen: what failed, and the wait before the next attempt."""

    method: str
    path: str
    attempt: int
    delay: float
    reason: str


class RetryHook(Protocol):
    """Receives a :class:`RetryEvent` before each retry, ahead of its wait (metrics, tracing)."""

    def __call__(self, event: RetryEvent, /) -> None: ...


class _RetryableResponse(Exception):
    """Carries a response with a retryable status through stamina."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response


def _clipped(timeouts: Mapping[str, float | None], remaining: float) -> dict[str, float]:
    """Each phase's timeout, no longer than ``remaining``; a phase without one gets ``remaining``."""
    clipped = {phase: remaining for phase in _TIMEOUT_PHASES}
    for phase, value in timeouts.items():
        clipped[phase] = remaining if value is None else min(value, remaining)
    return clipped


class RetryTransport(httpx.AsyncBaseTransport):
    """Retries requests sent through an inner transport.

    Each attempt's body is read (and decoded) inside the attempt, so a
    connection dropped mid-response is retried like any other transport
    failure; the response returned is read and closed, its ``elapsed`` set.

    Args:
        inner: The transport that sends each attempt.
        policy: The default policy; a request may carry its own in the
            ``RETRY_POLICY_EXTENSION`` extension.
        on_retry: Called with a :class:`RetryEvent` before each retry, only
            when the retry will be made.
        clock: Seconds, for the time budget; the event loop's clock
            (``anyio.current_time``) by default, replaceable in tests.
        sleep: Waits the given seconds before a retry; ``anyio.sleep`` by
            default, replaceable in tests (a fake clock's sleep).
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        policy: RetryPolicy,
        *,
        on_retry: RetryHook | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self._inner = inner
        self._policy = policy
        self._on_retry = on_retry
        self._clock = clock if clock is not None else anyio.current_time
        self._sleep = sleep if sleep is not None else anyio.sleep
        #: Retries made so far, across all calls: only retries that were sent.
        self.retries = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        policy: RetryPolicy = request.extensions.get(RETRY_POLICY_EXTENSION, self._policy)
        timeouts: Mapping[str, float | None] = request.extensions.get("timeout") or {}
        started = self._clock()
        # The first attempt goes out directly: most calls need no retry, and
        # stamina's loop is only entered once an attempt has failed.
        try:
            response = await self._attempt(request, timeouts, policy.budget, policy, retry=False)
        except Exception as exc:  # noqa: BLE001 - stamina decides what is retried, and re-raises the rest
            first: Exception = exc
        else:
            if response.status_code not in policy.retry_statuses:
                return response
            first = _RetryableResponse(response)
        return await self._retry(request, policy, timeouts, started, first)

    async def _retry(
        self,
        request: httpx.Request,
        policy: RetryPolicy,
        timeouts: Mapping[str, float | None],
        started: float,
        first: Exception,
    ) -> httpx.Response:
        """The attempts after a failed first one, run by stamina.

        stamina's own first attempt raises the first attempt's failure again
        (nothing is sent twice), so that its decision, limits, instrumentation
        and testing mode see every attempt as they would in one loop.
        """
        attempt = 0
        pending: RetryDecision | None = None

        def backoff_hook(exc: Exception) -> bool | float:
            nonlocal pending
            response = exc.response if isinstance(exc, _RetryableResponse) else None
            if isinstance(exc, LimitTimeout):
                # The client's limits (a pause, the rate's queue) would not let
                # a later attempt through within the budget either.
                pending = None
                return False
            pending = decide(
                policy,
                request.method,
                attempt=attempt,
                elapsed=self._clock() - started,
                response=response,
                error=None if response is not None else exc,
            )
            # stamina checks its attempt limit only after this hook: the retry
            # is announced and waited for when its attempt starts, so that
            # stamina waits nothing here.
            return False if pending is None else 0.0

        try:
            async for retrying in stamina.retry_context(on=backoff_hook, attempts=policy.max_attempts, timeout=None):
                if pending is not None:
                    await self._before_retry(request, attempt, pending)
                    pending = None
                with retrying:
                    attempt = retrying.num
                    if attempt == 1:
                        raise first
                    remaining = policy.budget - (self._clock() - started)
                    response = await self._attempt(request, timeouts, remaining, policy, retry=True)
                    if response.status_code in policy.retry_statuses:
                        raise _RetryableResponse(response)
                    return response
        except _RetryableResponse as exhausted:
            return exhausted.response
        raise AssertionError("stamina ended the attempts without an outcome")  # pragma: no cover

    async def _before_retry(self, request: httpx.Request, failed: int, decision: RetryDecision) -> None:
        logger.debug(
            "retrying %s %s: attempt %d failed (%s); next attempt in %.2fs",
            request.method,
            request.url.path,
            failed,
            decision.reason,
            decision.delay,
        )
        if self._on_retry is not None:
            self._on_retry(RetryEvent(request.method, request.url.path, failed, decision.delay, decision.reason))
        # stamina's testing mode zeroes its waits; this one follows it.
        await self._sleep(0.0 if stamina.is_testing() else decision.delay)

    async def _attempt(
        self,
        request: httpx.Request,
        timeouts: Mapping[str, float | None],
        remaining: float,
        policy: RetryPolicy,
        *,
        retry: bool,
    ) -> httpx.Response:
        budget = policy.budget
        if remaining <= 0:
            raise httpx.PoolTimeout(f"the call's time budget of {budget:g}s ran out before sending", request=request)
        if retry:
            self.retries += 1
        # A copy per attempt: the caller's request keeps its own timeouts for
        # a replay (the client sends it again after a 401).
        attempt = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            stream=request.stream,
            extensions={
                **request.extensions,
                "timeout": _clipped(timeouts, remaining),
                # For the client's limits under this transport: how long the
                # attempt may wait for its turn, and the longest 429 pause.
                LIMIT_WAIT_EXTENSION: remaining,
                MAX_PAUSE_EXTENSION: policy.max_retry_after,
            },
        )
        if isinstance(attempt.stream, httpx.ByteStream):
            # A body in memory (or none) is read now, so that every transport
            # sees its length: aiohttp's would otherwise send a bodiless GET chunked.
            attempt.read()
        # The inner transport should honour the clipped timeouts; this cap
        # holds the budget for one that does not (a fake, an ASGI app). On
        # asyncio, asyncio's own timeout is the cap: an anyio cancel scope
        # costs about twice as much, on every call (README, *Design notes*).
        if sniffio.current_async_library() == "asyncio":
            cap = asyncio.timeout(remaining)
            try:
                async with cap:
                    return await self._send_once(attempt, request)
            except TimeoutError:
                if not cap.expired():
                    raise  # the inner transport's own
        else:
            with anyio.move_on_after(remaining):
                return await self._send_once(attempt, request)
        raise httpx.ReadTimeout(f"the call's time budget of {budget:g}s ran out during the attempt", request=request)

    async def _send_once(self, attempt: httpx.Request, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        response = await self._inner.handle_async_request(attempt)
        try:
            if isinstance(response.stream, httpx.ByteStream):
                read_in_memory(response)  # in memory already: no need to iterate it
            else:
                await response.aread()
        except BaseException:
            # Released even when the budget cut the attempt short.
            with anyio.CancelScope(shield=True):
                await response.aclose()
            raise
        response.request = request
        # Read and closed here, so an httpx client above would not time it.
        response.elapsed = datetime.timedelta(seconds=time.perf_counter() - started)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
