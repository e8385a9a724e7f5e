"""The retry policy, ``Retry-After`` parsing and the pure retry decision (``_retry.py``)."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from itsm_async import RetryPolicy
from itsm_async._retry import IDEMPOTENT_METHODS, RETRY_STATUSES, RetryDecision, decide, parse_retry_after

URL = "https://sw.test/api/v1/tickets/42"
#: 2015-10-21T07:28:00Z, the instant the HTTP-date below names.
DATE_EPOCH = 1445412480.0
HTTP_DATE = "Wed, 21 Oct 2015 07:28:00 GMT"


def top_of_range(low: float, high: float) -> float:
    """A jitter source that always picks the largest jitter."""
    return high


def no_jitter_expected(low: float, high: float) -> float:
    raise AssertionError("uniform() must not be called when jitter is 0")


def response(status: int, method: str = "GET", headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=httpx.Request(method, URL))


def error(cls: type[httpx.TransportError], method: str = "GET") -> httpx.TransportError:
    return cls("boom", request=httpx.Request(method, URL))


# --- RetryPolicy -------------------------------------------------------------


def test_policy_defaults() -> None:
    policy = RetryPolicy()
    assert policy.max_attempts == 4
    assert policy.initial_backoff == 0.5
    assert policy.max_backoff == 8.0
    assert policy.jitter == 0.5
    assert policy.exp_base == 2.0
    assert policy.budget == 60.0
    assert policy.max_retry_after == 60.0
    assert policy.retry_statuses == frozenset({408, 429, 500, 502, 503, 504})
    assert policy.retry_non_idempotent is False


def test_never_makes_one_attempt() -> None:
    assert RetryPolicy.never().max_attempts == 1
    assert decide(RetryPolicy.never(), "GET", attempt=1, elapsed=0, response=response(503)) is None


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"budget": 0}, {"exp_base": 0.5}, {"jitter": -1}, {"initial_backoff": -0.1}],
)
def test_policy_rejects_invalid_values(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_retry_statuses_are_converted_to_a_frozenset() -> None:
    # Regression: converter=frozenset made mypy reject any ints here.
    policy = RetryPolicy(retry_statuses=[418, 503])
    assert policy.retry_statuses == frozenset({418, 503})


def test_backoff_exact_values_with_fixed_jitter() -> None:
    policy = RetryPolicy(initial_backoff=0.5, exp_base=2, jitter=0.25, max_backoff=100)
    calls: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        calls.append((low, high))
        return 0.125

    assert [policy.backoff(n, uniform) for n in (1, 2, 3, 4)] == [0.625, 1.125, 2.125, 4.125]
    # The jitter is drawn from [0, jitter] once per backoff.
    assert calls == [(0, 0.25)] * 4


def test_backoff_grows_exponentially_without_jitter() -> None:
    policy = RetryPolicy(initial_backoff=0.5, exp_base=2, jitter=0, max_backoff=100)
    assert [policy.backoff(n, no_jitter_expected) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0]
    tripling = RetryPolicy(initial_backoff=0.1, exp_base=3, jitter=0, max_backoff=100)
    assert [tripling.backoff(n, no_jitter_expected) for n in (1, 2, 3)] == pytest.approx([0.1, 0.3, 0.9])


def test_backoff_is_capped_at_max_backoff_jitter_included() -> None:
    policy = RetryPolicy(initial_backoff=0.5, exp_base=2, jitter=0.5, max_backoff=8)
    assert [policy.backoff(n, top_of_range) for n in range(1, 8)] == [1.0, 1.5, 2.5, 4.5, 8.0, 8.0, 8.0]
    # 7.5 + 0.5 reaches the cap exactly; 7.0 + 0.5 stays below it.
    assert RetryPolicy(initial_backoff=7.5, jitter=0.5, max_backoff=8).backoff(1, top_of_range) == 8.0
    assert RetryPolicy(initial_backoff=7.0, jitter=0.5, max_backoff=8).backoff(1, top_of_range) == 7.5


def test_backoff_uses_random_jitter_within_bounds_by_default() -> None:
    policy = RetryPolicy(initial_backoff=1, jitter=0.5, max_backoff=100)
    for _ in range(50):
        assert 1.0 <= policy.backoff(1) <= 1.5


def test_backoff_never_overflows() -> None:
    assert RetryPolicy(max_backoff=8).backoff(2000, top_of_range) == 8.0


# --- parse_retry_after ---------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"Retry-After": " 3 "}, 3.0),
        ({"retry-after": "12"}, 12.0),
        ({"RETRY-AFTER": "12"}, 12.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"Retry-After-Ms": "250"}, 0.25),
        # retry-after-ms is the more precise of the two and wins.
        ({"retry-after-ms": "100", "Retry-After": "9"}, 0.1),
        # An unreadable retry-after-ms falls back to Retry-After.
        ({"retry-after-ms": "soon", "Retry-After": "9"}, 9.0),
        ({"retry-after-ms": "-5", "Retry-After": "9"}, 9.0),
    ],
)
def test_parse_retry_after_reads_seconds(headers: dict[str, str], expected: float) -> None:
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_reads_an_httpx_headers_object() -> None:
    assert parse_retry_after(httpx.Headers({"Retry-After": "4"})) == 4.0


@pytest.mark.parametrize(
    ("now", "expected"),
    [(DATE_EPOCH - 30, 30.0), (DATE_EPOCH - 0.5, 0.5), (DATE_EPOCH, 0.0), (DATE_EPOCH + 100, 0.0)],
)
def test_parse_retry_after_reads_an_http_date(now: float, expected: float) -> None:
    assert parse_retry_after({"Retry-After": HTTP_DATE}, now=lambda: now) == expected


def test_http_date_fixture_is_consistent() -> None:
    assert email.utils.parsedate_to_datetime(HTTP_DATE).timestamp() == DATE_EPOCH


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Content-Type": "application/json"},
        {"Retry-After": "-1"},
        {"Retry-After": "-0.5"},
        {"Retry-After": "soon"},
        {"Retry-After": ""},
        {"Retry-After": "nan"},
        {"Retry-After": "inf"},
        {"Retry-After": "Wed, 99 Foo 2015"},
        {"retry-after-ms": "-100"},
        {"retry-after-ms": "abc"},
        {"retry-after-ms": "inf"},
    ],
)
def test_parse_retry_after_rejects_absent_negative_and_garbage(headers: dict[str, str]) -> None:
    assert parse_retry_after(headers, now=lambda: DATE_EPOCH) is None


# --- decide ---------------------------------------------------------------------

NO_JITTER = RetryPolicy(jitter=0)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "HEAD", "OPTIONS", "get"])
@pytest.mark.parametrize("status", sorted(RETRY_STATUSES))
def test_idempotent_methods_retry_every_retry_status(method: str, status: int) -> None:
    decision = decide(NO_JITTER, method, attempt=1, elapsed=0, response=response(status, method.upper()))
    assert decision == RetryDecision(delay=0.5, reason=f"status {status}")


def test_retry_statuses_are_the_documented_set() -> None:
    assert frozenset({408, 429, 500, 502, 503, 504}) == RETRY_STATUSES
    assert {"GET", "PUT", "DELETE"} <= IDEMPOTENT_METHODS
    assert "POST" not in IDEMPOTENT_METHODS
    assert "PATCH" not in IDEMPOTENT_METHODS


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "POST", "PATCH"])
@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 501, 505, 520])
def test_other_statuses_are_not_retried(method: str, status: int) -> None:
    assert decide(NO_JITTER, method, attempt=1, elapsed=0, response=response(status, method)) is None


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("status", [408, 500, 502, 504])
def test_non_idempotent_methods_are_not_retried_on_server_failures(method: str, status: int) -> None:
    assert decide(NO_JITTER, method, attempt=1, elapsed=0, response=response(status, method)) is None
    # Even a Retry-After does not make these safe to repeat.
    with_retry_after = response(status, method, {"Retry-After": "1"})
    assert decide(NO_JITTER, method, attempt=1, elapsed=0, response=with_retry_after) is None


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_non_idempotent_methods_are_not_retried_on_503_without_retry_after(method: str) -> None:
    assert decide(NO_JITTER, method, attempt=1, elapsed=0, response=response(503, method)) is None


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_non_idempotent_methods_are_retried_on_503_with_retry_after(method: str) -> None:
    decision = decide(NO_JITTER, method, attempt=1, elapsed=0, response=response(503, method, {"Retry-After": "2"}))
    assert decision == RetryDecision(delay=2.0, reason="status 503")


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_non_idempotent_methods_are_retried_on_429(method: str) -> None:
    assert decide(NO_JITTER, method, attempt=1, elapsed=0, response=response(429, method)) == RetryDecision(
        delay=0.5, reason="status 429"
    )
    decision = decide(NO_JITTER, method, attempt=1, elapsed=0, response=response(429, method, {"Retry-After": "3"}))
    assert decision == RetryDecision(delay=3.0, reason="status 429")


def test_retry_non_idempotent_lets_post_retry_server_failures() -> None:
    policy = RetryPolicy(jitter=0, retry_non_idempotent=True)
    for status in (500, 502, 503, 504, 408):
        assert decide(policy, "POST", attempt=1, elapsed=0, response=response(status, "POST")) == RetryDecision(
            delay=0.5, reason=f"status {status}"
        )
    assert decide(policy, "PATCH", attempt=1, elapsed=0, error=error(httpx.ReadTimeout, "PATCH")) == RetryDecision(
        delay=0.5, reason="ReadTimeout"
    )


@pytest.mark.parametrize("method", ["POST", "PATCH", "GET"])
@pytest.mark.parametrize("cls", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_errors_before_sending_are_retried_for_every_method(method: str, cls: type[httpx.TransportError]) -> None:
    decision = decide(NO_JITTER, method, attempt=1, elapsed=0, error=error(cls, method))
    assert decision == RetryDecision(delay=0.5, reason=cls.__name__)


@pytest.mark.parametrize(
    "cls",
    [httpx.ReadTimeout, httpx.WriteTimeout, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError],
)
def test_errors_after_sending_are_retried_for_get_only(cls: type[httpx.TransportError]) -> None:
    assert decide(NO_JITTER, "GET", attempt=1, elapsed=0, error=error(cls)) == RetryDecision(
        delay=0.5, reason=cls.__name__
    )
    assert decide(NO_JITTER, "DELETE", attempt=1, elapsed=0, error=error(cls, "DELETE")) is not None
    assert decide(NO_JITTER, "POST", attempt=1, elapsed=0, error=error(cls, "POST")) is None
    assert decide(NO_JITTER, "PATCH", attempt=1, elapsed=0, error=error(cls, "PATCH")) is None


def test_errors_that_are_not_transport_errors_are_not_retried() -> None:
    decoding = httpx.DecodingError("bad gzip", request=httpx.Request("GET", URL))
    assert decide(NO_JITTER, "GET", attempt=1, elapsed=0, error=decoding) is None
    assert decide(NO_JITTER, "GET", attempt=1, elapsed=0, error=ValueError("nope")) is None


def test_nothing_to_judge_is_not_retried() -> None:
    assert decide(NO_JITTER, "GET", attempt=1, elapsed=0) is None


def test_attempts_are_capped() -> None:
    policy = RetryPolicy(max_attempts=3, jitter=0)
    assert decide(policy, "GET", attempt=1, elapsed=0, response=response(503)) == RetryDecision(0.5, "status 503")
    assert decide(policy, "GET", attempt=2, elapsed=0, response=response(503)) == RetryDecision(1.0, "status 503")
    assert decide(policy, "GET", attempt=3, elapsed=0, response=response(503)) is None
    assert decide(policy, "GET", attempt=3, elapsed=0, error=error(httpx.ConnectError)) is None


def test_backoff_uses_the_failed_attempt_number_and_the_jitter_source() -> None:
    policy = RetryPolicy(initial_backoff=1, jitter=0.5, max_backoff=100)
    delays = [
        decide(policy, "GET", attempt=n, elapsed=0, response=response(500), uniform=top_of_range) for n in (1, 2, 3)
    ]
    assert delays == [
        RetryDecision(1.5, "status 500"),
        RetryDecision(2.5, "status 500"),
        RetryDecision(4.5, "status 500"),
    ]


def test_budget_stops_a_retry_whose_wait_would_use_it_up() -> None:
    policy = RetryPolicy(budget=10, initial_backoff=1, jitter=0)
    assert decide(policy, "GET", attempt=1, elapsed=8.9, response=response(503)) == RetryDecision(1.0, "status 503")
    # A retry that would start with nothing left of the budget could only time out: it is not made.
    assert decide(policy, "GET", attempt=1, elapsed=9.0, response=response(503)) is None
    assert decide(policy, "GET", attempt=1, elapsed=9.01, response=response(503)) is None
    assert decide(policy, "GET", attempt=1, elapsed=9.5, error=error(httpx.ConnectError)) is None


def test_budget_spent_by_the_attempt_itself_stops_even_a_zero_wait() -> None:
    policy = RetryPolicy(budget=10, initial_backoff=0, jitter=0)
    assert decide(policy, "GET", attempt=1, elapsed=9.99, response=response(503)) == RetryDecision(0.0, "status 503")
    assert decide(policy, "GET", attempt=1, elapsed=10, error=error(httpx.ReadTimeout)) is None
    assert decide(policy, "GET", attempt=1, elapsed=10, error=error(httpx.PoolTimeout)) is None


def test_budget_counts_a_server_directed_delay() -> None:
    policy = RetryPolicy(budget=10, max_retry_after=60)
    slow = response(503, headers={"Retry-After": "5"})
    assert decide(policy, "GET", attempt=1, elapsed=4.9, response=slow) == RetryDecision(5.0, "status 503")
    assert decide(policy, "GET", attempt=1, elapsed=5, response=slow) is None
    assert decide(policy, "GET", attempt=1, elapsed=6, response=slow) is None


def test_retry_after_overrides_the_backoff() -> None:
    policy = RetryPolicy(initial_backoff=4, jitter=0)
    assert decide(policy, "GET", attempt=1, elapsed=0, response=response(503, headers={"Retry-After": "1.25"})) == (
        RetryDecision(1.25, "status 503")
    )
    assert decide(policy, "GET", attempt=1, elapsed=0, response=response(429, headers={"retry-after-ms": "10"})) == (
        RetryDecision(0.01, "status 429")
    )


def test_retry_after_http_date_uses_the_given_clock() -> None:
    decision = decide(
        NO_JITTER,
        "GET",
        attempt=1,
        elapsed=0,
        response=response(503, headers={"Retry-After": HTTP_DATE}),
        now=lambda: DATE_EPOCH - 20,
    )
    assert decision == RetryDecision(20.0, "status 503")


def test_garbage_retry_after_falls_back_to_the_backoff() -> None:
    garbage = response(503, headers={"Retry-After": "later"})
    assert decide(NO_JITTER, "GET", attempt=1, elapsed=0, response=garbage) == RetryDecision(0.5, "status 503")
    # ... but for POST a 503 without a readable Retry-After is not retried.
    post = response(503, "POST", {"Retry-After": "later"})
    assert decide(NO_JITTER, "POST", attempt=1, elapsed=0, response=post) is None


def test_retry_after_beyond_max_retry_after_gives_up() -> None:
    policy = RetryPolicy(max_retry_after=30, budget=1000)
    assert decide(policy, "GET", attempt=1, elapsed=0, response=response(429, headers={"Retry-After": "31"})) is None
    assert decide(policy, "GET", attempt=1, elapsed=0, response=response(429, headers={"Retry-After": "30"})) == (
        RetryDecision(30.0, "status 429")
    )
    default = RetryPolicy()
    assert decide(default, "GET", attempt=1, elapsed=0, response=response(429, headers={"Retry-After": "61"})) is None


def test_custom_retry_statuses_replace_the_default_set() -> None:
    policy = RetryPolicy(retry_statuses=frozenset({418}), jitter=0)
    assert decide(policy, "GET", attempt=1, elapsed=0, response=response(418)) == RetryDecision(0.5, "status 418")
    assert decide(policy, "GET", attempt=1, elapsed=0, response=response(503)) is None
