"""The demo: its work, its read-back and its command line, against the sandbox."""

from __future__ import annotations

import datetime as dt
import fcntl
import io
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time

import pytest
from rich.console import Console

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


#: Variables that make rich take a pipe for a terminal, or a terminal for a pipe.
_TERMINAL_OVERRIDES = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR", "COLUMNS", "LINES")


def _demo_env(**extra: str) -> dict[str, str]:
    """The environment of a demo run on the sandbox: no credentials, no terminal overrides."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SPICEWORKS_", "KLOUDLESS_")) and key not in _TERMINAL_OVERRIDES
    }
    return env | extra


def test_demo_command_runs_in_a_pipe() -> None:
    # Without faults: a child process is outside stamina's testing mode, and tests never wait for retries.
    command = [sys.executable, "-m", "itsm_async.demo", "--no-faults"]
    result = subprocess.run(  # noqa: S603
        command, env=_demo_env(TERM="xterm-256color"), capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "running against the embedded sandbox" in result.stderr
    assert "paging open tickets: page 1 of" in result.stderr
    assert "mirrored 1 of" in result.stderr
    assert "read back and verified:" in result.stdout
    assert "sandbox: 0 faults injected" in result.stdout
    assert "retries performed:         0" in result.stdout
    assert "PROBLEM" not in result.stdout
    # Plain lines: no escape codes, no carriage returns, even with TERM naming a color terminal.
    assert "\x1b" not in result.stdout + result.stderr
    assert "\r" not in result.stdout + result.stderr


def _run_in_terminal(command: list[str], env: dict[str, str], *, timeout: float = 120) -> tuple[int, str]:
    """Run ``command`` on a 100x30 pseudo-terminal (stdin, stdout and stderr); its exit status and output.

    Raises:
        TimeoutError: It did not finish within ``timeout`` seconds (it is killed).
    """
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    process = subprocess.Popen(command, env=env, stdin=secondary, stdout=secondary, stderr=secondary)  # noqa: S603
    os.close(secondary)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            # select's timeout bounds a hung child; output is read as it comes, never waited for.
            ready, _, _ = select.select([primary], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError(f"{command} did not finish in {timeout}s: {b''.join(chunks)[-2000:]!r}")
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the child closed its side
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(primary)
        if process.poll() is None and time.monotonic() > deadline:
            process.kill()
    return process.wait(timeout=10), b"".join(chunks).decode("utf-8", "replace")


def test_demo_command_runs_in_a_terminal() -> None:
    # Regression: on a TTY the end of a progress line recursed until RecursionError.
    command = [sys.executable, "-m", "itsm_async.demo", "--no-faults"]
    status, output = _run_in_terminal(command, _demo_env(TERM="xterm-256color"))
    assert status == 0, output
    assert "Traceback" not in output
    assert "read back and verified:" in output
    assert "sandbox: 0 faults injected" in output
    # The bars rendered and were redrawn in place: carriage return, erase line, cursor up.
    assert "paging open tickets" in output
    assert "checking server warranties" in output
    assert "\r\x1b[2K" in output
    assert "\x1b[1A" in output
    # Not the pipe's plain lines.
    assert "paging open tickets: page 1 of" not in output


def test_progress_is_drawn_in_place_only_on_a_terminal() -> None:
    terminal = io.StringIO()
    shown = demo.Progress(Console(file=terminal, force_terminal=True, force_interactive=True, width=80))
    with shown:
        step = shown.step("paging open tickets")
        shown.update(step, done=1, total=2, line="page 1 of 2", note="10 tickets")
        shown.update(step, done=2, total=2, line="page 2 of 2", note="20 tickets")
    assert shown.in_place
    assert "2/2" in terminal.getvalue()
    assert "20 tickets" in terminal.getvalue()
    assert "\x1b[" in terminal.getvalue()
    pipe = io.StringIO()
    plain = demo.Progress(Console(file=pipe))
    with plain:
        step = plain.step("paging open tickets")
        plain.update(step, done=1, total=2, line="page 1 of 2", note="10 tickets")
        plain.update(step, done=2, total=2, note="no line, nothing printed")
    assert not plain.in_place
    assert pipe.getvalue() == "  page 1 of 2\n"


def test_the_demo_without_rich_says_how_to_install_it() -> None:
    script = "import sys\nsys.modules['rich'] = None\nimport itsm_async.demo\n"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)  # noqa: S603
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: the demo needs rich (rich")
    assert last.endswith("pip install 'itsm-async[sandbox]'")
    assert "The above exception was the direct cause" in run.stderr  # the original import error is kept
