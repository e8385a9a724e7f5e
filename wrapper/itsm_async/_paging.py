"""Pages and paginators: ``async for`` over every item of any list operation.

A page is any generated list model: codegen gives each list envelope a
``page_items()`` method, and every model has ``from_dict``, whose return type
tells a type checker the page's own class, so ``pages()`` yields it typed.
A paging style reads a page and the parameters that fetched it and says
which parameters fetch the next one, or that there is none. Pages are
fetched lazily, one at a time, so memory holds one page.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from . import _arguments as check
from ._arguments import max_items as max_items_argument
from ._exceptions import ItsmError

P = TypeVar("P")
T = TypeVar("T")
P_co = TypeVar("P_co", covariant=True)
T_co = TypeVar("T_co", covariant=True)

#: How many of the latest pages are remembered to detect a paging cycle.
_CYCLE_WINDOW = 64


class Page(Protocol[P_co, T_co]):
    """A page of a list response, of class ``P_co``, holding items ``T_co``.

    Every generated list envelope is one.
    """

    def page_items(self) -> Sequence[T_co]:
        """The items on this page."""
        ...

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any], /) -> P_co:
        """Parse a page: its return type names the page's class."""
        ...


class PagingStyle(Protocol):
    """How one API pages: from a page and its parameters to the next parameters."""

    def next_params(self, page: Any, params: Mapping[str, Any], first_page_size: int) -> dict[str, Any] | None:
        """The parameters of the next page, or None after the last."""
        ...


def _field(obj: Any, name: str) -> Any:
    value = getattr(obj, name, None)
    # The generated models mark absent fields with a falsy Unset sentinel.
    if value is None or (not value and not isinstance(value, int | str)):
        return None
    return value


class NumberedPages:
    """Spiceworks: ``page``/``per_page`` with ``meta.total_pages``.

    Without ``meta``, an empty page or one shorter than ``per_page`` (or, when
    ``per_page`` is not given, than the first page) is the last.
    """

    def next_params(self, page: Any, params: Mapping[str, Any], first_page_size: int) -> dict[str, Any] | None:
        items = page.page_items()
        if not items:
            return None
        current = params.get("page")
        current = current if isinstance(current, int) else 1
        meta = _field(page, "meta")
        total_pages = _field(meta, "total_pages") if meta is not None else None
        if isinstance(total_pages, int):
            if current >= total_pages:
                return None
        else:
            per_page = params.get("per_page")
            full = per_page if isinstance(per_page, int) else first_page_size
            if len(items) < full:
                return None
        return {**params, "page": current + 1}


class TokenPages:
    """Kloudless: ``page_size`` plus the ``next_page`` token until it is null."""

    def next_params(self, page: Any, params: Mapping[str, Any], first_page_size: int) -> dict[str, Any] | None:
        token = _field(page, "next_page")
        if token is None or token == "":
            return None
        return {**params, "page": str(token)}


class PagingError(ItsmError):
    """The server's paging information is inconsistent (e.g. a repeating page token)."""


class Paginator(Generic[P, T]):
    """Every item across all pages of a list operation, fetched lazily.

    ``async for item in paginator`` yields items; ``paginator.pages()`` yields
    whole pages, each the operation's own response model. ``max_items`` stops early, fetching no page beyond it.

    Args:
        fetch: The bound list operation.
        params: Its keyword arguments for the first page.
        style: The API's paging style.
        max_items: Stop after this many items (0: none); None for all.

    Raises:
        InvalidArgumentError: ``max_items`` is not a non-negative int or None.
    """

    def __init__(
        self,
        fetch: Callable[..., Awaitable[Page[P, T]]],
        params: Mapping[str, Any],
        style: PagingStyle,
        max_items: int | None = None,
    ) -> None:
        self._fetch = fetch
        self._params = dict(params)
        self._style = style
        self._max_items = max_items_argument("Paginator", max_items)
        self._items: AsyncGenerator[T, None] | None = None

    async def pages(self) -> AsyncGenerator[P, None]:
        """Yield whole pages, first to last (``max_items`` bounds the pages fetched)."""
        async with contextlib.aclosing(self._pages()) as pages:
            async for page in pages:
                # The page *is* a P: Page's from_dict return type is its own class.
                yield cast("P", page)

    async def _pages(self) -> AsyncGenerator[Page[P, T], None]:
        params: dict[str, Any] | None = self._params
        seen = 0
        first_page_size: int | None = None
        # The last pages asked for: one asked for again means the server's paging
        # cycles, so stop rather than loop. Bounded, to keep memory at one page.
        recent: collections.deque[object] = collections.deque(maxlen=_CYCLE_WINDOW)
        while params is not None and (self._max_items is None or seen < self._max_items):
            page_key = params.get("page")
            if page_key in recent:
                raise PagingError(f"the server led back to page {page_key!r}; stopping to avoid a loop")
            recent.append(page_key)
            page = await self._fetch(**params)
            count = len(page.page_items())
            if first_page_size is None:
                first_page_size = count
            seen += count
            yield page
            params = self._style.next_params(page, params, first_page_size)

    async def _iter_items(self) -> AsyncGenerator[T, None]:
        remaining = self._max_items
        if remaining == 0:
            return
        # Close the page generator on an early stop, not at garbage collection
        # (trio warns about async generators left unfinished).
        async with contextlib.aclosing(self._pages()) as pages:
            async for page in pages:
                for item in page.page_items():
                    yield item
                    if remaining is not None:
                        remaining -= 1
                        if remaining == 0:
                            return

    def __aiter__(self) -> Paginator[P, T]:
        return self

    async def __anext__(self) -> T:
        if self._items is None:
            self._items = self._iter_items()
        return await self._items.__anext__()

    async def aclose(self) -> None:
        """Stop early and release the page being read (``contextlib.aclosing`` calls it)."""
        if self._items is not None:
            await self._items.aclose()


class Paginating:
    """The ``paginate`` method of both clients."""

    _paging: ClassVar[PagingStyle]
    #: The list operations of the client's generated ``Api``, for ``paginate``.
    _list_operations: ClassVar[dict[tuple[type, str], str]]

    def _shares_the_pool(self, invoker: object) -> bool:
        raise NotImplementedError

    def paginate(
        self,
        operation: Callable[..., Awaitable[Page[P, T]]],
        /,
        *,
        max_items: int | None = None,
        **params: Any,
    ) -> Paginator[P, T]:
        """Iterate over every item of a list operation, page by page, lazily.

        Args:
            operation: A bound list operation, e.g. ``client.tickets.list_tickets``.
            max_items: Stop after this many items (0: none).
            **params: The operation's keyword arguments (filters, page size).

        Returns:
            A paginator: ``async for`` items, or ``.pages()`` for whole pages
            (each the operation's response model, typed as such).

        Raises:
            InvalidArgumentError: ``operation`` is not a list operation of this
                client, a parameter is unknown to it or a required one missing,
                or ``max_items`` is not a non-negative int. The operation checks
                the values itself, before the first page is requested.
        """
        check.list_operation(operation, params, self._list_operations, self._shares_the_pool)
        check.max_items("paginate", max_items)
        return Paginator(operation, params, self._paging, max_items)
