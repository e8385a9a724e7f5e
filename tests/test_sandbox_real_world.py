"""Real-world mode: the sandbox serves the shapes the live servers send (issue 8), checked as raw HTTP.

Each test reads the bodies through httpx, never through the client's
models, and compares them with the same seed served in the specs' shapes:
what the mode changes is exactly what the issue lists, and nothing else.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import yaml  # type: ignore[import-untyped,unused-ignore]

from itsm_async import SpiceworksClient
from itsm_async.sandbox import IN_PROCESS_URL, FaultConfig, RealWorld, Sandbox, SeedCounts, serve
from itsm_async.sandbox.__main__ import build_parser, real_world
from itsm_async.sandbox._real_world import SPARSE_FIELDS, SPICEWORKS_PAGE_SIZE
from itsm_async.sandbox._specs import SPEC_FILES, find_spec_file

pytest_plugins = ["itsm_async.testing"]

AUTH = {"Authorization": "Bearer t"}
COUNTS = SeedCounts(users=40, tickets=95, devices=60, incidents=23, problems=3, changes=2, articles=2, assets=2)
INCIDENTS = "/v1/accounts/123/itsm/incidents"
SPICEWORKS = yaml.safe_load(find_spec_file(SPEC_FILES["spiceworks"]).read_text(encoding="utf-8"))
SCHEMAS = SPICEWORKS["components"]["schemas"]


def _client(sandbox: Sandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=sandbox.transport(), base_url=IN_PROCESS_URL, headers=AUTH)


@pytest.fixture
async def both() -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """The same seed in the specs' shapes and in the real world's, as raw httpx clients."""
    with Sandbox(counts=COUNTS, check_responses=True) as spec, Sandbox(counts=COUNTS, real_world=True) as real:
        async with _client(spec) as spec_http, _client(real) as real_http:
            yield spec_http, real_http


async def _all(http: httpx.AsyncClient, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a Spiceworks list, page by page up to the meta's page count (either shape)."""
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = (await http.get(path, params={**params, "page": page, "per_page": 100})).json()
        items += body[key]
        meta = body["meta"]
        if page >= meta.get("page_count", meta.get("total_pages")):
            return items
        page += 1


async def test_ticket_priorities_are_integers_in_the_order_of_the_spec_enum(both: Any) -> None:
    spec_http, real_http = both
    levels = SCHEMAS["Ticket"]["properties"]["priority"]["enum"]
    spec_tickets = {t["id"]: t for t in await _all(spec_http, "/api/v1/tickets", "tickets")}
    real_tickets = {t["id"]: t for t in await _all(real_http, "/api/v1/tickets", "tickets")}
    assert spec_tickets.keys() == real_tickets.keys()
    seen: dict[str, set[int]] = {}
    for ticket_id, ticket in real_tickets.items():
        assert type(ticket["priority"]) is int
        seen.setdefault(spec_tickets[ticket_id]["priority"], set()).add(ticket["priority"])
    # One number per level, 1 to 3 as Spiceworks documents them, never lower for a higher level.
    numbers = [seen[level].pop() for level in levels if level in seen]
    assert all(len(values) == 0 for values in seen.values())
    assert numbers == sorted(numbers)
    assert set(numbers) <= {1, 2, 3}
    assert len(set(numbers)) == 3


async def test_unset_ticket_fields_are_null_and_the_rest_as_in_the_spec_shape(both: Any) -> None:
    spec_http, real_http = both
    spec_tickets = {t["id"]: t for t in await _all(spec_http, "/api/v1/tickets", "tickets")}
    real_tickets = {t["id"]: t for t in await _all(real_http, "/api/v1/tickets", "tickets")}
    unassigned = undated = 0
    for ticket_id, real in real_tickets.items():
        spec = spec_tickets[ticket_id]
        assert real["assignee"] == spec.get("assignee")
        assert real["due_date"] == real["due_at"] == spec.get("due_date")
        unassigned += real["assignee"] is None
        undated += real["due_date"] is None
        changed = {"priority", "assignee", "due_date", "due_at"}
        assert {k: v for k, v in real.items() if k not in changed} == {
            k: v for k, v in spec.items() if k not in changed
        }
    assert unassigned, "the seed has unassigned tickets"
    assert undated, "the seed has tickets without a due date"
    detail = (await real_http.get(f"/api/v1/tickets/{next(iter(real_tickets))}")).json()["ticket"]
    assert {"assignee", "due_date", "due_at"} <= detail.keys()
    assert type(detail["priority"]) is int


@pytest.mark.parametrize(("path", "key"), [("/api/v1/devices", "devices"), ("/api/v1/users", "users")])
async def test_devices_and_users_carry_nulls_the_spec_never_allows(both: Any, path: str, key: str) -> None:
    spec_http, real_http = both
    spec_items = {item["id"]: item for item in await _all(spec_http, path, key)}
    real_items = {item["id"]: item for item in await _all(real_http, path, key)}
    schema = SCHEMAS["Device" if key == "devices" else "User"]["properties"]
    for field in SPARSE_FIELDS[key]:
        # The spec's field has no null; the real-world list has some, and only there.
        assert "null" not in json.dumps(schema[field])
        nulls = [item_id for item_id, item in real_items.items() if item[field] is None]
        assert 0 < len(nulls) < len(real_items), field
        for item_id, item in real_items.items():
            assert item[field] in (None, spec_items[item_id][field])
    for item_id, item in real_items.items():
        spec_item = spec_items[item_id]
        assert {k: v for k, v in item.items() if v is not None} == {
            k: v for k, v in spec_item.items() if item.get(k) is not None
        }


async def test_spiceworks_meta_in_the_documented_shape_30_a_page_at_most(both: Any) -> None:
    _, real_http = both
    default = (await real_http.get("/api/v1/tickets")).json()
    assert default["meta"] == {
        "total_entries": COUNTS.tickets,
        "page_count": math.ceil(COUNTS.tickets / SPICEWORKS_PAGE_SIZE),
        "current_page": 1,
        "per_page": SPICEWORKS_PAGE_SIZE,
    }
    assert len(default["tickets"]) == SPICEWORKS_PAGE_SIZE
    # The spec allows up to 100; the live server caps at 30 whatever is asked.
    parameters = SPICEWORKS["paths"]["/api/v1/tickets"]["get"]["parameters"]
    largest = next(p["schema"]["maximum"] for p in parameters if p["name"] == "per_page")
    assert largest > SPICEWORKS_PAGE_SIZE
    capped = (await real_http.get("/api/v1/tickets", params={"per_page": largest})).json()
    assert (len(capped["tickets"]), capped["meta"]["per_page"]) == (SPICEWORKS_PAGE_SIZE, SPICEWORKS_PAGE_SIZE)
    small = (await real_http.get("/api/v1/tickets", params={"per_page": 7, "page": 2})).json()
    assert [t["id"] for t in small["tickets"]] == list(range(8, 15))
    assert small["meta"]["page_count"] == math.ceil(COUNTS.tickets / 7)
    last = (await real_http.get("/api/v1/tickets", params={"page": default["meta"]["page_count"]})).json()
    assert len(last["tickets"]) == COUNTS.tickets % SPICEWORKS_PAGE_SIZE
    walked = await _all(real_http, "/api/v1/tickets", "tickets")
    assert [t["id"] for t in walked] == list(range(1, COUNTS.tickets + 1))


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/api/v1/tickets/999999", None, 404),
        ("GET", "/api/v1/tickets?per_page=101", None, 422),
        ("GET", "/api/v1/tickets?status=pending", None, 422),
        ("POST", "/api/v1/tickets", {"description": "no summary"}, 422),
    ],
)
async def test_spiceworks_errors_in_the_documented_shape(
    both: Any, method: str, path: str, body: Any, status: int
) -> None:
    spec_http, real_http = both
    spec_answer = await spec_http.request(method, path, json=body)
    real_answer = await real_http.request(method, path, json=body)
    # Requests are validated as strictly as ever: the same status, the same reasons.
    assert spec_answer.status_code == real_answer.status_code == status
    spec_error = spec_answer.json()
    assert real_answer.json() == {
        "errors": [{"title": spec_error["error"], "details": detail} for detail in spec_error["details"]]
    }


async def test_spiceworks_401_and_injected_errors_in_the_documented_shape() -> None:
    with Sandbox(counts=COUNTS, real_world=True, faults="script=ok+503") as sandbox:
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url=IN_PROCESS_URL) as http:
            refused = await http.get("/api/v1/tickets")
            assert refused.status_code == 401
            errors = refused.json()["errors"]
            assert errors
            assert errors[0].keys() == {"title", "details"}
            unavailable = await http.get("/api/v1/tickets", headers=AUTH)
            assert unavailable.status_code == 503
            assert unavailable.json()["errors"][0]["title"] == "Service unavailable"


async def _kloudless_walk(
    http: httpx.AsyncClient, path: str, size: int, **filters: str
) -> tuple[list[str], httpx.Response]:
    """Page ``page + 1`` as the official SDKs do, until an empty page or an error; the ids and the last answer."""
    ids: list[str] = []
    page = 1
    while True:
        answer = await http.get(path, params={**filters, "page": page, "page_size": size})
        if answer.status_code != 200 or not answer.json()["objects"]:
            return ids, answer
        body = answer.json()
        assert "next_page" not in body
        assert body["page"] == page
        ids += [item["id"] for item in body["objects"]]
        page += 1


@pytest.mark.parametrize(
    ("path", "filters"), [(INCIDENTS, {}), ("/v1/accounts/123/itsm/objects", {"raw_type": "sys_user"})]
)
async def test_kloudless_pages_by_number_to_a_404_not_found(both: Any, path: str, filters: dict[str, str]) -> None:
    spec_http, real_http = both
    first = (await real_http.get(path, params=filters)).json()
    assert first["page"] == 1
    assert "next_page" not in first
    ids, end = await _kloudless_walk(real_http, path, 5, **filters)
    assert end.status_code == 404
    assert end.json()["error_code"] == "not_found"
    # The same items as the specs' token pages give, each once.
    expected, token = [], None
    while True:
        params = {**filters, "page_size": "50"} | ({"page": token} if token else {})
        body = (await spec_http.get(path, params=params)).json()
        expected += [item["id"] for item in body["objects"]]
        token = body["next_page"]
        if token is None:
            break
    assert ids == expected
    assert len(ids) == first["total"]


async def test_kloudless_pages_can_end_with_an_empty_page() -> None:
    with Sandbox(counts=COUNTS, real_world=RealWorld(kloudless_end="empty")) as sandbox:
        async with _client(sandbox) as http:
            ids, end = await _kloudless_walk(http, INCIDENTS, 10)
            assert end.status_code == 200
            assert end.json()["objects"] == []
            assert end.json()["page"] == math.ceil(COUNTS.incidents / 10) + 1
            assert len(ids) == len(set(ids)) == COUNTS.incidents


@pytest.mark.parametrize("page", ["x", "0", "-1", "1.5", "٣"])
async def test_kloudless_page_numbers_that_are_no_numbers_are_400(both: Any, page: str) -> None:
    _, real_http = both
    answer = await real_http.get(INCIDENTS, params={"page": page})
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "bad_request"


async def test_responses_are_not_checked_against_the_spec() -> None:
    # check_responses would fail on the first integer priority: real-world answers differ on purpose.
    with Sandbox(counts=COUNTS, real_world=True, check_responses=True) as sandbox:
        async with _client(sandbox) as http:
            answer = await http.get("/api/v1/tickets/1")
            assert answer.status_code == 200
            assert type(answer.json()["ticket"]["priority"]) is int


@pytest.mark.parametrize("real", [False, True], ids=["spec", "real-world"])
async def test_a_server_ignoring_page_serves_page_1_without_meta(real: bool) -> None:
    faults = FaultConfig(rates={"ignore_page": 1.0}, path_contains="/api/v1/tickets")
    with Sandbox(counts=COUNTS, real_world=real, faults=faults) as sandbox:
        async with _client(sandbox) as http:
            pages = [(await http.get("/api/v1/tickets", params={"page": n, "per_page": 10})).json() for n in (1, 2, 7)]
            assert all("meta" not in page for page in pages)
            assert [t["id"] for t in pages[0]["tickets"]] == list(range(1, 11))
            assert pages[0] == pages[1] == pages[2]
            # Other paths page as ever.
            devices = (await http.get("/api/v1/devices", params={"page": 2, "per_page": 10})).json()
            assert [d["id"] for d in devices["devices"]] == list(range(11, 21))
            assert "meta" in devices
        assert sandbox.stats.faults["ignore_page"] == 3


def test_the_command_line_options() -> None:
    assert real_world(build_parser().parse_args([])) is False
    assert real_world(build_parser().parse_args(["--real-world"])) == RealWorld()
    chosen = real_world(build_parser().parse_args(["--real-world", "--kloudless-end", "empty"]))
    assert chosen == RealWorld(kloudless_end="empty")
    with pytest.raises(ValueError, match="kloudless_end"):
        RealWorld(kloudless_end="never")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="real_world"):
        Sandbox(real_world="yes")  # type: ignore[arg-type]


def test_the_command_line_refuses_an_end_without_the_mode(capsys: pytest.CaptureFixture[str]) -> None:
    from itsm_async.sandbox.__main__ import main

    with pytest.raises(SystemExit) as caught:
        main(["--kloudless-end", "empty"])
    assert caught.value.code == 2
    assert "--real-world" in capsys.readouterr().err


def test_served_with_real_world_over_http() -> None:
    with serve("--real-world", "--tickets", "40", "--users", "10") as root, httpx.Client(base_url=root) as http:
        body = http.get("/api/v1/tickets", params={"per_page": 100}, headers=AUTH).json()
        assert body["meta"] == {"total_entries": 40, "page_count": 2, "current_page": 1, "per_page": 30}
        assert {type(ticket["priority"]) for ticket in body["tickets"]} == {int}
        assert http.get(f"{root}/v1/accounts/123/itsm/incidents", params={"page": 999}, headers=AUTH).status_code == 404


class TestThroughTheFixtures:
    """``itsm_sandbox_options`` turns the mode on for the fixtures, parametrized like any option."""

    @pytest.fixture(params=[{}, {"real_world": True}], ids=["spec", "real-world"])
    def itsm_sandbox_options(self, request: pytest.FixtureRequest) -> dict[str, Any]:
        options: dict[str, Any] = request.param
        return options

    async def test_the_option_reaches_the_sandbox_and_the_client_fixture(
        self, itsm_sandbox: Sandbox, spiceworks_client: SpiceworksClient, itsm_sandbox_options: dict[str, Any]
    ) -> None:
        assert (itsm_sandbox.real_world is not None) == bool(itsm_sandbox_options)
        # The suite reads strictly (conftest); real-world bodies are read tolerantly, as users' clients do.
        raw = await spiceworks_client.with_options(strict=False).tickets.list_tickets_raw()
        body = json.loads(raw.content)
        if itsm_sandbox.real_world is None:
            assert set(body["meta"]) == set(SCHEMAS["PaginationMeta"]["required"])
        else:
            assert set(body["meta"]) == {"total_entries", "page_count", "current_page", "per_page"}
