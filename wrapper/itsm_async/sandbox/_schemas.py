"""A spec's schemas as the generic handlers read them: fields, fixed values, defaults.

A :class:`Node` wraps one schema of the document (``$ref`` resolved as it is
walked, ``allOf`` merged) and answers what building a response needs: the
properties and which are required, the value a field must have (a ``const``
or a one-value ``enum``, like Kloudless's ``type: [incident]``), a value
that fits when the record has none, and whether a value fits at all. The
last is openapi-core's own validator, the one the response check uses, so a
body built from nodes passes that check.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any

import attrs
from jsonschema_path import SchemaPath
from openapi_core.validation.schemas import oas31_schema_validators_factory

#: How deep a default is built: a schema may refer to itself.
_MAX_DEPTH = 8

#: Values that fit a string of each format (the format checker knows these).
_FORMAT_SAMPLES: Mapping[str, str] = {
    "email": "sandbox@example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "hostname": "sandbox.test",
}


class Missing(enum.Enum):
    """No value: the field is left out."""

    MISSING = enum.auto()


MISSING = Missing.MISSING


@attrs.frozen
class Context:
    """What some defaults depend on: the moment (for dates) and the sandbox's URL (for URIs)."""

    now: str
    base_url: str


def _schema_types(declared: Any) -> frozenset[str]:
    if isinstance(declared, str):
        return frozenset({declared})
    if isinstance(declared, list):
        return frozenset(str(kind) for kind in declared)
    return frozenset()


class Node:
    """One schema of a spec, resolved as it is walked.

    Args:
        spec: The whole document (references resolve against it).
        schema: The schema.
    """

    def __init__(self, spec: SchemaPath, schema: SchemaPath) -> None:
        self._spec = spec
        self._schema = schema

    def _child(self, *keys: str) -> Node:
        schema = self._schema
        for key in keys:
            schema = schema / key
        return Node(self._spec, schema)

    def _children(self, key: str) -> list[Node]:
        if key not in self.keywords:
            return []
        return [Node(self._spec, part) for part in self._schema / key]

    @cached_property
    def keywords(self) -> frozenset[str]:
        """The schema's own keywords (``type``, ``properties``...)."""
        return (
            frozenset(str(key) for key in self._schema.keys())  # noqa: SIM118 - a SchemaPath, not a dict
            if isinstance(self._schema.read_value(), Mapping)
            else frozenset()
        )

    def value(self, key: str) -> Any:
        """A keyword's literal value (``enum``, ``default``...), or MISSING."""
        return (self._schema / key).read_value() if key in self.keywords else MISSING

    @cached_property
    def _validator(self) -> Any:
        # A jsonschema validator (jsonschema ships no type information).
        return oas31_schema_validators_factory.create(self._spec, self._schema).validator

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` is valid for this schema (formats checked as openapi-core does)."""
        return bool(self._validator.is_valid(value))

    @cached_property
    def parts(self) -> list[Node]:
        """This schema and every schema it ``allOf``-includes, depth first."""
        found = [self]
        for part in self._children("allOf"):
            found.extend(part.parts)
        return found

    @cached_property
    def types(self) -> frozenset[str]:
        """The JSON types the schema names (merged over ``allOf``); ``object`` when it has properties."""
        named: set[str] = set()
        for part in self.parts:
            declared = _schema_types(part.value("type"))
            named |= declared or ({"object"} if "properties" in part.keywords else set())
        return frozenset(named)

    @cached_property
    def properties(self) -> dict[str, Node]:
        """The declared properties, merged over ``allOf`` (a later part's schema wins)."""
        merged: dict[str, Node] = {}
        for part in self.parts:
            if "properties" in part.keywords:
                for key in (part._schema / "properties").keys():  # noqa: SIM118 - a SchemaPath, not a dict
                    merged[str(key)] = part._child("properties", str(key))
        return merged

    @cached_property
    def required(self) -> frozenset[str]:
        """The required properties, merged over ``allOf``."""
        names: set[str] = set()
        for part in self.parts:
            listed = part.value("required")
            if isinstance(listed, list):
                names |= {str(name) for name in listed}
        return frozenset(names)

    @cached_property
    def additional(self) -> Node | None:
        """The schema of undeclared properties when the schema explicitly allows them, else None.

        Left out, ``additionalProperties`` allows anything; the sandbox then
        sends only the declared fields, which is what the spec describes.
        """
        for part in self.parts:
            allowed = part.value("additionalProperties")
            if allowed is True or isinstance(allowed, Mapping):
                return part._child("additionalProperties")
        return None

    @cached_property
    def items(self) -> Node | None:
        """The schema of an array's items, or None."""
        return self._child("items") if "array" in self.types and "items" in self.keywords else None

    @property
    def is_object(self) -> bool:
        """Whether values of the schema are objects with fields to fill."""
        return "object" in self.types

    @cached_property
    def fixed(self) -> Any:
        """The one value the schema allows (``const``, a one-value ``enum``), or MISSING."""
        const = self.value("const")
        if const is not MISSING:
            return const
        choices = self.value("enum")
        return choices[0] if isinstance(choices, list) and len(choices) == 1 else MISSING

    def default(self, context: Context, depth: int = 0) -> Any:
        """The simplest value the schema accepts, or MISSING when none is found.

        Tried in order: the allowed or declared value (``const``, ``default``,
        the first ``enum``), null, each ``oneOf``/``anyOf`` variant's
        default, then a value of each named type.
        """
        if depth > _MAX_DEPTH:
            return MISSING
        for candidate in self._candidates(context, depth):
            if candidate is not MISSING and self.accepts(candidate):
                return candidate
        return MISSING

    def _candidates(self, context: Context, depth: int) -> Iterator[Any]:
        yield self.fixed
        yield self.value("default")
        choices = self.value("enum")
        if isinstance(choices, list) and choices:
            yield choices[0]
        yield None
        for variant in (*self._children("oneOf"), *self._children("anyOf")):
            yield variant.default(context, depth + 1)
        for kind in sorted(self.types - {"null"}):
            yield self._typed(kind, context, depth)

    def _typed(self, kind: str, context: Context, depth: int) -> Any:
        if kind == "object":
            fields = {name: self.properties[name].default(context, depth + 1) for name in self.required}
            return {name: value for name, value in fields.items() if value is not MISSING}
        if kind == "array":
            least = self.value("minItems")
            item = MISSING if self.items is None else self.items.default(context, depth + 1)
            return [item] * int(least) if isinstance(least, int) and least and item is not MISSING else []
        if kind == "string":
            return self._string(context)
        if kind in ("integer", "number"):
            minimum, exclusive = self.value("minimum"), self.value("exclusiveMinimum")
            least = minimum if isinstance(minimum, int | float) else 0
            if isinstance(exclusive, int | float) and exclusive >= least:
                least = exclusive + 1
            return int(least) if kind == "integer" else float(least)
        if kind == "boolean":
            return False
        return MISSING

    def _string(self, context: Context) -> str:
        form = self.value("format")
        if form == "date-time":
            return context.now
        if form == "date":
            return context.now[:10]
        if form in ("uri", "url", "iri", "uri-reference"):
            return f"{context.base_url}/"
        if isinstance(form, str) and form in _FORMAT_SAMPLES:
            return _FORMAT_SAMPLES[form]
        least = self.value("minLength")
        return "x" * int(least) if isinstance(least, int) else ""
