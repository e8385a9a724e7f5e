"""The SQLite store: the sandbox's state kept in one file across restarts.

One table per collection: the record as JSON, plus a column for each field
an index filters on. Lists are indexed queries: numbered pages use
``LIMIT``/``OFFSET`` and keyset pages ``id > ?``, so neither reads the whole
table. The stdlib driver is enough: calls take microseconds, so they run on
the event loop rather than in a thread.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from ._store import INDEXES, Indexes, Record, index_for


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: SQLite's INTEGER is a signed 64-bit integer: a larger Python int raises OverflowError.
_SMALLEST, _LARGEST = -(2**63), 2**63 - 1


def _fits(number: int) -> bool:
    return _SMALLEST <= number <= _LARGEST


def _column_value(value: Any) -> Any:
    # An indexed field holding a list or an object is matched by its JSON text, and so is an
    # integer SQLite cannot hold: the same value, stored or asked for, gives the same text.
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, int) and not isinstance(value, bool) and not _fits(value):
        return json.dumps(value)
    return value


class SqliteStore:
    """Records in an SQLite database file, created on first use.

    Args:
        path: The database file (``:memory:`` for a private in-memory one).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        # Autocommit: every write is durable at once; seeding opens its own
        # transaction for speed.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # COUNT(*) reads a whole index, so a page would cost O(records):
        # counts are kept per collection and filter until the collection changes.
        self._counts: dict[str, dict[tuple[Any, ...], int]] = {}
        self._indexes: dict[str, Indexes] = {}
        for collection, indexes in INDEXES.items():
            self.add_collection(collection, indexes)
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def _columns(self, collection: str) -> list[str]:
        return sorted({field for index in self._indexes[collection] for field in index})

    def add_collection(self, collection: str, indexes: Indexes = ()) -> None:
        if self._indexes.setdefault(collection, indexes) != indexes:
            raise ValueError(f"collection {collection} exists with other indexes")
        extra = "".join(f", {_quote(c)}" for c in self._columns(collection))
        table = _quote(collection)
        self._db.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL{extra})"
        )
        for fields in indexes:
            name = _quote(f"{collection}__{'__'.join(fields)}")
            columns = ", ".join(_quote(f) for f in fields)
            self._db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")

    def insert(self, collection: str, record: Record) -> Record:
        self._counts.pop(collection, None)
        body = {k: v for k, v in record.items() if k != "id"}
        columns = self._columns(collection)
        names = ", ".join(["data", *map(_quote, columns)])
        marks = ", ".join("?" * (len(columns) + 1))
        cursor = self._db.execute(
            f"INSERT INTO {_quote(collection)} ({names}) VALUES ({marks})",  # noqa: S608 - quoted collection names
            [json.dumps(body), *(_column_value(body.get(c)) for c in columns)],
        )
        assert cursor.lastrowid is not None
        return {**body, "id": cursor.lastrowid}

    def insert_many(self, collection: str, records: Iterable[Record]) -> None:
        self._counts.pop(collection, None)
        columns = self._columns(collection)
        names = ", ".join(["id", "data", *map(_quote, columns)])
        marks = ", ".join("?" * (len(columns) + 2))
        rows = (
            [
                record["id"],
                json.dumps({k: v for k, v in record.items() if k != "id"}),
                *(_column_value(record.get(c)) for c in columns),
            ]
            for record in records
        )
        self._db.execute("BEGIN")
        try:
            sql = f"INSERT INTO {_quote(collection)} ({names}) VALUES ({marks})"  # noqa: S608 - quoted collection names
            self._db.executemany(sql, rows)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def get(self, collection: str, record_id: int) -> Record | None:
        if not _fits(record_id):
            return None  # no row has an id SQLite cannot hold
        row = self._db.execute(
            f"SELECT id, data FROM {_quote(collection)} WHERE id = ?",  # noqa: S608 - quoted collection names
            (record_id,),
        ).fetchone()
        return None if row is None else _record(row)

    def update(self, collection: str, record_id: int, changes: Mapping[str, Any]) -> Record | None:
        current = self.get(collection, record_id)
        if current is None:
            return None
        self._counts.pop(collection, None)
        merged = {**current, **changes}
        body = {k: v for k, v in merged.items() if k != "id"}
        columns = self._columns(collection)
        assignments = ", ".join(["data = ?", *(f"{_quote(c)} = ?" for c in columns)])
        self._db.execute(
            f"UPDATE {_quote(collection)} SET {assignments} WHERE id = ?",  # noqa: S608 - quoted collection names
            [json.dumps(body), *(_column_value(body.get(c)) for c in columns), record_id],
        )
        return merged

    def delete(self, collection: str, record_id: int) -> bool:
        if not _fits(record_id):
            return False
        self._counts.pop(collection, None)
        cursor = self._db.execute(f"DELETE FROM {_quote(collection)} WHERE id = ?", (record_id,))  # noqa: S608
        return cursor.rowcount > 0

    def count(self, collection: str, filters: Mapping[str, Any]) -> int:
        where, values = self._where(collection, filters)
        known = self._counts.setdefault(collection, {})
        key = (where, *values)
        if key not in known:
            sql = f"SELECT COUNT(*) FROM {_quote(collection)}{where}"  # noqa: S608 - quoted collection names
            known[key] = int(self._db.execute(sql, values).fetchone()[0])
        return known[key]

    def window(self, collection: str, filters: Mapping[str, Any], offset: int, limit: int) -> list[Record]:
        if offset > _LARGEST:
            return []  # past any row the table can hold
        where, values = self._where(collection, filters)
        rows = self._db.execute(
            f"SELECT id, data FROM {_quote(collection)}{where} ORDER BY id LIMIT ? OFFSET ?",  # noqa: S608
            [*values, min(limit, _LARGEST), offset],
        )
        return [_record(row) for row in rows]

    def after(self, collection: str, filters: Mapping[str, Any], after_id: int, limit: int) -> list[Record]:
        if after_id >= _LARGEST:
            return []
        where, values = self._where(collection, filters)
        where = f"{where} AND id > ?" if where else " WHERE id > ?"
        rows = self._db.execute(
            f"SELECT id, data FROM {_quote(collection)}{where} ORDER BY id LIMIT ?",  # noqa: S608
            [*values, max(after_id, _SMALLEST), min(limit, _LARGEST)],
        )
        return [_record(row) for row in rows]

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def clear(self) -> None:
        self._counts.clear()
        for collection in self._indexes:
            self._db.execute(f"DELETE FROM {_quote(collection)}")  # noqa: S608 - quoted collection names
        # Ids start again from 1, as in a new database.
        self._db.execute("DELETE FROM sqlite_sequence")
        self._db.execute("DELETE FROM meta")

    def close(self) -> None:
        self._db.close()

    def _where(self, collection: str, filters: Mapping[str, Any]) -> tuple[str, list[Any]]:
        fields = index_for(collection, filters, self._indexes)
        if not fields:
            return "", []
        where = " WHERE " + " AND ".join(f"{_quote(f)} = ?" for f in fields)
        return where, [_column_value(filters[f]) for f in fields]


def _record(row: tuple[int, str]) -> Record:
    record: Record = json.loads(row[1])
    record["id"] = row[0]
    return record
