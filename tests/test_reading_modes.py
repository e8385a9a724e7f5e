"""Tolerant reading by default, strict on request; what the SDKs let users send (as_user, headers, params)."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
import pytest

from itsm_async import InvalidArgumentError, KloudlessClient, ResponseDecodeError, SpiceworksClient, mismatches
from tests import bodies

# What the Spiceworks documentation shows real servers send, where our spec differs.
REAL_TICKET = bodies.ticket(
    7,
    priority=2,
    assignee=None,
    due_date=None,
    sla_breached=False,
)


class Recorder:
    def __init__(self, body: Any) -> None:
        self.body = body
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json=self.body)


def spiceworks(recorder: Recorder, **options: Any) -> SpiceworksClient:
    return SpiceworksClient(token="t", base_url="https://sw.test", transport=recorder.transport, **options)


def kloudless(recorder: Recorder, **options: Any) -> KloudlessClient:
    return KloudlessClient(
        account_id="123", token="t", base_url="https://kl.test/v1", transport=recorder.transport, **options
    )


async def test_a_real_ticket_is_read_with_the_servers_values_and_every_mismatch_recorded() -> None:
    async with spiceworks(Recorder({"ticket": REAL_TICKET}), strict=False) as client:
        result = await client.tickets.get_ticket(7)
    ticket: Any = result.ticket  # what the server sent, whatever the spec says
    assert ticket.priority == 2  # an integer priority stays readable as the server sent it
    assert ticket.assignee is None
    assert ticket.due_date is None
    assert result.to_dict() == {"ticket": REAL_TICKET}
    found = {each.path: (each.expected, each.got) for each in mismatches(result)}
    assert found["$.ticket.priority"][1] == "integer 2"
    assert found["$.ticket.priority"][0].startswith("one of ")
    assert found["$.ticket.assignee"] == ("object", "null")
    assert found["$.ticket.due_date"] == ("date (ISO 8601)", "null")


async def test_a_list_of_real_tickets_logs_one_warning_per_operation_and_path(caplog: pytest.LogCaptureFixture) -> None:
    page = bodies.ticket_page([bodies.ticket(n, priority=n % 3 + 1) for n in range(1, 31)])
    async with spiceworks(Recorder(page), strict=False) as client:
        with caplog.at_level(logging.WARNING, logger="itsm_async"):
            first = await client.tickets.list_tickets()
            await client.tickets.list_tickets(page=2)
    priorities: list[Any] = [ticket.priority for ticket in first.tickets]
    assert priorities[:3] == [2, 3, 1]
    assert len(mismatches(first)) == 30
    priority = [record for record in caplog.records if getattr(record, "json_path", "") == "$.tickets[*].priority"]
    assert len(priority) == 1
    assert "list_tickets" in priority[0].getMessage()


@pytest.mark.parametrize(
    "value",
    [1, 2.5, True, None, ["p1"], {"level": 1}, "p0"],
    ids=["int", "float", "bool", "null", "array", "object", "unknown-string"],
)
async def test_an_unknown_enum_value_of_any_json_type_is_kept(value: object) -> None:
    async with spiceworks(Recorder({"ticket": bodies.ticket(priority=value)}), strict=False) as client:
        result = await client.tickets.get_ticket(42)
    assert result.ticket.priority == value
    assert result.to_dict()["ticket"]["priority"] == value
    assert [each.path for each in mismatches(result)] == ["$.ticket.priority"]


async def test_strict_comes_from_the_client_the_view_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder({"ticket": REAL_TICKET})
    async with spiceworks(recorder, strict=True) as strict_client:
        with pytest.raises(ResponseDecodeError, match=r"\$\.ticket\.priority"):
            await strict_client.tickets.get_ticket(7)
        relaxed: Any = await strict_client.with_options(strict=False).tickets.get_ticket(7)
        assert relaxed.ticket.priority == 2
    monkeypatch.setenv("ITSM_ASYNC_STRICT", "0")
    async with spiceworks(recorder) as client:
        tolerant: Any = await client.tickets.get_ticket(7)
        assert tolerant.ticket.priority == 2
        with pytest.raises(ResponseDecodeError) as caught:
            await client.with_options(strict=True).tickets.get_ticket(7)
    assert ("$.ticket.priority", "integer 2") in [(each[0], each[2]) for each in caught.value.mismatches]
    monkeypatch.setenv("ITSM_ASYNC_STRICT", "1")
    async with spiceworks(recorder) as client:
        with pytest.raises(ResponseDecodeError):
            await client.tickets.get_ticket(7)


async def test_a_missing_envelope_is_recorded_not_silently_empty() -> None:
    async with spiceworks(Recorder({"data": [REAL_TICKET]}), strict=False) as client:
        result = await client.tickets.get_ticket(7)
    assert ("$.ticket", "a required field", "absent") in mismatches(result)
    assert result.to_dict() == {"data": [REAL_TICKET]}


async def test_as_user_sends_the_kloudless_header_from_the_client_and_from_a_view() -> None:
    recorder = Recorder(bodies.kloudless_object())
    async with kloudless(recorder, as_user="u-1") as client:
        await client.incidents.get_incident("inc-1")
        await client.with_options(as_user="u-2").incidents.get_incident("inc-1")
        await client.incidents.get_incident("inc-1")
    assert [request.headers.get("X-Kloudless-As-User") for request in recorder.requests] == ["u-1", "u-2", "u-1"]
    async with kloudless(recorder) as plain:
        await plain.incidents.get_incident("inc-1")
    assert "X-Kloudless-As-User" not in recorder.requests[-1].headers


async def test_per_call_headers_and_params_go_with_a_views_calls_only() -> None:
    recorder = Recorder(bodies.ticket_page([]))
    async with spiceworks(recorder) as client:
        view = client.with_options(headers={"X-Trace": "abc"}, params={"include": "tags", "per_page": "7"})
        await view.tickets.list_tickets(per_page=50)
        await client.tickets.list_tickets()
    traced, plain = recorder.requests
    assert traced.headers["X-Trace"] == "abc"
    assert traced.url.params["include"] == "tags"
    assert traced.url.params["per_page"] == "50"  # the operation's own argument wins
    assert "X-Trace" not in plain.headers
    assert "include" not in plain.url.params


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"strict": "yes"}, "strict"),
        ({"params": {"a": 1}}, "params['a']"),
        ({"params": ["a"]}, "params"),
        ({"headers": {"X-A": 1}}, "headers['X-A']"),
        ({"as_user": ""}, "as_user"),
        ({"as_user": "u\n1"}, "as_user"),
        ({"as_user": True}, "as_user"),
    ],
)
async def test_wrong_view_options_are_refused_naming_them(options: dict[str, Any], named: str) -> None:
    async with kloudless(Recorder({})) as client:
        with pytest.raises(InvalidArgumentError, match="^with_options: " + re.escape(named)):
            client.with_options(**options)
