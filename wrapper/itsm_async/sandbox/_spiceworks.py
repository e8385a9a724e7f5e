"""The Spiceworks Cloud Apps operations: tickets, comments, devices, users.

Lists are numbered pages (``page``, ``per_page``) with a ``meta`` block;
``updateTicket`` (PUT) changes only the fields it is given. Requests are
made as the account's IT manager, user 1, who creates tickets and comments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import _real_world as real_world
from ._call import Call, Handler, Reply
from ._clock import iso
from ._errors import ApiProblem
from ._pages import numbered_page
from ._store import Record

#: The user the API token belongs to.
API_USER_ID = 1

_DEVICE_FIELDS = (
    "id", "name", "type", "manufacturer", "model", "serial_number", "ip_address", "mac_address", "os_name",
    "os_version", "last_seen_at",
)  # fmt: skip
_DEVICE_DETAIL_FIELDS = (*_DEVICE_FIELDS, "cpu", "ram_mb", "disk_gb", "software", "warranty_expiry")
_USER_FIELDS = ("id", "first_name", "last_name", "email", "role", "department", "phone", "avatar_url")
_TICKET_CHANGES = ("summary", "description", "status", "priority", "assignee_id")


def _user_ref(call: Call, user_id: int | None) -> dict[str, Any] | None:
    user = call.user(user_id)
    if user is None:
        return None
    return {key: user[key] for key in ("id", "first_name", "last_name", "email")}


def _ticket(call: Call, record: Record) -> dict[str, Any]:
    body = {key: record[key] for key in ("id", "summary", "status", "priority", "created_at", "updated_at")}
    # UserRef and due_date are not nullable: an unassigned ticket has no assignee key.
    for key, user_id in (("assignee", record.get("assignee_id")), ("creator", record.get("creator_id"))):
        ref = _user_ref(call, user_id)
        if ref is not None:
            body[key] = ref
    if call.real_world is not None:
        return real_world.ticket(body, record.get("due_date"))
    if record.get("due_date"):
        body["due_date"] = record["due_date"]
    return body


def _comment(call: Call, record: Record) -> dict[str, Any]:
    body = {key: record[key] for key in ("id", "body", "is_public", "created_at")}
    author = _user_ref(call, record.get("author_id"))
    if author is not None:
        body["author"] = author
    return body


def _ticket_or_404(call: Call, ticket_id: int) -> Record:
    record = call.store.get("tickets", ticket_id)
    if record is None:
        raise ApiProblem(404, "Ticket not found", [f"no ticket with id {ticket_id}"])
    return record


def _check_assignee(call: Call, assignee_id: int | None) -> None:
    user = call.user(assignee_id)
    if assignee_id is not None and (user is None or user["role"] == "user"):
        raise ApiProblem(422, "Validation failed", [f"assignee_id: {assignee_id} is not a technician or admin"])


def _numbered(
    call: Call,
    collection: str,
    filters: Mapping[str, Any],
    key: str,
    render: Callable[[Call, Record], dict[str, Any]],
) -> Reply:
    query = call.params.query
    per_page = int(query.get("per_page", 25))
    if call.real_world is not None:
        # The live API's default and cap, whatever the spec's are.
        per_page = real_world.spiceworks_page_size(query.get("per_page") if "per_page" in call.sent_query else None)
    found = numbered_page(call.store, collection, filters, int(query.get("page", 1)), per_page)
    if call.real_world is not None:
        meta = real_world.spiceworks_meta(found.page, found.per_page, found.total, found.total_pages)
        return Reply(200, {key: [render(call, record) for record in found.records], "meta": meta})
    meta = {
        "current_page": found.page,
        "total_pages": found.total_pages,
        "total_count": found.total,
        "per_page": found.per_page,
    }
    return Reply(200, {key: [render(call, record) for record in found.records], "meta": meta})


def list_tickets(call: Call) -> Reply:
    """``GET /api/v1/tickets``, filtered by ``status`` and ``assigned_to``."""
    query = call.params.query
    filters = {"status": query.get("status"), "assignee_id": query.get("assigned_to")}
    return _numbered(call, "tickets", {k: v for k, v in filters.items() if v is not None}, "tickets", _ticket)


def create_ticket(call: Call) -> Reply:
    """``POST /api/v1/tickets``: a new open ticket, created by the API user."""
    body = call.body
    _check_assignee(call, body.get("assignee_id"))
    now = iso(call.now)
    record = call.store.insert(
        "tickets",
        {
            "summary": body["summary"],
            "description": body.get("description", ""),
            "status": "open",
            "priority": body.get("priority", "medium"),
            "assignee_id": body.get("assignee_id"),
            "creator_id": API_USER_ID,
            "created_at": now,
            "updated_at": now,
            "due_date": body.get("due_date"),
            "tags": [],
        },
    )
    call.on_write("create", "tickets")
    return Reply(201, {"ticket": _ticket(call, record)})


def get_ticket(call: Call) -> Reply:
    """``GET /api/v1/tickets/{id}``: the ticket with its description, comments and tags."""
    record = _ticket_or_404(call, call.params.path["id"])
    comments = call.store.window("comments", {"ticket_id": record["id"]}, 0, 10_000)
    detail = _ticket(call, record) | {
        "description": record.get("description", ""),
        "comments": [_comment(call, comment) for comment in comments],
        "tags": record.get("tags", []),
    }
    return Reply(200, {"ticket": detail})


def update_ticket(call: Call) -> Reply:
    """``PUT /api/v1/tickets/{id}``: changes the fields given, and only those."""
    ticket_id = call.params.path["id"]
    _ticket_or_404(call, ticket_id)
    changes = {key: call.body[key] for key in _TICKET_CHANGES if key in call.body}
    if "assignee_id" in changes:
        _check_assignee(call, changes["assignee_id"])
    record = call.store.update("tickets", ticket_id, changes | {"updated_at": iso(call.now)})
    assert record is not None
    call.on_write("update", "tickets")
    return Reply(200, {"ticket": _ticket(call, record)})


def list_ticket_comments(call: Call) -> Reply:
    """``GET /api/v1/tickets/{ticket_id}/comments``, oldest first."""
    ticket = _ticket_or_404(call, call.params.path["ticket_id"])
    comments = call.store.window("comments", {"ticket_id": ticket["id"]}, 0, 10_000)
    return Reply(200, {"comments": [_comment(call, comment) for comment in comments]})


def create_ticket_comment(call: Call) -> Reply:
    """``POST /api/v1/tickets/{ticket_id}/comments``: also touches the ticket's ``updated_at``."""
    ticket = _ticket_or_404(call, call.params.path["ticket_id"])
    now = iso(call.now)
    record = call.store.insert(
        "comments",
        {
            "ticket_id": ticket["id"],
            "body": call.body["body"],
            "is_public": call.body.get("is_public", True),
            "author_id": API_USER_ID,
            "created_at": now,
        },
    )
    call.store.update("tickets", ticket["id"], {"updated_at": now})
    call.on_write("create", "comments")
    return Reply(201, {"comment": _comment(call, record)})


def _device(call: Call, record: Record) -> dict[str, Any]:
    body = {key: record[key] for key in _DEVICE_FIELDS}
    return body if call.real_world is None else real_world.with_nulls("devices", body)


def list_devices(call: Call) -> Reply:
    """``GET /api/v1/devices``, filtered by ``type``."""
    kind = call.params.query.get("type")
    return _numbered(call, "devices", {} if kind is None else {"type": kind}, "devices", _device)


def get_device(call: Call) -> Reply:
    """``GET /api/v1/devices/{id}``: hardware, software and warranty."""
    record = call.store.get("devices", call.params.path["id"])
    if record is None:
        raise ApiProblem(404, "Device not found", [f"no device with id {call.params.path['id']}"])
    body = {key: record[key] for key in _DEVICE_DETAIL_FIELDS}
    return Reply(200, {"device": body if call.real_world is None else real_world.with_nulls("devices", body)})


def _user(call: Call, record: Record) -> dict[str, Any]:
    body = {key: record[key] for key in _USER_FIELDS}
    return body if call.real_world is None else real_world.with_nulls("users", body)


def list_users(call: Call) -> Reply:
    """``GET /api/v1/users``, filtered by ``role``; 25 a page (the spec has no ``per_page`` here)."""
    role = call.params.query.get("role")
    return _numbered(call, "users", {} if role is None else {"role": role}, "users", _user)


def get_user(call: Call) -> Reply:
    """``GET /api/v1/users/{id}``."""
    record = call.user(call.params.path["id"])
    if record is None:
        raise ApiProblem(404, "User not found", [f"no user with id {call.params.path['id']}"])
    return Reply(200, {"user": _user(call, record)})


#: Every operation of the Spiceworks spec, by operationId.
HANDLERS: Mapping[str, Handler] = {
    "listTickets": list_tickets,
    "createTicket": create_ticket,
    "getTicket": get_ticket,
    "updateTicket": update_ticket,
    "listTicketComments": list_ticket_comments,
    "createTicketComment": create_ticket_comment,
    "listDevices": list_devices,
    "getDevice": get_device,
    "listUsers": list_users,
    "getUser": get_user,
}
