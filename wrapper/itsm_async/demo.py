"""The demo: real work through both clients, then proof that it happened.

It pages through open Spiceworks tickets, mirrors the urgent ones into
Kloudless incidents, comments back on each ticket with the incident id, lists
servers whose warranty has expired, and prints a summary. It exits 0 only
when everything it wrote reads back from the server.

With ``SPICEWORKS_TOKEN`` and ``KLOUDLESS_API_KEY`` (or ``KLOUDLESS_TOKEN``)
and ``KLOUDLESS_ACCOUNT_ID`` set it talks to the real APIs
(``SPICEWORKS_BASE_URL`` and ``KLOUDLESS_BASE_URL`` override the servers);
otherwise it starts the sandbox on loopback, with light fault injection.

Run it with ``python -m itsm_async.demo``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Self

import anyio
import attrs

try:
    import rich.progress
    from rich.console import Console
except ModuleNotFoundError as exc:  # pragma: no cover - exercised in a subprocess
    raise ModuleNotFoundError(
        f"the demo needs rich ({exc.name} is missing): pip install 'itsm-async[sandbox]'", name=exc.name
    ) from exc

from ._client import KLOUDLESS_BASE_URL, SPICEWORKS_BASE_URL, KloudlessClient, SpiceworksClient
from ._exceptions import ItsmError
from ._generated import import_generated

if TYPE_CHECKING:
    from kloudless_itsm_client import models as _kl_models
    from spiceworks_client import models as _sw_models
else:
    _sw_models = import_generated("spiceworks_client.models")
    _kl_models = import_generated("kloudless_itsm_client.models")


@attrs.define
class Report:
    """What the demo did, for the summary and the read-back."""

    open_tickets: int = 0
    pages: int = 0
    mirrored: list[tuple[int, str]] = attrs.Factory(list)
    expired_servers: list[tuple[str, dt.date]] = attrs.Factory(list)
    verified: int = 0
    problems: list[str] = attrs.Factory(list)


class Progress:
    """The demo's progress: bars redrawn in place on a terminal, plain lines otherwise.

    A terminal is what rich takes for an interactive one (a TTY whose
    ``TERM`` is not ``dumb``; ``FORCE_COLOR``, ``TTY_COMPATIBLE`` and
    ``TTY_INTERACTIVE`` override it). Elsewhere, a pipe or a log file, each
    step prints plain lines, without escape codes.

    Args:
        console: Where to show it; stderr by default.
    """

    def __init__(self, console: Console | None = None) -> None:
        self._console = console or Console(stderr=True)
        self._bars: rich.progress.Progress | None = None
        if self._console.is_interactive:
            self._bars = rich.progress.Progress(
                rich.progress.TextColumn("  {task.description:<28}"),
                rich.progress.BarColumn(),
                rich.progress.MofNCompleteColumn(),
                rich.progress.TextColumn("{task.fields[note]}"),
                console=self._console,
            )

    @property
    def in_place(self) -> bool:
        """Whether the bars are redrawn in place (on a terminal)."""
        return self._bars is not None

    def step(self, description: str) -> rich.progress.TaskID | None:
        """Start a step; its bar, on a terminal."""
        return None if self._bars is None else self._bars.add_task(description, total=None, note="")

    def update(
        self,
        step: rich.progress.TaskID | None,
        *,
        done: int,
        total: int | None,
        line: str = "",
        note: str | None = None,
    ) -> None:
        """Show how far a step got: on a terminal its bar, with ``note`` (``line`` by default); else ``line``."""
        if self._bars is not None and step is not None:
            self._bars.update(step, completed=done, total=total, note=line if note is None else note)
        elif self._bars is None and line:
            print(f"  {line}", file=self._console.file, flush=True)

    def __enter__(self) -> Self:
        if self._bars is not None:
            self._bars.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._bars is not None:
            self._bars.stop()


async def _mirror_urgent_tickets(sw: SpiceworksClient, kl: KloudlessClient, report: Report, show: Progress) -> None:
    urgent: list[_sw_models.Ticket] = []
    step = show.step("paging open tickets")
    pages = sw.paginate(sw.tickets.list_tickets, status=_sw_models.ListTicketsStatus.OPEN, per_page=10)
    async for page in pages.pages():
        report.pages += 1
        report.open_tickets += len(page.tickets)
        urgent += [t for t in page.tickets if t.priority == _sw_models.TicketPriority.URGENT]
        total = page.meta.total_pages
        line = f"paging open tickets: page {report.pages} of {total}, {report.open_tickets} tickets"
        show.update(step, done=report.pages, total=total, line=line, note=f"{report.open_tickets} tickets")
    step = show.step("mirroring urgent tickets")
    show.update(step, done=0, total=len(urgent))
    for ticket in urgent:
        incident = await kl.incidents.create_incident(
            body=_kl_models.IncidentCreate(
                description=f"[Spiceworks #{ticket.id}] {ticket.summary}",
                category="helpdesk",
                impact=_kl_models.Impact.HIGH,
                priority=_kl_models.Priority.CRITICAL,
                urgency=_kl_models.Urgency.HIGH,
                active=True,
            )
        )
        await sw.comments.create_ticket_comment(
            ticket.id,
            body=_sw_models.CommentCreate(body=f"Mirrored to Kloudless incident {incident.id}", is_public=False),
        )
        report.mirrored.append((ticket.id, incident.id))
        line = f"mirrored {len(report.mirrored)} of {len(urgent)} urgent tickets"
        show.update(step, done=len(report.mirrored), total=len(urgent), line=line, note=f"#{ticket.id}")


async def _expired_servers(sw: SpiceworksClient, report: Report, today: dt.date, show: Progress) -> None:
    limiter = anyio.CapacityLimiter(8)
    step = show.step("checking server warranties")
    servers, checked = 0, 0

    async def check(device_id: int) -> None:
        nonlocal checked
        async with limiter:
            detail = (await sw.devices.get_device(device_id)).device
        # A warranty date is optional: a server without one has none to expire.
        if detail.warranty_expiry and detail.warranty_expiry < today:
            report.expired_servers.append((detail.name, detail.warranty_expiry))
        checked += 1
        show.update(step, done=checked, total=servers, note=f"{len(report.expired_servers)} expired")

    async with anyio.create_task_group() as group:
        async for server in sw.paginate(sw.devices.list_devices, type_=_sw_models.ListDevicesType.SERVER, per_page=100):
            servers += 1
            group.start_soon(check, server.id)
    report.expired_servers.sort(key=lambda pair: (pair[1], pair[0]))
    expired = len(report.expired_servers)
    line = f"checked {checked} servers: {expired} warranties expired"
    show.update(step, done=checked, total=servers, line=line, note=f"{expired} expired")


async def _read_back(sw: SpiceworksClient, kl: KloudlessClient, report: Report) -> None:
    for ticket_id, incident_id in report.mirrored:
        incident = await kl.incidents.get_incident(incident_id)
        ticket = (await sw.tickets.get_ticket(ticket_id)).ticket
        comments = [comment.body for comment in ticket.comments or []]
        if f"[Spiceworks #{ticket_id}]" not in (incident.description or ""):
            report.problems.append(f"incident {incident_id} does not name ticket {ticket_id}")
        elif f"Mirrored to Kloudless incident {incident_id}" not in comments:
            report.problems.append(f"ticket {ticket_id} lacks the comment naming incident {incident_id}")
        else:
            report.verified += 1


async def run(
    sw: SpiceworksClient,
    kl: KloudlessClient,
    *,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> Report:
    """Do the demo's work with two clients and read it back.

    Args:
        sw: A Spiceworks client.
        kl: A Kloudless client.
        today: The date warranties are compared with; today by default.
        progress: Where to show progress; on stderr by default.

    Returns:
        The report; ``report.problems`` is empty when everything read back.
    """
    report = Report()
    with progress or Progress() as show:
        await _mirror_urgent_tickets(sw, kl, report, show)
        await _expired_servers(sw, report, today or dt.datetime.now(dt.UTC).date(), show)
    await _read_back(sw, kl, report)
    return report


def summary(report: Report, *, retries: int, elapsed: float) -> str:
    """The compact summary the demo prints."""
    lines = [
        f"open tickets paged:        {report.open_tickets} in {report.pages} pages",
        f"urgent tickets mirrored:   {len(report.mirrored)} (incidents created, comments added)",
        f"read back and verified:    {report.verified} of {len(report.mirrored)}",
        f"servers, warranty expired: {len(report.expired_servers)}",
    ]
    lines += [f"  {name:<24} expired {expiry.isoformat()}" for name, expiry in report.expired_servers[:10]]
    if len(report.expired_servers) > 10:
        lines.append(f"  ... and {len(report.expired_servers) - 10} more")
    lines += [f"retries performed:         {retries}", f"elapsed:                   {elapsed:.2f}s"]
    lines += [f"PROBLEM: {problem}" for problem in report.problems]
    return "\n".join(lines)


async def _main_with(sw: SpiceworksClient, kl: KloudlessClient) -> int:
    started = time.monotonic()
    async with sw, kl:
        try:
            report = await run(sw, kl)
        except ItsmError as exc:
            print(f"demo failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        print(summary(report, retries=sw.retries + kl.retries, elapsed=time.monotonic() - started))
    return 0 if not report.problems else 1


def _real_clients() -> tuple[SpiceworksClient, KloudlessClient] | None:
    token = os.environ.get("SPICEWORKS_TOKEN")
    key, bearer = os.environ.get("KLOUDLESS_API_KEY"), os.environ.get("KLOUDLESS_TOKEN")
    account = os.environ.get("KLOUDLESS_ACCOUNT_ID")
    if not (token and (key or bearer) and account):
        return None
    sw = SpiceworksClient(token=token, base_url=os.environ.get("SPICEWORKS_BASE_URL", SPICEWORKS_BASE_URL))
    kl_url = os.environ.get("KLOUDLESS_BASE_URL", KLOUDLESS_BASE_URL)
    if key:
        return sw, KloudlessClient(account_id=account, api_key=key, base_url=kl_url)
    return sw, KloudlessClient(account_id=account, token=bearer, base_url=kl_url)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m itsm_async.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7, help="sandbox seed (sandbox only)")
    parser.add_argument("--no-faults", action="store_true", help="sandbox without fault injection")
    args = parser.parse_args(argv)
    # stamina reports each retry on its logger at WARNING; the summary counts them instead.
    logging.getLogger("stamina").setLevel(logging.ERROR)
    clients = _real_clients()
    if clients is not None:
        print("Using the real APIs (SPICEWORKS_TOKEN and KLOUDLESS_* are set).", file=sys.stderr)
        return anyio.run(_main_with, *clients)
    from ._demo_sandbox import run_on_sandbox

    return run_on_sandbox(_main_with, seed=args.seed, faults=not args.no_faults)


if __name__ == "__main__":
    raise SystemExit(main())
