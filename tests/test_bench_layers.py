"""The send-path benchmark (``tests/bench/bench_layers.py``) runs end to end at tiny sizes, so that it cannot rot.

Nothing about timing is asserted: only that every layer of the client's send
path got its row, found from the client itself.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from itsm_async import SpiceworksClient

BENCH = Path(__file__).parent / "bench" / "bench_layers.py"


async def _layer_names() -> list[str]:
    sys.path.insert(0, str(BENCH.parent))
    try:
        from tests.bench.bench_layers import layers
    finally:
        sys.path.remove(str(BENCH.parent))
    async with SpiceworksClient(token="t0k3n", base_url="http://127.0.0.1:9") as client:
        return [type(layer).__name__ for layer in layers(client)]


def test_every_transport_of_the_client_gets_a_row() -> None:
    pytest.importorskip("httpx_aiohttp", reason="the default transport on asyncio: pip install httpx-aiohttp")
    names = asyncio.run(_layer_names())
    done = subprocess.run(  # noqa: S603 - this interpreter, the repository's bench
        [sys.executable, str(BENCH), "--rounds", "1", "--calls", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line.strip("|").split(" | ")[0].strip() for line in done.stdout.splitlines() if line.startswith("| ")]
    assert rows == [
        "layer",
        "aiohttp alone, with the default transport's arguments",
        "building the httpx.Request",
        *(f"through {name}" for name in reversed(names)),
        "the client's send (auth)",
        "tickets.get_ticket (built, sent, parsed)",
    ]
    assert names[0] == "RetryTransport"
    assert names[-1] == "ApiTransport"
