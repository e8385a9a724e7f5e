"""A real ``redis-server`` for the tests, started on a free loopback port and stopped afterwards.

The Redis limiter is tested against the server itself, never a mock:
``.ci/run`` installs Debian's ``redis-server`` when it is missing. Without
the binary the tests that need it are skipped, saying so.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Where Debian's package puts the binary, when it is not on PATH.
_KNOWN_PLACES = ("/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server")
_STARTUP_SECONDS = 10.0


def redis_server_binary() -> str | None:
    """The ``redis-server`` executable, or None when it is not installed."""
    found = shutil.which("redis-server")
    if found is not None:
        return found
    return next((place for place in _KNOWN_PLACES if Path(place).is_file()), None)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _start(binary: str, port: int, folder: str) -> subprocess.Popen[bytes] | None:
    # No persistence, no protected-mode surprises: a throwaway server for one test session.
    options = {
        "port": str(port),
        "bind": "127.0.0.1",
        "save": "",
        "appendonly": "no",
        "dir": folder,
        "loglevel": "warning",
        "logfile": str(Path(folder) / f"redis-{port}.log"),
    }
    argv = [binary, *(part for name, value in options.items() for part in (f"--{name}", value))]
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 - our own argv
    deadline = time.monotonic() + _STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return None  # the port was taken in the meantime, most likely
        if _answers_ping(port):
            return server
        time.sleep(0.01)
    server.kill()
    server.wait()
    return None


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Run a ``redis-server`` on a free loopback port for the block.

    Yields:
        Its URL, ``redis://127.0.0.1:<port>/0``.

    Raises:
        pytest.skip.Exception: ``redis-server`` is not installed.
        RuntimeError: It did not start.
    """
    binary = redis_server_binary()
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server, as .ci/run does)")
    with tempfile.TemporaryDirectory(prefix="itsm-redis-") as folder:
        for _ in range(3):  # another process may take the free port before redis-server binds it
            port = _free_port()
            server = _start(binary, port, folder)
            if server is not None:
                break
        else:
            logs = "".join(log.read_text()[-500:] for log in Path(folder).glob("redis-*.log"))
            raise RuntimeError(f"{binary} did not start on a free loopback port: {logs or 'no log'}")
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
