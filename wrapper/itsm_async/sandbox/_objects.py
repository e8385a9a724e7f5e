"""The Kloudless generic objects operations: upstream records of any ``raw_type``.

A generic object's attributes exist only in its ``raw`` field, so ``raw`` is
always sent, header or not. Every operation names the ``raw_type`` (the spec
makes it a required query parameter); an object of another type is not
found, as upstream, where each type is its own table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from . import _ids as ids
from ._call import Call, Handler, Reply
from ._clock import iso
from ._errors import ApiProblem
from ._kloudless_base import base_href, check_account, keyset_page
from ._store import Record


def _render(call: Call, record: Record) -> dict[str, Any]:
    object_id = ids.object_id("object", record["id"])
    raw = {
        "sys_id": ids.sys_id("object", record["id"]),
        **record["attributes"],
        "sys_created_on": record["created"].replace("T", " ").rstrip("Z"),
        "sys_updated_on": record["modified"].replace("T", " ").rstrip("Z"),
    }
    href = f"{base_href(call, 'objects')}/{object_id}?raw_type={quote(record['raw_type'], safe='')}"
    return {"id": object_id, "type": "object", "api": "itsm", "raw": raw, "href": href}


def _raw_type(call: Call) -> str:
    return str(call.params.query["raw_type"])


def _number_or_404(call: Call) -> int:
    text = call.params.path["object_id"]
    number = ids.object_number("object", text)
    record = None if number is None else call.store.get("objects", number)
    if number is None or record is None or record["raw_type"] != _raw_type(call):
        raise ApiProblem(404, "Object not found", [f"no {_raw_type(call)} object with id {text!r}"])
    return number


def list_objects(call: Call) -> Reply:
    """``GET .../itsm/objects?raw_type=...``: the objects of one type."""
    check_account(call)
    return keyset_page(call, "objects", {"raw_type": _raw_type(call)}, lambda record: _render(call, record))


def create_object(call: Call) -> Reply:
    """``POST .../itsm/objects?raw_type=...``: the body is the object's attributes."""
    check_account(call)
    now = iso(call.now)
    record = call.store.insert(
        "objects", {"raw_type": _raw_type(call), "attributes": dict(call.body), "created": now, "modified": now}
    )
    call.on_write("create", "objects")
    return Reply(201, _render(call, record))


def get_object(call: Call) -> Reply:
    """``GET .../itsm/objects/{object_id}?raw_type=...``."""
    check_account(call)
    record = call.store.get("objects", _number_or_404(call))
    assert record is not None
    return Reply(200, _render(call, record))


def update_object(call: Call) -> Reply:
    """``PATCH .../itsm/objects/{object_id}?raw_type=...``: merges the given attributes."""
    check_account(call)
    number = _number_or_404(call)
    current = call.store.get("objects", number)
    assert current is not None
    changes = {"attributes": current["attributes"] | dict(call.body), "modified": iso(call.now)}
    record = call.store.update("objects", number, changes)
    assert record is not None
    call.on_write("update", "objects")
    return Reply(200, _render(call, record))


def delete_object(call: Call) -> Reply:
    """``DELETE .../itsm/objects/{object_id}?raw_type=...``: 204, then 404."""
    check_account(call)
    call.store.delete("objects", _number_or_404(call))
    call.on_write("delete", "objects")
    return Reply(204)


HANDLERS: Mapping[str, Handler] = {
    "listObjects": list_objects,
    "createObject": create_object,
    "getObject": get_object,
    "updateObject": update_object,
    "deleteObject": delete_object,
}
