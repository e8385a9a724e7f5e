"""Deterministic seed data: a help desk's people, tickets and comments.

Everything derives from one seed number. Each collection draws from its own
``random.Random`` stream, so changing one count leaves the other
collections as they were. Dates are relative to an epoch (a fixed moment by
default, not the wall clock), so a seed gives the same data on any day.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import attrs

from . import _vocab as vocab
from ._clock import SEED_EPOCH, iso
from ._seed_devices import make_devices
from ._seed_itsm import make_itsm
from ._store import Record, Store

_YEAR = timedelta(days=365)


@attrs.frozen(kw_only=True)
class SeedCounts:
    """How many records of each kind to seed (comments come 0-4 per ticket).

    ``users`` is at least 3: an admin, a technician and a requester.
    """

    users: int = attrs.field(default=80, validator=attrs.validators.ge(3))
    tickets: int = attrs.field(default=300, validator=attrs.validators.ge(0))
    devices: int = attrs.field(default=150, validator=attrs.validators.ge(0))
    incidents: int = attrs.field(default=250, validator=attrs.validators.ge(0))
    problems: int = attrs.field(default=40, validator=attrs.validators.ge(0))
    changes: int = attrs.field(default=60, validator=attrs.validators.ge(0))
    articles: int = attrs.field(default=50, validator=attrs.validators.ge(0))
    assets: int = attrs.field(default=150, validator=attrs.validators.ge(0))
    objects: int = attrs.field(default=60, validator=attrs.validators.ge(0))


def stream(seed: int, name: str) -> random.Random:
    """The random stream of one collection: a string seed is hashed stably (SHA-512)."""
    return random.Random(f"{seed}:{name}")  # noqa: S311 - test data, not secrets


def seed_store(store: Store, *, seed: int, counts: SeedCounts, epoch: datetime = SEED_EPOCH) -> None:
    """Fill an empty store with the data of ``seed``.

    Args:
        store: An empty store.
        seed: The seed number.
        counts: How many records of each kind.
        epoch: The moment the data is "now" for.
    """
    users = make_users(stream(seed, "users"), counts.users)
    store.insert_many("users", users)
    tickets: list[Record] = []
    comments: list[Record] = []
    for ticket, ticket_comments in make_tickets(stream(seed, "tickets"), counts.tickets, users, epoch):
        tickets.append(ticket)
        comments.extend(ticket_comments)
    for number, comment in enumerate(comments, start=1):
        comment["id"] = number
    store.insert_many("tickets", tickets)
    store.insert_many("comments", comments)
    store.insert_many("devices", make_devices(stream(seed, "devices"), counts.devices, users, epoch))
    for collection, records in make_itsm(seed, counts, users, epoch).items():
        store.insert_many(collection, records)
    store.set_meta("seed", str(seed))
    store.set_meta("counts", json.dumps(attrs.asdict(counts)))
    store.set_meta("epoch", epoch.isoformat())


def make_users(rng: random.Random, count: int) -> list[Record]:
    """People: user 1 is the IT manager (an admin), user 2 a technician."""
    users: list[Record] = []
    taken: set[str] = set()
    for number in range(1, count + 1):
        first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
        draw = rng.random()
        if number == 1 or (number > 3 and draw < 0.04):
            role = "admin"
        elif number == 2 or (number > 3 and draw < 0.22):
            role = "technician"
        else:
            role = "user"
        local = f"{first}.{last}".lower()
        if local in taken:
            local = f"{local}{number}"
        taken.add(local)
        users.append(
            {
                "id": number,
                "first_name": first,
                "last_name": last,
                "email": f"{local}@{vocab.EMAIL_DOMAIN}",
                "role": role,
                "department": "IT" if role != "user" else rng.choice(vocab.DEPARTMENTS),
                "phone": f"+1-555-01{rng.randrange(100):02d} x{rng.randrange(200, 800)}",
                "avatar_url": f"https://avatars.{vocab.EMAIL_DOMAIN}/{number}.png",
            }
        )
    return users


def make_tickets(
    rng: random.Random, count: int, users: list[Record], epoch: datetime
) -> Iterator[tuple[Record, list[Record]]]:
    """Tickets over the year before ``epoch``, ids in creation order, with comments."""
    staff = [u["id"] for u in users if u["role"] != "user"]
    requesters = [u["id"] for u in users if u["role"] == "user"] or staff
    start = epoch - _YEAR
    step = _YEAR / max(count, 1)
    for number in range(1, count + 1):
        template, tags = rng.choice(vocab.TICKET_TEMPLATES)
        summary = template.format_map(vocab.Placeholders(rng, users)) if "{" in template else template
        created = start + step * (number - 1) + step * rng.random()
        age = epoch - created
        draw = rng.random()
        if age > timedelta(days=30):
            status = "closed" if draw < 0.85 else ("in_progress" if draw < 0.93 else "open")
        else:
            status = "open" if draw < 0.45 else ("in_progress" if draw < 0.75 else "closed")
        draw = rng.random()
        priority = "low" if draw < 0.3 else "medium" if draw < 0.7 else "high" if draw < 0.92 else "urgent"
        assignee = None if status == "open" and rng.random() < 0.3 else rng.choice(staff)
        creator = rng.choice(requesters)
        updated = created + min(age, timedelta(days=20)) * rng.random()
        ticket: dict[str, Any] = {
            "id": number,
            "summary": summary,
            "description": f"{rng.choice(vocab.SYMPTOMS)} {rng.choice(vocab.SYMPTOMS)}",
            "status": status,
            "priority": priority,
            "assignee_id": assignee,
            "creator_id": creator,
            "created_at": iso(created),
            "updated_at": iso(updated),
            "due_date": (created + timedelta(days=rng.randrange(1, 15))).date().isoformat()
            if rng.random() < 0.6
            else None,
            "tags": list(tags),
        }
        comments = []
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3, 4))):
            comments.append(
                {
                    "ticket_id": number,
                    "body": rng.choice(vocab.COMMENTS),
                    "is_public": rng.random() < 0.75,
                    "author_id": assignee if assignee is not None and rng.random() < 0.7 else creator,
                    "created_at": iso(created + (updated - created) * rng.random()),
                }
            )
        comments.sort(key=lambda c: c["created_at"])
        yield ticket, comments
