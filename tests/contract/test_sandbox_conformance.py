"""Sandbox conformance: schemathesis checks that the sandbox answers as the specs say.

The sandbox is served on loopback (``python -m itsm_async.sandbox``, no faults)
and schemathesis generates requests for every operation of each spec,
valid and invalid, checking each response's status code, content type,
headers and body schema against the spec, and that no answer is a 5xx.
Path ids point at seeded records so that reads, updates and deletes reach
real data, not only 404s. The number of examples is bounded so the run
stays within a few minutes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator.readers import read_from_filename

from itsm_async.sandbox import serve

from .conftest import SPECS, ContractStats

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)
MAX_EXAMPLES = 10
SEED = 1
TOKEN = "conformance-token"


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    """The root URL of a sandbox served on a free loopback port, stopped after the module."""
    with serve("--seed", "7") as url:
        yield url


def _first(url: str, path: str, key: str, **params: str) -> Any:
    response = httpx.get(f"{url}{path}", params=params, headers={"Authorization": f"Bearer {TOKEN}"})
    response.raise_for_status()
    return response.json()[key][0]["id"]


def _config(tmp_path: Path, parameters: dict[str, Any]) -> Path:
    lines = [f'headers = {{ Authorization = "Bearer {TOKEN}" }}', "", "[parameters]"]
    lines += [f'"{name}" = {json.dumps(value)}' for name, value in parameters.items()]
    config = tmp_path / "schemathesis.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _operation_count(spec: str) -> int:
    """How many operations the spec has: every one must be tested, however many there are."""
    document: Any = read_from_filename(str(SPECS / spec))[0]
    return sum(method in item for item in document["paths"].values() for method in _METHODS)


def _run(spec: str, base_url: str, config: Path, report: Path) -> dict[str, Any]:
    schemathesis = Path(sys.executable).with_name("schemathesis")
    if not schemathesis.exists():
        pytest.fail("schemathesis is not installed: install the project's `contract` extra", pytrace=False)
    command = [
        str(schemathesis),
        "--config-file",
        str(config),
        "run",
        str(SPECS / spec),
        "--url",
        base_url,
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--phases",
        "examples,coverage,fuzzing",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    # Run from the report's folder: schemathesis leaves a .schemathesis/ cache in its working directory.
    result = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, timeout=600, check=False, cwd=report.parent
    )
    assert report.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    summary: dict[str, Any] = json.loads(report.read_text())
    assert result.returncode == 0, result.stdout[-6000:]
    return summary


def test_spiceworks_sandbox_conforms(sandbox_url: str, tmp_path: Path, contract_stats: ContractStats) -> None:
    parameters = {"path.id": 1, "path.ticket_id": 1}
    summary = _run("spiceworks-cloud-apps.yaml", sandbox_url, _config(tmp_path, parameters), tmp_path / "sw.json")
    assert summary["operations"]["tested"] == _operation_count("spiceworks-cloud-apps.yaml")
    assert summary["failures"] == []
    contract_stats.schemathesis_cases["spiceworks"] = summary["test_cases"]["generated"]


def test_kloudless_sandbox_conforms(sandbox_url: str, tmp_path: Path, contract_stats: ContractStats) -> None:
    parameters: dict[str, Any] = {"path.account_id": "123", "query.raw_type": "cmdb_ci_server"}
    for resource in ("incidents", "problems", "changes", "articles", "assets"):
        parameters[f"path.{resource[:-1]}_id"] = _first(sandbox_url, f"/v1/accounts/123/itsm/{resource}", "objects")
    parameters["path.object_id"] = _first(
        sandbox_url, "/v1/accounts/123/itsm/objects", "objects", raw_type="cmdb_ci_server"
    )
    summary = _run("kloudless-itsm.yaml", f"{sandbox_url}/v1", _config(tmp_path, parameters), tmp_path / "kl.json")
    assert summary["operations"]["tested"] == _operation_count("kloudless-itsm.yaml")
    assert summary["failures"] == []
    contract_stats.schemathesis_cases["kloudless"] = summary["test_cases"]["generated"]
