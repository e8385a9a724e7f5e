"""The exception tree, the status table and what each error carries (``_exceptions.py``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import kloudless_itsm_client.models
import spiceworks_client.models
from itsm_async import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ItsmError,
    KloudlessClient,
    NotFoundError,
    PagingError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
    SpiceworksClient,
    UnprocessableEntityError,
    mismatches,
)
from itsm_async._exceptions import error_class, public_url
from spiceworks_client.types import Unset
from tests import bodies

SPICEWORKS_URL = "https://sw.test"
KLOUDLESS_URL = "https://kl.test/v1"
TICKET_URL = "https://sw.test/api/v1/tickets/42"
INCIDENT_URL = "https://kl.test/v1/accounts/123/itsm/incidents/inc-1"
TOKEN = "sw-secret-token"
API_KEY = "kl-secret-api-key"

Handler = Callable[[httpx.Request], httpx.Response]

STATUS_TABLE: list[tuple[int, type[ApiError]]] = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, ConflictError),
    (422, UnprocessableEntityError),
    (429, RateLimitError),
    (500, ServerError),
    (501, ServerError),
    (502, ServerError),
    (503, ServerError),
    (504, ServerError),
    (520, ServerError),
    (599, ServerError),
    (418, ApiError),
    (402, ApiError),
    (302, ApiError),
    (499, ApiError),
    (600, ApiError),
]


def answer(status: int, body: bytes | Any = b"", headers: dict[str, str] | None = None) -> Handler:
    """A handler answering every request with ``status`` and ``body`` (JSON unless bytes)."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers=headers)

    return handler


def raising(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def spiceworks(handler: Handler) -> SpiceworksClient:
    return SpiceworksClient(
        token=TOKEN, base_url=SPICEWORKS_URL, retry=RetryPolicy.never(), transport=httpx.MockTransport(handler)
    )


def kloudless(handler: Handler) -> KloudlessClient:
    return KloudlessClient(
        account_id="123",
        api_key=API_KEY,
        base_url=KLOUDLESS_URL,
        retry=RetryPolicy.never(),
        transport=httpx.MockTransport(handler),
    )


async def get_ticket_error(handler: Handler) -> ItsmError:
    async with spiceworks(handler) as client:
        with pytest.raises(ItsmError) as caught:
            await client.tickets.get_ticket(42)
    return caught.value


async def get_incident_error(handler: Handler) -> ItsmError:
    async with kloudless(handler) as client:
        with pytest.raises(ItsmError) as caught:
            await client.incidents.get_incident("inc-1")
    return caught.value


# --- the tree and the table ----------------------------------------------------------


def test_the_tree() -> None:
    for cls in (ApiError, ApiConnectionError, ResponseDecodeError, PagingError):
        assert issubclass(cls, ItsmError)
    for _, cls in STATUS_TABLE:
        assert issubclass(cls, ApiError)
    assert issubclass(ApiTimeoutError, ApiConnectionError)
    assert not issubclass(ResponseDecodeError, ApiError)


@pytest.mark.parametrize(("status", "cls"), STATUS_TABLE)
def test_error_class_table(status: int, cls: type[ApiError]) -> None:
    assert error_class(status) is cls


@pytest.mark.parametrize(("status", "cls"), STATUS_TABLE)
async def test_status_through_a_client_call(status: int, cls: type[ApiError]) -> None:
    error = await get_incident_error(answer(status, {"error_code": "e", "message": "went wrong"}))
    assert type(error) is cls
    assert isinstance(error, ApiError)
    assert error.status_code == status
    assert error.method == "GET"
    assert error.url == INCIDENT_URL


@pytest.mark.parametrize("status", [520, 599])
async def test_unknown_5xx_is_a_server_error_with_the_default_policy(status: int) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(status, content=b"origin unreachable")

    async with SpiceworksClient(token=TOKEN, base_url=SPICEWORKS_URL, transport=httpx.MockTransport(handler)) as c:
        with pytest.raises(ServerError) as caught:
            await c.tickets.get_ticket(42)
    assert caught.value.status_code == status
    assert caught.value.body == b"origin unreachable"
    assert caught.value.message == "origin unreachable"
    assert len(requests) == 1  # not in the retry statuses


# --- what an ApiError carries ----------------------------------------------------------


async def test_kloudless_error_body() -> None:
    body = {"error_code": "not_found", "message": "No such incident", "id": "req-1", "status_code": 404}
    error = await get_incident_error(answer(404, body))
    assert isinstance(error, NotFoundError)
    assert error.request_id == "req-1"
    assert error.message == "No such incident"
    assert error.body == json.dumps(body).encode()
    assert isinstance(error.error, kloudless_itsm_client.models.Error)
    assert error.error.to_dict() == body
    assert str(error) == f"GET {INCIDENT_URL} returned 404: No such incident (request id req-1)"
    assert repr(error) == f"NotFoundError(status_code=404, method='GET', url='{INCIDENT_URL}')"


async def test_request_id_header_wins_over_the_body_id() -> None:
    body = {"error_code": "rate_limited", "message": "Slow down", "id": "from-body"}
    error = await get_incident_error(answer(429, body, {"X-Request-Id": "from-header"}))
    assert isinstance(error, RateLimitError)
    assert error.request_id == "from-header"
    assert error.headers["x-request-id"] == "from-header"


async def test_spiceworks_error_body() -> None:
    body = {"error": "Ticket not found", "details": ["id 42 does not exist"]}
    error = await get_ticket_error(answer(404, body, {"X-Request-Id": "sw-req-9"}))
    assert isinstance(error, NotFoundError)
    assert error.request_id == "sw-req-9"
    # The reason the spec's own error body gives in details is in the message too.
    assert error.message == "Ticket not found: id 42 does not exist"
    assert isinstance(error.error, spiceworks_client.models.Error)
    assert error.error.error == "Ticket not found"
    assert error.error.details == ["id 42 does not exist"]
    assert str(error) == f"GET {TICKET_URL} returned 404: Ticket not found: id 42 does not exist (request id sw-req-9)"


async def test_body_id_without_error_code_is_not_a_request_id() -> None:
    error = await get_ticket_error(answer(404, {"error": "gone", "id": 42}))
    assert isinstance(error, ApiError)
    assert error.request_id is None


async def test_html_error_body_is_kept_raw() -> None:
    html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    error = await get_ticket_error(answer(502, html, {"Content-Type": "text/html"}))
    assert isinstance(error, ServerError)
    assert error.error is None
    assert error.body == html
    assert error.message == html.decode()
    assert error.request_id is None


async def test_long_messages_are_truncated() -> None:
    html = b"<p>" + b"x" * 1000 + b"</p>"
    error = await get_ticket_error(answer(500, html))
    assert isinstance(error, ServerError)
    assert error.message == html.decode()[:300] + "..."
    assert error.body == html  # the body itself is whole


async def test_empty_body_uses_the_reason_phrase() -> None:
    error = await get_ticket_error(answer(404))
    assert isinstance(error, NotFoundError)
    assert error.message == "Not Found"
    assert error.body == b""
    assert str(error) == f"GET {TICKET_URL} returned 404: Not Found"


async def test_undocumented_status_has_no_error_model() -> None:
    error = await get_ticket_error(answer(418, {"error": "I'm a teapot"}))
    assert type(error) is ApiError
    assert error.error is None
    assert error.message == "I'm a teapot"


@pytest.mark.parametrize("key", ["message", "error", "detail"])
async def test_message_keys(key: str) -> None:
    error = await get_ticket_error(answer(400, {key: "bad field"}))
    assert isinstance(error, BadRequestError)
    assert error.message == "bad field"


async def test_rate_limit_error_retry_after() -> None:
    with_header = await get_ticket_error(answer(429, {"error": "slow"}, {"Retry-After": "30"}))
    assert isinstance(with_header, RateLimitError)
    assert with_header.retry_after == 30.0
    without = await get_ticket_error(answer(429, {"error": "slow"}))
    assert isinstance(without, RateLimitError)
    assert without.retry_after is None


def test_public_url_drops_userinfo() -> None:
    assert public_url(httpx.URL("https://user:pw@sw.test/api?q=1")) == "https://sw.test/api?q=1"
    assert public_url(httpx.URL("https://sw.test/api")) == "https://sw.test/api"


async def test_errors_name_the_url_without_userinfo() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with SpiceworksClient(
        token=TOKEN, base_url="https://user:hunter2@sw.test", transport=httpx.MockTransport(refused)
    ) as client:
        with pytest.raises(ApiConnectionError) as caught:
            await client.with_options(retry=RetryPolicy.never()).tickets.get_ticket(42)
    assert caught.value.url == TICKET_URL
    assert "hunter2" not in str(caught.value)


# --- 2xx bodies that do not parse -----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        (b"<html>maintenance</html>", ValueError),
        (b"", ValueError),
        (json.dumps(["a", "list"]).encode(), TypeError),
        (json.dumps("a string").encode(), TypeError),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_a_decode_error(body: bytes, cause: type[Exception]) -> None:
    for strict in (True, False):
        async with SpiceworksClient(
            token=TOKEN,
            base_url="https://sw.test",
            transport=httpx.MockTransport(answer(200, body, {"X-Request-Id": "r-7"})),
            strict=strict,
        ) as client:
            with pytest.raises(ResponseDecodeError) as caught:
                await client.tickets.get_ticket(42)
        error = caught.value
        assert error.body == body
        assert error.status_code == 200
        assert error.method == "GET"
        assert error.url == TICKET_URL
        assert error.request_id == "r-7"
        assert error.headers["x-request-id"] == "r-7"
        assert isinstance(error.__cause__, cause)
        assert str(error).startswith(f"GET {TICKET_URL} returned 200 with an unreadable body: ")


# Bodies that are JSON objects but do not fit the schema, and the JSON path of the misfit.
MISFITS = [
    ({"ticket": "not an object"}, "$.ticket", "string 'not an object'"),
    ({"ticket": bodies.ticket(created_at="yesterday")}, "$.ticket.created_at", "string 'yesterday'"),
    ({"ticket": bodies.ticket(due_date="2024-13-45")}, "$.ticket.due_date", "string '2024-13-45'"),
    ({"ticket": bodies.ticket(id="forty-two")}, "$.ticket.id", "string 'forty-two'"),
    ({"ticket": bodies.ticket(id=True)}, "$.ticket.id", "boolean True"),
    ({"ticket": bodies.ticket(summary=7)}, "$.ticket.summary", "integer 7"),
    ({"ticket": bodies.ticket(summary=None)}, "$.ticket.summary", "null"),
    ({"ticket": bodies.ticket(priority=1)}, "$.ticket.priority", "integer 1"),
    ({"ticket": {"id": 42}}, "$.ticket.summary", "absent"),
]


@pytest.mark.parametrize(("body", "path", "got"), MISFITS, ids=[path for _, path, _ in MISFITS])
async def test_a_strict_client_refuses_a_body_that_does_not_fit_naming_the_path(
    body: dict[str, Any], path: str, got: str
) -> None:
    async with SpiceworksClient(
        token=TOKEN, base_url="https://sw.test", transport=httpx.MockTransport(answer(200, body)), strict=True
    ) as client:
        with pytest.raises(ResponseDecodeError) as caught:
            await client.tickets.get_ticket(42)
    assert path in str(caught.value)
    assert (path, got) in [(each[0], each[2]) for each in caught.value.mismatches]


@pytest.mark.parametrize(("body", "path", "got"), MISFITS, ids=[path for _, path, _ in MISFITS])
async def test_a_tolerant_client_keeps_what_does_not_fit_and_records_it(
    body: dict[str, Any], path: str, got: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with SpiceworksClient(
        token=TOKEN, base_url="https://sw.test", transport=httpx.MockTransport(answer(200, body)), strict=False
    ) as client:
        with caplog.at_level(logging.WARNING, logger="itsm_async"):
            result = await client.tickets.get_ticket(42)
            await client.tickets.get_ticket(42)
    assert (path, got) in [(each.path, each.got) for each in mismatches(result)]
    # Nothing the server sent is lost: the body comes back as it came.
    assert result.to_dict() == body
    # One warning per operation and path, however many calls saw it.
    logged = [record for record in caplog.records if getattr(record, "json_path", None) == path]
    assert len(logged) == 1
    assert logged[0].levelno == logging.WARNING
    assert "get_ticket" in logged[0].getMessage()


async def test_a_number_field_accepts_an_integer() -> None:
    body = json.dumps(
        {"device": {"id": 3, "name": "ws-3", "type": "workstation", "disk_gb": 512, "ram_mb": 16384}}
    ).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    async with SpiceworksClient(token=TOKEN, base_url="https://sw.test", transport=httpx.MockTransport(handler)) as sw:
        device = (await sw.devices.get_device(3)).device
    assert not isinstance(device, Unset)
    assert device.disk_gb == 512
    assert device.ram_mb == 16384


# --- no usable response ---------------------------------------------------------------

REQUEST = httpx.Request("GET", TICKET_URL)


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectTimeout("connect timed out", request=REQUEST),
        httpx.ReadTimeout("read timed out", request=REQUEST),
        httpx.WriteTimeout("write timed out", request=REQUEST),
        httpx.PoolTimeout("pool timed out", request=REQUEST),
    ],
)
async def test_timeouts_are_api_timeout_errors(exc: httpx.TimeoutException) -> None:
    error = await get_ticket_error(raising(exc))
    assert type(error) is ApiTimeoutError
    assert error.__cause__ is exc
    assert error.method == "GET"
    assert error.url == TICKET_URL
    assert str(error) == f"GET {TICKET_URL}: timed out ({type(exc).__name__})"


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("connection refused", request=REQUEST),
        httpx.ReadError("connection reset", request=REQUEST),
        httpx.WriteError("broken pipe", request=REQUEST),
        httpx.RemoteProtocolError("illegal status line", request=REQUEST),
        httpx.LocalProtocolError("bad header", request=REQUEST),
        httpx.ProxyError("proxy said no", request=REQUEST),
        httpx.UnsupportedProtocol("no ftp", request=REQUEST),
    ],
)
async def test_transport_failures_are_api_connection_errors(exc: httpx.TransportError) -> None:
    error = await get_ticket_error(raising(exc))
    assert type(error) is ApiConnectionError
    assert error.__cause__ is exc
    assert error.method == "GET"
    assert error.url == TICKET_URL
    assert str(error) == f"GET {TICKET_URL}: {type(exc).__name__}: {exc}"


async def test_undecodable_content_encoding_is_a_connection_error() -> None:
    error = await get_ticket_error(answer(200, b"definitely not gzip", {"Content-Encoding": "gzip"}))
    assert type(error) is ApiConnectionError
    assert isinstance(error.__cause__, httpx.DecodingError)


async def test_connection_errors_on_kloudless_name_the_request() -> None:
    error = await get_incident_error(raising(httpx.ConnectError("refused")))
    assert isinstance(error, ApiConnectionError)
    assert (error.method, error.url) == ("GET", INCIDENT_URL)


# Error bodies as real servers write them, and the reason str(e) must carry.
ERROR_BODIES = [
    ({"errors": [{"title": "Forbidden", "details": "No access to ticket 42"}]}, "Forbidden: No access to ticket 42"),
    ({"errors": [{"title": "Bad", "detail": "one"}, {"message": "two"}]}, "Bad: one; two"),
    ({"error": "Validation failed", "details": {"summary": "is required"}}, "Validation failed: summary: is required"),
    ({"error": "invalid_grant", "error_description": "The token expired"}, "invalid_grant: The token expired"),
    ({"message": "Incident not found", "error_code": "not_found"}, "Incident not found"),
    ({"detail": "Not found."}, "Not found."),
    ({"error": {"message": "nested reason", "code": 7}}, "nested reason"),
    ({"errors": ["first", "second"]}, "first; second"),
]


@pytest.mark.parametrize(("body", "reason"), ERROR_BODIES, ids=[reason for _, reason in ERROR_BODIES])
async def test_an_api_errors_message_carries_the_servers_reason_from_any_common_shape(
    body: dict[str, Any], reason: str
) -> None:
    error = await get_ticket_error(answer(403, body, {"X-Request-Id": "r-9"}))
    assert isinstance(error, ApiError)
    assert error.message == reason
    assert str(error) == f"GET {TICKET_URL} returned 403: {reason} (request id r-9)"
