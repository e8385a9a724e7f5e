"""Time as the sandbox writes it and waits it: RFC 3339 UTC timestamps, the seed epoch, sleeps.

A record's times come from a wall clock (``utc_now``, or one a test gives).
Waits (latency, ``slow`` and ``stall`` faults) go through a :data:`Sleep`,
by default the event loop's own (``anyio.sleep``): under trio's
``MockClock`` or another virtual clock of the running loop a held answer
costs no real time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import anyio

#: Waits a number of seconds.
Sleep = Callable[[float], Awaitable[None]]

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


async def loop_sleep(seconds: float) -> None:
    """Wait on the running event loop's clock (virtual when the loop's is): the default :data:`Sleep`."""
    await anyio.sleep(seconds)
