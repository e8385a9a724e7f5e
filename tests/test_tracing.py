"""OpenTelemetry spans (``_tracing.py``): names, attributes, retry events, errors, paging, no secrets.

Every flow runs on asyncio and trio, started with ``anyio.run`` as in
test_trio.py (pytest-asyncio's auto mode would run a trio-marked async test
on asyncio), against an ``httpx.MockTransport``; spans go to the SDK's
in-memory exporter through a simple (synchronous) span processor.
"""

from __future__ import annotations

import gc
import inspect
import json
import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
import sniffio
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from itsm_async import (
    ApiConnectionError,
    InvalidArgumentError,
    ItsmError,
    KloudlessClient,
    NotFoundError,
    PagingError,
    ResponseDecodeError,
    RetryEvent,
    RetryPolicy,
    SpiceworksClient,
    __version__,
)
from itsm_async._tracing import TRACER_NAME, Tracing, tracing_for, with_retry_events
from tests import bodies

SPICEWORKS_URL = "https://sw.test"
KLOUDLESS_URL = "http://kl.test:8080/v1"
TOKEN = "sw-token"
TICKET = {"ticket": bodies.ticket(42)}
Handler = Callable[[httpx.Request], httpx.Response] | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]

#: Whether the clients take ``tracer_provider=`` yet; until then the tests
#: wire a client as the constructor will (the hook chained, ``_tracing`` set).
WIRED = "tracer_provider" in inspect.signature(SpiceworksClient).parameters


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exported = InMemorySpanExporter()
    yield exported
    exported.shutdown()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    made = TracerProvider()
    made.add_span_processor(SimpleSpanProcessor(exporter))
    yield made
    made.shutdown()


def run(backend: str, flow: Callable[[], Awaitable[None]]) -> None:
    async def checked() -> None:
        assert sniffio.current_async_library() == backend
        await flow()

    anyio.run(checked, backend=backend)


def spiceworks(
    provider: Any, handler: Handler, *, token: Any = TOKEN, on_retry: Any = None, **options: Any
) -> SpiceworksClient:
    """A traced Spiceworks client answering through ``handler``."""
    transport = httpx.MockTransport(handler)
    if WIRED:
        return SpiceworksClient(
            token=token,
            base_url=SPICEWORKS_URL,
            transport=transport,
            on_retry=on_retry,
            **options,
            **{"tracer_provider": provider},
        )
    tracing = tracing_for("SpiceworksClient", provider)
    client = SpiceworksClient(
        token=token,
        base_url=SPICEWORKS_URL,
        transport=transport,
        on_retry=with_retry_events(tracing, on_retry),
        **options,
    )
    client._tracing = tracing
    return client


def kloudless(provider: Any, handler: Handler, *, api_key: str = "kl-key", **options: Any) -> KloudlessClient:
    """A traced Kloudless client (API key auth) answering through ``handler``."""
    transport = httpx.MockTransport(handler)
    if WIRED:
        return KloudlessClient(
            account_id="123",
            api_key=api_key,
            base_url=KLOUDLESS_URL,
            transport=transport,
            **options,
            **{"tracer_provider": provider},
        )
    tracing = tracing_for("KloudlessClient", provider)
    client = KloudlessClient(
        account_id="123",
        api_key=api_key,
        base_url=KLOUDLESS_URL,
        transport=transport,
        on_retry=with_retry_events(tracing, None),
        **options,
    )
    client._tracing = tracing
    return client


def ticket_server(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=TICKET)


def finished(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return list(exporter.get_finished_spans())


def parent_id(span: ReadableSpan) -> int | None:
    return None if span.parent is None else span.parent.span_id


def span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return int(span.context.span_id)


# --- one client span per operation call ---------------------------------------


def test_a_call_is_one_client_span_named_after_its_operation_id(
    anyio_backend: str, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    async def flow() -> None:
        async with spiceworks(provider, ticket_server) as sw:
            await sw.tickets.get_ticket(42)

    run(anyio_backend, flow)
    [span] = finished(exporter)
    assert span.name == "getTicket"
    assert span.kind is SpanKind.CLIENT
    assert dict(span.attributes or {}) == {
        "http.request.method": "GET",
        "server.address": "sw.test",
        "server.port": 443,
        "url.template": "/api/v1/tickets/{id}",
        "itsm.operation": "tickets.get_ticket",
        "http.response.status_code": 200,
        "network.protocol.version": "1.1",
    }
    assert span.status.status_code is StatusCode.UNSET
    assert span.events == ()
    assert span.parent is None
    assert span.instrumentation_scope is not None
    assert (span.instrumentation_scope.name, span.instrumentation_scope.version) == (TRACER_NAME, __version__)


def test_kloudless_span_has_the_route_template_and_the_port_given(
    anyio_backend: str, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return httpx.Response(201, json=bodies.kloudless_object(id="inc-9"))

    async def flow() -> None:
        async with kloudless(provider, handler) as kl:
            await kl.incidents.create_incident(body={"description": "Mail is down"})

    run(anyio_backend, flow)
    [span] = finished(exporter)
    assert paths == ["/v1/accounts/123/itsm/incidents"]
    assert span.name == "createIncident"
    attributes = dict(span.attributes or {})
    assert attributes["http.request.method"] == "POST"
    assert (attributes["server.address"], attributes["server.port"]) == ("kl.test", 8080)
    assert attributes["url.template"] == "/accounts/{account_id}/itsm/incidents"
    assert attributes["itsm.operation"] == "incidents.create_incident"
    assert attributes["http.response.status_code"] == 201


def test_the_span_is_current_during_the_call_and_a_child_of_the_callers(
    anyio_backend: str, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    seen: list[trace.Span] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(trace.get_current_span())  # what an httpx instrumentation would nest under
        return ticket_server(request)

    async def flow() -> None:
        async with spiceworks(provider, handler) as sw:
            with provider.get_tracer("caller").start_as_current_span("outer"):
                await sw.tickets.get_ticket(42)
            assert trace.get_current_span() is trace.INVALID_SPAN  # nothing left current after the call

    run(anyio_backend, flow)
    call, outer = finished(exporter)
    assert (call.name, outer.name) == ("getTicket", "outer")
    assert parent_id(call) == span_id(outer)
    assert [span.get_span_context().span_id for span in seen] == [span_id(call)]


def test_a_view_and_its_client_both_trace(
    anyio_backend: str, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    async def flow() -> None:
        async with spiceworks(provider, ticket_server) as sw:
            await sw.with_options(timeout=5).tickets.get_ticket(1)
            await sw.tickets.get_ticket(2)

    run(anyio_backend, flow)
    assert [span.name for span in finished(exporter)] == ["getTicket", "getTicket"]


# --- retries as events ------------------------------------------------------


def test_each_retry_is_an_event_with_its_attempt_reason_and_delay(
    anyio_backend: str, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    answers = [
        httpx.Response(503, headers={"Retry-After": "2"}, json={"error": "busy"}),
        httpx.Response(502, json={"error": "bad gateway"}),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0) if answers else ticket_server(request)

    events: list[RetryEvent] = []

    async def flow() -> None:
        policy = RetryPolicy(initial_backoff=0.25, jitter=0)
        async with spiceworks(provider, handler, on_retry=events.append, retry=policy) as sw:
            await sw.tickets.get_ticket(42)
            assert sw.retries == 2

    run(anyio_backend, flow)
    [span] = finished(exporter)
    assert [(event.name, dict(event.attributes or {})) for event in span.events] == [
        ("retry", {"itsm.retry.attempt": 1, "itsm.retry.delay": 2.0, "itsm.retry.reason": "status 503"}),
        ("retry", {"itsm.retry.attempt": 2, "itsm.retry.delay": 0.5, "itsm.retry.reason": "status 502"}),
    ]
    assert dict(span.attributes or {})["http.response.status_code"] == 200
    assert span.status.status_code is StatusCode.UNSET
    # The user's hook still gets every retry, after the span's event.
    assert [(event.attempt, event.reason) for event in events] == [(1, "status 503"), (2, "status 502")]


def test_retries_go_to_the_span_of_their_own_call(
    anyio_backend: str, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    failed: set[str] = set()

    async def handler(request: httpx.Request) -> httpx.Response:
        await anyio.lowlevel.checkpoint()  # let the other call run in between
        if request.url.path.endswith("/1") and request.url.path not in failed:
            failed.add(request.url.path)
            return httpx.Response(500, json={"error": "boom"})
        return ticket_server(request)

    async def flow() -> None:
        async with spiceworks(provider, handler, retry=RetryPolicy(jitter=0)) as sw, anyio.create_task_group() as group:
            for ident in (1, 2, 3):
                group.start_soon(sw.tickets.get_ticket, ident)

    run(anyio_backend, flow)
    spans = finished(exporter)
    assert len(spans) == 3
    retried = [span for span in spans if span.events]
    assert len(retried) == 1
    assert [event.attributes for event in retried[0].events] == [
        {"itsm.retry.attempt": 1, "itsm.retry.delay": 0.5, "itsm.retry.reason": "status 500"}
    ]
    # The concurrent calls are siblings, not nested in each other.
    assert {parent_id(span) for span in spans} == {None}


# --- errors -------------------------------------------------------------------


def _not_found(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, json={"error": "no such ticket"})


def _not_json(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b"<html>maintenance</html>")


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.mark.parametrize(
    ("handler", "ident", "error", "status"),
    [
        (_not_found, 42, NotFoundError, 404),
        (_not_json, 42, ResponseDecodeError, 200),
        (_refused, 42, ApiConnectionError, None),
        (ticket_server, "not-an-id", InvalidArgumentError, None),
    ],
    ids=["404", "undecodable-2xx", "connect-error", "refused-argument"],
)
def test_a_failed_call_records_its_error_class_and_status_error(
    anyio_backend: str,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    handler: Handler,
    ident: Any,
    error: type[ItsmError],
    status: int | None,
) -> None:
    async def flow() -> None:
        async with spiceworks(provider, handler, retry=RetryPolicy.never()) as sw:
            with pytest.raises(error):
                await sw.tickets.get_ticket(ident)

    run(anyio_backend, flow)
    [span] = finished(exporter)
    attributes = dict(span.attributes or {})
    assert attributes["error.type"] == error.__name__
    assert attributes.get("http.response.status_code") == status
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == error.__name__
    assert span.events == ()  # no exception event: its message would name the URL


def test_a_cancelled_call_is_marked_cancelled_not_failed(
    anyio_backend: str, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    async def flow() -> None:
        with anyio.CancelScope() as scope:

            async def handler(request: httpx.Request) -> httpx.Response:
                scope.cancel()
                await anyio.sleep_forever()
                raise AssertionError("not reached")

            async with spiceworks(provider, handler) as sw:
                await sw.tickets.get_ticket(42)
        assert scope.cancelled_caught

    run(anyio_backend, flow)
    [span] = finished(exporter)
    attributes = dict(span.attributes or {})
    assert attributes["itsm.cancelled"] is True
    assert "error.type" not in attributes
    assert span.status.status_code is StatusCode.UNSET


# --- no secret in any span ------------------------------------------------------

CANARIES = {
    "token": "canary-token-5d81f3",
    "refreshed token": "canary-refreshed-77ac02",
    "api key": "canary-api-key-0b9e44",
    "header": "canary-header-c4d1aa",
    "query": "canary-query-19f7e0",
    "request body": "canary-request-body-a3b6c8",
    "response body": "canary-response-body-e2f950",
    "error body": "canary-error-body-6c0d17",
    "path": "canary-incident-id-4e8b21",
}


def test_no_credential_header_query_path_or_body_reaches_a_span(
    anyio_backend: str, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    tokens = [CANARIES["token"], CANARIES["refreshed token"]]
    seen: list[httpx.Request] = []
    sent: list[str] = []

    async def token_provider() -> str:
        return tokens.pop(0) if len(tokens) > 1 else tokens[0]

    def spiceworks_server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        sent.append(f"{request.url} {dict(request.headers)} {request.read()!r}")
        if request.headers["Authorization"] == f"Bearer {CANARIES['token']}":
            return httpx.Response(401, json={"error": CANARIES["error body"]})  # refreshed and replayed
        if request.method == "POST":
            return httpx.Response(201, json={"ticket": bodies.ticket(7, summary=CANARIES["response body"])})
        if request.url.path.endswith("/404"):
            return httpx.Response(404, json={"error": CANARIES["error body"]})
        if len([each for each in seen if each.url.path == request.url.path]) == 1:
            return httpx.Response(503, json={"error": CANARIES["error body"]})  # one retry per path
        return httpx.Response(200, json={"ticket": bodies.ticket(42, summary=CANARIES["response body"])})

    def kloudless_server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        sent.append(f"{request.url} {dict(request.headers)} {request.read()!r}")
        return httpx.Response(
            200, json=bodies.kloudless_object(id=CANARIES["path"], description=CANARIES["response body"])
        )

    async def flow() -> None:
        async with (
            spiceworks(
                provider, spiceworks_server, token=token_provider, headers={"X-Canary": CANARIES["header"]}
            ) as sw,
            kloudless(provider, kloudless_server, api_key=CANARIES["api key"]) as kl,
        ):
            view = sw.with_options(params={"q": CANARIES["query"]})
            await view.tickets.create_ticket(body={"summary": CANARIES["request body"]})
            await view.tickets.get_ticket(42)
            with pytest.raises(NotFoundError):
                await view.tickets.get_ticket(404)
            await kl.incidents.get_incident(CANARIES["path"])

    run(anyio_backend, flow)
    # The canaries were sent and received, so a span could have caught them.
    for where in ("token", "refreshed token", "api key", "header", "query", "request body", "path"):
        assert any(CANARIES[where] in request for request in sent), where
    spans = finished(exporter)
    assert [span.name for span in spans] == ["createTicket", "getTicket", "getTicket", "getIncident"]
    assert any(span.events for span in spans)  # a retry event is among what is searched
    for span in spans:
        exported = span.to_json()  # name, attributes, events, status, resource: all of it
        for where, canary in CANARIES.items():
            assert canary not in exported, f"{where} in {span.name}"
        assert "/tickets/42" not in exported
        assert "/tickets/404" not in exported


# --- paging: a parent span over its page calls ------------------------------------

#: The tests of ``paginate``'s own span: expected to fail only while the
#: clients do not take ``tracer_provider=`` (then the paginator has no
#: tracing to open its span with); once they do, they must pass.
PAGINATOR_SPANS = pytest.mark.xfail(
    not WIRED, strict=True, reason="the clients do not take tracer_provider= yet, so paginate opens no span"
)


def three_pages(request: httpx.Request) -> httpx.Response:
    page = int(request.url.params["page"])
    tickets = [bodies.ticket((page - 1) * 2 + n + 1) for n in range(2)]
    return httpx.Response(200, json=bodies.ticket_page(tickets, page=page, total_pages=3, per_page=2))


def test_page_calls_made_in_a_paging_span_are_its_children(
    anyio_backend: str, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    """The paging span as the paginator uses it: current only inside ``page()``."""
    tracing = Tracing(provider)

    class Walk:
        pass

    async def flow() -> None:
        walk = Walk()
        async with spiceworks(provider, three_pages) as sw:
            with provider.get_tracer("caller").start_as_current_span("outer") as outer:
                paging = tracing.paging("tickets.list_tickets", walk)
                for number in (1, 2):
                    with paging.page():
                        await sw.tickets.list_tickets(page=number, per_page=2)
                    assert trace.get_current_span() is outer  # not current between pages

                async def third() -> None:
                    await sw.tickets.list_tickets(page=3, per_page=2)

                async with anyio.create_task_group() as group:
                    with paging.page():  # a task started inside page() inherits it
                        group.start_soon(third)
                paging.end(items=6)
                paging.end(items=0)  # once only

    run(anyio_backend, flow)
    *pages, walk_span, outer = finished(exporter)
    assert walk_span.name == "paginate tickets.list_tickets"
    assert walk_span.kind is SpanKind.INTERNAL
    assert dict(walk_span.attributes or {}) == {
        "itsm.operation": "tickets.list_tickets",
        "itsm.paging.pages": 3,
        "itsm.paging.items": 6,
    }
    assert parent_id(walk_span) == span_id(outer)
    assert [(span.name, parent_id(span)) for span in pages] == [("listTickets", span_id(walk_span))] * 3
    assert walk_span.status.status_code is StatusCode.UNSET


def test_a_failed_walk_records_its_error(
    anyio_backend: str, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    tracing = Tracing(provider)

    class Walk:
        pass

    async def flow() -> None:
        walk = Walk()
        paging = tracing.paging("tickets.list_tickets", walk)
        paging.end(error=PagingError("tickets.list_tickets: the server led back to page 1"))

    run(anyio_backend, flow)
    [span] = finished(exporter)
    assert dict(span.attributes or {})["error.type"] == "PagingError"
    assert span.status.status_code is StatusCode.ERROR
    assert "led back" not in span.to_json()


def test_a_walk_ended_outside_an_event_loop_still_records_its_error(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    class Walk:
        pass

    walk = Walk()
    Tracing(provider).paging("tickets.list_tickets", walk).end(error=PagingError("the server led back to page 1"))
    [span] = finished(exporter)
    assert dict(span.attributes or {})["error.type"] == "PagingError"
    assert span.status.status_code is StatusCode.ERROR


def test_a_walk_dropped_part_way_still_ends_its_span(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    class Walk:
        pass

    walk = Walk()
    Tracing(provider).paging("tickets.list_tickets", walk).page()
    assert finished(exporter) == []
    del walk
    gc.collect()
    [span] = finished(exporter)
    assert dict(span.attributes or {})["itsm.paging.pages"] == 1


@PAGINATOR_SPANS
@pytest.mark.parametrize("concurrency", [1, 2])
def test_paginate_is_a_parent_span_over_its_page_calls(
    anyio_backend: str, provider: TracerProvider, exporter: InMemorySpanExporter, concurrency: int
) -> None:
    ids: list[Any] = []

    async def flow() -> None:
        async with spiceworks(provider, three_pages) as sw:
            async for ticket in sw.paginate(sw.tickets.list_tickets, per_page=2, concurrency=concurrency):
                ids.append(ticket.id)

    run(anyio_backend, flow)
    assert ids == [1, 2, 3, 4, 5, 6]
    spans = finished(exporter)
    [walk] = [span for span in spans if span.name == "paginate tickets.list_tickets"]
    pages = [span for span in spans if span.name == "listTickets"]
    assert len(pages) == 3
    assert {parent_id(span) for span in pages} == {span_id(walk)}
    assert dict(walk.attributes or {})["itsm.paging.items"] == 6
    assert walk.end_time is not None
    assert all(span.end_time is not None and span.end_time <= walk.end_time for span in pages)


@PAGINATOR_SPANS
def test_a_walk_that_fails_records_the_paging_error(
    anyio_backend: str, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    def same_page(request: httpx.Request) -> httpx.Response:  # ignores page: the walk would loop
        return httpx.Response(200, json=bodies.ticket_page([bodies.ticket(1)], total_pages=9, per_page=1))

    async def flow() -> None:
        async with spiceworks(provider, same_page) as sw:
            with pytest.raises(PagingError):
                [ticket async for ticket in sw.paginate(sw.tickets.list_tickets, per_page=1)]

    run(anyio_backend, flow)
    *pages, walk = finished(exporter)
    assert walk.name == "paginate tickets.list_tickets"
    assert [(span.name, parent_id(span)) for span in pages] == [("listTickets", span_id(walk))] * 2
    assert dict(walk.attributes or {})["error.type"] == "PagingError"
    assert walk.status.status_code is StatusCode.ERROR
    assert "repeats" not in walk.to_json()  # the message stays out


@PAGINATOR_SPANS
def test_leaving_a_walk_part_way_ends_its_span_without_an_error(
    anyio_backend: str, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    async def flow() -> None:
        sw = spiceworks(provider, three_pages)
        async with sw, sw.paginate(sw.tickets.list_tickets, per_page=2, concurrency=3) as tickets:
            async for ticket in tickets:
                assert ticket.id == 1
                break

    run(anyio_backend, flow)
    spans = finished(exporter)
    [walk] = [span for span in spans if span.name == "paginate tickets.list_tickets"]
    assert walk.status.status_code is StatusCode.UNSET
    pages = [span for span in spans if span.name == "listTickets"]
    assert pages
    assert {parent_id(span) for span in pages} == {span_id(walk)}
    assert all("error.type" not in (span.attributes or {}) for span in spans)


# --- off, no-op, and without the extra ------------------------------------------


def test_no_provider_means_no_tracing_at_all() -> None:
    def hook(event: RetryEvent) -> None:
        raise AssertionError("not called")

    assert tracing_for("SpiceworksClient", None) is None
    assert with_retry_events(None, hook) is hook
    assert with_retry_events(None, None) is None


def test_a_provider_that_is_not_one_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match=r"SpiceworksClient: tracer_provider must be an opentelemetry"):
        tracing_for("SpiceworksClient", "jaeger")


def test_the_no_op_provider_traces_nothing_and_changes_nothing(anyio_backend: str) -> None:
    answers = [httpx.Response(503, json={"error": "busy"})]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/0"):
            raise httpx.ConnectError("connection refused", request=request)
        return answers.pop(0) if answers else ticket_server(request)

    events: list[RetryEvent] = []

    async def flow() -> None:
        async with spiceworks(trace.NoOpTracerProvider(), handler, on_retry=events.append) as sw:
            result = await sw.tickets.get_ticket(42)
            assert result.to_dict() == TICKET
            with pytest.raises(ApiConnectionError):
                await sw.with_options(retry=RetryPolicy.never()).tickets.get_ticket(0)

    run(anyio_backend, flow)
    assert [event.reason for event in events] == ["status 503"]


def _isolated(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120, check=False
    )


CALL_WITHOUT_TRACING = """
    import sys
    import anyio, httpx
    import itsm_async

    def handler(request):
        return httpx.Response(200, json={TICKET})

    async def main():
        transport = httpx.MockTransport(handler)
        async with itsm_async.SpiceworksClient(token="t", base_url="https://sw.test", transport=transport) as sw:
            await sw.tickets.get_ticket(42)

    anyio.run(main)
    loaded = sorted(
        name for name, module in sys.modules.items() if name.split(".")[0] == "opentelemetry" and module is not None
    )
    print(loaded)
"""


def test_import_and_a_call_without_a_provider_never_import_opentelemetry() -> None:
    done = _isolated(CALL_WITHOUT_TRACING.replace("{TICKET}", json.dumps(TICKET)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_without_the_extra_the_client_works() -> None:
    # None in sys.modules makes ``import opentelemetry`` fail, as when it is not installed.
    blocked = "import sys\nsys.modules['opentelemetry'] = None\n" + textwrap.dedent(CALL_WITHOUT_TRACING)
    done = _isolated(blocked.replace("{TICKET}", json.dumps(TICKET)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_benchmark_runs_and_reports_every_kind() -> None:
    bench = Path(__file__).parent / "bench" / "bench_tracing.py"
    done = subprocess.run(  # noqa: S603 - this interpreter, the repository's bench
        [sys.executable, str(bench), "--rounds", "1", "--calls", "3"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split("  ")[0] for line in lines[2:6] + lines[8:]] == [
        "tracing off",
        "no tracing code",
        "no-op provider",
        "SDK provider",
        "tracing off: the check",
        "no-op provider: the span",
        "SDK provider: the span",
    ]
