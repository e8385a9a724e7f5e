"""The peer benchmark (``tests/bench/bench_peers.py``) runs end to end at tiny sizes, so that it cannot rot.

Nothing about timing is asserted: only that every client ran every workload
and that the table and the targets are printed.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from itsm_async import SpiceworksClient

BENCH = Path(__file__).parent / "bench" / "bench_peers.py"
TINY = {
    "--rounds": 1,
    "--sequential": 5,
    "--in-flight-requests": 8,
    "--in-flight": 4,
    "--pages": 2,
    "--per-page": 10,
    "--paged-items": 30,
    "--latency-ms": 1,
    "--concurrency": 2,
    "--memory-items": 50,
}
COLUMNS = ["raw httpx", "raw aiohttp", "stock openapi-python-client", "openapi-generator python", "itsm_async"]


def _table(output: str) -> dict[str, list[str]]:
    """The printed table, as row name -> cells in column order."""
    rows = [line.strip("|").split(" | ") for line in output.splitlines() if line.startswith("| ")]
    header, *body = rows
    assert [cell.strip() for cell in header[1:]] == [
        *COLUMNS[:3],
        "openapi-generator python (aiohttp + pydantic)",
        "itsm_async",
    ]
    return {cells[0].strip(): [cell.strip() for cell in cells[1:]] for cells in body}


def _measured(cell: str) -> bool:
    return cell.split(" ")[0].replace(".", "", 1).isdigit()


def test_peer_bench_runs_every_client_at_tiny_sizes() -> None:
    pytest.importorskip("aiohttp", reason="the bench's raw aiohttp client: pip install 'itsm-async[bench]'")
    arguments = [str(part) for pair in TINY.items() for part in pair]
    done = subprocess.run(  # noqa: S603 - this interpreter, the repository's bench
        [sys.executable, str(BENCH), *arguments], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sizes: 1 rounds; A 5 GETs; B 8 GETs, 4 in flight; C 2 pages" in done.stdout
    table = _table(done.stdout)
    expected = {
        "A 5 sequential GET ticket": "all",
        "B 8 GET, 4 in flight": "all",
        "C 2 pages \N{MULTIPLICATION SIGN} 10 tickets, parsed": "all",
        "C 2 pages \N{MULTIPLICATION SIGN} 10 tickets, parsed, strict mode": "itsm_async",
        "D 30 tickets by paging, 1 ms server latency": "no aiohttp",
        "D with concurrency=2, vs its own sequential walk": "itsm_async",
        "peak memory while paging 50 items": "all",
        "import time": "all",
    }
    assert list(table) == list(expected)
    parallel = "concurrency" in inspect.signature(SpiceworksClient.paginate).parameters
    # openapi-generator's client runs where openapi-generator-cli and Java are installed.
    generator = "openapi-generator python (aiohttp + pydantic): skipped: " not in done.stdout
    for row, who in expected.items():
        cells = dict(zip(COLUMNS, table[row], strict=True))
        if who == "itsm_async":
            assert _measured(cells["itsm_async"]) == (parallel or "strict" in row), (row, cells)
            assert all(cells[name] == "\N{EN DASH}" for name in COLUMNS[:-1]), (row, cells)
            continue
        ran = [name for name in COLUMNS if name != "openapi-generator python" or generator]
        if who == "no aiohttp":
            ran = [name for name in ran if name not in ("raw aiohttp", "openapi-generator python")]
        assert all(_measured(cells[name]) for name in ran), (row, cells)
        assert all(cells[name] == "\N{EN DASH}" for name in COLUMNS if name not in ran), (row, cells)
        assert cells["raw httpx"].startswith("1.00"), (row, cells)
    targets = [line for line in done.stdout.splitlines() if line.startswith("target ")]
    assert [line.split(" ")[1] for line in targets] == ["B", "A", "C", "C(strict)", "D(concurrency=2)"], done.stdout
    assert all(line.endswith(("met", "not met", ")")) for line in targets), targets
    assert "error" not in done.stdout
