"""Authentication as ``httpx.Auth`` flows.

A credential is a string, or a *token provider*: an async callable returning
the current token. With a provider, a 401 response triggers exactly one
refresh and one replay of the request; a second 401 is the caller's
``AuthenticationError``, never a loop.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator

import anyio
import httpx

#: An async callable returning the current token, called again to refresh it.
TokenProvider = Callable[[], Awaitable[str]]


class HeaderAuth(httpx.Auth):
    """Sends ``Authorization: <scheme> <credential>``.

    Args:
        scheme: ``Bearer`` or ``APIKey``.
        credential: The credential, or a token provider.
    """

    def __init__(self, scheme: str, credential: str | TokenProvider) -> None:
        if isinstance(credential, str):
            if not credential:
                raise ValueError("the credential is empty")
            self._current: str | None = credential
            self._provider: TokenProvider | None = None
        else:
            self._current = None
            self._provider = credential
        self._scheme = scheme
        self._lock = anyio.Lock()

    def __repr__(self) -> str:
        kind = "provider" if self._provider is not None else "static"
        return f"{type(self).__name__}(scheme={self._scheme!r}, credential=<{kind}, redacted>)"

    async def _credential(self, stale: str | None = None) -> str:
        if self._provider is None:
            assert self._current is not None
            return self._current
        # One refresh for many concurrent 401s: whoever holds the lock first
        # refreshes; the others find a credential newer than their stale one.
        async with self._lock:
            if self._current is None or self._current == stale:
                token = await self._provider()
                if not isinstance(token, str) or not token:
                    raise TypeError("the token provider returned no token")
                self._current = token
            assert self._current is not None
            return self._current

    def redact(self, text: str) -> str:
        """``text`` with the current credential replaced by ``<redacted>``."""
        return text.replace(self._current, "<redacted>") if self._current else text

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("itsm_async clients are async-only")

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        credential = await self._credential()
        request.headers["Authorization"] = f"{self._scheme} {credential}"
        response = yield request
        if response.status_code == 401 and self._provider is not None:
            credential = await self._credential(stale=credential)
            request.headers["Authorization"] = f"{self._scheme} {credential}"
            yield request


def bearer_auth(token: str | TokenProvider) -> HeaderAuth:
    """``Authorization: Bearer <token>``, refreshed once on 401 when a provider is given."""
    return HeaderAuth("Bearer", token)


def api_key_auth(api_key: str | TokenProvider) -> HeaderAuth:
    """``Authorization: APIKey <key>``, the Kloudless application API key."""
    return HeaderAuth("APIKey", api_key)
