"""Every Kloudless ITSM operation through ``KloudlessClient``: what is sent, what comes back.

The response and request bodies are the documented examples in
``tests/data/kloudless_examples`` (see its MANIFEST.json).
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from itsm_async import KloudlessClient, __version__
from kloudless_itsm_client.models import (
    Article,
    ArticleCreate,
    ArticleList,
    ArticleUpdate,
    Asset,
    AssetCreate,
    AssetList,
    AssetUpdate,
    Change,
    ChangeCreate,
    ChangeList,
    ChangeUpdate,
    GenericObject,
    GenericObjectList,
    Impact,
    Incident,
    IncidentCreate,
    IncidentList,
    IncidentType,
    IncidentUpdate,
    ObjectCreate,
    ObjectUpdate,
    Priority,
    Problem,
    ProblemCreate,
    ProblemList,
    ProblemUpdate,
    Raw,
    Urgency,
    UserRef,
)
from tests import bodies

# These mirror tests/conftest.py, which the ``kloudless`` fixture is built from.
KLOUDLESS_URL = "https://kl.test/v1"
ACCOUNT_ID = "123"
API_KEY = "kl-secret-api-key"

EXAMPLES = Path(__file__).parent / "data" / "kloudless_examples"
REQUEST_ID = "req-7f3a"
RAW_TYPE = "sys_user"
UTC = datetime.UTC


def _example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


_RFC3339_UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def _as_emitted(value: Any) -> Any:
    """``value`` with every ``...Z`` date-time written ``...+00:00``.

    The models serialise datetimes with ``datetime.isoformat()``, which writes
    UTC as ``+00:00``; RFC 3339 (section 5.6) makes ``Z`` and ``+00:00`` the
    same instant, so that is the one rewrite between an example and the wire.
    """
    if isinstance(value, dict):
        return {key: _as_emitted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_emitted(item) for item in value]
    if isinstance(value, str) and _RFC3339_UTC_Z.match(value):
        return value[:-1] + "+00:00"
    return value


@dataclass(frozen=True)
class Resource:
    """One Kloudless resource: its client group, names, models and examples."""

    group: str  # the client attribute and the collection path segment: "incidents"
    singular: str  # "incident"
    model: type[Any]
    list_model: type[Any]
    create_model: type[Any]
    update_model: type[Any]

    @property
    def is_object(self) -> bool:
        # Generic objects need raw_type and take no X-Kloudless-Raw-Data header.
        return self.group == "objects"

    def example(self, verb: str, suffix: str) -> dict[str, Any]:
        noun = self.group if verb == "list" else self.singular
        return _example(f"{verb}{noun.capitalize()}.{suffix}.json")

    def list_response(self) -> dict[str, Any]:
        if not self.is_object:
            return self.example("list", "response-200")
        # The documented listObjects example is one GenericObject, not the
        # object_list envelope the spec declares; wrap it in one.
        return {
            "total": 11,
            "count": 1,
            "page": "2",
            "next_page": "3",
            "objects": [self.example("list", "response-200")],
            "type": "object_list",
            "api": "itsm",
        }

    @property
    def collection_path(self) -> str:
        return f"/v1/accounts/{ACCOUNT_ID}/itsm/{self.group}"

    def extra_params(self) -> dict[str, str]:
        return {"raw_type": RAW_TYPE} if self.is_object else {}

    def extra_kwargs(self, raw_data: bool | None) -> dict[str, Any]:
        if self.is_object:
            return {"raw_type": RAW_TYPE}
        return {} if raw_data is None else {"x_kloudless_raw_data": raw_data}


RESOURCES = [
    Resource("incidents", "incident", Incident, IncidentList, IncidentCreate, IncidentUpdate),
    Resource("problems", "problem", Problem, ProblemList, ProblemCreate, ProblemUpdate),
    Resource("changes", "change", Change, ChangeList, ChangeCreate, ChangeUpdate),
    Resource("articles", "article", Article, ArticleList, ArticleCreate, ArticleUpdate),
    Resource("assets", "asset", Asset, AssetList, AssetCreate, AssetUpdate),
    Resource("objects", "object", GenericObject, GenericObjectList, ObjectCreate, ObjectUpdate),
]
by_group = pytest.mark.parametrize("resource", RESOURCES, ids=[r.group for r in RESOURCES])


def _respond(router: respx.Router, status: int, body: Mapping[str, Any] | None = None) -> respx.Route:
    """Answer every request with ``status`` (and a JSON body); the test inspects what was sent."""
    headers = {"X-Request-Id": REQUEST_ID}
    if body is None:
        return router.route().respond(status, headers=headers)
    return router.route().respond(status, json=body, headers=headers)


def _assert_sent(
    request: httpx.Request,
    *,
    method: str,
    raw_path: str,
    params: Mapping[str, str],
    body: Mapping[str, Any] | None = None,
    raw_data: bool | None = None,
    authorization: str = f"APIKey {API_KEY}",
) -> None:
    assert request.method == method
    assert request.url.scheme == "https"
    assert request.url.host == "kl.test"
    assert request.url.raw_path.split(b"?")[0] == raw_path.encode()
    assert sorted(request.url.params.multi_items()) == sorted(params.items())
    assert request.headers["Authorization"] == authorization
    assert request.headers["User-Agent"] == f"itsm-async/{__version__}"
    assert request.headers["User-Agent"].startswith("itsm-async/")
    if raw_data is None:
        assert "X-Kloudless-Raw-Data" not in request.headers
    else:
        assert request.headers["X-Kloudless-Raw-Data"] == ("true" if raw_data else "false")
    if body is None:
        assert request.content == b""
    else:
        assert request.headers["Content-Type"] == "application/json"
        assert json.loads(request.content) == body


def _assert_raw(raw: Any, status: int, parsed: object) -> None:
    """A ``_raw`` twin's result: the status code, the response headers and the same parsed value."""
    assert raw.status_code == status
    assert raw.headers["X-Request-Id"] == REQUEST_ID
    assert raw.parsed == parsed


def _assert_created_modified(item: Any, example: Mapping[str, Any]) -> None:
    if "created" in example:
        assert item.created == datetime.datetime.fromisoformat(example["created"])
        assert item.created.tzinfo is not None
        assert item.created.utcoffset() == datetime.timedelta(0)


# --- the 30 operations, five per resource -----------------------------------------


@by_group
async def test_list(kloudless: KloudlessClient, router: respx.Router, resource: Resource) -> None:
    response = resource.list_response()
    route = _respond(router, 200, response)
    group = getattr(kloudless, resource.group)
    kwargs = {"page_size": 50, "page": "2", **resource.extra_kwargs(raw_data=True)}

    page = await getattr(group, f"list_{resource.group}")(**kwargs)
    raw = await getattr(group, f"list_{resource.group}_raw")(**kwargs)

    assert route.call_count == 2
    for call in route.calls:
        _assert_sent(
            call.request,
            method="GET",
            raw_path=resource.collection_path,
            params={"page_size": "50", "page": "2", **resource.extra_params()},
            raw_data=None if resource.is_object else True,
        )
    assert isinstance(page, resource.list_model)
    assert page.to_dict() == _as_emitted(response)
    assert page.count == 1
    assert page.page == response["page"]
    assert page.next_page == response["next_page"]
    [item] = page.objects
    assert isinstance(item, resource.model)
    assert item.id == response["objects"][0]["id"]
    _assert_created_modified(item, response["objects"][0])
    _assert_raw(raw, 200, page)


@by_group
async def test_create(kloudless: KloudlessClient, router: respx.Router, resource: Resource) -> None:
    request_body = resource.example("create", "request")
    response = resource.example("create", "response-201")
    route = _respond(router, 201, response)
    group = getattr(kloudless, resource.group)
    kwargs = {"body": resource.create_model.from_dict(request_body), **resource.extra_kwargs(raw_data=True)}

    created = await getattr(group, f"create_{resource.singular}")(**kwargs)
    raw = await getattr(group, f"create_{resource.singular}_raw")(**kwargs)

    assert route.call_count == 2
    for call in route.calls:
        _assert_sent(
            call.request,
            method="POST",
            raw_path=resource.collection_path,
            params=resource.extra_params(),
            body=_as_emitted(request_body),
            raw_data=None if resource.is_object else True,
        )
    assert isinstance(created, resource.model)
    assert created.id == response["id"]
    assert created.to_dict() == _as_emitted(response)
    _assert_created_modified(created, response)
    _assert_raw(raw, 201, created)


@by_group
async def test_get(kloudless: KloudlessClient, router: respx.Router, resource: Resource) -> None:
    response = resource.example("get", "response-200")
    route = _respond(router, 200, response)
    group = getattr(kloudless, resource.group)
    kwargs = resource.extra_kwargs(raw_data=False)

    got = await getattr(group, f"get_{resource.singular}")(response["id"], **kwargs)
    raw = await getattr(group, f"get_{resource.singular}_raw")(response["id"], **kwargs)

    assert route.call_count == 2
    for call in route.calls:
        _assert_sent(
            call.request,
            method="GET",
            raw_path=f"{resource.collection_path}/{response['id']}",
            params=resource.extra_params(),
            raw_data=None if resource.is_object else False,
        )
    assert isinstance(got, resource.model)
    assert got.id == response["id"]
    assert got.to_dict() == _as_emitted(response)
    _assert_created_modified(got, response)
    _assert_raw(raw, 200, got)


@by_group
async def test_update(kloudless: KloudlessClient, router: respx.Router, resource: Resource) -> None:
    request_body = resource.example("update", "request")
    response = resource.example("update", "response-200")
    route = _respond(router, 200, response)
    group = getattr(kloudless, resource.group)
    kwargs = {"body": resource.update_model.from_dict(request_body), **resource.extra_kwargs(raw_data=None)}

    updated = await getattr(group, f"update_{resource.singular}")(response["id"], **kwargs)
    raw = await getattr(group, f"update_{resource.singular}_raw")(response["id"], **kwargs)

    assert route.call_count == 2
    for call in route.calls:
        _assert_sent(
            call.request,
            method="PATCH",
            raw_path=f"{resource.collection_path}/{response['id']}",
            params=resource.extra_params(),
            body=_as_emitted(request_body),
        )
    assert isinstance(updated, resource.model)
    assert updated.id == response["id"]
    assert updated.to_dict() == _as_emitted(response)
    _assert_raw(raw, 200, updated)


@by_group
async def test_delete(kloudless: KloudlessClient, router: respx.Router, resource: Resource) -> None:
    item_id = resource.example("get", "response-200")["id"]
    route = _respond(router, 204)
    group = getattr(kloudless, resource.group)
    kwargs = resource.extra_kwargs(raw_data=None)

    deleted = await getattr(group, f"delete_{resource.singular}")(item_id, **kwargs)
    raw = await getattr(group, f"delete_{resource.singular}_raw")(item_id, **kwargs)

    assert route.call_count == 2
    for call in route.calls:
        _assert_sent(
            call.request,
            method="DELETE",
            raw_path=f"{resource.collection_path}/{item_id}",
            params=resource.extra_params(),
        )
    assert deleted is None
    assert raw.status_code == 204
    assert raw.parsed is None
    assert raw.content == b""
    assert raw.headers["X-Request-Id"] == REQUEST_ID


# --- typed fields, one resource at a time ------------------------------------------


async def test_get_incident_typed_fields(kloudless: KloudlessClient, router: respx.Router) -> None:
    response = _example("getIncident.response-200.json")
    _respond(router, 200, response)

    incident = await kloudless.incidents.get_incident(response["id"])

    assert isinstance(incident, Incident)
    assert incident.id == "Fc1GyHgRrEKK0zzPXPyj1MB2UgJlb3Bx72LJ-npTpEWHy4sZmnXUiX3pY-tDyHWwl"
    assert incident.impact is Impact.HIGH
    assert incident.priority is Priority.MEDIUM
    assert incident.urgency is Urgency.MEDIUM
    assert incident.type_ is IncidentType.INCIDENT
    assert incident.status == 1
    assert incident.escalation == 0
    assert incident.problem == "F3iGnrn9YFNJ7sqGfh2ofTsF1Hv6WCFdQs8UAZKZC5f0xIRY81hy872UNWxPncRFT"
    assert isinstance(incident.assignee, UserRef)
    assert incident.assignee.name == "Vinod Chandru"
    assert incident.assignee.email == "vinod@kloudless.com"
    assert isinstance(incident.requester, UserRef)
    assert incident.requester.name == "Timothy Liu"
    assert incident.due_date == datetime.datetime(2017, 10, 4, 20, 15, 37, tzinfo=UTC)
    assert incident.created == datetime.datetime(2017, 11, 27, 9, 1, 33, tzinfo=UTC)


async def test_create_incident_sends_the_documented_body(kloudless: KloudlessClient, router: respx.Router) -> None:
    route = _respond(router, 201, _example("createIncident.response-201.json"))

    await kloudless.incidents.create_incident(
        body=IncidentCreate(
            category="hardware",
            due_date=datetime.datetime(2017, 10, 4, 20, 15, 37, tzinfo=UTC),
            impact=Impact.HIGH,
            priority=Priority.MEDIUM,
            assignee="uNTEzNzE1M2NjNjExMjI3YzAwMGJiZDFiZDhjZDIwMDc=",
            escalation=0,
        )
    )

    _assert_sent(
        route.calls.last.request,
        method="POST",
        raw_path=f"/v1/accounts/{ACCOUNT_ID}/itsm/incidents",
        params={},
        body={
            "category": "hardware",
            "due_date": "2017-10-04T20:15:37+00:00",
            "impact": "high",
            "priority": "medium",
            "assignee": "uNTEzNzE1M2NjNjExMjI3YzAwMGJiZDFiZDhjZDIwMDc=",
            "escalation": 0,
        },
    )


async def test_get_change_typed_fields(kloudless: KloudlessClient, router: respx.Router) -> None:
    response = _example("getChange.response-200.json")
    _respond(router, 200, response)

    change = await kloudless.changes.get_change(response["id"])

    assert isinstance(change, Change)
    assert change.start_date == datetime.datetime(2017, 12, 1, 15, 10, tzinfo=UTC)
    assert change.end_date == datetime.datetime(2017, 12, 1, 15, 20, tzinfo=UTC)
    assert change.priority is Priority.HIGH
    assert change.impact is Impact.LOW
    assert change.status == 0
    assert change.active is True
    assert isinstance(change.assignee, UserRef)
    assert change.assignee.id == "uNTEzNzE1M2NjNjExMjI3YzAwMGJiZDFiZDhjZDIwMDc="


async def test_get_problem_typed_fields(kloudless: KloudlessClient, router: respx.Router) -> None:
    response = _example("getProblem.response-200.json")
    _respond(router, 200, response)

    problem = await kloudless.problems.get_problem(response["id"])

    assert isinstance(problem, Problem)
    assert problem.incident == "FmDt08lzD96wzraSzWVGMwKBJxJ-VChCcGzeQp4YwuPT_DHszkw2rL1WmvBfy6lyQ"
    assert problem.impact is Impact.HIGH
    assert problem.modified == datetime.datetime(2017, 11, 30, 9, 22, 52, tzinfo=UTC)


async def test_get_article_typed_fields(kloudless: KloudlessClient, router: respx.Router) -> None:
    response = _example("getArticle.response-200.json")
    _respond(router, 200, response)

    article = await kloudless.articles.get_article(response["id"])

    assert isinstance(article, Article)
    assert isinstance(article.author, UserRef)
    assert article.author.name == "David Thorman"
    assert article.topic == "Development environment set up manual"
    assert article.text == "<p>Follow the instructions below</p>"


async def test_get_asset_typed_fields(kloudless: KloudlessClient, router: respx.Router) -> None:
    response = _example("getAsset.response-200.json")
    _respond(router, 200, response)

    asset = await kloudless.assets.get_asset(response["id"])

    assert isinstance(asset, Asset)
    assert asset.quantity == 1
    assert asset.department == "221f79b7c6112284005d646b76ab978c"
    assert asset.name == 'Samsung SyncMaster 24" Class BackLight LED'


async def test_get_object_typed_fields(kloudless: KloudlessClient, router: respx.Router) -> None:
    response = _example("getObject.response-200.json")
    _respond(router, 200, response)

    obj = await kloudless.objects.get_object(response["id"], raw_type=RAW_TYPE)

    assert isinstance(obj, GenericObject)
    assert isinstance(obj.raw, Raw)
    assert obj.raw["type"] == RAW_TYPE
    assert obj.raw["id"] == "02826bf03710200044e0bfc8bcbe5d3f"
    assert obj.href == response["href"]


async def test_nullable_fields_read_as_none(kloudless: KloudlessClient, router: respx.Router) -> None:
    _respond(router, 200, bodies.kloudless_object("incident", "i1", assignee=None, due_date=None, change=None))

    incident = await kloudless.incidents.get_incident("i1")

    assert incident.assignee is None
    assert incident.due_date is None
    assert incident.change is None


# --- defaults, encoding, authentication --------------------------------------------


async def test_list_defaults_send_page_size_only(kloudless: KloudlessClient, router: respx.Router) -> None:
    route = _respond(router, 200, _example("listIncidents.response-200.json"))

    await kloudless.incidents.list_incidents()

    # page_size has a spec default of 10, which the binding always sends.
    _assert_sent(
        route.calls.last.request,
        method="GET",
        raw_path=f"/v1/accounts/{ACCOUNT_ID}/itsm/incidents",
        params={"page_size": "10"},
    )


ITEM_VERBS = ["get", "update", "delete"]


@by_group
@pytest.mark.parametrize("verb", ITEM_VERBS)
async def test_item_id_is_percent_encoded_in_its_segment(
    kloudless: KloudlessClient, router: respx.Router, resource: Resource, verb: str
) -> None:
    found = {**resource.example("get", "response-200"), "id": "a/b?c"}
    route = _respond(router, 204 if verb == "delete" else 200, None if verb == "delete" else found)
    kwargs: dict[str, Any] = dict(resource.extra_kwargs(raw_data=None))
    if verb == "update":
        kwargs["body"] = resource.update_model.from_dict({})

    await getattr(getattr(kloudless, resource.group), f"{verb}_{resource.singular}")("a/b?c", **kwargs)

    request = route.calls.last.request
    # "/" would split the segment and "?" would start the query: both are escaped.
    assert request.url.raw_path.split(b"?")[0] == f"{resource.collection_path}/a%2Fb%3Fc".encode()
    assert dict(request.url.params) == resource.extra_params()


@pytest.mark.parametrize(
    "item_id",
    [
        pytest.param(".", id="dot"),
        pytest.param("..", id="dotdot"),
        pytest.param("", id="empty"),
        pytest.param("...", id="three-dots"),
    ],
)
async def test_an_id_never_addresses_another_resource(  # regression: '.', '..' and '' once hit the collection
    kloudless: KloudlessClient, router: respx.Router, item_id: str
) -> None:
    route = _respond(router, 204)
    prefix = f"/v1/accounts/{ACCOUNT_ID}/itsm/incidents/".encode()

    try:
        await kloudless.incidents.delete_incident(item_id)
    except ValueError:
        # Refusing such an id is as good as escaping it; sending it elsewhere is not.
        assert not route.called
        return

    assert route.call_count == 1
    path = route.calls.last.request.url.raw_path
    assert path.startswith(prefix)
    assert len(path) > len(prefix)


async def test_account_id_is_percent_encoded(router: respx.Router) -> None:
    # The client refuses an id with '/', '?' or '#'; what it accepts stays one segment.
    route = _respond(router, 200, _example("listIncidents.response-200.json"))
    async with KloudlessClient(
        account_id="a:b@c", api_key=API_KEY, base_url=KLOUDLESS_URL, transport=httpx.AsyncHTTPTransport()
    ) as client:
        await client.incidents.list_incidents()

    assert route.calls.last.request.url.raw_path.split(b"?")[0] == b"/v1/accounts/a%3Ab%40c/itsm/incidents"


async def test_token_sends_bearer_authorization(router: respx.Router) -> None:
    route = _respond(router, 204)
    async with KloudlessClient(
        account_id=ACCOUNT_ID, token="kl-oauth-token", base_url=KLOUDLESS_URL, transport=httpx.AsyncHTTPTransport()
    ) as client:
        await client.incidents.delete_incident("i1")

    _assert_sent(
        route.calls.last.request,
        method="DELETE",
        raw_path=f"/v1/accounts/{ACCOUNT_ID}/itsm/incidents/i1",
        params={},
        authorization="Bearer kl-oauth-token",
    )


async def test_raw_variant_exposes_status_headers_and_body(kloudless: KloudlessClient, router: respx.Router) -> None:
    response = _example("createAsset.response-201.json")
    _respond(router, 201, response)

    raw = await kloudless.assets.create_asset_raw(body=AssetCreate(name="Monitor", quantity=1))

    assert raw.status_code == 201
    assert raw.headers["X-Request-Id"] == REQUEST_ID
    assert raw.headers["Content-Type"] == "application/json"
    assert json.loads(raw.content) == response
    assert isinstance(raw.parsed, Asset)
    assert raw.parsed.id == response["id"]
