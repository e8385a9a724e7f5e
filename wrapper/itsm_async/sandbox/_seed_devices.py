"""Seed devices: an inventory of every device type, with software and warranties."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from ._clock import iso
from ._store import Record

# type: (share of devices, [(manufacturer, model, cpu, ram options, disk options)], [(os name, os version)])
_CATALOG: dict[str, tuple[float, list[tuple[str, str, str]], list[tuple[str, str]]]] = {
    "workstation": (
        0.5,
        [
            ("Dell", "Latitude 7440", "Intel Core i7-1365U @ 1.80GHz"),
            ("Dell", "OptiPlex 7010", "Intel Core i5-13500 @ 2.50GHz"),
            ("HP", "EliteBook 840 G10", "Intel Core i7-1355U @ 1.70GHz"),
            ("Lenovo", "ThinkPad T14 Gen 4", "AMD Ryzen 7 PRO 7840U @ 3.30GHz"),
            ("Apple", 'MacBook Pro 14" (M3, 2023)', "Apple M3 Pro"),
        ],
        [("Windows 11 Pro", "23H2 (10.0.22631)"), ("Windows 10 Pro", "22H2 (10.0.19045)"), ("macOS", "14.5")],
    ),
    "server": (
        0.12,
        [
            ("Dell", "PowerEdge R750", "2x Intel Xeon Silver 4314 @ 2.40GHz"),
            ("Dell", "PowerEdge T440", "Intel Xeon Silver 4210R @ 2.40GHz"),
            ("HPE", "ProLiant DL380 Gen10", "2x Intel Xeon Gold 5218 @ 2.30GHz"),
            ("Lenovo", "ThinkSystem SR650", "AMD EPYC 7313P @ 3.00GHz"),
        ],
        [
            ("Windows Server 2022 Standard", "21H2 (10.0.20348)"),
            ("Windows Server 2019 Standard", "1809 (10.0.17763)"),
            ("Ubuntu", "22.04.4 LTS"),
            ("Red Hat Enterprise Linux", "9.3"),
            ("VMware ESXi", "8.0 Update 2"),
        ],
    ),
    "network": (
        0.12,
        [
            ("Cisco", "Catalyst 9300-48P", "ARM Cortex-A53"),
            ("Cisco", "Meraki MR46", "Qualcomm IPQ8074"),
            ("Ubiquiti", "UniFi U6 Pro", "Qualcomm IPQ5018"),
            ("Fortinet", "FortiGate 100F", "Fortinet SoC4"),
        ],
        [("Cisco IOS XE", "17.9.4a"), ("UniFi OS", "3.2.12"), ("FortiOS", "7.2.8")],
    ),
    "printer": (
        0.1,
        [
            ("HP", "Color LaserJet Pro MFP M479fdw", "ARM Cortex-A7"),
            ("Brother", "MFC-L8900CDW", "ARM Cortex-A9"),
            ("Canon", "imageRUNNER ADVANCE C5535i", "Canon DIGIC"),
        ],
        [("Printer firmware", "2403")],
    ),
    "mobile": (
        0.12,
        [
            ("Apple", "iPhone 15", "Apple A16 Bionic"),
            ("Apple", "iPad Air (5th generation)", "Apple M1"),
            ("Samsung", "Galaxy S23", "Snapdragon 8 Gen 2"),
        ],
        [("iOS", "17.5.1"), ("iPadOS", "17.5.1"), ("Android", "14")],
    ),
    "unknown": (
        0.04,
        [("Raspberry Pi Foundation", "Raspberry Pi 4 Model B", "ARM Cortex-A72"), ("APC", "Smart-UPS 1500", "")],
        [("Linux", "6.1"), ("", "")],
    ),
}

_SOFTWARE = {
    "workstation": (
        ("Microsoft 365 Apps for enterprise", "16.0.17328.20282"),
        ("Google Chrome", "124.0.6367.91"),
        ("Mozilla Firefox", "125.0.3"),
        ("Adobe Acrobat Reader", "24.002.20736"),
        ("Zoom Workplace", "6.0.11"),
        ("Slack", "4.38.115"),
        ("7-Zip", "23.01"),
        ("CrowdStrike Falcon Sensor", "7.13.18105"),
        ("Microsoft Teams", "24102.2223.2870.9480"),
    ),
    "server": (
        ("Microsoft SQL Server 2019", "15.0.4355.3"),
        ("Veeam Agent for Microsoft Windows", "6.1.0.349"),
        ("CrowdStrike Falcon Sensor", "7.13.18105"),
        ("nginx", "1.24.0"),
        ("PostgreSQL", "15.6"),
        ("Docker Engine", "26.1.1"),
        ("OpenSSH", "9.6p1"),
    ),
    "mobile": (("Microsoft Outlook", "4.2417.0"), ("Microsoft Authenticator", "6.8.8"), ("Microsoft Teams", "6.9.1")),
}

_PREFIX = {"workstation": "WS", "server": "SRV", "network": "NET", "printer": "PRN", "mobile": "MOB", "unknown": "DEV"}
_SERVER_ROLES = ("DC", "FS", "SQL", "APP", "WEB", "BKP", "HV", "EXCH")
_SUBNET = {
    "workstation": "10.10.20",
    "server": "10.0.1",
    "network": "10.0.0",
    "printer": "10.10.50",
    "mobile": "10.20.8",
}
_SPECS = {
    "workstation": ((8192, 16384, 32768), (256.0, 512.0, 1024.0)),
    "server": ((65536, 131072, 262144), (1920.0, 3840.0, 7680.0)),
    "network": ((2048, 4096), (4.0, 16.0)),
    "printer": ((512, 1024), (8.0, 32.0)),
    "mobile": ((6144, 8192), (128.0, 256.0)),
    "unknown": ((1024, 4096), (32.0, 64.0)),
}


def _pick_type(rng: random.Random, number: int) -> str:
    # The first six devices cover every type; the rest follow the shares.
    types = list(_CATALOG)
    if number <= len(types):
        return types[number - 1]
    draw, total = rng.random(), 0.0
    for name, (share, _, _) in _CATALOG.items():
        total += share
        if draw < total:
            return name
    return "workstation"


def make_devices(rng: random.Random, count: int, users: list[Record], epoch: datetime) -> list[Record]:
    """Devices of every type; every third server's warranty has expired."""
    devices: list[Record] = []
    servers = 0
    for number in range(1, count + 1):
        kind = _pick_type(rng, number)
        _, models, systems = _CATALOG[kind]
        manufacturer, model, cpu = rng.choice(models)
        os_name, os_version = rng.choice(systems)
        owner = rng.choice(users)
        if kind == "server":
            servers += 1
            name = f"SRV-{rng.choice(_SERVER_ROLES)}-{servers:02d}"
        elif kind == "mobile":
            name = f"{owner['first_name']}-{model.split()[0]}-{number}"
        else:
            name = f"{_PREFIX[kind]}-{owner['department'][:3].upper()}-{number:03d}"
        purchased = epoch - timedelta(days=rng.randrange(30, 6 * 365))
        warranty = purchased + timedelta(days=365 * rng.choice((1, 3, 3, 5)))
        if kind == "server" and servers % 3 == 1:
            warranty = min(warranty, epoch - timedelta(days=rng.randrange(1, 400)))
        ram, disk = _SPECS[kind]
        software = _SOFTWARE.get(kind, ())
        chosen = sorted(rng.sample(range(len(software)), k=rng.randrange(len(software) + 1))) if software else []
        device: dict[str, Any] = {
            "id": number,
            "name": name,
            "type": kind,
            "manufacturer": manufacturer,
            "model": model,
            "serial_number": "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(10)),
            "ip_address": f"{_SUBNET.get(kind, '10.99.0')}.{number % 250 + 2}",
            "mac_address": ":".join(f"{rng.randrange(256):02X}" for _ in range(6)),
            "os_name": os_name,
            "os_version": os_version,
            "last_seen_at": iso(epoch - timedelta(minutes=rng.randrange(0, 60 * 24 * 45))),
            "cpu": cpu,
            "ram_mb": rng.choice(ram),
            "disk_gb": rng.choice(disk),
            "software": [{"name": software[i][0], "version": software[i][1]} for i in chosen],
            "warranty_expiry": warranty.date().isoformat(),
        }
        devices.append(device)
    return devices
