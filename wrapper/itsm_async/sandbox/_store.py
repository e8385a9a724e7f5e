"""Where the sandbox keeps its records, and the in-memory store.

Records are JSON-ready dicts with an integer ``id``, in named collections.
Every list the APIs offer is an index here: the ids matching one filter,
kept in ascending order as records change, so a page costs the page's size
however large the collection (100,000 tickets page as fast as 100):

- numbered pages slice the ordered ids (``window``),
- keyset pages bisect to the first id after a token's (``after``).

The collections of the hand-written handlers are fixed (:data:`INDEXES`);
the generic handlers declare theirs at start-up with ``add_collection``.
:class:`~itsm_async.sandbox._sqlite.SqliteStore` offers the same with SQL
indexes; the tests run against both.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

Record = dict[str, Any]

#: The filters each collection can be listed by: one index per field tuple.
INDEXES: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "users": (("role",),),
    "tickets": (("status",), ("assignee_id",), ("status", "assignee_id")),
    "comments": (("ticket_id",),),
    "devices": (("type",),),
    "incidents": (),
    "problems": (),
    "changes": (),
    "articles": (),
    "assets": (),
    "objects": (("raw_type",),),
}

COLLECTIONS = tuple(INDEXES)


Indexes = tuple[tuple[str, ...], ...]


def index_for(collection: str, filters: Mapping[str, Any], indexes: Mapping[str, Indexes] = INDEXES) -> tuple[str, ...]:
    """The index that serves ``filters`` (the empty tuple: the whole collection).

    Args:
        collection: The collection listed.
        filters: Field values to match.
        indexes: The indexes of every collection.

    Raises:
        ValueError: No index of the collection has exactly these fields.
    """
    fields = tuple(sorted(filters))
    if not fields:
        return ()
    for index in indexes[collection]:
        if tuple(sorted(index)) == fields:
            return index
    raise ValueError(f"{collection} has no index on {fields}")


class Store(Protocol):
    """The storage both backends provide; the handlers use nothing else."""

    def add_collection(self, collection: str, indexes: Indexes = ()) -> None:
        """Declare a collection beyond the fixed ones (kept, empty, across ``clear``)."""
        ...

    def insert(self, collection: str, record: Record) -> Record:
        """Store a new record under the next id; returns it with its ``id``."""
        ...

    def insert_many(self, collection: str, records: Iterable[Record]) -> None:
        """Store records that already have ascending ids (seed data)."""
        ...

    def get(self, collection: str, record_id: int) -> Record | None:
        """The record, or None."""
        ...

    def update(self, collection: str, record_id: int, changes: Mapping[str, Any]) -> Record | None:
        """Merge ``changes`` into the record; returns it, or None when absent."""
        ...

    def delete(self, collection: str, record_id: int) -> bool:
        """Remove the record; False when there was none."""
        ...

    def count(self, collection: str, filters: Mapping[str, Any]) -> int:
        """How many records match ``filters`` (field equality, one index)."""
        ...

    def window(self, collection: str, filters: Mapping[str, Any], offset: int, limit: int) -> list[Record]:
        """Matching records by ascending id, skipping ``offset``."""
        ...

    def after(self, collection: str, filters: Mapping[str, Any], after_id: int, limit: int) -> list[Record]:
        """Matching records with ids above ``after_id``, ascending."""
        ...

    def get_meta(self, key: str) -> str | None:
        """A stored setting (the seed a database was made with), or None."""
        ...

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting."""
        ...

    def clear(self) -> None:
        """Remove every record and setting; ids start again from 1."""
        ...

    def close(self) -> None:
        """Release the storage."""
        ...


class _Collection:
    def __init__(self, indexes: Indexes) -> None:
        self.rows: dict[int, Record] = {}
        self.ids: list[int] = []
        self.indexes: dict[tuple[str, ...], dict[tuple[Any, ...], list[int]]] = {index: {} for index in indexes}
        self.last_id = 0

    def add(self, record: Record) -> None:
        record_id = record["id"]
        self.rows[record_id] = record
        self.last_id = max(self.last_id, record_id)
        _add_sorted(self.ids, record_id)
        for fields, lists in self.indexes.items():
            _add_sorted(lists.setdefault(_key(record, fields), []), record_id)

    def ordered(self, fields: tuple[str, ...], filters: Mapping[str, Any]) -> list[int]:
        if not fields:
            return self.ids
        return self.indexes[fields].get(tuple(filters[f] for f in fields), [])


class MemoryStore:
    """Every record in dicts, every index a sorted id list: the default store."""

    def __init__(self) -> None:
        self._indexes: dict[str, Indexes] = dict(INDEXES)
        self._collections: dict[str, _Collection] = {}
        self._meta: dict[str, str] = {}
        self.clear()

    def add_collection(self, collection: str, indexes: Indexes = ()) -> None:
        if self._indexes.setdefault(collection, indexes) != indexes:
            raise ValueError(f"collection {collection} exists with other indexes")
        self._collections.setdefault(collection, _Collection(indexes))

    def insert(self, collection: str, record: Record) -> Record:
        target = self._collections[collection]
        stored = {**record, "id": target.last_id + 1}
        target.add(stored)
        return dict(stored)

    def insert_many(self, collection: str, records: Iterable[Record]) -> None:
        target = self._collections[collection]
        for record in records:
            target.add(dict(record))

    def get(self, collection: str, record_id: int) -> Record | None:
        record = self._collections[collection].rows.get(record_id)
        return None if record is None else dict(record)

    def update(self, collection: str, record_id: int, changes: Mapping[str, Any]) -> Record | None:
        target = self._collections[collection]
        record = target.rows.get(record_id)
        if record is None:
            return None
        for fields, lists in target.indexes.items():
            old, new = _key(record, fields), _key({**record, **changes}, fields)
            if old != new:
                _remove_sorted(lists[old], record_id)
                _add_sorted(lists.setdefault(new, []), record_id)
        record.update(changes)
        return dict(record)

    def delete(self, collection: str, record_id: int) -> bool:
        target = self._collections[collection]
        record = target.rows.pop(record_id, None)
        if record is None:
            return False
        _remove_sorted(target.ids, record_id)
        for fields, lists in target.indexes.items():
            _remove_sorted(lists[_key(record, fields)], record_id)
        return True

    def count(self, collection: str, filters: Mapping[str, Any]) -> int:
        return len(self._ids(collection, filters))

    def window(self, collection: str, filters: Mapping[str, Any], offset: int, limit: int) -> list[Record]:
        rows = self._collections[collection].rows
        return [dict(rows[i]) for i in self._ids(collection, filters)[offset : offset + limit]]

    def after(self, collection: str, filters: Mapping[str, Any], after_id: int, limit: int) -> list[Record]:
        ids = self._ids(collection, filters)
        start = bisect.bisect_right(ids, after_id)
        rows = self._collections[collection].rows
        return [dict(rows[i]) for i in ids[start : start + limit]]

    def get_meta(self, key: str) -> str | None:
        return self._meta.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self._meta[key] = value

    def clear(self) -> None:
        self._collections = {name: _Collection(indexes) for name, indexes in self._indexes.items()}
        self._meta = {}

    def close(self) -> None:
        """Nothing to release."""

    def _ids(self, collection: str, filters: Mapping[str, Any]) -> list[int]:
        return self._collections[collection].ordered(index_for(collection, filters, self._indexes), filters)


def _key(record: Mapping[str, Any], fields: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(record.get(field) for field in fields)


def _add_sorted(ids: list[int], record_id: int) -> None:
    # New records have the highest id: appending keeps the order in O(1).
    if not ids or ids[-1] < record_id:
        ids.append(record_id)
    else:
        bisect.insort(ids, record_id)


def _remove_sorted(ids: list[int], record_id: int) -> None:
    position = bisect.bisect_left(ids, record_id)
    if position < len(ids) and ids[position] == record_id:
        del ids[position]
