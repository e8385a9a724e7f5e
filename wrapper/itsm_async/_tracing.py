"""OpenTelemetry spans for a client's calls, made only when it is given a tracer provider.

A client made with ``tracer_provider=`` holds a :class:`Tracing`; without
one it holds None, and its send path costs one attribute check more than it
would without tracing. This module imports opentelemetry only when a
``Tracing`` is made, so ``import itsm_async`` works without the ``otel``
extra and never loads it::

    paginate tickets.list_tickets      INTERNAL: one walk over the pages
    └── listTickets                    CLIENT: one per operation call
          event "retry"                    one per retry: attempt, delay, reason

An operation span follows the HTTP client semantic conventions: named after
the spec's ``operationId`` (as RPC-like spans are), it carries
``http.request.method``, ``server.address``, ``server.port``,
``url.template`` (the route, never the filled-in path),
``http.response.status_code``, ``network.protocol.version`` and
``itsm.operation`` (``tickets.get_ticket``). A call that fails has
``error.type``, the ``ItsmError`` class's name (``NotFoundError``), and
status ERROR; a call cancelled from outside (a ``break`` out of a paginator
with pages in flight) has ``itsm.cancelled`` and no error.

Nothing else goes in: no URL with its path or query, no header, no body and
no exception message (which names the URL and repeats the server's words).
"""

from __future__ import annotations

import contextvars
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self

import anyio

from . import _arguments as check
from ._version import __version__

if TYPE_CHECKING:
    import httpx
    from opentelemetry.context import Context
    from opentelemetry.trace import Span, Tracer

    from ._send import Operation
    from ._transport import RetryEvent, RetryHook

#: The name of the tracer (the instrumentation scope) every span comes from.
TRACER_NAME: Final = "itsm_async"

#: The operation span of the call running in this task: the retry transport
#: calls its hook in the calling task, so the hook finds the span here.
_CALL: contextvars.ContextVar[Span | None] = contextvars.ContextVar("itsm_async_operation_span", default=None)

_DEFAULT_PORTS: Final = {"https": 443, "http": 80}


def tracing_for(where: str, provider: object) -> Tracing | None:
    """The tracing for a client's ``tracer_provider=``: None (no tracing at all) for None.

    Args:
        where: The client, for the error message.
        provider: An OpenTelemetry ``TracerProvider`` (the SDK's, the API's
            ``NoOpTracerProvider``, ``trace.get_tracer_provider()``), or None.

    Returns:
        A ``Tracing`` over the provider's tracer, or None.

    Raises:
        InvalidArgumentError: ``provider`` has no ``get_tracer`` method.
    """
    if provider is None:
        return None
    if not callable(getattr(provider, "get_tracer", None)):
        check.refuse(where, "tracer_provider", "an opentelemetry TracerProvider or None", provider)
    return Tracing(provider)


def with_retry_events(tracing: Tracing | None, on_retry: RetryHook | None) -> RetryHook | None:
    """The retry hook a client gives its transport: the span's event first, then the user's hook.

    Args:
        tracing: The client's tracing, or None.
        on_retry: The user's ``on_retry``, or None.

    Returns:
        ``on_retry`` itself when there is no tracing; otherwise a hook that
        adds the retry to the current operation span and calls ``on_retry``.
    """
    if tracing is None:
        return on_retry
    if on_retry is None:
        return tracing.on_retry
    record, user = tracing.on_retry, on_retry

    def both(event: RetryEvent, /) -> None:
        record(event)
        user(event)

    return both


class Tracing:
    """Spans for one client's calls, from an OpenTelemetry tracer provider.

    Args:
        provider: An OpenTelemetry ``TracerProvider``.
    """

    def __init__(self, provider: Any) -> None:
        # Imported here, not at the top: only a client given a provider needs it.
        from opentelemetry import context, trace

        self.tracer: Tracer = provider.get_tracer(TRACER_NAME, __version__)
        self._client_kind = trace.SpanKind.CLIENT
        self._internal_kind = trace.SpanKind.INTERNAL
        self._error = trace.StatusCode.ERROR
        self._in_context: Callable[[Span], Context] = trace.set_span_in_context
        self._attach: Callable[[Context], object] = context.attach
        self._detach: Callable[[Any], None] = context.detach

    def operation(self, operation: Operation, base_url: httpx.URL) -> OperationSpan:
        """A context manager around one operation call: its span, current while it runs.

        Args:
            operation: The generated operation's description.
            base_url: The client's base URL, for ``server.address`` and ``server.port``.

        Returns:
            The span's context manager; call ``responded`` on it with the response.
        """
        return OperationSpan(self, operation, base_url)

    def paging(self, name: str, walk: object) -> PagingSpan:
        """Start the span over one walk of a paginator; page calls made in ``page()`` are its children.

        Args:
            name: The list operation, ``tickets.list_tickets``.
            walk: The walk: a walk left part-way and dropped ends its span
                when it is collected, so that the span is still exported.

        Returns:
            The walk's span; ``end()`` it when the walk ends.
        """
        return PagingSpan(self, name, walk)

    def on_retry(self, event: RetryEvent, /) -> None:
        """Add a retry to the span of the call running in this task (the retry hook)."""
        span = _CALL.get()
        if span is not None:
            # Not event.path: the filled-in path may name an object or a user.
            span.add_event(
                "retry",
                {
                    "itsm.retry.attempt": event.attempt,
                    "itsm.retry.delay": event.delay,
                    "itsm.retry.reason": event.reason,
                },
            )

    def _failed(self, span: Span, exc: BaseException) -> None:
        """Record how a call or a walk ended: an error's class, or a cancellation."""
        if _cancellation(exc):
            span.set_attribute("itsm.cancelled", True)
            return
        name = type(exc).__name__
        span.set_attribute("error.type", name)
        # The class's name only: a message names the URL and repeats the server's words.
        span.set_status(self._error, name)


def _cancellation(exc: BaseException) -> bool:
    """Whether ``exc`` is the running event loop's cancellation (asyncio's or trio's)."""
    try:
        return isinstance(exc, anyio.get_cancelled_exc_class())
    except RuntimeError:  # no event loop: a walk's span ended by the garbage collector
        return False


class OperationSpan:
    """The span of one operation call, current (and found by the retry hook) while the call runs."""

    __slots__ = ("_call_token", "_context_token", "_tracing", "span")

    def __init__(self, tracing: Tracing, operation: Operation, base_url: httpx.URL) -> None:
        self._tracing = tracing
        # Given at the start, so that a sampler sees them (the conventions ask so).
        attributes: dict[str, str | int] = {
            "http.request.method": operation.method,
            "server.address": base_url.host,
            "url.template": operation.route,
            "itsm.operation": f"{operation.group}.{operation.name}",
        }
        port = base_url.port or _DEFAULT_PORTS.get(base_url.scheme)
        if port is not None:
            attributes["server.port"] = port
        self.span = tracing.tracer.start_span(
            operation.operation_id, kind=tracing._client_kind, attributes=attributes, record_exception=False
        )
        self._context_token: object = None
        self._call_token: contextvars.Token[Span | None] | None = None

    def __enter__(self) -> Self:
        self._context_token = self._tracing._attach(self._tracing._in_context(self.span))
        self._call_token = _CALL.set(self.span)
        return self

    def responded(self, response: httpx.Response) -> None:
        """Record the 2xx response the call returns."""
        self.span.set_attributes(
            {
                "http.response.status_code": response.status_code,
                "network.protocol.version": response.http_version.removeprefix("HTTP/"),
            }
        )

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        span = self.span
        if exc is not None:
            status = getattr(exc, "status_code", None)
            if isinstance(status, int):  # an ApiError, or a ResponseDecodeError of a 2xx
                span.set_attribute("http.response.status_code", status)
            self._tracing._failed(span, exc)
        if self._call_token is not None:
            _CALL.reset(self._call_token)
        self._tracing._detach(self._context_token)
        span.end()


class PagingSpan:
    """The span over one walk of a paginator: its page calls are its children.

    It is current only inside ``page()``, never between pages, so that the
    caller's code in its ``async for`` keeps its own context.
    """

    def __init__(self, tracing: Tracing, name: str, walk: object) -> None:
        self._tracing = tracing
        self.span = tracing.tracer.start_span(
            f"paginate {name}", kind=tracing._internal_kind, attributes={"itsm.operation": name}, record_exception=False
        )
        self._context = tracing._in_context(self.span)
        self.pages = 0
        self.ended = False
        self._collected = weakref.finalize(walk, self.end)
        # Not at exit: the provider may have shut down by then.
        self._collected.atexit = False

    def page(self) -> _Current:
        """A context manager making this span current around one page's call."""
        self.pages += 1
        return _Current(self._tracing, self._context)

    def end(self, *, items: int | None = None, error: BaseException | None = None) -> None:
        """End the span (once; later calls do nothing).

        Args:
            items: The items of the pages the walk read, when known.
            error: What ended the walk, when it failed.
        """
        if self.ended:
            return
        self.ended = True
        self._collected.detach()
        span = self.span
        span.set_attribute("itsm.paging.pages", self.pages)
        if items is not None:
            span.set_attribute("itsm.paging.items", items)
        if error is not None:
            self._tracing._failed(span, error)
        span.end()


class _Current:
    """Makes a context current for one block, in the task that enters it."""

    __slots__ = ("_context", "_token", "_tracing")

    def __init__(self, tracing: Tracing, context: Context) -> None:
        self._tracing = tracing
        self._context = context
        self._token: object = None

    def __enter__(self) -> None:
        self._token = self._tracing._attach(self._context)

    def __exit__(self, *exc_info: object) -> None:
        self._tracing._detach(self._token)
