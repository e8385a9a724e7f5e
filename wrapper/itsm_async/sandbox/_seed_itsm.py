"""Seed ITSM records for Kloudless: incidents, problems, changes, articles, assets, objects.

Records link to each other as in ServiceNow: an incident names the problem
behind it and the change that fixed it, a problem the incident that raised
it, a change the problem it addresses. Relations and user references are
kept as record numbers and rendered as Kloudless ids on the way out.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import _vocab as vocab
from ._clock import iso
from ._ids import sys_id
from ._kloudless_base import priority_for
from ._store import Record

if TYPE_CHECKING:
    from ._seed import SeedCounts

_LEVELS = ("low", "medium", "high")
_CATEGORIES = ("inquiry", "software", "hardware", "network", "database")
_PROBLEMS = (
    "Root cause of repeated VPN disconnects",
    "Memory leak in {app} after the latest update",
    "Intermittent packet loss on the core switch",
    "Print spooler on the print server crashes weekly",
    "SSO sessions expire after a few minutes",
    "Backup window overruns on {server}",
    "Mailbox database grows unexpectedly",
)
_CHANGES = (
    ("Upgrade {server} to Windows Server 2022", "Software"),
    ("Replace the access switch serving {room}", "Hardware"),
    ("Apply monthly security patches to all servers", "Software"),
    ("Renew the TLS certificate for {site}", "Service"),
    ("Add 500 GB to the data volume of {server}", "Hardware"),
    ("Update firmware on all office printers", "Hardware"),
    ("Decommission {server}", "Service"),
)
_ASSET_MODELS = (
    "Dell P2422H 24\" Monitor", "Dell WD19S Dock", "Lenovo ThinkPad T14 Gen 4", "Apple iPhone 15",
    "Logitech MX Keys Keyboard", "Jabra Evolve2 65 Headset", "Samsung SyncMaster 24\" Class BackLight LED",
)  # fmt: skip
_GROUPS = ("Service Desk", "Network Team", "Server Team", "Security", "Facilities", "Database Admins")
#: The generic objects' tables; sys_user is the one the README pages through.
RAW_TYPES = ("sys_user_group", "cmdb_ci_server", "core_company", "u_vendor_contract", "sys_user")
_TITLES = {"admin": "IT Manager", "technician": "IT Technician", "user": "Employee"}
_VENDORS = ("Dell Technologies", "HP Inc.", "Lenovo", "Cisco Systems", "Microsoft", "Fortinet", "Canon")


def _link(rng: random.Random, count: int, share: float) -> int | None:
    return rng.randrange(1, count + 1) if count and rng.random() < share else None


def _timeline(rng: random.Random, count: int, epoch: datetime) -> list[tuple[datetime, datetime]]:
    # Creation times rise with the record number, as ids do upstream.
    start, step = epoch - timedelta(days=730), timedelta(days=730) / max(count, 1)
    times = []
    for number in range(count):
        created = start + step * (number + rng.random())
        times.append((created, created + (epoch - created) * rng.random() * 0.1))
    return times


def _work_item(rng: random.Random, users: Sequence[Record], number: int, times: tuple[datetime, datetime]) -> Record:
    """The fields incidents, problems and changes share."""
    staff = [u["id"] for u in users if u["role"] != "user"]
    impact, urgency = rng.choice(_LEVELS), rng.choice(_LEVELS)
    created, modified = times
    return {
        "id": number,
        "requester": rng.choice(users)["id"],
        "assignee": rng.choice(staff) if rng.random() < 0.85 else None,
        "responder": rng.choice(staff) if rng.random() < 0.5 else None,
        "category": rng.choice(_CATEGORIES),
        "escalation": rng.choice((0, 0, 0, 1, 1, 2, 3)),
        "impact": impact,
        "urgency": urgency,
        "priority": priority_for(impact, urgency),
        "created": iso(created),
        "modified": iso(modified),
    }


def make_itsm(seed: int, counts: SeedCounts, users: Sequence[Record], epoch: datetime) -> dict[str, list[Record]]:
    """Every Kloudless collection's seed records, by collection name."""
    streams = {name: random.Random(f"{seed}:{name}") for name in ("incidents", "problems", "changes", "rest")}  # noqa: S311
    incidents, problems, changes = [], [], []
    rng = streams["incidents"]
    for number, times in enumerate(_timeline(rng, counts.incidents, epoch), start=1):
        record = _work_item(rng, users, number, times)
        template, _ = rng.choice(vocab.TICKET_TEMPLATES)
        status = rng.choice((1, 1, 2, 2, 3, 6, 7, 7, 7, 8))
        due = times[0] + timedelta(days=rng.randrange(1, 10))
        record |= {
            "description": template.format_map(vocab.Placeholders(rng, users)),
            "status": status,
            "active": status in (1, 2, 3),
            "due_date": iso(due) if rng.random() < 0.7 else None,
            "problem": _link(rng, counts.problems, 0.3),
            "change": _link(rng, counts.changes, 0.1),
        }
        incidents.append(record)
    rng = streams["problems"]
    for number, times in enumerate(_timeline(rng, counts.problems, epoch), start=1):
        record = _work_item(rng, users, number, times)
        status = rng.choice((101, 102, 103, 104, 106, 107, 107))
        record |= {
            "description": rng.choice(_PROBLEMS).format_map(vocab.Placeholders(rng, users)),
            "status": status,
            "active": status < 106,
            "due_date": iso(times[0] + timedelta(days=rng.randrange(7, 60))) if rng.random() < 0.5 else None,
            "incident": _link(rng, counts.incidents, 0.7),
            "change": _link(rng, counts.changes, 0.2),
        }
        problems.append(record)
    rng = streams["changes"]
    for number, times in enumerate(_timeline(rng, counts.changes, epoch), start=1):
        record = _work_item(rng, users, number, times)
        template, category = rng.choice(_CHANGES)
        status = rng.choice((-5, -4, -3, -2, -1, 0, 3, 3, 3, 4))
        start = times[0] + timedelta(days=rng.randrange(1, 21), hours=rng.choice((18, 20, 22)))
        record |= {
            "description": template.format_map(vocab.Placeholders(rng, users)),
            "category": category,
            "risk": rng.choice(("low", "moderate", "moderate", "high")),
            "status": status,
            "active": status < 3,
            "start_date": iso(start),
            "end_date": iso(start + timedelta(hours=rng.choice((1, 2, 4)))),
            "problem": _link(rng, counts.problems, 0.3),
            "incident": _link(rng, counts.incidents, 0.2),
        }
        changes.append(record)
    rng = streams["rest"]
    return {
        "incidents": incidents,
        "problems": problems,
        "changes": changes,
        "articles": _articles(rng, counts.articles, users, epoch),
        "assets": _assets(rng, counts.assets, users, epoch),
        "objects": _objects(rng, counts.objects, users, epoch),
    }


def _articles(rng: random.Random, count: int, users: Sequence[Record], epoch: datetime) -> list[Record]:
    authors = [u["id"] for u in users if u["role"] != "user"]
    records = []
    for number, (created, modified) in enumerate(_timeline(rng, count, epoch), start=1):
        topic, category = vocab.ARTICLE_TOPICS[(number - 1) % len(vocab.ARTICLE_TOPICS)]
        edition = (number - 1) // len(vocab.ARTICLE_TOPICS)
        title = topic if edition == 0 else f"{topic} (revision {edition + 1})"
        records.append(
            {
                "id": number,
                "topic": title,
                "description": f"Step-by-step guide: {topic.lower()}.",
                "text": f"<h2>{title}</h2><p>Follow the steps below.</p><ol><li>Open the Service Portal.</li>"
                f"<li>{rng.choice(vocab.COMMENTS)}</li><li>Contact the Service Desk if it still fails.</li></ol>",
                "category": category,
                "rating": round(rng.uniform(2.5, 5.0), 1),
                "roles": rng.choice(("public", "public", "itil")),
                "active": rng.random() < 0.9,
                "author": rng.choice(authors),
                "created": iso(created),
                "modified": iso(modified),
            }
        )
    return records


def _assets(rng: random.Random, count: int, users: Sequence[Record], epoch: datetime) -> list[Record]:
    records = []
    for number, (created, modified) in enumerate(_timeline(rng, count, epoch), start=1):
        model = rng.choice(_ASSET_MODELS)
        owner = rng.choice(users) if rng.random() < 0.7 else None
        department = owner["department"] if owner else rng.choice(vocab.DEPARTMENTS)
        records.append(
            {
                "id": number,
                "name": f"P{1000000 + number} - {model}",
                "model": model,
                "department": sys_id("department", department),
                "quantity": 1 if rng.random() < 0.9 else rng.randrange(5, 50),
                "assignee": owner["id"] if owner else None,
                "active": rng.random() < 0.95,
                "description": f"{model}, {'in use' if owner else 'in stock'}",
                "created": iso(created),
                "modified": iso(modified),
            }
        )
    return records


def _objects(rng: random.Random, count: int, users: Sequence[Record], epoch: datetime) -> list[Record]:
    """Generic objects, a fifth of each raw type; ``sys_user`` ones are the seeded people, in order."""
    records = []
    for number, (created, modified) in enumerate(_timeline(rng, count, epoch), start=1):
        raw_type = RAW_TYPES[number % len(RAW_TYPES)]
        vendor = rng.choice(_VENDORS)
        attributes: dict[str, Any]
        if raw_type == "sys_user":
            attributes = _sys_user(users[(number // len(RAW_TYPES)) % len(users)])
        elif raw_type == "sys_user_group":
            group = rng.choice(_GROUPS)
            slug = group.lower().replace(" ", "-")
            attributes = {"name": group, "email": f"{slug}@{vocab.EMAIL_DOMAIN}", "active": "true"}
        elif raw_type == "cmdb_ci_server":
            attributes = {
                "name": f"{rng.choice(vocab.SERVERS)}-{number}",
                "ip_address": f"10.0.1.{number % 250 + 2}",
                "os": rng.choice(("Windows Server 2022", "Windows Server 2019", "Linux Red Hat")),
                "manufacturer": vendor,
            }
        elif raw_type == "core_company":
            attributes = {"name": vendor, "vendor": "true", "phone": f"+1-555-02{rng.randrange(100):02d}"}
        else:
            attributes = {
                "u_number": f"CNTR{1000 + number:07d}",
                "u_vendor": vendor,
                "u_ends": (epoch + timedelta(days=rng.randrange(-200, 900))).date().isoformat(),
                "u_annual_cost": f"{rng.randrange(1, 80) * 500}.00",
            }
        records.append(
            {
                "id": number,
                "raw_type": raw_type,
                "attributes": attributes,
                "created": iso(created),
                "modified": iso(modified),
            }
        )
    return records


def _sys_user(user: Record) -> dict[str, Any]:
    """A Spiceworks user as ServiceNow's sys_user table has them: every value a string."""
    return {
        "user_name": user["email"].partition("@")[0],
        "first_name": user["first_name"],
        "last_name": user["last_name"],
        "email": user["email"],
        "title": _TITLES[user["role"]],
        "department": user["department"],
        "phone": user["phone"],
        "active": "true",
    }
