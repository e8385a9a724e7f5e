"""One API request, from bytes to bytes: credentials, operation, validation, handler.

Each API answers in its own error format, from its own spec's operations:
by a hand-written handler, or else by one derived from the spec
(``_generic``), which may be a 501. The fault injection and HTTP plumbing
live in ``_app``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import attrs

from . import _kloudless, _objects, _spiceworks
from ._call import Call, Handler, Reply
from ._clock import iso
from ._errors import ApiName, ApiProblem, ResponseContractError, error_body
from ._generic import derive
from ._real_world import RealWorld
from ._specs import ApiSpec, load_spec
from ._stats import Stats
from ._store import Store
from ._validation import Operation, SpecRequest, SpecResponse, check_request, find_operation, response_errors

#: The hand-written handlers of each API, by operationId.
HANDWRITTEN: Mapping[ApiName, Mapping[str, Handler]] = {
    "spiceworks": _spiceworks.HANDLERS,
    "kloudless": {**_kloudless.handlers(), **_objects.HANDLERS},
}

#: The ``Authorization`` schemes each API accepts (its spec's security schemes).
_SCHEMES: Mapping[ApiName, tuple[str, ...]] = {"spiceworks": ("bearer",), "kloudless": ("bearer", "apikey")}
_CHALLENGES: Mapping[ApiName, str] = {
    "spiceworks": 'Bearer realm="spiceworks"',
    "kloudless": 'Bearer, APIKey realm="kloudless"',
}


@attrs.frozen
class Answer:
    """A response ready to send: status, headers (no length) and body bytes."""

    status: int
    headers: Sequence[tuple[str, str]]
    body: bytes


@attrs.frozen
class Incoming:
    """The parts of a request the APIs read."""

    method: str
    path: str
    query: Sequence[tuple[str, str]]
    headers: Sequence[tuple[str, str]]
    body: bytes
    base_url: str

    def header(self, name: str) -> str:
        """A header's value, or the empty string."""
        return next((value for key, value in self.headers if key.lower() == name), "")


def authenticate(api: ApiName, incoming: Incoming) -> None:
    """Require ``Authorization: <scheme> <credential>`` with a scheme the API accepts.

    Any non-empty credential is accepted: the sandbox checks that one is
    sent, the way clients must send it, not what it is.

    Raises:
        ApiProblem: 401, with a ``WWW-Authenticate`` challenge (RFC 9110 section 11.6.1).
    """
    scheme, _, credential = incoming.header("authorization").strip().partition(" ")
    if scheme.lower() not in _SCHEMES[api] or not credential.strip():
        accepted = " or ".join(f"'{s.capitalize() if s == 'bearer' else 'APIKey'} <credential>'" for s in _SCHEMES[api])
        raise ApiProblem(
            401,
            "Missing or malformed credentials",
            [f"send an Authorization header of the form {accepted}"],
            headers={"WWW-Authenticate": _CHALLENGES[api]},
        )


def _json_ready(value: Any) -> Any:
    """A body openapi-core read from a form as JSON data: dates as text, bytes as base64 (RFC 4648)."""
    if isinstance(value, Mapping):
        return {str(key): _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _is_json(content_type: str) -> bool:
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


class Dispatcher:
    """Answers API requests with a handler for every operation of both specs.

    An operation with no hand-written handler gets one derived from its spec
    (``_generic``), or a 501 naming it; the sandbox never refuses to start.

    Args:
        store: The records.
        stats: Where requests and writes are counted.
        account_id: The Kloudless account served.
        clock: The time of a request.
        check_responses: Check every answer against the spec and raise
            :class:`ResponseContractError` for one that breaks it (never in
            real-world mode, whose answers break it on purpose).
        specs: The document of each API; the ones ``load_spec`` finds by default.
        real_world: Answer in the live servers' shapes (``_real_world``);
            requests are validated against the specs all the same.
    """

    def __init__(
        self,
        *,
        store: Store,
        stats: Stats,
        account_id: str,
        clock: Callable[[], datetime],
        check_responses: bool,
        specs: Mapping[ApiName, ApiSpec] | None = None,
        real_world: RealWorld | None = None,
    ) -> None:
        self._store = store
        self.real_world = real_world
        self._stats = stats
        self._account_id = account_id
        self._clock = clock
        self._check_responses = check_responses and real_world is None
        self.specs: Mapping[ApiName, ApiSpec] = specs or {api: load_spec(api) for api in HANDWRITTEN}
        self._handlers: dict[ApiName, Mapping[str, Handler]] = {}
        #: Why each operation answered with a 501 is not served, by API.
        self.unsupported: dict[ApiName, Mapping[str, str]] = {}
        for api, spec in self.specs.items():
            handwritten = {op: handler for op, handler in HANDWRITTEN[api].items() if op in spec.operation_ids}
            derived = derive(spec, handwritten.keys())
            for collection, indexes in derived.collections.items():
                store.add_collection(collection, indexes)
            self._handlers[api] = {**derived.handlers, **handwritten}
            self.unsupported[api] = derived.unsupported

    def answer(self, api: ApiName, incoming: Incoming, request_id: str, refuse: ApiProblem | None = None) -> Answer:
        """Answer one request, or refuse it with ``refuse`` (an injected 429 or 503).

        Args:
            api: The API the request is for.
            incoming: The request.
            request_id: Its id, for Kloudless error bodies.
            refuse: A refusal to send instead of handling the request.

        Returns:
            The answer: the operation's, or the API's error body.

        Raises:
            ResponseContractError: With response checking on, an answer the spec forbids.
        """
        spec = self.specs[api]
        self._stats.requests[api] += 1
        request = SpecRequest(
            spec,
            method=incoming.method,
            path=incoming.path,
            query=incoming.query,
            headers=incoming.headers,
            body=incoming.body,
        )
        operation: Operation | None = None
        try:
            try:
                operation = find_operation(spec, incoming.method, incoming.path)
            except ApiProblem as unknown:
                # Credentials come first, as at a gateway: 401 before 404.
                authenticate(api, incoming)
                raise unknown from None
            self._stats.requests[operation.operation_id] += 1
            self._stats.resources[operation.resource] += 1
            if refuse is not None:
                raise refuse
            authenticate(api, incoming)
            request.found = operation.found
            request.parameters.path = dict(operation.found.path_result.variables)
            checked = check_request(spec, request)
            if not incoming.body:
                body = None
            elif _is_json(request.content_type):
                body = json.loads(incoming.body)
            else:
                body = _json_ready(checked.body)
            call = Call(
                store=self._store,
                params=checked,
                body=body,
                base_url=incoming.base_url,
                account_id=self._account_id,
                now=self._clock(),
                on_write=self._stats.record_write,
                real_world=self.real_world,
                sent_query=frozenset(name for name, _ in incoming.query),
            )
            reply = self._handlers[api][operation.operation_id](call)
        except ApiProblem as problem:
            reply = Reply(problem.status, self._error_body(api, problem, request_id), problem.headers)
        answer = encode(reply)
        # A 501 of an operation the sandbox cannot serve is the sandbox's
        # limit, not a broken contract: the spec may declare no 5xx at all.
        not_served = operation is not None and answer.status == 501 and operation.operation_id in self.unsupported[api]
        if self._check_responses and operation is not None and not not_served:
            errors = response_errors(spec, request, SpecResponse(answer.status, answer.headers, answer.body))
            if errors:
                raise ResponseContractError(f"{incoming.method} {incoming.path} -> {answer.status}: {errors}")
        return answer

    def error(self, api: ApiName, problem: ApiProblem, request_id: str) -> Answer:
        """The answer of an error the API did not itself produce (an injected 5xx)."""
        return encode(Reply(problem.status, self._error_body(api, problem, request_id), problem.headers))

    def _error_body(self, api: ApiName, problem: ApiProblem, request_id: str) -> dict[str, Any]:
        return error_body(api, problem, request_id, real_world=self.real_world is not None)


def encode(reply: Reply) -> Answer:
    """A handler's reply as bytes: compact JSON, or nothing for 204."""
    headers = list(reply.headers.items())
    if reply.body is None:
        return Answer(reply.status, headers, b"")
    body: Any = json.dumps(reply.body, separators=(",", ":"), ensure_ascii=False).encode()
    return Answer(reply.status, [("content-type", "application/json"), *headers], body)
