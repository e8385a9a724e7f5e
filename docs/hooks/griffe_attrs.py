"""A griffe extension that gives attrs classes the ``__init__`` attrs writes at run time.

griffe reads the code without importing it, as it does dataclasses (for which
it has a built-in extension); an attrs class has no ``__init__`` in its
source, so its signature would be empty and its documented ``Args:`` would
be reported as unknown parameters. This rebuilds the signature from the
annotated fields, following attrs' rules: ``attrs.field(default=...)`` or
``factory=`` or a plain value is the default, ``init=False`` leaves a field
out, ``kw_only=`` (on the class or the field) makes it keyword-only, a
leading underscore is dropped from the parameter's name and ``alias=``
replaces it.

Loaded by mkdocstrings (``extensions:`` of the python handler in mkdocs.yml).
"""

from __future__ import annotations

from typing import Any

import griffe

#: The class decorators of attrs, by their canonical paths (``from attrs import define as _d`` included).
DECORATORS = frozenset(
    f"{module}.{name}"
    for module in ("attrs", "attr")
    for name in ("define", "frozen", "mutable", "s", "attrs", "dataclass")
)
#: The ways to declare a field with options.
FIELDS = frozenset({"attrs.field", "attr.field", "attr.ib", "attr.attrib"})
FACTORIES = frozenset({"attrs.Factory", "attr.Factory"})


def _call_arguments(expr: object) -> dict[str, Any]:
    if not isinstance(expr, griffe.ExprCall):
        return {}
    return {argument.name: argument.value for argument in expr.arguments if isinstance(argument, griffe.ExprKeyword)}


def _decorator(cls: griffe.Class) -> griffe.Expr | None:
    for decorator in cls.decorators:
        value = decorator.value
        function = value.function if isinstance(value, griffe.ExprCall) else value
        if isinstance(function, griffe.Expr) and function.canonical_path in DECORATORS:
            return value if isinstance(value, griffe.Expr) else None
    return None


def _parameters(cls: griffe.Class, kw_only: bool) -> list[griffe.Parameter]:
    parameters = []
    for member in cls.members.values():
        if not isinstance(member, griffe.Attribute) or member.annotation is None:
            continue
        if "property" in member.labels:
            continue
        if "class-attribute" in member.labels and "instance-attribute" not in member.labels:
            continue  # ClassVar
        value = member.value
        field = _call_arguments(value) if isinstance(value, griffe.ExprCall) else {}
        is_field = isinstance(value, griffe.ExprCall) and value.function.canonical_path in FIELDS
        if is_field and str(field.get("init")) == "False":
            continue
        default: str | griffe.Expr | None
        if is_field:
            if "default" in field:
                default = field["default"]
            elif isinstance(field.get("factory"), griffe.Expr):
                default = griffe.ExprCall(function=field["factory"], arguments=[])
            else:
                default = None
        elif isinstance(value, griffe.ExprCall) and value.function.canonical_path in FACTORIES:
            factory = value.arguments[0] if value.arguments else None
            default = griffe.ExprCall(function=factory, arguments=[]) if isinstance(factory, griffe.Expr) else None
        else:
            default = value
        name = str(field.get("alias", "")).strip("'\"") or member.name.lstrip("_")
        keyword_only = kw_only or str(field.get("kw_only")) == "True"
        kind = griffe.ParameterKind.keyword_only if keyword_only else griffe.ParameterKind.positional_or_keyword
        parameters.append(
            griffe.Parameter(name, annotation=member.annotation, kind=kind, default=default, docstring=member.docstring)
        )
    return parameters


def _add_init(cls: griffe.Class) -> None:
    decorator = _decorator(cls)
    if decorator is None or "__init__" in cls.members:
        return
    arguments = _call_arguments(decorator)
    if str(arguments.get("init")) == "False":
        return
    kw_only = str(arguments.get("kw_only")) == "True"
    positional: list[griffe.Parameter] = []
    keyword: list[griffe.Parameter] = []
    for parameter in _parameters(cls, kw_only):
        (keyword if parameter.kind is griffe.ParameterKind.keyword_only else positional).append(parameter)
    self = griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)
    init = griffe.Function(
        "__init__", lineno=0, endlineno=0, parent=cls, parameters=griffe.Parameters(self, *positional, *keyword)
    )
    init.returns = "None"
    cls.set_member("__init__", init)


def _walk(obj: griffe.Module | griffe.Class) -> None:
    for member in list(obj.members.values()):
        if isinstance(member, griffe.Class):
            _add_init(member)
            _walk(member)
        elif isinstance(member, griffe.Module):
            _walk(member)


class AttrsInit(griffe.Extension):
    """Adds the ``__init__`` of each attrs class of a loaded package."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Walk the package once it is loaded."""
        _walk(pkg)
