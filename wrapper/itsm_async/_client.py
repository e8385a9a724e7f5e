"""The two clients: lifecycle, options, and the send path every operation takes."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx

from . import _arguments as check
from ._auth import HeaderAuth, TokenProvider, api_key_auth, bearer_auth
from ._default_transport import DefaultTransport
from ._exceptions import (
    InvalidArgumentError,
)
from ._generated import describe_operations, import_generated, list_operations
from ._limits import Limiter, RateLimit, check_limits, limit_key
from ._paging import NumberedPages, Paginating, TokenPages
from ._retry import RetryPolicy
from ._send import Sender
from ._tracing import tracing_for, with_retry_events
from ._transport import RETRY_POLICY_EXTENSION, RetryHook, RetryTransport
from ._urls import UrlJoiner
from ._version import __version__

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

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


class _Client(Sender, Paginating):
    """What both clients share: one ``httpx.AsyncClient``, the send path and paging."""

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
        strict: bool | None,
        max_concurrency: int | None,
        rate_limit: RateLimit | Limiter | None,
        limits_key: str,
        tracer_provider: TracerProvider | None,
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
        self._tracing = tracing_for(where, tracer_provider)
        self._strict = check.strict(where, strict)
        limits = check_limits(where, max_concurrency=max_concurrency, rate_limit=rate_limit)
        self._auth = auth
        self._retry_transport = RetryTransport(
            limits.transport(inner if inner is not None else DefaultTransport(), key=limits_key),
            policy if policy is not None else RetryPolicy(),
            on_retry=with_retry_events(self._tracing, on_retry),
        )
        self._http = httpx.AsyncClient(
            base_url=url,
            auth=auth,
            timeout=DEFAULT_TIMEOUT if checked_timeout is None else checked_timeout,
            transport=self._retry_transport,
            headers={"User-Agent": f"itsm-async/{__version__}", **extra_headers},
        )
        self._urls = UrlJoiner(self._http.base_url)
        self._headers = httpx.Headers(
            [("Host", self._http.base_url.netloc.decode("ascii")), *self._http.headers.multi_items()]
        )
        self._request_extensions: dict[str, Any] = {}
        self._timeout_override: httpx.Timeout | None = None
        self._call_headers: dict[str, str] = {}
        self._call_params: dict[str, str] = {}
        self._warned: set[tuple[str, str]] = set()

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

    def with_options(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float | None = None,
        strict: bool | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Self:
        """A view of this client with other options for the calls made through it.

        It shares the connection pool and credentials; closing either closes both.

        Args:
            retry: The retry policy for these calls (``RetryPolicy.never()`` for none).
            timeout: The timeout for these calls.
            strict: Whether a 2xx body that does not fit its schema fails these
                calls (``ResponseDecodeError``) instead of being read tolerantly.
            headers: Headers added to these calls (over the client's own).
            params: Query parameters added to these calls; an operation's own
                arguments win over them.

        Returns:
            The view.

        Raises:
            InvalidArgumentError: ``retry`` is not a RetryPolicy, ``timeout``
                is not a positive, finite number of seconds or an httpx.Timeout,
                ``strict`` not a bool, or ``headers``/``params`` not a mapping
                of strings.
        """
        policy = check.retry("with_options", retry)
        checked_timeout = check.timeout("with_options", timeout)
        checked_strict = check.strict("with_options", strict)
        extra_headers = check.headers("with_options", headers)
        extra_params = check.params("with_options", params)
        view = copy.copy(self)
        if policy is not None:
            view._request_extensions = {**self._request_extensions, RETRY_POLICY_EXTENSION: policy}
        if checked_timeout is not None:
            view._timeout_override = checked_timeout
        if strict is not None:
            view._strict = checked_strict
        if extra_headers:
            view._call_headers = {**self._call_headers, **extra_headers}
        if extra_params:
            view._call_params = {**self._call_params, **extra_params}
        view._bind()
        return view

    def _shares_the_pool(self, invoker: object) -> bool:
        return isinstance(invoker, _Client) and invoker._http is self._http


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
        strict: Fail a call whose 2xx body does not fit its schema
            (``ResponseDecodeError`` naming the JSON path) instead of reading
            it tolerantly; None reads ``ITSM_ASYNC_STRICT`` (``1``: strict).
        max_concurrency: At most this many requests in flight at once (retries included).
        rate_limit: A ``RateLimit(per_second=..., burst=...)`` token bucket, or a
            shared limiter (``itsm_async.redis.RedisLimiter``). A 429 with
            ``Retry-After`` pauses every call of the client either way.
        tracer_provider: An OpenTelemetry ``TracerProvider`` (the ``otel``
            extra): a client span per operation call, its retries as events,
            a span over each paginator walk. None (the default): no tracing.

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
        strict: bool | None = None,
        max_concurrency: int | None = None,
        rate_limit: RateLimit | Limiter | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url,
            auth=bearer_auth(token),
            retry=retry,
            timeout=timeout,
            transport=transport,
            headers=headers,
            on_retry=on_retry,
            strict=strict,
            max_concurrency=max_concurrency,
            rate_limit=rate_limit,
            tracer_provider=tracer_provider,
            limits_key=limit_key("spiceworks"),
        )
        self._bind()

    def _bind(self) -> None:
        SpiceworksApi.__init__(self, self)


#: The header the Kloudless API reads to act as one user of the account.
AS_USER_HEADER = "X-Kloudless-As-User"


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
        strict: Fail a call whose 2xx body does not fit its schema
            (``ResponseDecodeError`` naming the JSON path) instead of reading
            it tolerantly; None reads ``ITSM_ASYNC_STRICT`` (``1``: strict).
        as_user: Act as this user of the connected account: every request
            carries ``X-Kloudless-As-User``.
        max_concurrency: At most this many requests in flight at once (retries included).
        rate_limit: A ``RateLimit(per_second=..., burst=...)`` token bucket, or a
            shared limiter (``itsm_async.redis.RedisLimiter``). A 429 with
            ``Retry-After`` pauses every call of the client either way.
        tracer_provider: An OpenTelemetry ``TracerProvider`` (the ``otel``
            extra): a client span per operation call, its retries as events,
            a span over each paginator walk. None (the default): no tracing.

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
        strict: bool | None = None,
        as_user: str | int | None = None,
        max_concurrency: int | None = None,
        rate_limit: RateLimit | Limiter | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self._account_id = check.account_id("KloudlessClient", account_id)
        user = check.as_user("KloudlessClient", as_user)
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
            strict=strict,
            max_concurrency=max_concurrency,
            rate_limit=rate_limit,
            tracer_provider=tracer_provider,
            limits_key=limit_key("kloudless", self._account_id),
        )
        if user is not None:
            self._call_headers = {AS_USER_HEADER: user}
        self._bind()

    def _bind(self) -> None:
        KloudlessApi.__init__(self, self)

    def with_options(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float | None = None,
        strict: bool | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        as_user: str | int | None = None,
    ) -> Self:
        """A view of this client with other options; see ``_Client.with_options``.

        Args:
            retry: The retry policy for these calls.
            timeout: The timeout for these calls.
            strict: Whether a body that does not fit its schema fails these calls.
            headers: Headers added to these calls.
            params: Query parameters added to these calls.
            as_user: Act as this user of the connected account
                (``X-Kloudless-As-User``), as the official SDKs do.

        Returns:
            The view.

        Raises:
            InvalidArgumentError: An option of the wrong type, named.
        """
        user = check.as_user("with_options", as_user)
        view = super().with_options(retry=retry, timeout=timeout, strict=strict, headers=headers, params=params)
        if user is not None:
            view._call_headers = {**view._call_headers, AS_USER_HEADER: user}
        return view

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
