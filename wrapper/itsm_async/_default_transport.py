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
from typing import TYPE_CHECKING, Any

import httpx
import sniffio

if TYPE_CHECKING:
    from httpx_aiohttp import AiohttpTransport

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
                self._aiohttp, self._loop = _aiohttp_transport(), loop
            return self._aiohttp
        if self._httpx is None:
            self._httpx = httpx.AsyncHTTPTransport(limits=LIMITS)
        return self._httpx

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._for_this_loop().handle_async_request(request)

    async def aclose(self) -> None:
        for transport in (self._aiohttp, self._httpx):
            if transport is not None:
                await transport.aclose()
        self._aiohttp = self._httpx = None


def _aiohttp_transport() -> AiohttpTransport:
    """httpx-aiohttp's transport, sending each request with less conversion on the way.

    httpx-aiohttp builds the aiohttp session (connector, TLS, pool limits)
    and maps aiohttp's errors to httpx's. Its per-request path is replaced:
    the URL goes to aiohttp as httpx encoded it (no second quoting), the
    headers as plain pairs, and the body is read in one call and handed to
    httpx in memory, which is about a third of that path's time for a small
    JSON answer (README, *Design notes*). aiohttp's errors are mapped only
    when one is raised, not through a context manager on every call.
    """
    import aiohttp
    import yarl
    from httpx_aiohttp import AiohttpTransport

    class ApiTransport(AiohttpTransport):
        @staticmethod
        def arguments(request: httpx.Request) -> tuple[str, yarl.URL, dict[str, Any]]:
            """The method, URL and keyword arguments aiohttp's ``session.request`` is given for ``request``."""
            timeout = request.extensions.get("timeout", {})
            headers = request.headers
            data: bytes | httpx.AsyncByteStream | None
            try:
                data = request.content or None
            except httpx.RequestNotRead:
                stream = request.stream
                assert isinstance(stream, httpx.AsyncByteStream)
                data = stream
                headers.pop("transfer-encoding", None)  # aiohttp frames the body itself
            options = {
                "headers": _header_pairs(headers),
                "data": data,
                "allow_redirects": False,
                "auto_decompress": False,
                "compress": False,
                "timeout": aiohttp.ClientTimeout(
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                    connect=timeout.get("pool"),
                ),
                "server_hostname": request.extensions.get("sni_hostname"),
            }
            return request.method, yarl.URL(str(request.url), encoded=True), options

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            session = self.client
            if not isinstance(session, aiohttp.ClientSession):
                session = self.client = self.get_client()
            method, url, options = self.arguments(request)
            try:
                response = await session.request(method, url, **options)
                try:
                    # Still content-encoded: httpx decodes it when it is read.
                    body = await response.read()
                finally:
                    response.release()
            except Exception as exc:
                mapped = _httpx_error(exc, request)
                if mapped is None:
                    raise
                raise mapped from exc
            extensions = {"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode()}
            return httpx.Response(
                response.status,
                headers=response.raw_headers,
                stream=httpx.ByteStream(body),
                request=request,
                extensions=extensions,
            )

    return ApiTransport(limits=LIMITS)


def _header_pairs(headers: httpx.Headers) -> list[tuple[str, str]]:
    """The headers as text, decoded as ``headers.encoding`` would, without its scan of every header first."""
    raw = headers.raw
    try:
        return [(key.decode(), value.decode()) for key, value in raw]  # UTF-8, ASCII included
    except UnicodeDecodeError:
        encoding = headers.encoding
        return [(key.decode(encoding), value.decode(encoding)) for key, value in raw]


def _httpx_error(exc: Exception, request: httpx.Request) -> httpx.TransportError | None:
    """The httpx error for an aiohttp error or a timeout; None for any other error.

    httpx-aiohttp's table, read from the error's own class outwards so the
    most specific entry wins: a refused connection is a ``ConnectError``
    (nothing was sent, so any call may be retried), a connect timeout a
    ``ConnectTimeout``, a read timeout a ``ReadTimeout``. httpx-aiohttp maps
    every other connection error to ``ConnectTimeout``, which would call a
    dropped connection unsent; here it is a read error.
    """
    import aiohttp
    from httpx_aiohttp.transport import AIOHTTP_EXC_MAP

    ours: dict[type[Exception], type[httpx.TransportError]] = {aiohttp.ClientConnectionError: httpx.ReadError}
    if hasattr(aiohttp, "ConnectionTimeoutError"):  # aiohttp 3.10 and later
        ours[aiohttp.ConnectionTimeoutError] = httpx.ConnectTimeout
    message = str(exc) or type(exc).__name__
    for cls in type(exc).__mro__:
        mapped = ours.get(cls) or AIOHTTP_EXC_MAP.get(cls)
        if mapped is not None:
            return mapped(message, request=request)
        if cls is TimeoutError:  # asyncio's own, outside aiohttp's classes
            return httpx.TimeoutException(message, request=request)
    return None
