"""The retrying transport: one place where every operation is retried.

It wraps any ``httpx.AsyncBaseTransport`` and delegates each attempt to it.
stamina runs the attempts (on asyncio and trio alike, with its testing mode
that zeroes waits); :func:`~itsm_async._retry.decide` chooses which failures
are retried and the wait before each, and that wait is handed to stamina as
the backoff.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

import attrs
import httpx
import stamina

from ._retry import RetryPolicy, decide

logger = logging.getLogger("itsm_async")

#: Request extension that overrides the client's policy for one request.
RETRY_POLICY_EXTENSION = "itsm_async.retry_policy"


@attrs.frozen
class RetryEvent:
    """One retry about to happen: what failed and how long until the next attempt."""

    method: str
    path: str
    attempt: int
    delay: float
    reason: str


class RetryHook(Protocol):
    """Receives a :class:`RetryEvent` before each retry (metrics, tracing)."""

    def __call__(self, event: RetryEvent, /) -> None: ...


class _RetryableResponse(Exception):
    """Carries a response with a retryable status through stamina."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response


class RetryTransport(httpx.AsyncBaseTransport):
    """Retries requests sent through an inner transport.

    Each attempt's body is read inside the attempt, so a connection dropped
    mid-response is retried like any other transport failure.

    Args:
        inner: The transport that sends each attempt.
        policy: The default policy; a request may carry its own in the
            ``RETRY_POLICY_EXTENSION`` extension.
        on_retry: Called with a :class:`RetryEvent` before each retry.
        clock: Monotonic seconds, for the time budget; replaceable in tests.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        policy: RetryPolicy,
        *,
        on_retry: RetryHook | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner
        self._policy = policy
        self._on_retry = on_retry
        self._clock = clock
        self.retries = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        policy = request.extensions.get(RETRY_POLICY_EXTENSION, self._policy)
        started = self._clock()
        attempt = 0

        def backoff_hook(exc: Exception) -> bool | float:
            response = exc.response if isinstance(exc, _RetryableResponse) else None
            error = None if response is not None else exc
            decision = decide(
                policy,
                request.method,
                attempt=attempt,
                elapsed=self._clock() - started,
                response=response,
                error=error,
            )
            if decision is None:
                return False
            self.retries += 1
            logger.debug(
                "retrying %s %s: attempt %d failed (%s); next attempt in %.2fs",
                request.method,
                request.url.path,
                attempt,
                decision.reason,
                decision.delay,
            )
            if self._on_retry is not None:
                self._on_retry(RetryEvent(request.method, request.url.path, attempt, decision.delay, decision.reason))
            return decision.delay

        try:
            async for retrying in stamina.retry_context(on=backoff_hook, attempts=policy.max_attempts, timeout=None):
                with retrying:
                    attempt = retrying.num
                    response = await self._send_once(request)
                    if response.status_code in policy.retry_statuses:
                        raise _RetryableResponse(response)
                    return response
        except _RetryableResponse as exhausted:
            return exhausted.response
        raise AssertionError("stamina ended the attempts without an outcome")  # pragma: no cover

    async def _send_once(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        try:
            # The raw stream, still content-encoded: httpx decodes it later.
            stream = response.stream
            assert isinstance(stream, httpx.AsyncByteStream)
            raw = b"".join([chunk async for chunk in stream])
        finally:
            await response.aclose()
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(raw),
            extensions=response.extensions,
            request=request,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()
