"""Words the seed data is made of: people, departments, tickets, comments.

Plain tables, so that generated data reads like a real help desk's.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

FIRST_NAMES = (
    "Aisha", "Alejandro", "Amara", "Ben", "Carla", "Chen", "Daniel", "Dana", "Diego", "Elena", "Emeka", "Eva",
    "Farah", "Felix", "Grace", "Hannah", "Hiro", "Ines", "Isaac", "Jamal", "Jana", "Joao", "Julia", "Kai", "Kavya",
    "Lars", "Leila", "Liam", "Lucia", "Marco", "Maria", "Mateo", "Mei", "Nadia", "Noah", "Olga", "Omar", "Priya",
    "Rafael", "Rosa", "Sam", "Sara", "Sofia", "Tariq", "Tom", "Uma", "Victor", "Wei", "Yara", "Zoe",
)  # fmt: skip

LAST_NAMES = (
    "Abbott", "Adeyemi", "Bauer", "Becker", "Chen", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad",
    "Hughes", "Ivanova", "Jensen", "Kim", "Kowalski", "Larsen", "Lopez", "Martin", "Meyer", "Moreau", "Nakamura",
    "Nguyen", "Novak", "Okafor", "Olsen", "Patel", "Perez", "Quinn", "Rossi", "Santos", "Schmidt", "Silva",
    "Singh", "Tanaka", "Torres", "Usman", "Vargas", "Walsh", "Weber", "Whitfield", "Yamamoto", "Zhang",
)  # fmt: skip

DEPARTMENTS = (
    "Finance", "Human Resources", "Sales", "Marketing", "Operations", "Legal", "Engineering", "Customer Support",
    "Facilities", "Procurement",
)  # fmt: skip

EMAIL_DOMAIN = "northwind.example"

SHARES = ("Finance", "HR-Confidential", "Marketing-Assets", "Projects", "Scans", "Sales-Reports", "Legal")
APPS = ("Outlook", "Teams", "Excel", "QuickBooks", "Adobe Acrobat", "Zoom", "Chrome", "SAP GUI", "Salesforce", "Slack")
ROOMS = ("Board Room", "Room 2.14", "Room 3.02", "the warehouse office", "Reception", "Training Room B")
PRINTERS = ("PRN-HR-2F", "PRN-FIN-3F", "PRN-SALES-1F", "PRN-OPS-WH", "PRN-EXEC-4F")
SERVERS = ("SRV-FS-01", "SRV-SQL-02", "SRV-APP-03", "SRV-DC-01", "SRV-BKP-01", "SRV-WEB-02")
SITES = ("intranet.northwind.example", "vpn.northwind.example", "mail.northwind.example", "portal.northwind.example")

#: (summary template, tags); ``{person}`` and friends are filled in.
TICKET_TEMPLATES = (
    ("Outlook keeps asking for password", ("email",)),
    ("Cannot connect to VPN from home", ("network", "remote")),
    ("Printer {printer} is jammed", ("printer", "hardware")),
    ("Printer {printer} shows offline", ("printer",)),
    ("New hire laptop setup for {person}", ("onboarding", "hardware")),
    ("Request access to the {share} shared drive", ("access",)),
    ("Password reset for {person}", ("access", "account")),
    ("Monitor flickering at desk {desk}", ("hardware",)),
    ("{app} crashes on startup", ("software",)),
    ("Wi-Fi keeps dropping in {room}", ("network", "wifi")),
    ("Phone extension {ext} has no dial tone", ("phone",)),
    ("Install {app} for {person}", ("software", "install")),
    ("Emails to external partners bouncing back", ("email",)),
    ("Network very slow in {room}", ("network",)),
    ("Laptop battery not charging", ("hardware",)),
    ("Teams camera not detected", ("software", "hardware")),
    ("Shared calendar not syncing on iPhone", ("email", "mobile")),
    ("Disk space low on {server}", ("server", "monitoring")),
    ("Nightly backup failed on {server}", ("server", "backup")),
    ("TLS certificate expiring for {site}", ("security",)),
    ("Badge reader at the {room} door not working", ("facilities",)),
    ("Projector in {room} shows no signal", ("hardware", "av")),
    ("Account locked out after password change", ("access", "account")),
    ("MFA prompt not arriving for {person}", ("security", "account")),
    ("Offboarding: disable accounts for {person}", ("offboarding", "access")),
    ("Excel macro blocked by security policy", ("software", "security")),
    ("Scan to email not working on {printer}", ("printer", "email")),
    ("Second monitor request for {person}", ("hardware", "request")),
    ("Windows update stuck at 35%", ("software", "windows")),
    ("Cannot map network drive {share}", ("network", "access")),
    ("Phishing email reported by {person}", ("security", "email")),
    ("{app} license expired", ("software", "licensing")),
)

SYMPTOMS = (
    "It started this morning after a restart.",
    "Several people on the team see the same thing.",
    "It happens every few minutes and is blocking work.",
    "Rebooting did not help.",
    "The error message says 'access denied'.",
    "It worked fine until yesterday afternoon.",
    "Only happens when connected to the office network.",
    "A screenshot of the error is attached.",
    "Needed before the client meeting on Thursday.",
    "No error message, it just stops responding.",
)

COMMENTS = (
    "Looking into this now.",
    "Can you send a screenshot of the error?",
    "Restarted the print spooler, please try again.",
    "Replaced the toner cartridge and cleared the jam.",
    "Escalated to the network team.",
    "User confirmed the issue is resolved.",
    "Scheduled a desk visit for tomorrow morning.",
    "Reset the password and sent a temporary one by SMS.",
    "Waiting on the vendor for a replacement part.",
    "Reimaged the laptop with the standard build.",
    "Added the user to the security group; access may take 15 minutes.",
    "Cleared the cached credentials in Credential Manager.",
    "Still happening on my side, see attached log.",
    "Thanks, that fixed it!",
    "Rolled back the latest update as a workaround.",
    "Closing this ticket; reopen if it happens again.",
)

ARTICLE_TOPICS = (
    ("How to connect to the VPN", "network"),
    ("Setting up MFA on your phone", "security"),
    ("Mapping a network drive on Windows 11", "network"),
    ("Adding a shared mailbox in Outlook", "email"),
    ("Reporting a phishing email", "security"),
    ("Requesting new hardware", "hardware"),
    ("Printing from your laptop to office printers", "printer"),
    ("Resetting your password with self-service", "account"),
    ("Joining Teams meetings from a conference room", "software"),
    ("Securing your home Wi-Fi for remote work", "network"),
    ("Backing up files to OneDrive", "software"),
    ("Onboarding checklist for new employees", "onboarding"),
)


class Placeholders(dict[str, str]):
    """Fills a summary template's placeholders, each drawn only when used."""

    def __init__(self, rng: random.Random, users: Sequence[Mapping[str, Any]]) -> None:
        super().__init__()
        self._rng = rng
        self._users = users

    def __missing__(self, key: str) -> str:
        rng = self._rng
        if key == "person":
            user = rng.choice(self._users)
            return f"{user['first_name']} {user['last_name']}"
        if key in ("desk", "ext"):
            return str(rng.randrange(100, 480))
        table = {
            "printer": PRINTERS,
            "share": SHARES,
            "app": APPS,
            "room": ROOMS,
            "server": SERVERS,
            "site": SITES,
        }
        return rng.choice(table[key])
