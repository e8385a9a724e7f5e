"""The sandbox at the HTTP level: credentials, validation, error bodies, request ids, conformance."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import anyio.lowlevel
import httpx
import pytest

from itsm_async import KloudlessClient, NotFoundError, SpiceworksClient, UnprocessableEntityError
from itsm_async.sandbox import IN_PROCESS_URL, Sandbox
from itsm_async.sandbox._specs import load_spec
from itsm_async.sandbox._validation import SpecRequest, SpecResponse, response_errors
from spiceworks_client.models import TicketCreate

pytest_plugins = ["itsm_async.testing"]

SPICEWORKS_AUTH = {"Authorization": "Bearer any-token"}
KLOUDLESS_AUTH = {"Authorization": "APIKey any-key"}
INCIDENTS = "/v1/accounts/123/itsm/incidents"


@pytest.fixture
async def http(itsm_sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A bare httpx client of the sandbox: it sends exactly what a test says."""
    async with httpx.AsyncClient(transport=itsm_sandbox.transport(), base_url=IN_PROCESS_URL) as client:
        yield client


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer "}, {"Authorization": "APIKey key"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
)
async def test_spiceworks_requires_a_bearer_token(http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await http.get("/api/v1/tickets", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body.keys() == {"error", "details"}
    assert body["details"]
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "APIKey "}, {"Authorization": "Token abc"}])
async def test_kloudless_requires_a_bearer_token_or_api_key(http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await http.get(INCIDENTS, headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body.keys() == {"error_code", "message", "id", "status_code"}
    assert (body["error_code"], body["status_code"]) == ("unauthorized", 401)
    assert body["id"] == response.headers["x-request-id"]


@pytest.mark.parametrize("scheme", ["Bearer", "APIKey", "apikey"])
async def test_kloudless_accepts_both_schemes(http: httpx.AsyncClient, scheme: str) -> None:
    response = await http.get(INCIDENTS, headers={"Authorization": f"{scheme} secret"})
    assert response.status_code == 200


async def test_unauthenticated_request_to_unknown_path_is_401(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/v1/printers")).status_code == 401
    assert (await http.get("/api/v1/printers", headers=SPICEWORKS_AUTH)).status_code == 404


async def test_every_response_has_a_unique_request_id(http: httpx.AsyncClient) -> None:
    responses = [
        await http.get("/api/v1/tickets", headers=SPICEWORKS_AUTH),
        await http.get("/api/v1/tickets/abc", headers=SPICEWORKS_AUTH),
        await http.get(INCIDENTS),
        await http.get("/_sandbox/stats"),
        await http.get("/nowhere"),
    ]
    ids = [response.headers["x-request-id"] for response in responses]
    assert len(set(ids)) == len(ids)


async def test_wrong_method_is_405(http: httpx.AsyncClient) -> None:
    response = await http.delete("/api/v1/tickets/1", headers=SPICEWORKS_AUTH)
    assert response.status_code == 405
    assert response.json()["error"].startswith("DELETE is not allowed")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/tickets?per_page=101", "per_page"),
        ("/api/v1/tickets?status=pending", "status"),
        ("/api/v1/tickets?assigned_to=me", "assigned_to"),
        ("/api/v1/tickets/abc", "'id'"),
        ("/api/v1/devices?type=toaster", "type"),
        ("/api/v1/users?role=owner", "role"),
        ("/api/v1/users/1.5", "'id'"),
    ],
)
async def test_spiceworks_invalid_parameters_are_422(http: httpx.AsyncClient, path: str, field: str) -> None:
    response = await http.get(path, headers=SPICEWORKS_AUTH)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "Validation failed"
    assert any(field in detail for detail in body["details"]), body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "summary"),
        ({"summary": "x" * 256}, "summary"),
        ({"summary": "ok", "priority": "whenever"}, "priority"),
        ({"summary": "ok", "assignee_id": "two"}, "assignee_id"),
        ({"summary": "ok", "due_date": "next week"}, "due_date"),
    ],
)
async def test_spiceworks_invalid_bodies_are_422(http: httpx.AsyncClient, body: dict[str, object], field: str) -> None:
    response = await http.post("/api/v1/tickets", json=body, headers=SPICEWORKS_AUTH)
    assert response.status_code == 422
    assert any(field in detail for detail in response.json()["details"]), response.json()


async def test_spiceworks_missing_or_broken_body_is_422(http: httpx.AsyncClient) -> None:
    missing = await http.post("/api/v1/tickets", headers=SPICEWORKS_AUTH)
    broken = await http.post(
        "/api/v1/tickets", content=b"{not json", headers={**SPICEWORKS_AUTH, "Content-Type": "application/json"}
    )
    assert (missing.status_code, broken.status_code) == (422, 422)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"{INCIDENTS}?page_size=0", None),
        ("GET", f"{INCIDENTS}?page_size=1001", None),
        ("GET", f"{INCIDENTS}?page_size=ten", None),
        ("POST", INCIDENTS, {"escalation": "high"}),
        ("POST", INCIDENTS, {"impact": "huge"}),
        ("POST", INCIDENTS, {"due_date": "tomorrow"}),
        ("PATCH", "/v1/accounts/123/itsm/changes/x", {"status": "closed"}),
        ("GET", "/v1/accounts/123/itsm/objects", None),
        ("POST", "/v1/accounts/123/itsm/objects", {"name": "x"}),
        ("GET", "/v1/accounts/123/itsm/objects/F1", None),
        ("DELETE", "/v1/accounts/123/itsm/objects/F1", None),
    ],
)
async def test_kloudless_invalid_input_is_422(
    http: httpx.AsyncClient, method: str, path: str, body: dict[str, object] | None
) -> None:
    response = await http.request(method, path, json=body, headers=KLOUDLESS_AUTH)
    assert response.status_code == 422
    error = response.json()
    assert (error["error_code"], error["status_code"]) == ("invalid_request", 422)
    assert error["id"] == response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        # "incident:²" and "after:²", base64url: unicode digits are no digits of an id or token.
        (f"{INCIDENTS}/FaW5jaWRlbnQ6wrI", 404, "not_found"),
        ("/v1/accounts/123/itsm/objects/Fb2JqZWN0OsKy?raw_type=sys_user", 404, "not_found"),
        (f"{INCIDENTS}?page=YWZ0ZXI6wrI", 400, "bad_request"),
    ],
)
async def test_crafted_ids_and_page_tokens_are_api_errors(
    http: httpx.AsyncClient, path: str, status: int, code: str
) -> None:
    response = await http.get(path, headers=KLOUDLESS_AUTH)
    assert response.status_code == status
    error = response.json()
    assert (error["error_code"], error["status_code"]) == (code, status)
    assert error["id"] == response.headers["x-request-id"]


async def test_raw_type_is_required_on_generic_objects(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/accounts/123/itsm/objects", headers=KLOUDLESS_AUTH)
    assert response.status_code == 422
    assert "raw_type" in response.json()["message"]


async def test_clients_see_422_as_typed_errors(
    spiceworks_client: SpiceworksClient, kloudless_client: KloudlessClient
) -> None:
    # Out-of-range page sizes are refused before sending now; what the
    # client does not check (string lengths), the sandbox does.
    with pytest.raises(UnprocessableEntityError):
        await spiceworks_client.tickets.create_ticket(body=TicketCreate(summary="s" * 300))
    with pytest.raises(NotFoundError) as caught:
        await kloudless_client.incidents.get_incident("no-such-incident")
    assert caught.value.request_id == caught.value.headers["x-request-id"]


@pytest.mark.parametrize(
    ("api", "method", "path", "body", "auth"),
    [
        ("spiceworks", "GET", "/api/v1/tickets?per_page=100", None, SPICEWORKS_AUTH),
        ("spiceworks", "POST", "/api/v1/tickets", {"summary": "VPN down"}, SPICEWORKS_AUTH),
        ("spiceworks", "GET", "/api/v1/tickets/12", None, SPICEWORKS_AUTH),
        ("spiceworks", "PUT", "/api/v1/tickets/12", {"status": "closed"}, SPICEWORKS_AUTH),
        ("spiceworks", "GET", "/api/v1/tickets/12/comments", None, SPICEWORKS_AUTH),
        ("spiceworks", "POST", "/api/v1/tickets/12/comments", {"body": "Done"}, SPICEWORKS_AUTH),
        ("spiceworks", "GET", "/api/v1/devices?per_page=100", None, SPICEWORKS_AUTH),
        ("spiceworks", "GET", "/api/v1/devices/2", None, SPICEWORKS_AUTH),
        ("spiceworks", "GET", "/api/v1/users", None, SPICEWORKS_AUTH),
        ("spiceworks", "GET", "/api/v1/users/1", None, SPICEWORKS_AUTH),
        ("spiceworks", "GET", "/api/v1/tickets/0", None, SPICEWORKS_AUTH),
        ("spiceworks", "GET", "/api/v1/tickets", None, {}),
        ("spiceworks", "GET", "/api/v1/tickets?page=x", None, SPICEWORKS_AUTH),
        ("kloudless", "GET", f"{INCIDENTS}?page_size=100", None, {**KLOUDLESS_AUTH, "X-Kloudless-Raw-Data": "true"}),
        ("kloudless", "GET", "/v1/accounts/123/itsm/changes?page_size=100", None, KLOUDLESS_AUTH),
        ("kloudless", "GET", "/v1/accounts/123/itsm/problems?page_size=100", None, KLOUDLESS_AUTH),
        ("kloudless", "GET", "/v1/accounts/123/itsm/articles?page_size=100", None, KLOUDLESS_AUTH),
        ("kloudless", "GET", "/v1/accounts/123/itsm/assets?page_size=100", None, KLOUDLESS_AUTH),
        ("kloudless", "GET", "/v1/accounts/123/itsm/objects?raw_type=cmdb_ci_server", None, KLOUDLESS_AUTH),
        ("kloudless", "POST", "/v1/accounts/123/itsm/objects?raw_type=sys_user", {"name": "x"}, KLOUDLESS_AUTH),
        ("kloudless", "POST", INCIDENTS, {"description": "x"}, KLOUDLESS_AUTH),
        ("kloudless", "GET", f"{INCIDENTS}/nope", None, KLOUDLESS_AUTH),
        ("kloudless", "GET", INCIDENTS, None, {}),
    ],
)
async def test_responses_conform_to_the_specs(
    http: httpx.AsyncClient, api: str, method: str, path: str, body: dict[str, str] | None, auth: dict[str, str]
) -> None:
    """Checked here with openapi-core's response validation, independently of ``check_responses``."""
    response = await http.request(method, path, json=body, headers=auth)
    spec = load_spec("spiceworks" if api == "spiceworks" else "kloudless")
    url = httpx.URL(path)
    request = SpecRequest(
        spec,
        method=method,
        path=url.path,
        query=list(url.params.multi_items()),
        headers=list(response.request.headers.items()),
        body=response.request.content,
    )
    assert (
        response_errors(
            spec, request, SpecResponse(response.status_code, list(response.headers.items()), response.content)
        )
        == []
    )


def test_response_check_finds_what_breaks_the_spec() -> None:
    spec = load_spec("spiceworks")
    request = SpecRequest(spec, method="GET", path="/api/v1/users/1", headers=list(SPICEWORKS_AUTH.items()))
    headers = [("content-type", "application/json")]
    good = b'{"user": {"id": 1, "role": "admin", "email": "a@b.example", "first_name": "A", "last_name": "B"}}'
    bad = b'{"user": {"id": "one", "role": "owner"}}'
    assert response_errors(spec, request, SpecResponse(200, headers, good)) == []
    errors = response_errors(spec, request, SpecResponse(200, headers, bad))
    assert any("user.id" in line for line in errors)
    assert any("user.role" in line for line in errors)
    assert response_errors(spec, request, SpecResponse(418, headers, b"{}"))


async def test_a_body_that_is_not_utf8_is_a_422_not_a_crash() -> None:
    # Regression: openapi-core's message for an undecodable body raised UnicodeDecodeError (a 500).
    with Sandbox() as sandbox:
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url=IN_PROCESS_URL) as http:
            response = await http.post(
                "/api/v1/tickets",
                content=b"\x96\xf3\x00 not json",
                headers={"Authorization": "Bearer t", "Content-Type": "application/json"},
            )
    assert response.status_code == 422
    assert response.json()["error"] == "Validation failed"


async def test_in_process_requests_let_other_tasks_run() -> None:
    # Regression: in process nothing suspended, so a long walk starved other tasks and
    # asyncio kept every request's cancelled timeout timer until the walk ended.
    ticks = 0
    walking = True

    async def ticker() -> None:
        nonlocal ticks
        while walking:
            ticks += 1
            await anyio.lowlevel.checkpoint()

    with Sandbox() as sandbox:
        async with sandbox.spiceworks_client() as client, anyio.create_task_group() as group:
            group.start_soon(ticker)
            for number in range(1, 6):
                await client.tickets.list_tickets(page=number, per_page=10)
            walking = False
    assert ticks >= 5
