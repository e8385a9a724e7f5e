"""Seed data, its determinism and scale, and the two stores: in memory and SQLite."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from itsm_async.sandbox import IN_PROCESS_URL, Sandbox, SeedCounts
from itsm_async.sandbox._seed_itsm import RAW_TYPES
from itsm_async.sandbox._sqlite import SqliteStore
from itsm_async.sandbox._store import MemoryStore, Store
from kloudless_itsm_client.models import IncidentCreate
from spiceworks_client.models import ListTicketsStatus, TicketCreate, TicketUpdate, TicketUpdateStatus

SMALL = SeedCounts(
    users=12, tickets=40, devices=12, incidents=30, problems=5, changes=6, articles=4, assets=9, objects=8
)
PATHS = (
    "/api/v1/tickets?per_page=100",
    "/api/v1/tickets/7",
    "/api/v1/tickets?status=open&assigned_to=2",
    "/api/v1/devices?per_page=100",
    "/api/v1/devices/5",
    "/api/v1/users?role=technician",
    "/v1/accounts/123/itsm/incidents?page_size=100",
    "/v1/accounts/123/itsm/changes?page_size=100",
    "/v1/accounts/123/itsm/articles",
    "/v1/accounts/123/itsm/assets?page_size=100",
    "/v1/accounts/123/itsm/objects?raw_type=core_company",
)


async def _snapshot(sandbox: Sandbox) -> dict[str, Any]:
    """The JSON of several lists and objects, with raw data."""
    headers = {"Authorization": "Bearer t", "X-Kloudless-Raw-Data": "true"}
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=IN_PROCESS_URL, headers=headers) as http:
        return {path: (await http.get(path)).json() for path in PATHS}


async def test_sqlite_state_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with Sandbox(db_path=db, seed=5, counts=SMALL) as first:
        async with first.spiceworks_client() as client:
            ticket: Any = (await client.tickets.create_ticket(body=TicketCreate(summary="Persist me"))).ticket
            await client.tickets.update_ticket(3, body=TicketUpdate(status=TicketUpdateStatus.CLOSED))
        async with first.kloudless_client() as kloudless:
            incident: Any = await kloudless.incidents.create_incident(body=IncidentCreate(description="Keep me"))
            assets: Any = await kloudless.assets.list_assets(page_size=1)
            doomed = assets.objects[0].id
            await kloudless.assets.delete_asset(doomed)
    # Another seed and other counts: an existing database keeps its own data.
    with Sandbox(db_path=db, seed=99, counts=SeedCounts()) as second:
        assert (second.seed, second.counts) == (5, SMALL)
        async with second.spiceworks_client() as client:
            page: Any = await client.tickets.list_tickets(per_page=100)
            assert page.meta.total_count == 41
            kept: Any = (await client.tickets.get_ticket(ticket.id)).ticket
            assert kept.summary == "Persist me"
            closed: Any = (await client.tickets.get_ticket(3)).ticket
            assert closed.status.value == "closed"
            second_ticket: Any = (await client.tickets.create_ticket(body=TicketCreate(summary="Next"))).ticket
            assert second_ticket.id == ticket.id + 1
        async with second.kloudless_client() as kloudless:
            kept_incident: Any = await kloudless.incidents.get_incident(incident.id)
            assert kept_incident.description == "Keep me"
            assert (await kloudless.assets.list_assets()).total == SMALL.assets - 1
        second.reset()
        async with second.spiceworks_client() as client:
            reset: Any = await client.tickets.list_tickets()
            assert reset.meta.total_count == SMALL.tickets


async def test_both_stores_serve_the_same_data(tmp_path: Path) -> None:
    with Sandbox(seed=3, counts=SMALL) as memory, Sandbox(seed=3, counts=SMALL, db_path=tmp_path / "s.db") as sqlite:
        assert await _snapshot(memory) == await _snapshot(sqlite)


async def test_same_seed_same_data_other_seed_other_data() -> None:
    first, again, other = Sandbox(seed=21, counts=SMALL), Sandbox(seed=21, counts=SMALL), Sandbox(seed=22, counts=SMALL)
    snapshot = await _snapshot(first)
    assert snapshot == await _snapshot(again)
    different = await _snapshot(other)
    for path in (PATHS[0], PATHS[3], PATHS[6], PATHS[9]):
        assert snapshot[path] != different[path], path


async def test_counts_are_configurable() -> None:
    sandbox = Sandbox(counts=SMALL)
    async with sandbox.spiceworks_client() as client, sandbox.kloudless_client() as kloudless:
        lists: list[Any] = [
            await client.tickets.list_tickets(),
            await client.devices.list_devices(),
            await client.users.list_users(),
        ]
        assert [page.meta.total_count for page in lists] == [40, 12, 12]
        assert (await kloudless.incidents.list_incidents()).total == 30
        per_type = [(await kloudless.objects.list_objects(raw_type=raw_type)).total for raw_type in RAW_TYPES]
        assert sum(t or 0 for t in per_type) == SMALL.objects
    with pytest.raises(ValueError, match="users"):
        SeedCounts(users=1)


async def test_seed_data_looks_like_a_help_desk() -> None:
    sandbox = Sandbox()
    async with sandbox.spiceworks_client() as client:
        tickets: list[Any] = [t async for t in client.paginate(client.tickets.list_tickets, per_page=100)]
        users: list[Any] = [u async for u in client.paginate(client.users.list_users)]
        technicians = {u.id for u in users if u.role.value != "user"}
    assert {t.status.value for t in tickets} == {"open", "in_progress", "closed"}
    assert {t.priority.value for t in tickets} == {"low", "medium", "high", "urgent"}
    assert {t.assignee.id for t in tickets if t.assignee} <= technicians
    assert len({t.summary for t in tickets}) > 50
    assert sum(1 for t in tickets if t.due_date) > 100
    assert [t.created_at for t in tickets] == sorted(t.created_at for t in tickets)


async def test_a_hundred_thousand_tickets_page_like_a_few() -> None:
    sandbox = Sandbox(counts=SeedCounts(tickets=100_000, incidents=100_000))
    async with sandbox.spiceworks_client() as client, sandbox.kloudless_client() as kloudless:
        last: Any = await client.tickets.list_tickets(page=1000, per_page=100)
        assert last.meta.total_pages == 1000
        assert [t.id for t in last.tickets] == list(range(99_901, 100_001))
        deep: Any = await client.tickets.list_tickets(status=ListTicketsStatus.OPEN, page=40, per_page=50)
        assert len(deep.tickets) == 50
        assert {t.status.value for t in deep.tickets} == {"open"}
        newest: Any = (await client.tickets.get_ticket(100_000)).ticket
        assert newest.id == 100_000
        pages = kloudless.paginate(kloudless.incidents.list_incidents, page_size=1000, max_items=5000).pages()
        counts = [cast("Any", page).count async for page in pages]
        assert counts == [1000] * 5
        assert (await kloudless.incidents.list_incidents(page_size=1)).total == 100_000


async def test_reset_restores_the_seed_data() -> None:
    sandbox = Sandbox(counts=SMALL)
    before = await _snapshot(sandbox)
    async with sandbox.spiceworks_client() as client:
        await client.tickets.update_ticket(7, body=TicketUpdate(summary="changed"))
        await client.tickets.create_ticket(body=TicketCreate(summary="new"))
    assert await _snapshot(sandbox) != before
    sandbox.reset()
    assert await _snapshot(sandbox) == before
    assert sandbox.stats.snapshot()["creates"] == {}


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of either kind."""
    made: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "store.db")
    yield made
    made.close()


def test_store_keeps_indexes_in_order(store: Store) -> None:
    store.insert_many("tickets", [{"id": n, "status": "open", "assignee_id": n % 2} for n in range(1, 11)])
    made = store.insert("tickets", {"status": "closed", "assignee_id": 1})
    assert made["id"] == 11
    assert store.count("tickets", {"status": "open"}) == 10
    assert [r["id"] for r in store.window("tickets", {"status": "open", "assignee_id": 1}, 1, 3)] == [3, 5, 7]
    moved = store.update("tickets", 4, {"status": "closed", "summary": "done"})
    assert moved == {"id": 4, "status": "closed", "assignee_id": 0, "summary": "done"}
    assert [r["id"] for r in store.window("tickets", {"status": "closed"}, 0, 10)] == [4, 11]
    assert [r["id"] for r in store.after("tickets", {}, 4, 3)] == [5, 6, 7]
    assert [r["id"] for r in store.after("tickets", {"assignee_id": 0}, 4, 10)] == [6, 8, 10]
    assert store.delete("tickets", 6) is True
    assert store.delete("tickets", 6) is False
    assert store.get("tickets", 6) is None
    assert store.update("tickets", 6, {"status": "open"}) is None
    assert [r["id"] for r in store.after("tickets", {"assignee_id": 0}, 4, 10)] == [8, 10]
    assert store.insert("tickets", {"status": "open"})["id"] == 12
    with pytest.raises(ValueError, match="no index"):
        store.count("tickets", {"summary": "done"})
    store.set_meta("seed", "4")
    assert store.get_meta("seed") == "4"
    store.clear()
    assert (store.count("tickets", {}), store.get_meta("seed")) == (0, None)
    assert store.insert("tickets", {"status": "open"})["id"] == 1


def test_records_round_trip_as_json(store: Store) -> None:
    record = {"id": 1, "raw_type": "x", "attributes": {"a": [1, 2.5, None, True]}, "name": "é"}
    store.insert_many("objects", [record])
    assert store.get("objects", 1) == json.loads(json.dumps(record))
