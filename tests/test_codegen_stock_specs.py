"""Our templates generate, at the least, whatever the stock generator generates cleanly.

``codegen_features/stock/`` holds openapi-python-client's own end-to-end test
documents (see its NOTICE). Each is generated twice, into temporary folders:
with the stock templates (``openapi-python-client generate``) and with ours
(``specs/codegen.py`` and ``specs/templates/``, with a minimal config). A side
is *clean* for a spec when the generator succeeds without a warning, every
module imports and ``mypy --strict`` finds nothing. Every spec that is clean
with stock must be clean with ours.

mypy runs once per side over all the packages of that side (one invocation
is much faster than one per package); generation runs in a loop.

One file is left out of the mypy verdict on both sides: the stock
``client.py``, which the stock generator emits unchanged for every spec and
which mypy 2.4 rejects whatever the spec (its ``__exit__(*args: object)``
passes objects to httpx's typed parameters: 12 errors). Counting it, no spec
would be clean with stock and the comparison would say nothing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import attrs
import pytest

ROOT = Path(__file__).resolve().parent.parent
STOCK = Path(__file__).resolve().parent / "codegen_features" / "stock"
VENV = ROOT / ".codegen-venv"
SPECS = sorted(
    path.name for path in STOCK.iterdir() if path.suffix in (".json", ".yaml") and not path.stem.endswith(".config")
)
Side = Literal["stock", "ours"]
#: The stock client module, whose mypy errors do not depend on the spec (see above).
STOCK_CLIENT = "client.py"
#: Specs that stock generates cleanly and ours does not, today, with why (none now).
OURS_FAILS_TODAY: dict[str, str] = {}

_IMPORT_ALL = """
import importlib, json, pkgutil, sys
failed = {}
for name in sys.argv[1:]:
    try:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, name + "."):
            importlib.import_module(module.name)
    except Exception as exc:
        failed[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(failed))
"""


@attrs.frozen
class Outcome:
    """How one spec fared on one side: clean, or the first reason it is not."""

    reason: str | None = None

    @property
    def clean(self) -> bool:
        return self.reason is None


def package_name(spec: str) -> str:
    return "p_" + re.sub(r"\W", "_", spec.rsplit(".", 1)[0]).lower()


def _env(path: Path | None = None) -> dict[str, str]:
    # The generator's post hooks call ruff: the pinned one, from the codegen venv.
    env = {**os.environ, "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    if path is not None:
        env |= {"PYTHONPATH": str(path), "MYPYPATH": str(path)}
    return env


def _config(spec: str, folder: Path) -> Path:
    """The spec's own generator config (``NAME.config.yaml`` beside it), with our package name."""
    own = STOCK / f"{spec.rsplit('.', 1)[0]}.config.yaml"
    text = own.read_text(encoding="utf-8") if own.exists() else ""
    path = folder / f"{package_name(spec)}.config.yaml"
    path.write_text(f"{text}\npackage_name_override: {package_name(spec)}\n", encoding="utf-8")
    return path


def generate(side: Side, spec: str, folder: Path) -> str | None:
    """Generate ``spec`` into ``folder``; None, or why generation failed."""
    config, output = _config(spec, folder), folder / package_name(spec)
    if side == "stock":
        command = [str(VENV / "bin" / "openapi-python-client"), "generate", "--path", str(STOCK / spec)]
        command += ["--config", str(config), "--meta", "none", "--output-path", str(output)]
    else:
        command = [str(VENV / "bin" / "python"), str(ROOT / "specs" / "codegen.py"), str(STOCK / spec)]
        command += [str(config), str(ROOT / "specs" / "templates"), str(output)]
    run = subprocess.run(  # noqa: S603
        command, cwd=folder, env=_env(), capture_output=True, text=True, check=False, timeout=300
    )
    said = run.stdout + run.stderr
    if run.returncode != 0 or "Warning(s) encountered" in said or not output.is_dir():
        lines = [line for line in said.splitlines() if line.strip()]
        return f"codegen ({run.returncode}): {' | '.join(lines[-3:])[:300]}"
    return None


def import_failures(folder: Path, packages: Iterable[str]) -> dict[str, str]:
    run = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _IMPORT_ALL, *packages],
        cwd=folder,
        env=_env(folder),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    failed: dict[str, str] = json.loads(run.stdout)
    return failed


def mypy_failures(folder: Path, packages: list[str]) -> dict[str, str]:
    """Each package's first ``mypy --strict`` error and the count, from one mypy run over all of them."""
    if not packages:
        return {}
    config = folder / "mypy.ini"
    config.write_text("[mypy]\n", encoding="utf-8")
    command = [sys.executable, "-m", "mypy", "--config-file", str(config), "--strict", "--python-version", "3.11"]
    command += ["--cache-dir", str(folder / ".mypy_cache"), *(arg for name in packages for arg in ("-p", name))]
    run = subprocess.run(  # noqa: S603
        command, cwd=folder, env=_env(folder), capture_output=True, text=True, check=False, timeout=900
    )
    errors: dict[str, list[str]] = {}
    reported = [line for line in run.stdout.splitlines() if ": error:" in line]
    for line in reported:
        package, _, module = line.partition(":")[0].partition("/")
        if module != STOCK_CLIENT:
            errors.setdefault(package, []).append(line)
    assert run.returncode == 0 or reported, run.stdout + run.stderr
    return {name: f"mypy --strict: {len(found)} errors, first: {found[0]}"[:400] for name, found in errors.items()}


def side_outcomes(side: Side, folder: Path) -> dict[str, Outcome]:
    reasons: dict[str, str | None] = {spec: generate(side, spec, folder) for spec in SPECS}
    generated = {package_name(spec): spec for spec, reason in reasons.items() if reason is None}
    for name, why in import_failures(folder, generated).items():
        reasons[generated.pop(name)] = f"import: {why}"[:400]
    for name, why in mypy_failures(folder, list(generated)).items():
        reasons[generated[name]] = why
    return {spec: Outcome(reason) for spec, reason in reasons.items()}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[Side, dict[str, Outcome]]:
    sides: tuple[Side, ...] = ("stock", "ours")
    return {side: side_outcomes(side, tmp_path_factory.mktemp(side)) for side in sides}


def _param(spec: str) -> object:
    why = OURS_FAILS_TODAY.get(spec)
    return pytest.param(spec, marks=pytest.mark.xfail(strict=True, reason=why)) if why else spec


@pytest.mark.parametrize("spec", [_param(spec) for spec in SPECS])
def test_ours_is_clean_wherever_stock_is(outcomes: dict[Side, dict[str, Outcome]], spec: str) -> None:
    stock = outcomes["stock"][spec]
    if not stock.clean:
        pytest.skip(f"stock is not clean either: {stock.reason}")
    assert outcomes["ours"][spec].clean, outcomes["ours"][spec].reason


def test_the_comparison_is_not_vacuous(outcomes: dict[Side, dict[str, Outcome]]) -> None:
    """Stock is clean for most of its own documents; otherwise the harness, not the templates, is broken."""
    clean = {side: sorted(spec for spec, outcome in found.items() if outcome.clean) for side, found in outcomes.items()}
    print(f"clean with stock: {len(clean['stock'])} of {len(SPECS)}; with ours: {len(clean['ours'])} of {len(SPECS)}")
    for spec in SPECS:
        stock, ours = (outcomes[side][spec].reason or "clean" for side in ("stock", "ours"))
        print(f"  {spec}: stock {stock}; ours {ours}")
    assert len(clean["stock"]) * 2 > len(SPECS), outcomes["stock"]
