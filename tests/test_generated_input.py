"""Arguments of the generated operations and models: accepted as the API docs write them, checked before sending.

Every call goes through the public clients over a transport that records
what was sent. A plain string or mapping must send exactly the request its
enum or model form sends; a refused argument raises ``ArgumentError`` (a
``TypeError`` and a ``ValueError``) naming the operation and the parameter,
and nothing is sent. Bounds and enum values are read from the specs, so a
parameter added there is covered here without an edit.
"""

from __future__ import annotations

import builtins
import copy
import datetime
import keyword
import pickle
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator.readers import read_from_filename

import kloudless_itsm_client.types
import spiceworks_client.types
from itsm_async import KloudlessClient, SpiceworksClient
from kloudless_itsm_client.models import GenericObjectList, Impact, IncidentCreate, ObjectCreate, Priority, Urgency
from spiceworks_client.models import (
    CommentCreate,
    ListDevicesType,
    ListTicketsStatus,
    ListUsersRole,
    Ticket,
    TicketCreate,
    TicketCreatePriority,
    TicketStatus,
    TicketUpdate,
    TicketUpdateStatus,
)
from spiceworks_client.types import UNSET, ArgumentError, MissingFieldError

SPECS_DIR = Path(__file__).parents[1] / "specs"
SPECS: dict[str, Mapping[str, Any]] = {
    "spiceworks": read_from_filename(str(SPECS_DIR / "spiceworks-cloud-apps.yaml"))[0],
    "kloudless": read_from_filename(str(SPECS_DIR / "kloudless-itsm.yaml"))[0],
}
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}
WHEN = "2030-01-01T09:00:00+00:00"
TICKET = {
    "id": 42,
    "summary": "Printer on fire",
    "status": "open",
    "priority": "high",
    "created_at": WHEN,
    "updated_at": WHEN,
}
INCIDENT = {
    "id": "inc-1",
    "created": WHEN,
    "modified": WHEN,
    "type": "incident",
    "api": "itsm",
    "href": "https://kl.test/v1/accounts/123/itsm/incidents/inc-1",
}
OBJECT = {"id": "obj-1", "type": "object", "api": "itsm", "raw": {"name": "x"}, "href": "https://kl.test/o/obj-1"}
META = {"current_page": 1, "total_pages": 1, "total_count": 0, "per_page": 25}


def _body_for(request: httpx.Request) -> tuple[int, dict[str, Any]]:
    """A complete, spec-conforming answer for any request the tests make."""
    path = request.url.path
    status = 201 if request.method == "POST" else 200
    if "/itsm/" in path:
        collection, *item = path.split("/itsm/")[1].split("/")
        record = OBJECT if collection == "objects" else {**INCIDENT, "type": collection.removesuffix("s")}
        if request.method == "GET" and not item:
            return 200, {
                "objects": [record],
                "count": 1,
                "page": "1",
                "next_page": None,
                "type": "object_list",
                "api": "itsm",
            }
        return status, record
    if path.endswith("/comments"):
        comment = {"id": 1, "body": "On it", "is_public": True, "created_at": WHEN}
        return (201, {"comment": comment}) if request.method == "POST" else (200, {"comments": [comment]})
    for key in ("tickets", "devices", "users"):
        if path.endswith(f"/{key}") and request.method == "GET":
            return 200, {key: [], "meta": META}
    return status, {"ticket": TICKET}


class Recorder:
    """A transport that records every request and answers it with a complete body."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status, body = _body_for(request)
        return httpx.Response(status, json=body)

    def sent(self) -> list[tuple[str, str, bytes, str | None]]:
        """What each request carried: method, URL, body and content type."""
        return [(r.method, str(r.url), r.content, r.headers.get("content-type")) for r in self.requests]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


# These tests are about what is sent; the recorder's answers fit the operations
# it knows, and an operation added to a spec later gets a ticket: read tolerantly.
@pytest.fixture
async def sw(recorder: Recorder) -> AsyncIterator[SpiceworksClient]:
    async with SpiceworksClient(
        token="t", base_url="https://sw.test", transport=recorder.transport, strict=False
    ) as client:
        yield client


@pytest.fixture
async def kl(recorder: Recorder) -> AsyncIterator[KloudlessClient]:
    async with KloudlessClient(
        account_id="123", token="t", base_url="https://kl.test/v1", transport=recorder.transport, strict=False
    ) as client:
        yield client


def untyped(value: object) -> Any:
    """``value``, typed ``Any``: the calls it is used in are wrong on purpose."""
    return value


async def _same_request(
    recorder: Recorder, plain: Callable[[], Awaitable[object]], typed: Callable[[], Awaitable[object]]
) -> None:
    await plain()
    await typed()
    first, second = recorder.sent()
    assert first == second


# --- plain forms send exactly what the typed forms send ------------------------------------


async def test_enum_parameter_as_plain_string(sw: SpiceworksClient, recorder: Recorder) -> None:
    await _same_request(
        recorder,
        lambda: sw.tickets.list_tickets(status="in_progress"),
        lambda: sw.tickets.list_tickets(status=ListTicketsStatus.IN_PROGRESS),
    )
    assert recorder.requests[0].url.params["status"] == "in_progress"


async def test_enum_parameter_from_another_enum_of_the_same_value(sw: SpiceworksClient, recorder: Recorder) -> None:
    # A ticket's TicketStatus, read from a response, filters the list as is.
    await _same_request(
        recorder,
        lambda: sw.tickets.list_tickets(status=untyped(TicketStatus.CLOSED)),
        lambda: sw.tickets.list_tickets(status=ListTicketsStatus.CLOSED),
    )


async def test_enum_parameters_of_every_group(sw: SpiceworksClient, recorder: Recorder) -> None:
    await sw.devices.list_devices(type_="server")
    await sw.devices.list_devices(type_=ListDevicesType.SERVER)
    await sw.users.list_users(role="technician")
    await sw.users.list_users(role=ListUsersRole.TECHNICIAN)
    sent = recorder.sent()
    assert sent[0] == sent[1]
    assert sent[2] == sent[3]


async def test_paginate_takes_plain_strings(sw: SpiceworksClient, recorder: Recorder) -> None:
    assert [ticket async for ticket in sw.paginate(sw.tickets.list_tickets, status="open", per_page=100)] == []
    assert dict(recorder.requests[0].url.params) == {"status": "open", "page": "1", "per_page": "100"}


async def test_body_as_mapping(sw: SpiceworksClient, recorder: Recorder) -> None:
    await _same_request(
        recorder,
        lambda: sw.tickets.create_ticket(
            body={"summary": "Printer on fire", "priority": "urgent", "assignee_id": 7, "due_date": "2030-01-02"}
        ),
        lambda: sw.tickets.create_ticket(
            body=TicketCreate(
                summary="Printer on fire",
                priority=TicketCreatePriority.URGENT,
                assignee_id=7,
                due_date=datetime.date(2030, 1, 2),
            )
        ),
    )
    assert recorder.requests[0].headers["content-type"] == "application/json"


async def test_body_mapping_keeps_unknown_keys_and_sends_no_defaults(sw: SpiceworksClient, recorder: Recorder) -> None:
    await _same_request(
        recorder,
        lambda: sw.comments.create_ticket_comment(42, body={"body": "On it", "channel": "phone"}),
        lambda: sw.comments.create_ticket_comment(
            42, body=CommentCreate.from_dict({"body": "On it", "channel": "phone"})
        ),
    )
    # Like from_dict on a response, a mapping sends what it holds: the server applies the spec's defaults.
    assert recorder.requests[0].content == b'{"channel":"phone","body":"On it"}'


async def test_update_body_as_mapping(sw: SpiceworksClient, recorder: Recorder) -> None:
    await _same_request(
        recorder,
        lambda: sw.tickets.update_ticket(42, body={"status": "closed"}),
        lambda: sw.tickets.update_ticket(42, body=TicketUpdate(status=TicketUpdateStatus.CLOSED)),
    )
    assert recorder.requests[0].content == b'{"status":"closed"}'


async def test_kloudless_body_as_mapping(kl: KloudlessClient, recorder: Recorder) -> None:
    await _same_request(
        recorder,
        lambda: kl.incidents.create_incident(
            body={"description": "Mail is down", "impact": "high", "priority": "critical", "due_date": WHEN}
        ),
        lambda: kl.incidents.create_incident(
            body=IncidentCreate(
                description="Mail is down",
                impact=Impact.HIGH,
                priority=Priority.CRITICAL,
                due_date=datetime.datetime(2030, 1, 1, 9, tzinfo=datetime.UTC),
            )
        ),
    )


async def test_free_form_body_as_mapping(kl: KloudlessClient, recorder: Recorder) -> None:
    await _same_request(
        recorder,
        lambda: kl.objects.create_object(raw_type="sys_user", body={"first_name": "Yu Ming", "active": True}),
        lambda: kl.objects.create_object(
            raw_type="sys_user", body=ObjectCreate.from_dict({"first_name": "Yu Ming", "active": True})
        ),
    )
    assert recorder.requests[0].content == b'{"first_name":"Yu Ming","active":true}'


def test_model_fields_take_plain_values() -> None:
    assert IncidentCreate(priority="high", impact="low", urgency="medium") == IncidentCreate(
        priority=Priority.HIGH, impact=Impact.LOW, urgency=Urgency.MEDIUM
    )
    assert IncidentCreate(due_date="2030-01-01T00:00:00Z").due_date == datetime.datetime(
        2030, 1, 1, tzinfo=datetime.UTC
    )
    assert TicketCreate(summary="x", due_date="2030-01-02").due_date == datetime.date(2030, 1, 2)


def test_model_fields_convert_on_assignment() -> None:
    body = TicketUpdate()
    body.status = untyped("closed")
    assert body.status is TicketUpdateStatus.CLOSED
    with pytest.raises(ArgumentError, match="TicketUpdate: status"):
        body.status = untyped("shut")


# --- refused before anything is sent -------------------------------------------------------

SW = "sw"
KL = "kl"
REFUSED: list[tuple[str, str, Callable[[Any], Awaitable[object]], str, str]] = [
    # (case, client, call, operation, parameter)
    ("enum-typo", SW, lambda c: c.tickets.list_tickets(status="opne"), "list_tickets", "status"),
    ("enum-int", SW, lambda c: c.tickets.list_tickets(status=1), "list_tickets", "status"),
    ("enum-None", SW, lambda c: c.tickets.list_tickets(status=None), "list_tickets", "status"),
    ("enum-other-group", SW, lambda c: c.devices.list_devices(type_="unknown"), "list_devices", "type_"),
    ("per-page-0", SW, lambda c: c.tickets.list_tickets(per_page=0), "list_tickets", "per_page"),
    ("per-page-101", SW, lambda c: c.tickets.list_tickets(per_page=101), "list_tickets", "per_page"),
    ("per-page-True", SW, lambda c: c.tickets.list_tickets(per_page=True), "list_tickets", "per_page"),
    ("per-page-float", SW, lambda c: c.devices.list_devices(per_page=10.0), "list_devices", "per_page"),
    ("page-str", SW, lambda c: c.tickets.list_tickets(page="2"), "list_tickets", "page"),
    ("page-0", SW, lambda c: c.users.list_users(page=0), "list_users", "page"),
    ("assigned-to-str", SW, lambda c: c.tickets.list_tickets(assigned_to="me"), "list_tickets", "assigned_to"),
    ("id-None", SW, lambda c: c.tickets.get_ticket(None), "get_ticket", "id"),
    ("id-float", SW, lambda c: c.tickets.get_ticket(1.5), "get_ticket", "id"),
    ("id-str", SW, lambda c: c.tickets.get_ticket("42"), "get_ticket", "id"),
    ("id-bool", SW, lambda c: c.devices.get_device(True), "get_device", "id"),
    ("body-None", SW, lambda c: c.tickets.create_ticket(body=None), "create_ticket", "body"),
    ("body-str", SW, lambda c: c.tickets.create_ticket(body="x"), "create_ticket", "body"),
    ("body-other-model", SW, lambda c: c.tickets.create_ticket(body=IncidentCreate()), "create_ticket", "body"),
    ("body-empty", SW, lambda c: c.tickets.create_ticket(body={}), "create_ticket", "summary"),
    ("body-UNSET-required", SW, lambda c: c.tickets.create_ticket(body={"summary": UNSET}), "create_ticket", "summary"),
    ("body-field-type", SW, lambda c: c.tickets.create_ticket(body={"summary": 1}), "create_ticket", "summary"),
    ("body-enum", SW, lambda c: c.tickets.update_ticket(1, body={"status": "shut"}), "update_ticket", "status"),
    (
        "body-date",
        SW,
        lambda c: c.tickets.create_ticket(body={"summary": "x", "due_date": "soon"}),
        "create_ticket",
        "due_date",
    ),
    ("body-list", SW, lambda c: c.comments.create_ticket_comment(1, body=["On it"]), "create_ticket_comment", "body"),
    ("page-size-0", KL, lambda c: c.incidents.list_incidents(page_size=0), "list_incidents", "page_size"),
    ("page-size-1001", KL, lambda c: c.assets.list_assets(page_size=1001), "list_assets", "page_size"),
    ("page-token-int", KL, lambda c: c.problems.list_problems(page=2), "list_problems", "page"),
    ("item-id-empty", KL, lambda c: c.incidents.get_incident(""), "get_incident", "incident_id"),
    ("item-id-dotdot", KL, lambda c: c.changes.delete_change(".."), "delete_change", "change_id"),
    ("item-id-int", KL, lambda c: c.articles.get_article(5), "get_article", "article_id"),
    (
        "raw-data-str",
        KL,
        lambda c: c.incidents.get_incident("i", x_kloudless_raw_data="yes"),
        "get_incident",
        "x_kloudless_raw_data",
    ),
    ("raw-type-None", KL, lambda c: c.objects.list_objects(raw_type=None), "list_objects", "raw_type"),
    (
        "kl-body-enum-int",
        KL,
        lambda c: c.incidents.create_incident(body={"priority": 3}),
        "create_incident",
        "priority",
    ),
    (
        "kl-body-naive-datetime",
        KL,
        lambda c: c.incidents.create_incident(body=IncidentCreate(due_date=datetime.datetime(2030, 1, 1))),
        "create_incident",
        "due_date",
    ),
    (
        "kl-body-offsetless-string",
        KL,
        lambda c: c.incidents.create_incident(body={"due_date": "2030-01-01"}),
        "create_incident",
        "due_date",
    ),
]


@pytest.mark.parametrize(
    ("client", "call", "operation", "parameter"), [case[1:] for case in REFUSED], ids=[c[0] for c in REFUSED]
)
async def test_refused_naming_operation_and_parameter(
    sw: SpiceworksClient,
    kl: KloudlessClient,
    recorder: Recorder,
    client: str,
    call: Callable[[Any], Awaitable[object]],
    operation: str,
    parameter: str,
) -> None:
    with pytest.raises(TypeError) as caught:
        await call(sw if client == SW else kl)
    error = caught.value
    assert isinstance(error, ValueError)
    assert isinstance(error, spiceworks_client.types.ArgumentError | kloudless_itsm_client.types.ArgumentError)
    assert error.operation == operation
    assert str(error).startswith(f"{operation}: ")
    assert parameter in str(error)
    assert recorder.requests == []


async def test_bounds_message(sw: SpiceworksClient) -> None:
    with pytest.raises(ArgumentError) as caught:
        await sw.tickets.list_tickets(per_page=0)
    assert str(caught.value) == "list_tickets: per_page must be between 1 and 100, got 0"
    assert (caught.value.operation, caught.value.parameter) == ("list_tickets", "per_page")


async def test_type_messages(sw: SpiceworksClient, kl: KloudlessClient) -> None:
    with pytest.raises(ArgumentError, match=r"^get_ticket: id must be an int, got None$"):
        await sw.tickets.get_ticket(untyped(None))
    with pytest.raises(ArgumentError, match=r"^list_tickets: page must be an int, got str '2'$"):
        await sw.tickets.list_tickets(page=untyped("2"))
    with pytest.raises(
        ArgumentError,
        match=r"^list_tickets: status must be one of 'closed', 'in_progress', 'open' \(or ListTicketsStatus\), got",
    ):
        await sw.tickets.list_tickets(status=untyped("x"))
    with pytest.raises(
        kloudless_itsm_client.types.ArgumentError,
        match=r"^create_incident: body does not fit IncidentCreate: field 'due_date': datetime 2030-01-01T00:00:00 ",
    ):
        await kl.incidents.create_incident(body=IncidentCreate(due_date=datetime.datetime(2030, 1, 1)))


MODEL_REFUSED: list[tuple[str, Callable[[], object], str, str]] = [
    ("enum", lambda: IncidentCreate(priority=untyped("hgh")), "IncidentCreate", "priority"),
    ("enum-int", lambda: IncidentCreate(impact=untyped(2)), "IncidentCreate", "impact"),
    ("datetime-text", lambda: IncidentCreate(due_date="not a date"), "IncidentCreate", "due_date"),
    ("datetime-no-offset", lambda: IncidentCreate(due_date="2030-01-01"), "IncidentCreate", "due_date"),
    ("datetime-int", lambda: IncidentCreate(due_date=untyped(20300101)), "IncidentCreate", "due_date"),
    (
        "datetime-date",
        lambda: IncidentCreate(due_date=untyped(datetime.date(2030, 1, 1))),
        "IncidentCreate",
        "due_date",
    ),
    ("date-text", lambda: TicketCreate(summary="x", due_date="next week"), "TicketCreate", "due_date"),
    (
        "date-datetime",
        lambda: TicketCreate(summary="x", due_date=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)),
        "TicketCreate",
        "due_date",
    ),
    ("str-int", lambda: TicketCreate(summary=untyped(1)), "TicketCreate", "summary"),
    ("int-str", lambda: TicketCreate(summary="x", assignee_id=untyped("7")), "TicketCreate", "assignee_id"),
    ("int-bool", lambda: IncidentCreate(escalation=untyped(True)), "IncidentCreate", "escalation"),
    ("bool-int", lambda: CommentCreate(body="x", is_public=untyped(1)), "CommentCreate", "is_public"),
]


@pytest.mark.parametrize(
    ("build", "model", "field"), [case[1:] for case in MODEL_REFUSED], ids=[c[0] for c in MODEL_REFUSED]
)
def test_model_constructor_refuses_naming_model_and_field(build: Callable[[], object], model: str, field: str) -> None:
    with pytest.raises(TypeError) as caught:
        build()
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(f"{model}: {field} ")


# --- everything derived from the specs ----------------------------------------------------

_RESERVED = (set(dir(builtins)) | set(keyword.kwlist) | {"self", "true", "false", "datetime"}) - {"id"}


def _python_name(name: str) -> str:
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).replace("-", "_").lower()
    return f"{snake}_" if snake in _RESERVED else snake


def _deref(spec: Mapping[str, Any], node: Mapping[str, Any]) -> Any:
    while "$ref" in node:
        target: Any = spec
        for token in node["$ref"].removeprefix("#/").split("/"):
            target = target[token]
        node = target
    return node


def _spec_parameters() -> list[Any]:
    """Every query parameter with bounds or an enum, with what a call needs besides it."""
    found = []
    for spec_name, spec in SPECS.items():
        for item in spec["paths"].values():
            for method, operation in item.items():
                if method not in HTTP_METHODS or "requestBody" in operation:
                    continue
                parameters = [_deref(spec, p) for p in [*item.get("parameters", []), *operation.get("parameters", [])]]
                # Required arguments other than the one tested: "x" for a string, 1 for an int.
                needed = {
                    _python_name(p["name"]): "x" if _deref(spec, p["schema"])["type"] == "string" else 1
                    for p in parameters
                    if p.get("required") and p["name"] != "account_id"
                }
                for parameter in parameters:
                    schema = _deref(spec, parameter["schema"])
                    if parameter["in"] == "query" and ({"minimum", "maximum", "enum"} & schema.keys()):
                        group = _python_name(operation["tags"][0])
                        name = _python_name(operation["operationId"])
                        found.append(
                            pytest.param(
                                spec_name, group, name, needed, parameter, schema, id=f"{name}-{parameter['name']}"
                            )
                        )
    return found


SPEC_PARAMETERS = _spec_parameters()


def test_the_specs_have_bounded_and_enum_parameters() -> None:
    assert {p.id for p in SPEC_PARAMETERS} >= {
        "list_tickets-per_page",
        "list_incidents-page_size",
        "list_tickets-status",
    }


@pytest.mark.parametrize(("spec_name", "group", "name", "needed", "parameter", "schema"), SPEC_PARAMETERS)
async def test_spec_bounds_and_enums_are_enforced(
    sw: SpiceworksClient,
    kl: KloudlessClient,
    recorder: Recorder,
    spec_name: str,
    group: str,
    name: str,
    needed: dict[str, object],
    parameter: Mapping[str, Any],
    schema: Mapping[str, Any],
) -> None:
    client: Any = sw if spec_name == "spiceworks" else kl
    operation = getattr(getattr(client, group), name)
    argument = _python_name(parameter["name"])
    accepted: list[object] = list(schema.get("enum", []))
    refused: list[object] = ["not-a-declared-value"] if "enum" in schema else []
    if "minimum" in schema:
        accepted.append(schema["minimum"])
        refused.append(schema["minimum"] - 1)
    if "maximum" in schema:
        accepted.append(schema["maximum"])
        refused.append(schema["maximum"] + 1)
    for value in refused:
        with pytest.raises(TypeError) as caught:
            await operation(**needed, **{argument: value})
        assert isinstance(
            caught.value, spiceworks_client.types.ArgumentError | kloudless_itsm_client.types.ArgumentError
        )
        assert str(caught.value).startswith(f"{name}: {argument} must be ")
        for bound in ("minimum", "maximum"):
            if bound in schema:
                assert str(schema[bound]) in str(caught.value)
        for known in schema.get("enum", []):
            assert repr(known) in str(caught.value)
    assert recorder.requests == []
    for value in accepted:
        await operation(**needed, **{argument: value})
    assert [r.url.params[parameter["name"]] for r in recorder.requests] == [str(v) for v in accepted]


# --- fields the API always returns ---------------------------------------------------------


async def test_required_fields_are_read_as_present(sw: SpiceworksClient) -> None:
    ticket = (await sw.tickets.get_ticket(42)).ticket
    assert (ticket.id, ticket.summary, ticket.status) == (42, "Printer on fire", TicketStatus.OPEN)
    assert ticket.created_at == datetime.datetime(2030, 1, 1, 9, tzinfo=datetime.UTC)


async def test_a_required_field_left_out_is_read_as_absent() -> None:
    # Tolerant reader: the call succeeds; only reading the missing field fails, naming it.
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ticket": {"id": 42, "status": "open", "sla": "4h"}})

    async with SpiceworksClient(
        token="t", base_url="https://sw.test", transport=httpx.MockTransport(handler), strict=False
    ) as client:
        ticket = (await client.tickets.get_ticket(42)).ticket
    assert (ticket.id, ticket.status) == (42, TicketStatus.OPEN)
    with pytest.raises(MissingFieldError) as caught:
        _ = ticket.summary
    assert isinstance(caught.value, AttributeError)
    assert (caught.value.model, caught.value.field) == ("TicketDetail", "summary")
    assert "TicketDetail.summary is absent" in str(caught.value)
    assert not hasattr(ticket, "summary")
    assert getattr(ticket, "summary", None) is None
    assert "summary=<absent>" in repr(ticket)
    assert ticket.to_dict() == {"id": 42, "status": "open", "sla": "4h"}
    assert copy.copy(ticket) == ticket
    assert pickle.loads(pickle.dumps(ticket)) == ticket  # noqa: S301 - our own bytes
    assert ticket != type(ticket).from_dict({**ticket.to_dict(), "summary": "now present"})
    with pytest.raises(AttributeError, match="no attribute 'sumary'"):
        _ = untyped(ticket).sumary


def test_a_list_envelope_without_its_list_is_never_silently_empty() -> None:
    page = GenericObjectList.from_dict(
        {"count": 0, "page": "1", "next_page": None, "type": "object_list", "api": "itsm"}
    )
    with pytest.raises(kloudless_itsm_client.types.MissingFieldError, match=r"GenericObjectList\.objects"):
        page.page_items()
    assert page.next_page is None
    assert ("$.objects", "a required field", "absent") in kloudless_itsm_client.types.mismatches(page)


def test_a_constructed_model_needs_its_required_fields() -> None:
    with pytest.raises(TypeError):
        untyped(Ticket)(id=1)
    assert Ticket.from_dict(TICKET).to_dict() == TICKET
