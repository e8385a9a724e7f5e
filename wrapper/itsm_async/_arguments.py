"""Checks of the arguments given to a client, raised where they are given.

Each check returns the value as the client keeps it, or raises
``InvalidArgumentError`` naming where it was given, the parameter, what was
expected and what came. A header value or credential is never shown.
"""

from __future__ import annotations

import inspect
import math
import os
import re
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import httpx

from ._exceptions import InvalidArgumentError
from ._retry import RetryPolicy

# RFC 9110 section 5.6.2: a field name is a token.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Characters that would take an account id out of its path segment or that no
# account id has: a pasted path or URL ("accounts/123"), whitespace, controls.
_NOT_IN_ACCOUNT_ID = re.compile(r"[/?#%\\\s\x00-\x1f\x7f]")
_TIMEOUT_EXPECTED = "a positive, finite number of seconds or an httpx.Timeout (httpx.Timeout(None) for none)"


def shown(value: object) -> str:
    """A value for a message: its type and a short repr."""
    text = repr(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    return f"{type(value).__name__} {text}"


def refuse(where: str, name: str, expected: str, value: object, *, show: bool = True) -> NoReturn:
    """Raise the InvalidArgumentError for parameter ``name`` given to ``where``."""
    got = shown(value) if show else f"a value of type {type(value).__name__}"
    raise InvalidArgumentError(f"{where}: {name} must be {expected}, got {got}")


def account_id(where: str, value: object) -> str:
    """A Kloudless account id: a non-negative int or an id string, kept as text."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    expected = "the connected account's id: a non-negative int or a string such as '123'"
    if not isinstance(value, str):
        refuse(where, "account_id", expected, value)
    if value in ("", ".", "..") or _NOT_IN_ACCOUNT_ID.search(value):
        refuse(where, "account_id", expected + " (no '/', '?', '#', '%', whitespace or control characters)", value)
    return value


def _seconds(where: str, name: str, value: object, expected: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        return float(value)
    refuse(where, name, expected, value)


def timeout(where: str, value: object) -> httpx.Timeout | None:
    """A timeout as an ``httpx.Timeout``; None stays None (the default)."""
    if value is None:
        return None
    if isinstance(value, httpx.Timeout):
        for part in ("connect", "read", "write", "pool"):
            seconds = getattr(value, part)
            if seconds is not None:
                _seconds(where, f"timeout.{part}", seconds, "a positive, finite number of seconds or None")
        return value
    return httpx.Timeout(_seconds(where, "timeout", value, _TIMEOUT_EXPECTED))


def base_url(where: str, value: object) -> httpx.URL:
    """An absolute http(s) URL."""
    expected = "an absolute http:// or https:// URL (a str or httpx.URL)"
    if not isinstance(value, str | httpx.URL):
        refuse(where, "base_url", expected, value)
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL:
        refuse(where, "base_url", expected, value)
    if url.scheme not in ("http", "https") or not url.host:
        refuse(where, "base_url", expected, value)
    return url


def headers(where: str, value: object) -> dict[str, str]:
    """Extra headers: a mapping of field names to ASCII values without line breaks."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        refuse(where, "headers", "a mapping of header names to values (str to str)", value)
    checked: dict[str, str] = {}
    for name, text in value.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            refuse(where, "headers", "a mapping whose keys are header names (RFC 9110 tokens)", name)
        # The value may be a credential: describe it, never show it.
        label = f"headers[{name!r}]"
        if not isinstance(text, str):
            refuse(where, label, "a str", text, show=False)
        if not text.isascii():
            refuse(where, label, "ASCII text (httpx sends header values as ASCII)", text, show=False)
        # RFC 9110 section 5.5: CR, LF and NUL are never valid in a field value.
        if any(char in text for char in "\r\n\x00"):
            refuse(where, label, "a value without CR, LF or NUL characters", text, show=False)
        checked[name] = text
    return checked


def transport(where: str, value: object) -> httpx.AsyncBaseTransport | None:
    """An async transport, or None for the default."""
    if value is None or isinstance(value, httpx.AsyncBaseTransport):
        return value
    expected = "an httpx.AsyncBaseTransport (e.g. httpx.AsyncHTTPTransport() or httpx.MockTransport(handler))"
    if isinstance(value, httpx.BaseTransport):
        expected += "; a sync transport cannot serve an async client"
    refuse(where, "transport", expected, value)


def retry(where: str, value: object) -> RetryPolicy | None:
    """A retry policy, or None for the default."""
    if value is None or isinstance(value, RetryPolicy):
        return value
    refuse(where, "retry", "a RetryPolicy (RetryPolicy.never() for no retries)", value)


def hook(where: str, name: str, value: object) -> Callable[..., Any] | None:
    """A callable, or None."""
    if value is None or callable(value):
        return value
    refuse(where, name, "a callable or None", value)


def max_items(where: str, value: object) -> int | None:
    """A non-negative int (0 yields nothing), or None for all items."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    refuse(where, "max_items", "a non-negative int or None", value)


def list_operation(
    operation: object,
    params: Mapping[str, Any],
    known: Mapping[tuple[type, str], str],
    is_this_client: Callable[[object], bool],
) -> str:
    """Check ``paginate``'s operation and the names of its parameters.

    Args:
        operation: What was given: it must be a bound list operation.
        params: The keyword arguments for it.
        known: The client's list operations, ``(group class, method name)``
            mapped to ``"group.method"``.
        is_this_client: Whether the operation's invoker is this client (or a
            view of it).

    Returns:
        The operation's name, ``"group.method"``.
    """
    owner = getattr(operation, "__self__", None)
    name = known.get((type(owner), getattr(operation, "__name__", "")))
    if name is not None and not is_this_client(getattr(owner, "_invoker", None)):
        raise InvalidArgumentError(
            f"paginate: operation must be an operation of this client, got {name} of another client"
        )
    if name is None or not callable(operation):
        examples = ", ".join(f"client.{each}" for each in known.values())
        expected = f"a list operation of this client ({examples})"
        if callable(operation) and hasattr(operation, "__qualname__"):
            raise InvalidArgumentError(f"paginate: operation must be {expected}, got {operation.__qualname__}")
        refuse("paginate", "operation", expected, operation)
    parameters = {
        key: parameter
        for key, parameter in inspect.signature(operation).parameters.items()
        if parameter.kind in (parameter.KEYWORD_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    }
    for key in params:
        if key not in parameters:
            raise InvalidArgumentError(
                f"paginate: {name} has no parameter {key!r} (its parameters: {', '.join(parameters)})"
            )
    for key, parameter in parameters.items():
        if parameter.default is parameter.empty and key not in params:
            raise InvalidArgumentError(f"paginate: {name} requires the parameter {key!r}")
    return name


#: Set to 1 (or true, yes, on) to make every client strict unless told otherwise.
STRICT_ENVIRONMENT_VARIABLE = "ITSM_ASYNC_STRICT"


def strict(where: str, value: object) -> bool:
    """``strict=``: a bool, or None for the ``ITSM_ASYNC_STRICT`` environment variable (default off)."""
    if value is None:
        return os.environ.get(STRICT_ENVIRONMENT_VARIABLE, "").strip().lower() in {"1", "true", "yes", "on"}
    if not isinstance(value, bool):
        refuse(where, "strict", "a bool", value)
    return value


def params(where: str, value: object) -> dict[str, str]:
    """Extra query parameters: a mapping of names to string values."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        refuse(where, "params", "a mapping of query parameter names to values (str to str)", value)
    checked: dict[str, str] = {}
    for name, text in value.items():
        if not isinstance(name, str) or not name:
            refuse(where, "params", "a mapping whose keys are non-empty str", name)
        if not isinstance(text, str):
            refuse(where, f"params[{name!r}]", "a str", text)
        checked[name] = text
    return checked


def as_user(where: str, value: object) -> str | None:
    """``as_user=``: the id of a user of the connected account, sent as a header."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        refuse(where, "as_user", "a user id (str or int)", value)
    text = str(value)
    if not text.strip() or text != text.strip() or not text.isascii() or any(c in text for c in "\r\n\x00"):
        refuse(where, "as_user", "a non-empty ASCII user id without surrounding spaces or line breaks", value)
    return text
