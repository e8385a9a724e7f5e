"""The network transport a client uses when none is given: aiohttp's on asyncio, httpx's own on trio.

httpx's connection pool (httpcore) is the ceiling under concurrency: with 64
requests in flight an aiohttp-backed httpx transport (``httpx-aiohttp``) is
several times faster on asyncio (README, *Design notes*). aiohttp runs on
asyncio only, so on trio, or without ``httpx-aiohttp`` installed, httpx's own
``AsyncHTTPTransport`` serves. The choice is made per call from the running
event loop, so one client works wherever it is awaited; the public API stays
httpx's.
"""

from __future__ import annotations

import asyncio
import importlib.util

import httpx
import sniffio

#: Pool limits for API traffic: enough connections for a parallel walk or a
#: gather of calls, kept alive across the pauses between calls.
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=30)

_HAS_AIOHTTP = importlib.util.find_spec("httpx_aiohttp") is not None


class DefaultTransport(httpx.AsyncBaseTransport):
    """httpx-aiohttp's ``AiohttpTransport`` on asyncio, ``httpx.AsyncHTTPTransport`` elsewhere.

    Args:
        use_aiohttp: Use aiohttp on asyncio when it is installed (the default);
            False for httpx's own transport everywhere.
    """

    def __init__(self, *, use_aiohttp: bool = True) -> None:
        self._use_aiohttp = use_aiohttp and _HAS_AIOHTTP
        self._httpx: httpx.AsyncHTTPTransport | None = None
        self._aiohttp: httpx.AsyncBaseTransport | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _for_this_loop(self) -> httpx.AsyncBaseTransport:
        if self._use_aiohttp and sniffio.current_async_library() == "asyncio":
            loop = asyncio.get_running_loop()
            if self._aiohttp is None or self._loop is not loop:
                # An aiohttp session belongs to one event loop.
                from httpx_aiohttp import AiohttpTransport

                self._aiohttp, self._loop = AiohttpTransport(limits=LIMITS), loop
            return self._aiohttp
        if self._httpx is None:
            self._httpx = httpx.AsyncHTTPTransport(limits=LIMITS)
        return self._httpx

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._for_this_loop()
        try:
            return await transport.handle_async_request(request)
        except httpx.ConnectTimeout as exc:
            # httpx-aiohttp maps every aiohttp connection error to ConnectTimeout;
            # only a timeout is one. A dropped connection is a read error.
            cause = exc.__cause__
            if cause is not None and not isinstance(cause, asyncio.TimeoutError | TimeoutError):
                raise httpx.ReadError(str(exc) or type(cause).__name__, request=request) from cause
            raise

    async def aclose(self) -> None:
        for transport in (self._aiohttp, self._httpx):
            if transport is not None:
                await transport.aclose()
        self._aiohttp = self._httpx = None
