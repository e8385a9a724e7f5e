"""Paginators over both paging styles, on every list operation (``_paging.py``)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from itsm_async import (
    InvalidArgumentError,
    KloudlessClient,
    Paginator,
    PagingError,
    RetryPolicy,
    ServerError,
    SpiceworksClient,
)
from itsm_async._paging import NumberedPages
from spiceworks_client.models import ListTicketsResponse200, ListTicketsStatus

SPICEWORKS_URL = "https://sw.test"
KLOUDLESS_URL = "https://kl.test/v1"

PageBody = Callable[[dict[str, str]], dict[str, Any]]
WHEN = "2024-05-01T10:00:00+00:00"


def spiceworks_item(key: str, id: int) -> dict[str, Any]:
    """An item of a Spiceworks list under ``key``, with every field the spec says is always returned."""
    if key == "tickets":
        fields = {
            "summary": f"ticket {id}",
            "status": "open",
            "priority": "low",
            "created_at": WHEN,
            "updated_at": WHEN,
        }
    elif key == "devices":
        fields = {"name": f"device {id}", "type": "server"}
    else:
        fields = {"first_name": "Ada", "last_name": "Lovelace", "email": f"u{id}@example.com", "role": "admin"}
    return {"id": id, **fields}


def kloudless_item(kind: str, id: str) -> dict[str, Any]:
    """A Kloudless object of ``kind`` (``incident``, ..., ``object``) with every field always returned."""
    href = f"{KLOUDLESS_URL}/accounts/123/itsm/{kind}s/{id}"
    if kind == "object":
        return {"id": id, "type": "object", "api": "itsm", "raw": {}, "href": href}
    return {"id": id, "created": WHEN, "modified": WHEN, "type": kind, "api": "itsm", "href": href}


def kloudless_page(ids: list[str], next_page: object, *, page: str = "1", kind: str = "incident") -> dict[str, Any]:
    """A Kloudless list envelope holding ``ids``."""
    return {
        "objects": [kloudless_item(kind, id) for id in ids],
        "count": len(ids),
        "page": page,
        "next_page": next_page,
        "type": "object_list",
        "api": "itsm",
    }


class PagedServer:
    """Serves list pages from ``body(query)`` and records each request's path and query."""

    def __init__(self, body: PageBody) -> None:
        self._body = body
        self.requests: list[tuple[str, dict[str, str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        query = dict(request.url.params)
        self.requests.append((request.url.path, query))
        return httpx.Response(200, json=self._body(query))

    @property
    def queries(self) -> list[dict[str, str]]:
        return [query for _, query in self.requests]


def numbered(key: str, sizes: list[int], *, meta: bool = True) -> PageBody:
    """Spiceworks pages of ``sizes[i]`` items under ``key``, ids counting from 1.

    ``meta=False`` leaves out the metadata the spec says is always sent, to
    test that paging copes without it.
    """

    def body(query: dict[str, str]) -> dict[str, Any]:
        page = int(query.get("page", "1"))
        first = sum(sizes[: page - 1]) + 1
        size = sizes[page - 1] if page <= len(sizes) else 0
        result: dict[str, Any] = {key: [spiceworks_item(key, first + i) for i in range(size)]}
        if meta:
            result["meta"] = {
                "current_page": page,
                "total_pages": len(sizes),
                "total_count": sum(sizes),
                "per_page": max(sizes, default=0),
            }
        return result

    return body


def tokens(sizes: list[int], *, style: Callable[[int], str] = lambda n: f"tok{n}", kind: str = "incident") -> PageBody:
    """Kloudless pages of ``sizes[i]`` objects, page ``i`` (from 2) fetched with token ``style(i)``."""
    by_token = {style(n): n for n in range(2, len(sizes) + 1)}

    def body(query: dict[str, str]) -> dict[str, Any]:
        page = by_token[query["page"]] if "page" in query else 1
        first = sum(sizes[: page - 1]) + 1
        next_page = style(page + 1) if page < len(sizes) else None
        ids = [f"obj-{first + i}" for i in range(sizes[page - 1])]
        return kloudless_page(ids, next_page, page=query.get("page", "1"), kind=kind)

    return body


def spiceworks(server: PagedServer, *, strict: bool = True) -> SpiceworksClient:
    """A client of ``server``; ``strict=False`` for a server that leaves the spec on purpose."""
    return SpiceworksClient(token="t", base_url=SPICEWORKS_URL, transport=httpx.MockTransport(server), strict=strict)


def kloudless(server: PagedServer, *, strict: bool = True) -> KloudlessClient:
    """A client of ``server``; ``strict=False`` for a server that leaves the spec on purpose."""
    transport = httpx.MockTransport(server)
    return KloudlessClient(account_id="123", token="t", base_url=KLOUDLESS_URL, transport=transport, strict=strict)


async def collect(paginator: Paginator[Any, Any], into: list[Any] | None = None) -> list[Any]:
    """The ids of every item, also appended to ``into`` as they come (kept when iteration fails)."""
    ids = [] if into is None else into
    async for item in paginator:
        ids.append(item.id)
    return ids


# --- Spiceworks: page / per_page / meta.total_pages --------------------------------


async def test_spiceworks_pages_by_total_pages() -> None:
    server = PagedServer(numbered("tickets", [2, 2, 1]))
    async with spiceworks(server) as client:
        ids = await collect(client.paginate(client.tickets.list_tickets, per_page=2, status=ListTicketsStatus.OPEN))
    assert ids == [1, 2, 3, 4, 5]
    assert server.requests == [
        ("/api/v1/tickets", {"page": "1", "per_page": "2", "status": "open"}),
        ("/api/v1/tickets", {"page": "2", "per_page": "2", "status": "open"}),
        ("/api/v1/tickets", {"page": "3", "per_page": "2", "status": "open"}),
    ]


async def test_spiceworks_total_pages_wins_over_a_short_middle_page() -> None:
    server = PagedServer(numbered("tickets", [2, 1, 2]))
    async with spiceworks(server) as client:
        ids = await collect(client.paginate(client.tickets.list_tickets, per_page=2))
    assert ids == [1, 2, 3, 4, 5]
    assert [query["page"] for query in server.queries] == ["1", "2", "3"]


async def test_spiceworks_without_meta_a_short_page_is_not_the_end() -> None:
    # Servers cap per_page: only meta or an empty page says the walk is over.
    server = PagedServer(numbered("tickets", [3, 3, 2, 3], meta=False))
    async with spiceworks(server, strict=False) as client:
        ids = await collect(client.paginate(client.tickets.list_tickets, per_page=3))
    assert ids == list(range(1, 12))
    assert [query["page"] for query in server.queries] == ["1", "2", "3", "4", "5"]


async def test_spiceworks_without_meta_stops_on_an_empty_page() -> None:
    server = PagedServer(numbered("tickets", [2, 2], meta=False))
    async with spiceworks(server, strict=False) as client:
        ids = await collect(client.paginate(client.tickets.list_tickets, per_page=2))
    assert ids == [1, 2, 3, 4]
    assert [query["page"] for query in server.queries] == ["1", "2", "3"]


async def test_spiceworks_without_meta_or_per_page_reads_to_an_empty_page() -> None:
    server = PagedServer(numbered("users", [3, 3, 1], meta=False))
    async with spiceworks(server, strict=False) as client:
        ids = await collect(client.paginate(client.users.list_users))
    assert ids == [1, 2, 3, 4, 5, 6, 7]
    assert server.requests == [("/api/v1/users", {"page": str(n)}) for n in (1, 2, 3, 4)]


async def test_spiceworks_starts_at_the_given_page() -> None:
    server = PagedServer(numbered("tickets", [2, 2, 2]))
    async with spiceworks(server) as client:
        ids = await collect(client.paginate(client.tickets.list_tickets, page=2, per_page=2))
    assert ids == [3, 4, 5, 6]
    assert [query["page"] for query in server.queries] == ["2", "3"]


async def test_spiceworks_empty_list() -> None:
    server = PagedServer(numbered("tickets", []))
    async with spiceworks(server) as client:
        ids = await collect(client.paginate(client.tickets.list_tickets))
    assert ids == []
    assert len(server.requests) == 1


async def test_spiceworks_envelope_without_the_list_raises_naming_its_keys() -> None:
    meta = {"current_page": 1, "total_pages": 5, "total_count": 9, "per_page": 2}
    server = PagedServer(lambda query: {"meta": meta, "data": []})
    async with spiceworks(server, strict=False) as client:
        with pytest.raises(PagingError, match=r"list_tickets: a page without its list of items .*\['data', 'meta'\]"):
            await collect(client.paginate(client.tickets.list_tickets))
    assert len(server.requests) == 1


# --- Kloudless: page_size + next_page tokens --------------------------------------


async def test_kloudless_follows_next_page_tokens_until_null() -> None:
    server = PagedServer(tokens([2, 2, 1]))
    async with kloudless(server) as client:
        ids = await collect(client.paginate(client.incidents.list_incidents, page_size=2))
    assert ids == ["obj-1", "obj-2", "obj-3", "obj-4", "obj-5"]
    assert server.requests == [
        ("/v1/accounts/123/itsm/incidents", {"page_size": "2"}),
        ("/v1/accounts/123/itsm/incidents", {"page_size": "2", "page": "tok2"}),
        ("/v1/accounts/123/itsm/incidents", {"page_size": "2", "page": "tok3"}),
    ]


async def test_kloudless_integer_tokens_are_sent_as_text() -> None:
    server = PagedServer(tokens([1, 1, 1], style=str))

    async with kloudless(server) as client:
        ids = await collect(client.paginate(client.incidents.list_incidents))
    assert ids == ["obj-1", "obj-2", "obj-3"]
    assert server.queries == [{"page_size": "10"}, {"page_size": "10", "page": "2"}, {"page_size": "10", "page": "3"}]


async def test_kloudless_int_next_page_in_the_body() -> None:
    def body(query: dict[str, str]) -> dict[str, Any]:
        page = int(query.get("page", "1"))
        return kloudless_page([f"obj-{page}"], page + 1 if page < 3 else None, page=str(page))

    server = PagedServer(body)
    async with kloudless(server) as client:
        ids = await collect(client.paginate(client.incidents.list_incidents))
    assert ids == ["obj-1", "obj-2", "obj-3"]
    assert [query.get("page") for query in server.queries] == [None, "2", "3"]


@pytest.mark.parametrize("last", [None, ""])
async def test_kloudless_stops_on_a_null_or_empty_token(last: str | None) -> None:
    server = PagedServer(lambda query: kloudless_page(["a"], last))
    async with kloudless(server) as client:
        assert await collect(client.paginate(client.incidents.list_incidents)) == ["a"]
    assert len(server.requests) == 1


async def test_kloudless_missing_next_page_and_a_token_page_stops() -> None:
    # Only an integer page is followed by page + 1; "1" here is a token.
    body = kloudless_page(["a"], None)
    del body["next_page"]
    server = PagedServer(lambda query: body)
    async with kloudless(server, strict=False) as client:
        assert await collect(client.paginate(client.incidents.list_incidents)) == ["a"]
    assert len(server.requests) == 1


async def test_kloudless_empty_list() -> None:
    server = PagedServer(lambda query: kloudless_page([], None))
    async with kloudless(server) as client:
        assert await collect(client.paginate(client.incidents.list_incidents)) == []
    assert len(server.requests) == 1


async def test_repeating_token_raises_paging_error() -> None:
    server = PagedServer(lambda query: kloudless_page(["a"], "same"))
    async with kloudless(server) as client:
        seen: list[Any] = []
        # max_items bounds the loop, should the repeat go unnoticed.
        with pytest.raises(PagingError, match="page 'same' repeats the items of an earlier page"):
            await collect(client.paginate(client.incidents.list_incidents, max_items=50), seen)
    assert seen == ["a"]
    assert server.queries == [{"page_size": "10"}, {"page_size": "10", "page": "same"}]


async def test_token_cycle_raises_paging_error() -> None:
    cycle = {None: "A", "A": "B", "B": "A"}

    def body(query: dict[str, str]) -> dict[str, Any]:
        return kloudless_page([query.get("page", "first")], cycle[query.get("page")])

    server = PagedServer(body)
    async with kloudless(server) as client:
        paginator = client.paginate(client.incidents.list_incidents, max_items=20)  # bounds the loop if undetected
        with pytest.raises(PagingError):
            await collect(paginator)
    assert len(server.requests) == 3  # first, A, B: the repeat of A is refused before it is sent


# --- max_items, pages() and laziness --------------------------------------------------


@pytest.mark.parametrize(("max_items", "requests"), [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (100, 5)])
async def test_max_items_fetches_no_extra_page(max_items: int, requests: int) -> None:
    server = PagedServer(numbered("tickets", [2, 2, 2, 2, 2]))
    async with spiceworks(server) as client:
        ids = await collect(client.paginate(client.tickets.list_tickets, per_page=2, max_items=max_items))
    assert ids == list(range(1, min(max_items, 10) + 1))
    assert len(server.requests) == requests


async def test_max_items_on_token_pages() -> None:
    server = PagedServer(tokens([2, 2, 2, 2]))
    async with kloudless(server) as client:
        ids = await collect(client.paginate(client.incidents.list_incidents, page_size=2, max_items=3))
    assert ids == ["obj-1", "obj-2", "obj-3"]
    assert server.queries == [{"page_size": "2"}, {"page_size": "2", "page": "tok2"}]


async def test_max_items_zero_fetches_nothing() -> None:
    server = PagedServer(numbered("tickets", [2, 2]))
    async with spiceworks(server) as client:
        assert await collect(client.paginate(client.tickets.list_tickets, max_items=0)) == []
        assert [page async for page in client.paginate(client.tickets.list_tickets, max_items=0).pages()] == []
    assert server.requests == []


@pytest.mark.parametrize("max_items", [-1, True, 2.0, "3"])
def test_max_items_must_be_a_non_negative_int(max_items: Any) -> None:
    async def fetch(**params: Any) -> ListTicketsResponse200:
        raise AssertionError("not called")

    with pytest.raises(InvalidArgumentError, match=r"^Paginator: max_items must be a non-negative int or None"):
        Paginator(fetch, {}, style=NumberedPages(), max_items=max_items)


async def test_pages_yields_whole_pages() -> None:
    server = PagedServer(numbered("tickets", [2, 2, 1]))
    async with spiceworks(server) as client:
        pages = [page async for page in client.paginate(client.tickets.list_tickets, per_page=2).pages()]
    assert all(isinstance(page, ListTicketsResponse200) for page in pages)
    assert [[ticket.id for ticket in page.page_items()] for page in pages] == [[1, 2], [3, 4], [5]]
    assert [page.meta.current_page for page in pages if isinstance(page, ListTicketsResponse200) and page.meta] == [
        1,
        2,
        3,
    ]


async def test_pages_are_bounded_by_max_items() -> None:
    server = PagedServer(numbered("tickets", [2, 2, 2, 2]))
    async with spiceworks(server) as client:
        pages = [page async for page in client.paginate(client.tickets.list_tickets, per_page=2, max_items=3).pages()]
    assert [len(page.page_items()) for page in pages] == [2, 2]
    assert len(server.requests) == 2


async def test_pages_are_fetched_lazily() -> None:
    server = PagedServer(numbered("tickets", [2, 2, 2]))
    async with spiceworks(server) as client:
        paginator = client.paginate(client.tickets.list_tickets, per_page=2)
        assert server.requests == []
        first = await paginator.__anext__()
        assert first.id == 1
        assert len(server.requests) == 1
        second = await paginator.__anext__()
        assert second.id == 2
        assert len(server.requests) == 1
        third = await paginator.__anext__()
        assert third.id == 3
        assert len(server.requests) == 2


async def test_a_failing_page_raises_after_the_earlier_items() -> None:
    served: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        served.append(page)
        if page == 2:
            return httpx.Response(500, json={"error": "boom"})
        return httpx.Response(200, json=numbered("tickets", [2, 2, 2])({"page": str(page)}))

    async with SpiceworksClient(
        token="t", base_url=SPICEWORKS_URL, retry=RetryPolicy.never(), transport=httpx.MockTransport(handler)
    ) as client:
        seen: list[Any] = []
        with pytest.raises(ServerError):
            await collect(client.paginate(client.tickets.list_tickets, per_page=2), seen)
    assert seen == [1, 2]
    assert served == [1, 2]


# --- every list operation -------------------------------------------------------------

SPICEWORKS_LISTS = [
    ("tickets", "list_tickets", "/api/v1/tickets", "tickets", {"per_page": "25"}),
    ("devices", "list_devices", "/api/v1/devices", "devices", {"per_page": "25"}),
    ("users", "list_users", "/api/v1/users", "users", {}),
]

KLOUDLESS_LISTS = [
    ("incidents", "list_incidents", "incidents", {}),
    ("problems", "list_problems", "problems", {}),
    ("changes", "list_changes", "changes", {}),
    ("articles", "list_articles", "articles", {}),
    ("assets", "list_assets", "assets", {}),
    ("objects", "list_objects", "objects", {"raw_type": "cmdb_ci_server"}),
]


@pytest.mark.parametrize(("group", "operation", "path", "key", "defaults"), SPICEWORKS_LISTS)
async def test_every_spiceworks_list_operation(
    group: str, operation: str, path: str, key: str, defaults: dict[str, str]
) -> None:
    server = PagedServer(numbered(key, [2, 2, 1]))
    async with spiceworks(server) as client:
        fetch = getattr(getattr(client, group), operation)
        ids = await collect(client.paginate(fetch))
        assert server.requests == [(path, {**defaults, "page": str(n)}) for n in (1, 2, 3)]
        pages = [len(page.page_items()) async for page in client.paginate(fetch, max_items=4).pages()]
    assert ids == [1, 2, 3, 4, 5]
    assert pages == [2, 2]
    assert len(server.requests) == 5


@pytest.mark.parametrize(("group", "operation", "segment", "extra"), KLOUDLESS_LISTS)
async def test_every_kloudless_list_operation(group: str, operation: str, segment: str, extra: dict[str, Any]) -> None:
    server = PagedServer(tokens([2, 2, 1], kind=segment.removesuffix("s")))
    async with kloudless(server) as client:
        fetch = getattr(getattr(client, group), operation)
        ids = await collect(client.paginate(fetch, page_size=2, **extra))
    assert ids == ["obj-1", "obj-2", "obj-3", "obj-4", "obj-5"]
    path = f"/v1/accounts/123/itsm/{segment}"
    assert server.requests == [
        (path, {"page_size": "2", **extra}),
        (path, {"page_size": "2", **extra, "page": "tok2"}),
        (path, {"page_size": "2", **extra, "page": "tok3"}),
    ]


# --- the paginator: a context manager, iterated again, through views -------------------


async def test_async_with_closes_the_walk_at_once() -> None:
    server = PagedServer(numbered("tickets", [2, 2, 2]))
    async with spiceworks(server) as client:
        async with client.paginate(client.tickets.list_tickets, per_page=2) as items:
            async for ticket in items:
                assert ticket.id == 1
                break
            pages = items.pages()
            assert (await pages.__anext__()).page_items()[0].id == 1
        # Leaving the block closed both walks: nothing more is fetched ...
        assert await pages.next_page() is None
        assert len(server.requests) == 2
        # ... and iterating again starts again from the first page.
        assert await collect(items) == [1, 2, 3, 4, 5, 6]
    assert [query["page"] for query in server.queries] == ["1", "1", "1", "2", "3"]


async def test_iterating_twice_starts_again() -> None:
    server = PagedServer(numbered("tickets", [2, 1]))
    async with spiceworks(server) as client:
        paginator = client.paginate(client.tickets.list_tickets, per_page=2)
        assert await collect(paginator) == [1, 2, 3]
        assert await collect(paginator) == [1, 2, 3]
        pages = paginator.pages()
        assert [len(page.page_items()) async for page in pages] == [2, 1]
        assert [len(page.page_items()) async for page in pages] == [2, 1]
    assert len(server.requests) == 8


async def test_max_items_walk_starts_again() -> None:
    server = PagedServer(numbered("tickets", [2, 2]))
    async with spiceworks(server) as client:
        paginator = client.paginate(client.tickets.list_tickets, per_page=2, max_items=3)
        assert await collect(paginator) == [1, 2, 3]
        assert await collect(paginator) == [1, 2, 3]
    assert len(server.requests) == 4


async def test_a_walk_left_part_way_continues() -> None:
    server = PagedServer(numbered("tickets", [2, 2]))
    async with spiceworks(server) as client:
        paginator = client.paginate(client.tickets.list_tickets, per_page=2)
        async for ticket in paginator:
            assert ticket.id == 1
            break
        assert await collect(paginator) == [2, 3, 4]
    assert len(server.requests) == 2


async def test_a_failed_walk_starts_again() -> None:
    failures = [500]

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        if page == 2 and failures:
            return httpx.Response(failures.pop(), json={"error": "boom"})
        return httpx.Response(200, json=numbered("tickets", [2, 2])({"page": str(page)}))

    async with SpiceworksClient(
        token="t", base_url=SPICEWORKS_URL, retry=RetryPolicy.never(), transport=httpx.MockTransport(handler)
    ) as client:
        paginator = client.paginate(client.tickets.list_tickets, per_page=2)
        seen: list[Any] = []
        with pytest.raises(ServerError):
            await collect(paginator, seen)
        assert seen == [1, 2]
        assert await collect(paginator) == [1, 2, 3, 4]


async def test_a_views_paginate_fetches_with_the_views_options() -> None:
    timeouts: list[float | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"]["read"])
        return httpx.Response(200, json=numbered("tickets", [1, 1])(dict(request.url.params)))

    async with SpiceworksClient(token="t", base_url=SPICEWORKS_URL, transport=httpx.MockTransport(handler)) as client:
        view = client.with_options(timeout=7)
        assert await collect(view.paginate(client.tickets.list_tickets)) == [1, 2]
        assert await collect(view.paginate(view.tickets.list_tickets)) == [1, 2]
        assert await collect(client.paginate(client.tickets.list_tickets)) == [1, 2]
    assert timeouts == [7, 7, 7, 7, 30, 30]


@pytest.mark.parametrize("concurrency", [0, -1, True, 2.0, "4", None])
async def test_concurrency_must_be_a_positive_int(concurrency: Any) -> None:
    server = PagedServer(numbered("tickets", [1]))
    async with spiceworks(server) as client:
        with pytest.raises(InvalidArgumentError, match=r"^paginate: concurrency must be a positive int"):
            client.paginate(client.tickets.list_tickets, concurrency=concurrency)
    with pytest.raises(InvalidArgumentError, match=r"^Paginator: concurrency must be a positive int"):
        Paginator(client.tickets.list_tickets, {}, NumberedPages(), concurrency=concurrency)
    assert server.requests == []


async def test_positional_parameters_are_refused() -> None:
    server = PagedServer(numbered("tickets", [1]))
    async with spiceworks(server) as client:
        paginate: Any = client.paginate
        with pytest.raises(InvalidArgumentError, match=r"^paginate: the operation's parameters must be given by"):
            paginate(client.tickets.list_tickets, None, 1, "open")
    assert server.requests == []


def test_paginate_parameters_are_typed_from_the_operation() -> None:
    # typing_paging.py marks each mistake with a type: ignore that --strict
    # reports as unused once the mistake is no longer caught.
    root = Path(__file__).parent.parent
    run = subprocess.run(  # noqa: S603 - this interpreter's mypy
        [sys.executable, "-m", "mypy", "--strict", str(root / "tests" / "typing_paging.py")],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("Success: no issues found in 1 source file")
