"""The two clients: defaults, lifecycle, options and the send path (``_client.py``)."""

from __future__ import annotations

import datetime
import enum
import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

import itsm_async
from itsm_async import (
    ApiConnectionError,
    ClientClosedError,
    CredentialError,
    InvalidArgumentError,
    KloudlessClient,
    RequestBuildError,
    RetryPolicy,
    ServerError,
    SpiceworksClient,
)
from kloudless_itsm_client.models import Incident, IncidentCreate, Priority
from spiceworks_client.models import TicketCreate, TicketCreatePriority, TicketStatus, TicketUpdate, TicketUpdateStatus
from spiceworks_client.types import Operation
from tests import bodies

ROOT = Path(__file__).resolve().parent.parent
SPICEWORKS_URL = "https://sw.test"
KLOUDLESS_URL = "https://kl.test/v1"
TOKEN = "sw-secret-token"
API_KEY = "kl-secret-api-key"


TICKET = {"ticket": bodies.ticket()}


class Recorder:
    """A fake server answering ``status``/``body`` to everything; records requests and closing."""

    def __init__(self, body: Any = None, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.body = TICKET if body is None else body
        self.status = status
        self.headers = headers
        self.requests: list[httpx.Request] = []
        self.closed = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.status == 204:
            return httpx.Response(204)
        return httpx.Response(self.status, json=self.body, headers=self.headers)

    @property
    def transport(self) -> httpx.AsyncBaseTransport:
        recorder = self

        class Transport(httpx.MockTransport):
            async def aclose(self) -> None:
                recorder.closed += 1

        return Transport(self)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def spec_server(name: str) -> str:
    text = (ROOT / "specs" / name).read_text()
    match = re.search(r"^servers:\s*\n\s*-\s*url:\s*(\S+)", text, re.MULTILINE)
    assert match is not None
    return match.group(1)


# --- defaults ---------------------------------------------------------------------------


async def test_spiceworks_defaults() -> None:
    server = Recorder()
    async with SpiceworksClient(token=TOKEN, transport=server.transport) as client:
        await client.tickets.get_ticket(42)
    request = server.last
    assert str(request.url) == f"{spec_server('spiceworks-cloud-apps.yaml')}/api/v1/tickets/42"
    assert str(request.url) == "https://community.spiceworks.com/api/v1/tickets/42"
    assert request.headers["User-Agent"] == f"itsm-async/{itsm_async.__version__}"
    assert re.fullmatch(r"itsm-async/\d+\.\d+\.\d+\S*", request.headers["User-Agent"])
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.extensions["timeout"] == {"connect": 5.0, "read": 30.0, "write": 30.0, "pool": 30.0}


async def test_kloudless_defaults() -> None:
    server = Recorder(body=bodies.kloudless_object("incident"))
    async with KloudlessClient(account_id="123", api_key=API_KEY, transport=server.transport) as client:
        await client.incidents.get_incident("inc-1")
    request = server.last
    assert str(request.url) == f"{spec_server('kloudless-itsm.yaml')}/accounts/123/itsm/incidents/inc-1"
    assert str(request.url) == "https://api.kloudless.com/v1/accounts/123/itsm/incidents/inc-1"
    assert request.headers["User-Agent"] == f"itsm-async/{itsm_async.__version__}"
    assert request.extensions["timeout"] == {"connect": 5.0, "read": 30.0, "write": 30.0, "pool": 30.0}


async def test_timeout_and_headers_options() -> None:
    server = Recorder()
    async with SpiceworksClient(
        token=TOKEN,
        base_url=SPICEWORKS_URL,
        timeout=10,
        headers={"X-Trace": "abc", "User-Agent": "my-app/1.0"},
        transport=server.transport,
    ) as client:
        await client.tickets.get_ticket(42)
    assert server.last.extensions["timeout"] == {"connect": 10.0, "read": 10.0, "write": 10.0, "pool": 10.0}
    assert server.last.headers["X-Trace"] == "abc"
    assert server.last.headers["User-Agent"] == "my-app/1.0"


# --- lifecycle --------------------------------------------------------------------------


async def test_context_manager_closes_the_pool() -> None:
    server = Recorder()
    async with SpiceworksClient(token=TOKEN, base_url=SPICEWORKS_URL, transport=server.transport) as client:
        await client.tickets.get_ticket(42)
        assert server.closed == 0
    assert server.closed == 1
    with pytest.raises(ClientClosedError, match=r"^get_ticket: the client is closed") as caught:
        await client.tickets.get_ticket(42)
    assert caught.value.__cause__ is None
    assert len(server.requests) == 1


async def test_a_cookie_the_server_sets_is_not_sent_back() -> None:
    # An API client authenticates with its credential; a server's session
    # cookie is not kept, so no call depends on what an earlier one was told.
    seen: list[str | None] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Cookie"))
        return httpx.Response(200, json={"ticket": bodies.ticket(42)}, headers={"Set-Cookie": "session=abc; Path=/"})

    async with SpiceworksClient(token=TOKEN, base_url=SPICEWORKS_URL, transport=httpx.MockTransport(server)) as client:
        await client.tickets.get_ticket(42)
        await client.tickets.get_ticket(42)
    assert seen == [None, None]


async def test_the_default_headers_go_with_every_call() -> None:
    seen: list[httpx.Headers] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(200, json={"ticket": bodies.ticket(42)})

    async with SpiceworksClient(
        token=TOKEN, base_url=SPICEWORKS_URL, transport=httpx.MockTransport(server), headers={"X-Team": "ops"}
    ) as client:
        await client.tickets.get_ticket(42)
        await client.with_options(headers={"X-Team": "desk", "X-Trace": "1"}).tickets.get_ticket(42)
    plain, overridden = seen
    assert plain["User-Agent"] == f"itsm-async/{itsm_async.__version__}"
    assert plain["Authorization"] == f"Bearer {TOKEN}"
    assert plain["Host"] == "sw.test"
    assert "gzip" in plain["Accept-Encoding"]
    assert plain["X-Team"] == "ops"
    assert "X-Trace" not in plain
    assert overridden.get_list("X-Team") == ["desk"]
    assert overridden["X-Trace"] == "1"
    assert overridden["Authorization"] == f"Bearer {TOKEN}"


async def test_aclose_closes_the_pool() -> None:
    server = Recorder()
    client = KloudlessClient(account_id="1", token=TOKEN, base_url=KLOUDLESS_URL, transport=server.transport)
    await client.aclose()
    assert server.closed == 1


async def test_context_manager_closes_on_error() -> None:
    server = Recorder(status=500, body={"error": "x"})
    with pytest.raises(ServerError):
        async with SpiceworksClient(
            token=TOKEN, base_url=SPICEWORKS_URL, retry=RetryPolicy.never(), transport=server.transport
        ) as client:
            await client.tickets.get_ticket(42)
    assert server.closed == 1


async def test_custom_transport_is_used_with_retries() -> None:
    outcomes = [503, 200]
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(outcomes.pop(0), json=TICKET)

    async with SpiceworksClient(token=TOKEN, base_url=SPICEWORKS_URL, transport=httpx.MockTransport(handler)) as c:
        ticket = await c.tickets.get_ticket(42)
    assert ticket.to_dict() == TICKET
    assert seen == ["https://sw.test/api/v1/tickets/42"] * 2


# --- Kloudless credentials and account ---------------------------------------------------


def test_kloudless_requires_exactly_one_credential() -> None:
    with pytest.raises(InvalidArgumentError, match="exactly one of token= and api_key=, got neither"):
        KloudlessClient(account_id="123")
    with pytest.raises(InvalidArgumentError, match="exactly one of token= and api_key=, got both"):
        KloudlessClient(account_id="123", token=TOKEN, api_key=API_KEY)


def test_kloudless_requires_an_account_id() -> None:
    with pytest.raises(InvalidArgumentError, match="account_id"):
        KloudlessClient(account_id="", token=TOKEN)


async def test_kloudless_account_id_is_bound_and_quoted() -> None:
    server = Recorder(body=bodies.kloudless_object("incident"))
    async with KloudlessClient(account_id=456, token=TOKEN, base_url=KLOUDLESS_URL, transport=server.transport) as c:
        assert c.account_id == "456"
        assert c.bound_parameters == {"account_id": "456"}
        await c.incidents.get_incident("inc/1")
    assert server.last.url.raw_path == b"/v1/accounts/456/itsm/incidents/inc%2F1"


# --- with_options -------------------------------------------------------------------------


async def test_with_options_shares_the_pool() -> None:
    server = Recorder()
    client = SpiceworksClient(token=TOKEN, base_url=SPICEWORKS_URL, transport=server.transport)
    view = client.with_options(retry=RetryPolicy.never(), timeout=2)
    assert type(view) is SpiceworksClient
    assert view is not client
    await view.tickets.get_ticket(1)
    await client.tickets.get_ticket(2)
    assert [request.url.path for request in server.requests] == ["/api/v1/tickets/1", "/api/v1/tickets/2"]
    assert server.requests[0].headers["Authorization"] == server.requests[1].headers["Authorization"]
    # Closing the view closes the one pool both use.
    await view.aclose()
    assert server.closed == 1
    with pytest.raises(ClientClosedError, match="get_ticket"):
        await client.tickets.get_ticket(3)
    assert len(server.requests) == 2


async def test_with_options_timeout_applies_to_the_view_only() -> None:
    server = Recorder()
    async with SpiceworksClient(token=TOKEN, base_url=SPICEWORKS_URL, transport=server.transport) as client:
        await client.with_options(timeout=2).tickets.get_ticket(1)
        await client.with_options(timeout=httpx.Timeout(3, connect=1)).tickets.get_ticket(1)
        await client.tickets.get_ticket(1)
    assert [request.extensions["timeout"] for request in server.requests] == [
        {"connect": 2.0, "read": 2.0, "write": 2.0, "pool": 2.0},
        {"connect": 1.0, "read": 3.0, "write": 3.0, "pool": 3.0},
        {"connect": 5.0, "read": 30.0, "write": 30.0, "pool": 30.0},
    ]


async def test_with_options_keeps_the_kloudless_account() -> None:
    server = Recorder(body=bodies.kloudless_object("incident"))
    async with KloudlessClient(account_id="9", token=TOKEN, base_url=KLOUDLESS_URL, transport=server.transport) as c:
        view = c.with_options(retry=RetryPolicy.never())
        assert view.account_id == "9"
        await view.incidents.get_incident("inc-1")
    assert server.last.url.path == "/v1/accounts/9/itsm/incidents/inc-1"


# --- the send path: what is sent and what comes back ------------------------------------


async def test_get_ticket_parses_the_response() -> None:
    body = {"ticket": bodies.ticket(due_date="2024-05-03", created_at="2024-05-01T10:00:00+00:00")}
    server = Recorder(body=body)
    async with SpiceworksClient(token=TOKEN, base_url=SPICEWORKS_URL, transport=server.transport) as client:
        result = await client.tickets.get_ticket(42)
    ticket = result.ticket
    assert ticket
    assert ticket.id == 42
    assert ticket.status is TicketStatus.OPEN
    assert ticket.created_at == datetime.datetime(2024, 5, 1, 10, tzinfo=datetime.UTC)
    assert ticket.due_date == datetime.date(2024, 5, 3)
    assert (server.last.method, server.last.url.path, server.last.content) == ("GET", "/api/v1/tickets/42", b"")


async def test_create_ticket_sends_json() -> None:
    server = Recorder(body={"ticket": bodies.ticket(id=7, summary="New")}, status=201)
    async with SpiceworksClient(token=TOKEN, base_url=SPICEWORKS_URL, transport=server.transport) as client:
        body = TicketCreate(summary="New", priority=TicketCreatePriority.HIGH, due_date=datetime.date(2024, 6, 1))
        created = await client.tickets.create_ticket(body=body)
    assert created.ticket
    assert created.ticket.id == 7
    request = server.last
    assert (request.method, request.url.path) == ("POST", "/api/v1/tickets")
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"summary": "New", "priority": "high", "due_date": "2024-06-01"}


async def test_update_ticket_sends_put() -> None:
    server = Recorder()
    async with SpiceworksClient(token=TOKEN, base_url=SPICEWORKS_URL, transport=server.transport) as client:
        await client.tickets.update_ticket(42, body=TicketUpdate(status=TicketUpdateStatus.CLOSED))
    assert (server.last.method, server.last.url.path) == ("PUT", "/api/v1/tickets/42")
    assert json.loads(server.last.content) == {"status": "closed"}


async def test_kloudless_create_and_raw_header() -> None:
    created = bodies.kloudless_object("incident", id="inc-9", priority="high")
    server = Recorder(body=created, status=201, headers={"X-Request-Id": "r-1"})
    async with KloudlessClient(account_id="123", token=TOKEN, base_url=KLOUDLESS_URL, transport=server.transport) as c:
        response = await c.incidents.create_incident_raw(
            body=IncidentCreate(description="Down", priority=Priority.HIGH), x_kloudless_raw_data=True
        )
    assert response.status_code == 201
    assert response.headers["x-request-id"] == "r-1"
    assert isinstance(response.parsed, Incident)
    assert response.parsed.id == "inc-9"
    assert json.loads(response.content) == created
    request = server.last
    assert (request.method, request.url.path) == ("POST", "/v1/accounts/123/itsm/incidents")
    assert request.headers["X-Kloudless-Raw-Data"] == "true"
    assert json.loads(request.content) == {"description": "Down", "priority": "high"}


async def test_kloudless_delete_returns_none_on_204() -> None:
    server = Recorder(status=204)
    async with KloudlessClient(account_id="123", token=TOKEN, base_url=KLOUDLESS_URL, transport=server.transport) as c:
        response = await c.incidents.delete_incident_raw("inc-1")
    assert response.status_code == 204
    assert response.parsed is None
    assert (server.last.method, server.last.url.path) == ("DELETE", "/v1/accounts/123/itsm/incidents/inc-1")


# --- forward compatibility: unknown enum values and fields ---------------------------------


async def test_unknown_enum_value_parses() -> None:
    body = {"ticket": bodies.ticket(status="pending", priority="urgent")}
    async with SpiceworksClient(
        token=TOKEN, base_url=SPICEWORKS_URL, transport=Recorder(body=body).transport, strict=False
    ) as client:
        result = await client.tickets.get_ticket(42)
    ticket = result.ticket
    assert ticket
    assert isinstance(ticket.status, TicketStatus)
    assert str(ticket.status) == "pending"
    assert ticket.status == "pending"
    assert ticket.status.value == "pending"
    assert ticket.status not in (TicketStatus.OPEN, TicketStatus.CLOSED, TicketStatus.IN_PROGRESS)
    assert str(ticket.priority) == "urgent"
    # And it goes back out unchanged.
    assert result.to_dict() == body


async def test_unknown_kloudless_enum_value_parses() -> None:
    server = Recorder(body=bodies.kloudless_object("incident", priority="p0", status=7))
    async with KloudlessClient(
        account_id="1", token=TOKEN, base_url=KLOUDLESS_URL, transport=server.transport, strict=False
    ) as c:
        incident = await c.incidents.get_incident("inc-1")
    assert isinstance(incident.priority, Priority)
    assert str(incident.priority) == "p0"
    assert incident.status == 7  # an integer field, not an enum, in this spec


def _generated_enums() -> list[type[enum.Enum]]:
    found: list[type[enum.Enum]] = []
    for package in ("spiceworks_client.models", "kloudless_itsm_client.models"):
        root = importlib.import_module(package)
        for info in pkgutil.iter_modules(root.__path__):
            module = importlib.import_module(f"{package}.{info.name}")
            found += [
                value
                for value in vars(module).values()
                if inspect.isclass(value) and issubclass(value, enum.Enum) and value.__module__ == module.__name__
            ]
    return found


GENERATED_ENUMS = _generated_enums()


def test_generated_enums_were_found() -> None:
    assert TicketStatus in GENERATED_ENUMS
    assert Priority in GENERATED_ENUMS


@pytest.mark.parametrize("cls", GENERATED_ENUMS, ids=lambda cls: f"{cls.__module__.split('.')[0]}.{cls.__name__}")
def test_every_generated_enum_accepts_unknown_values(cls: type[enum.Enum]) -> None:
    # The specs have only string enums today; an integer enum must behave the same.
    unknown: object = 987654 if issubclass(cls, int) else "zz-unknown"
    member = cls(unknown)
    assert isinstance(member, cls)
    assert member.value == unknown
    assert str(member) == str(unknown)
    known = next(iter(cls))
    assert cls(known.value) is known


async def test_unknown_fields_land_in_additional_properties() -> None:
    body = {"ticket": bodies.ticket(sla={"hours": 4}, custom_field="x"), "served_by": "eu-1"}
    async with SpiceworksClient(
        token=TOKEN, base_url=SPICEWORKS_URL, transport=Recorder(body=body).transport
    ) as client:
        result = await client.tickets.get_ticket(42)
    assert result.additional_properties == {"served_by": "eu-1"}
    assert result.ticket
    assert result.ticket.additional_properties == {"sla": {"hours": 4}, "custom_field": "x"}
    assert result.ticket["custom_field"] == "x"
    assert result.to_dict() == body


# --- nothing untyped escapes a call -------------------------------------------------------


async def test_a_view_of_a_closed_client_is_closed() -> None:
    server = Recorder()
    client = SpiceworksClient(token=TOKEN, base_url=SPICEWORKS_URL, transport=server.transport)
    view = client.with_options(timeout=2)
    await client.aclose()
    with pytest.raises(ClientClosedError, match=r"^get_ticket: the client is closed"):
        await view.tickets.get_ticket(1)
    with pytest.raises(ClientClosedError, match=r"^list_tickets: "):
        await client.paginate(client.tickets.list_tickets).__anext__()
    assert server.requests == []


async def test_a_client_closed_during_a_call_raises_client_closed() -> None:
    client: SpiceworksClient

    async def handler(request: httpx.Request) -> httpx.Response:
        await client.aclose()
        # httpx refuses to start a second attempt on a closed client.
        return httpx.Response(503)

    client = SpiceworksClient(token=TOKEN, base_url=SPICEWORKS_URL, transport=httpx.MockTransport(handler))
    with pytest.raises((ClientClosedError, ServerError)):
        await client.tickets.get_ticket(1)
    with pytest.raises(ClientClosedError):
        await client.tickets.get_ticket(1)


async def test_an_unbuildable_body_is_a_request_build_error() -> None:
    server = Recorder()
    body = TicketCreate(summary="x")
    body["weight"] = float("nan")  # JSON has no NaN (RFC 8259 section 6)
    async with SpiceworksClient(token=TOKEN, base_url=SPICEWORKS_URL, transport=server.transport) as client:
        with pytest.raises(RequestBuildError) as caught:
            await client.tickets.create_ticket(body=body)
    assert str(caught.value).startswith("create_ticket: the request could not be built: ValueError: ")
    assert isinstance(caught.value.__cause__, ValueError)
    assert server.requests == []


async def test_an_unencodable_header_is_a_request_build_error() -> None:
    server = Recorder()
    async with SpiceworksClient(token=TOKEN, base_url=SPICEWORKS_URL, transport=server.transport) as client:
        with pytest.raises(RequestBuildError, match=r"^some_operation: .*UnicodeEncodeError") as caught:
            await client.invoke(
                Operation(name="some_operation", operation_id="someOperation", method="GET", route="/x", group="g"),
                lambda: {"method": "GET", "url": "/x", "headers": {"X-Name": "Zoë"}},
                str,
                str,
            )
    assert isinstance(caught.value.__cause__, UnicodeEncodeError)
    assert server.requests == []


async def test_an_itsm_error_from_the_send_path_passes_unchanged() -> None:
    raised = CredentialError("the token provider failed")

    def handler(request: httpx.Request) -> httpx.Response:
        raise raised

    async with SpiceworksClient(
        token=TOKEN, base_url=SPICEWORKS_URL, retry=RetryPolicy.never(), transport=httpx.MockTransport(handler)
    ) as client:
        with pytest.raises(CredentialError) as caught:
            await client.tickets.get_ticket(1)
    assert caught.value is raised


async def test_a_failing_token_provider_is_a_credential_error() -> None:
    server = Recorder()
    failure = OSError("vault unreachable")

    async def provider() -> str:
        raise failure

    async with SpiceworksClient(token=provider, base_url=SPICEWORKS_URL, transport=server.transport) as client:
        with pytest.raises(CredentialError) as caught:
            await client.tickets.get_ticket(1)
    assert type(caught.value) is CredentialError
    assert caught.value.__cause__ is failure
    assert server.requests == []


@pytest.mark.parametrize("exc", [ValueError("bad state"), KeyError("slot"), RuntimeError("transport broke")])
async def test_any_other_transport_exception_is_a_connection_error(exc: Exception) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    async with SpiceworksClient(
        token=TOKEN, base_url=SPICEWORKS_URL, retry=RetryPolicy.never(), transport=httpx.MockTransport(handler)
    ) as client:
        with pytest.raises(ApiConnectionError) as caught:
            await client.tickets.get_ticket(1)
    assert type(caught.value) is ApiConnectionError
    assert caught.value.__cause__ is exc
    assert (
        str(caught.value) == f"GET {SPICEWORKS_URL}/api/v1/tickets/1: the transport raised {type(exc).__name__}: {exc}"
    )


async def test_a_transport_exception_naming_the_token_is_redacted() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise ValueError(f"cannot send {request.headers['Authorization']}")

    async with SpiceworksClient(
        token=TOKEN, base_url=SPICEWORKS_URL, retry=RetryPolicy.never(), transport=httpx.MockTransport(handler)
    ) as client:
        with pytest.raises(ApiConnectionError) as caught:
            await client.tickets.get_ticket(1)
    assert TOKEN not in str(caught.value)
