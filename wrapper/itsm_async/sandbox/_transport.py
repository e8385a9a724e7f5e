"""The in-process transport: the sandbox app behind ``httpx.ASGITransport``.

``httpx.ASGITransport`` calls the app directly, so what a network client
sees needs doing here: a turn of the event loop per request (the app may
never suspend), a read timeout (the app is awaited with the request's
timeout, which httpx's network transports enforce and the ASGI one does
not), and a dropped connection, which the app signals by raising
:class:`ConnectionDropped` after sending part of a body and which surfaces,
as over a socket, as ``httpx.RemoteProtocolError``.
"""

from __future__ import annotations

import anyio
import anyio.lowlevel
import httpx

from ._faults import ConnectionDropped


class SandboxTransport(httpx.ASGITransport):
    """An ``httpx.ASGITransport`` that enforces read timeouts and drops connections like a network."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # Yield to the event loop once per request, as network I/O would: other
        # tasks get their turn, and the loop gets to drop the cancelled timer of
        # each request's timeout scope (asyncio keeps them until it runs).
        await anyio.lowlevel.checkpoint()
        timeout = request.extensions.get("timeout", {}).get("read")
        try:
            with anyio.fail_after(timeout):
                return await super().handle_async_request(request)
        except TimeoutError as exc:
            raise httpx.ReadTimeout(f"the sandbox did not answer within {timeout}s", request=request) from exc
        except ConnectionDropped as exc:
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body", request=request
            ) from exc
