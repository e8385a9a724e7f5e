"""``python -m itsm_async.vendor``: a vendored copy runs on its own and keeps its types."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from itsm_async.vendor import PACKAGES, vendor

PROBE = """\
from myservice._vendor.itsm_async import SpiceworksClient


async def probe(client: SpiceworksClient) -> None:
    ticket = await client.tickets.get_ticket(1)
    reveal_type(ticket)
    await client.tickets.get_ticket("x", bogus=1)
"""

# Run with the installed packages hidden, so only the vendored copy can answer.
RUN = """\
import importlib.abc, sys

class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {packages!r}:
            raise ModuleNotFoundError(f"hidden: {{name}}")
        return None

sys.meta_path.insert(0, Hide())

import anyio
from myservice._vendor.itsm_async.sandbox import Sandbox

async def main() -> None:
    with Sandbox() as sandbox:
        async with sandbox.spiceworks_client() as client:
            page = await client.tickets.list_tickets(per_page=2)
            print(type(page).__module__, len(page.page_items()))


anyio.run(main)
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A service tree with the client vendored into ``myservice._vendor``."""
    root = tmp_path_factory.mktemp("service")
    (root / "myservice").mkdir()
    (root / "myservice" / "__init__.py").touch()
    command = [sys.executable, "-m", "itsm_async.vendor", str(root / "myservice" / "_vendor")]
    run = subprocess.run([*command, "--package", "myservice._vendor"], capture_output=True, text=True, check=False)  # noqa: S603
    assert run.returncode == 0, run.stderr
    return root


def test_every_package_is_copied_with_its_imports_rewritten(service: Path) -> None:
    vendored = service / "myservice" / "_vendor"
    for name in PACKAGES:
        assert (vendored / name / "__init__.py").is_file()
    leftovers = [
        f"{path.relative_to(vendored)}:{number}: {line.strip()}"
        for path in vendored.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.lstrip().startswith(tuple(f"{verb} {name}" for name in PACKAGES for verb in ("from", "import")))
    ]
    assert leftovers == []


def test_the_vendored_copy_runs_without_the_installed_one(service: Path) -> None:
    script = RUN.format(packages=set(PACKAGES))
    run = subprocess.run([sys.executable, "-c", script], cwd=service, capture_output=True, text=True, check=False)  # noqa: S603
    assert run.returncode == 0, run.stderr
    module, count = run.stdout.split()
    assert module.startswith("myservice._vendor.spiceworks_client.models.")
    assert int(count) == 2


def test_a_type_checker_sees_the_vendored_models(service: Path) -> None:
    (service / "probe.py").write_text(PROBE, encoding="utf-8")
    command = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--no-error-summary", "probe.py"]
    run = subprocess.run(command, cwd=service, capture_output=True, text=True, check=False)  # noqa: S603
    probe_lines = [line for line in run.stdout.splitlines() if line.startswith("probe.py:")]
    assert probe_lines[0] == (
        'probe.py:6: note: Revealed type is "myservice._vendor.spiceworks_client.models.'
        'get_ticket_response_200.GetTicketResponse200"'
    ), run.stdout
    # The wrong call is caught, so the operation is not Any.
    assert any(line.startswith("probe.py:7: error:") and "bogus" in line for line in probe_lines), run.stdout


def test_a_package_name_that_is_not_dotted_identifiers_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--package"):
        vendor(tmp_path, "my-service")


def test_vendoring_again_replaces_the_copy(service: Path) -> None:
    stale = service / "myservice" / "_vendor" / "itsm_async" / "stale.py"
    stale.write_text("", encoding="utf-8")
    vendor(service / "myservice" / "_vendor", "myservice._vendor")
    assert not stale.exists()


def test_the_vendored_tree_is_clean_under_mypy_strict(service: Path) -> None:
    """Nothing in the copy (wrapper or generated) has a type error a service's mypy would report."""
    (service / "clean_probe.py").write_text(PROBE.rsplit("\n    await", 1)[0] + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "clean_probe.py", "myservice"]
    run = subprocess.run(command, cwd=service, capture_output=True, text=True, check=False)  # noqa: S603
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Revealed type is" in run.stdout
