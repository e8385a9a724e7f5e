"""A spec with every feature the templates must survive, regenerated in a copy of the repo.

``codegen_features/features.yaml`` adds to a copy of the Spiceworks spec one
operation or schema per feature: two request content types, multipart with
a file, ``oneOf`` with a discriminator and ``anyOf`` without, ``allOf``,
nullable list items on a paged list, a binary response, header, cookie and
path-level parameters, an untagged operation, typed and free-form
``additionalProperties`` and a path parameter named ``account_id``.
``codegen_features/collisions.yaml`` adds tags and operations named like
attributes of the client. Each is regenerated once per module with
``./codegen.sh`` in a temporary copy; ``codegen_features/probe.py`` then
checks one feature per test, in a subprocess that imports the copy's
packages and serves the copy's spec from the in-process sandbox.

A feature the templates or the sandbox do not support yet is marked
``xfail(strict=True)`` with what fails: the mark must go once it passes.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml  # type: ignore[import-untyped,unused-ignore]
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parent.parent
FEATURES = Path(__file__).resolve().parent / "codegen_features"
SPEC = "specs/spiceworks-cloud-apps.yaml"
CONFIG = "specs/spiceworks-cloud-apps.config.yaml"
#: What a regeneration needs, and what the probes and mypy read.
COPIED = ("codegen.sh", "pyproject.toml", "README.md", "specs", "wrapper", "generated")


def extend(spec: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with the overlay's tags appended and its paths and schemas added.

    Raises:
        ValueError: The overlay redefines a tag, path or schema of the spec.
    """
    merged = copy.deepcopy(spec)
    sections = (
        (merged["paths"], overlay.get("paths", {})),
        (merged["components"]["schemas"], overlay.get("components", {}).get("schemas", {})),
    )
    for target, added in sections:
        clash = sorted(target.keys() & added.keys())
        if clash:
            raise ValueError(f"the overlay redefines {clash}")
        target.update(copy.deepcopy(added))
    names = {tag["name"] for tag in merged.get("tags", [])}
    for tag in overlay.get("tags", []):
        if tag["name"] in names:
            raise ValueError(f"the overlay redefines tag {tag['name']!r}")
        merged.setdefault("tags", []).append(dict(tag))
    return merged


def copy_repo(dest: Path) -> Path:
    """The parts of the repo that codegen, the probes and mypy need, copied to ``dest``."""
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__", ".codegen-tmp.*"))
        else:
            shutil.copy2(source, dest / name)
    return dest


def codegen(root: Path) -> subprocess.CompletedProcess[str]:
    """``./codegen.sh`` in ``root``, with the pinned generator of this checkout."""
    env = {**os.environ, "ITSM_CODEGEN_VENV": str(ROOT / ".codegen-venv")}
    command = ["bash", str(root / "codegen.sh")]
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False, timeout=300)  # noqa: S603


def copy_env(root: Path) -> dict[str, str]:
    """An environment in which Python imports the copy's packages and the sandbox reads the copy's specs."""
    env = {key: value for key, value in os.environ.items() if key != "ITSM_SANDBOX_SPECS"}
    path = os.pathsep.join([str(root / "generated"), str(root / "wrapper")])
    return env | {"PYTHONPATH": path, "MYPYPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}


@attrs.frozen
class Regenerated:
    """A copy of the repo regenerated from an extended spec, and how ``./codegen.sh`` went."""

    root: Path
    run: subprocess.CompletedProcess[str]

    def require(self) -> Path:
        """The copy's root, or a failure showing codegen's output."""
        if self.run.returncode != 0:
            pytest.fail(f"codegen failed ({self.run.returncode}):\n{self.run.stderr[-3000:]}", pytrace=False)
        return self.root


def regenerate(dest: Path, overlay: str) -> Regenerated:
    root = copy_repo(dest)
    spec = root / SPEC
    extended = extend(yaml.safe_load(spec.read_text(encoding="utf-8")), _overlay(overlay))
    spec.write_text(yaml.safe_dump(extended, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return Regenerated(root, codegen(root))


def _overlay(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((FEATURES / name).read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> Regenerated:
    return regenerate(tmp_path_factory.mktemp("features"), "features.yaml")


@pytest.fixture(scope="module")
def collisions(tmp_path_factory: pytest.TempPathFactory) -> Regenerated:
    return regenerate(tmp_path_factory.mktemp("collisions"), "collisions.yaml")


def probe(root: Path, feature: str) -> str:
    """Run one check of ``probe.py`` against the copy; its output, or a failure showing its traceback."""
    command = [sys.executable, "-W", "error", str(FEATURES / "probe.py"), feature]
    run = subprocess.run(  # noqa: S603
        command, cwd=root, env=copy_env(root), capture_output=True, text=True, check=False, timeout=300
    )
    if run.returncode != 0:
        pytest.fail(f"probe {feature} failed:\n{run.stderr[-4000:]}", pytrace=False)
    return run.stdout


def mypy_config(root: Path) -> Path:
    """The copy's mypy configuration as an INI file, without any ``ignore_errors`` override.

    The repo's ``pyproject.toml`` may ignore errors in the generated packages;
    the generated code is typed for its users, so here it is checked as strictly
    as the wrapper.
    """
    settings = dict(tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"])
    overrides = settings.pop("overrides", [])
    settings.pop("files", None)
    lines = ["[mypy]", *_ini(settings)]
    for override in overrides:
        modules = override.pop("module")
        override.pop("ignore_errors", None)
        if override:
            lines += ["", f"[mypy-{','.join([modules] if isinstance(modules, str) else modules)}]", *_ini(override)]
    path = root / "mypy-no-ignore.ini"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _ini(settings: dict[str, Any]) -> list[str]:
    def value(item: Any) -> str:
        if isinstance(item, list):
            return ",".join(value(part) for part in item)
        return str(item) if not isinstance(item, bool) else ("True" if item else "False")

    return [f"{key} = {value(item)}" for key, item in settings.items()]


def test_the_extended_spec_is_valid_openapi(features: Regenerated) -> None:
    validate(yaml.safe_load((features.root / SPEC).read_text(encoding="utf-8")))


def test_codegen_succeeds(features: Regenerated) -> None:
    features.require()
    assert (features.root / "generated" / "spiceworks_client" / "api" / "notes").is_dir()


def test_packages_import(features: Regenerated) -> None:
    probe(features.require(), "imports")


def test_generated_packages_and_wrapper_pass_mypy_strict(features: Regenerated) -> None:
    root = features.require()
    command = [sys.executable, "-m", "mypy", "--config-file", str(mypy_config(root)), "--strict"]
    command += ["--cache-dir", str(root / ".mypy_cache"), "-p", "spiceworks_client", "-p", "kloudless_itsm_client"]
    command += ["-p", "itsm_async"]
    run = subprocess.run(  # noqa: S603
        command, cwd=root, env=copy_env(root), capture_output=True, text=True, check=False, timeout=600
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


def test_two_request_content_types_the_caller_picks(features: Regenerated) -> None:
    """``create_note(body=NoteForm(...), content_type="application/x-www-form-urlencoded")`` sends a form."""
    probe(features.require(), "content_types")


def test_multipart_file_with_boundary_like_bytes_arrives_intact(features: Regenerated) -> None:
    """A file holding ``\\r\\n--+++\\r\\n``, or the boundary of the previous upload, injects no field.

    Read back from what was sent with a MIME parser (``httpx.MockTransport``).
    """
    probe(features.require(), "multipart_file")


def test_the_sandbox_stores_an_uploaded_file_intact(features: Regenerated) -> None:
    probe(features.require(), "multipart_sandbox")


def test_binary_response(features: Regenerated) -> None:
    """``download_attachment`` returns the bytes as sent, against ``httpx.MockTransport`` (the sandbox serves JSON)."""
    probe(features.require(), "binary_response")


def test_one_of_with_a_discriminator_parses_each_variant_to_its_class(features: Regenerated) -> None:
    """A ``printer`` body is a ``Printer``, never a ``Laptop`` whose kind is a pseudo-member."""
    probe(features.require(), "discriminator")


def test_any_of_without_a_discriminator_parses_each_variant_to_its_class(features: Regenerated) -> None:
    """``{"until": ...}`` is a ``WarrantyUntil``, not a ``WarrantyMonths`` lacking its required field."""
    probe(features.require(), "any_of")


def test_all_of(features: Regenerated) -> None:
    probe(features.require(), "all_of")


def test_nullable_list_and_items_page(features: Regenerated) -> None:
    """``type: [array, "null"]`` of ``type: [object, "null"]`` items still gets ``page_items()``."""
    probe(features.require(), "nullable_items")


def test_typed_and_free_form_additional_properties(features: Regenerated) -> None:
    probe(features.require(), "additional_properties")


def test_account_id_is_an_argument_in_spiceworks(features: Regenerated) -> None:
    """Only the Kloudless config binds ``account_id``: in Spiceworks it is an ordinary path parameter."""
    probe(features.require(), "account_id")


def test_header_cookie_and_path_level_parameters(features: Regenerated) -> None:
    """A rack's slots: ``rack_id`` declared on the path item, a required header and an optional cookie."""
    probe(features.require(), "header_cookie_path_level")


def test_untagged_operation_is_callable_and_pageable(features: Regenerated) -> None:
    probe(features.require(), "untagged")


def test_colliding_names_are_renamed_as_documented_or_refused(collisions: Regenerated) -> None:
    """Tags ``Retries`` and ``Paginate``, operations ``aclose`` and ``withOptions``.

    Either codegen fails naming the collision and the spec's config file (where
    the setting that renames it goes), or the groups get new names that the
    READMEs document, and the client's own ``retries``, ``paginate``, ``aclose``
    and ``with_options`` still work.
    """
    run = collisions.run
    if run.returncode != 0:
        assert "Retries" in run.stderr or "retries" in run.stderr, run.stderr
        assert Path(CONFIG).name in run.stderr, run.stderr
        return
    renamed = probe(collisions.root, "collisions").split()
    documented = "".join(
        (collisions.root / name).read_text(encoding="utf-8") for name in ("README.md", "specs/README.md")
    )
    for name in renamed:
        assert re.search(rf"\b{re.escape(name)}\b", documented), f"group {name} is named in neither README"
