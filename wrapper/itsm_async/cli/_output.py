"""What a command prints: records as a table, JSON, JSON lines or CSV, written whole.

A record is a JSON object: an item's ``to_dict()``. Lines are written whole
and flushed one by one, so an interrupted walk leaves complete lines only;
closing a writer (also on an error or Ctrl-C) finishes the document: the JSON
array gets its closing bracket, a CSV its header even with no rows.
"""

from __future__ import annotations

import csv
import io
import json
import typing
from collections.abc import Mapping, Sequence
from typing import IO, Any, Literal, Protocol

import attrs
from rich.console import Console
from rich.markup import escape
from rich.table import Table

Format = Literal["table", "json", "jsonl", "csv"]
FORMATS: tuple[Format, ...] = typing.get_args(Format)
#: Output file suffixes that choose a format when none is given.
SUFFIXES: Mapping[str, Format] = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
_CELL_WIDTH = 60
_COLUMN_WIDTH = 30


def as_json(value: Any) -> Any:
    """A generated model, a list of them or a plain value, as JSON-ready data."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    return value


def records_of(result: Any) -> tuple[list[Any] | None, Any]:
    """What an operation answered, as records.

    Args:
        result: The operation's return value.

    Returns:
        ``(records, None)`` for a collection: a page's items, or the list in
        a one-field envelope (``{"comments": [...]}``); ``(None, record)``
        for one object, taken out of a one-field envelope
        (``{"ticket": {...}}``); ``(None, None)`` for no content (a delete).
    """
    if result is None:
        return None, None
    if callable(getattr(result, "page_items", None)):
        return [as_json(item) for item in result.page_items()], None
    data = as_json(result)
    if isinstance(data, list):
        return data, None
    if isinstance(data, dict) and len(data) == 1:
        (inner,) = data.values()
        if isinstance(inner, list):
            return inner, None
        if isinstance(inner, dict):
            return None, inner
    return None, data


def columns_of(item_class: Any) -> list[str]:
    """The fields a generated model declares, for CSV and table columns (``type_`` is ``type``)."""
    fields = getattr(item_class, "__attrs_attrs__", ())
    # Not the bookkeeping a model keeps beside its fields (additional_properties, private state).
    return [field.name.rstrip("_") for field in fields if field.init and not field.name.startswith("_")]


def cell(value: Any) -> str:
    """A CSV cell: text as it is, nothing for null or absent, anything else as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Writer(Protocol):
    """Where records go."""

    def write(self, records: Sequence[Any]) -> None:
        """Write records of a collection, whole."""
        ...

    def write_one(self, record: Any) -> None:
        """Write the one object an operation answered."""
        ...

    def close(self, *, complete: bool = True) -> None:
        """Finish the document; ``complete`` is False after an error or an interrupt."""
        ...


@attrs.define
class JsonLines:
    """One compact JSON document per line (``--format jsonl``)."""

    stream: IO[str]

    def write(self, records: Sequence[Any]) -> None:
        for record in records:
            self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
            self.stream.flush()

    def write_one(self, record: Any) -> None:
        self.write([record])

    def close(self, *, complete: bool = True) -> None:
        self.stream.flush()


@attrs.define
class JsonDocument:
    """One JSON document (``--format json``): an array for a collection, streamed item by item."""

    stream: IO[str]
    collection: bool
    _written: int = 0
    _closed: bool = False

    def write(self, records: Sequence[Any]) -> None:
        for record in records:
            text = json.dumps(record, ensure_ascii=False, indent=2).replace("\n", "\n  ")
            self.stream.write(("[\n  " if self._written == 0 else ",\n  ") + text)
            self.stream.flush()
            self._written += 1

    def write_one(self, record: Any) -> None:
        self.stream.write(json.dumps(record, ensure_ascii=False, indent=2) + "\n")
        self.stream.flush()
        self._closed = True

    def close(self, *, complete: bool = True) -> None:
        if self.collection and not self._closed:
            self.stream.write("[]\n" if self._written == 0 else "\n]\n")
            self.stream.flush()
        self._closed = True


@attrs.define
class CsvRows:
    """A header, then a row per record (``--format csv``).

    The columns are the model's declared fields and whatever else the first
    records hold, in the order they first appear; a field a later record
    adds has no column (JSON lines keep everything).
    """

    stream: IO[str]
    declared: list[str]
    _columns: list[str] = attrs.Factory(list)

    def _line(self, values: Sequence[str]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(values)
        return buffer.getvalue()

    def _header(self, records: Sequence[Any]) -> list[str]:
        seen: dict[str, None] = {}
        for record in records:
            seen.update(dict.fromkeys(record if isinstance(record, dict) else ["value"]))
        columns = list(seen) + [name for name in self.declared if name not in seen]
        if columns:
            self.stream.write(self._line(columns))
            self.stream.flush()
        return columns

    def write(self, records: Sequence[Any]) -> None:
        if not self._columns:
            self._columns = self._header(records)
        for record in records:
            row = record if isinstance(record, dict) else {"value": record}
            self.stream.write(self._line([cell(row.get(column)) for column in self._columns]))
            self.stream.flush()

    def write_one(self, record: Any) -> None:
        self.write([record])

    def close(self, *, complete: bool = True) -> None:
        if not self._columns:
            self._columns = self._header([])
        self.stream.flush()


@attrs.define
class TableView:
    """A rich table, printed when closed (``--format table``); one object as field and value rows."""

    console: Console
    declared: list[str]
    _rows: list[Any] = attrs.Factory(list)
    _one: Any = None

    def write(self, records: Sequence[Any]) -> None:
        self._rows.extend(records)

    def write_one(self, record: Any) -> None:
        self._one = record

    @staticmethod
    def _shown(value: Any, width: int = _CELL_WIDTH) -> str:
        text = cell(value)
        return text if len(text) <= width else text[: width - 1] + "…"

    def close(self, *, complete: bool = True) -> None:
        if self._one is not None:
            table = Table("field", "value", show_header=False)
            fields = self._one.items() if isinstance(self._one, dict) else [("value", self._one)]
            for name, value in fields:
                table.add_row(escape(str(name)), escape(self._shown(value)))
            self.console.print(table)
            return
        if not self._rows and not complete:
            return
        seen: dict[str, None] = {}
        rows = [row if isinstance(row, dict) else {"value": row} for row in self._rows]
        for row in rows:
            seen.update(dict.fromkeys(row))
        columns = list(seen) or self.declared
        # The columns that fit the width, whole, in order (rich squeezes
        # unwrappable columns to nothing): the others are named in the caption.
        used, shown = 1, list[tuple[str, int]]()
        for column in columns:
            width = max([len(column), *(len(self._shown(row.get(column), _COLUMN_WIDTH)) for row in rows)])
            if shown and used + width + 3 > self.console.width:
                break
            shown.append((column, width))
            used += width + 3
        caption = f"{len(rows)} items"
        if len(shown) < len(columns):
            hidden = ", ".join(column for column in columns[len(shown) :])
            caption += f"; not shown: {hidden} (--format json shows every field)"
        table = Table(caption=escape(caption))
        for column, width in shown:
            table.add_column(escape(column), no_wrap=True, overflow="ellipsis", width=width)
        for row in rows:
            table.add_row(*(escape(self._shown(row.get(column), _COLUMN_WIDTH)) for column, _ in shown))
        self.console.print(table)


def writer_for(output_format: Format, stream: IO[str], *, collection: bool, declared: list[str]) -> Writer:
    """The writer of one format.

    Args:
        output_format: ``table``, ``json``, ``jsonl`` or ``csv``.
        stream: Where to write.
        collection: The operation answers a collection (JSON: an array).
        declared: The item model's fields, for CSV and table columns.

    Returns:
        The writer.
    """
    if output_format == "jsonl":
        return JsonLines(stream)
    if output_format == "json":
        return JsonDocument(stream, collection)
    if output_format == "csv":
        return CsvRows(stream, declared)
    return TableView(Console(file=stream, soft_wrap=False), declared)
