"""Response bodies that fit the specs, for fakes: every field the spec requires, and what a test adds.

The suite reads strictly (``ITSM_ASYNC_STRICT=1`` in conftest.py), so a fake
server's body must fit the spec as the real API's would; a test of tolerant
reading makes its client with ``strict=False``.
"""

from __future__ import annotations

from typing import Any

WHEN = "2024-05-01T09:30:00+00:00"
KLOUDLESS_URL = "https://kl.test/v1"


def ticket(id: Any = 42, **fields: Any) -> dict[str, Any]:
    """A Spiceworks ticket with every field the spec says the API always returns, and ``fields``."""
    base = {"id": id, "summary": "Printer on fire", "status": "open", "priority": "high"}
    return base | {"created_at": WHEN, "updated_at": WHEN} | fields


def ticket_page(
    tickets: list[dict[str, Any]], *, page: int = 1, total_pages: int = 1, per_page: int = 25
) -> dict[str, Any]:
    """A ``listTickets`` page: the tickets and the four numbers of ``meta``."""
    meta = {"current_page": page, "total_pages": total_pages, "total_count": len(tickets) * total_pages}
    return {"tickets": tickets, "meta": meta | {"per_page": per_page}}


def kloudless_object(kind: str = "incident", id: str = "inc-1", **fields: Any) -> dict[str, Any]:
    """A Kloudless ITSM object of ``kind`` with every field the spec requires, and ``fields``."""
    collection = {"incident": "incidents", "problem": "problems", "change": "changes"}.get(kind, f"{kind}s")
    href = f"{KLOUDLESS_URL}/accounts/123/itsm/{collection}/{id}"
    base = {"id": id, "created": WHEN, "modified": WHEN, "type": kind, "api": "itsm", "href": href}
    return base | fields


def kloudless_page(
    objects: list[dict[str, Any]], *, page: int | str = 1, next_page: str | None = None
) -> dict[str, Any]:
    """A Kloudless list page: the objects and the envelope's required fields."""
    return {
        "count": len(objects),
        "page": page,
        "next_page": next_page,
        "type": "object_list",
        "api": "itsm",
        "objects": objects,
    }
