"""Handlers derived from a spec, for the operations no hand-written handler serves.

A spec that gains an operation keeps the sandbox working: each operation
without a handler is read from the document and served by a generic,
stateful handler (``_resource``) when it has the shape of a collection or
an item path (an item path is a collection path plus ``/{param}``):

- ``GET`` collection: a list, paged as the response and parameters say:
  a ``next_page`` field means page tokens (Kloudless), a ``page`` parameter
  or a ``meta.total_pages`` field numbered pages (Spiceworks), else one page;
  query parameters named like a field of the items filter by equality;
- ``POST`` collection with an object body: a create;
- ``GET``, ``PUT``, ``PATCH``, ``DELETE`` item: get, replace, merge patch
  (RFC 7396), delete.

Bodies are validated by openapi-core before a handler runs, as for every
operation. Answers follow the success response's schema: an item alone or
in a one-field envelope (``{"location": {...}}``), built by ``_render``.
Any other operation (an action such as ``POST /tickets/{id}/merge``, a
collection whose other operations are hand-written, a response with no
object to fill) is answered 501 in the API's error body, naming the
operation and the reason: the sandbox always starts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import partial

import attrs
from jsonschema_path import SchemaPath

from ._call import Handler
from ._errors import ApiName
from ._resource import Action, GenericOperation, Output, Paging, Resource, not_implemented
from ._schemas import Node
from ._specs import ApiSpec
from ._store import Indexes

#: The path parameter of each API that names the account the sandbox serves.
ACCOUNT_PARAMETERS: Mapping[ApiName, str] = {"kloudless": "account_id"}
#: Query parameters that size a page, as the wrapper's paging styles send them.
_SIZE_PARAMETERS = ("per_page", "page_size", "limit")
#: The page size when a list has no size parameter with a default.
_DEFAULT_SIZE = 25
#: Filters beyond these many are ignored: the store keeps an index per combination.
_MAX_FILTERS = 4
_PRIMITIVES = frozenset({"string", "integer", "number", "boolean", "null"})
_ACTIONS: Mapping[tuple[bool, str], Action] = {
    (False, "get"): "list",
    (False, "post"): "create",
    (True, "get"): "get",
    (True, "put"): "replace",
    (True, "patch"): "merge",
    (True, "delete"): "delete",
}


class Unsupported(Exception):
    """An operation the generic handlers cannot serve; the message says why."""


@attrs.frozen
class Derived:
    """The generic side of one spec.

    Attributes:
        handlers: A handler for each operation without a hand-written one.
        unsupported: Why each operation answered 501 is not served.
        collections: The store collections the handlers use, with their indexes.
    """

    handlers: Mapping[str, Handler]
    unsupported: Mapping[str, str]
    collections: Mapping[str, Indexes]


def _is_parameter(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _split(template: str) -> tuple[str, str | None]:
    """A path's collection template and item parameter (None for a collection path)."""
    head, _, last = template.rstrip("/").rpartition("/")
    if not _is_parameter(last):
        return template, None
    if not head or _is_parameter(head.rpartition("/")[2]):
        raise Unsupported("the path is no collection or item path")
    return head, last[1:-1]


class _Deriver:
    def __init__(self, spec: ApiSpec, handled: Collection[str]) -> None:
        self.spec = spec
        self.root: SchemaPath = spec.openapi.spec
        self.handled = handled
        self.resources: dict[str, Resource] = {}

    def operation(self, template: str) -> SchemaPath:
        return self.root / "paths" / template

    def parameters(self, template: str, method: str) -> dict[tuple[str, str], Node]:
        """The operation's parameters by (location, name), path-level ones included."""
        found: dict[tuple[str, str], Node] = {}
        for level in (self.operation(template), self.operation(template) / method):
            if "parameters" in level.keys():  # noqa: SIM118 - a SchemaPath, not a dict
                for parameter in level / "parameters":
                    key = ((parameter / "in").read_str(), (parameter / "name").read_str())
                    found[key] = Node(self.root, parameter / "schema")
        return found

    def success(self, template: str, method: str, action: Action) -> Output:
        """The operation's first 2xx response and its JSON body's schema."""
        responses = self.operation(template) / method / "responses"
        codes = sorted(code for code in responses.keys() if str(code).startswith("2"))  # noqa: SIM118
        if not codes:
            raise Unsupported("it declares no 2xx response")
        code = str(codes[0])
        status = int(code) if code.isdigit() else 201 if action == "create" else 200
        response = responses / code
        if "content" not in response.keys():  # noqa: SIM118
            return Output(status, None)
        content = response / "content"
        media = next((str(m) for m in content.keys() if m == "application/json" or str(m).endswith("+json")), None)  # noqa: SIM118
        if media is None or "schema" not in (content / media).keys():  # noqa: SIM118
            raise Unsupported("its success response has no JSON schema")
        return Output(status, Node(self.root, content / media / "schema"))

    def resource(self, collection: str) -> Resource:
        if collection in self.resources:
            return self.resources[collection]
        related = {
            operation_id
            for (template, _), operation_id in self.spec.operations.items()
            if _belongs(template, collection)
        }
        written = sorted(related & set(self.handled))
        if written:
            raise Unsupported(f"its collection has hand-written handlers ({', '.join(written)}); none is generic")
        items = sorted(
            {template for template, _ in self.spec.operations if _belongs(template, collection)} - {collection}
        )
        if len(items) > 1:
            raise Unsupported(f"its collection has several item paths: {items}")
        name = next(segment for segment in reversed(collection.split("/")) if segment and not _is_parameter(segment))
        item_param = None if not items else _split(items[0])[1]
        integer_ids = "integer" in self.id_types(collection, items[0] if items else None, item_param)
        parents = [segment[1:-1] for segment in collection.split("/") if _is_parameter(segment)]
        account = ACCOUNT_PARAMETERS.get(self.spec.name)
        kind = item_param[:-3] if item_param and item_param.endswith("_id") and item_param != "_id" else _singular(name)
        made = Resource(
            name=name,
            collection=f"{self.spec.name}:{collection}",
            template=collection,
            base_path=self.spec.base_path,
            item_param=item_param,
            integer_ids=integer_ids,
            kind=kind,
            account=account if account in parents else None,
            scope=tuple(parent for parent in parents if parent != account),
            filters=self.filters(collection),
        )
        self.resources[collection] = made
        return made

    def id_types(self, collection: str, item: str | None, item_param: str | None) -> frozenset[str]:
        """The types of an id: the item path parameter's, else the ``id`` field's of the list or create."""
        if item is not None and item_param is not None:
            method = next(m for t, m in self.spec.operations if t == item)
            schema = self.parameters(item, method).get(("path", item_param))
            return frozenset() if schema is None else schema.types
        for method in ("get", "post"):
            if (collection, method) not in self.spec.operations:
                continue
            try:
                output = self.listing(collection) if method == "get" else self.item_output(collection, method, "create")
            except Unsupported:
                continue
            if output.item is not None and "id" in output.item.properties:
                return output.item.properties["id"].types
        return frozenset()

    def filters(self, collection: str) -> tuple[str, ...]:
        """The list's query parameters that name a primitive field of its items."""
        if (collection, "get") not in self.spec.operations:
            return ()
        try:
            output = self.listing(collection)
        except Unsupported:
            return ()
        assert output.item is not None
        fields = output.item.properties
        names = [
            name
            for (location, name), schema in self.parameters(collection, "get").items()
            if location == "query"
            and name not in ("page", *_SIZE_PARAMETERS)
            and name in fields
            and schema.types
            and schema.types <= _PRIMITIVES
        ]
        return tuple(names[:_MAX_FILTERS])

    def listing(self, collection: str) -> Output:
        """The list's output: its envelope's items field and the items' schema."""
        output = self.success(collection, "get", "list")
        node = output.node
        if node is None:
            raise Unsupported("its list response has no body")
        if node.items is not None:
            return attrs.evolve(output, item=node.items)
        arrays = [name for name, field in node.properties.items() if field.items is not None]
        if not node.is_object or len(arrays) != 1:
            raise Unsupported("its response holds no single array of items")
        item = node.properties[arrays[0]].items
        if item is None or not item.is_object:
            raise Unsupported("its list's items are no objects")
        return attrs.evolve(output, items=arrays[0], item=item)

    def paging(self, collection: str, output: Output) -> Paging:
        query = {
            name: schema
            for (location, name), schema in self.parameters(collection, "get").items()
            if location == "query"
        }
        size_param = next((name for name in _SIZE_PARAMETERS if name in query), None)
        declared = None if size_param is None else query[size_param].value("default")
        size = declared if isinstance(declared, int) and declared > 0 else _DEFAULT_SIZE
        node = output.node
        assert node is not None
        names = set(node.properties)
        for field in node.properties.values():
            names |= set(field.properties) if field.is_object else set()
        if "next_page" in names:
            return Paging("keyset", size_param, size)
        if "page" in query or names & {"total_pages", "current_page"}:
            return Paging("numbered", size_param, size)
        return Paging("all", size_param, size)

    def item_output(self, template: str, method: str, action: Action) -> Output:
        output = self.success(template, method, action)
        node = output.node
        if node is None:
            return output
        if not node.is_object:
            raise Unsupported("its response is no object")
        fields = node.properties
        if len(fields) == 1:
            ((envelope, inner),) = fields.items()
            if inner.is_object and inner.items is None:
                return attrs.evolve(output, envelope=envelope, item=inner)
        return attrs.evolve(output, item=node)

    def handler(self, template: str, method: str) -> Handler:
        collection, item_param = _split(template)
        action = _ACTIONS.get((item_param is not None, method))
        if action is None:
            where = "an item" if item_param is not None else "a collection"
            raise Unsupported(f"{method.upper()} on {where} path is no list, create, get, replace, merge or delete")
        resource = self.resource(collection)
        if action == "list":
            output = self.listing(collection)
            return GenericOperation(resource, action, output, self.paging(collection, output))
        if action == "create":
            operation = self.operation(template) / method
            if "requestBody" not in operation.keys():  # noqa: SIM118
                raise Unsupported("a POST without a body is an action, not a create")
        return GenericOperation(resource, action, self.item_output(template, method, action))


def _singular(name: str) -> str:
    """An English plural's singular, as far as collection names go (``locations``, ``addresses``, ``policies``)."""
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith(("sses", "xes", "ches", "shes")):
        return name[:-2]
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def _belongs(template: str, collection: str) -> bool:
    try:
        return _split(template)[0] == collection
    except Unsupported:
        return False


def derive(spec: ApiSpec, handled: Collection[str]) -> Derived:
    """The generic handlers of every operation of ``spec`` not in ``handled``.

    Args:
        spec: The API's document.
        handled: The operations that have hand-written handlers.

    Returns:
        The handlers (501 answers included) and the store collections they need.
    """
    deriver = _Deriver(spec, handled)
    handlers: dict[str, Handler] = {}
    unsupported: dict[str, str] = {}
    for (template, method), operation_id in spec.operations.items():
        if operation_id in handled:
            continue
        try:
            handlers[operation_id] = deriver.handler(template, method)
        except Unsupported as why:
            unsupported[operation_id] = str(why)
        except Exception as error:  # noqa: BLE001 - a spec the sandbox cannot read still starts it
            unsupported[operation_id] = f"the sandbox cannot read it ({type(error).__name__}: {error})"
        if operation_id in unsupported:
            route = f"{method.upper()} {spec.base_path}{template}"
            handlers[operation_id] = partial(not_implemented, operation_id, route, unsupported[operation_id])
    served = [handler.resource for handler in handlers.values() if isinstance(handler, GenericOperation)]
    return Derived(handlers, unsupported, {resource.collection: resource.indexes for resource in served})
