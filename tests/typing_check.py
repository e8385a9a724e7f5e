"""Pins the public API's types. Checked by mypy --strict (nox -s typecheck); never run."""

from __future__ import annotations

import datetime
from typing import Any, assert_type

from itsm_async import (
    ApiError,
    KloudlessClient,
    Paginator,
    RateLimitError,
    RetryPolicy,
    SpiceworksClient,
)
from kloudless_itsm_client.models import (
    GenericObject,
    GenericObjectList,
    Impact,
    Incident,
    IncidentCreate,
    IncidentList,
    Priority,
    ProblemList,
    Raw,
)
from kloudless_itsm_client.types import Response as KloudlessResponse
from kloudless_itsm_client.types import Unset
from spiceworks_client.models import (
    CommentCreate,
    CreateTicketCommentResponse201,
    CreateTicketResponse201,
    DeviceType,
    GetTicketResponse200,
    ListTicketsResponse200,
    ListTicketsStatus,
    PaginationMeta,
    Ticket,
    TicketCreate,
    TicketDetail,
    TicketStatus,
)
from spiceworks_client.types import Response as SpiceworksResponse
from spiceworks_client.types import Unset as SpiceworksUnset


async def spiceworks_types(sw: SpiceworksClient) -> None:
    assert_type(await sw.tickets.get_ticket(42), GetTicketResponse200)
    assert_type(
        await sw.comments.create_ticket_comment(42, body=CommentCreate(body="hi")), CreateTicketCommentResponse201
    )
    assert_type(await sw.tickets.list_tickets(status=ListTicketsStatus.OPEN, per_page=100), ListTicketsResponse200)
    raw = await sw.tickets.get_ticket_raw(42)
    assert_type(raw, SpiceworksResponse[GetTicketResponse200])
    assert_type(raw.status_code, int)
    tickets = sw.paginate(sw.tickets.list_tickets, status=ListTicketsStatus.OPEN, per_page=100)
    assert_type(tickets, Paginator[ListTicketsResponse200, Ticket])
    async for ticket in tickets:
        assert_type(ticket, Ticket)
    async for page in tickets.pages():
        assert_type(page, ListTicketsResponse200)
    assert_type(sw.with_options(retry=RetryPolicy.never()), SpiceworksClient)
    assert_type(sw.retries, int)


async def kloudless_types(kl: KloudlessClient) -> None:
    assert_type(await kl.incidents.list_incidents(page_size=50), IncidentList)
    created = await kl.incidents.create_incident(body=IncidentCreate(priority=Priority.HIGH))
    assert_type(created, Incident)
    assert_type(await kl.incidents.delete_incident("id"), None)
    assert_type(await kl.incidents.delete_incident_raw("id"), KloudlessResponse[None])
    async for incident in kl.paginate(kl.incidents.list_incidents, page_size=100, max_items=10):
        assert_type(incident, Incident)
    async for incidents in kl.paginate(kl.incidents.list_incidents).pages():
        assert_type(incidents, IncidentList)
        assert_type(incidents.next_page, int | None | str)


async def quickstart_fields_are_present(sw: SpiceworksClient, kl: KloudlessClient) -> None:
    """What the README reads is typed as present: no ``Unset`` to rule out first."""
    ticket = await sw.tickets.get_ticket(42)
    assert_type(ticket.ticket, TicketDetail)
    assert_type(ticket.ticket.summary, str)
    assert_type(ticket.ticket.status, TicketStatus)
    async for open_ticket in sw.paginate(sw.tickets.list_tickets, status="open", per_page=100):
        assert_type(open_ticket.id, int)
        assert_type(open_ticket.summary, str)
        assert_type(open_ticket.created_at, datetime.datetime)
    async for tickets in sw.paginate(sw.tickets.list_tickets).pages():
        assert_type(tickets.tickets, list[Ticket])
        assert_type(tickets.meta, PaginationMeta)
        assert_type(tickets.meta.total_pages, int)
    async for device in sw.paginate(sw.devices.list_devices, per_page=100):
        assert_type(device.name, str)
        assert_type(device.type_, DeviceType)
    mail = await kl.incidents.create_incident(body={"description": "Mail is down", "impact": "high"})
    assert_type(mail.id, str)
    assert_type(mail.created, datetime.datetime)
    page = await kl.incidents.list_incidents(page_size=50)
    assert_type(page.objects, list[Incident])
    assert_type(page.count, int)
    assert_type(page.total, int | Unset)  # "where the service reports it"
    async for user in kl.paginate(kl.objects.list_objects, raw_type="sys_user", page_size=200):
        assert_type(user, GenericObject)
        assert_type(user.id, str)
        assert_type(user.raw, Raw)
    async for problems in kl.paginate(kl.problems.list_problems, page_size=500).pages():
        assert_type(problems, ProblemList)
        assert_type(problems.count, int)
    objects = await kl.objects.list_objects(raw_type="sys_user")
    assert_type(objects, GenericObjectList)


async def plain_arguments_type_check(sw: SpiceworksClient, kl: KloudlessClient, mapping: dict[str, Any]) -> None:
    """Enum parameters and fields take their plain strings, bodies a mapping, date fields ISO strings."""
    await sw.tickets.list_tickets(status="open")
    await sw.tickets.list_tickets(status=ListTicketsStatus.OPEN)
    await sw.devices.list_devices(type_="server")
    created = await sw.tickets.create_ticket(body={"summary": "x"})
    assert_type(created, CreateTicketResponse201)
    await sw.tickets.create_ticket(body=mapping)
    await sw.comments.create_ticket_comment(42, body={"body": "On it"})
    await kl.incidents.update_incident("inc-1", body={"priority": "low"})
    assert_type(IncidentCreate(priority="high", impact=Impact.LOW, due_date="2030-01-01T00:00:00Z"), IncidentCreate)
    assert_type(
        TicketCreate(summary="x", priority="urgent", due_date="2030-01-02").due_date, datetime.date | SpiceworksUnset
    )
    assert_type(IncidentCreate(priority="high").priority, Priority | Unset)
    await sw.tickets.list_tickets(status="opened")  # type: ignore[arg-type]
    IncidentCreate(priority="hi")  # type: ignore[arg-type]
    await sw.tickets.create_ticket(body="x")  # type: ignore[arg-type]


def error_types(error: ApiError) -> None:
    assert_type(error.status_code, int)
    assert_type(error.request_id, str | None)
    if isinstance(error, RateLimitError):
        assert_type(error.retry_after, float | None)
