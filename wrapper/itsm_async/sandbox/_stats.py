"""Counters of what the sandbox saw and did, for tests that check effects.

A test that drives a client through faults can read how many requests each
operation got and how many records each collection gained, so it can tell
a retried request from a duplicated create, or a lost one.
"""

from __future__ import annotations

from collections import Counter
from typing import Any


class Stats:
    """Requests, responses, writes and faults since the start (or the last reset).

    Attributes:
        requests: API requests by operationId (``createTicket``), plus
            ``spiceworks`` and ``kloudless`` for every request to each API.
        resources: API requests by resource (``tickets``, ``incidents``).
        statuses: Responses by status code (faults included).
        creates: Records created, by collection.
        updates: Records updated, by collection.
        deletes: Records deleted, by collection.
        faults: Faults injected, by kind (the fault injector's counts).
    """

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.resources: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.creates: Counter[str] = Counter()
        self.updates: Counter[str] = Counter()
        self.deletes: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()

    def record_write(self, action: str, collection: str) -> None:
        """Count one change to a record.

        Args:
            action: ``create``, ``update`` or ``delete``.
            collection: The record's collection (``tickets``).
        """
        {"create": self.creates, "update": self.updates, "delete": self.deletes}[action][collection] += 1

    def reset(self) -> None:
        """Zero every counter (the fault counts too)."""
        for counter in (self.requests, self.resources, self.statuses, self.creates, self.updates, self.deletes):
            counter.clear()
        self.faults.clear()

    def snapshot(self) -> dict[str, Any]:
        """Every counter as JSON-ready data (what ``GET /_sandbox/stats`` returns)."""
        return {
            "requests": dict(self.requests),
            "resources": dict(self.resources),
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
            "creates": dict(self.creates),
            "updates": dict(self.updates),
            "deletes": dict(self.deletes),
            "faults": dict(self.faults),
        }
