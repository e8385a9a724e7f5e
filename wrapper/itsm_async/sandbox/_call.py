"""What an operation handler receives and returns.

Handlers are plain functions from a validated :class:`Call` to a
:class:`Reply`; they never see HTTP, faults or authentication, which the
application deals with around them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import attrs

from ._real_world import RealWorld
from ._store import Record, Store
from ._validation import Checked


@attrs.frozen
class Reply:
    """A handler's answer: status, JSON-ready body (None for none) and extra headers."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = attrs.field(factory=dict)


@attrs.define
class Call:
    """One validated request, as an operation handler sees it.

    Attributes:
        store: The records.
        params: Path, query and header parameters, typed by the spec.
        body: The JSON body, or None.
        base_url: Scheme and host the request was sent to, for ``href``.
        account_id: The Kloudless account the sandbox serves.
        now: The moment of the request, for ``created`` and ``modified``.
        on_write: Told ``(action, collection)`` for each create, update and delete.
        real_world: Answer in the live servers' shapes (``_real_world``), or None for the specs'.
        sent_query: The query parameters the request itself carried (``params`` adds the spec's defaults).
    """

    store: Store
    params: Checked
    body: Any
    base_url: str
    account_id: str
    now: datetime
    on_write: Callable[[str, str], None]
    real_world: RealWorld | None = None
    sent_query: frozenset[str] = frozenset()
    _users: dict[int, Record | None] = attrs.field(factory=dict)

    def user(self, user_id: int | None) -> Record | None:
        """User ``user_id``, looked up once per request (a page names the same people often)."""
        if user_id is None:
            return None
        if user_id not in self._users:
            self._users[user_id] = self.store.get("users", user_id)
        return self._users[user_id]


Handler = Callable[[Call], Reply]
