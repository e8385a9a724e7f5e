"""Runs openapi-python-client for ./codegen.sh, failing on anything it would only warn about.

    python specs/codegen.py SPEC CONFIG TEMPLATES OUTPUT

The stock command line prints a dropped endpoint or an unsupported feature as
a warning and exits 0, so an operation can go missing from a client with
nothing failing. Here every generator warning fails the run, shown with its
detail, unless the spec's config accepts it:

    accepted_warnings:
      - match: "text the warning contains"
        reason: "why the client is right without it"

(openapi-python-client ignores keys it does not know, so the config file
stays one file.) An accepted warning is still printed, with its reason; an
accepted entry no warning matches fails the run too, so stale entries do not
pile up. Runs in the codegen venv, with only the generator's dependencies.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Any

from openapi_python_client import generate
from openapi_python_client.config import Config, ConfigFile, MetaType
from openapi_python_client.parser.errors import ErrorLevel, GeneratorError
from ruamel.yaml import YAML


def _describe(error: GeneratorError) -> str:
    header = error.header.strip()
    lines = [header if header.upper().startswith(error.level.value) else f"{error.level.value}: {header}"]
    if error.detail:
        lines.append(f"  {error.detail}")
    data = getattr(error, "data", None)
    if data is not None:
        lines.append(f"  at: {data.model_dump_json(exclude_unset=True, by_alias=True)[:400]}")
    return "\n".join(lines)


def _accepted(raw: dict[str, Any], config_path: Path) -> list[tuple[str, str]]:
    entries = raw.pop("accepted_warnings", None) or []
    accepted = []
    for entry in entries:
        if not (isinstance(entry, dict) and isinstance(entry.get("match"), str) and entry.get("reason")):
            sys.exit(f"codegen: {config_path}: each accepted_warnings entry needs a 'match' and a 'reason': {entry!r}")
        accepted.append((entry["match"], str(entry["reason"])))
    return accepted


def main(spec: str, config_path: str, templates: str, output: str) -> int:
    path = Path(config_path)
    raw = YAML(typ="safe").load(path) or {}
    accepted = _accepted(raw, path)
    config = Config.from_sources(
        ConfigFile(**raw),
        MetaType.NONE,
        Path(spec),
        "utf-8",
        overwrite=False,
        output_path=Path(output),
    )
    try:
        errors = generate(config=config, custom_template_path=Path(templates))
    except Exception:  # a template that does not render, a generator bug
        print(f"codegen: {spec}: the generator failed:", file=sys.stderr)
        traceback.print_exc()
        return 1
    failed = False
    used: set[str] = set()
    for error in errors:
        text = _describe(error)
        match = next(
            (
                (pattern, reason)
                for pattern, reason in accepted
                if error.level is ErrorLevel.WARNING and pattern in f"{error.header} {error.detail or ''}"
            ),
            None,
        )
        if match is None:
            failed = True
            print(f"codegen: {spec}: {text}", file=sys.stderr)
        else:
            used.add(match[0])
            print(f"codegen: {spec}: accepted ({match[1]}): {text}", file=sys.stderr)
    for pattern, _ in accepted:
        if pattern not in used:
            failed = True
            print(f"codegen: {config_path}: accepted warning {pattern!r} matches no warning; remove it", file=sys.stderr)
    if failed:
        print(
            f"codegen: {spec}: failing on the generator's warnings above; fix the spec, or list a warning under "
            f"accepted_warnings in {config_path} with the reason it is harmless",
            file=sys.stderr,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
