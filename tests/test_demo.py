"""The demo: its work, its read-back and its command line, against the sandbox."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

import pytest

from itsm_async import NotFoundError, RetryPolicy, demo
from itsm_async._demo_sandbox import LIGHT_FAULTS
from itsm_async.sandbox import Sandbox
from kloudless_itsm_client.models import IncidentCreate
from spiceworks_client.models import ListTicketsStatus, TicketDetail


async def test_demo_mirrors_urgent_tickets_and_reads_them_back() -> None:
    # The demo's own light faults, retried in stamina's testing mode: no real waits.
    with Sandbox(seed=3, check_responses=True, faults=LIGHT_FAULTS, fault_seed=5) as sandbox:
        retry = RetryPolicy(max_attempts=6)
        async with sandbox.spiceworks_client(retry=retry) as sw, sandbox.kloudless_client(retry=retry) as kl:
            open_tickets = [t async for t in sw.paginate(sw.tickets.list_tickets, status=ListTicketsStatus.OPEN)]
            urgent = {t.id for t in open_tickets if str(t.priority) == "urgent"}

            report = await demo.run(sw, kl, today=dt.date(2026, 1, 1))

            assert report.problems == []
            assert report.open_tickets == len(open_tickets)
            assert report.pages >= 2
            assert {ticket_id for ticket_id, _ in report.mirrored} == urgent
            assert report.verified == len(urgent) > 0
            for ticket_id, incident_id in report.mirrored:
                incident = await kl.incidents.get_incident(incident_id)
                assert str(incident.priority) == "critical"
                detail = (await sw.tickets.get_ticket(ticket_id)).ticket
                assert isinstance(detail, TicketDetail)
                assert f"Mirrored to Kloudless incident {incident_id}" in [c.body for c in detail.comments or []]
            assert sandbox.stats.creates["incidents"] == len(urgent)
            assert sandbox.stats.creates["comments"] == len(urgent)
            assert report.expired_servers
            assert all(expiry < dt.date(2026, 1, 1) for _, expiry in report.expired_servers)
            assert sum(sandbox.stats.faults.values()) > 0
            assert sw.retries + kl.retries == sum(sandbox.stats.faults.values()) - sandbox.stats.faults["slow"]

    text = demo.summary(report, retries=3, elapsed=1.5)
    assert f"urgent tickets mirrored:   {len(urgent)}" in text
    assert "retries performed:         3" in text
    assert "PROBLEM" not in text


async def test_demo_fails_when_its_work_does_not_read_back() -> None:
    with Sandbox(seed=3) as sandbox:
        async with sandbox.spiceworks_client() as sw, sandbox.kloudless_client() as kl:
            report = await demo.run(sw, kl, today=dt.date(2026, 1, 1))
            ticket_id, incident_id = report.mirrored[0]
            await kl.incidents.delete_incident(incident_id)
            with pytest.raises(NotFoundError):
                await demo._read_back(sw, kl, demo.Report(mirrored=[(ticket_id, incident_id)]))
            # An incident that exists but names another ticket is a problem, not a pass.
            other = await kl.incidents.create_incident(body=IncidentCreate(description="unrelated"))
            again = demo.Report(mirrored=[(ticket_id, str(other.id))])
            await demo._read_back(sw, kl, again)
            assert again.verified == 0
            assert again.problems == [f"incident {other.id} does not name ticket {ticket_id}"]


def test_demo_command_runs_on_the_sandbox() -> None:
    # Without faults: a child process is outside stamina's testing mode, and tests never wait for retries.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPICEWORKS_", "KLOUDLESS_"))}
    command = [sys.executable, "-m", "itsm_async.demo", "--no-faults"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    assert result.returncode == 0, result.stdout + result.stderr
    assert "running against the embedded sandbox" in result.stderr
    assert "paging open tickets: page 1 of" in result.stderr
    assert "read back and verified:" in result.stdout
    assert "sandbox: 0 faults injected" in result.stdout
    assert "retries performed:         0" in result.stdout
    assert "PROBLEM" not in result.stdout
    assert "\x1b[" not in result.stdout + result.stderr  # plain lines in a pipe


def _run_in_terminal(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ``command`` with a pseudo-terminal as its stdin, stdout and stderr; its exit status and output."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    process = subprocess.Popen(command, env=env, stdin=secondary, stdout=secondary, stderr=secondary)  # noqa: S603
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the child closed its side
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    return process.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


def test_demo_command_runs_in_a_terminal() -> None:
    # Regression: on a TTY the end of a progress line recursed until RecursionError.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPICEWORKS_", "KLOUDLESS_"))}
    env |= {"TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    env.pop("NO_COLOR", None)
    status, output = _run_in_terminal([sys.executable, "-m", "itsm_async.demo", "--no-faults"], env)
    assert status == 0, output
    assert "Traceback" not in output
    assert "read back and verified:" in output
    # The progress line is redrawn in place: carriage return, then erase-line.
    assert "paging open tickets: page" in output
    assert "\r\x1b[2K" in output
