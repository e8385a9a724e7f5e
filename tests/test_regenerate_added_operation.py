"""A spec update that adds an operation: regenerate, and everything works with no other edit.

A copy of the repo gets one new resource in each spec
(``codegen_features/added_operation.*.yaml``: ``listLocations``,
``createLocation`` and ``getLocation`` under a new tag ``Locations``), and
``./codegen.sh`` regenerates its clients. Then, in the copy: the sandbox
starts (in process and as a server) and serves the new operations through
both clients, and the repo's own tests of operations, the sandbox, paging,
the specs, the generated code and codegen pass unedited. Those are the
files the globs of ``SUITE`` match, run in a subprocess: the whole suite
takes four minutes, too long to run again inside itself, and the repo has
no ``slow`` marker to set such a test aside.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped,unused-ignore]

ROOT = Path(__file__).resolve().parent.parent
FEATURES = Path(__file__).resolve().parent / "codegen_features"
#: Each spec and the overlay that adds the operation to it.
OVERLAYS = {
    "specs/spiceworks-cloud-apps.yaml": "added_operation.spiceworks.yaml",
    "specs/kloudless-itsm.yaml": "added_operation.kloudless.yaml",
}
#: Not copied: tool environments, caches, scratch folders (the copy links the codegen venv instead).
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", ".codegen-venv", ".nox", "node_modules", "__pycache__", "*_cache", ".codegen-tmp.*", "build"
)
#: The copy's test files that exercise operations, the sandbox, paging, the specs and codegen.
SUITE = (
    "test_operations_*.py",
    "test_sandbox_*.py",
    "test_paging*.py",
    "test_specs*.py",
    "test_generated_*.py",
    "test_codegen*.py",
)
#: Test files that regenerate copies of the repo themselves: not run again inside the copy.
REGENERATING = ("test_codegen_features.py", "test_codegen_stock_specs.py", Path(__file__).name)


def add(spec: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with the overlay's tag, paths and schemas added, none of which it may already have."""
    merged = copy.deepcopy(spec)
    for target, added in (
        (merged["paths"], overlay["paths"]),
        (merged["components"]["schemas"], overlay["components"]["schemas"]),
    ):
        assert not target.keys() & added.keys(), f"the spec already has {sorted(target.keys() & added.keys())}"
        target.update(copy.deepcopy(added))
    assert not {tag["name"] for tag in merged["tags"]} & {tag["name"] for tag in overlay["tags"]}
    merged["tags"] += copy.deepcopy(overlay["tags"])
    return merged


def copy_env(root: Path) -> dict[str, str]:
    """An environment in which Python imports the copy's packages and the sandbox reads the copy's specs."""
    env = {key: value for key, value in os.environ.items() if key not in ("ITSM_SANDBOX_SPECS", "PYTEST_ADDOPTS")}
    path = os.pathsep.join([str(root / "generated"), str(root / "wrapper")])
    return env | {"PYTHONPATH": path, "MYPYPATH": path, "ITSM_CODEGEN_VENV": str(root / ".codegen-venv")}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repo whose specs gained the operations, regenerated."""
    root = tmp_path_factory.mktemp("added-operation") / "repo"
    shutil.copytree(ROOT, root, ignore=NOT_COPIED)
    # The pinned generator, shared: the copy's codegen.sh (and its test_codegen) find it where they look.
    (root / ".codegen-venv").symlink_to(ROOT / ".codegen-venv", target_is_directory=True)
    for spec_path, overlay in OVERLAYS.items():
        spec = root / spec_path
        extended = add(
            yaml.safe_load(spec.read_text(encoding="utf-8")),
            yaml.safe_load((FEATURES / overlay).read_text(encoding="utf-8")),
        )
        spec.write_text(yaml.safe_dump(extended, sort_keys=False, allow_unicode=True), encoding="utf-8")
    run = subprocess.run(  # noqa: S603
        ["bash", str(root / "codegen.sh")],  # noqa: S607 - bash from PATH, as a developer runs it
        cwd=root,
        env=copy_env(root),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return root


def test_both_clients_gain_the_new_group(regenerated: Path) -> None:
    for package in ("spiceworks_client", "kloudless_itsm_client"):
        group = regenerated / "generated" / package / "api" / "locations"
        assert sorted(path.name for path in group.glob("*_location*.py")) == [
            "create_location.py",
            "get_location.py",
            "list_locations.py",
        ]


def test_the_sandbox_starts_and_serves_the_new_operations(regenerated: Path) -> None:
    """Created, read back and paged through both clients, in process and over HTTP."""
    command = [sys.executable, "-W", "error", str(FEATURES / "probe.py"), "added_operation"]
    run = subprocess.run(  # noqa: S603
        command, cwd=regenerated, env=copy_env(regenerated), capture_output=True, text=True, check=False, timeout=300
    )
    assert run.returncode == 0, run.stderr[-4000:]


def test_the_existing_tests_pass_unedited(regenerated: Path) -> None:
    tests = regenerated / "tests"
    files = sorted(
        {path for pattern in SUITE for path in tests.glob(pattern)} - {tests / name for name in REGENERATING}
    )
    assert len(files) >= len(SUITE), files
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *map(str, files)]
    run = subprocess.run(  # noqa: S603
        command, cwd=regenerated, env=copy_env(regenerated), capture_output=True, text=True, check=False, timeout=900
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
