"""The ASGI application: both APIs and the admin endpoints, with faults around them.

Paths under ``/api/`` are Spiceworks, under ``/v1/`` Kloudless, under
``/_sandbox/`` the admin endpoints. Every response carries an
``X-Request-Id``. The application is plain ASGI rather than a framework's
route table because a ``drop`` fault must send part of a body and then
break the connection, which only the raw ``send`` can do.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

import attrs

from ._api import Answer, Dispatcher, Incoming
from ._clock import Sleep, loop_sleep
from ._errors import ApiName, ApiProblem
from ._faults import BEFORE_HANDLING, ConnectionDropped, FaultInjector
from ._stats import Stats

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_GARBAGE = b"<html><head><title>502 Proxy Error</title></head><body><h1>Proxy Error</h1></body></html>"


def _api_of(path: str) -> ApiName | None:
    if path.startswith("/api/"):
        return "spiceworks"
    if path.startswith("/v1/"):
        return "kloudless"
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _base_url(scope: Scope) -> str:
    headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
    host = headers.get("host")
    if host is None:
        server = scope.get("server") or ("localhost", None)
        host = server[0] if server[1] in (None, 80, 443) else f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}"


def _without_meta(answer: Answer) -> Answer:
    """``answer`` without the ``meta`` of a JSON object body (the rest byte for byte when it has none)."""
    if not 200 <= answer.status < 300 or not answer.body.startswith(b"{"):
        return answer
    body = json.loads(answer.body)
    if not isinstance(body, dict) or "meta" not in body:
        return answer
    del body["meta"]
    return attrs.evolve(answer, body=json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())


async def _start(send: Send, answer: Answer, length: int) -> None:
    headers = [(key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in answer.headers]
    headers.append((b"content-length", str(length).encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})


class SandboxApp:
    """Serves the Spiceworks and Kloudless APIs, the admin endpoints, and injected faults.

    Args:
        dispatcher: Answers API requests.
        faults: Decides the fault of each API request.
        stats: Where response statuses and requests in flight are counted.
        admin: The ASGI app of ``/_sandbox/`` paths.
        latency: Seconds every API answer is held before it is sent.
        sleep: How to wait (the loop's clock by default, see ``_clock``).
    """

    def __init__(
        self,
        *,
        dispatcher: Dispatcher,
        faults: FaultInjector,
        stats: Stats,
        admin: ASGIApp,
        latency: float = 0.0,
        sleep: Sleep = loop_sleep,
    ) -> None:
        self._dispatcher = dispatcher
        self._faults = faults
        self._stats = stats
        self._admin = admin
        #: Seconds every API answer is held before it is sent (settable at any time).
        self.latency = latency
        self._sleep = sleep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        path: str = scope["path"]
        api = _api_of(path)
        if api is None:
            await self._admin(scope, receive, tagged)
            return
        body = await _read_body(receive)
        with self._stats.in_flight_request(api):
            await self._serve(api, scope, body, request_id, tagged)

    async def _serve(self, api: ApiName, scope: Scope, body: bytes, request_id: str, send: Send) -> None:
        method: str = scope["method"]
        incoming = Incoming(
            method=method,
            path=scope["path"],
            query=parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True),
            headers=[(key.decode("latin-1"), value.decode("latin-1")) for key, value in scope["headers"]],
            body=body,
            base_url=_base_url(scope),
        )
        config = self._faults.config
        fault = self._faults.draw(method, incoming.path)
        refuse = None
        if fault in BEFORE_HANDLING:
            # The request is refused unhandled, as the Retry-After says.
            retry_after = f"{config.retry_after:g}"
            refuse = ApiProblem(int(fault), details=[f"injected fault {fault}"], headers={"Retry-After": retry_after})
        if fault == "ignore_page":
            incoming = attrs.evolve(incoming, query=[(name, value) for name, value in incoming.query if name != "page"])
        answer = self._dispatcher.answer(api, incoming, request_id, refuse)
        if fault == "ignore_page":
            answer = _without_meta(answer)
        if fault in ("500", "502", "504"):
            # Handled, then the answer is lost: the change has been made.
            answer = self._dispatcher.error(
                api, ApiProblem(int(fault), details=[f"injected fault {fault}"]), request_id
            )
        self._stats.statuses[answer.status] += 1
        body_out = answer.body
        if self.latency:
            await self._sleep(self.latency)
        if fault == "slow":
            await self._sleep(config.delay)
        elif fault == "stall":
            await self._sleep(config.stall)
        elif fault == "truncate":
            body_out = answer.body[: len(answer.body) // 2]
        elif fault == "garbage":
            # A 204 may carry no body (RFC 9110 section 15.3.5): the proxy page comes as a 200.
            answer = Answer(200 if answer.status == 204 else answer.status, [("content-type", "text/html")], _GARBAGE)
            body_out = answer.body
        elif fault == "drop":
            await _start(send, answer, len(answer.body))
            await send({"type": "http.response.body", "body": answer.body[: len(answer.body) // 2], "more_body": True})
            raise ConnectionDropped(f"injected fault: connection dropped during {method} {incoming.path}")
        await _start(send, answer, len(body_out))
        await send({"type": "http.response.body", "body": body_out})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
