"""An operation added to a copy of a spec and regenerated is an itsm command, with no edit to the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped,unused-ignore]

ROOT = Path(__file__).resolve().parent.parent
SPEC = "spiceworks-cloud-apps.yaml"

# Several command lines in one process (the sandbox and the specs load once), through typer's runner.
RUNNER = """\
import json, sys
import spiceworks_client
from typer.testing import CliRunner
from itsm_async.cli import make_app

app = make_app()
results = []
for args in json.loads(sys.argv[1]):
    result = CliRunner().invoke(app, args, env={"COLUMNS": "300"}, prog_name="itsm")
    results.append({"code": result.exit_code, "stdout": result.stdout, "stderr": result.stderr})
print(json.dumps({"package": spiceworks_client.__file__, "results": results}))
"""


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _locations(spec: dict[str, Any]) -> None:
    """A resource the CLI has never seen: list (an enum filter, paged), create, and an action."""
    kind = {"type": "string", "enum": ["office", "warehouse", "datacenter"]}
    location = {"$ref": "#/components/schemas/Location"}
    spec["tags"].append({"name": "Locations", "description": "Office locations, added to the spec by a test."})
    spec["paths"]["/api/v1/locations"] = {
        "get": {
            "operationId": "listLocations",
            "summary": "List office locations",
            "tags": ["Locations"],
            "parameters": [
                {"name": "kind", "in": "query", "description": "Only locations of this kind", "schema": kind},
                # Named like a shared option: it keeps its name behind a prefix.
                {"name": "format", "in": "query", "description": "Address style", "schema": {"type": "string"}},
                {"name": "page", "in": "query", "description": "Page number", "schema": {"type": "integer"}},
                {"name": "per_page", "in": "query", "description": "Per page", "schema": {"type": "integer"}},
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["locations", "meta"],
                        "properties": {
                            "locations": {"type": "array", "items": location},
                            "meta": {"$ref": "#/components/schemas/PaginationMeta"},
                        },
                    },
                    "A page of locations.",
                )
            },
        },
        "post": {
            "operationId": "createLocation",
            "summary": "Add an office location",
            "tags": ["Locations"],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LocationCreate"}}},
            },
            "responses": {
                "201": _json(
                    {"type": "object", "required": ["location"], "properties": {"location": location}}, "Created."
                )
            },
        },
    }
    spec["paths"]["/api/v1/locations/{id}/archive"] = {
        "post": {
            "operationId": "archiveLocation",
            "summary": "Archive a location",
            "tags": ["Locations"],
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "description": "The location",
                    "schema": {"type": "integer"},
                }
            ],
            "responses": {"200": _json(location, "Archived.")},
        }
    }
    fields = {"name": {"type": "string"}, "kind": kind}
    spec["components"]["schemas"]["Location"] = {
        "type": "object",
        "required": ["id", "name", "kind"],
        "properties": {"id": {"type": "integer"}, **fields},
    }
    spec["components"]["schemas"]["LocationCreate"] = {
        "type": "object",
        "required": ["name", "kind"],
        "properties": fields,
    }


def _regenerated(tmp_path: Path) -> Path:
    """A copy of the codegen inputs and outputs, the Spiceworks spec extended, regenerated."""
    shutil.copy(ROOT / "codegen.sh", tmp_path / "codegen.sh")
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    shutil.copytree(ROOT / "generated", tmp_path / "generated", ignore=shutil.ignore_patterns("__pycache__"))
    spec_file = tmp_path / "specs" / SPEC
    spec = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    _locations(spec)
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    env = {**os.environ, "ITSM_CODEGEN_VENV": str(ROOT / ".codegen-venv")}
    generated = subprocess.run(  # noqa: S603
        ["bash", str(tmp_path / "codegen.sh")],  # noqa: S607 - bash from PATH, as a developer runs it
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert generated.returncode == 0, generated.stderr
    return tmp_path


def test_an_added_operation_is_listed_and_callable(tmp_path: Path) -> None:
    copy = _regenerated(tmp_path)
    db = ["--sandbox", "--sandbox-db", str(tmp_path / "sandbox.db")]
    runs = [
        ["spiceworks", "--help"],
        ["spiceworks", "locations", "--help"],
        ["spiceworks", "locations", "list", "--help"],
        ["spiceworks", "locations", "create", *db, "-f", "json", "--json", '{"name": "HQ", "kind": "office"}'],
        ["spiceworks", "locations", "create", *db, "-f", "json", "--json", '{"name": "Depot", "kind": "warehouse"}'],
        ["spiceworks", "locations", "list", *db, "--kind", "office", "--all"],
        ["spiceworks", "locations", "list", *db, "--kind", "moon"],
        ["spiceworks", "locations", "archive-location", "1", *db],
        ["spiceworks", "locations", "create", "--json", '{"name": "No kind"}', "--dry-run"],
    ]
    # The copy's generated packages, beside the wrapper as it is: the CLI itself is not copied.
    path = os.pathsep.join([str(copy / "generated"), str(ROOT / "wrapper")])
    run = subprocess.run(  # noqa: S603
        [sys.executable, "-c", RUNNER, json.dumps(runs)],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=copy,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert Path(report["package"]).is_relative_to(copy)
    top, group, listing, created, _, listed, bad_kind, archived, refused = report["results"]

    assert top["code"] == 0
    assert "locations" in top["stdout"]
    assert "Office locations, added to the spec by a test." in top["stdout"]
    for command in ("list", "create", "archive-location"):
        assert f" {command} " in group["stdout"]
    assert "--kind" in listing["stdout"]
    assert "<office|warehouse|datacenter>" in listing["stdout"]
    assert "Only locations of this kind" in listing["stdout"]
    assert "--all" in listing["stdout"]  # a list operation the client pages
    assert "--param-format" in listing["stdout"]
    assert "Address style" in listing["stdout"]

    assert created["code"] == 0, created["stderr"]
    hq = json.loads(created["stdout"])
    assert (hq["name"], hq["kind"]) == ("HQ", "office")
    assert listed["code"] == 0, listed["stderr"]
    assert [json.loads(line) for line in listed["stdout"].splitlines()] == [hq]
    assert bad_kind["code"] == 2
    # An action the sandbox does not serve: called, and answered 501 by the server.
    assert archived["code"] == 3
    assert archived["stderr"].startswith("itsm: locations.archive_location: ServerError: POST ")
    assert "returned 501" in archived["stderr"]
    # Validated before sending, from the regenerated model.
    assert refused["code"] == 2
    assert "kind" in refused["stderr"]
