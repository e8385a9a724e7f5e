"""Injected faults, seen by the clients as typed errors or retried away, and always counted."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import httpx
import pytest
import trio
import trio.testing

from itsm_async import (
    ApiConnectionError,
    ApiTimeoutError,
    ItsmError,
    RateLimitError,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
    SpiceworksClient,
)
from itsm_async.sandbox import IN_PROCESS_URL, FaultConfig, Sandbox
from kloudless_itsm_client.models import IncidentCreate, IncidentUpdate
from spiceworks_client.models import TicketCreate

pytest_plugins = ["itsm_async.testing"]

NEVER = RetryPolicy.never()


@pytest.fixture
def itsm_sandbox_options() -> dict[str, Any]:
    """Checked responses; faults are set per test."""
    return {"check_responses": True}


def script(sandbox: Sandbox, *kinds: str, **options: Any) -> None:
    """Make the next requests fail as ``kinds`` say."""
    sandbox.faults.configure(FaultConfig(script=kinds, **options))


async def test_faults_are_off_by_default(spiceworks_client: SpiceworksClient, itsm_sandbox: Sandbox) -> None:
    for _ in range(20):
        await spiceworks_client.tickets.list_tickets(per_page=1)
    assert not itsm_sandbox.faults.config.enabled
    assert itsm_sandbox.stats.faults == {}


async def test_429_is_retried_after_retry_after(spiceworks_client: SpiceworksClient, itsm_sandbox: Sandbox) -> None:
    script(itsm_sandbox, "429", "429")
    page: Any = await spiceworks_client.tickets.list_tickets()
    assert page.meta.total_count == 300
    assert spiceworks_client.retries == 2
    assert itsm_sandbox.faults.counts["429"] == 2
    assert itsm_sandbox.stats.statuses[429] == 2
    assert itsm_sandbox.stats.requests["listTickets"] == 3


async def test_429_without_retries_is_a_rate_limit_error(
    spiceworks_client: SpiceworksClient, itsm_sandbox: Sandbox
) -> None:
    script(itsm_sandbox, "429", retry_after=7)
    with pytest.raises(RateLimitError) as caught:
        await spiceworks_client.with_options(retry=NEVER).users.get_user(1)
    assert caught.value.retry_after == 7.0
    assert cast("Any", caught.value.error).error == "Too many requests"


@pytest.mark.parametrize("kind", ["429", "503"])
async def test_refused_create_is_retried_and_made_once(
    spiceworks_client: SpiceworksClient, itsm_sandbox: Sandbox, kind: str
) -> None:
    script(itsm_sandbox, kind)
    created: Any = await spiceworks_client.tickets.create_ticket(body=TicketCreate(summary="Badge reader broken"))
    assert created.ticket.id == 301
    assert itsm_sandbox.stats.requests["createTicket"] == 2
    assert itsm_sandbox.stats.creates["tickets"] == 1
    assert itsm_sandbox.faults.counts[kind] == 1


@pytest.mark.parametrize("kind", ["500", "502", "503", "504"])
async def test_server_errors_on_reads_are_retried(
    spiceworks_client: SpiceworksClient, itsm_sandbox: Sandbox, kind: str
) -> None:
    script(itsm_sandbox, kind)
    device: Any = (await spiceworks_client.devices.get_device(3)).device
    assert device.id == 3
    assert itsm_sandbox.faults.counts[kind] == 1
    assert itsm_sandbox.stats.statuses[int(kind)] == 1


@pytest.mark.parametrize("kind", ["500", "502", "504"])
async def test_lost_answer_to_a_create_is_not_retried(
    spiceworks_client: SpiceworksClient, itsm_sandbox: Sandbox, kind: str
) -> None:
    script(itsm_sandbox, kind)
    with pytest.raises(ServerError) as caught:
        await spiceworks_client.tickets.create_ticket(body=TicketCreate(summary="Printer jam"))
    assert caught.value.status_code == int(kind)
    # The ticket was made once, and only once: a blind retry would have made two.
    assert itsm_sandbox.stats.creates["tickets"] == 1
    assert itsm_sandbox.stats.requests["createTicket"] == 1
    ticket: Any = (await spiceworks_client.tickets.get_ticket(301)).ticket
    assert ticket.summary == "Printer jam"


async def test_dropped_read_is_retried(spiceworks_client: SpiceworksClient, itsm_sandbox: Sandbox) -> None:
    script(itsm_sandbox, "drop")
    ticket: Any = (await spiceworks_client.tickets.get_ticket(1)).ticket
    assert ticket.id == 1
    assert spiceworks_client.retries == 1
    assert itsm_sandbox.faults.counts["drop"] == 1


async def test_dropped_read_without_retries_is_a_connection_error(
    spiceworks_client: SpiceworksClient, itsm_sandbox: Sandbox
) -> None:
    script(itsm_sandbox, "drop")
    with pytest.raises(ApiConnectionError) as caught:
        await spiceworks_client.with_options(retry=NEVER).tickets.list_tickets()
    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)


async def test_dropped_create_is_not_retried_and_made_once(
    spiceworks_client: SpiceworksClient, itsm_sandbox: Sandbox
) -> None:
    script(itsm_sandbox, "drop")
    with pytest.raises(ApiConnectionError):
        await spiceworks_client.tickets.create_ticket(body=TicketCreate(summary="Monitor flicker"))
    assert itsm_sandbox.stats.creates["tickets"] == 1
    assert itsm_sandbox.stats.requests["createTicket"] == 1


async def test_dropped_patch_is_applied_once(itsm_sandbox: Sandbox) -> None:
    async with itsm_sandbox.kloudless_client() as client:
        incident: Any = await client.incidents.create_incident(body=IncidentCreate(description="Disk full"))
        script(itsm_sandbox, "drop")
        with pytest.raises(ApiConnectionError):
            await client.incidents.update_incident(incident.id, body=IncidentUpdate(status=6))
        assert (await client.incidents.get_incident(incident.id)).status == 6
    assert itsm_sandbox.stats.updates["incidents"] == 1


def run_in_virtual_time(scenario: Callable[[], Awaitable[None]]) -> float:
    """Run ``scenario`` on trio with a clock that jumps whenever every task sleeps.

    Latency, stalls and timeouts then take no real time: the test never sleeps.

    Returns:
        The virtual seconds the scenario took.
    """
    clock = trio.testing.MockClock(autojump_threshold=0)
    trio.run(scenario, clock=clock)
    return clock.current_time()


def test_slow_answer_arrives() -> None:
    sandbox = Sandbox(check_responses=True)
    script(sandbox, "slow", delay=2.5)

    async def scenario() -> None:
        async with sandbox.spiceworks_client() as client:
            user: Any = (await client.users.get_user(2)).user
            assert user.id == 2

    assert run_in_virtual_time(scenario) == pytest.approx(2.5)
    assert sandbox.faults.counts["slow"] == 1


def test_stalled_answer_times_out() -> None:
    # The stall is far longer than the timeout: the client gives up at its read timeout.
    sandbox = Sandbox(check_responses=True)
    script(sandbox, "stall", stall=600)

    async def scenario() -> None:
        async with sandbox.spiceworks_client(timeout=30, retry=NEVER) as client:
            with pytest.raises(ApiTimeoutError):
                await client.tickets.list_tickets()

    assert run_in_virtual_time(scenario) == pytest.approx(30)
    assert sandbox.faults.counts["stall"] == 1


def test_stalled_read_is_retried() -> None:
    sandbox = Sandbox(check_responses=True)
    script(sandbox, "stall", stall=600)

    async def scenario() -> None:
        async with sandbox.spiceworks_client(timeout=30) as client:
            ticket: Any = (await client.tickets.get_ticket(2)).ticket
            assert ticket.id == 2
            assert client.retries == 1

    # One timed-out attempt, then an immediate retry (stamina's testing mode waits zero).
    assert run_in_virtual_time(scenario) == pytest.approx(30)


@pytest.mark.parametrize("kind", ["truncate", "garbage"])
async def test_unreadable_body_is_a_decode_error(
    spiceworks_client: SpiceworksClient, itsm_sandbox: Sandbox, kind: str
) -> None:
    script(itsm_sandbox, kind)
    with pytest.raises(ResponseDecodeError) as caught:
        await spiceworks_client.tickets.get_ticket(4)
    assert caught.value.status_code == 200
    assert caught.value.body
    assert caught.value.request_id
    assert itsm_sandbox.faults.counts[kind] == 1


async def test_faults_can_target_methods_and_paths(spiceworks_client: SpiceworksClient, itsm_sandbox: Sandbox) -> None:
    itsm_sandbox.faults.configure(FaultConfig(rates={"500": 1.0}, methods=["POST"], path_contains="/comments"))
    await spiceworks_client.tickets.list_tickets()
    await spiceworks_client.tickets.create_ticket(body=TicketCreate(summary="Untouched"))
    assert itsm_sandbox.stats.faults == {}


async def _outcomes(sandbox: Sandbox, count: int) -> list[str]:
    outcomes = []
    async with sandbox.spiceworks_client(retry=NEVER) as client:
        for n in range(1, count + 1):
            try:
                await client.tickets.get_ticket(n)
                outcomes.append("ok")
            except ItsmError as exc:
                outcomes.append(type(exc).__name__)
    return outcomes


async def test_rates_are_seeded() -> None:
    rates = "429=0.2,500=0.1,drop=0.1,truncate=0.1"
    first = await _outcomes(Sandbox(faults=rates, fault_seed=3), 40)
    again = await _outcomes(Sandbox(faults=rates, fault_seed=3), 40)
    other = await _outcomes(Sandbox(faults=rates, fault_seed=4), 40)
    assert first == again != other
    assert {"ok", "RateLimitError", "ServerError", "ApiConnectionError", "ResponseDecodeError"} <= set(first)


async def test_paging_through_random_faults_loses_and_repeats_nothing(itsm_sandbox: Sandbox) -> None:
    itsm_sandbox.faults.configure(FaultConfig.parse("429=0.15,503=0.1,502=0.1,drop=0.1"), seed=11)
    async with itsm_sandbox.kloudless_client(retry=RetryPolicy(max_attempts=12)) as client:
        ids = [o.id async for o in client.paginate(client.incidents.list_incidents, page_size=20)]
        created = await client.incidents.create_incident(body=IncidentCreate(description="after the storm"))
    assert len(ids) == len(set(ids)) == 250
    assert created.id
    assert itsm_sandbox.stats.creates["incidents"] == 1
    assert sum(itsm_sandbox.faults.counts.values()) > 0
    assert client.retries == sum(itsm_sandbox.faults.counts.values())


def test_fault_spec_parsing() -> None:
    config = FaultConfig.parse("429=0.1,drop=0.05,script=429+ok+stall,delay=0.2,stall=9,methods=get+post,path=/tickets")
    assert config.rates == {"429": 0.1, "drop": 0.05}
    assert config.script == ("429", "ok", "stall")
    assert (config.delay, config.stall, config.methods, config.path_contains) == (
        0.2,
        9.0,
        frozenset({"GET", "POST"}),
        "/tickets",
    )
    assert FaultConfig.from_dict(config.to_dict()) == config
    assert not FaultConfig.parse("").enabled
    for bad in ("teapot=0.5", "500=2", "500=0.6,502=0.6", "script=boom", "500", "500=nan", "delay=soon"):
        with pytest.raises(ValueError, match=r"."):
            FaultConfig.parse(bad)
    # An endless delay or stall would hold every faulted request for ever.
    for endless in ("delay=inf", "stall=1e400", "retry_after=inf"):
        with pytest.raises(ValueError, match="finite"):
            FaultConfig.parse(endless)
    with pytest.raises(ValueError, match="0 seconds or more"):
        FaultConfig.parse("stall=-1")


@pytest.fixture
async def admin(itsm_sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A bare client of the admin endpoints."""
    async with httpx.AsyncClient(transport=itsm_sandbox.transport(), base_url=IN_PROCESS_URL) as client:
        yield client


async def test_admin_endpoints(
    admin: httpx.AsyncClient, spiceworks_client: SpiceworksClient, itsm_sandbox: Sandbox
) -> None:
    assert (await admin.get("/_sandbox/health")).json() == {"status": "ok"}
    configured = await admin.post("/_sandbox/faults", json={"spec": "script=502+ok"})
    assert configured.json()["config"]["script"] == ["502", "ok"]
    with pytest.raises(ServerError):
        await spiceworks_client.tickets.create_ticket(body=TicketCreate(summary="Lost answer"))
    stats = (await admin.get("/_sandbox/stats")).json()
    assert stats["faults"] == {"502": 1}
    assert stats["creates"] == {"tickets": 1}
    assert stats["requests"]["createTicket"] == 1
    assert stats["statuses"] == {"502": 1}
    assert (await admin.post("/_sandbox/faults", json={"spec": "teapot=1"})).status_code == 400
    assert (await admin.post("/_sandbox/faults", json={"rates": {"500": 0.5}, "seed": 4})).json()["config"][
        "rates"
    ] == {"500": 0.5}
    assert (await admin.post("/_sandbox/reset")).json() == {"status": "reset"}
    assert (await admin.get("/_sandbox/stats")).json()["creates"] == {}
    assert itsm_sandbox.stats.faults == {}
    page: Any = await spiceworks_client.with_options(retry=RetryPolicy(max_attempts=20)).tickets.list_tickets()
    assert page.meta.total_count == 300


BAD_FAULT_CONFIGURATIONS = {
    "seed-infinity": (b'{"seed": Infinity}', "seed"),
    "seed-minus-infinity": (b'{"seed": -Infinity}', "seed"),
    "seed-nan": (b'{"seed": NaN}', "seed"),
    "seed-overflowing-float": (b'{"seed": 1e400}', "seed"),
    "seed-float": (b'{"seed": 1.5}', "seed"),
    "seed-bool": (b'{"seed": true}', "seed"),
    "seed-string": (b'{"seed": "7"}', "seed"),
    "seed-list": (b'{"seed": [1]}', "seed"),
    "seed-5001-digits": (b'{"seed": 1' + b"0" * 5000 + b"}", "digits"),
    "delay-infinity": (b'{"delay": Infinity}', "delay"),
    "delay-overflowing-int": (b'{"delay": 1' + b"0" * 400 + b"}", "delay"),
    "stall-overflowing-float": (b'{"stall": 1e400}', "stall"),
    "retry-after-nan": (b'{"retry_after": NaN}', "retry_after"),
    "retry-after-string": (b'{"retry_after": "soon"}', "retry_after"),
    "rate-infinity": (b'{"rates": {"429": Infinity}}', "429"),
    "rate-nan": (b'{"rates": {"429": NaN}}', "429"),
    "rate-overflowing-int": (b'{"rates": {"429": 1' + b"0" * 400 + b"}}", "429"),
    "rate-string": (b'{"rates": {"429": "often"}}', "429"),
    "rates-list": (b'{"rates": [0.1]}', "rates"),
    "script-int": (b'{"script": 429}', "script"),
    "script-string": (b'{"script": "429"}', "script"),
    "methods-string": (b'{"methods": "GET"}', "methods"),
    "path-int": (b'{"path_contains": 5}', "path_contains"),
    "spec-int": (b'{"spec": 5}', "spec"),
    "spec-and-fields": (b'{"spec": "429=0.1", "rates": {"503": 0.1}}', "spec"),
    "unknown-field": (b'{"rate": {"429": 0.1}}', "rate"),
    "list": (b"[]", "object"),
    "null": (b"null", "object"),
    "deep": (b"[" * 100_000, "deep"),
    "not-json": (b"{not json", "JSON"),
}


@pytest.mark.parametrize(("body", "named"), list(BAD_FAULT_CONFIGURATIONS.values()), ids=list(BAD_FAULT_CONFIGURATIONS))
async def test_admin_refuses_bad_fault_configurations(
    admin: httpx.AsyncClient, spiceworks_client: SpiceworksClient, body: bytes, named: str
) -> None:
    before = (await admin.post("/_sandbox/faults", json={"spec": "script=ok"})).json()
    response = await admin.post("/_sandbox/faults", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    message = response.json()["error"]
    assert message.startswith("invalid fault configuration: ")
    assert named in message
    # The faults in force stay as they were, and the APIs keep answering.
    assert (await admin.get("/_sandbox/faults")).json() == before
    assert (await spiceworks_client.users.get_user(1)).user


def test_sandbox_and_faults_run_on_trio() -> None:
    sandbox = Sandbox()
    sandbox.faults.configure(FaultConfig(script=("drop", "slow", "stall"), delay=1, stall=600))

    async def scenario() -> None:
        async with sandbox.spiceworks_client(timeout=30) as client:
            page: Any = await client.tickets.list_tickets()
            assert page.meta.total_count == 300
            with pytest.raises(ApiTimeoutError):
                await client.with_options(retry=NEVER).tickets.list_tickets()

    assert run_in_virtual_time(scenario) == pytest.approx(1 + 30)
    assert sandbox.faults.counts == {"drop": 1, "slow": 1, "stall": 1}
