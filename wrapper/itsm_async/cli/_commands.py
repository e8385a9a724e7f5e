"""The typer commands, built at run time from the operations :mod:`._model` reads.

Each command is a function whose signature is made here: one argument per
path parameter, one option per other parameter (the spec's description as
its help, the spec's enum values as its choices), and the options every
command shares.
"""

from __future__ import annotations

import inspect
import typing
from typing import Annotated, Any

import httpx
import typer
from rich.markup import escape

from ._apis import ApiBinding, Credential
from ._call import Call, Connection
from ._model import Operation, Parameter, read_resources
from ._options import REQUEST, connection_options, dry_run_option, output_options, paging_options
from ._run import run

_KEYWORD = inspect.Parameter.KEYWORD_ONLY
_PARAMETERS = "Parameters"


def _flags(parameters: list[inspect.Parameter]) -> set[str]:
    """The flags the shared options take (and ``--json``, ``--help``)."""
    flags = {"--json", "--help"}
    for parameter in parameters:
        for info in typing.get_args(parameter.annotation)[1:]:
            # In ``Annotated``, typer keeps an option's first name as its ``default``.
            for declared in (getattr(info, "default", None), *(getattr(info, "param_decls", None) or ())):
                if isinstance(declared, str):
                    flags |= set(declared.split("/"))
    return flags


def _flag(parameter: Parameter, reserved: set[str]) -> str:
    flag = "--" + parameter.name.rstrip("_").replace("_", "-")
    # A spec parameter named like a shared option (``format``) keeps its name behind a prefix.
    return f"--param-{flag[2:]}" if flag in reserved else flag


def _operation_parameters(operation: Operation, reserved: set[str]) -> list[inspect.Parameter]:
    found: list[inspect.Parameter] = []
    for index, parameter in enumerate(operation.parameters):
        name = f"p{index}_{parameter.name}"
        help_text = escape(parameter.help) or None
        if parameter.kind == "path":
            argument = typer.Argument(metavar=parameter.name.rstrip("_").upper(), help=help_text, show_default=False)
            found.append(inspect.Parameter(name, _KEYWORD, annotation=Annotated[parameter.cli_type, argument]))
        elif parameter.kind == "body":
            option = typer.Option(
                "--json",
                metavar="JSON|@FILE|-",
                help=escape("The request body: JSON text, @file.json, or - for stdin. " + parameter.help).strip(),
                show_default=False,
                rich_help_panel=REQUEST,
            )
            text: Any = str if parameter.required else str | None
            annotation = Annotated[text, option]
            found.append(inspect.Parameter(name, _KEYWORD, annotation=annotation, **_default(parameter)))
        else:
            flag = _flag(parameter, reserved)
            if parameter.cli_type is bool:
                flag = f"{flag}/--no-{flag[2:]}"
            option = typer.Option(flag, help=help_text, show_default=False, rich_help_panel=_PARAMETERS)
            kind = parameter.cli_type if parameter.required else parameter.cli_type | None
            found.append(inspect.Parameter(name, _KEYWORD, annotation=Annotated[kind, option], **_default(parameter)))
    return found


def _default(parameter: Parameter) -> dict[str, Any]:
    return {} if parameter.required else {"default": None}


def make_command(binding: ApiBinding, operation: Operation, transport: httpx.AsyncBaseTransport | None) -> Any:
    """The function typer makes one command of.

    Args:
        binding: The API.
        operation: The operation.
        transport: Send through this transport instead of the network (tests).

    Returns:
        A function whose ``__signature__`` declares the command's arguments and options.
    """
    shared = connection_options(binding) + output_options() + [dry_run_option()]
    if operation.pageable:
        shared += paging_options(binding)
    specific = _operation_parameters(operation, _flags(shared))
    credentials: tuple[Credential, ...] = binding.credentials

    def command(**values: Any) -> None:
        args: list[Any] = []
        options: dict[str, Any] = {}
        for index, parameter in enumerate(operation.parameters):
            value = values[f"p{index}_{parameter.name}"]
            if parameter.kind == "path":
                args.append(value)
            elif value is not None and value != []:
                options[parameter.name] = value
        connection = Connection(
            sandbox=values["sandbox"],
            base_url=values["base_url"],
            credentials={c.keyword: values[f"credential_{c.keyword}"] for c in credentials},
            timeout=values["timeout"],
            max_attempts=values["max_attempts"],
            sandbox_seed=values["sandbox_seed"],
            sandbox_faults=values["sandbox_faults"],
            sandbox_db=values["sandbox_db"],
        )
        call = Call(
            binding=binding,
            operation=operation,
            args=tuple(args),
            options=options,
            connection=connection,
            output_format=values["output_format"],
            output=values["output"],
            walk=values.get("walk", False) or values.get("max_items") is not None,
            max_items=values.get("max_items"),
            concurrency=values.get("concurrency"),
            dry_run=values["dry_run"],
        )
        status = run(call, transport)
        if status:
            raise typer.Exit(status)

    command.__signature__ = inspect.Signature(specific + shared)  # type: ignore[attr-defined]
    command.__name__ = operation.name
    return command


def _help(operation: Operation) -> str:
    text = operation.summary or operation.name
    if operation.description:
        text += "\n\n" + operation.description
    return escape(text + f"\n\n(operation {operation.group}.{operation.name})")


def api_app(binding: ApiBinding, transport: httpx.AsyncBaseTransport | None = None) -> typer.Typer:
    """``itsm NAME``: a command group per resource, a command per operation.

    Args:
        binding: The API.
        transport: Send through this transport instead of the network (tests).

    Returns:
        The API's typer app.
    """
    docs, resources = read_resources(binding.client_class)
    variables = ", ".join(credential.envvar for credential in binding.credentials)
    title = docs.title or binding.client_class.__name__
    app = typer.Typer(
        help=escape(f"{title}: every operation of the {binding.client_class.__name__}."),
        epilog=escape(f"Credentials from {variables}, or the options; --sandbox needs none."),
        no_args_is_help=True,
        rich_markup_mode="rich",
    )
    for resource in resources:
        group = typer.Typer(help=escape(resource.help) or None, no_args_is_help=True, rich_markup_mode="rich")
        for operation in resource.operations:
            group.command(operation.command, help=_help(operation), short_help=escape(operation.summary) or None)(
                make_command(binding, operation, transport)
            )
        app.add_typer(group, name=resource.name.replace("_", "-"))
    return app
