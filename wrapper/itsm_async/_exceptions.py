"""The exceptions raised by ``itsm_async``.

Every failure of a client call is one of these; nothing from httpx, attrs or
the generated code escapes untyped::

    ItsmError
    ├── ApiError                    the server answered with a non-2xx status
    │   ├── BadRequestError             400
    │   ├── AuthenticationError         401
    │   ├── PermissionDeniedError       403
    │   ├── NotFoundError               404
    │   ├── ConflictError               409
    │   ├── UnprocessableEntityError    422
    │   ├── RateLimitError              429
    │   └── ServerError                 5xx
    ├── ApiConnectionError          no usable response: connect, read or protocol failure
    │   └── ApiTimeoutError             a timeout
    ├── ResponseDecodeError         a 2xx body that is not JSON, or (strict) does not fit the schema
    ├── InvalidArgumentError        an argument of the wrong type or out of bounds (also TypeError, ValueError)
    ├── RequestBuildError           the request could not be built from valid-looking arguments
    ├── CredentialError             the token provider raised or returned no token
    └── ClientClosedError           a call on a client after ``aclose()``

Messages and reprs name the method, the URL (without any userinfo) and the
server's message; never a credential or a request header.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import httpx

from ._retry import parse_retry_after

_MESSAGE_LIMIT = 300


class ItsmError(Exception):
    """The base class of every exception raised by a client call."""


class _ResponseError(ItsmError):
    """What came back, kept whole: ``status_code``, ``method``, ``url``, ``body``, ``headers``, ``request_id``."""

    def __init__(self, response: httpx.Response, text: str, request_id: str | None) -> None:
        self.status_code = response.status_code
        self.method = response.request.method
        self.url = public_url(response.request.url)
        self.body = response.content
        self.headers: Mapping[str, str] = response.headers
        self.request_id = request_id
        super().__init__(f"{self.method} {self.url} returned {self.status_code}{text}")


class ApiError(_ResponseError):
    """The server answered with a status outside 2xx.

    Attributes hold what came back: ``status_code``, ``method``, ``url``,
    ``request_id`` (from the ``X-Request-Id`` header or the error body's
    ``id``), ``body`` (the raw bytes), ``headers``, ``message`` (the
    server's, credentials redacted), and ``error``: the spec's error model
    parsed from the body, or None when the status or body is undocumented.
    """

    def __init__(
        self, response: httpx.Response, *, error: object | None, message: str | None, request_id: str | None
    ) -> None:
        self.error = error
        self.message = message
        text = f": {message}" if message else ""
        if request_id:
            text += f" (request id {request_id})"
        super().__init__(response, text, request_id)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code}, method={self.method!r}, url={self.url!r})"


class BadRequestError(ApiError):
    """400: the server rejected the request as malformed."""


class AuthenticationError(ApiError):
    """401: the token or API key is missing, invalid or expired (after one refresh, with a provider)."""


class PermissionDeniedError(ApiError):
    """403: the credentials do not allow this request."""


class NotFoundError(ApiError):
    """404: the object, or the account, does not exist."""


class ConflictError(ApiError):
    """409: the request conflicts with the object's current state."""


class UnprocessableEntityError(ApiError):
    """422: the request was well-formed but its content is invalid."""


class RateLimitError(ApiError):
    """429: rate limited, after any retries.

    ``retry_after`` is the server's requested delay in seconds (from
    ``Retry-After``, seconds or HTTP date), or None when it gave none.
    """

    def __init__(
        self, response: httpx.Response, *, error: object | None, message: str | None, request_id: str | None
    ) -> None:
        super().__init__(response, error=error, message=message, request_id=request_id)
        self.retry_after = parse_retry_after(self.headers)


class ServerError(ApiError):
    """5xx: the server, or the service behind it, failed (after any retries)."""


class ApiConnectionError(ItsmError):
    """No usable response: the connection failed or dropped, or the protocol broke.

    ``method`` and ``url`` name the request; the httpx exception is the
    ``__cause__``.
    """

    def __init__(self, message: str, *, method: str, url: str) -> None:
        self.method = method
        self.url = url
        super().__init__(f"{method} {url}: {message}")


class ApiTimeoutError(ApiConnectionError):
    """The request timed out (connect, read, write or pool), after any retries."""


class ResponseDecodeError(_ResponseError):
    """A 2xx response whose body is not JSON or does not fit the spec's schema.

    Nothing is lost: ``body`` holds the raw bytes, ``status_code``,
    ``headers`` and ``request_id`` what came with them; the parsing
    exception is the ``__cause__``. From a strict client, ``mismatches``
    lists where the body did not fit (``(path, expected, got)``, JSON paths).
    """

    mismatches: Sequence[tuple[str, str, str]] = ()

    def __init__(self, response: httpx.Response, reason: str) -> None:
        super().__init__(response, f" with an unreadable body: {reason}", request_id_of(response))


class InvalidArgumentError(ItsmError, TypeError, ValueError):
    """An argument of the wrong type, or out of the spec's bounds, refused before anything is sent.

    It is also a ``TypeError`` and a ``ValueError``, so code written against
    either keeps working. The message names the operation (or constructor)
    and the parameter, what was expected and what was given.
    """


class RequestBuildError(ItsmError):
    """The request could not be built from the arguments; nothing was sent.

    The exception raised while building it is the ``__cause__``.
    """


class CredentialError(ItsmError):
    """The token provider raised, or returned something other than a non-empty string.

    Nothing was sent with the missing credential; the provider's exception,
    if any, is the ``__cause__``. The message never contains a credential.
    """


class ClientClosedError(ItsmError):
    """A call on a client (or a view of it) after ``aclose()``; nothing was sent."""


_STATUS_ERRORS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_class(status_code: int) -> type[ApiError]:
    """The exception class for a non-2xx status.

    Args:
        status_code: Any status, also one outside the standard table (520).

    Returns:
        The class from the status table, ServerError for 5xx, else ApiError.
    """
    if status_code in _STATUS_ERRORS:
        return _STATUS_ERRORS[status_code]
    return ServerError if 500 <= status_code <= 599 else ApiError


def public_url(url: httpx.URL) -> str:
    """The URL as text without userinfo, safe for messages and logs."""
    return str(url.copy_with(username=None, password=None)) if url.userinfo else str(url)


def request_id_of(response: httpx.Response, body: object = None) -> str | None:
    """The request id from ``X-Request-Id`` or a Kloudless error body's ``id``."""
    header: str | None = response.headers.get("x-request-id")
    if header:
        return header
    if isinstance(body, dict) and "error_code" in body and isinstance(body.get("id"), str):
        return str(body["id"])
    return None


#: Where common error bodies put their headline, in the order looked at.
_HEADLINE_KEYS = ("message", "error", "error_description", "title", "detail", "details")
#: Where they put the particulars, added after the headline.
_PARTICULAR_KEYS = ("error_description", "detail", "details", "errors")


def _text(value: object) -> str | None:
    """A JSON value as a short reason: a string as is, an object as ``key: value`` pairs, a list joined."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        parts = [
            part
            for part in (_text(item) if not isinstance(item, dict) else server_reason(item) for item in value)
            if part
        ]
        return "; ".join(parts) or None
    if isinstance(value, dict):
        if any(key in value for key in (*_HEADLINE_KEYS, "errors")):
            return server_reason(value)
        pairs = [f"{key}: {text}" for key, item in value.items() if (text := _text(item))]
        return ", ".join(pairs) or None
    return None


def server_reason(body: object) -> str | None:
    """The server's reason in an error body of any common shape, or None.

    ``message``, ``error``, ``error_description``, ``title``, ``detail``,
    ``details`` and ``errors[]`` (each with ``title``, ``detail``, ``details``
    or ``message``, as JSON:API and the Spiceworks documentation have it) are
    read; the headline comes first, then the particulars:
    ``Validation failed: summary: is required``.
    """
    if isinstance(body, list):
        return _text(body)
    if not isinstance(body, dict):
        return _text(body)
    headline: str | None = None
    used: str | None = None
    for key in _HEADLINE_KEYS:
        text = _text(body.get(key)) if not isinstance(body.get(key), list) else None
        if text:
            headline, used = text, key
            break
    parts = [headline] if headline else []
    for key in _PARTICULAR_KEYS:
        if key == used:
            continue
        text = _text(body.get(key))
        if text and text not in parts:
            parts.append(text)
    return ": ".join(parts) or None


def error_from_response(
    response: httpx.Response,
    parse_error: Callable[[httpx.Response], object],
    redact: Callable[[str], str] = str,
) -> ApiError:
    """Build the typed error for a non-2xx response.

    Args:
        response: The response, body read.
        parse_error: The operation's parser of its documented error bodies.
        redact: Removes credentials from the message: a server or proxy may
            echo the request's Authorization header in its error page.

    Returns:
        The ApiError subclass for the status, carrying the raw body and, when
        the body fits, the parsed error model.
    """
    try:
        body: object = response.json()
    except ValueError:
        body = None
    try:
        error = parse_error(response)
    except Exception:  # noqa: BLE001 - an undocumented body stays available raw
        error = None
    message: str | None = None
    if isinstance(body, dict | list):
        message = server_reason(body)
    elif response.content:
        message = response.text
    if message is None:
        message = response.reason_phrase or None
    if message:
        message = redact(message)
        if len(message) > _MESSAGE_LIMIT:
            message = message[:_MESSAGE_LIMIT] + "..."
    return error_class(response.status_code)(
        response, error=error, message=message, request_id=request_id_of(response, body)
    )
