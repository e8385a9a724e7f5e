"""The progress of a walk over pages: a rich bar on stderr on a terminal, nothing elsewhere.

A terminal is what rich takes for an interactive one (a TTY whose ``TERM``
is not ``dumb``; ``TTY_INTERACTIVE`` and friends override it). In a pipe or
a log, stderr carries errors only.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text


class _Items(ProgressColumn):
    """Items so far, and of how many when the server says."""

    def render(self, task: Task) -> Text:
        done = int(task.completed)
        return Text(f"{done}/{int(task.total)} items" if task.total is not None else f"{done} items")


class _Pages(ProgressColumn):
    """Pages so far."""

    def render(self, task: Task) -> Text:
        pages = int(task.fields.get("pages", 0))
        return Text(f"{pages} page" if pages == 1 else f"{pages} pages")


class _Rate(ProgressColumn):
    """Items per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} items/s" if speed is not None else "- items/s", style="progress.data.speed")


class PagingProgress:
    """Items, pages, rate and the total when known, while pages are walked.

    Args:
        description: What is walked (``tickets list``).
        console: Where to draw; stderr by default. Nothing is drawn unless it is a terminal.
    """

    def __init__(self, description: str, console: Console | None = None) -> None:
        self._console = console or Console(stderr=True)
        self._progress: Progress | None = None
        self._description = description
        self._pages = 0
        self._task: TaskID | None = None
        if self._console.is_interactive:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                _Items(),
                _Pages(),
                _Rate(),
                TimeElapsedColumn(),
                console=self._console,
            )

    @property
    def shown(self) -> bool:
        """Whether a bar is drawn (stderr is a terminal)."""
        return self._progress is not None

    def __enter__(self) -> PagingProgress:
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task(self._description, total=None, pages=0)
        return self

    def page(self, items: int, total: int | None = None) -> None:
        """Count one page of ``items`` items; ``total`` is the server's count of all, when it gave one."""
        self._pages += 1
        if self._progress is not None and self._task is not None:
            if total is not None:
                self._progress.update(self._task, total=total)
            self._progress.update(self._task, advance=items, pages=self._pages)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            if self._task is not None and exc_type is None:
                task = self._progress.tasks[0]
                # Done: the bar is full even when the server gave no total.
                self._progress.update(self._task, total=task.completed)
            self._progress.stop()
