"""Locates the generated packages beside this one, installed or vendored.

Installed, the three packages are top-level (``spiceworks_client``); vendored
into a service they sit side by side inside one of its packages
(``service._vendor.spiceworks_client``). Looking them up relative to this
package works in both layouts without rewriting imports.

It also reads the generated ``Api`` classes, so that what the clients say
about their operations comes from the generated code, never a copied list.
"""

import importlib
import inspect
import typing
from types import ModuleType


def import_generated(name: str) -> ModuleType:
    """Import the generated module ``name`` from beside this package.

    Args:
        name: The module's name as installed, e.g. ``spiceworks_client.api``.

    Returns:
        The module.
    """
    parent = (__package__ or "").rpartition(".")[0]
    return importlib.import_module(f"{parent}.{name}" if parent else name)


def operation_groups(api: type) -> dict[str, type]:
    """The operation groups of a generated ``Api`` class, in the spec's tag order.

    Args:
        api: The generated ``Api`` class, whose annotations name each group.

    Returns:
        Each group's attribute name mapped to its class.
    """
    return {name: group for name, group in typing.get_type_hints(api).items() if isinstance(group, type)}


def describe_operations(api: type) -> str:
    """A docstring section listing every operation group and its operations.

    Args:
        api: The generated ``Api`` class.

    Returns:
        Indented text to append to a client's docstring, so that ``help()`` lists
        the groups and each operation's summary, derived from the generated code.
    """
    lines = [
        "",
        "    Operation groups (each operation ``op`` also has ``op_raw``, returning",
        "    the status code and headers as well):",
    ]
    for name, group in operation_groups(api).items():
        lines += ["", f"    {name}"]
        methods = {key: value for key, value in vars(group).items() if inspect.iscoroutinefunction(value)}
        for key, method in methods.items():
            if key.startswith("_") or (key.endswith("_raw") and key[: -len("_raw")] in methods):
                continue
            summary = (inspect.getdoc(method) or "").partition("\n")[0]
            lines.append(f"        {key}: {summary}" if summary else f"        {key}")
    return "\n".join(lines) + "\n"


def list_operations(api: type) -> dict[tuple[type, str], str]:
    """The operations of a generated ``Api`` that return a page of a list.

    Args:
        api: The generated ``Api`` class.

    Returns:
        ``(group class, method name)`` mapped to ``"group.method"``, e.g.
        ``"tickets.list_tickets"``: an operation whose return type has
        ``page_items()``, as codegen gives every list envelope.
    """
    found: dict[tuple[type, str], str] = {}
    for name, group in operation_groups(api).items():
        for key, method in vars(group).items():
            if key.startswith("_") or not inspect.iscoroutinefunction(method):
                continue
            returned = typing.get_type_hints(method).get("return")
            if callable(getattr(returned, "page_items", None)):
                found[group, key] = f"{name}.{key}"
    return found
