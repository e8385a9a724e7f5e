"""Every Spiceworks operation against the sandbox, through SpiceworksClient, on both stores."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from itsm_async import NotFoundError, SpiceworksClient, UnprocessableEntityError
from itsm_async.sandbox import Sandbox
from spiceworks_client.models import (
    CommentCreate,
    ListDevicesType,
    ListTicketsStatus,
    ListUsersRole,
    TicketCreate,
    TicketCreatePriority,
    TicketUpdate,
    TicketUpdateStatus,
)
from spiceworks_client.types import UNSET

pytest_plugins = ["itsm_async.testing"]

EPOCH_DAY = datetime.date(2025, 1, 6)


@pytest.fixture(params=["memory", "sqlite"])
def itsm_sandbox_options(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Both stores, every response checked against the spec."""
    options: dict[str, Any] = {"check_responses": True}
    if request.param == "sqlite":
        options["db_path"] = tmp_path / "sandbox.db"
    return options


async def test_list_tickets_first_page_and_meta(spiceworks_client: SpiceworksClient) -> None:
    page: Any = await spiceworks_client.tickets.list_tickets()
    assert page.meta.current_page == 1
    assert page.meta.per_page == 25
    assert page.meta.total_count == 300
    assert page.meta.total_pages == 12
    ids = [ticket.id for ticket in page.tickets]
    assert ids == list(range(1, 26))
    assert {ticket.status for ticket in page.tickets} <= set(ListTicketsStatus)


async def test_paginate_all_tickets(spiceworks_client: SpiceworksClient) -> None:
    paginator = spiceworks_client.paginate(spiceworks_client.tickets.list_tickets, per_page=70)
    pages: list[Any] = [page async for page in paginator.pages()]
    assert len(pages) == 5
    ids = [ticket.id for page in pages for ticket in page.page_items()]
    assert ids == list(range(1, 301))


@pytest.mark.parametrize("status", list(ListTicketsStatus))
async def test_status_filter_pages(spiceworks_client: SpiceworksClient, status: ListTicketsStatus) -> None:
    first: Any = await spiceworks_client.tickets.list_tickets(status=status, per_page=1)
    total: int = first.meta.total_count
    assert total > 3
    per_page = -(-total // 3)  # at least three pages
    tickets: list[Any] = [
        t
        async for t in spiceworks_client.paginate(
            spiceworks_client.tickets.list_tickets, status=status, per_page=per_page
        )
    ]
    assert len(tickets) == total
    assert {ticket.status.value for ticket in tickets} == {status.value}
    assert [t.id for t in tickets] == sorted({t.id for t in tickets})


async def test_assignee_filter_alone_and_with_status(spiceworks_client: SpiceworksClient) -> None:
    everything: list[Any] = [
        t async for t in spiceworks_client.paginate(spiceworks_client.tickets.list_tickets, per_page=100)
    ]
    assignee = everything[0].assignee.id
    mine: list[Any] = [
        t async for t in spiceworks_client.paginate(spiceworks_client.tickets.list_tickets, assigned_to=assignee)
    ]
    assert [t.id for t in mine] == [t.id for t in everything if t.assignee and t.assignee.id == assignee]
    closed: Any = await spiceworks_client.tickets.list_tickets(assigned_to=assignee, status=ListTicketsStatus.CLOSED)
    expected = [t.id for t in mine if t.status.value == "closed"]
    assert closed.meta.total_count == len(expected)
    assert [t.id for t in closed.tickets] == expected[:25]


async def test_page_past_the_end_is_empty(spiceworks_client: SpiceworksClient) -> None:
    page: Any = await spiceworks_client.tickets.list_tickets(page=99)
    assert page.tickets == []
    assert page.meta.total_count == 300


async def test_create_ticket_then_get_and_list(spiceworks_client: SpiceworksClient, itsm_sandbox: Sandbox) -> None:
    body = TicketCreate(
        summary="Laptop won't boot after BIOS update",
        description="Black screen with a blinking cursor.",
        priority=TicketCreatePriority.HIGH,
        assignee_id=2,
        due_date=datetime.date(2025, 2, 1),
    )
    created: Any = (await spiceworks_client.tickets.create_ticket(body=body)).ticket
    assert created.id == 301
    assert created.status.value == "open"
    assert created.priority.value == "high"
    assert created.assignee.id == 2
    assert created.creator.id == 1
    assert created.due_date == datetime.date(2025, 2, 1)
    detail: Any = (await spiceworks_client.tickets.get_ticket(created.id)).ticket
    assert detail.summary == body.summary
    assert detail.description == body.description
    assert detail.comments == []
    last: Any = await spiceworks_client.tickets.list_tickets(page=13)
    assert [t.id for t in last.tickets] == [301]
    assert itsm_sandbox.stats.creates["tickets"] == 1


async def test_update_ticket_changes_only_given_fields(spiceworks_client: SpiceworksClient) -> None:
    before: Any = (await spiceworks_client.tickets.get_ticket(7)).ticket
    after: Any = (
        await spiceworks_client.tickets.update_ticket(7, body=TicketUpdate(status=TicketUpdateStatus.CLOSED))
    ).ticket
    assert after.status.value == "closed"
    assert (after.summary, after.priority, after.assignee, after.creator) == (
        before.summary,
        before.priority,
        before.assignee,
        before.creator,
    )
    assert after.updated_at > before.updated_at
    again: Any = (
        await spiceworks_client.tickets.update_ticket(7, body=TicketUpdate(summary="Renamed", assignee_id=2))
    ).ticket
    assert (again.summary, again.status.value, again.assignee.id) == ("Renamed", "closed", 2)
    final: Any = (await spiceworks_client.tickets.get_ticket(7)).ticket
    assert final.description == before.description


async def test_assignee_must_be_staff(spiceworks_client: SpiceworksClient) -> None:
    users: Any = await spiceworks_client.users.list_users(role=ListUsersRole.USER)
    requester = users.users[0].id
    with pytest.raises(UnprocessableEntityError) as caught:
        await spiceworks_client.tickets.update_ticket(3, body=TicketUpdate(assignee_id=requester))
    assert "assignee_id" in caught.value.body.decode()


async def test_unknown_ticket_is_404(spiceworks_client: SpiceworksClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        await spiceworks_client.tickets.get_ticket(9999)
    assert caught.value.error is not None
    with pytest.raises(NotFoundError):
        await spiceworks_client.tickets.update_ticket(9999, body=TicketUpdate(summary="x"))
    with pytest.raises(NotFoundError):
        await spiceworks_client.comments.list_ticket_comments(9999)
    with pytest.raises(NotFoundError):
        await spiceworks_client.comments.create_ticket_comment(9999, body=CommentCreate(body="hello"))


async def test_comments_appear_on_the_ticket(spiceworks_client: SpiceworksClient, itsm_sandbox: Sandbox) -> None:
    before: Any = (await spiceworks_client.comments.list_ticket_comments(11)).comments
    public: Any = (
        await spiceworks_client.comments.create_ticket_comment(11, body=CommentCreate(body="On my way."))
    ).comment
    internal: Any = (
        await spiceworks_client.comments.create_ticket_comment(11, body=CommentCreate(body="Note", is_public=False))
    ).comment
    assert (public.is_public, internal.is_public) == (True, False)
    assert public.author.id == 1
    listed: Any = (await spiceworks_client.comments.list_ticket_comments(11)).comments
    assert [c.id for c in listed] == [*(c.id for c in before), public.id, internal.id]
    detail: Any = (await spiceworks_client.tickets.get_ticket(11)).ticket
    assert [c.body for c in detail.comments][-2:] == ["On my way.", "Note"]
    assert itsm_sandbox.stats.creates["comments"] == 2


async def test_seeded_comments_belong_to_their_tickets(spiceworks_client: SpiceworksClient) -> None:
    lists: list[Any] = [await spiceworks_client.comments.list_ticket_comments(n) for n in range(1, 21)]
    counts = [len(listed.comments) for listed in lists]
    assert sum(counts) > 0
    assert max(counts) <= 4


@pytest.mark.parametrize("kind", list(ListDevicesType))
async def test_devices_by_type(spiceworks_client: SpiceworksClient, kind: ListDevicesType) -> None:
    page: Any = await spiceworks_client.devices.list_devices(type_=kind, per_page=100)
    assert page.meta.total_count > 0
    assert {device.type_.value for device in page.devices} == {kind.value}
    device: Any = (await spiceworks_client.devices.get_device(page.devices[0].id)).device
    assert all((device.manufacturer, device.model, device.serial_number, device.ip_address, device.mac_address))
    assert device.warranty_expiry is not UNSET
    assert device.ram_mb > 0


async def test_every_device_type_is_seeded(spiceworks_client: SpiceworksClient) -> None:
    devices: list[Any] = [
        d async for d in spiceworks_client.paginate(spiceworks_client.devices.list_devices, per_page=100)
    ]
    assert len(devices) == 150
    assert {d.type_.value for d in devices} == {"workstation", "server", "network", "printer", "mobile", "unknown"}


async def test_some_servers_have_expired_warranties(spiceworks_client: SpiceworksClient) -> None:
    servers: list[Any] = [
        d
        async for d in spiceworks_client.paginate(spiceworks_client.devices.list_devices, type_=ListDevicesType.SERVER)
    ]
    details: list[Any] = [(await spiceworks_client.devices.get_device(s.id)).device for s in servers]
    expired = [d for d in details if d.warranty_expiry < EPOCH_DAY]
    assert expired
    assert len(expired) < len(details)
    assert any(d.software for d in details)


async def test_get_unknown_device_is_404(spiceworks_client: SpiceworksClient) -> None:
    with pytest.raises(NotFoundError):
        await spiceworks_client.devices.get_device(100_000)


@pytest.mark.parametrize("role", list(ListUsersRole))
async def test_users_by_role(spiceworks_client: SpiceworksClient, role: ListUsersRole) -> None:
    users: list[Any] = [u async for u in spiceworks_client.paginate(spiceworks_client.users.list_users, role=role)]
    assert users
    assert {u.role.value for u in users} == {role.value}


async def test_users_page_by_25_and_get(spiceworks_client: SpiceworksClient) -> None:
    pages: list[Any] = [page async for page in spiceworks_client.paginate(spiceworks_client.users.list_users).pages()]
    assert [len(page.page_items()) for page in pages] == [25, 25, 25, 5]
    user: Any = (await spiceworks_client.users.get_user(1)).user
    assert (user.role.value, user.department) == ("admin", "IT")
    assert user.email.endswith("@northwind.example")
    with pytest.raises(NotFoundError):
        await spiceworks_client.users.get_user(81)
