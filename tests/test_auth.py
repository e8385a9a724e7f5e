"""Static credentials, token providers and the one-refresh-on-401 flow (``_auth.py``)."""

from __future__ import annotations

import json
from collections.abc import Callable

import anyio
import anyio.lowlevel
import httpx
import pytest

from itsm_async import (
    ApiConnectionError,
    AuthenticationError,
    CredentialError,
    InvalidArgumentError,
    ItsmError,
    KloudlessClient,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
    SpiceworksClient,
)
from itsm_async._auth import HeaderAuth, api_key_auth, bearer_auth
from spiceworks_client.models import TicketCreate

SPICEWORKS_URL = "https://sw.test"
KLOUDLESS_URL = "https://kl.test/v1"
TOKEN = "sw-secret-token"
API_KEY = "kl-secret-api-key"
#: Bodies with every field the specs say the APIs always return.
WHEN = "2024-05-01T09:00:00+00:00"
HREF = "https://kl.test/v1/accounts/123/itsm/incidents/inc-1"
TICKET = {
    "ticket": {
        "id": 42,
        "summary": "Printer on fire",
        "status": "open",
        "priority": "high",
        "created_at": WHEN,
        "updated_at": WHEN,
    }
}
CREATED = {
    "ticket": {
        "id": 7,
        "summary": "New",
        "status": "open",
        "priority": "medium",
        "created_at": WHEN,
        "updated_at": WHEN,
    }
}
INCIDENT = {"id": "inc-1", "created": WHEN, "modified": WHEN, "type": "incident", "api": "itsm", "href": HREF}
UNAUTHORIZED = {"error": "token expired"}


class Provider:
    """A token provider handing out ``fresh-1``, ``fresh-2``, ... and counting its calls."""

    def __init__(self, prefix: str = "fresh") -> None:
        self.prefix = prefix
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        await anyio.lowlevel.checkpoint()  # a real provider awaits I/O: let other tasks run meanwhile
        return f"{self.prefix}-{self.calls}"


class Server:
    """Answers 401 unless the Authorization header is one of ``accepted``; records requests."""

    def __init__(self, *accepted: str, body: object = None, status: int = 200) -> None:
        self.accepted = accepted
        self.body = TICKET if body is None else body
        self.status = status
        self.requests: list[httpx.Request] = []
        # The auth flow replays the same Request object with a new header, so
        # the header is copied as it was when each request arrived.
        self.authorizations: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.authorizations.append(request.headers.get("Authorization"))
        if request.headers.get("Authorization") in self.accepted:
            return httpx.Response(self.status, json=self.body)
        return httpx.Response(401, json=UNAUTHORIZED)


def spiceworks(server: Server, token: object) -> SpiceworksClient:
    return SpiceworksClient(
        token=token,  # type: ignore[arg-type]
        base_url=SPICEWORKS_URL,
        transport=httpx.MockTransport(server),
    )


async def test_static_token_is_sent_as_bearer() -> None:
    server = Server(f"Bearer {TOKEN}")
    async with spiceworks(server, TOKEN) as client:
        await client.tickets.get_ticket(42)
        await client.tickets.get_ticket(43)
    assert server.authorizations == [f"Bearer {TOKEN}", f"Bearer {TOKEN}"]


async def test_static_token_401_raises_without_retrying() -> None:
    server = Server()
    async with spiceworks(server, TOKEN) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.tickets.get_ticket(42)
    assert server.authorizations == [f"Bearer {TOKEN}"]
    assert caught.value.status_code == 401
    assert caught.value.message == "token expired"


async def test_provider_is_called_once_for_many_calls() -> None:
    provider = Provider()
    server = Server("Bearer fresh-1")
    async with spiceworks(server, provider) as client:
        assert provider.calls == 0  # lazily, on the first request
        for ticket_id in (1, 2, 3):
            await client.tickets.get_ticket(ticket_id)
    assert provider.calls == 1
    assert server.authorizations == ["Bearer fresh-1"] * 3


async def test_401_refreshes_once_and_replays() -> None:
    provider = Provider()
    server = Server("Bearer fresh-2")
    async with spiceworks(server, provider) as client:
        result = await client.tickets.get_ticket(42)
        assert result.to_dict() == TICKET
        # The refreshed token is kept for later calls.
        await client.tickets.get_ticket(43)
    assert provider.calls == 2
    assert server.authorizations == ["Bearer fresh-1", "Bearer fresh-2", "Bearer fresh-2"]
    assert [request.url.path for request in server.requests] == [
        "/api/v1/tickets/42",
        "/api/v1/tickets/42",
        "/api/v1/tickets/43",
    ]


async def test_refresh_replays_the_request_body() -> None:
    provider = Provider()
    server = Server("Bearer fresh-2", body=CREATED, status=201)
    async with spiceworks(server, provider) as client:
        created = await client.tickets.create_ticket(body=TicketCreate(summary="New"))
    assert created.to_dict() == CREATED
    assert [request.method for request in server.requests] == ["POST", "POST"]
    assert [json.loads(request.content) for request in server.requests] == [
        {"summary": "New", "priority": "medium"}
    ] * 2


async def test_second_401_raises_without_a_loop() -> None:
    provider = Provider()
    server = Server()  # rejects every token
    async with spiceworks(server, provider) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.tickets.get_ticket(42)
    assert provider.calls == 2
    assert server.authorizations == ["Bearer fresh-1", "Bearer fresh-2"]
    assert caught.value.status_code == 401


async def test_concurrent_401s_refresh_once() -> None:
    calls = 5
    provider = Provider()
    stale_arrived = anyio.Event()
    stale_count = 0
    requests: list[str | None] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal stale_count
        authorization = request.headers.get("Authorization")
        requests.append(authorization)
        if authorization == "Bearer fresh-1":
            # Hold every stale request until all have arrived, so that all
            # of them get their 401 and ask for a refresh at the same time.
            stale_count += 1
            if stale_count == calls:
                stale_arrived.set()
            await stale_arrived.wait()
            return httpx.Response(401, json=UNAUTHORIZED)
        return httpx.Response(200, json=TICKET)

    results: list[object] = []
    async with SpiceworksClient(token=provider, base_url=SPICEWORKS_URL, transport=httpx.MockTransport(handler)) as c:

        async def call(ticket_id: int) -> None:
            results.append(await c.tickets.get_ticket(ticket_id))

        with anyio.fail_after(5):
            async with anyio.create_task_group() as group:
                for ticket_id in range(calls):
                    group.start_soon(call, ticket_id)

    assert provider.calls == 2
    assert len(results) == calls
    assert sorted(requests, key=str) == ["Bearer fresh-1"] * calls + ["Bearer fresh-2"] * calls


async def test_api_key_is_sent_with_its_scheme() -> None:
    server = Server(f"APIKey {API_KEY}", body=INCIDENT)
    async with KloudlessClient(
        account_id="123", api_key=API_KEY, base_url=KLOUDLESS_URL, transport=httpx.MockTransport(server)
    ) as client:
        incident = await client.incidents.get_incident("inc-1")
    assert incident.id == "inc-1"
    assert server.authorizations == [f"APIKey {API_KEY}"]


async def test_kloudless_token_is_sent_as_bearer() -> None:
    server = Server(f"Bearer {TOKEN}", body=INCIDENT)
    async with KloudlessClient(
        account_id="123", token=TOKEN, base_url=KLOUDLESS_URL, transport=httpx.MockTransport(server)
    ) as client:
        await client.incidents.get_incident("inc-1")
    assert server.authorizations == [f"Bearer {TOKEN}"]


async def test_api_key_provider_refreshes_on_401() -> None:
    provider = Provider("key")
    server = Server("APIKey key-2", body=INCIDENT)
    async with KloudlessClient(
        account_id="123", api_key=provider, base_url=KLOUDLESS_URL, transport=httpx.MockTransport(server)
    ) as client:
        await client.incidents.get_incident("inc-1")
    assert server.authorizations == ["APIKey key-1", "APIKey key-2"]


def test_empty_static_credential_is_rejected() -> None:
    with pytest.raises(ValueError, match="empty"):
        bearer_auth("")
    with pytest.raises(ValueError, match="empty"):
        SpiceworksClient(token="")


@pytest.mark.parametrize(
    ("returned", "reason"),
    [
        ("", "it is empty"),
        ("   ", "whitespace"),
        ("tok\r\nX-Injected: 1", "whitespace or a line break"),
        ("t\u00f6ken", "non-ASCII"),
        (None, "returned NoneType, not a str"),
        (123, "returned int, not a str"),
        (b"token", "returned bytes, not a str"),
    ],
)
async def test_provider_returning_no_usable_token_is_a_credential_error(returned: object, reason: str) -> None:
    server = Server()

    async def provider() -> object:
        return returned

    async with spiceworks(server, provider) as client:
        with pytest.raises(CredentialError) as caught:
            await client.tickets.get_ticket(42)
    assert type(caught.value) is CredentialError  # not wrapped by httpx or the client
    assert isinstance(caught.value, ItsmError)
    assert reason in str(caught.value)
    assert "token provider" in str(caught.value)
    assert "nothing was sent" in str(caught.value)
    if isinstance(returned, str) and returned.strip():
        assert returned not in str(caught.value)
    assert server.requests == []


async def test_provider_that_raises_is_a_credential_error_with_the_cause() -> None:
    server = Server()
    failure = RuntimeError("vault unreachable, last token was sw-leaked-token")

    async def provider() -> str:
        raise failure

    async with spiceworks(server, provider) as client:
        with pytest.raises(CredentialError) as caught:
            await client.tickets.get_ticket(42)
    assert type(caught.value) is CredentialError
    assert caught.value.__cause__ is failure
    assert "token provider" in str(caught.value)
    assert "raised RuntimeError" in str(caught.value)
    # The provider's message may hold a credential: it stays in the cause only.
    assert "sw-leaked-token" not in str(caught.value)
    assert server.requests == []


async def test_provider_failing_on_refresh_is_a_credential_error() -> None:
    server = Server()  # rejects fresh-1, so the provider is asked again
    calls = 0

    def provider() -> str:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise OSError("refresh endpoint down")
        return "fresh-1"

    async with spiceworks(server, provider) as client:
        with pytest.raises(CredentialError) as caught:
            await client.tickets.get_ticket(42)
    assert isinstance(caught.value.__cause__, OSError)
    assert server.authorizations == ["Bearer fresh-1"]


async def test_api_key_provider_failure_names_api_key() -> None:
    async def provider() -> str:
        raise KeyError("KLOUDLESS_KEY")

    async with KloudlessClient(
        account_id="123", api_key=provider, base_url=KLOUDLESS_URL, transport=httpx.MockTransport(Server())
    ) as client:
        with pytest.raises(CredentialError, match="api_key provider"):
            await client.incidents.get_incident("inc-1")


class SyncProvider:
    """A plain (not async) token provider handing out ``sync-1``, ``sync-2``, ..."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return f"sync-{self.calls}"


async def test_sync_provider_is_called_and_refreshed() -> None:
    provider = SyncProvider()
    server = Server("Bearer sync-2")
    async with spiceworks(server, provider) as client:
        await client.tickets.get_ticket(42)
        await client.tickets.get_ticket(43)
    assert provider.calls == 2
    assert server.authorizations == ["Bearer sync-1", "Bearer sync-2", "Bearer sync-2"]


async def test_provider_may_return_any_awaitable() -> None:
    async def fetch() -> str:
        await anyio.lowlevel.checkpoint()
        return "lambda-token"

    server = Server("Bearer lambda-token")
    async with spiceworks(server, lambda: fetch()) as client:
        await client.tickets.get_ticket(42)
    assert server.authorizations == ["Bearer lambda-token"]


def needs_an_argument(scope: str) -> str:
    return scope


INVALID_CREDENTIALS: list[tuple[object, str]] = [
    (None, "is required"),
    (123, "got int"),
    (1.5, "got float"),
    (True, "got bool"),
    (object(), "got object"),
    (["tok"], "got list"),
    ("", "it is empty"),
    (b"x", "not bytes: decode it first"),
    (bytearray(b"x"), "not bytearray"),
    ("sw secret", "whitespace or a line break at index 2"),
    ("sw-secret\n", "whitespace or a line break at index 9"),
    ("sw-secret\r\nX-Injected: yes", "whitespace or a line break at index 9"),
    ("sw\tsecret", "whitespace or a line break"),
    ("sw-s\u00e9cret", "non-ASCII character at index 4"),
    ("sw\x00secret", "control or non-ASCII character"),
    (needs_an_argument, "needs arguments"),
]


MAKERS: dict[str, tuple[Callable[[object], object], str]] = {
    "bearer_auth": (bearer_auth, "token"),  # type: ignore[dict-item]
    "api_key_auth": (api_key_auth, "api_key"),  # type: ignore[dict-item]
    "SpiceworksClient": (lambda value: SpiceworksClient(token=value), "token"),  # type: ignore[arg-type]
    "KloudlessClient-token": (lambda value: KloudlessClient(account_id="1", token=value), "token"),  # type: ignore[arg-type]
    "KloudlessClient-api_key": (lambda value: KloudlessClient(account_id="1", api_key=value), "api_key"),  # type: ignore[arg-type]
}


@pytest.mark.parametrize(("credential", "reason"), INVALID_CREDENTIALS)
@pytest.mark.parametrize("maker", sorted(MAKERS))
def test_invalid_credentials_are_refused_at_construction(maker: str, credential: object, reason: str) -> None:
    make, parameter = MAKERS[maker]
    if credential is None and maker.startswith("KloudlessClient"):
        return  # there None means "not given": the client's choice between token and api_key
    with pytest.raises(InvalidArgumentError) as caught:
        make(credential)
    message = str(caught.value)
    assert message.startswith(f"{parameter} "), message
    assert reason in message
    assert "callable returning one" in message
    if isinstance(credential, str) and credential:
        assert credential not in message  # a near-miss credential is still a secret


def test_invalid_credential_errors_are_also_type_and_value_errors() -> None:
    with pytest.raises(TypeError, match="token"):
        bearer_auth(123)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="token"):
        bearer_auth("a b")


def test_header_auth_names_the_given_parameter() -> None:
    with pytest.raises(InvalidArgumentError, match=r"^credential "):
        HeaderAuth("Bearer", "")
    with pytest.raises(InvalidArgumentError, match=r"^access_token "):
        bearer_auth("", name="access_token")
    with pytest.raises(InvalidArgumentError, match=r"^key "):
        api_key_auth(None, name="key")  # type: ignore[arg-type]


def test_every_visible_ascii_character_is_a_valid_credential() -> None:
    visible = "".join(chr(code) for code in range(0x21, 0x7F))
    assert bearer_auth(visible).redact(f"x {visible} y") == "x <redacted> y"


def test_sync_use_is_refused() -> None:
    with (
        httpx.Client(auth=bearer_auth(TOKEN), transport=httpx.MockTransport(Server())) as http,
        pytest.raises(RuntimeError, match="async-only"),
    ):
        http.get("https://sw.test/")


def test_auth_repr_never_shows_the_secret() -> None:
    static = bearer_auth(TOKEN)
    assert repr(static) == "HeaderAuth(scheme='Bearer', credential=<static, redacted>)"
    assert TOKEN not in str(static)
    key = api_key_auth(API_KEY)
    assert repr(key) == "HeaderAuth(scheme='APIKey', credential=<static, redacted>)"
    assert API_KEY not in repr(key)
    assert repr(HeaderAuth("Bearer", Provider())) == "HeaderAuth(scheme='Bearer', credential=<provider, redacted>)"


async def test_client_repr_never_shows_the_secret() -> None:
    async with SpiceworksClient(token=TOKEN, base_url=SPICEWORKS_URL) as sw:
        assert repr(sw) == "SpiceworksClient(base_url='https://sw.test')"
        assert TOKEN not in repr(sw)
        assert TOKEN not in str(sw)
    async with KloudlessClient(account_id="123", api_key=API_KEY, base_url=KLOUDLESS_URL) as kl:
        assert repr(kl) == "KloudlessClient(account_id='123', base_url='https://kl.test/v1/')"
        assert API_KEY not in repr(kl)


async def test_exceptions_never_show_the_secret() -> None:
    def connect_error(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def broken_json(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<html>", headers={"X-Request-Id": "r-1"})

    errors: list[Exception] = []
    for handler in (Server(), connect_error, broken_json):
        async with SpiceworksClient(
            token=TOKEN, base_url=SPICEWORKS_URL, transport=httpx.MockTransport(handler)
        ) as client:
            with pytest.raises((AuthenticationError, ApiConnectionError, ResponseDecodeError)) as caught:
                await client.tickets.get_ticket(42)
            errors.append(caught.value)
    assert [type(error) for error in errors] == [AuthenticationError, ApiConnectionError, ResponseDecodeError]
    for error in errors:
        assert TOKEN not in str(error)
        assert TOKEN not in repr(error)
        assert TOKEN not in repr(vars(error))
        assert "sw.test/api/v1/tickets/42" in str(error)


async def test_an_echoed_credential_is_redacted_from_the_message() -> None:
    # A proxy's error page may echo the request's headers, credential included.
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text=f"upstream refused: Authorization: {request.headers['Authorization']}")

    async with SpiceworksClient(
        token="s3cr3t-token", base_url=SPICEWORKS_URL, transport=httpx.MockTransport(echo)
    ) as client:
        with pytest.raises(ServerError) as caught:
            await client.with_options(retry=RetryPolicy.never()).tickets.get_ticket(1)
    assert "s3cr3t-token" not in str(caught.value)
    assert "s3cr3t-token" not in repr(caught.value)
    assert "Authorization: Bearer <redacted>" in str(caught.value)
    assert b"s3cr3t-token" in caught.value.body  # the raw body is data, kept as it came
