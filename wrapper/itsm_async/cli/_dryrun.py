"""``--dry-run``: the request a command would send, caught before it leaves, credentials redacted.

The client is given a transport that keeps the request instead of sending
it, so that what is shown is exactly what the client built: arguments
checked, body validated and serialised, authentication applied.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from .._exceptions import ItsmError, public_url

#: Headers that carry credentials; their value is shown as ``<scheme> <redacted>``.
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
REDACTED = "<redacted>"


class RequestCaught(ItsmError):
    """The request of a dry run, stopped before it was sent (the client passes an ItsmError through)."""

    def __init__(self, request: httpx.Request) -> None:
        super().__init__(f"{request.method} {public_url(request.url)} (not sent)")
        self.request = request


def _catch(request: httpx.Request) -> httpx.Response:
    request.read()
    raise RequestCaught(request)


def catching_transport() -> httpx.MockTransport:
    """A transport that raises :class:`RequestCaught` with each request instead of sending it."""
    return httpx.MockTransport(_catch)


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def describe(request: httpx.Request, secrets: tuple[str, ...] = ()) -> dict[str, Any]:
    """A request as JSON-ready data, credentials redacted.

    Args:
        request: The caught request.
        secrets: Credential values to redact wherever they appear.

    Returns:
        ``method``, ``url``, ``headers`` and ``body`` (parsed JSON, text, or None).
    """
    headers: dict[str, str] = {}
    for name, value in request.headers.multi_items():
        if name.lower() in SENSITIVE_HEADERS:
            scheme, _, credential = value.partition(" ")
            value = f"{scheme} {REDACTED}" if credential else REDACTED
        headers[name] = _redact(value, secrets)
    body: Any = None
    if request.content:
        text = _redact(request.content.decode("utf-8", "replace"), secrets)
        try:
            body = json.loads(text)
        except ValueError:
            body = text
    return {
        "method": request.method,
        "url": _redact(public_url(request.url), secrets),
        "headers": headers,
        "body": body,
    }


def as_http(described: dict[str, Any]) -> str:
    """A described request as HTTP-like text: request line, headers, blank line, body."""
    lines = [f"{described['method']} {described['url']}"]
    lines += [f"{name}: {value}" for name, value in described["headers"].items()]
    if described["body"] is not None:
        body = described["body"]
        lines += ["", body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, indent=2)]
    return "\n".join(lines) + "\n"
