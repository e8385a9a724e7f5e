"""What every Kloudless operation shares: the account, user references, hrefs and page tokens."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import _ids as ids
from . import _pages as pages
from . import _real_world as real_world
from ._call import Call, Reply
from ._errors import ApiProblem
from ._store import Record

_RANK = {"low": 1, "medium": 2, "high": 3}


def priority_for(impact: str | None, urgency: str | None) -> str:
    """The priority ServiceNow's matrix gives an impact and an urgency (low when unset)."""
    score = _RANK[impact or "low"] + _RANK[urgency or "low"]
    return "critical" if score == 6 else "high" if score == 5 else "medium" if score == 4 else "low"


def check_account(call: Call) -> None:
    """Refuse a request for another account than the sandbox's own.

    Raises:
        ApiProblem: 404, as Kloudless answers for an unknown account.
    """
    if call.params.path["account_id"] != call.account_id:
        raise ApiProblem(404, "Account not found", [f"no account {call.params.path['account_id']!r}"])


def user_ref(call: Call, user_id: int | None) -> dict[str, Any] | None:
    """A user as Kloudless reads one: ``{type, api, id, name, email}``."""
    user = call.user(user_id)
    if user is None:
        return None
    name = f"{user['first_name']} {user['last_name']}"
    return {"type": "user", "api": "team", "id": ids.user_id(user["id"]), "name": name, "email": user["email"]}


def base_href(call: Call, collection: str) -> str:
    """The absolute URL of a collection of the sandbox's account."""
    return f"{call.base_url}/v1/accounts/{call.account_id}/itsm/{collection}"


def keyset_page(call: Call, collection: str, filters: Mapping[str, Any], render: Callable[[Record], Any]) -> Reply:
    """One page of an ``object_list``: ``page_size`` records after the ``page`` token's.

    Raises:
        ApiProblem: 400 for a page token the sandbox did not make.
    """
    token = call.params.query.get("page")
    size = int(call.params.query.get("page_size", 10))
    if call.real_world is not None:
        return _numbered_page(call, collection, filters, render, size)
    found = pages.keyset_page(call.store, collection, filters, None if token is None else str(token), size)
    body = {
        "total": found.total,
        "count": len(found.records),
        "page": found.page,
        "next_page": found.next_page,
        "objects": [render(record) for record in found.records],
        "type": "object_list",
        "api": "itsm",
    }
    return Reply(200, body)


def _numbered_page(
    call: Call, collection: str, filters: Mapping[str, Any], render: Callable[[Record], Any], size: int
) -> Reply:
    """A real-world ``object_list``: ``page`` numbers from 1, no ``next_page`` (see ``_real_world``).

    Raises:
        ApiProblem: 400 for a page that is no number; 404 ``not_found`` past
            the last page, unless the mode ends lists with an empty page.
    """
    assert call.real_world is not None
    number = real_world.kloudless_page_number(call.params.query.get("page"))
    found = pages.numbered_page(call.store, collection, filters, number, size)
    if not found.records and number > 1 and call.real_world.kloudless_end == "not_found":
        raise ApiProblem(404, "Page not found", [f"page {number} is past the last page ({found.total_pages})"])
    body = {
        "total": found.total,
        "count": len(found.records),
        "page": number,
        "objects": [render(record) for record in found.records],
        "type": "object_list",
        "api": "itsm",
    }
    return Reply(200, body)
