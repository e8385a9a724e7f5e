"""The options every command shares: connection, sandbox, output, paging, dry run."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from ._apis import ApiBinding
from ._output import Format
from ._run import accepts_concurrency

_KEYWORD = inspect.Parameter.KEYWORD_ONLY
_CONNECTION = "Connection"
_SANDBOX = "Sandbox"
_OUTPUT = "Output"
_PAGING = "Paging"
REQUEST = "Request"


def _option(name: str, annotation: Any, default: Any = None) -> inspect.Parameter:
    return inspect.Parameter(name, _KEYWORD, default=default, annotation=annotation)


def connection_options(binding: ApiBinding) -> list[inspect.Parameter]:
    credentials = [
        _option(
            f"credential_{credential.keyword}",
            Annotated[
                str | None,
                typer.Option(
                    credential.option,
                    envvar=credential.envvar,
                    help=escape(credential.help),
                    show_default=False,
                    rich_help_panel=_CONNECTION,
                ),
            ],
        )
        for credential in binding.credentials
    ]
    return [
        _option(
            "sandbox",
            Annotated[
                bool,
                typer.Option(
                    "--sandbox",
                    envvar="ITSM_SANDBOX",
                    help="Run against the embedded sandbox, in process, offline (credentials are not needed).",
                    rich_help_panel=_CONNECTION,
                ),
            ],
            False,
        ),
        _option(
            "base_url",
            Annotated[
                str | None,
                typer.Option(
                    "--base-url",
                    envvar=binding.base_url_envvar,
                    help=escape(f"The API's root [default: {binding.default_base_url}]."),
                    show_default=False,
                    rich_help_panel=_CONNECTION,
                ),
            ],
        ),
        *credentials,
        _option(
            "timeout",
            Annotated[
                float | None,
                typer.Option("--timeout", help="Seconds per request (default 30).", rich_help_panel=_CONNECTION),
            ],
        ),
        _option(
            "max_attempts",
            Annotated[
                int | None,
                typer.Option(
                    "--max-attempts",
                    min=1,
                    help="Attempts per request, retries included (default 4).",
                    rich_help_panel=_CONNECTION,
                ),
            ],
        ),
        _option(
            "sandbox_seed",
            Annotated[
                int, typer.Option("--sandbox-seed", help="Seed of the sandbox's data.", rich_help_panel=_SANDBOX)
            ],
            7,
        ),
        _option(
            "sandbox_faults",
            Annotated[
                str | None,
                typer.Option(
                    "--sandbox-faults",
                    help=escape(
                        'Faults and latency to inject, e.g. "429=0.1,slow=1,delay=0.2" (see itsm-async-sandbox).'
                    ),
                    rich_help_panel=_SANDBOX,
                ),
            ],
        ),
        _option(
            "sandbox_db",
            Annotated[
                Path | None,
                typer.Option(
                    "--sandbox-db",
                    help="Keep the sandbox's data in this SQLite file, across commands.",
                    rich_help_panel=_SANDBOX,
                ),
            ],
        ),
    ]


def output_options() -> list[inspect.Parameter]:
    return [
        _option(
            "output_format",
            Annotated[
                Format | None,
                typer.Option(
                    "--format",
                    "-f",
                    help=escape(
                        "Output format [default: table on a terminal, else by the --output suffix, else jsonl]."
                    ),
                    show_default=False,
                    rich_help_panel=_OUTPUT,
                ),
            ],
        ),
        _option(
            "output",
            Annotated[
                Path | None,
                typer.Option("--output", "-o", help="Write to this file instead of stdout.", rich_help_panel=_OUTPUT),
            ],
        ),
    ]


def paging_options(binding: ApiBinding) -> list[inspect.Parameter]:
    found = [
        _option(
            "walk",
            Annotated[
                bool,
                typer.Option("--all", help="Walk every page (client.paginate).", rich_help_panel=_PAGING),
            ],
            False,
        ),
        _option(
            "max_items",
            Annotated[
                int | None,
                typer.Option(
                    "--max-items",
                    min=0,
                    help="Stop after N items, walking pages as needed (implies --all).",
                    metavar="N",
                    rich_help_panel=_PAGING,
                ),
            ],
        ),
    ]
    if accepts_concurrency(binding.client_class):
        found.append(
            _option(
                "concurrency",
                Annotated[
                    int | None,
                    typer.Option("--concurrency", min=1, help="Pages fetched at once.", rich_help_panel=_PAGING),
                ],
            )
        )
    return found


def dry_run_option() -> inspect.Parameter:
    return _option(
        "dry_run",
        Annotated[
            bool,
            typer.Option(
                "--dry-run",
                help="Print the request instead of sending it (credentials redacted).",
                rich_help_panel=REQUEST,
            ),
        ],
        False,
    )
