"""One command line, parsed: the operation, its arguments and how to run it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import attrs

from ._apis import ApiBinding
from ._errors import UsageProblem
from ._model import Operation
from ._output import Format


@attrs.frozen
class Connection:
    """Where and how to connect: ``--sandbox``, ``--base-url``, credentials, ``--timeout``, ``--max-attempts``."""

    sandbox: bool = False
    base_url: str | None = None
    credentials: Mapping[str, str | None] = attrs.field(factory=dict)
    timeout: float | None = None
    max_attempts: int | None = None
    sandbox_seed: int = 7
    sandbox_faults: str | None = None
    sandbox_db: Path | None = None


@attrs.frozen
class Call:
    """One command line, parsed.

    Attributes:
        binding: The API.
        operation: The operation.
        args: The path parameters, in order.
        options: The other parameters given, by name (the body as ``--json`` text).
        connection: Where to send it.
        output_format: ``--format``, or None to choose by destination.
        output: ``--output``, or None for stdout.
        walk: ``--all`` (or ``--max-items``): every page through ``paginate``.
        max_items: ``--max-items``.
        concurrency: ``--concurrency``, when ``paginate`` takes it.
        dry_run: Print the request instead of sending it.
    """

    binding: ApiBinding
    operation: Operation
    args: tuple[Any, ...] = ()
    options: Mapping[str, Any] = attrs.field(factory=dict)
    connection: Connection = attrs.field(factory=Connection)
    output_format: Format | None = None
    output: Path | None = None
    walk: bool = False
    max_items: int | None = None
    concurrency: int | None = None
    dry_run: bool = False

    @property
    def secrets(self) -> tuple[str, ...]:
        """The credentials given, to redact from anything printed."""
        given = self.connection.credentials
        return tuple(v for c in self.binding.credentials if c.secret and (v := given.get(c.keyword)))


def read_body(text: str, stdin: IO[str]) -> Any:
    """``--json``: the text itself, ``@file.json``, or ``-`` for stdin, parsed.

    Raises:
        UsageProblem: The file cannot be read, or the text is not JSON.
    """
    source, where = text, "--json"
    if text == "-":
        source, where = stdin.read(), "--json - (stdin)"
    elif text.startswith("@"):
        try:
            source = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageProblem(f"--json {text}: cannot read the file: {exc.strerror or exc}") from exc
        where = f"--json {text}"
    try:
        return json.loads(source)
    except ValueError as exc:
        raise UsageProblem(f"{where}: not valid JSON: {exc}") from exc
