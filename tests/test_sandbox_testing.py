"""The pytest plugin ``itsm_async.testing``, used as a user's test suite would.

The README's example suite (its Python block with ``# conftest.py`` and
``# test_*.py`` parts) runs, verbatim, in a pytest subprocess under each
async plugin set-up the README documents, each with the one line the README
says it needs. The subprocess gets its own ini file (``-c``) and rootdir, so
this repository's ``asyncio_mode = "auto"`` never reaches it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from itsm_async import KloudlessClient, SpiceworksClient
from itsm_async.sandbox import Sandbox, SeedCounts
from spiceworks_client.models import ListTicketsStatus

pytest_plugins = ["itsm_async.testing", "pytester"]


async def test_client_fixtures_share_one_sandbox(
    spiceworks_client: SpiceworksClient, kloudless_client: KloudlessClient, itsm_sandbox: Sandbox
) -> None:
    tickets: Any = await spiceworks_client.tickets.list_tickets(status=ListTicketsStatus.OPEN)
    incidents = await kloudless_client.incidents.list_incidents()
    assert tickets.meta.total_count > 0
    assert incidents.total == 250
    assert kloudless_client.account_id == itsm_sandbox.account_id
    assert itsm_sandbox.stats.requests["spiceworks"] == itsm_sandbox.stats.requests["kloudless"] == 1


async def test_each_test_gets_a_fresh_sandbox(itsm_sandbox: Sandbox) -> None:
    assert itsm_sandbox.stats.snapshot()["requests"] == {}
    assert itsm_sandbox.seed == 7


class TestOverriddenOptions:
    @pytest.fixture
    def itsm_sandbox_options(self) -> dict[str, Any]:
        return {"seed": 1, "counts": SeedCounts(tickets=3), "faults": "script=503"}

    async def test_options_reach_the_sandbox(self, spiceworks_client: SpiceworksClient, itsm_sandbox: Sandbox) -> None:
        page: Any = await spiceworks_client.tickets.list_tickets()
        assert itsm_sandbox.seed == 1
        assert page.meta.total_count == 3
        assert itsm_sandbox.faults.counts["503"] == 1


def test_plugin_in_a_strict_mode_suite(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('pytest_plugins = ["itsm_async.testing"]\n')
    pytester.makeini("[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.asyncio
        async def test_lists(spiceworks_client, kloudless_client, itsm_sandbox):
            assert (await spiceworks_client.users.get_user(1)).user.role.value == "admin"
            assert (await kloudless_client.articles.list_articles()).count == 10
            assert itsm_sandbox.stats.requests["getUser"] == 1
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


README = Path(__file__).parents[1] / "README.md"
_FENCE = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_PART = re.compile(r"^# (\w+\.py)$", re.MULTILINE)


def readme_example_suite() -> dict[str, str]:
    """The README's example test suite: file name -> text, split at its ``# name.py`` lines."""
    for match in _FENCE.finditer(README.read_text(encoding="utf-8")):
        block = match.group(1)
        if re.search(r"^# conftest\.py$", block, re.MULTILINE):
            pieces = _PART.split(block)
            return {name: text.strip() + "\n" for name, text in zip(pieces[1::2], pieces[2::2], strict=True)}
    raise AssertionError("README.md has no Python block with a '# conftest.py' part")


class SetUp(NamedTuple):
    """One way of running async tests: the one line the README says it needs, and how pytest is run."""

    line: str
    in_ini: bool
    ini: str
    options: tuple[str, ...]
    outcomes: tuple[str, ...]


BOTH_BACKENDS = ("test_mirror[asyncio] PASSED", "test_mirror[trio] PASSED")
SET_UPS = {
    "anyio plugin": SetUp("pytestmark = pytest.mark.anyio", False, "", ("-p", "no:asyncio"), BOTH_BACKENDS),
    "pytest-asyncio strict": SetUp(
        "pytestmark = pytest.mark.asyncio", False, "asyncio_mode = strict", (), ("test_mirror PASSED",)
    ),
    "pytest-asyncio auto": SetUp('asyncio_mode = "auto"', True, "", (), ("test_mirror PASSED",)),
    # Both plugins loaded, anyio running the test: the clients must open on anyio's loop, not pytest-asyncio's.
    "anyio marks, pytest-asyncio strict": SetUp(
        "pytestmark = pytest.mark.anyio", False, "asyncio_mode = strict", (), BOTH_BACKENDS
    ),
}


def _run_suite(tmp_path: Path, files: dict[str, str], ini: str, *options: str) -> subprocess.CompletedProcess[str]:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(f"[pytest]\nfilterwarnings = error\n{ini}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_ADDOPTS", "PYTEST_PLUGINS"}}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-c", "pytest.ini", "--rootdir", "."]
    return subprocess.run(  # noqa: S603 - this interpreter's pytest
        [*command, "-v", *options], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize("name", SET_UPS)
def test_readme_example_suite_passes(name: str, tmp_path: Path) -> None:
    set_up = SET_UPS[name]
    assert f"`{set_up.line}`" in README.read_text(encoding="utf-8"), f"README.md does not give {name}'s line"
    files = readme_example_suite()
    ini = set_up.ini
    if set_up.in_ini:
        ini += "\n" + set_up.line.replace('"', "")
    else:
        test_files = [file for file in files if file.startswith("test_")]
        assert test_files, "README.md's example suite has no test_*.py part"
        for file in test_files:
            files[file] = f"import pytest\n\n{set_up.line}\n{files[file]}"

    result = _run_suite(tmp_path, files, ini, *set_up.options)

    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{name}: the README's example suite failed:\n{output}"
    for outcome in set_up.outcomes:
        assert outcome in result.stdout, f"{name}: no {outcome!r} in\n{output}"


def test_a_test_no_plugin_runs_is_told_what_to_mark(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('pytest_plugins = ["itsm_async.testing"]\n')
    pytester.makeini("[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        """
        async def test_unmarked(spiceworks_client):
            pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*uses the async fixture 'spiceworks_client', but no plugin runs it: mark it*"])
