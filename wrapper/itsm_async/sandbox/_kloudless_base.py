"""What every Kloudless operation shares: the account, user references, hrefs and page tokens."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import _ids as ids
from . import _pages as pages
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
