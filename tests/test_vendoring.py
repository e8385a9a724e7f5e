"""Vendoring: the three packages copied into a service's own package work unchanged."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """\
import asyncio

import httpx

from svc._vendor.itsm_async import SpiceworksClient
from svc._vendor.itsm_async import _client


def handler(request: httpx.Request) -> httpx.Response:
    when = "2024-05-01T09:30:00+00:00"
    ticket = {"id": 42, "summary": "vendored", "status": "open", "priority": "low"}
    return httpx.Response(200, json={"ticket": ticket | {"created_at": when, "updated_at": when}})


async def main() -> None:
    async with SpiceworksClient(token="t", transport=httpx.MockTransport(handler)) as client:
        ticket = await client.tickets.get_ticket(42)
    print(type(ticket).__module__, ticket.ticket.summary, _client.KloudlessApi.__module__)


asyncio.run(main())
"""


def test_vendored_copy_uses_its_own_generated_packages(tmp_path: Path) -> None:
    vendor = tmp_path / "svc" / "_vendor"
    vendor.mkdir(parents=True)
    (tmp_path / "svc" / "__init__.py").write_text("")
    (vendor / "__init__.py").write_text("")
    ignore = shutil.ignore_patterns("__pycache__", "sandbox")
    shutil.copytree(ROOT / "wrapper" / "itsm_async", vendor / "itsm_async", ignore=ignore)
    for package in ("spiceworks_client", "kloudless_itsm_client"):
        shutil.copytree(ROOT / "generated" / package, vendor / package, ignore=ignore)
    script = tmp_path / "use_vendored.py"
    script.write_text(SCRIPT)

    # The installed packages stay importable too: the module names prove the vendored ones are used.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "svc._vendor.spiceworks_client.models.get_ticket_response_200",
        "vendored",
        "svc._vendor.kloudless_itsm_client.api",
    ]
