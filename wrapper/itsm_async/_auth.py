"""Authentication: the credential a client sends, also usable as an ``httpx.Auth`` flow.

A credential is a string, or a *token provider*: a callable returning the
current token, either directly or as an awaitable (an ``async def``). With a
provider, a 401 response triggers exactly one refresh and one replay of the
request; a second 401 is the caller's ``AuthenticationError``, never a loop.

Every token the auth has used is remembered, so that :meth:`HeaderAuth.redact`
can remove any of them from the text of an error.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator

import anyio
import httpx

from ._exceptions import CredentialError, InvalidArgumentError

#: A callable returning the current token, or an awaitable of it; called again to refresh it.
TokenProvider = Callable[[], Awaitable[str] | str]

_REDACTED = "<redacted>"

# RFC 6750 section 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
# A short credential is replaced only where it stands whole: not preceded by
# a character that could continue a token (``=`` only ever ends one, so
# ``access_token=<token>`` matches, and a percent-escape such as the ``%20``
# of ``Bearer%20<token>`` is a boundary), and not followed by one (``.``
# only when it ends a sentence rather than continues a token).
_BEFORE = r"(?:(?<![A-Za-z0-9._~+/-])|(?<=%[0-9A-Fa-f]{2}))"
_AFTER = r"(?![A-Za-z0-9_~+/=-]|\.[A-Za-z0-9._~+/=-])"

#: From this length on a credential is replaced wherever it occurs: no
#: ordinary word contains one, and one glued to other text is still a secret.
_ANYWHERE = 16


def _refusal(value: str) -> str | None:
    """Why ``value`` cannot be sent in a header, or None when it can; never quotes it."""
    if not value:
        return "it is empty"
    for index, char in enumerate(value):
        # Header values are visible ASCII (RFC 9110 section 5.5); a space,
        # tab or line break would end the credential or inject a header.
        if not "!" <= char <= "~":
            kind = "whitespace or a line break" if char.isspace() else "a control or non-ASCII character"
            return f"it contains {kind} at index {index}"
    return None


def _provider_name(provider: object) -> str:
    return str(getattr(provider, "__qualname__", type(provider).__qualname__))


def _check_static(name: str, credential: object) -> str | TokenProvider:
    """``credential`` if it is a sendable string or a provider; else InvalidArgumentError naming ``name``."""
    expected = "a non-empty string of visible ASCII characters, or a callable returning one"
    if isinstance(credential, str):
        reason = _refusal(credential)
        if reason is not None:
            raise InvalidArgumentError(f"{name} must be {expected}; the string given cannot be sent: {reason}")
        return credential
    if isinstance(credential, bytes | bytearray):
        raise InvalidArgumentError(f"{name} must be {expected}, not {type(credential).__name__}: decode it first")
    if credential is None:
        raise InvalidArgumentError(f"{name} is required: {expected}; got None")
    if not callable(credential):
        raise InvalidArgumentError(f"{name} must be {expected}; got {type(credential).__name__}")
    try:
        signature = inspect.signature(credential)
    except (TypeError, ValueError):  # some builtins have none: they are judged when called
        return credential
    try:
        signature.bind()
    except TypeError:
        raise InvalidArgumentError(
            f"{name} must be {expected}; the callable {_provider_name(credential)}{signature} needs arguments"
        ) from None
    return credential


class HeaderAuth(httpx.Auth):
    """Sends ``Authorization: <scheme> <credential>``.

    Args:
        scheme: ``Bearer`` or ``APIKey``.
        credential: The credential, or a token provider (sync or async).
        name: The parameter the credential was given as, for error messages.

    Raises:
        InvalidArgumentError: ``credential`` is not a non-empty header-safe
            string nor a callable taking no arguments.
    """

    def __init__(self, scheme: str, credential: str | TokenProvider, *, name: str = "credential") -> None:
        checked = _check_static(name, credential)
        self._name = name
        self._scheme = scheme
        self._lock = anyio.Lock()
        self._used: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        if isinstance(checked, str):
            self._current: str | None = checked
            self._provider: TokenProvider | None = None
            self._remember(checked)
        else:
            self._current = None
            self._provider = checked

    def __repr__(self) -> str:
        kind = "provider" if self._provider is not None else "static"
        return f"{type(self).__name__}(scheme={self._scheme!r}, credential=<{kind}, redacted>)"

    def _remember(self, token: str) -> None:
        if token not in self._used:
            self._used.add(token)
            # Longest first, so that a token never matches in a longer one's place.
            ordered = sorted(self._used, key=len, reverse=True)
            anywhere = [re.escape(used) for used in ordered if len(used) >= _ANYWHERE]
            whole = [re.escape(used) for used in ordered if len(used) < _ANYWHERE]
            branches = [f"(?:{'|'.join(anywhere)})"] if anywhere else []
            if whole:
                branches.append(f"{_BEFORE}(?:{'|'.join(whole)}){_AFTER}")
            self._pattern = re.compile("|".join(branches))

    async def _fetch(self, provider: TokenProvider) -> str:
        what = f"the {self._name} provider {_provider_name(provider)}"
        try:
            result = provider()
            token = await result if inspect.isawaitable(result) else result
        except Exception as exc:
            # The provider's own message may hold a credential: it stays in __cause__ only.
            raise CredentialError(f"{what} raised {type(exc).__name__}; nothing was sent") from exc
        if not isinstance(token, str):
            raise CredentialError(f"{what} returned {type(token).__name__}, not a str token; nothing was sent")
        reason = _refusal(token)
        if reason is not None:
            raise CredentialError(f"{what} returned a token that cannot be sent: {reason}; nothing was sent")
        return token

    @property
    def refreshes(self) -> bool:
        """Whether a 401 refreshes the credential (a token provider was given)."""
        return self._provider is not None

    def header(self, credential: str) -> str:
        """The ``Authorization`` header's value for ``credential``."""
        return f"{self._scheme} {credential}"

    async def credential(self, stale: str | None = None) -> str:
        """The credential to send: the static one, or the provider's current token.

        Args:
            stale: A credential the server refused (401): a provider is asked
                for a new one unless another call already refreshed it.

        Raises:
            CredentialError: The provider raised or returned something unsendable.
        """
        if self._provider is None:
            assert self._current is not None
            return self._current
        # One refresh for many concurrent 401s: whoever holds the lock first
        # refreshes; the others find a credential newer than their stale one.
        async with self._lock:
            token = self._current
            if token is None or token == stale:
                token = await self._fetch(self._provider)
                # Remembered before it is sent: a server may echo it in an error at once.
                self._remember(token)
                self._current = token
            return token

    def redact(self, text: str) -> str:
        """Replace every credential this auth has used with ``<redacted>``.

        Args:
            text: A message, such as a server's error text.

        Returns:
            ``text`` with every token ever sent (refreshed ones included)
            replaced. A token shorter than 16 characters is replaced only
            where it stands whole, so that ordinary words containing it stay
            intact; a longer one wherever it occurs.
        """
        return self._pattern.sub(_REDACTED, text) if self._pattern is not None else text

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("itsm_async clients are async-only")

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        credential = await self.credential()
        request.headers["Authorization"] = self.header(credential)
        response = yield request
        if response.status_code == 401 and self.refreshes:
            credential = await self.credential(stale=credential)
            request.headers["Authorization"] = self.header(credential)
            yield request


def bearer_auth(token: str | TokenProvider, *, name: str = "token") -> HeaderAuth:
    """``Authorization: Bearer <token>``, refreshed once on 401 when a provider is given.

    Args:
        token: The token, or a provider returning it (sync or async).
        name: The parameter ``token`` was given as, for error messages.

    Returns:
        The auth flow.

    Raises:
        InvalidArgumentError: ``token`` is neither a sendable string nor a provider.
    """
    return HeaderAuth("Bearer", token, name=name)


def api_key_auth(api_key: str | TokenProvider, *, name: str = "api_key") -> HeaderAuth:
    """``Authorization: APIKey <key>``, the Kloudless application API key.

    Args:
        api_key: The key, or a provider returning it (sync or async).
        name: The parameter ``api_key`` was given as, for error messages.

    Returns:
        The auth flow.

    Raises:
        InvalidArgumentError: ``api_key`` is neither a sendable string nor a provider.
    """
    return HeaderAuth("APIKey", api_key, name=name)
