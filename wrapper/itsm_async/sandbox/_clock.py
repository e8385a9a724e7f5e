"""Time as the sandbox writes it: RFC 3339 UTC timestamps and the seed epoch."""

from __future__ import annotations

from datetime import UTC, datetime

#: The "now" of the seed data unless another is given: a fixed moment, not
#: the wall clock, so that a seed gives the same data on any day.
SEED_EPOCH = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    """An RFC 3339 UTC timestamp as both APIs write them (``2025-01-06T09:00:00Z``)."""
    # isoformat is several times faster than strftime, which matters when
    # seeding 100,000 records.
    return moment.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z"


def utc_now() -> datetime:
    """The wall clock, in UTC: the default clock of new and changed records."""
    return datetime.now(UTC)
