"""Wrong input is refused where it is given, naming the parameter, and nothing is sent.

One table of cases: the constructors, ``with_options``, ``paginate`` and the
generated operations and models. Each case names the exception type and the
words its message must contain; every call goes through a transport that
records requests, and none may reach it. The clients are typed ``Any`` here
because the calls are wrong on purpose.
"""

from __future__ import annotations

import contextlib
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

import kloudless_itsm_client.types as kloudless_types
import spiceworks_client.types as spiceworks_types
from itsm_async import InvalidArgumentError, ItsmError, KloudlessClient, Paginator, RetryPolicy, SpiceworksClient
from kloudless_itsm_client.models import IncidentCreate, Priority
from spiceworks_client.models import TicketCreate

SPICEWORKS_URL = "https://sw.test"
KLOUDLESS_URL = "https://kl.test/v1"
TOKEN = "sw-secret-token"


class Env:
    """A recording transport and one client of each API sending to it."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._answer)
        self.sw: Any = self.spiceworks()
        self.kl: Any = self.kloudless()

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json={})

    def spiceworks(self, **overrides: Any) -> SpiceworksClient:
        # The fake answers {} to everything: these tests are about what is sent, so they read tolerantly.
        arguments: dict[str, Any] = {"token": TOKEN, "base_url": SPICEWORKS_URL, "transport": self.transport}
        return SpiceworksClient(**({"strict": False} | arguments | overrides))

    def kloudless(self, **overrides: Any) -> KloudlessClient:
        arguments: dict[str, Any] = {
            "account_id": "123",
            "token": TOKEN,
            "base_url": KLOUDLESS_URL,
            "transport": self.transport,
            "strict": False,
        }
        return KloudlessClient(**(arguments | overrides))


@dataclass(frozen=True)
class Case:
    """One wrong input: the call, the exception it must raise, the words its message must hold."""

    id: str
    call: Callable[[Env], object]
    raises: type[Exception]
    names: tuple[str, ...]
    absent: tuple[str, ...] = field(default=())


async def first(paginator: Paginator[Any, Any]) -> object:
    """Fetch the first item: a paginator checks its operation's arguments then."""
    return await paginator.__anext__()


def sw(**overrides: Any) -> Callable[[Env], object]:
    return lambda env: env.spiceworks(**overrides)


def kl(**overrides: Any) -> Callable[[Env], object]:
    return lambda env: env.kloudless(**overrides)


def untyped(value: object) -> Any:
    """``value``, typed ``Any``: these calls are wrong on purpose."""
    return value


def plain_function(**params: Any) -> None:
    """Not an operation."""


def handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200)


A = InvalidArgumentError
CONSTRUCTOR = [
    # credentials: checked by the auth flows, named by the parameter they were given as
    Case("sw-token-None", sw(token=None), A, ("token",)),
    Case("sw-token-int", sw(token=123), A, ("token",)),
    Case("sw-token-empty", sw(token=""), A, ("token",)),
    Case("sw-token-bytes", sw(token=b"sw-secret"), A, ("token",)),
    Case("sw-token-newline", sw(token="abc\ndef"), A, ("token",), absent=("abc",)),
    Case("sw-token-provider-needs-args", sw(token=lambda scope: scope), A, ("token",)),
    Case("kl-neither-credential", kl(token=None), A, ("token", "api_key")),
    Case("kl-both-credentials", kl(api_key="kl-key"), A, ("token", "api_key")),
    Case("kl-api-key-int", kl(token=None, api_key=123), A, ("api_key",)),
    # account_id: the spec's AccountId is a string path segment
    Case("kl-account-None", kl(account_id=None), A, ("account_id",)),
    Case("kl-account-True", kl(account_id=True), A, ("account_id",)),
    Case("kl-account-empty", kl(account_id=""), A, ("account_id",)),
    Case("kl-account-whitespace", kl(account_id="   "), A, ("account_id",)),
    Case("kl-account-padded", kl(account_id=" 123"), A, ("account_id",)),
    Case("kl-account-newline", kl(account_id="123\n"), A, ("account_id",)),
    Case("kl-account-slash", kl(account_id="a/b"), A, ("account_id",)),
    Case("kl-account-path", kl(account_id="accounts/123"), A, ("account_id",)),
    Case("kl-account-dotdot", kl(account_id=".."), A, ("account_id",)),
    Case("kl-account-query", kl(account_id="123?x=1"), A, ("account_id",)),
    Case("kl-account-float", kl(account_id=1.5), A, ("account_id",)),
    Case("kl-account-negative", kl(account_id=-1), A, ("account_id",)),
    Case("kl-account-list", kl(account_id=["123"]), A, ("account_id",)),
    # timeout
    Case("sw-timeout-0", sw(timeout=0), A, ("timeout",)),
    Case("sw-timeout-negative", sw(timeout=-1), A, ("timeout",)),
    Case("sw-timeout-nan", sw(timeout=math.nan), A, ("timeout",)),
    Case("sw-timeout-inf", sw(timeout=math.inf), A, ("timeout", "httpx.Timeout(None)")),
    Case("sw-timeout-str", sw(timeout="10"), A, ("timeout",)),
    Case("sw-timeout-bool", sw(timeout=True), A, ("timeout",)),
    Case("sw-timeout-list", sw(timeout=[10]), A, ("timeout",)),
    Case("sw-timeout-read-negative", sw(timeout=httpx.Timeout(5, read=-1)), A, ("timeout.read",)),
    Case("sw-timeout-connect-0", sw(timeout=httpx.Timeout(5, connect=0)), A, ("timeout.connect",)),
    Case("kl-timeout-0", kl(timeout=0), A, ("timeout",)),
    # base_url
    Case("sw-base-url-ftp", sw(base_url="ftp://sw.test"), A, ("base_url", "http")),
    Case("sw-base-url-no-scheme", sw(base_url="sw.test"), A, ("base_url",)),
    Case("sw-base-url-no-host", sw(base_url="https://"), A, ("base_url",)),
    Case("sw-base-url-None", sw(base_url=None), A, ("base_url",)),
    Case("sw-base-url-int", sw(base_url=42), A, ("base_url",)),
    Case("kl-base-url-relative", kl(base_url="/v1"), A, ("base_url",)),
    # headers: the value may be a secret and is never shown
    Case("sw-headers-list", sw(headers=["X-Trace"]), A, ("headers",)),
    Case("sw-headers-int-value", sw(headers={"X-Trace": 1}), A, ("headers['X-Trace']",)),
    Case("sw-headers-int-name", sw(headers={1: "x"}), A, ("headers",)),
    Case("sw-headers-empty-name", sw(headers={"": "x"}), A, ("headers",)),
    Case("sw-headers-space-in-name", sw(headers={"X Trace": "x"}), A, ("headers",)),
    Case(
        "sw-headers-crlf-value",
        sw(headers={"X-Trace": "a\r\nX-Injected: secret"}),
        A,
        ("headers['X-Trace']", "CR"),
        absent=("secret",),
    ),
    Case("sw-headers-non-ascii-value", sw(headers={"X-Name": "Zoë"}), A, ("headers['X-Name']", "ASCII")),
    # transport, retry, on_retry
    Case("sw-transport-sync", sw(transport=httpx.HTTPTransport()), A, ("transport", "sync")),
    Case("sw-transport-handler", sw(transport=handler), A, ("transport", "MockTransport")),
    Case("sw-transport-str", sw(transport="http"), A, ("transport",)),
    Case("sw-retry-int", sw(retry=3), A, ("retry", "RetryPolicy")),
    Case("kl-retry-dict", kl(retry={"max_attempts": 3}), A, ("retry",)),
    Case("sw-on-retry-str", sw(on_retry="print"), A, ("on_retry",)),
]

WITH_OPTIONS = [
    Case("with-options-retry-int", lambda env: env.sw.with_options(retry=3), A, ("with_options", "retry")),
    Case("with-options-timeout-0", lambda env: env.sw.with_options(timeout=0), A, ("with_options", "timeout")),
    Case("with-options-timeout-negative", lambda env: env.kl.with_options(timeout=-1), A, ("timeout",)),
    Case("with-options-timeout-nan", lambda env: env.sw.with_options(timeout=math.nan), A, ("timeout",)),
    Case("with-options-timeout-str", lambda env: env.sw.with_options(timeout="fast"), A, ("timeout",)),
    Case(
        "with-options-timeout-part",
        lambda env: env.sw.with_options(timeout=httpx.Timeout(1, pool=-2)),
        A,
        ("timeout.pool",),
    ),
]

PAGINATE = [
    Case(
        "paginate-max-items-negative",
        lambda env: env.sw.paginate(env.sw.tickets.list_tickets, max_items=-1),
        A,
        ("paginate", "max_items"),
    ),
    Case(
        "paginate-max-items-bool",
        lambda env: env.sw.paginate(env.sw.tickets.list_tickets, max_items=True),
        A,
        ("max_items",),
    ),
    Case(
        "paginate-max-items-float",
        lambda env: env.sw.paginate(env.sw.tickets.list_tickets, max_items=1.5),
        A,
        ("max_items",),
    ),
    Case(
        "paginate-max-items-str",
        lambda env: env.kl.paginate(env.kl.incidents.list_incidents, max_items="10"),
        A,
        ("max_items",),
    ),
    Case(
        "paginate-get-operation",
        lambda env: env.sw.paginate(env.sw.tickets.get_ticket),
        A,
        ("paginate", "operation", "client.tickets.list_tickets"),
    ),
    Case(
        "paginate-raw-twin",
        lambda env: env.sw.paginate(env.sw.tickets.list_tickets_raw),
        A,
        ("operation",),
    ),
    Case(
        "paginate-unpaged-list",
        lambda env: env.sw.paginate(env.sw.comments.list_ticket_comments, ticket_id=1),
        A,
        ("operation",),
    ),
    Case("paginate-plain-function", lambda env: env.sw.paginate(plain_function), A, ("operation",)),
    Case("paginate-None", lambda env: env.sw.paginate(None), A, ("operation",)),
    Case(
        "paginate-other-api",
        lambda env: env.sw.paginate(env.kl.incidents.list_incidents),
        A,
        ("operation", "client.tickets.list_tickets"),
    ),
    Case(
        "paginate-other-client",
        lambda env: env.sw.paginate(env.spiceworks().tickets.list_tickets),
        A,
        ("operation", "of this client"),
    ),
    Case(
        "paginate-unknown-param",
        lambda env: env.sw.paginate(env.sw.tickets.list_tickets, per_pge=10),
        A,
        ("paginate", "tickets.list_tickets", "per_pge"),
    ),
    Case(
        "paginate-kl-unknown-param",
        lambda env: env.kl.paginate(env.kl.incidents.list_incidents, page_sise=10),
        A,
        ("incidents.list_incidents", "page_sise"),
    ),
    Case(
        "paginate-kl-missing-raw-type",
        lambda env: env.kl.paginate(env.kl.objects.list_objects),
        A,
        ("objects.list_objects", "raw_type"),
    ),
]

# Generated operations and models check their own arguments, naming the
# operation (or model) and the parameter, before anything is sent: through a
# client an InvalidArgumentError (also the generated ArgumentError, a
# TypeError); a model constructor raises the generated ArgumentError.
T = TypeError
GENERATED = [
    Case(
        "list-tickets-status-bogus",
        lambda env: env.sw.tickets.list_tickets(status="bogus"),
        A,
        ("list_tickets", "status"),
    ),
    Case("list-tickets-status-int", lambda env: env.sw.tickets.list_tickets(status=1), A, ("list_tickets", "status")),
    Case(
        "list-tickets-per-page-0", lambda env: env.sw.tickets.list_tickets(per_page=0), A, ("list_tickets", "per_page")
    ),
    Case(
        "list-tickets-per-page-101",
        lambda env: env.sw.tickets.list_tickets(per_page=101),
        A,
        ("list_tickets", "per_page"),
    ),
    Case(
        "list-tickets-per-page-str",
        lambda env: env.sw.tickets.list_tickets(per_page="10"),
        A,
        ("list_tickets", "per_page"),
    ),
    Case(
        "list-tickets-per-page-bool",
        lambda env: env.sw.tickets.list_tickets(per_page=True),
        A,
        ("list_tickets", "per_page"),
    ),
    Case(
        "list-tickets-assigned-to-str",
        lambda env: env.sw.tickets.list_tickets(assigned_to="me"),
        A,
        ("list_tickets", "assigned_to"),
    ),
    Case(
        "list-devices-type-bogus",
        lambda env: env.sw.devices.list_devices(type_="mainframe-ish"),
        A,
        ("list_devices", "type"),
    ),
    Case("list-users-page-0", lambda env: env.sw.users.list_users(page=0), A, ("list_users", "page")),
    Case("get-ticket-bool", lambda env: env.sw.tickets.get_ticket(True), A, ("get_ticket", "id")),
    Case(
        "paginate-per-page-0",
        lambda env: first(env.sw.paginate(env.sw.tickets.list_tickets, per_page=0)),
        A,
        ("list_tickets", "per_page"),
    ),
    Case(
        "paginate-per-page-101",
        lambda env: first(env.sw.paginate(env.sw.devices.list_devices, per_page=101)),
        A,
        ("list_devices", "per_page"),
    ),
    Case(
        "create-ticket-summary-int",
        lambda env: env.sw.tickets.create_ticket(body={"summary": 1}),
        A,
        ("create_ticket", "summary"),
    ),
    Case("create-ticket-body-str", lambda env: env.sw.tickets.create_ticket(body="x"), A, ("create_ticket", "body")),
    Case("create-ticket-body-None", lambda env: env.sw.tickets.create_ticket(body=None), A, ("create_ticket", "body")),
    Case(
        "create-ticket-body-empty", lambda env: env.sw.tickets.create_ticket(body={}), A, ("create_ticket", "summary")
    ),
    Case(
        "create-ticket-priority-bogus",
        lambda env: env.sw.tickets.create_ticket(body={"summary": "x", "priority": "bogus"}),
        A,
        ("create_ticket", "priority"),
    ),
    Case(
        "create-ticket-wrong-model",
        lambda env: env.sw.tickets.create_ticket(body=IncidentCreate(description="x")),
        A,
        ("create_ticket", "body"),
    ),
    Case("get-ticket-None", lambda env: env.sw.tickets.get_ticket(None), A, ("get_ticket", "id")),
    Case("get-ticket-str", lambda env: env.sw.tickets.get_ticket("abc"), A, ("get_ticket", "id")),
    Case(
        "update-ticket-status-bogus",
        lambda env: env.sw.tickets.update_ticket(42, body={"status": "bogus"}),
        A,
        ("update_ticket", "status"),
    ),
    Case("ticket-create-summary-int", lambda env: untyped(TicketCreate)(summary=1), T, ("TicketCreate", "summary")),
    Case(
        "incident-due-date-not-a-date",
        lambda env: untyped(IncidentCreate)(due_date="not a date"),
        T,
        ("IncidentCreate", "due_date"),
    ),
    Case(
        "incident-due-date-int",
        lambda env: untyped(IncidentCreate)(due_date=20300101),
        T,
        ("IncidentCreate", "due_date"),
    ),
    Case(
        "incident-priority-bogus",
        lambda env: untyped(IncidentCreate)(priority="bogus"),
        T,
        ("IncidentCreate", "priority"),
    ),
    Case(
        "kl-page-size-0", lambda env: env.kl.incidents.list_incidents(page_size=0), A, ("list_incidents", "page_size")
    ),
    Case(
        "kl-page-size-1001",
        lambda env: env.kl.incidents.list_incidents(page_size=1001),
        A,
        ("list_incidents", "page_size"),
    ),
    Case(
        "kl-paginate-page-size-0",
        lambda env: first(env.kl.paginate(env.kl.assets.list_assets, page_size=0)),
        A,
        ("list_assets", "page_size"),
    ),
    Case("kl-get-incident-None", lambda env: env.kl.incidents.get_incident(None), A, ("get_incident", "incident_id")),
    Case("kl-get-incident-empty", lambda env: env.kl.incidents.get_incident(""), A, ("get_incident", "incident_id")),
    Case(
        "kl-raw-data-str",
        lambda env: env.kl.incidents.get_incident("inc-1", x_kloudless_raw_data="yes"),
        A,
        ("get_incident", "x_kloudless_raw_data"),
    ),
    Case(
        "kl-create-incident-mapping-bad-priority",
        lambda env: env.kl.incidents.create_incident(body={"description": "x", "priority": 3}),
        A,
        ("create_incident", "priority"),
    ),
    Case(
        "kl-list-objects-raw-type-None",
        lambda env: env.kl.objects.list_objects(raw_type=None),
        A,
        ("list_objects", "raw_type"),
    ),
]

CASES = CONSTRUCTOR + WITH_OPTIONS + PAGINATE + GENERATED


async def run(case: Case) -> BaseException | None:
    """Run a case on fresh clients; return what it raised (None if nothing) and check nothing was sent."""
    env = Env()
    raised: BaseException | None = None
    try:
        result = case.call(env)
        if inspect.isawaitable(result):
            await result
    except Exception as exc:  # the caller judges the exception
        raised = exc
    finally:
        await env.sw.aclose()
        await env.kl.aclose()
    assert env.requests == [], f"{case.id}: sent {[str(request.url) for request in env.requests]}"
    return raised


def test_case_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_wrong_input_is_refused_naming_the_parameter(case: Case) -> None:
    raised = await run(case)
    assert raised is not None, f"{case.id}: nothing was raised"
    assert isinstance(raised, case.raises), f"{case.id}: {type(raised).__name__}: {raised}"
    if case.raises is InvalidArgumentError:
        assert isinstance(raised, ItsmError | TypeError | ValueError)
    message = str(raised)
    for name in case.names:
        assert name in message, f"{case.id}: {name!r} not in {message!r}"
    for secret in case.absent:
        assert secret not in message, f"{case.id}: {secret!r} shown in {message!r}"


# What is right must keep working: the checks refuse no valid input.
ACCEPTED: list[tuple[str, Callable[[Env], object]]] = [
    ("kl-account-int", lambda env: env.kloudless(account_id=456).aclose()),
    ("kl-account-uuid", lambda env: env.kloudless(account_id="0b6f-4c1e").aclose()),
    ("sw-timeout-none-at-all", lambda env: env.spiceworks(timeout=httpx.Timeout(None)).aclose()),
    ("sw-timeout-float", lambda env: env.spiceworks(timeout=0.5).aclose()),
    ("sw-base-url-httpx-url", lambda env: env.spiceworks(base_url=httpx.URL("http://localhost:8080")).aclose()),
    ("sw-headers-empty-value", lambda env: env.spiceworks(headers={"X-Empty": ""}).aclose()),
    ("sw-retry-never", lambda env: env.spiceworks(retry=RetryPolicy.never(), on_retry=print).aclose()),
    ("sw-sync-token-provider", lambda env: env.spiceworks(token=lambda: TOKEN).aclose()),
    ("with-options-timeout-object", lambda env: env.sw.with_options(timeout=httpx.Timeout(1, connect=None))),
    ("paginate-max-items-0", lambda env: first(env.sw.paginate(env.sw.tickets.list_tickets, max_items=0))),
    ("paginate-view-operation", lambda env: env.sw.paginate(env.sw.with_options(timeout=1).tickets.list_tickets)),
]


@pytest.mark.parametrize("call", [call for _, call in ACCEPTED], ids=[name for name, _ in ACCEPTED])
async def test_right_input_is_accepted(call: Callable[[Env], object]) -> None:
    env = Env()
    try:
        result = call(env)
        if inspect.isawaitable(result):
            with contextlib.suppress(StopAsyncIteration):  # max_items=0: no item at all
                await result
    finally:
        await env.sw.aclose()
        await env.kl.aclose()
    assert env.requests == []


async def test_plain_strings_and_mappings_are_sent() -> None:
    env = Env()
    async with env.sw, env.kl:
        await env.sw.tickets.list_tickets(status="open", per_page=100)
        await env.kl.incidents.list_incidents(page_size=1000)
        await env.kl.incidents.create_incident(body=IncidentCreate(priority=Priority.HIGH))
    assert [dict(request.url.params) for request in env.requests[:2]] == [
        {"status": "open", "page": "1", "per_page": "100"},
        {"page_size": "1000"},
    ]


async def test_a_refused_operation_argument_is_both_error_types() -> None:
    env = Env()
    try:
        with pytest.raises(InvalidArgumentError) as caught:
            await env.sw.tickets.list_tickets(per_page=0)
        with pytest.raises(kloudless_types.ArgumentError) as caught_kl:
            await env.kl.incidents.list_incidents(page_size=0)
    finally:
        await env.sw.aclose()
        await env.kl.aclose()
    assert isinstance(caught.value, spiceworks_types.ArgumentError)
    assert (caught.value.operation, caught.value.parameter) == ("list_tickets", "per_page")
    assert isinstance(caught.value.__cause__, spiceworks_types.ArgumentError)
    assert isinstance(caught_kl.value, InvalidArgumentError)
    assert str(caught.value) == str(caught.value.__cause__)
    assert env.requests == []
