"""The two paging styles of the APIs, over the store's indexes.

- Numbered pages (Spiceworks): ``page`` and ``per_page`` pick a window of the
  ordered ids; the page knows the total and the number of pages.
- Keyset pages (Kloudless): an opaque ``page`` token names the last id of the
  previous page, so a token stays valid, and skips nothing, when records are
  added or deleted (see ``_ids``).

Each style returns the records and the page's facts; the hand-written and
the generic handlers lay them out as their spec says.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from . import _ids as ids
from ._errors import ApiProblem
from ._store import Record, Store


@attrs.frozen
class NumberedPage:
    """One numbered page: its records and where it stands."""

    records: list[Record]
    page: int
    per_page: int
    total: int

    @property
    def total_pages(self) -> int:
        """How many pages of ``per_page`` the matching records fill."""
        return math.ceil(self.total / self.per_page)


@attrs.frozen
class KeysetPage:
    """One keyset page: its records, its token and the next page's (None after the last)."""

    records: list[Record]
    page: str
    next_page: str | None
    total: int


def numbered_page(store: Store, collection: str, filters: Mapping[str, Any], page: int, per_page: int) -> NumberedPage:
    """Page ``page`` (from 1) of ``per_page`` matching records, by ascending id.

    A page or size below 1 means 1, as on the live Spiceworks API, rather
    than an error; a page past the last is empty, however far past (the
    stores hold no record past a 64-bit id, and say so without overflowing).
    """
    page, per_page = max(1, page), max(1, per_page)
    records = store.window(collection, filters, (page - 1) * per_page, per_page)
    return NumberedPage(records, page, per_page, store.count(collection, filters))


def keyset_page(store: Store, collection: str, filters: Mapping[str, Any], token: str | None, size: int) -> KeysetPage:
    """The ``size`` matching records after the ``token``'s (the first page without one).

    Raises:
        ApiProblem: 400 for a page token the sandbox did not make.
    """
    after = 0 if token is None else ids.page_after(token)
    if after is None:
        raise ApiProblem(400, "Invalid page", [f"page {token!r} is not a page token from this API"])
    # One record more than asked tells whether there is a next page.
    records = store.after(collection, filters, after, size + 1)
    shown = records[:size]
    next_page = ids.page_token(shown[-1]["id"]) if len(records) > size else None
    return KeysetPage(
        shown, ids.page_token(after) if token is None else token, next_page, store.count(collection, filters)
    )
