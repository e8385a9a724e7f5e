"""The Kloudless ITSM operations on incidents, problems, changes, articles and assets.

All five share one shape, so one set of handlers serves them, driven by a
:class:`Resource` each. Lists use keyset page tokens (opaque, see
``_ids``); PATCH merges; DELETE answers 204, then the object is gone. User
references are written as user ids and read as ``UserRef`` objects;
relations are written and read as object ids. ``raw`` (the upstream
ServiceNow record) is sent only for ``X-Kloudless-Raw-Data: true``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

import attrs

from . import _ids as ids
from ._call import Call, Handler, Reply
from ._clock import iso
from ._errors import ApiProblem
from ._kloudless_base import base_href, check_account, keyset_page, priority_for, user_ref
from ._store import Record

USER_FIELDS = frozenset({"requester", "responder", "assignee", "author"})
RELATIONS = {"change": "change", "problem": "problem", "incident": "incident"}
_DATES = frozenset({"due_date", "start_date", "end_date"})
# ServiceNow's names for the fields whose names differ, for ``raw``.
_UPSTREAM_NAMES = {
    "status": "state",
    "assignee": "assigned_to",
    "requester": "opened_by",
    "description": "short_description",
    "created": "sys_created_on",
    "modified": "sys_updated_on",
}


@attrs.frozen
class Resource:
    """One Kloudless object type and how the sandbox stores it.

    Attributes:
        kind: The ``type`` field and id prefix (``incident``).
        collection: The URL segment and store collection (``incidents``).
        fields: The fields a client writes and reads, in the spec's order.
        defaults: Values of fields a create leaves out.
        table: The upstream ServiceNow table, for ``raw``.
        prefix: The upstream record number's prefix, for ``raw``.
    """

    kind: str
    collection: str
    fields: tuple[str, ...]
    defaults: Mapping[str, Any]
    table: str
    prefix: str


_WORK = ("requester", "responder", "active", "assignee", "category")
_TRIAGE = ("escalation", "impact", "priority")
_LEVELS = {"escalation": 0, "impact": "low", "priority": "low", "urgency": "low", "description": ""}

RESOURCES: Mapping[str, Resource] = {
    resource.collection: resource
    for resource in (
        Resource(
            "incident",
            "incidents",
            ("change", "problem", *_WORK, "due_date", *_TRIAGE, "status", "urgency", "description"),
            {"active": True, "category": "inquiry", "status": 1, **_LEVELS},
            "incident",
            "INC",
        ),
        Resource(
            "problem",
            "problems",
            ("change", "incident", *_WORK, "due_date", *_TRIAGE, "status", "urgency", "description"),
            {"active": True, "category": "inquiry", "status": 101, **_LEVELS},
            "problem",
            "PRB",
        ),
        Resource(
            "change",
            "changes",
            (
                "problem",
                "incident",
                *_WORK,
                "end_date",
                *_TRIAGE,
                "risk",
                "start_date",
                "status",
                "urgency",
                "description",
            ),
            {"active": True, "category": "Other", "status": -5, "risk": "moderate", **_LEVELS},
            "change_request",
            "CHG",
        ),
        Resource(
            "article",
            "articles",
            ("author", "active", "category", "rating", "roles", "topic", "text", "description"),
            {"active": True, "category": "general", "rating": 0.0, "roles": "public", "topic": "", "text": ""}
            | {"description": ""},
            "kb_knowledge",
            "KB",
        ),
        Resource(
            "asset",
            "assets",
            ("active", "assignee", "department", "model", "name", "quantity", "description"),
            {"active": True, "name": "", "quantity": 1, "description": ""},
            "alm_asset",
            "P",
        ),
    )
}


def _raw_value(field: str, value: Any) -> Any:
    # ServiceNow's table API sends every value as a string; references as sys_ids.
    if value is None:
        return ""
    if field in USER_FIELDS:
        return ids.sys_id("user", value)
    if field in RELATIONS:
        return ids.sys_id(RELATIONS[field], value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if field in ("created", "modified"):
        return str(value).replace("T", " ").rstrip("Z")
    return str(value)


def render(call: Call, resource: Resource, record: Record) -> dict[str, Any]:
    """A record as the Kloudless API reads it, ``raw`` when the request asked for it."""
    number = record["id"]
    body: dict[str, Any] = {"id": ids.object_id(resource.kind, number)}
    for field in resource.fields:
        value = record.get(field, resource.defaults.get(field))
        if field in USER_FIELDS:
            value = user_ref(call, value)
        elif field in RELATIONS:
            value = None if value is None else ids.object_id(RELATIONS[field], value)
        body[field] = value
    body |= {"created": record["created"], "modified": record["modified"], "type": resource.kind, "api": "itsm"}
    if call.params.header.get("X-Kloudless-Raw-Data") is True:
        raw = {"sys_id": ids.sys_id(resource.kind, number), "number": f"{resource.prefix}{number + 10000:07d}"}
        for field in (*resource.fields, "created", "modified"):
            raw[_UPSTREAM_NAMES.get(field, field)] = _raw_value(field, record.get(field))
        body["raw"] = {"sys_class_name": resource.table, **raw}
    body["href"] = f"{base_href(call, resource.collection)}/{body['id']}"
    return body


def _written(call: Call, resource: Resource, body: Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of written fields: ids to record numbers, dates normalised."""
    changes: dict[str, Any] = {}
    for field in resource.fields:
        if field not in body:
            continue
        value = body[field]
        if field in USER_FIELDS:
            number = None if value == "" else ids.user_number(value)
            if value != "" and (number is None or call.user(number) is None):
                raise ApiProblem(422, "Invalid user", [f"{field}: no user with id {value!r}"])
            value = number
        elif field in RELATIONS:
            number = None if value == "" else ids.object_number(RELATIONS[field], value)
            if value != "" and (number is None or call.store.get(f"{RELATIONS[field]}s", number) is None):
                raise ApiProblem(422, "Invalid relation", [f"{field}: no {RELATIONS[field]} with id {value!r}"])
            value = number
        elif field in _DATES:
            moment = datetime.fromisoformat(value)
            # RFC 3339 requires an offset; should one be missing, UTC is meant.
            value = iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
        changes[field] = value
    # Like ServiceNow, priority follows impact and urgency unless it is given.
    if "priority" in resource.fields and "priority" not in body and ({"impact", "urgency"} & changes.keys()):
        changes["priority"] = None
    return changes


def _with_priority(resource: Resource, record: Record) -> Record:
    if "priority" in resource.fields and record.get("priority") is None:
        record["priority"] = priority_for(record.get("impact"), record.get("urgency"))
    return record


def _number_or_404(call: Call, resource: Resource) -> int:
    text = call.params.path[f"{resource.kind}_id"]
    number = ids.object_number(resource.kind, text)
    if number is None or call.store.get(resource.collection, number) is None:
        raise ApiProblem(404, f"{resource.kind.capitalize()} not found", [f"no {resource.kind} with id {text!r}"])
    return number


def list_records(resource: Resource, call: Call) -> Reply:
    """``GET .../itsm/{collection}``."""
    check_account(call)
    return keyset_page(call, resource.collection, {}, lambda record: render(call, resource, record))


def create_record(resource: Resource, call: Call) -> Reply:
    """``POST .../itsm/{collection}``: 201 with the new object."""
    check_account(call)
    now = iso(call.now)
    fields = dict(resource.defaults)
    if "priority" in resource.fields:
        fields["priority"] = None
    fields |= _written(call, resource, call.body)
    record = call.store.insert(
        resource.collection, _with_priority(resource, fields | {"created": now, "modified": now})
    )
    call.on_write("create", resource.collection)
    return Reply(201, render(call, resource, record))


def get_record(resource: Resource, call: Call) -> Reply:
    """``GET .../itsm/{collection}/{id}``."""
    check_account(call)
    record = call.store.get(resource.collection, _number_or_404(call, resource))
    assert record is not None
    return Reply(200, render(call, resource, record))


def update_record(resource: Resource, call: Call) -> Reply:
    """``PATCH .../itsm/{collection}/{id}``: merges the given fields."""
    check_account(call)
    number = _number_or_404(call, resource)
    current = call.store.get(resource.collection, number)
    assert current is not None
    merged = _with_priority(resource, current | _written(call, resource, call.body))
    record = call.store.update(resource.collection, number, merged | {"modified": iso(call.now)})
    assert record is not None
    call.on_write("update", resource.collection)
    return Reply(200, render(call, resource, record))


def delete_record(resource: Resource, call: Call) -> Reply:
    """``DELETE .../itsm/{collection}/{id}``: 204, and 404 from then on."""
    check_account(call)
    call.store.delete(resource.collection, _number_or_404(call, resource))
    call.on_write("delete", resource.collection)
    return Reply(204)


def handlers() -> dict[str, Handler]:
    """The typed resources' operations, by operationId (``listIncidents``...)."""
    table: dict[str, Handler] = {}
    for resource in RESOURCES.values():
        name = resource.kind.capitalize()
        table[f"list{name}s"] = partial(list_records, resource)
        table[f"create{name}"] = partial(create_record, resource)
        table[f"get{name}"] = partial(get_record, resource)
        table[f"update{name}"] = partial(update_record, resource)
        table[f"delete{name}"] = partial(delete_record, resource)
    return table
