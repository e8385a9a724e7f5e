"""Parallel paging, ``paginate(op, concurrency=N)``, on asyncio and trio (issue 9).

As in ``test_trio.py``, each test is a plain function that starts its event
loop with ``anyio.run(..., backend=...)`` and asserts which library runs it,
so the trio half cannot quietly run on asyncio. The server is an async
``httpx.MockTransport`` handler that counts the requests in flight; it holds
each response for a number of scheduler checkpoints (no sleeping, real or
virtual) so that pages complete out of order.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
import sniffio

from itsm_async import KloudlessClient, Paginator, RetryPolicy, ServerError, SpiceworksClient

SPICEWORKS_URL = "https://sw.test"
KLOUDLESS_URL = "https://kl.test/v1"
WHEN = "2024-05-01T10:00:00+00:00"


@pytest.fixture(params=["asyncio", "trio"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def run(backend: str, flow: Callable[[], Awaitable[None]]) -> None:
    async def checked() -> None:
        assert sniffio.current_async_library() == backend
        # A deadline, not a wait: a page that is never cancelled fails the test instead of hanging it.
        with anyio.fail_after(10):
            await flow()

    anyio.run(checked, backend=backend)


def ticket(id: int) -> dict[str, Any]:
    return {"id": id, "summary": f"t{id}", "status": "open", "priority": "low", "created_at": WHEN, "updated_at": WHEN}


class Server:
    """Spiceworks pages of ``sizes``; page n answers after ``hold(n)`` checkpoints, or ``fail(n)``.

    Counts the requests in flight (``peak``), the responses sent, and the
    requests cancelled before they were answered.
    """

    def __init__(
        self,
        sizes: list[int],
        *,
        meta: bool = True,
        hold: Callable[[int], int] = lambda page: 0,
        fail: Callable[[int], int | None] = lambda page: None,
        block: Callable[[int], bool] = lambda page: False,
    ) -> None:
        self.sizes, self.meta, self.hold, self.fail, self.block = sizes, meta, hold, fail, block
        self.in_flight = 0
        self.peak = 0
        self.pages: list[int] = []
        self.served: list[int] = []
        self.cancelled: list[int] = []
        self.forever = anyio.Event()  # never set: a blocked page waits on it
        self.full: dict[int, anyio.Event] = {}

    def when_in_flight(self, count: int) -> anyio.Event:
        """Set once ``count`` requests are in flight at the same time (already, or later)."""
        event = self.full.setdefault(count, anyio.Event())
        if self.in_flight >= count:
            event.set()
        return event

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        self.pages.append(page)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        if self.in_flight in self.full:
            self.full[self.in_flight].set()
        try:
            for _ in range(self.hold(page)):
                await anyio.lowlevel.checkpoint()
            if self.block(page):
                await self.forever.wait()
        except anyio.get_cancelled_exc_class():
            self.cancelled.append(page)
            raise
        finally:
            self.in_flight -= 1
        status = self.fail(page)
        if status is not None:
            return httpx.Response(status, json={"error": f"page {page} failed"})
        first = sum(self.sizes[: page - 1]) + 1
        size = self.sizes[page - 1] if page <= len(self.sizes) else 0
        body: dict[str, Any] = {"tickets": [ticket(first + n) for n in range(size)]}
        if self.meta:
            total = sum(self.sizes)
            body["meta"] = {"current_page": page, "total_pages": len(self.sizes), "total_count": total, "per_page": 10}
        self.served.append(page)
        return httpx.Response(200, json=body)


def client_for(server: Server) -> SpiceworksClient:
    # Without meta the pages leave the spec (meta is required): read them tolerantly.
    transport = httpx.MockTransport(server)
    strict = server.meta
    return SpiceworksClient(
        token="t", base_url=SPICEWORKS_URL, retry=RetryPolicy.never(), transport=transport, strict=strict
    )


async def collect(
    paginator: Paginator[Any, Any],
    into: list[Any],
    *,
    within: bool = False,
    each: Callable[[Any], None] = lambda item: None,
) -> None:
    """Append each item's id to ``into`` as it comes (kept when the walk fails), and call ``each`` on it.

    ``within=True`` reads inside ``async with``, where the walk keeps a
    window of pages in flight in its own task group; otherwise pages come in
    batches.
    """
    if within:
        async with paginator as items:
            async for item in items:
                into.append(item.id)
                each(item)
    else:
        async for item in paginator:
            into.append(item.id)
            each(item)


#: Both ways of reading a parallel walk.
WITHIN = pytest.mark.parametrize("within", [False, True], ids=["batches", "async-with"])


SIZES = [10] * 22 + [3]  # 23 pages, 223 items


@WITHIN
@pytest.mark.parametrize("meta", [True, False], ids=["meta", "no-meta"])
@pytest.mark.parametrize("concurrency", [2, 5, 8])
def test_parallel_yields_the_sequential_items_in_order(
    backend: str, concurrency: int, meta: bool, within: bool
) -> None:
    # Later pages answer first: order must come from the walk, not from arrival.
    sequential, parallel = Server(SIZES, meta=meta), Server(SIZES, meta=meta, hold=lambda page: 3 * (30 - page))
    got: dict[str, list[int]] = {}

    async def flow() -> None:
        for name, server, n in (("sequential", sequential, 1), ("parallel", parallel, concurrency)):
            async with client_for(server) as client:
                got[name] = []
                await collect(client.paginate(client.tickets.list_tickets, concurrency=n), got[name], within=within)

    run(backend, flow)
    assert got["parallel"] == got["sequential"] == list(range(1, sum(SIZES) + 1))
    assert sequential.peak == 1
    assert parallel.peak == concurrency  # as many at once as asked, never more
    if meta:  # the number of pages is known: not one request past the last
        assert sorted(parallel.pages) == list(range(1, len(SIZES) + 1))
    else:  # to the empty page, and at most one batch past it
        assert len(SIZES) + 1 < len(parallel.pages) <= len(SIZES) + concurrency
    if within and not meta:  # the window ran past the empty page: those pages were stopped
        assert all(page > len(SIZES) + 1 for page in parallel.cancelled)
    else:
        assert parallel.cancelled == []


@WITHIN
def test_pages_held_are_bounded_by_concurrency(backend: str, within: bool) -> None:
    concurrency = 4
    server = Server(SIZES, hold=lambda page: page % 3)
    held: list[int] = []

    def count_held(item: Any) -> None:
        reading = math.ceil(item.id / 10)
        # Pages the server answered that the walk has not reached yet.
        held.append(sum(1 for page in server.served if page > reading))

    async def flow() -> None:
        async with client_for(server) as client:
            paginator = client.paginate(client.tickets.list_tickets, concurrency=concurrency)
            await collect(paginator, [], within=within, each=count_held)

    run(backend, flow)
    assert len(held) == sum(SIZES)
    assert max(held) == concurrency - 1
    assert server.peak <= concurrency


@WITHIN
def test_max_items_fetches_only_the_pages_it_needs(backend: str, within: bool) -> None:
    server = Server(SIZES)

    async def flow() -> None:
        async with client_for(server) as client:
            paginator = client.paginate(client.tickets.list_tickets, max_items=25, concurrency=8)
            ids: list[int] = []
            await collect(paginator, ids, within=within)
            assert ids == list(range(1, 26))

    run(backend, flow)
    assert sorted(server.pages) == [1, 2, 3]  # page 1, then the two 15 more items need


@WITHIN
def test_the_first_error_in_order_is_raised_and_later_pages_cancelled(backend: str, within: bool) -> None:
    # Page 4 fails at once while pages 2 and 3 are still on their way and pages
    # 5 to 9 never answer: 2 and 3 are yielded, then page 4's error; 5 to 9 are cancelled.
    server = Server(SIZES, hold=lambda page: 20 if page in (2, 3) else 0, fail=lambda page: 500 if page == 4 else None)
    server.block = lambda page: page > 4
    seen: list[int] = []

    async def flow() -> None:
        async with client_for(server) as client:
            with pytest.raises(ServerError, match=r"page=4"):
                await collect(client.paginate(client.tickets.list_tickets, concurrency=8), seen, within=within)
        assert server.in_flight == 0

    run(backend, flow)
    assert seen == list(range(1, 31))
    assert sorted(server.cancelled) == [5, 6, 7, 8, 9]


@WITHIN
def test_an_earlier_error_wins_over_a_later_one(backend: str, within: bool) -> None:
    server = Server(SIZES, hold=lambda page: 30 if page == 3 else 0, fail=lambda page: 500 if page in (3, 5) else None)
    seen: list[int] = []

    async def flow() -> None:
        async with client_for(server) as client:
            with pytest.raises(ServerError, match=r"page=3"):
                await collect(client.paginate(client.tickets.list_tickets, concurrency=4), seen, within=within)

    run(backend, flow)
    assert seen == list(range(1, 21))


@WITHIN
def test_an_error_past_the_end_is_not_raised(backend: str, within: bool) -> None:
    # No meta: the walk learns the end from the empty page 4; page 5, fetched ahead, failed.
    server = Server([10, 10, 10], meta=False, fail=lambda page: 503 if page == 5 else None)

    async def flow() -> None:
        async with client_for(server) as client:
            ids: list[int] = []
            await collect(client.paginate(client.tickets.list_tickets, concurrency=4), ids, within=within)
        assert ids == list(range(1, 31))

    run(backend, flow)
    assert 5 in server.pages


def test_break_leaves_nothing_in_flight(backend: str) -> None:
    server = Server(SIZES)

    async def flow() -> None:
        async with client_for(server) as client:
            paginator = client.paginate(client.tickets.list_tickets, concurrency=6)
            async for item in paginator:
                if item.id == 15:
                    break
            assert server.in_flight == 0
            assert sorted(server.pages) == list(range(1, 8))  # page 1, then one batch
            # Left part-way, it continues where it stopped.
            assert [t.id async for t in paginator][:3] == [16, 17, 18]

    run(backend, flow)
    assert server.cancelled == []


def test_break_inside_async_with_then_leaving_cancels_the_window(backend: str) -> None:
    server = Server(SIZES, block=lambda page: page > 2)

    async def flow() -> None:
        async with client_for(server) as client:
            async with client.paginate(client.tickets.list_tickets, concurrency=5) as items:
                async for item in items:
                    if item.id == 11:  # the first item of page 2: pages 3 to 6 are on their way
                        break
                assert server.in_flight == 4
            assert server.in_flight == 0

    run(backend, flow)
    assert sorted(server.cancelled) == [3, 4, 5, 6]


@pytest.mark.parametrize("concurrency", [1, 4])
def test_aclose_from_another_task_cancels_the_pages_in_flight(backend: str, concurrency: int) -> None:
    server = Server(SIZES, block=lambda page: page > 1)
    seen: list[int] = []

    async def flow() -> None:
        async with client_for(server) as client:
            paginator = client.paginate(client.tickets.list_tickets, concurrency=concurrency)

            async def read() -> None:
                async for item in paginator:
                    seen.append(item.id)

            async with anyio.create_task_group() as group:
                group.start_soon(read)
                await server.when_in_flight(concurrency).wait()
                await paginator.aclose()
            assert server.in_flight == 0

    run(backend, flow)
    assert seen == list(range(1, 11))
    assert sorted(server.cancelled) == list(range(2, 2 + concurrency))


def test_leaving_async_with_cancels_and_closes(backend: str) -> None:
    server = Server(SIZES, block=lambda page: page > 1)

    async def flow() -> None:
        async with client_for(server) as client:
            with anyio.CancelScope() as scope:
                async with client.paginate(client.tickets.list_tickets, concurrency=3) as items:

                    async def cancel_when_full() -> None:
                        await server.when_in_flight(3).wait()
                        scope.cancel()

                    async with anyio.create_task_group() as group:
                        group.start_soon(cancel_when_full)
                        async for _ in items:
                            pass
            assert scope.cancelled_caught
            assert server.in_flight == 0
            # Closed by the block: the next walk starts from the first page.
            server.block = lambda page: False
            assert len([t async for t in items]) == sum(SIZES)

    run(backend, flow)
    assert sorted(server.cancelled) == [2, 3, 4]


def test_token_pages_stay_sequential(backend: str) -> None:
    in_flight = [0, 0]  # now, peak

    async def handler(request: httpx.Request) -> httpx.Response:
        in_flight[0] += 1
        in_flight[1] = max(in_flight)
        for _ in range(5):
            await anyio.lowlevel.checkpoint()
        in_flight[0] -= 1
        page = int(request.url.params.get("page", "1"))
        href = f"{KLOUDLESS_URL}/accounts/123/itsm/incidents/i{page}"
        item = {"id": f"i{page}", "created": WHEN, "modified": WHEN, "type": "incident", "api": "itsm", "href": href}
        next_page = str(page + 1) if page < 6 else None
        body = {"objects": [item], "count": 1, "page": str(page), "next_page": next_page}
        return httpx.Response(200, json={**body, "type": "object_list", "api": "itsm"})

    async def flow() -> None:
        async with KloudlessClient(
            account_id="123", token="t", base_url=KLOUDLESS_URL, transport=httpx.MockTransport(handler)
        ) as client:
            ids = [i.id async for i in client.paginate(client.incidents.list_incidents, concurrency=8)]
        assert ids == [f"i{n}" for n in range(1, 7)]

    run(backend, flow)
    assert in_flight[1] == 1


def test_pages_inside_async_with_come_in_order_with_a_window(backend: str) -> None:
    server = Server(SIZES, hold=lambda page: 2 * (30 - page))
    numbers: list[int] = []

    async def flow() -> None:
        async with (
            client_for(server) as client,
            client.paginate(client.tickets.list_tickets, concurrency=4).pages() as pages,
        ):
            async for page in pages:
                numbers.append(page.meta.current_page)

    run(backend, flow)
    assert numbers == list(range(1, len(SIZES) + 1))
    assert server.peak == 4
