"""The documented Kloudless examples fit the spec and survive the generated models.

Each file listed in ``tests/data/kloudless_examples/MANIFEST.json`` is its own
test id: it must validate against its operation's schema (the request body
schema for ``request``/``curl-request`` kinds, the schema of its status for
``response`` kinds) and round-trip through the generated model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator.readers import read_from_filename
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import kloudless_itsm_client.models

EXAMPLES = Path(__file__).parent / "data" / "kloudless_examples"
SPEC_PATH = Path(__file__).parents[1] / "specs" / "kloudless-itsm.yaml"
SPEC, SPEC_URI = read_from_filename(str(SPEC_PATH))
# The whole spec is one resource, so a schema's "#/components/..." refs resolve
# inside it wherever the validator starts.
REGISTRY: Registry[Any] = Registry().with_resource(
    SPEC_URI, Resource.from_contents(SPEC, default_specification=DRAFT202012)
)
MANIFEST: list[dict[str, Any]] = json.loads((EXAMPLES / "MANIFEST.json").read_text(encoding="utf-8"))
REQUEST_KINDS = {"request", "curl-request"}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

# The documented List Objects response is a single GenericObject (type
# "object"), not the object_list envelope the spec declares for listObjects;
# it is checked against GenericObject, and test_list_objects_example_is_not_a_list_envelope
# pins the discrepancy.
SCHEMA_OVERRIDES = {("listObjects", "response"): "GenericObject"}


def _operations() -> dict[str, tuple[str, str, Mapping[str, Any]]]:
    """operationId -> (method, path template, operation)."""
    found: dict[str, tuple[str, str, Mapping[str, Any]]] = {}
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                found[operation["operationId"]] = (method, path, operation)
    return found


OPERATIONS = _operations()


def _pointer_token(token: str) -> str:
    # RFC 6901 section 3: "~" is written "~0" and "/" is written "~1".
    return token.replace("~", "~0").replace("/", "~1")


def _schema_pointer(entry: Mapping[str, Any]) -> str:
    """A JSON pointer into the spec to the schema an example must fit."""
    kind = "request" if entry["kind"] in REQUEST_KINDS else "response"
    override = SCHEMA_OVERRIDES.get((entry["operation_id"], kind))
    if override is not None:
        return f"#/components/schemas/{override}"
    method, path, _ = OPERATIONS[entry["operation_id"]]
    where = "requestBody" if kind == "request" else f"responses/{entry['status']}"
    return f"#/paths/{_pointer_token(path)}/{method}/{where}/content/application~1json/schema"


def _resolve(pointer: str) -> Any:
    return REGISTRY.resolver().lookup(f"{SPEC_URI}{pointer}").contents


def _deref(node: Mapping[str, Any]) -> Any:
    """``node``, or what its local ``$ref`` points at."""
    return _resolve(node["$ref"]) if "$ref" in node else node


def _validator(pointer: str) -> Any:
    return OAS31Validator(
        {"$ref": f"{SPEC_URI}{pointer}"}, registry=REGISTRY, format_checker=OAS31Validator.FORMAT_CHECKER
    )


def _model_for(entry: Mapping[str, Any]) -> Any:
    """The generated model of the example's schema, named after the component it refers to."""
    schema = _resolve(_schema_pointer(entry))
    name = schema["$ref"].rpartition("/")[2] if "$ref" in schema else _schema_pointer(entry).rpartition("/")[2]
    return getattr(kloudless_itsm_client.models, name)


def _load(entry: Mapping[str, Any]) -> Any:
    return json.loads((EXAMPLES / entry["file"]).read_text(encoding="utf-8"))


_RFC3339_UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def _as_emitted(value: Any) -> Any:
    """``value`` with every ``...Z`` date-time written ``...+00:00``.

    ``to_dict()`` writes datetimes with ``datetime.isoformat()``, which spells
    UTC ``+00:00``; RFC 3339 (section 5.6) makes ``Z`` and ``+00:00`` the same
    instant. So the examples are compared as strings after this one rewrite,
    which keeps any other difference (a lost offset, a dropped field) visible.
    """
    if isinstance(value, dict):
        return {key: _as_emitted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_emitted(item) for item in value]
    if isinstance(value, str) and _RFC3339_UTC_Z.match(value):
        return value[:-1] + "+00:00"
    return value


by_example = pytest.mark.parametrize("entry", MANIFEST, ids=[Path(e["file"]).stem for e in MANIFEST])
curl_examples = [e for e in MANIFEST if e["kind"] == "curl-request"]


def test_manifest_lists_every_example_once() -> None:
    files = [entry["file"] for entry in MANIFEST]
    on_disk = {path.name for path in EXAMPLES.glob("*.json")} - {"MANIFEST.json"}
    assert len(files) == len(set(files))
    assert set(files) == on_disk
    for entry in MANIFEST:
        assert entry["operation_id"] in OPERATIONS, entry["file"]
        assert entry["kind"] in {*REQUEST_KINDS, "response"}, entry["file"]
        assert entry["file"].startswith(f"{entry['operation_id']}.{entry['kind']}"), entry["file"]
        if entry["kind"] == "response":
            assert str(entry["status"]) in OPERATIONS[entry["operation_id"]][2]["responses"], entry["file"]


@by_example
def test_example_is_valid_against_its_schema(entry: dict[str, Any]) -> None:
    errors = [
        f"{list(error.absolute_path)}: {error.message}"
        for error in _validator(_schema_pointer(entry)).iter_errors(_load(entry))
    ]
    assert errors == []


@by_example
def test_example_round_trips_through_its_model(entry: dict[str, Any]) -> None:
    data = _load(entry)
    model = _model_for(entry)

    parsed = model.from_dict(data)

    assert isinstance(parsed, model)
    assert parsed.to_dict() == _as_emitted(data)
    assert model.from_dict(parsed.to_dict()) == parsed


@pytest.mark.parametrize("entry", curl_examples, ids=[Path(e["file"]).stem for e in curl_examples])
def test_curl_example_matches_its_operation(entry: dict[str, Any]) -> None:
    method, template, operation = OPERATIONS[entry["operation_id"]]
    path, _, query = entry["curl_path"].partition("?")
    pattern = "^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)) + "$"
    parameters = [_deref(p) for p in [*SPEC["paths"][template].get("parameters", []), *operation.get("parameters", [])]]
    query_names = {p["name"] for p in parameters if p["in"] == "query"}

    assert entry["curl_method"] == method.upper()
    assert re.match(pattern, path), (path, template)
    assert {pair.partition("=")[0] for pair in query.split("&") if pair} <= query_names


def test_validator_rejects_a_broken_example() -> None:
    # Guards the checks above: a validator that failed to resolve the spec's
    # refs would accept anything.
    entry = next(e for e in MANIFEST if e["file"] == "getIncident.response-200.json")
    validator = _validator(_schema_pointer(entry))
    good = _load(entry)

    assert list(validator.iter_errors(good)) == []
    assert list(validator.iter_errors({**good, "impact": "severe"}))
    assert list(validator.iter_errors({**good, "status": "1"}))
    assert list(validator.iter_errors({**good, "assignee": "uNTEz"}))  # a written user id, not a read UserRef
    assert list(validator.iter_errors({**good, "created": "yesterday"}))


def test_list_objects_example_is_not_a_list_envelope() -> None:
    entry = next(e for e in MANIFEST if e["file"] == "listObjects.response-200.json")
    method, path, _ = OPERATIONS["listObjects"]
    declared = f"#/paths/{_pointer_token(path)}/{method}/responses/200/content/application~1json/schema"

    assert _resolve(declared) == {"$ref": "#/components/schemas/GenericObjectList"}
    assert list(_validator(declared).iter_errors(_load(entry)))
    assert list(_validator("#/components/schemas/GenericObject").iter_errors(_load(entry))) == []
