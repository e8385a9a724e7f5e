"""Operations a spec gains are served from the spec: generic CRUD and paging, or a 501.

Each test extends a copy of a spec with a resource the sandbox has no
hand-written handler for (``locations``), loads it with
``Sandbox(spiceworks_spec=...)`` / ``Sandbox(kloudless_spec=...)`` and talks
raw HTTP, every answer checked against the extended spec.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml  # type: ignore[import-untyped,unused-ignore]

from itsm_async.sandbox import IN_PROCESS_URL, Sandbox
from itsm_async.sandbox._errors import ApiName
from itsm_async.sandbox._specs import SPEC_FILES, ApiSpec, find_spec_file, load_spec
from itsm_async.sandbox._validation import SpecRequest, SpecResponse, response_errors

SPICEWORKS_AUTH = {"Authorization": "Bearer any-token"}
KLOUDLESS_AUTH = {"Authorization": "APIKey any-key"}
LOCATIONS = "/api/v1/locations"
K_LOCATIONS = "/v1/accounts/123/itsm/locations"


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


_SW_ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "422": {"$ref": "#/components/responses/UnprocessableEntity"},
    "5XX": {"$ref": "#/components/responses/ServerError"},
}
_SW_NOT_FOUND = {"404": {"description": "Not found", "content": _json({"$ref": "#/components/schemas/Error"})}}
_K_ERRORS = {
    code: {"$ref": f"#/components/responses/{name}"}
    for code, name in (
        ("400", "BadRequest"),
        ("401", "Unauthorized"),
        ("404", "NotFound"),
        ("422", "UnprocessableEntity"),
        ("5XX", "ServerError"),
    )
}


def _body(schema: str, media: str = "application/json") -> dict[str, Any]:
    return {"required": True, "content": {media: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _ok(status: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": "Done"}
    if schema is not None:
        answer["content"] = _json(schema)
    return {status: answer}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _page_param(name: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": {"type": "integer", **schema}}


def _add_tag(spec: dict[str, Any], description: str) -> None:
    # Idempotent, so that the tests still run on a spec that has gained these operations.
    if all(tag["name"] != "Locations" for tag in spec.setdefault("tags", [])):
        spec["tags"].append({"name": "Locations", "description": description})


def _spiceworks_extended() -> dict[str, Any]:
    """The Spiceworks spec with locations (CRUD, paged, filtered), rooms per location, and odd operations."""
    spec: dict[str, Any] = copy.deepcopy(yaml.safe_load(find_spec_file(SPEC_FILES["spiceworks"]).read_text()))
    _add_tag(spec, "Offices and their rooms.")
    schemas = spec["components"]["schemas"]
    schemas["Location"] = {
        "type": "object",
        "required": ["id", "name", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "site": {"type": "string", "enum": ["hq", "branch"]},
            "floors": {"type": "integer", "minimum": 1},
            "address": {
                "type": "object",
                "required": ["city"],
                "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
            },
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    }
    writable = {key: value for key, value in schemas["Location"]["properties"].items() if key not in ("id",)}
    writable = {key: value for key, value in writable.items() if not key.endswith("_at")}
    schemas["LocationWrite"] = {"type": "object", "required": ["name"], "properties": writable}
    schemas["LocationPatch"] = {
        "type": "object",
        "properties": {**writable, "address": {"type": ["object", "null"]}, "floors": {"type": ["integer", "null"]}},
    }
    schemas["Room"] = {
        "type": "object",
        "required": ["id", "label"],
        "properties": {"id": {"type": "integer"}, "label": {"type": "string"}},
    }
    wrapped = {"type": "object", "properties": {"location": _ref("Location")}}
    tag = {"tags": ["Locations"]}
    id_param = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    spec["paths"][LOCATIONS] = {
        "get": tag
        | {
            "operationId": "listLocations",
            "parameters": [
                {"name": "site", "in": "query", "schema": {"type": "string", "enum": ["hq", "branch"]}},
                _page_param("page", default=1),
                _page_param("per_page", default=25, maximum=100),
            ],
            "responses": _ok(
                "200",
                {
                    "type": "object",
                    "properties": {
                        "locations": {"type": "array", "items": _ref("Location")},
                        "meta": _ref("PaginationMeta"),
                    },
                },
            )
            | _SW_ERRORS,
        },
        "post": tag
        | {
            "operationId": "createLocation",
            "requestBody": _body("LocationWrite"),
            "responses": _ok("201", wrapped) | _SW_ERRORS,
        },
    }
    spec["paths"][f"{LOCATIONS}/{{id}}"] = {
        "parameters": id_param,
        "get": tag | {"operationId": "getLocation", "responses": _ok("200", wrapped) | _SW_NOT_FOUND | _SW_ERRORS},
        "put": tag
        | {
            "operationId": "replaceLocation",
            "requestBody": _body("LocationWrite"),
            "responses": _ok("200", wrapped) | _SW_NOT_FOUND | _SW_ERRORS,
        },
        "patch": tag
        | {
            "operationId": "updateLocation",
            "requestBody": _body("LocationPatch", "application/merge-patch+json"),
            "responses": _ok("200", wrapped) | _SW_NOT_FOUND | _SW_ERRORS,
        },
        "delete": tag | {"operationId": "deleteLocation", "responses": _ok("204") | _SW_NOT_FOUND | _SW_ERRORS},
    }
    rooms = {"type": "object", "properties": {"rooms": {"type": "array", "items": _ref("Room")}}}
    location_param = [{"name": "location_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    spec["paths"][f"{LOCATIONS}/{{location_id}}/rooms"] = {
        "parameters": location_param,
        "get": tag | {"operationId": "listLocationRooms", "responses": _ok("200", rooms) | _SW_ERRORS},
        "post": tag
        | {
            "operationId": "createLocationRoom",
            "requestBody": {
                "required": True,
                "content": _json({"type": "object", "properties": {"label": {"type": "string"}}}),
            },
            "responses": _ok("201", {"type": "object", "properties": {"room": _ref("Room")}}) | _SW_ERRORS,
        },
    }
    # Odd shapes: an action, and a new operation on a hand-written collection.
    spec["paths"]["/api/v1/tickets/{id}/merge"] = {
        "post": {
            "operationId": "mergeTicket",
            "tags": ["Tickets"],
            "parameters": id_param,
            "responses": _ok("200", {"type": "object", "properties": {"ticket": _ref("Ticket")}}) | _SW_ERRORS,
        }
    }
    spec["paths"]["/api/v1/tickets/{id}"]["delete"] = {
        "operationId": "deleteTicket",
        "tags": ["Tickets"],
        "parameters": id_param,
        "responses": _ok("204") | _SW_ERRORS,
    }
    return spec


def _kloudless_extended() -> dict[str, Any]:
    """The Kloudless spec with locations (CRUD with page tokens) and an action on incidents."""
    spec: dict[str, Any] = copy.deepcopy(yaml.safe_load(find_spec_file(SPEC_FILES["kloudless"]).read_text()))
    _add_tag(spec, "Where things are.")
    schemas = spec["components"]["schemas"]
    schemas["Location"] = {
        "type": "object",
        "required": ["id", "name", "type", "api", "created", "modified", "href"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "city": {"type": ["string", "null"]},
            "manager": _ref("NullableUserRef"),
            "created": {"type": "string", "format": "date-time"},
            "modified": {"type": "string", "format": "date-time"},
            "type": {"type": "string", "enum": ["location"]},
            "api": {"type": "string", "enum": ["itsm"]},
            "raw": _ref("Raw"),
            "href": {"type": "string", "format": "uri"},
        },
    }
    schemas["LocationCreate"] = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "city": {"type": "string"}, "manager": {"type": "string"}},
    }
    schemas["LocationUpdate"] = {"type": "object", "properties": schemas["LocationCreate"]["properties"]}
    schemas["LocationList"] = {
        "allOf": [
            _ref("ObjectListBase"),
            {"type": "object", "properties": {"objects": {"type": "array", "items": _ref("Location")}}},
        ]
    }
    account = {"$ref": "#/components/parameters/AccountId"}
    tag = {"tags": ["Locations"]}
    item_param = {"name": "location_id", "in": "path", "required": True, "schema": {"type": "string"}}
    spec["paths"]["/accounts/{account_id}/itsm/locations"] = {
        "parameters": [account],
        "get": tag
        | {
            "operationId": "listLocations",
            "parameters": [{"$ref": "#/components/parameters/PageSize"}, {"$ref": "#/components/parameters/Page"}],
            "responses": _ok("200", _ref("LocationList")) | _K_ERRORS,
        },
        "post": tag
        | {
            "operationId": "createLocation",
            "requestBody": _body("LocationCreate"),
            "responses": _ok("201", _ref("Location")) | _K_ERRORS,
        },
    }
    spec["paths"]["/accounts/{account_id}/itsm/locations/{location_id}"] = {
        "parameters": [account, item_param],
        "get": tag | {"operationId": "getLocation", "responses": _ok("200", _ref("Location")) | _K_ERRORS},
        "patch": tag
        | {
            "operationId": "updateLocation",
            "requestBody": _body("LocationUpdate"),
            "responses": _ok("200", _ref("Location")) | _K_ERRORS,
        },
        "delete": tag | {"operationId": "deleteLocation", "responses": _ok("204") | _K_ERRORS},
    }
    # An action, declaring no 5xx: the sandbox's 501 is still no contract breach.
    spec["paths"]["/accounts/{account_id}/itsm/incidents/{incident_id}/escalate"] = {
        "parameters": [account, {**item_param, "name": "incident_id"}],
        "post": {
            "operationId": "escalateIncident",
            "tags": ["Incidents"],
            "responses": _ok("200", _ref("Incident")) | {"404": {"$ref": "#/components/responses/NotFound"}},
        },
    }
    return spec


@pytest.fixture(scope="module")
def spec_files(tmp_path_factory: pytest.TempPathFactory) -> dict[ApiName, Path]:
    """The extended specs, written once for the module (loading one takes a moment)."""
    folder = tmp_path_factory.mktemp("specs")
    files = {}
    extended_specs: tuple[tuple[ApiName, dict[str, Any]], ...] = (
        ("spiceworks", _spiceworks_extended()),
        ("kloudless", _kloudless_extended()),
    )
    for api, extended in extended_specs:
        files[api] = folder / SPEC_FILES[api]
        files[api].write_text(yaml.safe_dump(extended, sort_keys=False), encoding="utf-8")
    return files


@pytest.fixture(params=["memory", "sqlite"])
def sandbox(request: pytest.FixtureRequest, spec_files: dict[ApiName, Path], tmp_path: Path) -> Iterator[Sandbox]:
    """A sandbox of both extended specs that fails on any answer its spec forbids."""
    db_path = None if request.param == "memory" else tmp_path / "sandbox.db"
    with Sandbox(
        spiceworks_spec=spec_files["spiceworks"],
        kloudless_spec=spec_files["kloudless"],
        check_responses=True,
        db_path=db_path,
    ) as made:
        yield made


class Checked:
    """A raw HTTP client that checks every answer against the extended spec (independently of the sandbox)."""

    def __init__(self, http: httpx.AsyncClient, specs: dict[str, ApiSpec]) -> None:
        self.http = http
        self.specs = specs

    async def __call__(self, method: str, path: str, body: Any = None, **options: Any) -> httpx.Response:
        api = "spiceworks" if path.startswith("/api/") else "kloudless"
        headers = {**(SPICEWORKS_AUTH if api == "spiceworks" else KLOUDLESS_AUTH), **options.pop("headers", {})}
        response = await self.http.request(method, path, json=body, headers=headers, **options)
        spec = self.specs[api]
        sent = response.request
        request = SpecRequest(
            spec,
            method=method,
            path=sent.url.path,
            query=list(sent.url.params.multi_items()),
            headers=list(sent.headers.items()),
            body=sent.content,
        )
        answer = SpecResponse(response.status_code, list(response.headers.items()), response.content)
        assert response_errors(spec, request, answer) == [], response.text
        return response


@pytest.fixture
async def call(sandbox: Sandbox, spec_files: dict[ApiName, Path]) -> AsyncIterator[Checked]:
    specs: dict[str, ApiSpec] = {"spiceworks": load_spec("spiceworks", spec_files["spiceworks"])}
    specs["kloudless"] = load_spec("kloudless", spec_files["kloudless"])
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=IN_PROCESS_URL) as http:
        yield Checked(http, specs)


async def test_spiceworks_locations_are_created_and_read_back(call: Checked, sandbox: Sandbox) -> None:
    made = await call("POST", LOCATIONS, {"name": "Head office", "site": "hq", "address": {"city": "Leeds"}})
    assert made.status_code == 201
    location = made.json()["location"]
    assert location["id"] == 1
    assert location["name"] == "Head office"
    assert location["address"] == {"city": "Leeds"}
    assert location["created_at"] == location["updated_at"]
    got = await call("GET", f"{LOCATIONS}/1")
    assert got.json() == {"location": location}
    assert sandbox.stats.creates["locations"] == 1
    assert sandbox.stats.requests["createLocation"] == 1


async def test_spiceworks_locations_page_by_number_and_filter(call: Checked) -> None:
    for number, site in enumerate(["hq", "branch", "hq", "branch", "hq"], start=1):
        await call("POST", LOCATIONS, {"name": f"Office {number}", "site": site})
    first = (await call("GET", LOCATIONS, params={"per_page": 2})).json()
    assert [item["name"] for item in first["locations"]] == ["Office 1", "Office 2"]
    assert first["meta"] == {"current_page": 1, "total_pages": 3, "total_count": 5, "per_page": 2}
    last = (await call("GET", LOCATIONS, params={"per_page": 2, "page": 3})).json()
    assert [item["name"] for item in last["locations"]] == ["Office 5"]
    assert (await call("GET", LOCATIONS, params={"page": 4, "per_page": 2})).json()["locations"] == []
    hq = (await call("GET", LOCATIONS, params={"site": "hq"})).json()
    assert [item["id"] for item in hq["locations"]] == [1, 3, 5]
    assert hq["meta"]["total_count"] == 3
    assert (await call("GET", LOCATIONS, params={"per_page": 500})).status_code == 422


async def test_spiceworks_locations_replace_merge_and_delete(call: Checked, sandbox: Sandbox) -> None:
    await call("POST", LOCATIONS, {"name": "Depot", "site": "branch", "floors": 2, "address": {"city": "York"}})
    replaced = (await call("PUT", f"{LOCATIONS}/1", {"name": "Depot North"})).json()["location"]
    # PUT replaces: the fields not sent are gone.
    assert {key for key in replaced if key not in ("id", "created_at", "updated_at")} == {"name"}
    await call(
        "PUT", f"{LOCATIONS}/1", {"name": "Depot", "floors": 3, "address": {"street": "1 Main St", "city": "York"}}
    )
    patch = {"floors": None, "address": {"street": "2 Side St"}, "site": "hq"}
    merge_patch = {"Content-Type": "application/merge-patch+json"}
    merged = await call("PATCH", f"{LOCATIONS}/1", content=json.dumps(patch), headers=merge_patch)
    assert merged.status_code == 200
    # RFC 7396: null removes a field, objects merge, the rest is replaced.
    body = merged.json()["location"]
    assert "floors" not in body
    assert body["address"] == {"street": "2 Side St", "city": "York"}
    assert (body["name"], body["site"]) == ("Depot", "hq")
    assert sandbox.stats.updates["locations"] == 3
    deleted = await call("DELETE", f"{LOCATIONS}/1")
    assert (deleted.status_code, deleted.content) == (204, b"")
    missing = await call("GET", f"{LOCATIONS}/1")
    assert missing.status_code == 404
    assert missing.json() == {"error": "Location not found", "details": ["no location with id 1"]}
    assert (await call("GET", LOCATIONS)).json()["meta"]["total_count"] == 0
    assert (await call("PUT", f"{LOCATIONS}/1", {"name": "x"})).status_code == 404


async def test_spiceworks_bodies_are_validated_as_the_spec_says(call: Checked) -> None:
    refused = await call("POST", LOCATIONS, {"site": "moon"})
    assert refused.status_code == 422
    details = refused.json()["details"]
    assert any("name" in line for line in details)
    assert any("moon" in line for line in details)


async def test_nested_collections_are_kept_per_parent(call: Checked) -> None:
    await call("POST", LOCATIONS, {"name": "A"})
    await call("POST", f"{LOCATIONS}/1/rooms", {"label": "Board room"})
    await call("POST", f"{LOCATIONS}/1/rooms", {"label": "Kitchen"})
    await call("POST", f"{LOCATIONS}/2/rooms", {"label": "Lobby"})
    rooms = (await call("GET", f"{LOCATIONS}/1/rooms")).json()["rooms"]
    assert rooms == [{"id": 1, "label": "Board room"}, {"id": 2, "label": "Kitchen"}]
    assert (await call("GET", f"{LOCATIONS}/2/rooms")).json()["rooms"] == [{"id": 3, "label": "Lobby"}]


async def test_spiceworks_odd_operations_are_501_in_the_error_body(call: Checked) -> None:
    merge = await call("POST", "/api/v1/tickets/1/merge")
    assert merge.status_code == 501
    assert merge.json()["error"] == "Not implemented: mergeTicket"
    assert "POST /api/v1/tickets/{id}/merge" in merge.json()["details"][0]
    delete = await call("DELETE", "/api/v1/tickets/1")
    assert delete.status_code == 501
    assert "hand-written" in delete.json()["details"][0]
    # The hand-written handlers still answer.
    assert (await call("GET", "/api/v1/tickets/1")).json()["ticket"]["id"] == 1


async def test_kloudless_locations_page_by_token(call: Checked, sandbox: Sandbox) -> None:
    ids = []
    for name in ("Leeds", "York", "Hull"):
        made = await call("POST", K_LOCATIONS, {"name": name, "city": name})
        assert made.status_code == 201
        ids.append(made.json()["id"])
    location = made.json()
    assert (location["type"], location["api"]) == ("location", "itsm")
    assert location["href"] == f"{IN_PROCESS_URL}{K_LOCATIONS}/{location['id']}"
    assert location["city"] == "Hull"
    assert location["created"] == location["modified"]
    seen: list[str] = []
    params: dict[str, Any] = {"page_size": 2}
    pages = 0
    while True:
        page = (await call("GET", K_LOCATIONS, params=params)).json()
        pages += 1
        assert (page["type"], page["api"], page["total"]) == ("object_list", "itsm", 3)
        assert page["count"] == len(page["objects"])
        seen += [item["id"] for item in page["objects"]]
        if page["next_page"] is None:
            break
        params = {"page_size": 2, "page": page["next_page"]}
    assert (seen, pages) == (ids, 2)
    assert (await call("GET", K_LOCATIONS, params={"page": "not-a-token"})).status_code == 400
    assert sandbox.stats.creates["locations"] == 3


async def test_kloudless_locations_get_merge_and_delete(call: Checked) -> None:
    made = (await call("POST", K_LOCATIONS, {"name": "Leeds", "city": "Leeds"})).json()
    item = f"{K_LOCATIONS}/{made['id']}"
    assert (await call("GET", item)).json() == made
    changed = (await call("PATCH", item, {"name": "Leeds HQ"})).json()
    assert (changed["name"], changed["city"], changed["id"]) == ("Leeds HQ", "Leeds", made["id"])
    assert (await call("DELETE", item)).status_code == 204
    gone = await call("GET", item)
    assert gone.status_code == 404
    body = gone.json()
    assert body.keys() == {"error_code", "message", "id", "status_code"}
    assert (body["error_code"], body["status_code"], body["id"]) == ("not_found", 404, gone.headers["x-request-id"])
    assert (await call("GET", f"{K_LOCATIONS}/Fnope")).status_code == 404


async def test_kloudless_other_accounts_are_not_found(call: Checked) -> None:
    response = await call("GET", "/v1/accounts/999/itsm/locations")
    assert response.status_code == 404
    assert "999" in response.json()["message"]


async def test_kloudless_odd_operation_is_501_in_the_error_body(call: Checked) -> None:
    incident = (await call("GET", "/v1/accounts/123/itsm/incidents", params={"page_size": 1})).json()["objects"][0]
    path = f"/v1/accounts/123/itsm/incidents/{incident['id']}/escalate"
    # Sent raw: the operation declares no 5xx, so the answer cannot conform.
    response = await call.http.post(path, headers=KLOUDLESS_AUTH)
    assert response.status_code == 501
    body = response.json()
    assert body.keys() == {"error_code", "message", "id", "status_code"}
    assert (body["status_code"], body["id"]) == (501, response.headers["x-request-id"])
    assert body["error_code"] == "not_implemented"
    assert body["message"].startswith("Not implemented: escalateIncident")
    assert "POST /v1/accounts/{account_id}/itsm/incidents/{incident_id}/escalate" in body["message"]


async def test_every_operation_of_an_extended_spec_is_answered(call: Checked, spec_files: dict[ApiName, Path]) -> None:
    """The operations are the spec's, not a count: each is found and answered as the spec allows."""
    apis: tuple[ApiName, ...] = ("spiceworks", "kloudless")
    for api in apis:
        spec = load_spec(api, spec_files[api])
        prefix = "" if api == "spiceworks" else "/v1"
        for (template, method), operation_id in spec.operations.items():
            path = re.sub(r"\{[^}]+\}", "1", template.replace("{account_id}", "123"))
            if operation_id == "escalateIncident":
                continue  # declares no 5xx: its 501 is checked above
            response = await call(method.upper(), prefix + path)
            assert response.status_code not in (405, 500), (operation_id, response.text)
            if response.status_code == 404:
                assert "no such endpoint" not in response.text, operation_id


async def test_generic_records_are_reset_with_the_seed_data(call: Checked, sandbox: Sandbox) -> None:
    await call("POST", LOCATIONS, {"name": "A"})
    sandbox.reset()
    assert (await call("GET", LOCATIONS)).json()["meta"]["total_count"] == 0
    assert (await call("POST", LOCATIONS, {"name": "B"})).json()["location"]["id"] == 1


async def test_generic_records_survive_a_restart(spec_files: dict[ApiName, Path], tmp_path: Path) -> None:
    options: dict[str, Any] = {"spiceworks_spec": spec_files["spiceworks"], "db_path": tmp_path / "kept.db"}
    with Sandbox(**options) as first:
        async with httpx.AsyncClient(transport=first.transport(), base_url=IN_PROCESS_URL) as http:
            made = await http.post(LOCATIONS, json={"name": "Kept"}, headers=SPICEWORKS_AUTH)
    with Sandbox(**options) as second:
        async with httpx.AsyncClient(transport=second.transport(), base_url=IN_PROCESS_URL) as http:
            kept = await http.get(f"{LOCATIONS}/1", headers=SPICEWORKS_AUTH)
    assert kept.json() == made.json()
