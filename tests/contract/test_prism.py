"""Contract tests: every operation of both specs, through the wrapper, against Prism.

The operations come from the spec files, so a new operation is collected
automatically, and ``test_every_operation_has_valid_inputs`` fails until the
tables below give it valid inputs. Run with ``pytest tests/contract`` after
``npm ci``; the terminal summary prints the totals.
"""

from __future__ import annotations

import datetime
import json
import re
import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
import pytest
from openapi_spec_validator.readers import read_from_filename

from itsm_async import ApiError, KloudlessClient, ResponseDecodeError, SpiceworksClient, UnprocessableEntityError
from kloudless_itsm_client.models import (
    ArticleCreate,
    ArticleUpdate,
    AssetCreate,
    AssetUpdate,
    ChangeCreate,
    ChangeUpdate,
    Impact,
    IncidentCreate,
    IncidentUpdate,
    ObjectCreate,
    ObjectUpdate,
    Priority,
    ProblemCreate,
    ProblemUpdate,
    Urgency,
)
from spiceworks_client.models import (
    CommentCreate,
    ListDevicesType,
    ListTicketsStatus,
    ListUsersRole,
    TicketCreate,
    TicketCreatePriority,
    TicketUpdate,
    TicketUpdatePriority,
    TicketUpdateStatus,
)

from .conftest import KLOUDLESS_SPEC, SPICEWORKS_SPEC, Connected, ContractStats

READS_PER_OPERATION = 25
"""Seeded dynamic responses parsed per read operation (19 reads: 475 requests)."""

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

ClientT = TypeVar("ClientT", SpiceworksClient, KloudlessClient)


@dataclass(frozen=True)
class Operation:
    """One operation of a spec, as the contract tests need it."""

    operation_id: str
    method: str
    path: str
    tag: str
    success_statuses: frozenset[int]
    success_has_body: bool

    def __str__(self) -> str:
        return self.operation_id

    @property
    def is_read(self) -> bool:
        """A GET: the list* and get* operations."""
        return self.method == "GET"

    def matches(self, method: str, path: str) -> bool:
        """Whether a request's method and path are this operation's."""
        pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(self.path))
        return method == self.method and re.fullmatch(pattern, path) is not None


def load_operations(spec_file: Path) -> list[Operation]:
    """Every operation of an OpenAPI document, in document order.

    Args:
        spec_file: The YAML document.

    Returns:
        The operations.
    """
    # openapi-spec-validator (pinned in the test extra) reads YAML with PyYAML
    # and is typed; PyYAML ships no type stubs.
    spec, _ = read_from_filename(str(spec_file))
    operations = []
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            operation = item[method]
            success = {str(code): response for code, response in operation["responses"].items()}
            success = {code: response for code, response in success.items() if code.startswith("2")}
            operations.append(
                Operation(
                    operation_id=operation["operationId"],
                    method=method.upper(),
                    path=str(path),
                    tag=operation["tags"][0],
                    success_statuses=frozenset(int(code) for code in success),
                    success_has_body=any("content" in response for response in success.values()),
                )
            )
    return operations


SPICEWORKS_OPERATIONS = load_operations(SPICEWORKS_SPEC)
KLOUDLESS_OPERATIONS = load_operations(KLOUDLESS_SPEC)
KLOUDLESS_BY_ID = {op.operation_id: op for op in KLOUDLESS_OPERATIONS}


class RawResponse(Protocol):
    """What the generated ``*_raw`` methods of both clients return."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def parsed(self) -> object: ...


Call = Callable[[ClientT], Awaitable[RawResponse]]

TICKET_ID = 42
WHEN = datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC)

SPICEWORKS_CALLS: dict[str, Call[SpiceworksClient]] = {
    "listTickets": lambda c: c.tickets.list_tickets_raw(
        status=ListTicketsStatus.IN_PROGRESS, assigned_to=7, page=2, per_page=100
    ),
    "createTicket": lambda c: c.tickets.create_ticket_raw(
        body=TicketCreate(
            summary="Printer on floor 3 is jammed",
            description="Paper jam in tray 2; the panel shows E-042.",
            priority=TicketCreatePriority.URGENT,
            assignee_id=7,
            due_date=datetime.date(2026, 12, 1),
        )
    ),
    "getTicket": lambda c: c.tickets.get_ticket_raw(TICKET_ID),
    "updateTicket": lambda c: c.tickets.update_ticket_raw(
        TICKET_ID,
        body=TicketUpdate(
            summary="Printer on floor 3 is jammed (tray 2)",
            description="Cleared the jam; waiting for the user to confirm.",
            status=TicketUpdateStatus.CLOSED,
            priority=TicketUpdatePriority.LOW,
            assignee_id=8,
        ),
    ),
    "listTicketComments": lambda c: c.comments.list_ticket_comments_raw(TICKET_ID),
    "createTicketComment": lambda c: c.comments.create_ticket_comment_raw(
        TICKET_ID, body=CommentCreate(body="Replaced the <b>fuser</b>.", is_public=False)
    ),
    "listDevices": lambda c: c.devices.list_devices_raw(type_=ListDevicesType.SERVER, page=3, per_page=10),
    "getDevice": lambda c: c.devices.get_device_raw(1001),
    "listUsers": lambda c: c.users.list_users_raw(role=ListUsersRole.TECHNICIAN, page=2),
    "getUser": lambda c: c.users.get_user_raw(7),
}

RAW_TYPE = "sys_user"
PAGE = "2"
PAGE_SIZE = 50

KLOUDLESS_CALLS: dict[str, Call[KloudlessClient]] = {
    "listIncidents": lambda c: c.incidents.list_incidents_raw(
        page_size=PAGE_SIZE, page=PAGE, x_kloudless_raw_data=True
    ),
    "createIncident": lambda c: c.incidents.create_incident_raw(
        body=IncidentCreate(
            change="CHG0000001",
            problem="PRB0000001",
            requester="u-1",
            responder="u-2",
            active=True,
            assignee="u-3",
            category="network",
            due_date=WHEN,
            escalation=1,
            impact=Impact.HIGH,
            priority=Priority.CRITICAL,
            status=1,
            urgency=Urgency.HIGH,
            description="VPN down for the Paris office",
        ),
        x_kloudless_raw_data=True,
    ),
    "getIncident": lambda c: c.incidents.get_incident_raw("INC0000001", x_kloudless_raw_data=False),
    "updateIncident": lambda c: c.incidents.update_incident_raw(
        "INC0000001",
        body=IncidentUpdate(status=2, urgency=Urgency.LOW, due_date=WHEN, description="Workaround in place"),
        x_kloudless_raw_data=True,
    ),
    "deleteIncident": lambda c: c.incidents.delete_incident_raw("INC0000001"),
    "listProblems": lambda c: c.problems.list_problems_raw(page_size=PAGE_SIZE, page=PAGE, x_kloudless_raw_data=True),
    "createProblem": lambda c: c.problems.create_problem_raw(
        body=ProblemCreate(
            change="CHG0000001",
            incident="INC0000001",
            requester="u-1",
            responder="u-2",
            active=True,
            assignee="u-3",
            category="network",
            due_date=WHEN,
            escalation=0,
            impact=Impact.MEDIUM,
            priority=Priority.HIGH,
            status=1,
            urgency=Urgency.MEDIUM,
            description="Edge router drops BGP sessions",
        ),
        x_kloudless_raw_data=True,
    ),
    "getProblem": lambda c: c.problems.get_problem_raw("PRB0000001", x_kloudless_raw_data=True),
    "updateProblem": lambda c: c.problems.update_problem_raw(
        "PRB0000001", body=ProblemUpdate(active=False, status=3), x_kloudless_raw_data=False
    ),
    "deleteProblem": lambda c: c.problems.delete_problem_raw("PRB0000001"),
    "listChanges": lambda c: c.changes.list_changes_raw(page_size=PAGE_SIZE, page=PAGE, x_kloudless_raw_data=True),
    "createChange": lambda c: c.changes.create_change_raw(
        body=ChangeCreate(
            problem="PRB0000001",
            incident="INC0000001",
            requester="u-1",
            responder="u-2",
            active=True,
            assignee="u-3",
            category="network",
            end_date=WHEN + datetime.timedelta(hours=2),
            escalation=0,
            impact=Impact.LOW,
            priority=Priority.MEDIUM,
            risk="moderate",
            start_date=WHEN,
            status=-5,
            urgency=Urgency.LOW,
            description="Replace the edge router",
        ),
        x_kloudless_raw_data=True,
    ),
    "getChange": lambda c: c.changes.get_change_raw("CHG0000001", x_kloudless_raw_data=True),
    "updateChange": lambda c: c.changes.update_change_raw(
        "CHG0000001", body=ChangeUpdate(risk="low", start_date=WHEN), x_kloudless_raw_data=True
    ),
    "deleteChange": lambda c: c.changes.delete_change_raw("CHG0000001"),
    "listArticles": lambda c: c.articles.list_articles_raw(page_size=PAGE_SIZE, page=PAGE, x_kloudless_raw_data=True),
    "createArticle": lambda c: c.articles.create_article_raw(
        body=ArticleCreate(
            author="u-1",
            active=True,
            category="howto",
            rating=4.5,
            roles="itil",
            topic="VPN",
            text="Restart the client, then reconnect.",
            description="Fixing VPN drops",
        ),
        x_kloudless_raw_data=True,
    ),
    "getArticle": lambda c: c.articles.get_article_raw("KB0000001", x_kloudless_raw_data=True),
    "updateArticle": lambda c: c.articles.update_article_raw(
        "KB0000001", body=ArticleUpdate(rating=5, text="Reinstall the client."), x_kloudless_raw_data=True
    ),
    "deleteArticle": lambda c: c.articles.delete_article_raw("KB0000001"),
    "listAssets": lambda c: c.assets.list_assets_raw(page_size=PAGE_SIZE, page=PAGE, x_kloudless_raw_data=True),
    "createAsset": lambda c: c.assets.create_asset_raw(
        body=AssetCreate(
            active=True,
            assignee="u-3",
            department="it",
            model="ThinkPad X1",
            name="LT-0042",
            quantity=1,
            description="Laptop",
        ),
        x_kloudless_raw_data=True,
    ),
    "getAsset": lambda c: c.assets.get_asset_raw("AST0000001", x_kloudless_raw_data=True),
    "updateAsset": lambda c: c.assets.update_asset_raw(
        "AST0000001", body=AssetUpdate(quantity=2, assignee="u-4"), x_kloudless_raw_data=True
    ),
    "deleteAsset": lambda c: c.assets.delete_asset_raw("AST0000001"),
    "listObjects": lambda c: c.objects.list_objects_raw(page_size=PAGE_SIZE, page=PAGE, raw_type=RAW_TYPE),
    "createObject": lambda c: c.objects.create_object_raw(
        body=ObjectCreate.from_dict({"user_name": "jdoe", "email": "jdoe@example.com", "active": True}),
        raw_type=RAW_TYPE,
    ),
    "getObject": lambda c: c.objects.get_object_raw("6816f79cc0a8016401c5a33be04be441", raw_type=RAW_TYPE),
    "updateObject": lambda c: c.objects.update_object_raw(
        "6816f79cc0a8016401c5a33be04be441",
        body=ObjectUpdate.from_dict({"email": "john.doe@example.com"}),
        raw_type=RAW_TYPE,
    ),
    "deleteObject": lambda c: c.objects.delete_object_raw("6816f79cc0a8016401c5a33be04be441", raw_type=RAW_TYPE),
}

KNOWN_STATIC_BUGS: dict[str, str] = {}
"""operationId -> why Prism rejects the wrapper's valid call; each is xfail(strict=True)."""

KNOWN_DYNAMIC_BUGS: dict[str, str] = {}
"""operationId -> why a faked, schema-valid response does not parse; each is xfail(strict=True)."""


def _params(operations: Sequence[Operation], known_bugs: Mapping[str, str]) -> list[Any]:
    return [
        pytest.param(op, id=op.operation_id, marks=[pytest.mark.xfail(strict=True, reason=known_bugs[str(op)])])
        if str(op) in known_bugs
        else pytest.param(op, id=op.operation_id)
        for op in operations
    ]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _expected_model(client: object, operation: Operation) -> type | None:
    """The model the generated ``*_raw`` method declares it parses, None for no body."""
    group = getattr(client, _snake(operation.tag))
    method = getattr(group, f"{_snake(operation.operation_id)}_raw")
    (model,) = typing.get_args(typing.get_type_hints(method)["return"])
    return None if model is type(None) else typing.cast("type", model)


def _rejection(operation: Operation, exc: ApiError) -> str:
    return (
        f"Prism rejected {operation} ({operation.method} {operation.path}): {exc}\n"
        f"sl-violations: {exc.headers.get('sl-violations')}\n"
        f"body: {exc.body[:1000]!r}"
    )


async def _check_operation(
    operation: Operation, connected: Connected[ClientT], calls: Mapping[str, Call[ClientT]], stats: ContractStats
) -> None:
    call = calls.get(operation.operation_id)
    if call is None:
        # An operation added to a spec runs here once the table gives it valid inputs;
        # until then the sandbox, schemathesis and the codegen tests cover it.
        pytest.skip(f"{operation} has no hand-written valid inputs in the table yet")
    try:
        response = await call(connected.client)
    except ApiError as exc:
        pytest.fail(_rejection(operation, exc), pytrace=False)
    (request,) = connected.transport.requests
    assert operation.matches(request.method, request.url.path), f"the table's call sent {request.method} {request.url}"
    assert response.status_code in operation.success_statuses
    assert "sl-violations" not in response.headers, f"{operation}: {response.headers['sl-violations']}"
    model = _expected_model(connected.client, operation)
    assert (model is not None) == operation.success_has_body
    if model is None:
        assert response.parsed is None
    else:
        assert isinstance(response.parsed, model)
    stats.operations_checked.append(f"{connected.server.spec.stem}:{operation}")


@pytest.mark.parametrize("operation", _params(SPICEWORKS_OPERATIONS, KNOWN_STATIC_BUGS))
async def test_spiceworks_operation(
    operation: Operation, spiceworks_static: Connected[SpiceworksClient], contract_stats: ContractStats
) -> None:
    """A valid call passes Prism's request validation and its response parses."""
    await _check_operation(operation, spiceworks_static, SPICEWORKS_CALLS, contract_stats)


@pytest.mark.parametrize("operation", _params(KLOUDLESS_OPERATIONS, KNOWN_STATIC_BUGS))
async def test_kloudless_operation(
    operation: Operation, kloudless_static: Connected[KloudlessClient], contract_stats: ContractStats
) -> None:
    """A valid call passes Prism's request validation and its response parses."""
    await _check_operation(operation, kloudless_static, KLOUDLESS_CALLS, contract_stats)


async def _check_reads(
    operation: Operation, connected: Connected[ClientT], calls: Mapping[str, Call[ClientT]], stats: ContractStats
) -> None:
    call = calls.get(operation.operation_id)
    if call is None:
        pytest.skip(f"{operation} has no hand-written valid inputs in the table yet")
    undecodable: list[str] = []
    for n in range(READS_PER_OPERATION):
        connected.transport.seed = f"{operation}-{n}"
        try:
            response = await call(connected.client)
        except ResponseDecodeError as exc:
            undecodable.append(f"Prefer: seed={connected.transport.seed}: {exc}\n  body: {exc.body[:2000]!r}")
            continue
        except ApiError as exc:
            pytest.fail(_rejection(operation, exc), pytrace=False)
        assert "sl-violations" not in response.headers, f"{operation}: {response.headers['sl-violations']}"
        parsed: Any = response.parsed
        data = parsed.to_dict()
        json.dumps(data)
        assert type(parsed).from_dict(data).to_dict() == data, f"seed {connected.transport.seed}: not a round trip"
        stats.responses_parsed += 1
    assert not undecodable, (
        f"{len(undecodable)} of {READS_PER_OPERATION} faked {operation} responses did not parse:\n"
        + "\n".join(undecodable[:3])
    )


@pytest.mark.parametrize("operation", _params([op for op in SPICEWORKS_OPERATIONS if op.is_read], KNOWN_DYNAMIC_BUGS))
async def test_spiceworks_faked_reads_parse(
    operation: Operation, spiceworks_dynamic: Connected[SpiceworksClient], contract_stats: ContractStats
) -> None:
    """Every schema-valid response Prism fakes parses into the model and round-trips."""
    await _check_reads(operation, spiceworks_dynamic, SPICEWORKS_CALLS, contract_stats)


@pytest.mark.parametrize("operation", _params([op for op in KLOUDLESS_OPERATIONS if op.is_read], KNOWN_DYNAMIC_BUGS))
async def test_kloudless_faked_reads_parse(
    operation: Operation, kloudless_dynamic: Connected[KloudlessClient], contract_stats: ContractStats
) -> None:
    """Every schema-valid response Prism fakes parses into the model and round-trips."""
    await _check_reads(operation, kloudless_dynamic, KLOUDLESS_CALLS, contract_stats)


async def test_prism_rejects_invalid_requests(
    spiceworks_static: Connected[SpiceworksClient], kloudless_static: Connected[KloudlessClient]
) -> None:
    """The oracle is not vacuous: a request that breaks the spec gets a 422 naming the violation."""
    with pytest.raises(UnprocessableEntityError) as too_long:
        await spiceworks_static.client.tickets.create_ticket(body=TicketCreate(summary="x" * 256))
    # The client refuses page_size=0 before sending, so this one goes out raw.
    too_small = await kloudless_static.transport.handle_async_request(
        httpx.Request(
            "GET",
            f"{kloudless_static.server.url}/accounts/{kloudless_static.client.account_id}/itsm/incidents?page_size=0",
            headers={"Authorization": "APIKey kl-contract-api-key"},
        )
    )
    assert '"code":"maxLength"' in too_long.value.headers["sl-violations"]
    assert too_small.status_code == 422
    assert '"code":"minimum"' in too_small.headers["sl-violations"]


async def test_naive_datetime_is_not_sent_as_invalid_date_time(kloudless_static: Connected[KloudlessClient]) -> None:
    """Regression: a naive datetime was sent without an offset, which Prism rejected with 422.

    It is now refused before sending, since its instant is unknown.
    """
    body = IncidentCreate(due_date=WHEN.replace(tzinfo=None))
    with pytest.raises(ValueError, match="has no timezone"):
        await kloudless_static.client.incidents.create_incident_raw(body=body)


def test_the_tables_name_only_operations_of_the_specs() -> None:
    """No stale entry; an operation without one is skipped by name (see _check_operation), never silently."""
    for operations, calls in ((SPICEWORKS_OPERATIONS, SPICEWORKS_CALLS), (KLOUDLESS_OPERATIONS, KLOUDLESS_CALLS)):
        in_spec = [op.operation_id for op in operations]
        assert in_spec, "no operations read from the spec"
        assert len(set(in_spec)) == len(in_spec), "duplicate operationId"
        assert sorted(calls.keys() - set(in_spec)) == [], "inputs for operations not in the spec"
