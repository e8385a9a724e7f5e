"""The retry policy and the pure decision of whether, and when, to retry.

The retrying transport (``_transport.py``) asks :func:`decide` after each
failed attempt; nothing here does I/O or sleeps.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable, Iterable, Mapping

import attrs
import httpx

#: RFC 9110 section 9.2.2: repeating these has the same effect as sending once.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})

#: Statuses worth another attempt: timeouts, rate limits and passing server failures.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def _statuses(statuses: Iterable[int]) -> frozenset[int]:
    return frozenset(statuses)


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How a client retries failed requests.

    Backoff before retry ``n`` (1-based) is
    ``min(max_backoff, initial_backoff * exp_base ** (n - 1) + uniform(0, jitter))``;
    a server's ``Retry-After`` replaces it when present.

    Args:
        max_attempts: Attempts in all, the first included; 1 disables retries.
        initial_backoff: Seconds before the first retry, before jitter.
        max_backoff: Upper bound of any computed backoff, in seconds.
        jitter: Upper bound of the random seconds added to each backoff.
        exp_base: Growth factor of the backoff.
        budget: Seconds that all attempts and waits of one call may take.
            Each attempt's timeouts are clipped to what is left of it, and a
            retry whose wait would use it up is not made.
        max_retry_after: The longest ``Retry-After`` honoured, in seconds; a
            server asking for longer gets no retry, and the caller gets the
            error with its ``retry_after``.
        retry_statuses: Statuses that are retried.
        retry_non_idempotent: Retry POST and PATCH like GET. Only safe when
            the server deduplicates them; by default they are retried only
            when the server cannot have acted on them.
    """

    max_attempts: int = attrs.field(default=4, validator=attrs.validators.ge(1))
    initial_backoff: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    max_backoff: float = attrs.field(default=8.0, validator=attrs.validators.ge(0))
    jitter: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    exp_base: float = attrs.field(default=2.0, validator=attrs.validators.ge(1))
    budget: float = attrs.field(default=60.0, validator=attrs.validators.gt(0))
    max_retry_after: float = attrs.field(default=60.0, validator=attrs.validators.ge(0))
    retry_statuses: frozenset[int] = attrs.field(default=RETRY_STATUSES, converter=_statuses)
    retry_non_idempotent: bool = False

    @classmethod
    def never(cls) -> RetryPolicy:
        """A policy that makes one attempt only."""
        return cls(max_attempts=1)

    def backoff(self, retry: int, uniform: Callable[[float, float], float] = random.uniform) -> float:
        """The computed wait before retry number ``retry`` (1-based).

        Args:
            retry: 1 for the wait after the first attempt, and so on.
            uniform: The source of jitter, replaceable in tests.

        Returns:
            Seconds to wait.
        """
        jitter = uniform(0, self.jitter) if self.jitter else 0.0
        try:
            grown = self.initial_backoff * self.exp_base ** (retry - 1)
        except OverflowError:
            return self.max_backoff
        return min(self.max_backoff, grown + jitter)


@attrs.frozen
class RetryDecision:
    """A decision to retry: after ``delay`` seconds, because of ``reason``."""

    delay: float
    reason: str


def parse_retry_after(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """The delay a server asks for, in seconds.

    Reads ``retry-after-ms`` (milliseconds), then ``Retry-After`` as
    delay-seconds or an HTTP-date (RFC 9110 section 10.2.3).

    Args:
        headers: Response headers (case-insensitive mapping).
        now: The wall clock for HTTP dates, replaceable in tests.

    Returns:
        Non-negative seconds, or None when absent or unreadable.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value
    text = lowered.get("retry-after")
    if text is None:
        return None
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        return max(0.0, when.timestamp() - now())
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _not_sent(error: Exception) -> bool:
    # No connection was made, so the server cannot have seen the request.
    return isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def decide(
    policy: RetryPolicy,
    method: str,
    *,
    attempt: int,
    elapsed: float,
    response: httpx.Response | None = None,
    error: Exception | None = None,
    uniform: Callable[[float, float], float] = random.uniform,
    now: Callable[[], float] = time.time,
) -> RetryDecision | None:
    """Decide whether a failed attempt is retried, and after how long.

    Args:
        policy: The policy in force for the call.
        method: The request's HTTP method.
        attempt: The attempt that just failed, 1-based.
        elapsed: Seconds since the call's first attempt started.
        response: The response, when the attempt got one.
        error: The httpx exception, when it got none.
        uniform: The source of jitter.
        now: The wall clock, for HTTP-date ``Retry-After``.

    Returns:
        The decision to retry, or None to give up and surface the failure.
    """
    if attempt >= policy.max_attempts:
        return None
    idempotent = method.upper() in IDEMPOTENT_METHODS or policy.retry_non_idempotent
    server_delay: float | None = None
    if response is not None:
        status = response.status_code
        if status not in policy.retry_statuses:
            return None
        server_delay = parse_retry_after(response.headers, now)
        # POST and PATCH are retried only when the server says it did not
        # act: 429 (rate limited before processing), or 503 with Retry-After.
        if not idempotent and not (status == 429 or (status == 503 and server_delay is not None)):
            return None
        reason = f"status {status}"
    elif error is not None:
        if not (_not_sent(error) or (idempotent and isinstance(error, httpx.TransportError))):
            return None
        reason = type(error).__name__
    else:
        return None
    if server_delay is not None:
        if server_delay > policy.max_retry_after:
            return None
        delay = server_delay
    else:
        delay = policy.backoff(attempt, uniform)
    # The retry must start with time left in the budget: one that would start
    # at (or past) its end could only time out at once.
    if elapsed + delay >= policy.budget:
        return None
    return RetryDecision(delay=delay, reason=reason)
