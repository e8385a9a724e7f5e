"""Every Spiceworks Cloud Apps operation through ``SpiceworksClient``: what is sent, what comes back.

Each test calls the operation and its ``_raw`` twin with the same arguments,
checks both requests, the typed result, and that the twin returns the status
code, the response headers and an equal parsed model.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any

import pytest
import respx

from itsm_async import ResponseDecodeError, SpiceworksClient, __version__, mismatches
from spiceworks_client.models import (
    Comment,
    CommentCreate,
    Device,
    DeviceDetail,
    DeviceDetailSoftwareItem,
    DeviceType,
    ListDevicesType,
    ListTicketsStatus,
    ListUsersRole,
    PaginationMeta,
    Ticket,
    TicketCreate,
    TicketCreatePriority,
    TicketDetail,
    TicketPriority,
    TicketStatus,
    TicketUpdate,
    TicketUpdatePriority,
    TicketUpdateStatus,
    User,
    UserRef,
    UserRole,
)
from spiceworks_client.types import Response
from tests import bodies

# This mirrors tests/conftest.py, which the ``spiceworks`` fixture is built from.
TOKEN = "sw-secret-token"
REQUEST_ID = "sw-req-42"
UTC = datetime.UTC

TECH = {"id": 7, "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
REQUESTER = {"id": 8, "first_name": "Bob", "last_name": "Builder", "email": "bob@example.com"}
TICKET = {
    "id": 42,
    "summary": "Printer on fire",
    "status": "open",
    "priority": "urgent",
    "assignee": TECH,
    "creator": REQUESTER,
    "created_at": "2024-05-01T09:30:00+00:00",
    "updated_at": "2024-05-02T10:00:00+00:00",
    "due_date": "2024-05-10",
}
COMMENT = {
    "id": 501,
    "body": "Extinguisher deployed.",
    "is_public": False,
    "author": TECH,
    "created_at": "2024-05-01T09:45:00+00:00",
}
META = {"current_page": 2, "total_pages": 5, "total_count": 120, "per_page": 25}
DEVICE = {
    "id": 9,
    "name": "srv-01",
    "type": "server",
    "manufacturer": "Dell",
    "model": "R740",
    "serial_number": "SN123",
    "ip_address": "10.0.0.9",
    "mac_address": "00:11:22:33:44:55",
    "os_name": "Ubuntu",
    "os_version": "24.04",
    "last_seen_at": "2024-05-03T08:00:00+00:00",
}
USER = {
    "id": 7,
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "role": "technician",
    "department": "IT",
    "phone": "+1 555 0100",
    "avatar_url": "https://sw.test/avatars/7.png",
}


def _respond(router: respx.Router, status: int, body: Mapping[str, Any]) -> respx.Route:
    """Answer every request with ``status`` and ``body``; the test inspects what was sent."""
    return router.route().respond(status, json=body, headers={"X-Request-Id": REQUEST_ID})


def _assert_sent(
    route: respx.Route,
    *,
    method: str,
    path: str,
    params: Mapping[str, str] | None = None,
    body: Mapping[str, Any] | None = None,
) -> None:
    """Both calls (the operation and its ``_raw`` twin) sent exactly this request."""
    assert route.call_count == 2
    for call in route.calls:
        request = call.request
        assert request.method == method
        assert request.url.scheme == "https"
        assert request.url.host == "sw.test"
        assert request.url.raw_path.split(b"?")[0] == path.encode()
        assert sorted(request.url.params.multi_items()) == sorted((params or {}).items())
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["User-Agent"] == f"itsm-async/{__version__}"
        assert request.headers["User-Agent"].startswith("itsm-async/")
        if body is None:
            assert request.content == b""
        else:
            assert request.headers["Content-Type"] == "application/json"
            assert json.loads(request.content) == body


def _assert_raw(raw: Response[Any], status: int, parsed: object) -> None:
    assert raw.status_code == status
    assert raw.headers["X-Request-Id"] == REQUEST_ID
    assert raw.parsed == parsed


def _assert_tech(ref: object) -> None:
    assert isinstance(ref, UserRef)
    assert ref.id == 7
    assert ref.first_name == "Ada"
    assert ref.email == "ada@example.com"


# --- Tickets ------------------------------------------------------------------------


async def test_list_tickets(spiceworks: SpiceworksClient, router: respx.Router) -> None:
    route = _respond(router, 200, {"tickets": [TICKET], "meta": META})
    kwargs: dict[str, Any] = {"status": ListTicketsStatus.OPEN, "assigned_to": 7, "page": 2, "per_page": 50}

    result = await spiceworks.tickets.list_tickets(**kwargs)
    raw = await spiceworks.tickets.list_tickets_raw(**kwargs)

    _assert_sent(
        route,
        method="GET",
        path="/api/v1/tickets",
        params={"status": "open", "assigned_to": "7", "page": "2", "per_page": "50"},
    )
    assert isinstance(result.tickets, list)
    [ticket] = result.tickets
    assert isinstance(ticket, Ticket)
    assert ticket.id == 42
    assert ticket.status is TicketStatus.OPEN
    assert ticket.priority is TicketPriority.URGENT
    _assert_tech(ticket.assignee)
    assert ticket.created_at == datetime.datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    assert ticket.due_date == datetime.date(2024, 5, 10)
    assert isinstance(result.meta, PaginationMeta)
    assert result.meta.total_pages == 5
    assert result.meta.total_count == 120
    _assert_raw(raw, 200, result)


async def test_list_tickets_defaults(spiceworks: SpiceworksClient, router: respx.Router) -> None:
    route = _respond(router, 200, bodies.ticket_page([]))

    result = await spiceworks.tickets.list_tickets()
    raw = await spiceworks.tickets.list_tickets_raw()

    # page and per_page have spec defaults (1, 25), which the binding always sends.
    _assert_sent(route, method="GET", path="/api/v1/tickets", params={"page": "1", "per_page": "25"})
    assert result.tickets == []
    _assert_raw(raw, 200, result)


async def test_create_ticket(spiceworks: SpiceworksClient, router: respx.Router) -> None:
    route = _respond(router, 201, {"ticket": TICKET})
    body = TicketCreate(
        summary="Printer on fire",
        description="Third floor.",
        priority=TicketCreatePriority.URGENT,
        assignee_id=7,
        due_date=datetime.date(2024, 5, 10),
    )

    result = await spiceworks.tickets.create_ticket(body=body)
    raw = await spiceworks.tickets.create_ticket_raw(body=body)

    _assert_sent(
        route,
        method="POST",
        path="/api/v1/tickets",
        body={
            "summary": "Printer on fire",
            "description": "Third floor.",
            "priority": "urgent",
            "assignee_id": 7,
            "due_date": "2024-05-10",
        },
    )
    assert isinstance(result.ticket, Ticket)
    assert result.ticket.id == 42
    assert result.ticket.summary == "Printer on fire"
    assert isinstance(result.ticket.creator, UserRef)
    assert result.ticket.creator.last_name == "Builder"
    _assert_raw(raw, 201, result)


async def test_create_ticket_sends_the_default_priority(spiceworks: SpiceworksClient, router: respx.Router) -> None:
    route = _respond(router, 201, {"ticket": TICKET})

    await spiceworks.tickets.create_ticket(body=TicketCreate(summary="Printer on fire"))
    await spiceworks.tickets.create_ticket_raw(body=TicketCreate(summary="Printer on fire"))

    # TicketCreate.priority defaults to "medium" in the spec, and the model sends it.
    _assert_sent(
        route, method="POST", path="/api/v1/tickets", body={"summary": "Printer on fire", "priority": "medium"}
    )


async def test_get_ticket(spiceworks: SpiceworksClient, router: respx.Router) -> None:
    detail = {**TICKET, "description": "Third floor, by the window.", "comments": [COMMENT], "tags": ["fire"]}
    route = _respond(router, 200, {"ticket": detail})

    result = await spiceworks.tickets.get_ticket(42)
    raw = await spiceworks.tickets.get_ticket_raw(42)

    _assert_sent(route, method="GET", path="/api/v1/tickets/42")
    ticket = result.ticket
    assert isinstance(ticket, TicketDetail)
    assert ticket.id == 42
    assert ticket.description == "Third floor, by the window."
    assert ticket.tags == ["fire"]
    assert ticket.updated_at == datetime.datetime(2024, 5, 2, 10, tzinfo=UTC)
    assert isinstance(ticket.comments, list)
    [comment] = ticket.comments
    assert isinstance(comment, Comment)
    assert comment.is_public is False
    _assert_tech(comment.author)
    _assert_raw(raw, 200, result)


async def test_update_ticket(spiceworks: SpiceworksClient, router: respx.Router) -> None:
    route = _respond(router, 200, {"ticket": {**TICKET, "status": "closed", "priority": "low"}})
    body = TicketUpdate(status=TicketUpdateStatus.CLOSED, priority=TicketUpdatePriority.LOW)

    result = await spiceworks.tickets.update_ticket(42, body=body)
    raw = await spiceworks.tickets.update_ticket_raw(42, body=body)

    _assert_sent(route, method="PUT", path="/api/v1/tickets/42", body={"status": "closed", "priority": "low"})
    assert isinstance(result.ticket, Ticket)
    assert result.ticket.status is TicketStatus.CLOSED
    assert result.ticket.priority is TicketPriority.LOW
    _assert_raw(raw, 200, result)


async def test_unknown_status_is_kept(spiceworks: SpiceworksClient, router: respx.Router) -> None:
    _respond(router, 200, {"ticket": {**TICKET, "status": "waiting_on_vendor"}})

    result = await spiceworks.with_options(strict=False).tickets.get_ticket(42)

    # The generated enums keep values newer than the spec instead of failing the call,
    # and say where the body did not fit; a strict client refuses the body, naming the path.
    assert isinstance(result.ticket, TicketDetail)
    assert result.ticket.status == "waiting_on_vendor"
    assert result.to_dict()["ticket"]["status"] == "waiting_on_vendor"
    assert [(m.path, m.got) for m in mismatches(result)] == [("$.ticket.status", "string 'waiting_on_vendor'")]
    with pytest.raises(ResponseDecodeError, match=r"\$\.ticket\.status"):
        await spiceworks.with_options(strict=True).tickets.get_ticket(42)


# --- Comments -----------------------------------------------------------------------


async def test_list_ticket_comments(spiceworks: SpiceworksClient, router: respx.Router) -> None:
    route = _respond(router, 200, {"comments": [COMMENT]})

    result = await spiceworks.comments.list_ticket_comments(42)
    raw = await spiceworks.comments.list_ticket_comments_raw(42)

    _assert_sent(route, method="GET", path="/api/v1/tickets/42/comments")
    assert isinstance(result.comments, list)
    [comment] = result.comments
    assert isinstance(comment, Comment)
    assert comment.id == 501
    assert comment.body == "Extinguisher deployed."
    assert comment.created_at == datetime.datetime(2024, 5, 1, 9, 45, tzinfo=UTC)
    _assert_raw(raw, 200, result)


async def test_create_ticket_comment(spiceworks: SpiceworksClient, router: respx.Router) -> None:
    route = _respond(router, 201, {"comment": COMMENT})
    body = CommentCreate(body="Extinguisher deployed.", is_public=False)

    result = await spiceworks.comments.create_ticket_comment(42, body=body)
    raw = await spiceworks.comments.create_ticket_comment_raw(42, body=body)

    _assert_sent(
        route,
        method="POST",
        path="/api/v1/tickets/42/comments",
        body={"body": "Extinguisher deployed.", "is_public": False},
    )
    assert isinstance(result.comment, Comment)
    assert result.comment.id == 501
    _assert_tech(result.comment.author)
    _assert_raw(raw, 201, result)


# --- Devices ------------------------------------------------------------------------


async def test_list_devices(spiceworks: SpiceworksClient, router: respx.Router) -> None:
    route = _respond(router, 200, {"devices": [DEVICE], "meta": META})

    result = await spiceworks.devices.list_devices(type_=ListDevicesType.SERVER, page=3, per_page=10)
    raw = await spiceworks.devices.list_devices_raw(type_=ListDevicesType.SERVER, page=3, per_page=10)

    _assert_sent(route, method="GET", path="/api/v1/devices", params={"type": "server", "page": "3", "per_page": "10"})
    assert isinstance(result.devices, list)
    [device] = result.devices
    assert isinstance(device, Device)
    assert device.id == 9
    assert device.type_ is DeviceType.SERVER
    assert device.mac_address == "00:11:22:33:44:55"
    assert device.last_seen_at == datetime.datetime(2024, 5, 3, 8, tzinfo=UTC)
    assert isinstance(result.meta, PaginationMeta)
    assert result.meta.current_page == 2
    _assert_raw(raw, 200, result)


async def test_get_device(spiceworks: SpiceworksClient, router: respx.Router) -> None:
    detail = {
        **DEVICE,
        "cpu": "Xeon 2.4GHz",
        "ram_mb": 65536,
        "disk_gb": 1024.5,
        "software": [{"name": "nginx", "version": "1.26"}],
        "warranty_expiry": "2027-01-31",
    }
    route = _respond(router, 200, {"device": detail})

    result = await spiceworks.devices.get_device(9)
    raw = await spiceworks.devices.get_device_raw(9)

    _assert_sent(route, method="GET", path="/api/v1/devices/9")
    device = result.device
    assert isinstance(device, DeviceDetail)
    assert device.name == "srv-01"
    assert device.ram_mb == 65536
    assert device.disk_gb == 1024.5
    assert device.warranty_expiry == datetime.date(2027, 1, 31)
    assert isinstance(device.software, list)
    [package] = device.software
    assert isinstance(package, DeviceDetailSoftwareItem)
    assert (package.name, package.version) == ("nginx", "1.26")
    _assert_raw(raw, 200, result)


# --- Users --------------------------------------------------------------------------


async def test_list_users(spiceworks: SpiceworksClient, router: respx.Router) -> None:
    route = _respond(router, 200, {"users": [USER], "meta": META})

    result = await spiceworks.users.list_users(role=ListUsersRole.TECHNICIAN, page=2)
    raw = await spiceworks.users.list_users_raw(role=ListUsersRole.TECHNICIAN, page=2)

    _assert_sent(route, method="GET", path="/api/v1/users", params={"role": "technician", "page": "2"})
    assert isinstance(result.users, list)
    [user] = result.users
    assert isinstance(user, User)
    assert user.role is UserRole.TECHNICIAN
    assert user.department == "IT"
    _assert_raw(raw, 200, result)


async def test_get_user(spiceworks: SpiceworksClient, router: respx.Router) -> None:
    route = _respond(router, 200, {"user": USER})

    result = await spiceworks.users.get_user(7)
    raw = await spiceworks.users.get_user_raw(7)

    _assert_sent(route, method="GET", path="/api/v1/users/7")
    assert isinstance(result.user, User)
    assert result.user.id == 7
    assert result.user.email == "ada@example.com"
    assert result.user.role is UserRole.TECHNICIAN
    assert result.user.avatar_url == "https://sw.test/avatars/7.png"
    _assert_raw(raw, 200, result)


# --- the raw twin -------------------------------------------------------------------


async def test_raw_variant_exposes_status_headers_and_body(spiceworks: SpiceworksClient, router: respx.Router) -> None:
    router.route().respond(
        201, json={"comment": COMMENT}, headers={"X-Request-Id": REQUEST_ID, "X-RateLimit-Remaining": "99"}
    )

    raw = await spiceworks.comments.create_ticket_comment_raw(42, body=CommentCreate(body="hi"))

    assert raw.status_code == 201
    assert raw.headers["X-RateLimit-Remaining"] == "99"
    assert raw.headers["Content-Type"] == "application/json"
    assert json.loads(raw.content) == {"comment": COMMENT}
    assert isinstance(raw.parsed.comment, Comment)
    assert raw.parsed.comment.to_dict() == COMMENT
