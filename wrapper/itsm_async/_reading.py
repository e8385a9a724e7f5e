"""Tolerant reading: what did not fit the schema in a response, and where.

A 2xx body never fails a call because a field does not fit its schema: the
generated models keep the value the server sent and record the mismatch.
``mismatches(model)`` lists them, with JSON paths from the model read, e.g.
``$.tickets[3].priority``. A strict client (``strict=True``) raises
``ResponseDecodeError`` for them instead.
"""

from __future__ import annotations

from typing import NamedTuple

from ._generated import import_generated

_TYPES = import_generated("spiceworks_client.types")


class Mismatch(NamedTuple):
    """One place where a response did not fit its schema; the value was kept as sent.

    Attributes:
        path: The JSON path from the model read (``$.tickets[3].priority``).
        expected: What the schema says (``one of 'low', 'high'``, ``string``).
        got: What came: its JSON type and value (``integer 1``, ``null``, ``absent``).
    """

    path: str
    expected: str
    got: str


def mismatches(model: object) -> list[Mismatch]:
    """Every mismatch recorded while reading ``model`` from a response, nested models included.

    Args:
        model: A model returned by an operation (or any part of one: a nested
            model, a list of them).

    Returns:
        The mismatches, in document order; empty when everything fit.
    """
    return [Mismatch(*each) for each in _TYPES.mismatches(model)]
