"""Paging against servers that page as the real APIs do, not as our specs say (issue 8).

Each fixture is written from what the APIs' own documentation and the
official Kloudless SDKs show: Spiceworks' documented ``meta`` shape
(``total_entries``, ``page_count``, ``current_page``, ``per_page``), a
``per_page`` capped at 30, Kloudless pages without ``next_page`` (followed by
``page + 1`` until an empty page or a 404), a server that ignores ``page``,
and a page that lacks its list of items.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import pytest

from itsm_async import KloudlessClient, Paginator, PagingError, RetryPolicy, SpiceworksClient
from itsm_async._paging import NumberedPages, TokenPages
from spiceworks_client.types import MissingFieldError

SPICEWORKS_URL = "https://sw.test"
KLOUDLESS_URL = "https://kl.test/v1"
CAP = 30  # Spiceworks' default page size, and the cap of these servers
WHEN = "2024-05-01T10:00:00+00:00"


def spiceworks_item(key: str, id: int) -> dict[str, Any]:
    """A ticket with every field the spec says is always returned."""
    assert key == "tickets"
    fields = {"summary": f"ticket {id}", "status": "open", "priority": "low", "created_at": WHEN, "updated_at": WHEN}
    return {"id": id, **fields}


def kloudless_item(kind: str, id: str) -> dict[str, Any]:
    """A Kloudless ``kind`` object with every field always returned."""
    href = f"{KLOUDLESS_URL}/accounts/123/itsm/{kind}s/{id}"
    return {"id": id, "created": WHEN, "modified": WHEN, "type": kind, "api": "itsm", "href": href}


class Recorder:
    """An httpx handler answering ``respond(query)`` and recording each query."""

    def __init__(self, respond: Callable[[dict[str, str]], httpx.Response]) -> None:
        self._respond = respond
        self.queries: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        query = dict(request.url.params)
        self.queries.append(query)
        return self._respond(query)

    @property
    def pages(self) -> list[str | None]:
        return [query.get("page") for query in self.queries]


def capped_tickets(total: int, *, meta: str | None) -> Callable[[dict[str, str]], httpx.Response]:
    """``total`` tickets, at most ``CAP`` a page whatever ``per_page`` asks, with ``meta`` in a given shape.

    ``meta`` is ``"documented"`` (the API documentation's keys), ``"spec"``
    (our spec's) or None (no meta at all).
    """

    def respond(query: dict[str, str]) -> httpx.Response:
        page = int(query.get("page", "1"))
        per_page = min(int(query.get("per_page", str(CAP))), CAP)
        first = (page - 1) * per_page + 1
        ids = range(first, min(first + per_page, total + 1))
        body: dict[str, Any] = {"tickets": [spiceworks_item("tickets", id) for id in ids]}
        pages = math.ceil(total / per_page)
        if meta == "documented":
            body["meta"] = {"total_entries": total, "page_count": pages, "current_page": page, "per_page": per_page}
        elif meta == "spec":
            body["meta"] = {"total_count": total, "total_pages": pages, "current_page": page, "per_page": per_page}
        return httpx.Response(200, json=body)

    return respond


# These servers send what the real APIs send, not what our specs say: read tolerantly.


def spiceworks(handler: Recorder) -> SpiceworksClient:
    return SpiceworksClient(token="t", base_url=SPICEWORKS_URL, transport=httpx.MockTransport(handler), strict=False)


def kloudless(handler: Recorder) -> KloudlessClient:
    return KloudlessClient(
        account_id="123",
        token="t",
        base_url=KLOUDLESS_URL,
        retry=RetryPolicy.never(),
        transport=httpx.MockTransport(handler),
        strict=False,
    )


async def ids_of(paginator: Paginator[Any, Any], into: list[Any] | None = None) -> list[Any]:
    seen = [] if into is None else into
    async for item in paginator:
        seen.append(item.id)
    return seen


# --- Spiceworks: the documented meta, a capped per_page --------------------------------


@pytest.mark.parametrize("meta", ["documented", "spec"])
async def test_capped_per_page_returns_every_item_and_stops_where_meta_says(meta: str) -> None:
    server = Recorder(capped_tickets(166, meta=meta))
    async with spiceworks(server) as client:
        ids = await ids_of(client.paginate(client.tickets.list_tickets, per_page=100))
    assert ids == list(range(1, 167))
    # 166 items at 30 a page: 6 pages, and no request past the last.
    assert server.pages == [str(page) for page in range(1, math.ceil(166 / CAP) + 1)]
    assert all(query["per_page"] == "100" for query in server.queries)


async def test_capped_per_page_without_meta_reads_to_the_empty_page() -> None:
    server = Recorder(capped_tickets(166, meta=None))
    async with spiceworks(server) as client:
        ids = await ids_of(client.paginate(client.tickets.list_tickets, per_page=100))
    assert ids == list(range(1, 167))
    assert server.pages == [str(page) for page in range(1, math.ceil(166 / CAP) + 2)]


async def test_documented_meta_is_read_from_the_models_unknown_keys() -> None:
    server = Recorder(capped_tickets(60, meta="documented"))
    async with spiceworks(server) as client:
        pages = [page async for page in client.paginate(client.tickets.list_tickets, per_page=CAP).pages()]
    # The generated meta model keeps the documented keys as unknown ones ...
    assert [page.meta.additional_properties["page_count"] for page in pages] == [2, 2]
    # ... and a full last page is the end: page_count says so, without a third request.
    assert server.pages == ["1", "2"]


@pytest.mark.parametrize(
    "known",
    [{"total_entries": 75}, {"page_count": 3}, {"total_entries": 75, "per_page": 100}],
    ids=["total_entries", "page_count", "per_page-as-asked"],
)
async def test_documented_meta_with_one_of_its_totals_ends_by_it(known: dict[str, int]) -> None:
    def respond(query: dict[str, str]) -> httpx.Response:
        page = int(query["page"])
        ids = range((page - 1) * CAP + 1, min(page * CAP, 75) + 1)
        # The last case echoes the per_page asked for, not the 30 served.
        meta = {"current_page": page, "per_page": CAP, **known}
        return httpx.Response(200, json={"tickets": [spiceworks_item("tickets", id) for id in ids], "meta": meta})

    server = Recorder(respond)
    async with spiceworks(server) as client:
        ids = await ids_of(client.paginate(client.tickets.list_tickets, per_page=100))
    assert ids == list(range(1, 76))
    assert server.pages == ["1", "2", "3"]


# --- Kloudless: pages without next_page, as the SDKs follow them ------------------------


def kloudless_without_next_page(sizes: Sequence[int], past_the_end: str) -> Callable[[dict[str, str]], httpx.Response]:
    """Kloudless pages numbered by an integer ``page`` and no ``next_page``; after them, 404 or []."""

    def respond(query: dict[str, str]) -> httpx.Response:
        page = int(query.get("page", "1"))
        if page > len(sizes) and past_the_end == "404":
            error = {"error_code": "not_found", "message": "No such page", "id": "req-1"}
            return httpx.Response(404, json=error)
        first = sum(sizes[: page - 1]) + 1
        size = sizes[page - 1] if page <= len(sizes) else 0
        objects = [kloudless_item("incident", f"inc-{first + n}") for n in range(size)]
        body = {"objects": objects, "count": size, "page": page, "type": "object_list", "api": "itsm"}
        return httpx.Response(200, json=body)

    return respond


@pytest.mark.parametrize("past_the_end", ["404", "empty"])
async def test_kloudless_pages_without_next_page_follow_page_plus_one(past_the_end: str) -> None:
    server = Recorder(kloudless_without_next_page([2, 2, 2], past_the_end))
    async with kloudless(server) as client:
        ids = await ids_of(client.paginate(client.incidents.list_incidents, page_size=2))
    assert ids == [f"inc-{n}" for n in range(1, 7)]
    assert server.pages == [None, "2", "3", "4"]


async def test_kloudless_404_on_the_first_page_is_raised() -> None:
    server = Recorder(kloudless_without_next_page([], "404"))
    async with kloudless(server) as client:
        with pytest.raises(Exception, match="404") as raised:
            await ids_of(client.paginate(client.incidents.list_incidents))
    assert type(raised.value).__name__ == "NotFoundError"


async def test_kloudless_404_after_a_token_is_raised() -> None:
    def respond(query: dict[str, str]) -> httpx.Response:
        if "page" in query:
            return httpx.Response(404, json={"error_code": "not_found", "message": "gone"})
        body = {"objects": [kloudless_item("incident", "a")], "count": 1, "page": 1, "next_page": "tok"}
        return httpx.Response(200, json={**body, "type": "object_list", "api": "itsm"})

    server = Recorder(respond)
    async with kloudless(server) as client:
        seen: list[Any] = []
        with pytest.raises(Exception, match="404"):
            await ids_of(client.paginate(client.incidents.list_incidents), seen)
    assert seen == ["a"]
    assert server.pages == [None, "tok"]


# --- no progress: PagingError within a bound ---------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_server_ignoring_page_raises_on_the_second_page(concurrency: int) -> None:
    server = Recorder(lambda query: capped_tickets(CAP * 3, meta=None)({"per_page": query["per_page"]}))
    async with spiceworks(server) as client:
        seen: list[Any] = []
        paginator = client.paginate(client.tickets.list_tickets, per_page=CAP, concurrency=concurrency)
        with pytest.raises(PagingError, match=r"page 2 repeats the items of an earlier page"):
            await ids_of(paginator, seen)
    assert seen == list(range(1, CAP + 1))  # page 1 once, never again
    # The first page, then at most one batch of pages fetched ahead.
    assert 2 <= len(server.queries) <= 1 + concurrency


async def test_a_long_cycle_is_caught_within_four_times_its_length() -> None:
    cycle = 100  # longer than the window of recent pages

    def respond(query: dict[str, str]) -> httpx.Response:
        block = (int(query["page"]) - 1) % cycle
        return httpx.Response(200, json={"tickets": [spiceworks_item("tickets", block * 2 + n) for n in (1, 2)]})

    server = Recorder(respond)
    async with spiceworks(server) as client:
        with pytest.raises(PagingError, match="repeats the items of an earlier page"):
            await ids_of(client.paginate(client.tickets.list_tickets, per_page=2))
    assert cycle < len(server.queries) <= 4 * cycle


async def test_endless_empty_token_pages_raise() -> None:
    def respond(query: dict[str, str]) -> httpx.Response:
        page = int(query.get("page", "0"))
        body = {"objects": [], "count": 0, "page": page, "next_page": str(page + 1)}
        return httpx.Response(200, json={**body, "type": "object_list", "api": "itsm"})

    server = Recorder(respond)
    async with kloudless(server) as client:
        with pytest.raises(PagingError, match="empty pages in a row"):
            await ids_of(client.paginate(client.incidents.list_incidents))
    assert len(server.queries) == 65


# --- a page without its list of items -------------------------------------------------


async def test_kloudless_page_without_objects_raises_naming_its_keys() -> None:
    body = {"data": [kloudless_item("incident", "a")], "count": 1, "page": 1, "next_page": None}
    server = Recorder(lambda query: httpx.Response(200, json={**body, "type": "object_list", "api": "itsm"}))
    async with kloudless(server) as client:
        with pytest.raises(PagingError) as raised:
            await ids_of(client.paginate(client.incidents.list_incidents))
    assert "list_incidents: a page without its list of items (IncidentList)" in str(raised.value)
    assert "['api', 'count', 'data', 'next_page', 'page', 'type']" in str(raised.value)


class FakePage:
    """A page whose ``page_items()`` does what a tolerant model may do with a missing or odd list."""

    def __init__(self, items: Callable[[], Any]) -> None:
        self._items = items

    def page_items(self) -> Any:
        return self._items()

    def to_dict(self) -> dict[str, Any]:
        return {"meta": {}, "results": "?"}

    @classmethod
    def from_dict(cls, src_dict: Any, /) -> FakePage:
        raise AssertionError("not called")


def _missing() -> Any:
    raise MissingFieldError("ListTicketsResponse200", "tickets")


@pytest.mark.parametrize("items", [_missing, lambda: {"a": 1}, lambda: None, lambda: "abc"])
@pytest.mark.parametrize("style", [NumberedPages(), TokenPages()], ids=["numbered", "tokens"])
async def test_page_items_missing_or_not_a_list_raises(items: Callable[[], Any], style: Any) -> None:
    fetched: list[dict[str, Any]] = []

    async def list_tickets(**params: Any) -> FakePage:
        fetched.append(params)
        return FakePage(items)

    with pytest.raises(PagingError, match=r"list_tickets: .*FakePage.*\['meta', 'results'\]"):
        [item async for item in Paginator(list_tickets, {}, style)]
    assert fetched == [{}]


async def test_kloudless_null_next_page_ends_even_with_an_integer_page() -> None:
    # As kloudless-python: only a next_page that is absent is followed by page + 1.
    body = {"objects": [kloudless_item("incident", "a")], "count": 1, "page": 1, "next_page": None}
    server = Recorder(lambda query: httpx.Response(200, json={**body, "type": "object_list", "api": "itsm"}))
    async with kloudless(server) as client:
        assert await ids_of(client.paginate(client.incidents.list_incidents)) == ["a"]
    assert server.pages == [None]
