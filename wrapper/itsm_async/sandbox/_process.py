"""The sandbox served by a child process on a free loopback port, for a ``with`` block."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import IO, TextIO

import httpx

_ADDRESS = re.compile(r"Spiceworks (http://\S+?),")


def _forward(lines: IO[str], to: TextIO) -> None:
    for line in lines:
        # A closed or broken stderr must not stop the reading, or the pipe fills again.
        with contextlib.suppress(OSError, ValueError):
            to.write(line)
            to.flush()


def _stop(process: subprocess.Popen[str], forwarding: threading.Thread | None) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if forwarding is not None:
        # The pipe closed with the process: the thread has no more to copy.
        forwarding.join(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


@contextlib.contextmanager
def serve(*options: str, startup_timeout: float = 60.0) -> Iterator[str]:
    """Run ``python -m itsm_async.sandbox --port 0 OPTIONS`` until the block ends.

    The process is stopped however the block ends (terminated, then killed
    if it does not exit within ten seconds). What it prints after its
    address (uvicorn's access log, at ``--log-level info``) is copied to
    ``sys.stderr`` as it comes: a pipe nobody reads fills up, and the
    server then blocks on its next log line.

    Args:
        *options: More command-line options, e.g. ``"--seed", "3", "--faults", "429=0.1"``.
        startup_timeout: Seconds to wait for it to answer.

    Yields:
        Its root URL: Spiceworks there, Kloudless under ``/v1``.

    Raises:
        RuntimeError: It exited or did not answer in time.
    """
    command = [sys.executable, "-m", "itsm_async.sandbox", "--host", "127.0.0.1", "--port", "0", *options]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603 - our own module
    forwarding: threading.Thread | None = None
    try:
        assert process.stdout is not None
        # The first line names the address; it comes once the data is seeded.
        first_line = process.stdout.readline()
        match = _ADDRESS.search(first_line)
        if match is None:
            raise RuntimeError(f"the sandbox did not start (exit code {process.poll()}): {first_line!r}")
        root = match.group(1)
        forwarding = threading.Thread(
            target=_forward, args=(process.stdout, sys.stderr), name=f"sandbox at {root}", daemon=True
        )
        forwarding.start()
        deadline = time.monotonic() + startup_timeout
        while not _healthy(root):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox at {root} did not answer (exit code {process.poll()})")
            time.sleep(0.05)
        yield root
    finally:
        _stop(process, forwarding)


def _healthy(root: str) -> bool:
    try:
        return httpx.get(f"{root}/_sandbox/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
