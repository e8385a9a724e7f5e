"""Pins paginate's types: parameters typed from the operation. Checked by mypy --strict; never run.

Each line marked ``# type: ignore[...]`` is one mypy must reject: under
``--strict`` an ignore that is not needed is itself an error
(``warn_unused_ignores``), so the file passes only while every mistake below
is still caught. ``tests/test_paging.py`` runs mypy over this file.
"""

from __future__ import annotations

from typing import assert_type

from itsm_async import KloudlessClient, Paginator, SpiceworksClient
from kloudless_itsm_client.models import Incident, IncidentList
from spiceworks_client.models import ListTicketsResponse200, Ticket
from spiceworks_client.models.list_tickets_status import ListTicketsStatus


async def typed_from_the_operation(sw: SpiceworksClient, kl: KloudlessClient) -> None:
    tickets = sw.paginate(sw.tickets.list_tickets, status="open", max_items=10, concurrency=4)
    assert_type(tickets, Paginator[ListTicketsResponse200, Ticket])
    async with sw.paginate(sw.tickets.list_tickets, status=ListTicketsStatus.OPEN, per_page=100) as items:
        async for ticket in items:
            assert_type(ticket, Ticket)
    async with kl.paginate(kl.incidents.list_incidents, page_size=100).pages() as pages:
        async for page in pages:
            assert_type(page, IncidentList)
    incidents = kl.with_options(timeout=5).paginate(kl.incidents.list_incidents, max_items=3)
    assert_type(incidents, Paginator[IncidentList, Incident])


def mistakes_are_type_errors(sw: SpiceworksClient, kl: KloudlessClient) -> None:
    sw.paginate(sw.tickets.list_tickets, statuz="open")  # type: ignore[call-arg]
    sw.paginate(sw.tickets.list_tickets, status="opne")  # type: ignore[arg-type]
    sw.paginate(sw.tickets.list_tickets, per_page="100")  # type: ignore[arg-type]
    sw.paginate(sw.users.list_users, per_page=100)  # type: ignore[call-arg]
    sw.paginate(sw.tickets.list_tickets, max_items="10")  # type: ignore[arg-type]
    sw.paginate(sw.tickets.list_tickets, concurrency=None)  # type: ignore[arg-type]
    kl.paginate(kl.incidents.list_incidents, page_size="50")  # type: ignore[arg-type]
    kl.paginate(kl.objects.list_objects)  # type: ignore[call-arg]
    sw.paginate(sw.tickets.get_ticket)  # type: ignore[arg-type, call-arg]
