"""``python -m itsm_async.vendor DEST --package NAME``: copy the client into a service's tree.

Copies ``itsm_async`` and the two generated packages into ``DEST`` (the
directory of the service's package ``NAME``, e.g. ``myservice/_vendor`` for
``myservice._vendor``) and rewrites their absolute imports to the vendored
names with pip's ``vendoring`` tool, so that a type checker run over the
service sees the same precise types as with an installed copy: ``from
myservice._vendor.itsm_async import SpiceworksClient``. The sandbox's specs go
with it, so the vendored ``itsm_async.testing`` fixtures work too.

Needs the ``vendor`` extra: ``pip install 'itsm-async[vendor]'``. Running it
again replaces the vendored copy.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from ._generated import import_generated

#: The packages copied, as they are named when installed.
PACKAGES = ("itsm_async", "spiceworks_client", "kloudless_itsm_client")
_SPEC_FILES = ("spiceworks-cloud-apps.yaml", "kloudless-itsm.yaml")
_IGNORED = shutil.ignore_patterns("__pycache__", "*.py[cod]")


def _source(name: str) -> Path:
    module = importlib.import_module(__package__ or "itsm_async") if name == PACKAGES[0] else import_generated(name)
    assert module.__file__ is not None
    return Path(module.__file__).resolve().parent


def _spec_file(filename: str) -> Path:
    # Where the sandbox finds it: shipped inside the wheel, or in the source tree.
    here = _source(PACKAGES[0])
    for candidate in (here / "sandbox" / "specs" / filename, here.parents[1] / "specs" / filename):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"spec {filename} not found beside {here}")


def _check_package(package: str) -> None:
    if not package or not all(part.isidentifier() for part in package.split(".")):
        raise ValueError(f"--package must be a dotted Python package name, got {package!r}")


def vendor(destination: Path, package: str) -> list[Path]:
    """Copy the three packages into ``destination`` as subpackages of ``package``.

    Args:
        destination: The directory of the package ``package``; created if missing.
        package: The dotted name the copies are imported under.

    Returns:
        The directories written, one per package.

    Raises:
        ValueError: ``package`` is not a dotted package name.
        ImportError: The ``vendor`` extra is not installed.
    """
    _check_package(package)
    try:
        # pip's vendoring tool ships no type information.
        from vendoring.tasks.vendor import rewrite_imports  # type: ignore[import-untyped]
    except ModuleNotFoundError as exc:
        raise ImportError("vendoring needs the vendor extra: pip install 'itsm-async[vendor]'") from exc
    destination.mkdir(parents=True, exist_ok=True)
    (destination / "__init__.py").touch()
    written = []
    for name in PACKAGES:
        target = destination / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(_source(name), target, ignore=_IGNORED)
        written.append(target)
    specs = destination / PACKAGES[0] / "sandbox" / "specs"
    specs.mkdir(exist_ok=True)
    for filename in _SPEC_FILES:
        if not (specs / filename).is_file():
            shutil.copy(_spec_file(filename), specs / filename)
    for target in written:
        rewrite_imports(target, package, list(PACKAGES), [])
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m itsm_async.vendor", description=__doc__.split("\n\n")[1])
    parser.add_argument("destination", type=Path, help="the directory of the package to vendor into")
    parser.add_argument("--package", required=True, help="its dotted name, e.g. myservice._vendor")
    args = parser.parse_args(argv)
    try:
        written = vendor(args.destination, args.package)
    except (ValueError, ImportError, FileNotFoundError) as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    for target in written:
        print(f"vendored {target.name} into {target} as {args.package}.{target.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
