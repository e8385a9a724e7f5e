"""Pages and paginators: ``async for`` over every item of any list operation.

A page is any generated list model: codegen gives each list envelope a
``page_items()`` method, and every model has ``from_dict``, whose return type
tells a type checker the page's own class, so ``pages()`` yields it typed.
A paging style reads a page and the parameters that fetched it and says
which parameters fetch the next one, or that there is none.

A walk never ends silently and never loops. A page without its list of
items raises ``PagingError`` naming the keys it had. A page key asked for
again, or a page whose items (fingerprinted by their ids) repeat an earlier
page's, raises ``PagingError``: at once when the earlier page is among the
last ``_WINDOW`` (64), and for a longer cycle within four times the larger of
its length and the number of pages before it (a Brent checkpoint, moved at
each power of two). More than 64 empty pages in a row raise too. So a walk
holds two windows of 64 keys and fingerprints, and the pages fetched ahead:
one, or up to ``concurrency``.
"""

from __future__ import annotations

import collections
import functools
import math
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, ParamSpec, Protocol, Self, TypeVar, cast

import anyio
import anyio.abc
import attrs

from . import _arguments as check
from ._exceptions import ItsmError, NotFoundError

if TYPE_CHECKING:
    from ._tracing import PagingSpan, Tracing

P = TypeVar("P")
T = TypeVar("T")
P_co = TypeVar("P_co", covariant=True)
T_co = TypeVar("T_co", covariant=True)
Params = ParamSpec("Params")

#: How many of the latest page keys and page fingerprints a walk remembers.
_WINDOW = 64


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


class PagingError(ItsmError):
    """The server's paging makes no sense: a page without its items, or pages that repeat."""


class PagingStyle(Protocol):
    """How one API pages: from a page and its parameters to the next parameters."""

    #: Whether pages are numbered, so that later pages can be fetched ahead.
    numbered: bool

    def next_params(self, page: Any, params: Mapping[str, Any], walk: Walk[Any, Any]) -> dict[str, Any] | None:
        """The parameters of the next page, or None after the last."""
        ...

    def pages_left(self, page: Any, params: Mapping[str, Any], walk: Walk[Any, Any]) -> int | None:
        """How many pages follow this one, when the server says; None when unknown."""
        ...


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _first_int(meta: Mapping[str, Any], *keys: str) -> int | None:
    return next((number for number in map(_int, map(meta.get, keys)) if number is not None), None)


def _meta(page: Any) -> dict[str, Any]:
    """``meta`` as a dict: the spec's fields and any other key the server sent."""
    meta = getattr(page, "meta", None)
    if isinstance(meta, Mapping):
        return dict(meta)
    to_dict = getattr(meta, "to_dict", None)
    return to_dict() if callable(to_dict) else {}


class NumberedPages:
    """Spiceworks: ``page``/``per_page``, ending on an empty page or where ``meta`` says.

    ``meta`` may say it in either shape: ``total_pages``/``total_count`` (the
    spec) or ``page_count``/``total_entries`` (the API's documentation), the
    latter read from the unknown keys of the ``meta`` model. A page shorter
    than ``per_page`` is not the end: servers cap ``per_page`` (at 30 by
    default), so only ``meta`` or an empty page ends the walk.
    """

    numbered = True

    def pages_left(self, page: Any, params: Mapping[str, Any], walk: Walk[Any, Any]) -> int | None:
        meta = _meta(page)
        total_pages = _first_int(meta, "total_pages", "page_count")
        if total_pages is None:
            total_count = _first_int(meta, "total_count", "total_entries")
            # The size the server serves, seen on the first page, over the size it says.
            per_page = walk.first_page_size or _int(meta.get("per_page"))
            if total_count is None or not per_page:
                return None
            total_pages = math.ceil(total_count / per_page)
        return max(0, total_pages - self.number(params))

    def next_params(self, page: Any, params: Mapping[str, Any], walk: Walk[Any, Any]) -> dict[str, Any] | None:
        if not walk.items_of(page) or self.pages_left(page, params, walk) == 0:
            return None
        return {**params, "page": self.number(params) + 1}

    @staticmethod
    def number(params: Mapping[str, Any]) -> int:
        current = params.get("page")
        return current if isinstance(current, int) and not isinstance(current, bool) else 1


class TokenPages:
    """Kloudless: ``page_size`` plus the ``next_page`` token until it is null.

    A page without ``next_page`` whose ``page`` is an integer is followed by
    ``page + 1`` until an empty page or a 404, as the official SDKs do
    (kloudless-python's ``ResourceList._get_next_page``).
    """

    numbered = False

    def pages_left(self, page: Any, params: Mapping[str, Any], walk: Walk[Any, Any]) -> int | None:
        return None

    def next_params(self, page: Any, params: Mapping[str, Any], walk: Walk[Any, Any]) -> dict[str, Any] | None:
        # getattr's default: next_page is absent (MissingFieldError is an AttributeError).
        token = getattr(page, "next_page", walk)
        if token is walk or type(token).__name__ == "Unset":
            number = _int(getattr(page, "page", None))
            if number is None or not walk.items_of(page):
                return None
            walk.counting = True
            return {**params, "page": str(number + 1)}
        walk.counting = False
        if token is None or token == "":
            return None
        return {**params, "page": str(token)}


class _Repeats:
    """Whether a value was seen before: among the last ``_WINDOW``, or at a Brent checkpoint."""

    def __init__(self) -> None:
        self._recent: collections.deque[object] = collections.deque(maxlen=_WINDOW)
        self._checkpoint: object = None
        self._steps = 0

    def seen(self, value: object) -> bool:
        if value in self._recent or (self._steps > _WINDOW and value == self._checkpoint):
            return True
        self._recent.append(value)
        self._steps += 1
        # Brent: keep the value at each power of two; a cycle of any length then
        # meets it again within twice the first power above its start and length.
        if self._steps & (self._steps - 1) == 0:
            self._checkpoint = value
        return False


def _identity(item: object) -> object:
    ident = getattr(item, "id", None)
    return ident if isinstance(ident, int | str) else repr(item)


class _Slot:
    """A page fetched ahead in a walk's task group: its parameters, its scope, its result once done."""

    __slots__ = ("done", "params", "result", "scope")

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        self.scope = anyio.CancelScope()
        self.done = anyio.Event()
        self.result: Any = None


class Walk(Generic[P, T]):
    """One walk over the pages, first to last: ``pages()`` gives one, and items come from one.

    Pages are fetched one at a time, or, with ``concurrency`` above 1 and
    numbered pages, up to ``concurrency`` at once. Inside ``async with``, the
    walk owns an anyio task group for the block, and keeps ``concurrency``
    pages in flight or waiting while the items are read. Outside it, pages
    come in batches of ``concurrency`` in a task group that lives only while
    the walk waits for its next page, so a ``break`` leaves nothing running.
    ``aclose()`` (also from another task) cancels what is in flight. Read to
    its end, failed or closed, it starts again from the first page when
    iterated again; left part-way, it continues.
    """

    def __init__(self, paginator: Paginator[P, T]) -> None:
        self._paginator = paginator
        self._scope: anyio.CancelScope | None = None
        self._group: anyio.abc.TaskGroup | None = None
        self._slots: dict[int, _Slot] = {}
        self._span: PagingSpan | None = None
        self._restart()

    def _restart(self) -> None:
        self._next: dict[str, Any] | None = dict(self._paginator.params)
        self._ahead: collections.deque[tuple[dict[str, Any], Any]] = collections.deque()
        self._keys = _Repeats()
        self._contents = _Repeats()
        self._empty_run = 0
        self._left: int | None = None
        self._stop_at: int | None = None
        self.finished = False
        self.first_page_size: int | None = None
        self.seen = 0
        #: Following ``page + 1`` without tokens: a 404 is the end.
        self.counting = False

    def items_of(self, page: Any) -> Sequence[Any]:
        """The page's items; ``PagingError`` when it has no list of them."""
        try:
            items = page.page_items()
        except AttributeError as exc:  # MissingFieldError: the items' key is absent
            raise self._no_items(page) from exc
        if not isinstance(items, list | tuple):
            raise self._no_items(page)
        if not items and attrs.has(type(page)):
            # A model that left its list unset may still say []: look for the list itself.
            names = (field.name for field in attrs.fields(type(page)) if field.name != "additional_properties")
            if not any(isinstance(getattr(page, name, None), list) for name in names):
                raise self._no_items(page)
        return cast("Sequence[Any]", items)

    def _no_items(self, page: Any) -> PagingError:
        to_dict = getattr(page, "to_dict", None)
        keys = sorted(to_dict()) if callable(to_dict) else []
        return PagingError(
            f"{self._paginator.name}: a page without its list of items ({type(page).__name__}); "
            f"the server sent the keys {keys}; stopping rather than yielding nothing"
        )

    def __aiter__(self) -> Self:
        if self.finished:
            self._restart()
        return self

    async def __anext__(self) -> P:
        page = await self.next_page()
        if page is None:
            raise StopAsyncIteration
        # The page *is* a P: Page's from_dict return type is its own class.
        return cast("P", page)

    async def __aenter__(self) -> Self:
        paginator = self._paginator
        if paginator.concurrency > 1 and paginator.style.numbered and self._group is None:
            group = anyio.create_task_group()
            await group.__aenter__()
            self._group = group
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
        group, self._group = self._group, None
        if group is not None:
            # Every page in it was just cancelled: this waits for them to stop.
            await group.__aexit__(None, None, None)

    async def aclose(self) -> None:
        """End the walk: cancel the pages in flight and drop those fetched ahead."""
        self._end()
        if self._scope is not None:
            self._scope.cancel()

    def _end(self, error: BaseException | None = None) -> None:
        if self._span is not None:
            self._span.end(items=self.seen, error=error)
            self._span = None
        self.finished = True
        self._next = None
        self._ahead.clear()
        for slot in self._slots.values():
            slot.scope.cancel()
        self._slots.clear()

    async def next_page(self) -> Page[P, T] | None:
        """The next page, or None after the last."""
        limit = self._paginator.max_items
        if self._next is None or (limit is not None and self.seen >= limit):
            self._end()
            return None
        key = self._next.get("page")
        if self._keys.seen(key):
            name = self._paginator.name
            error = PagingError(f"{name}: the server led back to page {key!r}; stopping to avoid a loop")
            self._end(error)
            raise error
        if not self._ahead:
            if self._group is not None and (self._slots or self._ahead_count() > 1):
                await self._from_window(self._next)
            else:
                await self._fetch_ahead(self._next)
        if self.finished or not self._ahead:  # closed while fetching
            self._end()
            return None
        params, page = self._ahead.popleft()
        try:
            if isinstance(page, Exception):
                if isinstance(page, NotFoundError) and self.counting:
                    self._end()
                    return None  # past the last of the pages numbered without tokens
                raise page
            items = self.items_of(page)
            self._check_progress(params, items)
            style = self._paginator.style
            if self.first_page_size is None:
                self.first_page_size = len(items)
            self.seen += len(items)
            self._left = style.pages_left(page, params, self)
            self._next = style.next_params(page, params, self)
        except Exception as exc:
            self._end(exc)
            raise
        if self._next is None or (self._ahead and self._ahead[0][0] != self._next):
            self._ahead.clear()
        return cast("Page[P, T]", page)

    def _check_progress(self, params: Mapping[str, Any], items: Sequence[Any]) -> None:
        name = self._paginator.name
        key = params.get("page")
        self._empty_run = self._empty_run + 1 if not items else 0
        if self._empty_run > _WINDOW:
            raise PagingError(f"{name}: {self._empty_run} empty pages in a row; stopping to avoid a loop")
        if items and self._contents.seen(hash(tuple(_identity(item) for item in items))):
            raise PagingError(
                f"{name}: page {key!r} repeats the items of an earlier page "
                "(the server ignores the page asked for); stopping to avoid a loop"
            )

    def _ahead_count(self) -> int:
        """How many pages to fetch now: 1, or up to ``concurrency`` numbered pages."""
        paginator = self._paginator
        size = self.first_page_size
        if paginator.concurrency == 1 or not paginator.style.numbered or not size:
            return 1
        count = paginator.concurrency
        if paginator.max_items is not None:
            count = min(count, math.ceil((paginator.max_items - self.seen) / size))
        if self._left is not None:
            count = min(count, self._left)
        return max(1, count)

    async def _fetch(self, params: dict[str, Any]) -> Any:
        """One page's call; when the client traces, a child of the walk's span, started with the first page."""
        paginator = self._paginator
        if paginator.start_span is None:
            return await paginator.fetch(**params)
        if self._span is None:
            self._span = paginator.start_span(self)
        with self._span.page():
            return await paginator.fetch(**params)

    async def _fetch_ahead(self, params: dict[str, Any]) -> None:
        count = self._ahead_count()
        first = NumberedPages.number(params)
        targets = [params] if count == 1 else [{**params, "page": first + n} for n in range(count)]
        results: list[Any] = [None] * count
        scopes = [anyio.CancelScope() for _ in targets]
        fetch = self._fetch

        async def one(n: int) -> None:
            with scopes[n]:
                try:
                    results[n] = await fetch(targets[n])
                except Exception as exc:  # noqa: BLE001 - kept, to be raised in order
                    results[n] = exc
                    # Pages after a failed one are never read: stop them now.
                    for later in scopes[n + 1 :]:
                        later.cancel()

        try:
            with anyio.CancelScope() as self._scope:
                if count == 1:
                    await one(0)
                else:
                    async with anyio.create_task_group() as group:
                        for n in range(count):
                            group.start_soon(one, n)
        finally:
            self._scope = None
        for target, result in zip(targets, results, strict=True):
            if result is None:  # stopped after an earlier page failed
                break
            self._ahead.append((target, result))
            if isinstance(result, Exception):
                break

    async def _from_window(self, params: dict[str, Any]) -> None:
        """Keep the next ``concurrency`` pages started in the walk's task group; wait for the first."""
        assert self._group is not None
        first = NumberedPages.number(params)
        for number in range(first, first + self._ahead_count()):
            if number not in self._slots and (self._stop_at is None or number <= self._stop_at):
                slot = self._slots[number] = _Slot({**params, "page": number})
                self._group.start_soon(self._run, number, slot)
        slot = self._slots[first]
        await slot.done.wait()
        if self._slots.pop(first, None) is not None and slot.result is not None:
            self._ahead.append((slot.params, slot.result))

    async def _run(self, number: int, slot: _Slot) -> None:
        try:
            with slot.scope:
                try:
                    slot.result = await self._fetch(slot.params)
                except Exception as exc:  # noqa: BLE001 - kept, to be raised in order
                    slot.result = exc
                    # Pages after a failed one are never read: stop them now, start no more.
                    self._stop_at = number
                    for later, other in self._slots.items():
                        if later > number:
                            other.scope.cancel()
        finally:
            slot.done.set()


class Paginator(Generic[P, T]):
    """Every item across all pages of a list operation, fetched lazily.

    ``async for item in paginator`` yields items; ``paginator.pages()`` yields
    whole pages, each the operation's own response model. ``max_items`` stops
    early, fetching no page beyond it. ``async with`` closes it on leaving the
    block: the pages in flight are cancelled at once. Read to its end, failed
    or closed, it starts again from the first page when iterated again; left
    part-way, it continues where it stopped.

    Args:
        fetch: The bound list operation.
        params: Its keyword arguments for the first page.
        style: The API's paging style.
        max_items: Stop after this many items (0: none); None for all.
        concurrency: Pages fetched at once, when pages are numbered (1: one at a time).
        start_span: Starts the span of a walk, parent of its page calls (the
            client's tracing); None for no span.

    Raises:
        InvalidArgumentError: ``max_items`` is not a non-negative int or None,
            or ``concurrency`` not a positive int.
    """

    def __init__(
        self,
        fetch: Callable[..., Awaitable[Page[P, T]]],
        params: Mapping[str, Any],
        style: PagingStyle,
        max_items: int | None = None,
        concurrency: int = 1,
        start_span: Callable[[Walk[P, T]], PagingSpan] | None = None,
    ) -> None:
        self.fetch = fetch
        self.start_span = start_span
        self.params = dict(params)
        self.style = style
        self.max_items = check.max_items("Paginator", max_items)
        self.concurrency = _concurrency("Paginator", concurrency)
        self.name: str = getattr(fetch, "__name__", "paginate")
        self._walks: weakref.WeakSet[Walk[P, T]] = weakref.WeakSet()
        self._items = self.pages()
        self._page_items: collections.deque[T] = collections.deque()
        self._yielded = 0

    def pages(self) -> Walk[P, T]:
        """A new walk over whole pages, first to last (``max_items`` bounds the pages fetched)."""
        walk = Walk(self)
        self._walks.add(walk)
        return walk

    def __aiter__(self) -> Self:
        if self._items.finished:
            self._items.__aiter__()
            self._page_items.clear()
            self._yielded = 0
        return self

    async def __anext__(self) -> T:
        limit = self.max_items
        while not self._page_items:
            page = None if limit is not None and self._yielded >= limit else await self._items.next_page()
            if page is None:
                await self._items.aclose()
                raise StopAsyncIteration
            self._page_items.extend(self._items.items_of(page))
        self._yielded += 1
        item = self._page_items.popleft()
        if limit is not None and self._yielded >= limit:
            self._page_items.clear()
        return item

    async def __aenter__(self) -> Self:
        await self._items.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.aclose()
        await self._items.__aexit__(exc_type, exc, traceback)

    async def aclose(self) -> None:
        """Stop every walk of this paginator: pages in flight are cancelled, none is fetched again."""
        for walk in list(self._walks):
            await walk.aclose()
        self._page_items.clear()


def _concurrency(where: str, value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    check.refuse(where, "concurrency", "a positive int (pages fetched at once)", value)


class Paginating:
    """The ``paginate`` method of both clients."""

    _paging: ClassVar[PagingStyle]
    #: The list operations of the client's generated ``Api``, for ``paginate``.
    _list_operations: ClassVar[dict[tuple[type, str], str]]
    _tracing: Tracing | None

    def _shares_the_pool(self, invoker: object) -> bool:
        raise NotImplementedError

    def paginate(
        self,
        operation: Callable[Params, Awaitable[Page[P, T]]],
        /,
        max_items: int | None = None,
        concurrency: int = 1,
        *args: Params.args,
        **params: Params.kwargs,
    ) -> Paginator[P, T]:
        """Iterate over every item of a list operation, page by page, lazily.

        The pages are fetched through this client, with its options: a view's
        (``client.with_options(...).paginate(...)``) apply whichever client's
        operation is given. The parameters are typed from the operation, so a
        misspelt filter is a type error.

        Args:
            operation: A bound list operation, e.g. ``client.tickets.list_tickets``.
            max_items: Stop after this many items (0: none); by keyword.
            concurrency: Pages fetched at once (numbered pages only; token
                pages are fetched one after the other); by keyword. Inside
                ``async with``, that many stay in flight while items are read;
                outside, they come in batches.
            **params: The operation's keyword arguments (filters, page size).

        Returns:
            A paginator: ``async for`` items, or ``.pages()`` for whole pages
            (each the operation's response model, typed as such); an async
            context manager that closes it.

        Raises:
            InvalidArgumentError: ``operation`` is not a list operation of this
                client, a parameter is unknown to it or a required one missing,
                ``max_items`` is not a non-negative int, or ``concurrency`` not
                a positive int. The operation checks the values itself, before
                the first page is requested.
        """
        # max_items and concurrency come before *args: PEP 612 allows no
        # keyword-only parameter between *args: P.args and **params: P.kwargs
        # (mypy: "Arguments not allowed after ParamSpec.args"). The operations
        # take keywords only, so P.args is empty and nothing else is positional.
        if args:
            check.refuse("paginate", "the operation's parameters", "given by keyword", args)
        name = check.list_operation(operation, params, self._list_operations, self._shares_the_pool)
        check.max_items("paginate", max_items)
        _concurrency("paginate", concurrency)
        group, method = name.split(".")
        fetch = getattr(getattr(self, group), method)
        tracing = self._tracing
        start_span = None if tracing is None else functools.partial(tracing.paging, name)
        return Paginator(fetch, params, self._paging, max_items, concurrency, start_span)
