"""Response bodies built from the spec: a stored object merged with schema-derived values.

A field of the response schema takes, in order: a fact of the answer the
sandbox knows better than the record (the id, the ``href``, the times, the
paging counts), the stored value when it fits the field's schema, and,
when the field is required or allows one value only, the schema's default.
A field nothing fits is left out. Each value is checked with the schema's
own validator, so the body validates against the spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._schemas import MISSING, Context, Node

#: Names under which schemas carry a record's creation and change times.
CREATED_NAMES = ("created", "created_at", "createdAt", "created_on", "date_created")
MODIFIED_NAMES = ("modified", "modified_at", "updated", "updated_at", "updatedAt", "last_modified", "date_modified")


def render(
    node: Node,
    stored: Mapping[str, Any],
    facts: Mapping[str, Any],
    context: Context,
    *,
    deep_facts: bool = False,
) -> Any:
    """A value of ``node``'s schema from a stored object and the answer's facts.

    Args:
        node: The schema to fill.
        stored: The record's fields.
        facts: Values that win over the record's (``id``, ``href``...).
        context: The moment and the sandbox's URL, for defaults.
        deep_facts: Offer the facts to nested objects as well (a list's
            ``meta`` block holds its paging facts); an item's facts stay at
            its top level, so that a nested reference keeps its own ``id``.

    Returns:
        The body, or MISSING when the schema is no object and nothing fits it.
    """
    if not node.is_object:
        return MISSING
    body: dict[str, Any] = {}
    for name, field in node.properties.items():
        value = _field_value(name, field, name in node.required, stored, facts, context, deep_facts)
        if value is not MISSING:
            body[name] = value
    extra = node.additional
    if extra is not None:
        for name, value in stored.items():
            if name not in node.properties and extra.accepts(value):
                body[name] = value
    return body


def _field_value(
    name: str,
    field: Node,
    required: bool,
    stored: Mapping[str, Any],
    facts: Mapping[str, Any],
    context: Context,
    deep_facts: bool,
) -> Any:
    for candidate in (facts.get(name, MISSING), stored.get(name, MISSING)):
        if candidate is MISSING:
            continue
        if field.is_object and isinstance(candidate, Mapping):
            candidate = render(field, candidate, facts if deep_facts else {}, context, deep_facts=deep_facts)
        if field.accepts(candidate):
            return candidate
    if deep_facts and field.is_object:
        nested = render(field, {}, facts, context, deep_facts=True)
        if nested and field.accepts(nested):
            return nested
    if required or field.fixed is not MISSING:
        return field.default(context)
    return MISSING
