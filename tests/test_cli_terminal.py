"""The itsm command as a process: on a pseudo-terminal, in a pipe, and interrupted mid-walk."""

from __future__ import annotations

import csv
import fcntl
import importlib.metadata
import io
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

ITSM = [sys.executable, "-m", "itsm_async.cli"]
#: Variables that make rich take a pipe for a terminal, or a terminal for a pipe.
_TERMINAL_OVERRIDES = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR", "COLUMNS", "LINES")
#: Every page answered after 50 ms: a walk of 60 pages takes a few seconds.
LATENCY = ["--sandbox-faults", "slow=1,delay=0.05"]


def _env(**extra: str) -> dict[str, str]:
    """A run on the sandbox: no credentials, no terminal overrides."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SPICEWORKS_", "KLOUDLESS_", "ITSM_SANDBOX")) and key not in _TERMINAL_OVERRIDES
    }
    return env | extra


def _run_in_terminal(command: list[str], *, timeout: float = 60) -> tuple[int, str]:
    """Run ``command`` on a 120x30 pseudo-terminal (stdin, stdout and stderr); its exit status and output."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    process = subprocess.Popen(  # noqa: S603
        command, env=_env(TERM="xterm-256color"), stdin=secondary, stdout=secondary, stderr=secondary
    )
    os.close(secondary)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
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


def test_on_a_terminal_a_progress_bar_then_a_table(tmp_path: Path) -> None:
    command = [*ITSM, "spiceworks", "tickets", "list", "--sandbox", "--all", "--per-page", "20", *LATENCY]
    status, output = _run_in_terminal(command)
    assert status == 0, output
    assert "Traceback" not in output
    # The bar, redrawn in place: items of the server's total, pages, rate.
    assert "\r\x1b[2K" in output
    assert "tickets list" in output
    frames = set(re.findall(r"(\d+)/300 items", output))
    assert "300" in frames
    assert len(frames) >= 2  # drawn before the end, then again
    assert "15 pages" in output
    assert "items/s" in output
    # Then the table: a terminal's default format.
    assert "┏━" in output
    assert "300 items" in output


def test_in_a_pipe_json_lines_and_nothing_on_stderr() -> None:
    command = [*ITSM, "kloudless", "incidents", "list", "--sandbox", "--all", "--page-size", "100"]
    result = subprocess.run(  # noqa: S603
        command, env=_env(TERM="xterm-256color"), capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 250
    assert all(json.loads(line)["type"] == "incident" for line in lines)


def _well_formed(output_format: str, text: str) -> int:
    """How many records a file holds, failing on any partial line or unclosed document."""
    assert text.endswith("\n"), text[-200:]
    if output_format == "jsonl":
        return len([json.loads(line) for line in text.splitlines()])
    if output_format == "json":
        return len(json.loads(text))
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[:2] == ["id", "summary"]
    assert all(len(row) == len(header) for row in rows)
    return len(rows)


def test_ctrl_c_mid_walk_leaves_a_well_formed_file(tmp_path: Path) -> None:
    formats = ("jsonl", "csv", "json")
    started = {}
    for output_format in formats:
        target = tmp_path / f"tickets.{output_format}"
        command = [*ITSM, "spiceworks", "tickets", "list", "--sandbox", "--all", "--per-page", "5", *LATENCY]
        process = subprocess.Popen(  # noqa: S603
            [*command, "--output", str(target)],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started[output_format] = (process, target)
    for output_format, (process, target) in started.items():
        deadline = time.monotonic() + 60
        # Interrupted once a few pages are written, long before the 60th.
        while not (target.exists() and target.read_text(encoding="utf-8").count("\n") >= 15):
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"{output_format}: the walk did not start: {process.communicate()}")
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
    for output_format, (process, target) in started.items():
        stdout, stderr = process.communicate(timeout=30)
        assert process.returncode == 130, (output_format, stderr)
        assert stderr == "itsm: interrupted\n"
        assert stdout == ""
        records = _well_formed(output_format, target.read_text(encoding="utf-8"))
        assert 2 <= records < 300, output_format


def test_the_console_script_is_itsm(capsys: pytest.CaptureFixture[str]) -> None:
    (script,) = importlib.metadata.entry_points(group="console_scripts", name="itsm")
    assert script.value == "itsm_async.cli:main"
    with pytest.raises(SystemExit) as exited:
        script.load()(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("itsm ")
