"""A resource the generic handlers serve, and one generic operation on it.

A resource is a collection path (``/api/v1/locations``) with, usually, an
item path below it (``/api/v1/locations/{id}``). Its records live in a
store collection of their own, named after the API and the collection path,
so that two APIs, or two parents, never share records. Each record keeps
the client's fields as sent (``fields``), its times, the values of the
parent path parameters (``scope``: the rooms of location 3 are not those of
location 4) and a copy of each field the list can filter on (``q.<name>``),
which the store indexes.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote

import attrs

from . import _ids as ids
from . import _pages as pages
from ._call import Call, Reply
from ._clock import iso
from ._errors import ApiProblem
from ._kloudless_base import check_account
from ._render import CREATED_NAMES, MODIFIED_NAMES, render
from ._schemas import Context, Node
from ._store import Indexes, Record

Action = Literal["list", "create", "get", "replace", "merge", "delete"]
_PARAMETER = re.compile(r"\{([^}/]+)\}")


@attrs.frozen
class Resource:
    """One collection of the spec, served generically.

    Attributes:
        name: The collection's last path segment (``locations``), for
            messages and the write counters.
        collection: The store collection.
        template: The collection's path template.
        base_path: The server path before every template (``/v1``).
        item_param: The item path's parameter (``id``), or None without one.
        integer_ids: Whether that parameter is an integer: the record number
            is the id; otherwise the id is an opaque string (``_ids``).
        kind: The singular name ids and messages use (``location``).
        account: The path parameter naming the account the sandbox serves
            (Kloudless's ``account_id``), or None.
        scope: The other parent path parameters.
        filters: Query parameters of the list that match a field by equality.
    """

    name: str
    collection: str
    template: str
    base_path: str
    item_param: str | None
    integer_ids: bool
    kind: str
    account: str | None
    scope: tuple[str, ...]
    filters: tuple[str, ...]

    @property
    def indexes(self) -> Indexes:
        """Every combination of the scope and the filters the list can be asked for."""
        base = ("scope",) if self.scope else ()
        fields = [f"q.{name}" for name in self.filters]
        chosen = itertools.chain.from_iterable(itertools.combinations(fields, n) for n in range(len(fields) + 1))
        return tuple(tuple(sorted((*base, *combination))) for combination in chosen if base or combination)

    def external_id(self, number: int) -> int | str:
        """The id clients see for record ``number``."""
        return number if self.integer_ids else ids.object_id(self.kind, number)

    def scope_of(self, call: Call) -> dict[str, Any]:
        """The filter of the records under the request's parents (the account checked)."""
        if self.account is not None:
            check_account(call)
        if not self.scope:
            return {}
        return {"scope": json.dumps([call.params.path[name] for name in self.scope])}

    def url(self, call: Call, number: int) -> str:
        """The absolute URL of record ``number``, for ``href``."""
        path = _PARAMETER.sub(lambda match: quote(str(call.params.path[match[1]]), safe=""), self.template)
        return f"{call.base_url}{self.base_path}{path}/{quote(str(self.external_id(number)), safe='')}"

    def record(self, call: Call, fields: Mapping[str, Any], created: str) -> Record:
        """What the store keeps for ``fields``, changed now."""
        kept: Record = {"fields": dict(fields), "created": created, "modified": iso(call.now)}
        kept |= self.scope_of(call)
        kept |= {f"q.{name}": fields.get(name) for name in self.filters}
        return kept

    def find(self, call: Call) -> Record:
        """The record the item path names.

        Raises:
            ApiProblem: 404 for an id of no record under the request's parents.
        """
        assert self.item_param is not None
        scope = self.scope_of(call)
        given = call.params.path[self.item_param]
        number = given if isinstance(given, int) else ids.object_number(self.kind, str(given))
        record = None if number is None else call.store.get(self.collection, number)
        if record is None or any(record.get(key) != value for key, value in scope.items()):
            raise ApiProblem(404, f"{self.kind.capitalize()} not found", [f"no {self.kind} with id {given!r}"])
        return record


@attrs.frozen
class Paging:
    """How a list pages: ``numbered`` (``page``), ``keyset`` (``page`` tokens) or ``all`` on one page."""

    style: Literal["numbered", "keyset", "all"]
    size_param: str | None
    default_size: int


@attrs.frozen
class Output:
    """What an operation answers: a status, and the schema of its body (None: no body).

    Attributes:
        status: The success status.
        node: The body's schema.
        envelope: The one field an item is wrapped in (``{"location": {...}}``).
        items: The field holding a list's items; None for a bare array.
        item: The schema of the item (the list's items, the envelope's content).
    """

    status: int
    node: Node | None
    envelope: str | None = None
    items: str | None = None
    item: Node | None = None


def merge_patch(target: Any, patch: Any) -> Any:
    """``patch`` applied to ``target`` as a JSON merge patch (RFC 7396): null removes a field."""
    if not isinstance(patch, Mapping):
        return patch
    merged = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


@attrs.frozen
class GenericOperation:
    """A list, create, get, replace, merge-patch or delete of a :class:`Resource`."""

    resource: Resource
    action: Action
    output: Output
    paging: Paging | None = None

    def __call__(self, call: Call) -> Reply:
        """Answer one validated request."""
        resource = self.resource
        if self.action == "list":
            return self._list(call)
        if self.action == "create":
            record = call.store.insert(resource.collection, resource.record(call, _fields(call), iso(call.now)))
            call.on_write("create", resource.name)
            return self._reply(call, record)
        current = resource.find(call)
        if self.action == "delete":
            reply = self._reply(call, current)
            call.store.delete(resource.collection, current["id"])
            call.on_write("delete", resource.name)
            return reply
        if self.action in ("replace", "merge"):
            fields = _fields(call)
            if self.action == "merge":
                fields = merge_patch(current["fields"], fields)
            changed = call.store.update(
                resource.collection, current["id"], resource.record(call, fields, current["created"])
            )
            assert changed is not None
            call.on_write("update", resource.name)
            current = changed
        return self._reply(call, current)

    def _item(self, call: Call, record: Record, node: Node) -> Any:
        number = record["id"]
        facts: dict[str, Any] = {"id": self.resource.external_id(number), "href": self.resource.url(call, number)}
        if self.resource.item_param is not None:
            facts[self.resource.item_param] = facts["id"]
        facts |= dict.fromkeys(CREATED_NAMES, record["created"]) | dict.fromkeys(MODIFIED_NAMES, record["modified"])
        return render(node, record["fields"], facts, _context(call))

    def _reply(self, call: Call, record: Record) -> Reply:
        output = self.output
        if output.node is None or output.item is None:
            return Reply(output.status)
        item = self._item(call, record, output.item)
        if output.envelope is None:
            return Reply(output.status, item)
        return Reply(output.status, render(output.node, {}, {output.envelope: item}, _context(call)))

    def _list(self, call: Call) -> Reply:
        resource, output, paging = self.resource, self.output, self.paging
        assert output.node is not None
        assert output.item is not None
        assert paging is not None
        query = call.params.query
        filters = resource.scope_of(call)
        filters |= {f"q.{name}": query[name] for name in resource.filters if query.get(name) is not None}
        size = query.get(paging.size_param) if paging.size_param else None
        size = int(size) if isinstance(size, int) else paging.default_size
        facts: dict[str, Any]
        if paging.style == "keyset":
            token = query.get("page")
            keyset = pages.keyset_page(
                call.store, resource.collection, filters, None if token is None else str(token), size
            )
            records = keyset.records
            facts = {"page": keyset.page, "next_page": keyset.next_page, "total": keyset.total}
        elif paging.style == "numbered":
            page = query.get("page")
            numbered = pages.numbered_page(
                call.store, resource.collection, filters, page if isinstance(page, int) else 1, size
            )
            records, size = numbered.records, numbered.per_page
            facts = {"page": numbered.page, "current_page": numbered.page, "total_pages": numbered.total_pages}
            facts["total"] = numbered.total
        else:
            total = call.store.count(resource.collection, filters)
            records = call.store.window(resource.collection, filters, 0, total)
            facts = {"total": total}
        facts |= {"total_count": facts["total"], "count": len(records), "per_page": size, "page_size": size}
        items = [self._item(call, record, output.item) for record in records]
        if output.items is None:
            return Reply(output.status, items)
        body = render(output.node, {}, {**facts, output.items: items}, _context(call), deep_facts=True)
        return Reply(output.status, body)


def _fields(call: Call) -> dict[str, Any]:
    if call.body is None:
        return {}
    if not isinstance(call.body, Mapping):
        raise ApiProblem(422, "Validation failed", ["body: the sandbox stores an object body only"])
    return dict(call.body)


def _context(call: Call) -> Context:
    return Context(now=iso(call.now), base_url=call.base_url)


def not_implemented(operation_id: str, route: str, reason: str, call: Call) -> Reply:
    """The answer of an operation the sandbox cannot serve: 501, naming it and why.

    Raises:
        ApiProblem: Always, 501.
    """
    raise ApiProblem(501, f"Not implemented: {operation_id}", [f"the sandbox does not serve {route}: {reason}"])
