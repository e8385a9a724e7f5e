"""Numbers in parameters read as the APIs write them: ASCII digits only.

openapi-core casts an ``integer`` parameter with ``int()`` and a ``number``
with ``float()``, which read far more than any API writes: ``int("٣")`` is
3 (Arabic-Indic digits), ``int(" 3")``, ``int("+3")`` and ``int("3_0")``
are 3, 3 and 30, and ``float("nan")`` is a number. A crafted ``/tickets/٣``
would then fetch ticket 3. The casters here accept an integer as
``-?[0-9]+`` and a number as a JSON number (RFC 8259 section 6, leading
zeros allowed) in ASCII; anything else fails the cast, as ``abc`` does.

:func:`foreign_number` tells a value that failed the cast but is all
digits (``²``, ``٣``, fullwidth ``9``, or ASCII digits past Python's ``int()`` limit)
from one that is no number at all: the API names no record and no page by
it, so the sandbox answers 404 or 400 for it, where ``abc`` is a 422.
"""

from __future__ import annotations

import re
from typing import Any

from openapi_core.casting.schemas.casters import IntegerCaster, NumberCaster, TypesCaster
from openapi_core.casting.schemas.factories import SchemaCastersFactory

# [0-9] in a str pattern is the ASCII range, unlike \d or str.isdigit().
_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


class ExactIntegerCaster(IntegerCaster):
    """openapi-core's integer caster, for ASCII digits with an optional minus only."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if isinstance(value, str) and _INTEGER.fullmatch(value) is None:
            raise ValueError(f"{value!r} is not an integer in ASCII digits")


class ExactNumberCaster(NumberCaster):
    """openapi-core's number caster, for JSON numbers in ASCII only (no ``nan``, ``inf``, ``1_0``)."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if isinstance(value, str) and _NUMBER.fullmatch(value) is None:
            raise ValueError(f"{value!r} is not a number in ASCII digits")


def exact_casters(factory: SchemaCastersFactory) -> SchemaCastersFactory:
    """``factory`` with the exact integer and number casters in place of ``int()`` and ``float()``.

    Args:
        factory: An openapi-core casters factory (of one OpenAPI version).

    Returns:
        A factory that casts every other type as ``factory`` does.
    """
    types = factory.types_caster
    casters = {**types.casters, "integer": ExactIntegerCaster, "number": ExactNumberCaster}
    return SchemaCastersFactory(factory.schema_validators_factory, TypesCaster(casters, types.default, types.multi))


def foreign_number(value: Any) -> bool:
    """Whether ``value`` is digits (with a sign, perhaps) that are not an integer in ASCII the API could read.

    Args:
        value: A parameter's raw value.

    Returns:
        True for ``²``, ``٣``, ``-٣``, fullwidth digits, and ASCII digits
        too many for ``int()``; False for ``abc``, ``1.5`` or ``""``.
    """
    if not isinstance(value, str):
        return False
    digits = value[1:] if value[:1] in ("-", "+") else value
    return bool(digits) and all(char.isdigit() or char.isnumeric() for char in digits)
