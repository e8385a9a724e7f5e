"""Every error class of itsm_async is one line on stderr and its own exit status."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

import itsm_async
from itsm_async import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    CredentialError,
    InvalidArgumentError,
    ItsmError,
    NotFoundError,
    PagingError,
    PermissionDeniedError,
    RateLimitError,
    RequestBuildError,
    ResponseDecodeError,
    ServerError,
    UnprocessableEntityError,
)
from itsm_async.cli import EXIT_STATUSES, make_app

TOKEN = "canary-token-51c2"
ENV: dict[str, str | None] = {
    "SPICEWORKS_TOKEN": TOKEN,
    "KLOUDLESS_ACCOUNT_ID": "123",
    "KLOUDLESS_API_KEY": TOKEN,
    "KLOUDLESS_TOKEN": None,
    "SPICEWORKS_BASE_URL": None,
    "KLOUDLESS_BASE_URL": None,
    "ITSM_SANDBOX": None,
}
USAGE, API, CONNECTION, RESPONSE, FAILURE = 2, 3, 4, 5, 1

#: Each error class and the exit status it maps to.
EXPECTED: dict[type[ItsmError], int] = {
    BadRequestError: API,
    AuthenticationError: API,
    PermissionDeniedError: API,
    NotFoundError: API,
    ConflictError: API,
    UnprocessableEntityError: API,
    RateLimitError: API,
    ServerError: API,
    ApiError: API,
    ApiConnectionError: CONNECTION,
    ApiTimeoutError: CONNECTION,
    ResponseDecodeError: RESPONSE,
    PagingError: RESPONSE,
    InvalidArgumentError: USAGE,
    RequestBuildError: FAILURE,
    CredentialError: FAILURE,
    ClientClosedError: FAILURE,
    ItsmError: FAILURE,
}

STATUSES: dict[type[ItsmError], int] = {
    BadRequestError: 400,
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    UnprocessableEntityError: 422,
    RateLimitError: 429,
    ServerError: 503,
    ApiError: 418,
}


def test_every_exported_error_class_has_an_expected_status() -> None:
    exported = {
        value
        for name in itsm_async.__all__
        if isinstance(value := getattr(itsm_async, name), type) and issubclass(value, ItsmError)
    }
    assert exported == set(EXPECTED)
    # The command's own table covers them all (through a base class).
    for kind in exported:
        assert any(issubclass(kind, mapped) for mapped, _ in EXIT_STATUSES), kind


def _run(handler: Callable[[httpx.Request], httpx.Response], *args: str) -> Result:
    app = make_app(transport=httpx.MockTransport(handler))
    return CliRunner().invoke(app, [*args, "--max-attempts", "1"], env=ENV, prog_name="itsm")


def _one_line(result: Result, operation: str, kind: type[BaseException]) -> str:
    assert result.stdout == ""
    assert result.stderr.endswith("\n")
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"itsm: {operation}: {kind.__name__}: "), result.stderr
    assert TOKEN not in result.stderr
    return result.stderr


@pytest.mark.parametrize("kind", list(STATUSES), ids=lambda kind: kind.__name__)
def test_an_error_status_names_the_operation_status_and_reason(kind: type[ApiError]) -> None:
    status = STATUSES[kind]

    def handler(request: httpx.Request) -> httpx.Response:
        # The reason on two lines, and echoing the credential, as a careless server might.
        body = {"message": f"ticket 42 is\nnot available ({request.headers['authorization']})"}
        return httpx.Response(status, json=body, headers={"Retry-After": "0"})

    result = _run(handler, "spiceworks", "tickets", "get", "42")
    assert result.exit_code == EXPECTED[kind]
    line = _one_line(result, "tickets.get_ticket", kind)
    assert f"GET https://community.spiceworks.com/api/v1/tickets/42 returned {status}: " in line
    assert "ticket 42 is not available (Bearer <redacted>)" in line


def _raising(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("kind", "handler", "reason"),
    [
        (ApiConnectionError, _raising(httpx.ConnectError("connection refused")), "ConnectError: connection refused"),
        (ApiTimeoutError, _raising(httpx.ReadTimeout("too slow")), "timed out (ReadTimeout)"),
        (ResponseDecodeError, lambda request: httpx.Response(200, text="<html>oops</html>"), "unreadable body"),
        # The transport raising them: the client passes an ItsmError through as it is.
        (RequestBuildError, _raising(RequestBuildError("list_tickets: cannot build")), "cannot build"),
        (CredentialError, _raising(CredentialError("the token provider failed")), "provider failed"),
        (ClientClosedError, _raising(ClientClosedError("list_tickets: the client is closed")), "closed"),
        (ItsmError, _raising(ItsmError("something else")), "something else"),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_a_failed_call_is_one_line_and_its_status(
    kind: type[ItsmError], handler: Callable[[httpx.Request], httpx.Response], reason: str
) -> None:
    result = _run(handler, "spiceworks", "tickets", "list")
    assert result.exit_code == EXPECTED[kind]
    assert reason in _one_line(result, "tickets.list_tickets", kind)


def test_a_looping_walk_is_a_paging_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = {"objects": [], "count": 0, "page": "2", "next_page": "2", "type": "object_list", "api": "itsm"}
        return httpx.Response(200, json=page)

    result = _run(handler, "kloudless", "incidents", "list", "--all")
    assert result.exit_code == EXPECTED[PagingError]
    assert "led back to page '2'" in _one_line(result, "incidents.list_incidents", PagingError)


def test_a_refused_argument_is_a_usage_error_and_nothing_is_sent() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    result = _run(handler, "spiceworks", "tickets", "list", "--per-page", "0")
    assert result.exit_code == EXPECTED[InvalidArgumentError]
    line = _one_line(result, "tickets.list_tickets", InvalidArgumentError)
    assert "per_page must be between 1 and 100, got 0" in line
    assert sent == []
    bad_url = _run(handler, "spiceworks", "tickets", "list", "--base-url", "ftp://example.com")
    assert bad_url.exit_code == USAGE
    assert "InvalidArgumentError" in bad_url.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["spiceworks", "tickets", "list", "--no-such-option"],
        ["spiceworks", "tickets", "list", "--status", "pending"],
        ["spiceworks", "tickets", "get"],
        ["spiceworks", "tickets", "create"],
        ["spiceworks", "tickets", "get", "not-a-number"],
        ["kloudless", "objects", "list"],
        ["spiceworks", "no-such-resource", "list"],
    ],
)
def test_usage_errors_exit_2_as_typer_does(args: list[str]) -> None:
    result = _run(_raising(AssertionError("nothing is sent")), *args)
    assert result.exit_code == USAGE, result.output
    assert "Traceback" not in result.output


def test_a_missing_credential_is_a_usage_error_naming_the_variable() -> None:
    result = CliRunner().invoke(
        make_app(), ["spiceworks", "tickets", "list"], env={**ENV, "SPICEWORKS_TOKEN": None}, prog_name="itsm"
    )
    assert result.exit_code == USAGE
    assert result.stderr == (
        "itsm: tickets.list_tickets: no token: pass --token (or SPICEWORKS_TOKEN), or use --sandbox\n"
    )


def test_errors_leave_the_output_file_well_formed(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls > 1:
            return httpx.Response(503, json={"message": "down"})
        created = "2024-01-01T00:00:00Z"
        tickets = [
            {"id": 1, "summary": "s", "status": "open", "priority": "low", "created_at": created, "updated_at": created}
        ]
        meta = {"current_page": 1, "total_pages": 3, "total_count": 3, "per_page": 1}
        return httpx.Response(200, json={"tickets": tickets, "meta": meta})

    result = _run(handler, "spiceworks", "tickets", "list", "--all", "--per-page", "1", "-o", str(target))
    assert result.exit_code == API
    assert [item["id"] for item in json.loads(target.read_text())] == [1]
