"""Pins the public API's types. Checked by mypy --strict (nox -s typecheck); never run."""

from __future__ import annotations

from typing import assert_type

from itsm_async import (
    ApiError,
    KloudlessClient,
    Paginator,
    RateLimitError,
    RetryPolicy,
    SpiceworksClient,
)
from kloudless_itsm_client.models import Incident, IncidentCreate, IncidentList, Priority
from kloudless_itsm_client.types import Response as KloudlessResponse
from kloudless_itsm_client.types import Unset
from spiceworks_client.models import (
    CommentCreate,
    CreateTicketCommentResponse201,
    GetTicketResponse200,
    ListTicketsResponse200,
    ListTicketsStatus,
    Ticket,
)
from spiceworks_client.types import Response as SpiceworksResponse


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
        assert_type(incidents.next_page, int | None | str | Unset)


def error_types(error: ApiError) -> None:
    assert_type(error.status_code, int)
    assert_type(error.request_id, str | None)
    if isinstance(error, RateLimitError):
        assert_type(error.retry_after, float | None)
