"""The send path every operation takes: build, send, type the failure, parse.

The generated operation classes call ``invoke`` on their client (the
``Invoker`` protocol of the generated ``types`` module): it builds the request
with the operation's own builder, which checks the arguments, from the
settings of the client's ``httpx.AsyncClient`` (base URL, headers, timeout),
sets the credential, sends it through the client's transport (retries,
limits, the network) and turns whatever goes wrong into an ``ItsmError``. A
client given a tracer provider makes each call one span (``_tracing.py``);
without one, ``invoke`` checks one attribute and goes straight to the send
path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import httpx

from ._exceptions import (
    ApiConnectionError,
    ApiTimeoutError,
    ClientClosedError,
    InvalidArgumentError,
    ItsmError,
    RequestBuildError,
    ResponseDecodeError,
    error_from_response,
    public_url,
)
from ._generated import import_generated
from ._reading import mismatches
from ._urls import UrlJoiner

if TYPE_CHECKING:
    from ._auth import HeaderAuth
    from ._tracing import Tracing
    from ._transport import RetryTransport

T = TypeVar("T")


class Operation(Protocol):
    """What a generated operation module says of itself (``OPERATION``, the generated ``types.Operation``)."""

    @property
    def name(self) -> str:
        """The bound method's name, ``get_ticket``."""
        ...

    @property
    def operation_id(self) -> str:
        """The spec's ``operationId``, ``getTicket``."""
        ...

    @property
    def method(self) -> str:
        """The HTTP method, upper case."""
        ...

    @property
    def route(self) -> str:
        """The path template, ``/api/v1/tickets/{id}``."""
        ...

    @property
    def group(self) -> str:
        """The operation group, ``tickets``."""
        ...


#: The generated packages' own ArgumentError classes, raised by an
#: operation's builder for an argument it refuses.
_ARGUMENT_ERRORS: tuple[type[Exception], ...] = tuple(
    import_generated(f"{package}.types").ArgumentError for package in ("spiceworks_client", "kloudless_itsm_client")
)
_REFUSALS: dict[type[Exception], type[InvalidArgumentError]] = {}
_TYPES = tuple(import_generated(f"{package}.types") for package in ("spiceworks_client", "kloudless_itsm_client"))
_LOGGER = logging.getLogger("itsm_async")
#: Methods (as the generated code spells them) for which httpx adds no
#: ``Content-Length`` to a request without a body.
_BODILESS = frozenset({"get", "delete", "head", "options", "GET", "DELETE", "HEAD", "OPTIONS"})
_NO_BODY = httpx.ByteStream(b"")
#: At most this many (operation, path) pairs are remembered per client, so
#: that a server drifting everywhere cannot grow memory without bound.
_WARNED_LIMIT = 1024


_SPICEWORKS_RECORDED: Callable[[], int]
_KLOUDLESS_RECORDED: Callable[[], int]
_SPICEWORKS_RECORDED, _KLOUDLESS_RECORDED = (types.mismatches_recorded for types in _TYPES)


def _recorded() -> int:
    """Mismatches recorded by both generated packages so far (see their ``types.mismatch``)."""
    return _SPICEWORKS_RECORDED() + _KLOUDLESS_RECORDED()


def _shape(path: str) -> str:
    """A JSON path with its list indices folded: ``$.tickets[*].priority``."""
    return re.sub(r"\[\d+\]", "[*]", path)


def refused(exc: Exception) -> InvalidArgumentError:
    """The ``InvalidArgumentError`` for a generated package's ``ArgumentError``.

    It is both: code catching ``InvalidArgumentError`` (or ``ItsmError``) and
    code catching the generated ``ArgumentError`` see it, with the same
    message and the same ``operation`` and ``parameter`` attributes.
    """
    kind = type(exc)
    combined = _REFUSALS.get(kind)
    if combined is None:
        combined = type(
            "InvalidArgumentError", (InvalidArgumentError, kind), {"__module__": InvalidArgumentError.__module__}
        )
        _REFUSALS[kind] = combined
    error = combined.__new__(combined)
    Exception.__init__(error, *exc.args)
    error.__dict__.update(vars(exc))
    return error


class Sender:
    """``invoke``: the one way the generated operations reach the network."""

    _http: httpx.AsyncClient
    #: ``_http.headers`` with ``Host`` first, as httpx adds it.
    _headers: httpx.Headers
    #: Joins ``_http.base_url`` with each operation's path.
    _urls: UrlJoiner
    #: The client's transport: retries, then limits, then the network.
    _retry_transport: RetryTransport
    _auth: HeaderAuth
    _timeout_override: httpx.Timeout | None
    _request_extensions: dict[str, Any]
    _strict: bool
    _call_headers: dict[str, str]
    _call_params: dict[str, str]
    _warned: set[tuple[str, str]]
    #: The client's spans (``tracer_provider=``); None: no tracing at all.
    _tracing: Tracing | None = None

    async def invoke(
        self,
        operation: Operation,
        build: Callable[[], dict[str, Any]],
        parse_success: Callable[[httpx.Response], T],
        parse_error: Callable[[httpx.Response], object],
    ) -> tuple[httpx.Response, T]:
        """Build one operation's request, send it and parse the 2xx response.

        The generated operation methods call this; it is public so that the
        generated code can, not for direct use.

        Raises:
            InvalidArgumentError: The builder refused an argument; nothing was sent.
            ApiError: A subclass per status, for any status outside 2xx.
            ApiConnectionError: No usable response (ApiTimeoutError for timeouts),
                also when the transport raised something other than an httpx error.
            ResponseDecodeError: A 2xx body that does not parse.
            ClientClosedError: This client, or the one it is a view of, is closed.
            RequestBuildError: httpx could not build the request; nothing was sent.
            CredentialError: The token provider failed; nothing was sent.
        """
        tracing = self._tracing
        if tracing is None:
            return await self._send_operation(operation, build, parse_success, parse_error)
        with tracing.operation(operation, self._http.base_url) as span:
            response, parsed = await self._send_operation(operation, build, parse_success, parse_error)
            span.responded(response)
            return response, parsed

    async def _send_operation(
        self,
        operation: Operation,
        build: Callable[[], dict[str, Any]],
        parse_success: Callable[[httpx.Response], T],
        parse_error: Callable[[httpx.Response], object],
    ) -> tuple[httpx.Response, T]:
        """``invoke`` without its span."""
        name = operation.name
        try:
            request = build()
        except _ARGUMENT_ERRORS as exc:
            raise refused(exc) from exc
        except Exception as exc:  # a builder bug or an argument no check covers: nothing was sent
            raise RequestBuildError(f"{name}: the request could not be built: {type(exc).__name__}: {exc}") from exc
        if self._call_headers:
            request["headers"] = {**self._call_headers, **request.get("headers", {})}
        if self._call_params:
            request["params"] = {**self._call_params, **request.get("params", {})}
        if self._http.is_closed:
            raise ClientClosedError(f"{name}: the client is closed (aclose() was called); nothing was sent")
        try:
            http_request = self._request(request)
        except Exception as exc:  # whatever httpx raises here, nothing was sent
            raise RequestBuildError(f"{name}: the request could not be built: {type(exc).__name__}: {exc}") from exc
        method = http_request.method
        try:
            response = await self._send(http_request)
        except ItsmError:
            # The token provider's CredentialError: already typed and worded.
            raise
        except httpx.TimeoutException as exc:
            url = public_url(http_request.url)
            raise ApiTimeoutError(f"timed out ({type(exc).__name__})", method=method, url=url) from exc
        except httpx.DecodingError as exc:
            url = public_url(http_request.url)
            raise ApiConnectionError(f"undecodable response content: {exc}", method=method, url=url) from exc
        except httpx.HTTPError as exc:
            url = public_url(http_request.url)
            raise ApiConnectionError(f"{type(exc).__name__}: {exc}", method=method, url=url) from exc
        except Exception as exc:  # a custom transport may raise anything
            if self._http.is_closed:
                # Another task closed the client during this call.
                raise ClientClosedError(f"{name}: the client was closed during the call") from exc
            reason = self._auth.redact(f"{type(exc).__name__}: {exc}")
            url = public_url(http_request.url)
            raise ApiConnectionError(f"the transport raised {reason}", method=method, url=url) from exc
        if not 200 <= response.status_code <= 299:
            raise error_from_response(response, parse_error, self._auth.redact)
        before = _recorded()
        try:
            parsed = parse_success(response)
        except Exception as exc:
            raise ResponseDecodeError(response, f"{type(exc).__name__}: {exc}") from exc
        if _recorded() != before:
            self._report_mismatches(operation, response, parsed)
        return response, parsed

    def _request(self, kwargs: dict[str, Any]) -> httpx.Request:
        """The ``httpx.Request`` for an operation's built arguments, as the client's ``build_request`` makes it.

        The client's ``httpx.AsyncClient`` holds the base URL, the default
        headers and the timeout; the request is built from them here and sent
        straight to its transport, so that none of the per-request work an
        API client has no use for (a cookie jar, redirects, event hooks) is
        paid on every call.
        """
        http = self._http
        headers = self._headers
        extra = kwargs.pop("headers", None)
        if extra or self._call_headers:
            headers = httpx.Headers(headers)
            headers.update(self._call_headers)
            if extra:
                headers.update(extra)
        params = kwargs.pop("params", None)
        if self._call_params:
            params = {**self._call_params, **(params or {})}
        method, path = kwargs.pop("method"), kwargs.pop("url")
        url = self._urls.join(path, params)
        if url is None:  # a path httpx normalises or encodes: its client builds the request
            return http.build_request(
                method,
                path,
                params=params,
                headers=headers,
                timeout=self._timeout_override or httpx.USE_CLIENT_DEFAULT,
                extensions=self._request_extensions,
                **kwargs,
            )
        timeout = (self._timeout_override or http.timeout).as_dict()
        extensions = {"timeout": timeout, **self._request_extensions}
        if not kwargs and method in _BODILESS:
            # No body to encode: the headers are complete (Host included), so
            # httpx need not look through them again for the ones it adds.
            return httpx.Request(method, url, headers=headers, stream=_NO_BODY, extensions=extensions)
        return httpx.Request(method, url, headers=headers, extensions=extensions, **kwargs)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """Send with the client's credential; with a token provider, refresh it once after a 401.

        The retry transport returns each response read, so nothing is left to read here.
        """
        auth = self._auth
        credential = await auth.credential()
        request.headers["Authorization"] = auth.header(credential)
        response = await self._retry_transport.handle_async_request(request)
        if response.status_code == 401 and auth.refreshes:
            credential = await auth.credential(stale=credential)
            request.headers["Authorization"] = auth.header(credential)
            response = await self._retry_transport.handle_async_request(request)
        return response

    def _report_mismatches(self, operation: Operation, response: httpx.Response, parsed: object) -> None:
        """A body that did not fit its schema: fail in strict mode, else log each new path once."""
        found = mismatches(parsed)
        if not found:
            return
        if self._strict:
            shown = "; ".join(f"{each.path}: expected {each.expected}, got {each.got}" for each in found[:5])
            more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
            error = ResponseDecodeError(response, f"the body does not fit the schema (strict): {shown}{more}")
            error.mismatches = found
            raise error
        for each in found:
            key = (operation.name, _shape(each.path))
            if key in self._warned:
                continue
            if len(self._warned) < _WARNED_LIMIT:
                self._warned.add(key)
            _LOGGER.warning(
                "%s: the response does not fit the schema at %s: expected %s, got %s; kept as sent",
                operation.name,
                key[1],
                each.expected,
                each.got,
                extra={"operation": operation.name, "json_path": key[1]},
            )
