"""The retrying transport, directly and end to end through the clients (``_transport.py``)."""

from __future__ import annotations

import gzip
import inspect
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import stamina

from itsm_async import (
    ApiConnectionError,
    ApiTimeoutError,
    KloudlessClient,
    RateLimitError,
    RetryEvent,
    RetryHook,
    RetryPolicy,
    RetryTransport,
    ServerError,
    SpiceworksClient,
)
from itsm_async._transport import RETRY_POLICY_EXTENSION
from kloudless_itsm_client.models import IncidentUpdate
from spiceworks_client.models import TicketCreate

SPICEWORKS_URL = "https://sw.test"
KLOUDLESS_URL = "https://kl.test/v1"
TOKEN = "sw-secret-token"
TICKET_PATH = "/api/v1/tickets/42"
#: Bodies with every field the specs say the APIs always return.
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
CREATED = {
    "ticket": {
        "id": 7,
        "summary": "New",
        "status": "open",
        "priority": "medium",
        "created_at": WHEN,
        "updated_at": WHEN,
    }
}
INCIDENT = {
    "id": "inc-1",
    "created": WHEN,
    "modified": WHEN,
    "type": "incident",
    "api": "itsm",
    "href": "https://kl.test/v1/accounts/123/itsm/incidents/inc-1",
    "description": "fixed",
}

Outcome = Callable[[httpx.Request], httpx.Response]


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Outcome:
    """An outcome answering ``status`` with a JSON body."""

    def outcome(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body if body is not None else {}, headers=headers)

    return outcome


def fail(cls: type[httpx.TransportError]) -> Outcome:
    """An outcome raising the transport error ``cls`` instead of answering."""

    def outcome(request: httpx.Request) -> httpx.Response:
        raise cls(f"{cls.__name__} injected", request=request)

    return outcome


class DroppingStream(httpx.AsyncByteStream):
    """A body that breaks off after its first chunk, as when the peer drops the connection."""

    def __init__(self, cls: type[httpx.TransportError]) -> None:
        self._cls = cls
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"ticket": {"id": 4'
        raise self._cls("peer closed connection without sending complete message body")

    async def aclose(self) -> None:
        self.closed = True


def drop(cls: type[httpx.TransportError]) -> Outcome:
    """An outcome whose status line arrives but whose body breaks off with ``cls``."""

    def outcome(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": "application/json"}, stream=DroppingStream(cls))

    return outcome


class FakeServer:
    """Plays its outcomes in order (the last one repeats) and records every request."""

    def __init__(self, *outcomes: Outcome) -> None:
        self._outcomes = outcomes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._outcomes[min(len(self.requests), len(self._outcomes)) - 1](request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    @property
    def seen(self) -> list[tuple[str, str]]:
        return [(request.method, request.url.path) for request in self.requests]


class Events:
    """An ``on_retry`` hook that keeps every event."""

    def __init__(self) -> None:
        self.events: list[RetryEvent] = []

    def __call__(self, event: RetryEvent) -> None:
        self.events.append(event)


def spiceworks(server: FakeServer, **kwargs: Any) -> SpiceworksClient:
    return SpiceworksClient(token=TOKEN, base_url=SPICEWORKS_URL, transport=server.transport, **kwargs)


# --- end to end through a client --------------------------------------------------


async def test_get_fails_then_succeeds() -> None:
    server = FakeServer(reply(503), reply(502), reply(200, TICKET))
    events = Events()
    async with spiceworks(server, retry=RetryPolicy(jitter=0), on_retry=events) as client:
        result = await client.tickets.get_ticket(42)
        assert client.retries == 2
    assert result.to_dict() == TICKET
    assert server.seen == [("GET", TICKET_PATH)] * 3
    assert events.events == [
        RetryEvent("GET", TICKET_PATH, 1, 0.5, "status 503"),
        RetryEvent("GET", TICKET_PATH, 2, 1.0, "status 502"),
    ]


async def test_each_retry_sends_the_same_request() -> None:
    server = FakeServer(reply(429), reply(201, CREATED))
    async with spiceworks(server) as client:
        await client.tickets.create_ticket(body=TicketCreate(summary="New"))
    first, second = server.requests
    assert json.loads(first.content) == json.loads(second.content) == {"summary": "New", "priority": "medium"}
    assert first.headers["Authorization"] == second.headers["Authorization"] == f"Bearer {TOKEN}"
    assert first.url == second.url == "https://sw.test/api/v1/tickets"


@pytest.mark.parametrize(
    ("headers", "delay"),
    [({"Retry-After": "7"}, 7.0), ({"Retry-After": "2.5"}, 2.5), ({"retry-after-ms": "1500"}, 1.5)],
)
async def test_retry_after_sets_the_delay(headers: dict[str, str], delay: float) -> None:
    server = FakeServer(reply(429, headers=headers), reply(200, TICKET))
    events = Events()
    async with spiceworks(server, on_retry=events) as client:
        await client.tickets.get_ticket(42)
    assert events.events == [RetryEvent("GET", TICKET_PATH, 1, delay, "status 429")]
    assert len(server.requests) == 2


async def test_exhausted_attempts_raise_server_error() -> None:
    server = FakeServer(reply(503, {"error": "down for maintenance"}))
    async with spiceworks(server) as client:
        with pytest.raises(ServerError) as caught:
            await client.tickets.get_ticket(42)
        assert client.retries == 3
    assert len(server.requests) == RetryPolicy().max_attempts == 4
    assert caught.value.status_code == 503
    assert caught.value.message == "down for maintenance"


async def test_max_attempts_bounds_the_attempts() -> None:
    server = FakeServer(fail(httpx.ConnectError))
    async with spiceworks(server, retry=RetryPolicy(max_attempts=2)) as client:
        with pytest.raises(ApiConnectionError):
            await client.tickets.get_ticket(42)
    assert len(server.requests) == 2


async def test_exhausted_rate_limit_raises_with_retry_after() -> None:
    server = FakeServer(reply(429, {"error": "slow down"}, {"Retry-After": "3"}))
    async with spiceworks(server) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.tickets.get_ticket(42)
    assert len(server.requests) == 4
    assert caught.value.status_code == 429
    assert caught.value.retry_after == 3.0


async def test_retry_after_beyond_the_cap_is_not_waited_for() -> None:
    server = FakeServer(reply(429, headers={"Retry-After": "120"}), reply(200, TICKET))
    async with spiceworks(server) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.tickets.get_ticket(42)
        assert client.retries == 0
    assert len(server.requests) == 1
    assert caught.value.retry_after == 120.0


@pytest.mark.parametrize("cls", [httpx.RemoteProtocolError, httpx.ReadError])
async def test_connection_dropped_mid_body_is_retried_for_get(cls: type[httpx.TransportError]) -> None:
    server = FakeServer(drop(cls), reply(200, TICKET))
    events = Events()
    async with spiceworks(server, on_retry=events) as client:
        result = await client.tickets.get_ticket(42)
    assert result.to_dict() == TICKET
    assert len(server.requests) == 2
    assert [(event.attempt, event.reason) for event in events.events] == [(1, cls.__name__)]


@pytest.mark.parametrize("cls", [httpx.RemoteProtocolError, httpx.ReadError])
async def test_connection_dropped_mid_body_is_not_retried_for_post(cls: type[httpx.TransportError]) -> None:
    server = FakeServer(drop(cls), reply(201, CREATED))
    async with spiceworks(server) as client:
        with pytest.raises(ApiConnectionError) as caught:
            await client.tickets.create_ticket(body=TicketCreate(summary="New"))
        assert client.retries == 0
    assert type(caught.value) is ApiConnectionError
    assert isinstance(caught.value.__cause__, cls)
    assert caught.value.method == "POST"
    assert caught.value.url == "https://sw.test/api/v1/tickets"
    assert server.seen == [("POST", "/api/v1/tickets")]


async def test_dropped_body_stream_is_closed() -> None:
    stream = DroppingStream(httpx.ReadError)
    server = FakeServer(lambda request: httpx.Response(200, stream=stream))
    async with spiceworks(server, retry=RetryPolicy.never()) as client:
        with pytest.raises(ApiConnectionError):
            await client.tickets.get_ticket(42)
    assert stream.closed


async def test_connect_error_is_retried_for_post() -> None:
    server = FakeServer(fail(httpx.ConnectError), fail(httpx.ConnectTimeout), reply(201, CREATED))
    events = Events()
    async with spiceworks(server, on_retry=events) as client:
        created = await client.tickets.create_ticket(body=TicketCreate(summary="New"))
    assert created.to_dict() == CREATED
    assert server.seen == [("POST", "/api/v1/tickets")] * 3
    assert [event.reason for event in events.events] == ["ConnectError", "ConnectTimeout"]


async def test_read_timeout_is_retried_for_get_but_not_for_post() -> None:
    get_server = FakeServer(fail(httpx.ReadTimeout), reply(200, TICKET))
    async with spiceworks(get_server) as client:
        await client.tickets.get_ticket(42)
    assert len(get_server.requests) == 2

    post_server = FakeServer(fail(httpx.ReadTimeout), reply(201, CREATED))
    async with spiceworks(post_server) as client:
        with pytest.raises(ApiTimeoutError) as caught:
            await client.tickets.create_ticket(body=TicketCreate(summary="New"))
    assert len(post_server.requests) == 1
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


@pytest.mark.parametrize(
    ("outcome", "attempts"),
    [
        (reply(500), 1),
        (reply(502), 1),
        (reply(504), 1),
        (reply(503), 1),
        (reply(503, headers={"Retry-After": "1"}), 4),
        (reply(429), 4),
    ],
)
async def test_post_retries_only_when_the_server_did_not_act(outcome: Outcome, attempts: int) -> None:
    server = FakeServer(outcome)
    async with spiceworks(server) as client:
        with pytest.raises((ServerError, RateLimitError)):
            await client.tickets.create_ticket(body=TicketCreate(summary="New"))
    assert len(server.requests) == attempts


async def test_patch_is_retried_on_429_only() -> None:
    server = FakeServer(reply(429), reply(200, INCIDENT))
    async with KloudlessClient(
        account_id="123", api_key="key", base_url=KLOUDLESS_URL, transport=server.transport
    ) as c:
        incident = await c.incidents.update_incident("inc-1", body=IncidentUpdate(description="fixed"))
        assert incident.description == "fixed"
    assert server.seen == [("PATCH", "/v1/accounts/123/itsm/incidents/inc-1")] * 2

    failing = FakeServer(reply(500))
    async with KloudlessClient(
        account_id="123", api_key="key", base_url=KLOUDLESS_URL, transport=failing.transport
    ) as c:
        with pytest.raises(ServerError):
            await c.incidents.update_incident("inc-1", body=IncidentUpdate(description="fixed"))
    assert len(failing.requests) == 1


async def test_retry_non_idempotent_retries_post_on_500() -> None:
    server = FakeServer(reply(500), reply(201, CREATED))
    async with spiceworks(server, retry=RetryPolicy(retry_non_idempotent=True)) as client:
        await client.tickets.create_ticket(body=TicketCreate(summary="New"))
    assert len(server.requests) == 2


async def test_each_retry_is_logged_without_the_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="itsm_async")
    server = FakeServer(reply(503), fail(httpx.ConnectError), reply(200, TICKET))
    async with spiceworks(server, retry=RetryPolicy(jitter=0)) as client:
        await client.tickets.get_ticket(42)
    records = [record for record in caplog.records if record.name == "itsm_async"]
    assert len(records) == 2
    assert all(record.levelno == logging.DEBUG for record in records)
    first, second = (record.getMessage() for record in records)
    for text in ("GET", TICKET_PATH, "attempt 1", "0.50s", "status 503"):
        assert text in first
    for text in ("GET", TICKET_PATH, "attempt 2", "1.00s", "ConnectError"):
        assert text in second
    for record in records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in repr(record.args)
        assert "Authorization" not in record.getMessage()


async def test_nothing_is_logged_without_retries(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="itsm_async")
    server = FakeServer(reply(200, TICKET))
    async with spiceworks(server) as client:
        await client.tickets.get_ticket(42)
    assert [record for record in caplog.records if record.name == "itsm_async"] == []


async def test_with_options_never_makes_one_attempt() -> None:
    server = FakeServer(reply(503))
    async with spiceworks(server) as client:
        with pytest.raises(ServerError):
            await client.with_options(retry=RetryPolicy.never()).tickets.get_ticket(42)
        assert len(server.requests) == 1
        assert client.retries == 0
        # The override is per view: the client itself still retries.
        with pytest.raises(ServerError):
            await client.tickets.get_ticket(42)
        assert len(server.requests) == 5
        assert client.retries == 3


async def test_with_options_can_allow_more_attempts() -> None:
    server = FakeServer(reply(503))
    async with spiceworks(server, retry=RetryPolicy.never()) as client:
        view = client.with_options(retry=RetryPolicy(max_attempts=6))
        with pytest.raises(ServerError):
            await view.tickets.get_ticket(42)
        assert len(server.requests) == 6
        assert view.retries == client.retries == 5


async def test_client_retries_counts_across_calls() -> None:
    server = FakeServer(reply(503), reply(200, TICKET), reply(200, TICKET))
    async with spiceworks(server) as client:
        assert client.retries == 0
        await client.tickets.get_ticket(42)
        assert client.retries == 1
        await client.tickets.get_ticket(42)
        assert client.retries == 1


def test_retry_hook_parameter_is_positional_only() -> None:
    parameter = inspect.signature(RetryHook.__call__).parameters["event"]
    assert parameter.kind is inspect.Parameter.POSITIONAL_ONLY


# --- RetryTransport directly ------------------------------------------------------


class FakeClock:
    """Monotonic time that only moves when a fake request takes time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_budget_stops_retries_by_the_given_clock() -> None:
    clock = FakeClock()

    def slow_503(request: httpx.Request) -> httpx.Response:
        clock.now += 4  # each attempt takes 4 s; the (zeroed) waits take no fake time
        return httpx.Response(503)

    server = FakeServer(slow_503)
    policy = RetryPolicy(budget=11, initial_backoff=1, jitter=0, max_attempts=10)
    events = Events()
    transport = RetryTransport(server.transport, policy, on_retry=events, clock=clock)
    async with httpx.AsyncClient(transport=transport, base_url=SPICEWORKS_URL) as http:
        response = await http.get("/x")
    # After attempt 1: 4 + 1 < 11; after 2: 8 + 2 < 11; after 3: 12 + 4 > 11.
    assert response.status_code == 503
    assert len(server.requests) == 3
    assert [(event.attempt, event.delay) for event in events.events] == [(1, 1.0), (2, 2.0)]
    assert transport.retries == 2


async def test_transport_returns_the_last_retryable_response() -> None:
    server = FakeServer(reply(503, {"try": 1}), reply(503, {"try": 2}, {"X-Request-Id": "r-2"}))
    transport = RetryTransport(server.transport, RetryPolicy(max_attempts=2))
    async with httpx.AsyncClient(transport=transport) as http:
        response = await http.get("https://sw.test/x")
    assert response.status_code == 503
    assert response.json() == {"try": 2}
    assert response.headers["X-Request-Id"] == "r-2"


async def test_transport_passes_through_non_retryable_responses() -> None:
    server = FakeServer(reply(404, {"error": "nope"}, {"X-Request-Id": "r-1"}))
    transport = RetryTransport(server.transport, RetryPolicy())
    async with httpx.AsyncClient(transport=transport) as http:
        response = await http.get("https://sw.test/x")
    assert (response.status_code, response.json(), response.headers["x-request-id"]) == (404, {"error": "nope"}, "r-1")
    assert len(server.requests) == 1
    assert transport.retries == 0


async def test_transport_keeps_content_encoding_for_httpx_to_decode() -> None:
    body = json.dumps(TICKET).encode()

    def gzipped(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}, content=gzip.compress(body)
        )

    transport = RetryTransport(FakeServer(gzipped).transport, RetryPolicy())
    async with httpx.AsyncClient(transport=transport) as http:
        response = await http.get("https://sw.test/x")
    assert response.content == body
    assert response.json() == TICKET


async def test_request_extension_overrides_the_policy() -> None:
    server = FakeServer(reply(503))
    transport = RetryTransport(server.transport, RetryPolicy(max_attempts=5))
    async with httpx.AsyncClient(transport=transport) as http:
        response = await http.get("https://sw.test/x", extensions={RETRY_POLICY_EXTENSION: RetryPolicy(max_attempts=2)})
        assert response.status_code == 503
        assert len(server.requests) == 2
        await http.get("https://sw.test/x")
        assert len(server.requests) == 7


async def test_transport_error_surfaces_after_the_last_attempt() -> None:
    server = FakeServer(fail(httpx.ConnectError))
    transport = RetryTransport(server.transport, RetryPolicy(max_attempts=3))
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(httpx.ConnectError, match="ConnectError injected"):
            await http.get("https://sw.test/x")
    assert len(server.requests) == 3
    assert transport.retries == 2


async def test_aclose_closes_the_inner_transport() -> None:
    closed: list[bool] = []

    class Inner(httpx.MockTransport):
        async def aclose(self) -> None:
            closed.append(True)

    transport = RetryTransport(Inner(reply(200)), RetryPolicy())
    await transport.aclose()
    assert closed == [True]


# --- only retries that happen are announced ----------------------------------------


async def test_one_attempt_in_testing_mode_announces_no_retry(caplog: pytest.LogCaptureFixture) -> None:
    # Before: stamina stopped after the hook had counted, logged and announced a retry.
    caplog.set_level(logging.DEBUG, logger="itsm_async")
    server = FakeServer(reply(503))
    events = Events()
    with stamina.set_testing(True):
        async with spiceworks(server, on_retry=events) as client:
            with pytest.raises(ServerError):
                await client.tickets.get_ticket(42)
            assert client.retries == 0
    assert len(server.requests) == 1
    assert events.events == []
    assert [record for record in caplog.records if record.name == "itsm_async"] == []


async def test_capped_testing_mode_announces_exactly_the_retries_made(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="itsm_async")
    server = FakeServer(*[reply(503)] * 5, reply(200, TICKET))
    events = Events()
    with stamina.set_testing(True, attempts=3, cap=True):
        async with spiceworks(server, on_retry=events) as client:
            with pytest.raises(ServerError):
                await client.tickets.get_ticket(42)
            assert client.retries == 2
    assert len(server.requests) == 3
    assert [event.attempt for event in events.events] == [1, 2]
    assert len([record for record in caplog.records if record.name == "itsm_async"]) == 2


async def test_capped_testing_mode_keeps_retries_working() -> None:
    # The README's testing advice: retries happen, without waiting.
    server = FakeServer(reply(503), fail(httpx.ConnectError), reply(200, TICKET))
    with stamina.set_testing(True, attempts=3, cap=True):
        async with spiceworks(server) as client:
            result = await client.tickets.get_ticket(42)
            assert client.retries == 2
    assert result.to_dict() == TICKET
    assert len(server.requests) == 3


async def test_capped_testing_mode_keeps_a_smaller_policy() -> None:
    server = FakeServer(reply(503))
    events = Events()
    with stamina.set_testing(True, attempts=3, cap=True):
        async with spiceworks(server, retry=RetryPolicy(max_attempts=2), on_retry=events) as client:
            with pytest.raises(ServerError):
                await client.tickets.get_ticket(42)
            assert client.retries == 1
    assert len(server.requests) == 2
    assert len(events.events) == 1


async def test_inactive_stamina_makes_one_attempt_and_announces_nothing() -> None:
    server = FakeServer(reply(503))
    events = Events()
    stamina.set_active(False)
    try:
        async with spiceworks(server, on_retry=events) as client:
            with pytest.raises(ServerError):
                await client.tickets.get_ticket(42)
            assert client.retries == 0
    finally:
        stamina.set_active(True)
    assert len(server.requests) == 1
    assert events.events == []


async def test_each_retry_is_announced_before_its_wait_and_counted_after_it() -> None:
    steps: list[tuple[str, float]] = []
    transport: RetryTransport

    def hook(event: RetryEvent) -> None:
        steps.append(("announced", event.delay))
        steps.append(("retries", transport.retries))

    async def sleep(seconds: float) -> None:
        steps.append(("slept", seconds))

    server = FakeServer(reply(503), reply(503), reply(200))
    transport = RetryTransport(server.transport, RetryPolicy(jitter=0), on_retry=hook, sleep=sleep)
    with stamina.set_testing(False):
        async with httpx.AsyncClient(transport=transport) as http:
            response = await http.get("https://sw.test/x")
    assert response.status_code == 200
    assert steps == [
        ("announced", 0.5),
        ("retries", 0),
        ("slept", 0.5),
        ("announced", 1.0),
        ("retries", 1),
        ("slept", 1.0),
    ]
    assert transport.retries == 2


async def test_testing_mode_zeroes_the_wait() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    server = FakeServer(reply(503), reply(429, headers={"Retry-After": "30"}), reply(200))
    transport = RetryTransport(server.transport, RetryPolicy(jitter=0), sleep=sleep)
    async with httpx.AsyncClient(transport=transport) as http:
        assert (await http.get("https://sw.test/x")).status_code == 200
    assert slept == [0.0, 0.0]
