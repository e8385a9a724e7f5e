"""The default transport: aiohttp's on asyncio, httpx's own on trio, one API; a dropped connection is not a timeout."""

from __future__ import annotations

import json
from typing import Any

import anyio
import anyio.abc
import pytest

from itsm_async import ApiConnectionError, ApiTimeoutError, RetryPolicy, SpiceworksClient
from itsm_async._default_transport import DefaultTransport
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
