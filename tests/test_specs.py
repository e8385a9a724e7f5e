"""Contract tests of the two OpenAPI documents and of the client methods bound from them.

The binding checks derive every expected name from the specs (snake_case of the
operationId, grouped by the snake_case of the first tag), so an operation added
to a spec is checked without touching this file.
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import inspect
import keyword
import re
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

import kloudless_itsm_client.api
import spiceworks_client.api
from itsm_async import KloudlessClient, SpiceworksClient

SPECS_DIR = Path(__file__).parents[1] / "specs"
SPECS: dict[str, Mapping[str, Any]] = {
    "spiceworks": read_from_filename(str(SPECS_DIR / "spiceworks-cloud-apps.yaml"))[0],
    "kloudless": read_from_filename(str(SPECS_DIR / "kloudless-itsm.yaml"))[0],
}
GENERATED_API: dict[str, type[Any]] = {
    "spiceworks": spiceworks_client.api.Api,
    "kloudless": kloudless_itsm_client.api.Api,
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# Path parameters the client binds once instead of taking them per call.
BOUND_PARAMETERS = {"spiceworks": set[str](), "kloudless": {"account_id"}}

# Kloudless: tag -> (singular, plural) of its resource.
KLOUDLESS_RESOURCES = {
    "Incidents": ("incident", "incidents"),
    "Problems": ("problem", "problems"),
    "Changes": ("change", "changes"),
    "Articles": ("article", "articles"),
    "Assets": ("asset", "assets"),
    "Objects": ("object", "objects"),
}
KLOUDLESS_VERBS = ["list", "create", "get", "update", "delete"]
ERROR_STATUSES = {"401", "403", "404", "429", "5XX"}


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).replace("-", "_").lower()


# The generator appends "_" to names that would shadow a keyword or builtin
# ("type" -> "type_"), except "id".
_RESERVED = (set(dir(builtins)) | set(keyword.kwlist) | {"self", "true", "false", "datetime"}) - {"id"}


def _python_name(name: str) -> str:
    snake = _snake(name)
    return f"{snake}_" if snake in _RESERVED else snake


def _deref(spec: Mapping[str, Any], node: Mapping[str, Any]) -> Any:
    """``node``, or the local ``#/...`` target of its ``$ref``."""
    if "$ref" not in node:
        return node
    target: Any = spec
    for token in node["$ref"].removeprefix("#/").split("/"):
        target = target[token.replace("~1", "/").replace("~0", "~")]
    return target


def _operations(spec_name: str) -> list[tuple[str, str, Mapping[str, Any], Mapping[str, Any]]]:
    """(method, path, path item, operation) of every operation of a spec."""
    return [
        (method, path, item, operation)
        for path, item in SPECS[spec_name]["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def _kloudless_operation(operation_id: str) -> tuple[str, str, Mapping[str, Any]]:
    [found] = [(m, p, op) for m, p, _, op in _operations("kloudless") if op["operationId"] == operation_id]
    return found


def _expected_kloudless_ids() -> list[str]:
    ids = []
    for singular, plural in KLOUDLESS_RESOURCES.values():
        for verb in KLOUDLESS_VERBS:
            ids.append(f"{verb}{(plural if verb == 'list' else singular).capitalize()}")
    return ids


ALL_OPERATIONS = [
    pytest.param(spec_name, operation["operationId"], id=f"{spec_name}-{operation['operationId']}")
    for spec_name in SPECS
    for _, _, _, operation in _operations(spec_name)
]


@pytest.mark.parametrize("spec_name", list(SPECS))
def test_spec_is_valid_openapi(spec_name: str) -> None:
    assert SPECS[spec_name]["openapi"].startswith("3.1")
    validate(SPECS[spec_name])


def test_spec_validator_is_not_a_no_op() -> None:
    # A copy of the Kloudless spec with one operation id used twice must fail.
    spec = copy.deepcopy(dict(SPECS["kloudless"]))
    spec["paths"]["/accounts/{account_id}/itsm/problems"]["get"]["operationId"] = "listIncidents"
    with pytest.raises(OpenAPIValidationError, match="listIncidents"):
        validate(spec)


def test_operation_ids_are_unique() -> None:
    for spec_name in SPECS:
        ids = [operation["operationId"] for _, _, _, operation in _operations(spec_name)]
        assert len(ids) == len(set(ids)), spec_name
        assert ids, spec_name


# --- Kloudless: the shape of the API ------------------------------------------------


def test_kloudless_has_the_five_operations_of_each_reference_resource() -> None:
    # The reference documents these; a spec update may add more, never drop one.
    ids = {operation["operationId"] for _, _, _, operation in _operations("kloudless")}
    assert set(_expected_kloudless_ids()) <= ids


def test_kloudless_tags_include_the_reference_resources() -> None:
    tags = [tag["name"] for tag in SPECS["kloudless"]["tags"]]
    assert [tag for tag in tags if tag in KLOUDLESS_RESOURCES] == list(KLOUDLESS_RESOURCES)


@pytest.mark.parametrize(
    ("tag", "verb"), [(tag, verb) for tag in KLOUDLESS_RESOURCES for verb in KLOUDLESS_VERBS], ids=str
)
def test_kloudless_operation_shape(tag: str, verb: str) -> None:
    spec = SPECS["kloudless"]
    singular, plural = KLOUDLESS_RESOURCES[tag]
    operation_id = f"{verb}{(plural if verb == 'list' else singular).capitalize()}"
    method, path, operation = _kloudless_operation(operation_id)
    collection = f"/accounts/{{account_id}}/itsm/{plural}"
    expected_method, expected_path, success = {
        "list": ("get", collection, "200"),
        "create": ("post", collection, "201"),
        "get": ("get", f"{collection}/{{{singular}_id}}", "200"),
        "update": ("patch", f"{collection}/{{{singular}_id}}", "200"),
        "delete": ("delete", f"{collection}/{{{singular}_id}}", "204"),
    }[verb]
    responses = operation["responses"]

    assert operation["tags"] == [tag]
    assert (method, path) == (expected_method, expected_path)
    assert [status for status in responses if status.startswith("2")] == [success]
    assert set(responses) >= ERROR_STATUSES
    if verb == "delete":
        assert "content" not in _deref(spec, responses["204"])
    else:
        assert "application/json" in _deref(spec, responses[success])["content"]
    assert ("requestBody" in operation) == (verb in {"create", "update"})
    retry_after = _deref(spec, responses["429"]).get("headers", {}).get("Retry-After")
    assert retry_after is not None
    assert _deref(spec, retry_after)["schema"]["type"] == "string"


# --- both specs: every operation is bound on its client -----------------------------


@contextlib.asynccontextmanager
async def _client(spec_name: str) -> AsyncIterator[Any]:
    """A client of ``spec_name`` that cannot reach any network: every request fails the test."""

    def no_requests(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected request {request.method} {request.url}")

    transport = httpx.MockTransport(no_requests)
    client: SpiceworksClient | KloudlessClient
    if spec_name == "spiceworks":
        client = SpiceworksClient(token="t", transport=transport)
    else:
        client = KloudlessClient(account_id="1", api_key="k", transport=transport)
    async with client:
        yield client


@pytest.mark.parametrize(("spec_name", "operation_id"), ALL_OPERATIONS)
async def test_operation_is_bound_with_a_raw_twin(spec_name: str, operation_id: str) -> None:
    spec = SPECS[spec_name]
    [(item, operation)] = [(i, op) for _, _, i, op in _operations(spec_name) if op["operationId"] == operation_id]
    name = _snake(operation_id)
    parameters = {
        p["name"]: p
        for p in (_deref(spec, raw) for raw in [*item.get("parameters", []), *operation.get("parameters", [])])
        if p["name"] not in BOUND_PARAMETERS[spec_name]
    }
    expected = {_python_name(n): bool(p.get("required")) for n, p in parameters.items()}
    if "requestBody" in operation:
        expected["body"] = bool(operation["requestBody"].get("required"))

    async with _client(spec_name) as client:
        group = getattr(client, _snake(operation["tags"][0]))
        methods = {n: getattr(group, n) for n in (name, f"{name}_raw")}

    for method_name, bound in methods.items():
        assert inspect.iscoroutinefunction(bound), method_name
        signature = inspect.signature(bound)
        actual = {n: p.default is inspect.Parameter.empty for n, p in signature.parameters.items()}
        assert actual == expected, method_name


@pytest.mark.parametrize("spec_name", list(SPECS))
async def test_no_binding_without_an_operation(spec_name: str) -> None:
    expected: dict[str, set[str]] = {}
    for _, _, _, operation in _operations(spec_name):
        name = _snake(operation["operationId"])
        expected.setdefault(_snake(operation["tags"][0]), set()).update({name, f"{name}_raw"})

    assert set(GENERATED_API[spec_name].__annotations__) == set(expected)
    async with _client(spec_name) as client:
        for group_name, names in expected.items():
            group = getattr(client, group_name)
            bound = {n for n, member in inspect.getmembers(group) if not n.startswith("_") and callable(member)}
            assert bound == names, group_name
