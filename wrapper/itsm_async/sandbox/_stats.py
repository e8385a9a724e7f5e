"""Counters of what the sandbox saw and did, for tests that check effects.

A test that drives a client through faults can read how many requests each
operation got and how many records each collection gained, so it can tell
a retried request from a duplicated create, or a lost one. A test of a
client's concurrency limit reads how many requests were in flight at once
(``peak_in_flight``), best with a ``latency`` that keeps each one open.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
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
        in_flight: API requests being answered now (from the request's
            arrival to the last byte of its answer, latency and faults included).
        peak_in_flight: The most API requests in flight at once.
        in_flight_by_api: ``in_flight`` for ``spiceworks`` and ``kloudless``.
        peak_in_flight_by_api: ``peak_in_flight`` for each API.
    """

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.resources: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.creates: Counter[str] = Counter()
        self.updates: Counter[str] = Counter()
        self.deletes: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.in_flight = 0
        self.peak_in_flight = 0
        self.in_flight_by_api: Counter[str] = Counter()
        self.peak_in_flight_by_api: Counter[str] = Counter()

    @contextlib.contextmanager
    def in_flight_request(self, api: str) -> Iterator[None]:
        """Count one API request as in flight for the block.

        Args:
            api: ``spiceworks`` or ``kloudless``.
        """
        self.in_flight += 1
        self.in_flight_by_api[api] += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        self.peak_in_flight_by_api[api] = max(self.peak_in_flight_by_api[api], self.in_flight_by_api[api])
        try:
            yield
        finally:
            self.in_flight -= 1
            self.in_flight_by_api[api] -= 1

    def record_write(self, action: str, collection: str) -> None:
        """Count one change to a record.

        Args:
            action: ``create``, ``update`` or ``delete``.
            collection: The record's collection (``tickets``).
        """
        {"create": self.creates, "update": self.updates, "delete": self.deletes}[action][collection] += 1

    def reset(self) -> None:
        """Zero every counter (the fault counts too); the peaks restart from the requests in flight now."""
        for counter in (self.requests, self.resources, self.statuses, self.creates, self.updates, self.deletes):
            counter.clear()
        self.faults.clear()
        self.peak_in_flight = self.in_flight
        self.peak_in_flight_by_api = Counter({api: n for api, n in self.in_flight_by_api.items() if n})

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
            "in_flight": self.in_flight,
            "peak_in_flight": self.peak_in_flight,
            "peak_in_flight_by_api": dict(self.peak_in_flight_by_api),
        }
