"""The commands, read from a client's generated operations: resources, verbs and parameters.

Nothing here names a resource, an operation or a parameter: each operation
group of the client's generated ``Api`` is a resource, each of its methods a
command, each method parameter an argument (path) or an option (query, header), so
that an operation added to a spec and regenerated is a command with no edit.
"""

from __future__ import annotations

import collections.abc
import enum
import inspect
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

import attrs

from .._generated import operation_groups
from ._docs import SpecDocs, docstring_args, docstring_text, package_dir, read_spec, spec_file

#: An operation name's first word and the command verb it becomes; any other
#: operation keeps its own name (``list_tickets`` is ``list``, ``merge_tickets`` ``merge-tickets``).
VERBS = {
    "list": "list",
    "get": "get",
    "create": "create",
    "update": "update",
    "patch": "update",
    "replace": "update",
    "delete": "delete",
}

ParameterKind = Literal["path", "option", "body"]


@attrs.frozen
class Parameter:
    """One parameter of an operation.

    Attributes:
        name: The method's parameter name.
        kind: ``path`` (an argument), ``option`` (a query or header parameter)
            or ``body`` (``--json``).
        cli_type: What the command line parses: ``int``, ``float``, ``str``,
            ``bool``, a ``Literal`` of the spec's values, or a ``list`` of one.
        required: The method has no default for it.
        help: The spec's description, then what the docstring adds (default, bounds).
    """

    name: str
    kind: ParameterKind
    cli_type: Any
    required: bool
    help: str


@attrs.frozen
class Operation:
    """One generated operation, as a command.

    Attributes:
        group: The client attribute holding it (``tickets``).
        name: The method's name (``list_tickets``).
        command: The command's name (``list``).
        summary: The docstring's first line.
        description: The docstring's paragraphs before its sections.
        parameters: Path parameters first, in order, then the others.
        pageable: ``client.paginate`` walks it.
        lists: It answers a collection (a list operation, paged or not).
    """

    group: str
    name: str
    command: str
    summary: str
    description: str
    parameters: tuple[Parameter, ...]
    pageable: bool
    lists: bool

    def of_kind(self, kind: ParameterKind) -> tuple[Parameter, ...]:
        """The parameters of one kind, in order."""
        return tuple(parameter for parameter in self.parameters if parameter.kind == kind)

    @property
    def body(self) -> Parameter | None:
        """The request body parameter, if the operation takes one."""
        return next(iter(self.of_kind("body")), None)


@attrs.frozen
class Resource:
    """One operation group: a command group of its operations."""

    name: str
    help: str
    operations: tuple[Operation, ...]


def api_class(client_class: type) -> type:
    """The generated ``Api`` class a client inherits its operation groups from.

    Raises:
        TypeError: The client has none.
    """
    for base in client_class.__mro__:
        if base.__name__ == "Api" and base.__module__.rpartition(".")[2] == "api":
            return base
    raise TypeError(f"{client_class.__name__} inherits no generated Api class")


def _members(annotation: Any) -> list[Any]:
    if get_origin(annotation) in (Union, types.UnionType):
        return [member for arg in get_args(annotation) for member in _members(arg)]
    return [annotation]


def _absent(member: Any) -> bool:
    # Each generated package has its own Unset sentinel class.
    return member is type(None) or (isinstance(member, type) and member.__name__ == "Unset")


def cli_type(annotation: Any) -> Any:
    """What the command line parses for a parameter annotated ``annotation``.

    Args:
        annotation: The generated method's annotation, e.g.
            ``ListTicketsStatus | Literal["open", "closed"] | Unset``.

    Returns:
        A ``Literal`` of the enum's values (an enum or a ``Literal`` in the
        annotation), ``list[...]`` for an array, else ``bool``, ``int``,
        ``float`` or ``str`` (dates and anything else are passed as text).
    """
    members = [member for member in _members(annotation) if not _absent(member)]
    values: list[Any] = []
    # The Literal first: it lists the values in the spec's order.
    for member in members:
        if get_origin(member) is Literal:
            values += [value for value in get_args(member) if value is not None]
    for member in members:
        if isinstance(member, type) and issubclass(member, enum.Enum):
            values += [item.value for item in member]
    if values:
        return Literal[tuple(dict.fromkeys(values))]
    for member in members:
        if get_origin(member) in (list, tuple, collections.abc.Sequence):
            return list[cli_type(get_args(member)[0] if get_args(member) else str)]  # type: ignore[misc]
    for simple in (bool, int, float, str):
        if simple in members:
            return simple
    return str


def _operations(group: type) -> dict[str, Any]:
    methods = {name: value for name, value in vars(group).items() if inspect.iscoroutinefunction(value)}
    return {
        name: method
        for name, method in methods.items()
        if not name.startswith("_") and not (name.endswith("_raw") and name[: -len("_raw")] in methods)
    }


def command_names(names: list[str]) -> dict[str, str]:
    """Each operation's command: its verb, or its own name when it has none or shares it."""
    verbs = {name: VERBS.get(name.partition("_")[0]) if "_" in name else None for name in names}
    taken = [verb for verb in verbs.values() if verb is not None]
    return {
        name: verb if verb is not None and taken.count(verb) == 1 else name.replace("_", "-")
        for name, verb in verbs.items()
    }


def _parameters(method: Any, docs: SpecDocs) -> tuple[Parameter, ...]:
    hints = typing.get_type_hints(method)
    extra = docstring_args(method)
    found: list[Parameter] = []
    for parameter in list(inspect.signature(method).parameters.values())[1:]:  # self
        if parameter.kind not in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            continue
        name = parameter.name
        # The generator makes path parameters positional, the others keyword-only.
        kind: ParameterKind = "path" if parameter.kind is parameter.POSITIONAL_OR_KEYWORD else "option"
        if kind == "option" and name == "body":
            kind = "body"
        described = docs.parameter(method.__name__, name)
        added = extra.get(name, "")
        text = " ".join(part if part.endswith(".") else f"{part}." for part in (described, added) if part)
        annotation = hints.get(name, str)
        found.append(
            Parameter(
                name=name,
                kind=kind,
                cli_type=cli_type(annotation) if kind != "body" else str,
                required=parameter.default is parameter.empty,
                help=text,
            )
        )
    return tuple(sorted(found, key=lambda each: each.kind != "path"))


def read_resources(client_class: type) -> tuple[SpecDocs, tuple[Resource, ...]]:
    """Every operation group of a client as a resource of commands.

    Args:
        client_class: ``SpiceworksClient`` or ``KloudlessClient`` (any client
            whose operations are a generated ``Api``'s, with ``paginate``).

    Returns:
        The spec's descriptions (empty when the spec is not found) and the
        resources, in the spec's tag order.
    """
    api = api_class(client_class)
    docs = read_spec(spec_file(package_dir(api)))
    pageable = {(group, name) for group, name in getattr(client_class, "_list_operations", {})}
    resources: list[Resource] = []
    for group_name, group in operation_groups(api).items():
        methods = _operations(group)
        commands = command_names(list(methods))
        operations = []
        for name, method in methods.items():
            summary, description = docstring_text(method)
            operations.append(
                Operation(
                    group=group_name,
                    name=name,
                    command=commands[name],
                    summary=summary,
                    description=description,
                    parameters=_parameters(method, docs),
                    pageable=(group, name) in pageable,
                    lists=(group, name) in pageable or VERBS.get(name.partition("_")[0]) == "list",
                )
            )
        summary = (inspect.getdoc(group) or "").partition("\n")[0]
        resources.append(Resource(name=group_name, help=docs.tag(group_name) or summary, operations=tuple(operations)))
    return docs, tuple(resources)
