"""Running one command: a client (or the sandbox's), the call or the walk, the output, the exit status."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import logging
import sys
import typing
from pathlib import Path
from typing import IO, Any

import anyio
import attrs
import httpx

from .._exceptions import ItsmError
from .._retry import RetryPolicy
from ._apis import BINDINGS, MissingCredential, sandbox_specs
from ._call import Call, Connection, read_body
from ._dryrun import RequestCaught, as_http, catching_transport, describe
from ._errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, UsageProblem, error_line, exit_status
from ._model import api_class
from ._output import SUFFIXES, Format, Writer, columns_of, records_of, writer_for
from ._progress import PagingProgress


class Unavailable(Exception):
    """Something the command needs is not installed (the sandbox extra)."""


def argument_errors() -> tuple[type[BaseException], ...]:
    """The generated packages' ``ArgumentError`` classes (a refused argument, raised before sending)."""
    found = []
    for binding in BINDINGS:
        package = api_class(binding.client_class).__module__.rpartition(".")[0]
        found.append(getattr(importlib.import_module(f"{package}.types"), "ArgumentError", None))
    return tuple(kind for kind in found if isinstance(kind, type))


def accepts_concurrency(client_class: type) -> bool:
    """Whether ``client.paginate`` takes ``concurrency=`` (parallel paging)."""
    return "concurrency" in inspect.signature(client_class.paginate).parameters  # type: ignore[attr-defined]


def choose_format(given: Format | None, output: Path | None, stream: IO[str]) -> Format:
    """``--format`` if given; else by the output file's suffix; else a table on a terminal, JSON lines elsewhere."""
    if given is not None:
        return given
    if output is not None:
        return SUFFIXES.get(output.suffix.lower(), "jsonl")
    return "table" if stream.isatty() else "jsonl"


def _item_fields(method: Any) -> list[str]:
    """The fields of the items a list operation answers, from the types of its response model.

    The item model is a page's ``page_items`` return type, or the type of the
    one list field of an envelope (``{"comments": [...]}``).
    """
    try:
        response = typing.get_type_hints(method)["return"]
        # The item model is imported for type checking only: look it up in the models package.
        models = vars(importlib.import_module(response.__module__.rpartition(".")[0]))
        if callable(getattr(response, "page_items", None)):
            items = typing.get_type_hints(response.page_items, localns=models)["return"]
        else:
            fields = typing.get_type_hints(response, localns=models)
            (items,) = [
                member
                for name, hint in fields.items()
                if not name.startswith("_") and name != "additional_properties"
                for member in (typing.get_args(hint) if typing.get_origin(hint) is not list else ()) or [hint]
                if typing.get_origin(member) is list
            ]
        return columns_of(typing.get_args(items)[0])
    except Exception:  # noqa: BLE001 - the columns then come from the records alone
        return []


def _total(page: Any, max_items: int | None) -> int | None:
    """The server's count of all items, when the first page gives one (``total``, ``meta.total_count``)."""
    data = page.to_dict() if hasattr(page, "to_dict") else {}
    for scope in [data, *(value for value in data.values() if isinstance(value, dict))]:
        for name in ("total", "total_count"):
            total = scope.get(name)
            if isinstance(total, int) and not isinstance(total, bool):
                return total if max_items is None else min(total, max_items)
    return max_items


def _open_sandbox(connection: Connection) -> Any:
    try:
        from ..sandbox import Sandbox  # only with --sandbox: it needs the sandbox extra
    except ModuleNotFoundError as exc:
        raise Unavailable(
            f"--sandbox needs the sandbox extra ({exc.name} is missing): pip install 'itsm-async[sandbox]'"
        ) from exc
    try:
        return Sandbox(
            seed=connection.sandbox_seed,
            faults=connection.sandbox_faults,
            db_path=connection.sandbox_db,
            **sandbox_specs(),
        )
    except (TypeError, ValueError) as exc:
        raise UsageProblem(f"--sandbox-faults: {exc}") from exc


def _client(call: Call, transport: httpx.AsyncBaseTransport | None, stack: contextlib.AsyncExitStack) -> Any:
    connection, binding = call.connection, call.binding
    options: dict[str, Any] = {}
    if connection.timeout is not None:
        options["timeout"] = connection.timeout
    if connection.max_attempts is not None:
        options["retry"] = RetryPolicy(max_attempts=connection.max_attempts)
    if call.dry_run:
        transport = catching_transport()
    if transport is not None:
        options["transport"] = transport
    if connection.sandbox:
        sandbox = _open_sandbox(connection)
        stack.callback(sandbox.close)
        client = getattr(sandbox, f"{binding.name}_client")(**options)
    else:
        given = {key: value for key, value in connection.credentials.items() if value}
        try:
            credentials = binding.choose(given)
        except MissingCredential as exc:
            if not call.dry_run:
                raise UsageProblem(str(exc)) from exc
            credentials = binding.choose({**binding.placeholders(), **given})
        base_url = connection.base_url or binding.default_base_url
        arguments: dict[str, Any] = {**credentials, **options}
        client = binding.client_class(base_url=base_url, **arguments)
    stack.push_async_callback(client.aclose)
    return client


async def _walk(call: Call, client: Any, method: Any, writer: Writer) -> None:
    extra = {"concurrency": call.concurrency} if call.concurrency is not None else {}
    paginator = client.paginate(method, max_items=call.max_items, **extra, **call.options)
    written, limit, total = 0, call.max_items, None
    with PagingProgress(f"{call.operation.group} {call.operation.command}") as progress:
        async with contextlib.aclosing(paginator.pages()) as pages:
            async for page in pages:
                if written == 0:
                    total = _total(page, limit)
                records = records_of(page)[0] or []
                if limit is not None:
                    records = records[: limit - written]
                writer.write(records)
                written += len(records)
                progress.page(len(records), total)
                if limit is not None and written >= limit:
                    break


async def _execute(call: Call, transport: httpx.AsyncBaseTransport | None) -> None:
    operation = call.operation
    options = dict(call.options)
    if operation.body is not None and operation.body.name in options:
        options[operation.body.name] = read_body(options[operation.body.name], sys.stdin)
    async with contextlib.AsyncExitStack() as stack:
        client = _client(call, transport, stack)
        method = getattr(getattr(client, operation.group), operation.name)
        stream: IO[str] = sys.stdout
        if call.output is not None:
            stream = stack.enter_context(call.output.open("w", encoding="utf-8", newline=""))
        output_format = choose_format(call.output_format, call.output, stream)
        if call.dry_run:
            try:
                await method(*call.args, **options)
            except RequestCaught as caught:
                described = describe(caught.request, call.secrets)
                text = as_http(described) if output_format == "table" else json.dumps(described) + "\n"
                stream.write(text)
            return
        fields = _item_fields(method) if operation.lists else []
        writer = writer_for(output_format, stream, collection=operation.lists, declared=fields)
        complete = False
        try:
            if call.walk and operation.pageable:
                await _walk(attrs.evolve(call, options=options), client, method, writer)
            else:
                records, one = records_of(await method(*call.args, **options))
                if records is not None:
                    writer.write(records[: call.max_items] if call.max_items is not None else records)
                elif one is not None:
                    writer.write_one(one)
            complete = True
        finally:
            writer.close(complete=complete)


def run(call: Call, transport: httpx.AsyncBaseTransport | None = None) -> int:
    """Run one command; errors are printed as one line on stderr.

    Args:
        call: The parsed command line.
        transport: Send through this transport instead of the network (tests).

    Returns:
        The exit status (see :mod:`._errors`).
    """
    # stamina reports each retry on its logger at WARNING: stderr stays for errors.
    logging.getLogger("stamina").setLevel(logging.ERROR)
    name = f"{call.operation.group}.{call.operation.name}"
    refused = argument_errors()
    reported: tuple[type[BaseException], ...] = (ItsmError, UsageProblem, *refused)
    try:
        anyio.run(_execute, call, transport)
    except KeyboardInterrupt:
        print("itsm: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, and keep Python from complaining at exit.
        with contextlib.suppress(OSError):
            sys.stdout = open(  # noqa: SIM115 - replaces stdout for the rest of the process
                "/dev/null", "w", encoding="utf-8"
            )
        return EXIT_OK
    except reported as exc:
        print(error_line(exc, name, call.secrets), file=sys.stderr)
        return exit_status(exc, refused)
    except Unavailable as exc:
        print(f"itsm: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK
