"""The two clients: lifecycle, options, and the send path every operation takes."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx

from . import _arguments as check
from ._auth import HeaderAuth, TokenProvider, api_key_auth, bearer_auth
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
from ._generated import describe_operations, import_generated, list_operations
from ._paging import NumberedPages, Paginating, TokenPages
from ._retry import RetryPolicy
from ._transport import RETRY_POLICY_EXTENSION, RetryHook, RetryTransport
from ._version import __version__

if TYPE_CHECKING:
    from kloudless_itsm_client.api import Api as KloudlessApi
    from spiceworks_client.api import Api as SpiceworksApi
else:
    SpiceworksApi = import_generated("spiceworks_client.api").Api
    KloudlessApi = import_generated("kloudless_itsm_client.api").Api

P = TypeVar("P")
T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(30, connect=5)
SPICEWORKS_BASE_URL = "https://community.spiceworks.com"
KLOUDLESS_BASE_URL = "https://api.kloudless.com/v1"


class _Client(Paginating):
    """What both clients share: one ``httpx.AsyncClient`` and the send path."""

    def __init__(
        self,
        *,
        base_url: str | httpx.URL,
        auth: HeaderAuth,
        retry: RetryPolicy | None,
        timeout: httpx.Timeout | float | None,
        transport: httpx.AsyncBaseTransport | None,
        headers: Mapping[str, str] | None,
        on_retry: RetryHook | None,
    ) -> None:
        # Every argument is checked before anything is built, so that a mistake
        # is reported here rather than by httpx on the first call.
        where = type(self).__name__
        url = check.base_url(where, base_url)
        policy = check.retry(where, retry)
        checked_timeout = check.timeout(where, timeout)
        inner = check.transport(where, transport)
        extra_headers = check.headers(where, headers)
        check.hook(where, "on_retry", on_retry)
        self._auth = auth
        self._retry_transport = RetryTransport(
            inner if inner is not None else httpx.AsyncHTTPTransport(),
            policy if policy is not None else RetryPolicy(),
            on_retry=on_retry,
        )
        self._http = httpx.AsyncClient(
            base_url=url,
            auth=auth,
            timeout=DEFAULT_TIMEOUT if checked_timeout is None else checked_timeout,
            transport=self._retry_transport,
            headers={"User-Agent": f"itsm-async/{__version__}", **extra_headers},
        )
        self._retry_override: RetryPolicy | None = None
        self._timeout_override: httpx.Timeout | None = None

    def _bind(self) -> None:
        """Bind the generated operation groups to this client."""
        raise NotImplementedError

    @property
    def bound_parameters(self) -> Mapping[str, Any]:
        """Path parameters bound once per client."""
        return {}

    @property
    def retries(self) -> int:
        """Retries this client has made so far, across all calls."""
        return self._retry_transport.retries

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={str(self._http.base_url)!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        await self._http.aclose()

    def with_options(self, *, retry: RetryPolicy | None = None, timeout: httpx.Timeout | float | None = None) -> Self:
        """A view of this client with other options for the calls made through it.

        It shares the connection pool and credentials; closing either closes both.

        Args:
            retry: The retry policy for these calls (``RetryPolicy.never()`` for none).
            timeout: The timeout for these calls.

        Returns:
            The view.

        Raises:
            InvalidArgumentError: ``retry`` is not a RetryPolicy, or ``timeout``
                is not a positive, finite number of seconds or an httpx.Timeout.
        """
        policy = check.retry("with_options", retry)
        checked_timeout = check.timeout("with_options", timeout)
        view = copy.copy(self)
        if policy is not None:
            view._retry_override = policy
        if checked_timeout is not None:
            view._timeout_override = checked_timeout
        view._bind()
        return view

    def _shares_the_pool(self, invoker: object) -> bool:
        return isinstance(invoker, _Client) and invoker._http is self._http

    async def invoke(
        self,
        operation_id: str,
        request: dict[str, Any],
        parse_success: Callable[[httpx.Response], T],
        parse_error: Callable[[httpx.Response], object],
    ) -> tuple[httpx.Response, T]:
        """Send one operation's request and parse the 2xx response.

        The generated operation methods call this; it is public so that the
        generated code can, not for direct use.

        Raises:
            ApiError: A subclass per status, for any status outside 2xx.
            ApiConnectionError: No usable response (ApiTimeoutError for timeouts),
                also when the transport raised something other than an httpx error.
            ResponseDecodeError: A 2xx body that does not parse.
            ClientClosedError: This client, or the one it is a view of, is closed.
            RequestBuildError: httpx could not build the request; nothing was sent.
            CredentialError: The token provider failed, raised by the auth flow.
        """
        if self._http.is_closed:
            raise ClientClosedError(f"{operation_id}: the client is closed (aclose() was called); nothing was sent")
        extensions: dict[str, Any] = {}
        if self._retry_override is not None:
            extensions[RETRY_POLICY_EXTENSION] = self._retry_override
        try:
            http_request = self._http.build_request(
                **request,
                timeout=self._timeout_override or httpx.USE_CLIENT_DEFAULT,
                extensions=extensions,
            )
        except Exception as exc:  # whatever httpx raises here, nothing was sent
            raise RequestBuildError(
                f"{operation_id}: the request could not be built: {type(exc).__name__}: {exc}"
            ) from exc
        method, url = http_request.method, public_url(http_request.url)
        try:
            response = await self._http.send(http_request)
        except ItsmError:
            # The auth flow's CredentialError: already typed and worded.
            raise
        except httpx.TimeoutException as exc:
            raise ApiTimeoutError(f"timed out ({type(exc).__name__})", method=method, url=url) from exc
        except httpx.DecodingError as exc:
            raise ApiConnectionError(f"undecodable response content: {exc}", method=method, url=url) from exc
        except httpx.HTTPError as exc:
            raise ApiConnectionError(f"{type(exc).__name__}: {exc}", method=method, url=url) from exc
        except Exception as exc:  # a custom transport may raise anything
            if isinstance(exc, RuntimeError) and self._http.is_closed:
                # httpx's RuntimeError: another task closed the client during this call.
                raise ClientClosedError(f"{operation_id}: the client was closed during the call") from exc
            reason = self._auth.redact(f"{type(exc).__name__}: {exc}")
            raise ApiConnectionError(f"the transport raised {reason}", method=method, url=url) from exc
        if not 200 <= response.status_code <= 299:
            raise error_from_response(response, parse_error, self._auth.redact)
        try:
            parsed = parse_success(response)
        except Exception as exc:
            raise ResponseDecodeError(response, f"{type(exc).__name__}: {exc}") from exc
        return response, parsed


class SpiceworksClient(_Client, SpiceworksApi):
    """An async client of the Spiceworks Cloud Apps API.

    Operations are grouped by tag: ``await client.tickets.get_ticket(42)``.

    Args:
        token: An OAuth access token, or a callable returning one
            (called again to refresh it after a 401).
        base_url: The API's root; the spec's server by default.
        retry: The retry policy; ``RetryPolicy()`` by default.
        timeout: ``httpx.Timeout(30, connect=5)`` by default.
        transport: Any ``httpx.AsyncBaseTransport`` (a sandbox, a proxy, a fake).
        headers: Extra headers sent with every request.
        on_retry: Called with a ``RetryEvent`` before each retry.

    Raises:
        InvalidArgumentError: An argument of the wrong type or out of bounds,
            named in the message.
    """

    _paging = NumberedPages()
    _list_operations = list_operations(SpiceworksApi)

    def __init__(
        self,
        *,
        token: str | TokenProvider,
        base_url: str | httpx.URL = SPICEWORKS_BASE_URL,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        on_retry: RetryHook | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url,
            auth=bearer_auth(token),
            retry=retry,
            timeout=timeout,
            transport=transport,
            headers=headers,
            on_retry=on_retry,
        )
        self._bind()

    def _bind(self) -> None:
        SpiceworksApi.__init__(self, self)


class KloudlessClient(_Client, KloudlessApi):
    """An async client of the Kloudless ITSM API for one connected account.

    ``account_id`` is bound once: ``await client.incidents.list_incidents(page_size=50)``.

    Args:
        account_id: The connected account's id.
        token: An OAuth bearer token, or a callable returning one.
        api_key: The application's API key (``Authorization: APIKey <key>``),
            instead of ``token``.
        base_url: The API's root; the spec's server by default.
        retry: The retry policy; ``RetryPolicy()`` by default.
        timeout: ``httpx.Timeout(30, connect=5)`` by default.
        transport: Any ``httpx.AsyncBaseTransport``.
        headers: Extra headers sent with every request.
        on_retry: Called with a ``RetryEvent`` before each retry.

    Raises:
        InvalidArgumentError: Neither or both of ``token`` and ``api_key``, or
            an argument of the wrong type or out of bounds, named in the message.
    """

    _paging = TokenPages()
    _list_operations = list_operations(KloudlessApi)

    def __init__(
        self,
        *,
        account_id: str | int,
        token: str | TokenProvider | None = None,
        api_key: str | TokenProvider | None = None,
        base_url: str | httpx.URL = KLOUDLESS_BASE_URL,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        on_retry: RetryHook | None = None,
    ) -> None:
        self._account_id = check.account_id("KloudlessClient", account_id)
        if token is not None and api_key is None:
            auth = bearer_auth(token)
        elif api_key is not None and token is None:
            auth = api_key_auth(api_key)
        else:
            given = "both" if token is not None else "neither"
            raise InvalidArgumentError(f"KloudlessClient: pass exactly one of token= and api_key=, got {given}")
        super().__init__(
            base_url=base_url,
            auth=auth,
            retry=retry,
            timeout=timeout,
            transport=transport,
            headers=headers,
            on_retry=on_retry,
        )
        self._bind()

    def _bind(self) -> None:
        KloudlessApi.__init__(self, self)

    @property
    def account_id(self) -> str:
        """The connected account every call is made for."""
        return self._account_id

    @property
    def bound_parameters(self) -> Mapping[str, Any]:
        return {"account_id": self._account_id}

    def __repr__(self) -> str:
        return f"KloudlessClient(account_id={self._account_id!r}, base_url={str(self._http.base_url)!r})"


# help() lists the operation groups: the generated Api's are instance
# attributes, which pydoc cannot see, so the docstring names them.
if SpiceworksClient.__doc__ is not None:  # None under python -OO
    SpiceworksClient.__doc__ += describe_operations(SpiceworksApi)
if KloudlessClient.__doc__ is not None:
    KloudlessClient.__doc__ += describe_operations(KloudlessApi)
