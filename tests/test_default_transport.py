"""The default transport: aiohttp's on asyncio, httpx's own on trio, one API; a dropped connection is not a timeout."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import anyio
import anyio.abc
import httpcore
import httpx
import pytest
from aiohttp.client_reqrep import ConnectionKey

from itsm_async import ApiConnectionError, ApiTimeoutError, RetryPolicy, SpiceworksClient
from itsm_async._default_transport import DefaultTransport, _httpx_error
from spiceworks_client.models import TicketCreate
from tests import bodies

ANSWER = bodies.ticket(7)


def _ok(body: bytes) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


# pytest-asyncio runs every async test on asyncio, so the trio cases run their own loop.
@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_default_transport_works_on_both_loops_and_sends_no_chunked_get(backend: str) -> None:
    anyio.run(_default_transport_flow, backend, backend=backend)


async def _default_transport_flow(backend: str) -> None:
    requests: list[bytes] = []
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)  # noqa: S610 - anyio, not Django
    async with anyio.create_task_group() as group:
        group.start_soon(listener.serve, lambda stream: _handle_one(stream, requests, json.dumps({"ticket": ANSWER})))
        async with SpiceworksClient(token="t", base_url=f"http://127.0.0.1:{port}") as client:
            limited: Any = client._retry_transport._inner  # the limits wrap the default transport
            transport = limited._inner
            assert isinstance(transport, DefaultTransport)
            ticket = await client.tickets.get_ticket(7)
            used = (transport._aiohttp is not None, transport._httpx is not None)
        group.cancel_scope.cancel()
    await listener.aclose()
    assert ticket.ticket.id == 7
    assert used == ((True, False) if backend == "asyncio" else (False, True))
    head = requests[0].lower()
    assert head.startswith(b"get /api/v1/tickets/7 http/1.1")
    assert b"transfer-encoding" not in head


async def _handle_one(stream: anyio.abc.SocketStream, requests: list[bytes], body: str) -> None:
    async with stream:
        data = b""
        while b"\r\n\r\n" not in data:
            data += await stream.receive()
        requests.append(data)
        await stream.send(_ok(body.encode()))


async def _hang_up(stream: anyio.abc.SocketStream) -> None:
    async with stream:
        data = b""
        while b"\r\n\r\n" not in data:
            data += await stream.receive()


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_dropped_connection_is_a_connection_error_not_a_timeout(backend: str) -> None:
    anyio.run(_dropped_connection_flow, backend=backend)


async def _dropped_connection_flow() -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)  # noqa: S610 - anyio, not Django
    async with anyio.create_task_group() as group:
        group.start_soon(listener.serve, _hang_up)
        async with SpiceworksClient(
            token="t", base_url=f"http://127.0.0.1:{port}", retry=RetryPolicy.never()
        ) as client:
            with pytest.raises(ApiConnectionError) as caught:
                await client.tickets.get_ticket(7)
        group.cancel_scope.cancel()
    await listener.aclose()
    assert not isinstance(caught.value, ApiTimeoutError), caught.value


async def test_without_aiohttp_asyncio_uses_httpxs_transport() -> None:
    requests: list[bytes] = []
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)  # noqa: S610 - anyio, not Django
    transport = DefaultTransport(use_aiohttp=False)
    async with anyio.create_task_group() as group:
        group.start_soon(listener.serve, lambda stream: _handle_one(stream, requests, json.dumps({"ticket": ANSWER})))
        async with SpiceworksClient(token="t", base_url=f"http://127.0.0.1:{port}", transport=transport) as client:
            await client.tickets.get_ticket(7)
            used = (transport._aiohttp is not None, transport._httpx is not None)
        group.cancel_scope.cancel()
    await listener.aclose()
    assert used == (False, True)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_connect_timeout_on_httpxs_transport_stays_a_timeout(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async def time_out(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        try:
            raise httpcore.ConnectTimeout("timed out")
        except httpcore.ConnectTimeout as exc:
            raise httpx.ConnectTimeout("timed out", request=request) from exc

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", time_out)
    caught = anyio.run(_connect_timeout_flow, backend=backend)
    assert isinstance(caught, ApiTimeoutError), caught


async def _connect_timeout_flow() -> Exception:
    transport = DefaultTransport(use_aiohttp=False)
    async with SpiceworksClient(
        token="t", base_url="http://127.0.0.1:9", transport=transport, retry=RetryPolicy.never()
    ) as client:
        with pytest.raises(ApiConnectionError) as caught:
            await client.tickets.get_ticket(7)
    return caught.value


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (aiohttp.ServerDisconnectedError(), httpx.ReadError),
        (aiohttp.ClientOSError(104, "reset by peer"), httpx.ReadError),
        (aiohttp.ConnectionTimeoutError("connect timed out"), httpx.ConnectTimeout),
        (aiohttp.ServerTimeoutError("timed out"), httpx.TimeoutException),
        (TimeoutError(), httpx.TimeoutException),
        (aiohttp.SocketTimeoutError("read timed out"), httpx.ReadTimeout),
        (aiohttp.ClientPayloadError("truncated"), httpx.ReadError),
        (
            aiohttp.ClientConnectorError(ConnectionKey("h", 1, False, True, None, None, None), OSError(111, "refused")),
            httpx.ConnectError,
        ),
    ],
)
def test_aiohttp_errors_map_to_httpx_errors_with_the_request(error: Exception, expected: type[Exception]) -> None:
    request = httpx.Request("GET", "http://127.0.0.1/api/v1/tickets/7")
    mapped = _httpx_error(error, request)
    assert type(mapped) is expected
    assert mapped.request is request


def test_an_error_aiohttp_does_not_raise_is_not_mapped() -> None:
    assert _httpx_error(ValueError("bug"), httpx.Request("GET", "http://127.0.0.1/")) is None


class _Counting(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.attempts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_refused_post_was_never_sent_so_it_is_retried(backend: str) -> None:
    attempts, caught = anyio.run(_refused_post_flow, backend=backend)
    assert attempts == 3
    assert isinstance(caught, ApiConnectionError)
    assert not isinstance(caught, ApiTimeoutError)
    assert isinstance(caught.__cause__, httpx.ConnectError)


async def _refused_post_flow() -> tuple[int, Exception]:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)  # noqa: S610 - anyio, not Django
    await listener.aclose()  # nothing listens there now: every connection is refused
    transport = _Counting(DefaultTransport())
    async with SpiceworksClient(
        token="t", base_url=f"http://127.0.0.1:{port}", transport=transport, retry=RetryPolicy(max_attempts=3)
    ) as client:
        with pytest.raises(ApiConnectionError) as caught:
            await client.tickets.create_ticket(body=TicketCreate(summary="New"))
    return transport.attempts, caught.value
