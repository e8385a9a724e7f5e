"""Every Kloudless ITSM operation against the sandbox, through KloudlessClient, on both stores."""

from __future__ import annotations

import base64
import datetime
from pathlib import Path
from typing import Any, cast

import pytest

from itsm_async import BadRequestError, KloudlessClient, NotFoundError, UnprocessableEntityError
from itsm_async.sandbox import IN_PROCESS_URL, Sandbox
from itsm_async.sandbox._seed_itsm import RAW_TYPES
from kloudless_itsm_client.models import (
    ArticleCreate,
    ArticleUpdate,
    AssetCreate,
    AssetUpdate,
    ChangeCreate,
    ChangeUpdate,
    Impact,
    IncidentCreate,
    IncidentUpdate,
    ObjectCreate,
    ObjectUpdate,
    Priority,
    ProblemCreate,
    ProblemUpdate,
    Urgency,
)
from kloudless_itsm_client.types import UNSET

pytest_plugins = ["itsm_async.testing"]

SEEDED = {"incidents": 250, "problems": 40, "changes": 60, "articles": 50, "assets": 150}
KINDS = {"incidents": "incident", "problems": "problem", "changes": "change", "articles": "article", "assets": "asset"}


@pytest.fixture(params=["memory", "sqlite"])
def itsm_sandbox_options(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Both stores, every response checked against the spec."""
    options: dict[str, Any] = {"check_responses": True}
    if request.param == "sqlite":
        options["db_path"] = tmp_path / "sandbox.db"
    return options


async def _staff(client: KloudlessClient) -> list[str]:
    """Ids of users that incidents are assigned to, as a client would learn them."""
    page: Any = await client.incidents.list_incidents(page_size=50)
    return sorted({o.assignee.id for o in page.objects if o.assignee})


def _bodies(collection: str, staff: list[str], incident: str) -> tuple[Any, Any]:
    """A create body and a one-field update body for a collection."""
    due = datetime.datetime(2025, 3, 1, 17, 0, tzinfo=datetime.UTC)
    if collection == "incidents":
        return (
            IncidentCreate(
                description="Sales team cannot send email",
                category="software",
                impact=Impact.HIGH,
                urgency=Urgency.HIGH,
                assignee=staff[0],
                requester=staff[1],
                due_date=due,
            ),
            IncidentUpdate(status=2),
        )
    if collection == "problems":
        return ProblemCreate(
            description="Mail relay drops messages", incident=incident, assignee=staff[0]
        ), ProblemUpdate(status=103)
    if collection == "changes":
        create = ChangeCreate(
            description="Replace mail relay",
            risk="high",
            start_date=due,
            end_date=due + datetime.timedelta(hours=2),
            incident="",
            problem="",
        )
        return create, ChangeUpdate(risk="moderate")
    if collection == "articles":
        return (
            ArticleCreate(
                topic="Sending large attachments", text="<p>Use OneDrive links.</p>", author=staff[0], rating=4.5
            ),
            ArticleUpdate(rating=3.0),
        )
    return AssetCreate(name="P2000001 - Dell WD19S Dock", model="Dell WD19S Dock", quantity=2), AssetUpdate(quantity=3)


@pytest.mark.parametrize("collection", list(SEEDED))
async def test_list_envelope(kloudless_client: KloudlessClient, collection: str) -> None:
    api = getattr(kloudless_client, collection)
    page = await getattr(api, f"list_{collection}")(page_size=5)
    assert (page.total, page.count, len(page.objects)) == (SEEDED[collection], 5, 5)
    assert (page.type_.value, page.api.value) == ("object_list", "itsm")
    assert isinstance(page.next_page, str)
    assert not page.next_page.isdigit()
    assert {o.type_.value for o in page.objects} == {KINDS[collection]}
    first = page.objects[0]
    assert first.href == f"{IN_PROCESS_URL}/v1/accounts/123/itsm/{collection}/{first.id}"
    assert first.raw is UNSET


@pytest.mark.parametrize("collection", list(SEEDED))
async def test_paginate_every_object(kloudless_client: KloudlessClient, collection: str) -> None:
    operation = getattr(getattr(kloudless_client, collection), f"list_{collection}")
    pages: list[Any] = [page async for page in kloudless_client.paginate(operation, page_size=17).pages()]
    assert len(pages) == -(-SEEDED[collection] // 17)
    ids = [o.id for page in pages for o in page.page_items()]
    assert len(ids) == len(set(ids)) == SEEDED[collection]
    assert pages[-1].next_page is None


async def test_default_page_size_is_10(kloudless_client: KloudlessClient) -> None:
    page = await kloudless_client.problems.list_problems()
    assert page.count == 10


@pytest.mark.parametrize("collection", list(SEEDED))
async def test_create_get_patch_delete(
    kloudless_client: KloudlessClient, itsm_sandbox: Sandbox, collection: str
) -> None:
    kind = KINDS[collection]
    api = getattr(kloudless_client, collection)
    staff = await _staff(kloudless_client)
    first: Any = await kloudless_client.incidents.list_incidents(page_size=1)
    incident = first.objects[0].id
    create, update = _bodies(collection, staff, incident)
    created = await getattr(api, f"create_{kind}")(body=create)
    assert created.type_.value == kind
    assert created.created == created.modified
    fetched = await getattr(api, f"get_{kind}")(created.id)
    assert fetched.to_dict() == created.to_dict()
    listed = await getattr(api, f"list_{collection}")(page_size=1000)
    assert listed.objects[-1].id == created.id
    patched = await getattr(api, f"update_{kind}")(created.id, body=update)
    changed = update.to_dict()
    assert {key: patched.to_dict()[key] for key in changed} == changed
    unchanged = {k: v for k, v in created.to_dict().items() if k not in {*changed, "modified", "priority"}}
    assert {k: patched.to_dict()[k] for k in unchanged} == unchanged
    assert patched.modified >= created.modified
    assert await getattr(api, f"delete_{kind}")(created.id) is None
    with pytest.raises(NotFoundError):
        await getattr(api, f"get_{kind}")(created.id)
    with pytest.raises(NotFoundError):
        await getattr(api, f"delete_{kind}")(created.id)
    assert (await getattr(api, f"list_{collection}")()).total == SEEDED[collection]
    assert itsm_sandbox.stats.creates[collection] == 1
    assert itsm_sandbox.stats.updates[collection] == 1
    assert itsm_sandbox.stats.deletes[collection] == 1


async def test_user_references_are_written_as_ids_and_read_as_users(kloudless_client: KloudlessClient) -> None:
    staff = await _staff(kloudless_client)
    created: Any = await kloudless_client.incidents.create_incident(
        body=IncidentCreate(description="Printer on fire", assignee=staff[0], requester=staff[1])
    )
    assert created.assignee.to_dict().keys() == {"type", "api", "id", "name", "email"}
    assert (created.assignee.type_, created.assignee.api, created.assignee.id) == ("user", "team", staff[0])
    assert created.requester.id == staff[1]
    assert created.responder is None
    with pytest.raises(UnprocessableEntityError) as caught:
        await kloudless_client.incidents.update_incident(created.id, body=IncidentUpdate(assignee="u-nobody"))
    assert cast("Any", caught.value.error).error_code == "invalid_request"
    cleared: Any = await kloudless_client.incidents.update_incident(created.id, body=IncidentUpdate(assignee=""))
    assert cleared.assignee is None


async def test_relations_point_at_real_objects(kloudless_client: KloudlessClient) -> None:
    incidents: Any = (await kloudless_client.incidents.list_incidents(page_size=100)).objects
    linked = [i for i in incidents if i.problem]
    assert linked
    problem: Any = await kloudless_client.problems.get_problem(linked[0].problem)
    assert problem.type_.value == "problem"
    changes: Any = (await kloudless_client.changes.list_changes(page_size=100)).objects
    for change in [c for c in changes if c.incident][:3]:
        assert (await kloudless_client.incidents.get_incident(change.incident)).id == change.incident
    with pytest.raises(UnprocessableEntityError):
        await kloudless_client.incidents.create_incident(body=IncidentCreate(problem=incidents[0].id))


async def test_priority_follows_impact_and_urgency_unless_given(kloudless_client: KloudlessClient) -> None:
    derived: Any = await kloudless_client.incidents.create_incident(
        body=IncidentCreate(impact=Impact.HIGH, urgency=Urgency.HIGH)
    )
    assert derived.priority == Priority.CRITICAL
    given = await kloudless_client.incidents.create_incident(
        body=IncidentCreate(impact=Impact.HIGH, urgency=Urgency.HIGH, priority=Priority.LOW)
    )
    assert given.priority == Priority.LOW
    lowered = await kloudless_client.incidents.update_incident(derived.id, body=IncidentUpdate(urgency=Urgency.LOW))
    assert lowered.priority == Priority.MEDIUM


async def test_raw_only_when_asked(kloudless_client: KloudlessClient) -> None:
    plain: Any = await kloudless_client.incidents.list_incidents(page_size=1)
    incident_id = plain.objects[0].id
    assert (await kloudless_client.incidents.get_incident(incident_id)).raw is UNSET
    assert (await kloudless_client.incidents.get_incident(incident_id, x_kloudless_raw_data=False)).raw is UNSET
    raw: Any = (await kloudless_client.incidents.get_incident(incident_id, x_kloudless_raw_data=True)).raw
    assert raw["sys_class_name"] == "incident"
    assert raw["number"].startswith("INC")
    listed: Any = await kloudless_client.assets.list_assets(page_size=2, x_kloudless_raw_data=True)
    assert all(o.raw["sys_class_name"] == "alm_asset" for o in listed.objects)


async def test_invalid_page_token_is_400(kloudless_client: KloudlessClient) -> None:
    with pytest.raises(BadRequestError) as caught:
        await kloudless_client.incidents.list_incidents(page="2")
    assert cast("Any", caught.value.error).error_code == "bad_request"


def _crafted(prefix: str, payload: str) -> str:
    """An id or page token as the sandbox makes them, around a payload it never writes."""
    return prefix + base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


# "²" passes str.isdigit() and fails int(); "٣" and "03" pass int() and would alias record 3;
# 30 digits overflow SQLite's INTEGER and 5,000 pass Python's int() digit limit.
CRAFTED = {
    "superscript": "²",
    "arabic-indic": "٣",
    "leading-zero": "03",
    "sign": "+3",
    "space": " 3",
    "30-digits": "9" * 30,
    "5000-digits": "9" * 5000,
}
CRAFTED_NUMBERS = pytest.mark.parametrize("number", list(CRAFTED.values()), ids=list(CRAFTED))


@CRAFTED_NUMBERS
async def test_crafted_ids_are_404(kloudless_client: KloudlessClient, number: str) -> None:
    with pytest.raises(NotFoundError) as caught:
        await kloudless_client.incidents.get_incident(_crafted("F", f"incident:{number}"))
    assert cast("Any", caught.value.error).error_code == "not_found"
    with pytest.raises(NotFoundError):
        await kloudless_client.objects.get_object(_crafted("F", f"object:{number}"), raw_type="sys_user_group")


@CRAFTED_NUMBERS
async def test_crafted_page_tokens_are_400(kloudless_client: KloudlessClient, number: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        await kloudless_client.incidents.list_incidents(page=_crafted("", f"after:{number}"))
    assert cast("Any", caught.value.error).error_code == "bad_request"


@CRAFTED_NUMBERS
async def test_crafted_user_and_relation_ids_are_422(kloudless_client: KloudlessClient, number: str) -> None:
    first: Any = await kloudless_client.incidents.list_incidents(page_size=1)
    incident_id = first.objects[0].id
    with pytest.raises(UnprocessableEntityError, match="Invalid user"):
        await kloudless_client.incidents.update_incident(
            incident_id, body=IncidentUpdate(assignee=_crafted("u", f"user:{number}"))
        )
    with pytest.raises(UnprocessableEntityError, match="Invalid relation"):
        await kloudless_client.incidents.update_incident(
            incident_id, body=IncidentUpdate(problem=_crafted("F", f"problem:{number}"))
        )


async def test_another_account_is_404(itsm_sandbox: Sandbox) -> None:
    async with itsm_sandbox.kloudless_client(account_id="999") as client:
        with pytest.raises(NotFoundError):
            await client.incidents.list_incidents()


async def test_bearer_token_works_like_api_key(itsm_sandbox: Sandbox) -> None:
    async with itsm_sandbox.kloudless_client(token="oauth-token") as client:
        assert (await client.articles.list_articles()).count == 10


async def test_seeded_sys_users_page_as_the_readme_shows(
    kloudless_client: KloudlessClient, itsm_sandbox: Sandbox
) -> None:
    # The README's example: paginate(kl.objects.list_objects, raw_type="sys_user").
    users: list[Any] = [
        o async for o in kloudless_client.paginate(kloudless_client.objects.list_objects, raw_type="sys_user")
    ]
    assert len(users) == 12
    assert all(o.href.endswith("?raw_type=sys_user") for o in users)
    # ServiceNow's sys_user records of the help desk's own people, as Spiceworks lists them.
    async with itsm_sandbox.spiceworks_client() as spiceworks:
        people = {u.email: u async for u in spiceworks.paginate(spiceworks.users.list_users)}
    for user in users:
        person = people[user.raw["email"]]
        assert (user.raw["first_name"], user.raw["last_name"]) == (person.first_name, person.last_name)
        assert user.raw["user_name"] == user.raw["email"].partition("@")[0]
    assert len({user.raw["email"] for user in users}) == len(users)
    with Sandbox() as again:
        async with again.kloudless_client() as client:
            repeated = [o.raw async for o in client.paginate(client.objects.list_objects, raw_type="sys_user")]
    assert repeated == [user.raw for user in users]


async def test_objects_of_a_raw_type(kloudless_client: KloudlessClient, itsm_sandbox: Sandbox) -> None:
    groups: list[Any] = [
        o
        async for o in kloudless_client.paginate(
            kloudless_client.objects.list_objects, raw_type="sys_user_group", page_size=4
        )
    ]
    # Raw types take turns through the seeded objects, sys_user_group on every multiple of their number.
    assert len(groups) == itsm_sandbox.counts.objects // len(RAW_TYPES) > 0
    assert all("name" in o.raw and o.href.endswith("?raw_type=sys_user_group") for o in groups)
    assert (await kloudless_client.objects.list_objects(raw_type="x_custom_table")).total == 0
    seeded_users = (await kloudless_client.objects.list_objects(raw_type="sys_user")).total
    assert seeded_users  # the README pages through them
    body = ObjectCreate.from_dict({"first_name": "Yu Ming", "last_name": "Lu", "email": "ymlu@northwind.example"})
    created: Any = await kloudless_client.objects.create_object(body=body, raw_type="sys_user")
    assert created.raw["first_name"] == "Yu Ming"
    assert created.type_.value == "object"
    patched: Any = await kloudless_client.objects.update_object(
        created.id, body=ObjectUpdate.from_dict({"first_name": "Yu-Ming"}), raw_type="sys_user"
    )
    assert (patched.raw["first_name"], patched.raw["last_name"]) == ("Yu-Ming", "Lu")
    fetched: Any = await kloudless_client.objects.get_object(created.id, raw_type="sys_user")
    assert fetched.raw["first_name"] == "Yu-Ming"
    with pytest.raises(NotFoundError):
        await kloudless_client.objects.get_object(created.id, raw_type="sys_user_group")
    assert (await kloudless_client.objects.list_objects(raw_type="sys_user")).total == seeded_users + 1
    await kloudless_client.objects.delete_object(created.id, raw_type="sys_user")
    with pytest.raises(NotFoundError):
        await kloudless_client.objects.get_object(created.id, raw_type="sys_user")
    assert itsm_sandbox.stats.snapshot()["creates"] == {"objects": 1}
