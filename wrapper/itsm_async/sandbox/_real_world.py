"""Real-world mode: the shapes the live servers send, where they differ from our specs.

The specs say what the APIs promise; the live servers, as Spiceworks'
developer documentation and the official Kloudless SDKs show them, send
something else in places (issue 8). With ``Sandbox(real_world=True)`` the
hand-written handlers answer as those servers do:

- Spiceworks tickets carry ``priority`` as an integer (low 1, medium 2,
  high and urgent 3) and ``null`` for an unset ``assignee``, ``due_date``
  and ``due_at`` (the documentation's name for it, sent as well); devices
  and users carry ``null`` for a share of their ``mac_address``,
  ``ip_address``, ``serial_number``, ``os_version``, ``last_seen_at``,
  ``department``, ``phone`` and ``avatar_url``, fields the spec never makes
  nullable.
- Spiceworks lists page by ``page``/``per_page`` with a ``meta`` of
  ``{total_entries, page_count, current_page, per_page}``, 30 a page by
  default and never more than 30, whatever ``per_page`` asks.
- Spiceworks errors are ``{"errors": [{"title": ..., "details": ...}]}``
  (``_errors.error_body``).
- Kloudless lists have no ``next_page``: ``page`` is the page number (an
  integer, from 1), and a page past the last is ``404 not_found``
  (``kloudless_end="not_found"``) or an empty page (``"empty"``).

Requests are still validated against the specs; responses are not (they
differ on purpose).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from ._errors import ApiProblem

#: Spiceworks' default and largest page, per its documentation.
SPICEWORKS_PAGE_SIZE = 30
_PRIORITIES = {"low": 1, "medium": 2, "high": 3, "urgent": 3}
#: Fields of each Spiceworks kind that are null for about one record in four.
SPARSE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "devices": ("mac_address", "ip_address", "serial_number", "os_version", "last_seen_at"),
    "users": ("department", "phone", "avatar_url"),
}
_PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,17}")


@attrs.frozen(kw_only=True)
class RealWorld:
    """What real-world mode serves where the live servers leave a choice.

    Args:
        kloudless_end: What a Kloudless page past the last is: ``not_found``
            (a 404 ``not_found`` error) or ``empty`` (a page of no objects).
    """

    kloudless_end: Literal["not_found", "empty"] = attrs.field(
        default="not_found", validator=attrs.validators.in_(("not_found", "empty"))
    )


def as_real_world(value: bool | RealWorld | None) -> RealWorld | None:
    """The mode ``Sandbox(real_world=...)`` asks for: ``True`` is the defaults, ``False`` none."""
    if isinstance(value, RealWorld) or value is None:
        return value
    if not isinstance(value, bool):
        raise TypeError(f"real_world must be a bool or a RealWorld, not {value!r}")
    return RealWorld() if value else None


def _sparse(kind: str, record_id: int, field: str) -> bool:
    # A stable draw per record and field: the same records lack the same fields on every run.
    digest = hashlib.blake2b(f"{kind}:{record_id}:{field}".encode(), digest_size=2).digest()
    return digest[0] % 4 == 0


def with_nulls(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """A device or user body with ``null`` in the fields its record lacks, as sparse records are sent."""
    for field in SPARSE_FIELDS.get(kind, ()):
        if field in body and _sparse(kind, body["id"], field):
            body[field] = None
    return body


def ticket(body: dict[str, Any], due_date: str | None) -> dict[str, Any]:
    """A ticket body as the live API sends it: integer priority, ``null`` for what is unset."""
    body["priority"] = _PRIORITIES.get(body["priority"], body["priority"])
    body.setdefault("assignee", None)
    body["due_date"] = due_date or None
    body["due_at"] = body["due_date"]
    return body


def spiceworks_page_size(requested: Any) -> int:
    """The page size served for a requested ``per_page``: 30 by default, never more."""
    if not isinstance(requested, int):
        return SPICEWORKS_PAGE_SIZE
    return max(1, min(requested, SPICEWORKS_PAGE_SIZE))


def spiceworks_meta(page: int, per_page: int, total: int, page_count: int) -> dict[str, int]:
    """A list's ``meta`` in the documentation's shape."""
    return {"total_entries": total, "page_count": page_count, "current_page": page, "per_page": per_page}


def kloudless_page_number(value: Any) -> int:
    """The page number of a real-world Kloudless list request (1 when not given).

    Raises:
        ApiProblem: 400 for a page that is no number from 1 in ASCII digits.
    """
    if value is None:
        return 1
    text = str(value)
    if _PAGE_NUMBER.fullmatch(text) is None:
        raise ApiProblem(400, "Invalid page", [f"page {text!r} is not a page number (1, 2, ...)"])
    return int(text)
