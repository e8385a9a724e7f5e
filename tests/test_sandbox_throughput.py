"""What makes the sandbox fast stays invisible: checks built once, responses written in one piece.

Request validation keeps openapi-core's checks but builds each validator
once per schema; the served sandbox sends a response's head and body in one
write. Neither may change what is refused or what is sent.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from itsm_async.sandbox import Sandbox, SeedCounts
from itsm_async.sandbox import __main__ as command
from itsm_async.sandbox import _validation as validation
from itsm_async.sandbox._errors import ApiProblem
from itsm_async.sandbox._http import CoalescingHTTPProtocol, CoalescingTransport

AUTH = {"Authorization": "Bearer t"}


@pytest.fixture
async def http() -> Any:
    with Sandbox(check_responses=True) as sandbox:
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://sandbox.test") as client:
            yield client


def _unmarshaller_caches(sandbox: Sandbox) -> dict[str, dict[Any, Any]]:
    spec = sandbox.app._dispatcher.specs["spiceworks"]
    caches: dict[str, dict[Any, Any]] = spec.openapi.request_unmarshaller.__dict__["_itsm_caches"]
    return caches


async def test_a_value_refused_after_the_same_parameter_was_accepted(http: httpx.AsyncClient) -> None:
    # The first request builds and keeps the validators of listTickets; later ones reuse them.
    assert (await http.get("/api/v1/tickets", params={"per_page": 5}, headers=AUTH)).status_code == 200
    for bad in ("0", "abc", "101"):
        response = await http.get("/api/v1/tickets", params={"per_page": bad}, headers=AUTH)
        assert response.status_code == 422, bad
        assert any("per_page" in detail for detail in response.json()["details"]), response.json()
    assert (await http.get("/api/v1/tickets", params={"per_page": 7}, headers=AUTH)).json()["meta"]["per_page"] == 7


async def test_a_body_refused_after_a_good_one(http: httpx.AsyncClient) -> None:
    good = await http.post("/api/v1/tickets", json={"summary": "Printer"}, headers=AUTH)
    assert good.status_code == 201
    bad = await http.post("/api/v1/tickets", json={"summary": "Printer", "priority": "urgent!"}, headers=AUTH)
    assert bad.status_code == 422
    assert any("priority" in detail for detail in bad.json()["details"])
    missing = await http.post("/api/v1/tickets", json={"description": "no summary"}, headers=AUTH)
    assert missing.status_code == 422


def test_validators_are_built_once_per_schema() -> None:
    with Sandbox() as sandbox:
        transport = sandbox.transport()

        async def fetch(times: int) -> None:
            async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as client:
                for number in range(1, times + 1):
                    response = await client.get(f"/api/v1/tickets/{number}", headers=AUTH)
                    assert response.status_code == 200

        asyncio.run(fetch(1))
        built = {name: dict(cache) for name, cache in _unmarshaller_caches(sandbox).items()}
        assert built["validators"], "the first request built no validator"
        asyncio.run(fetch(20))
        after = _unmarshaller_caches(sandbox)
        for name, cache in built.items():
            # The same objects, none added: twenty more requests built nothing.
            assert {key: id(value) for key, value in after[name].items()} == {
                key: id(value) for key, value in cache.items()
            }, name


def test_the_operations_found_stay_bounded() -> None:
    with Sandbox() as sandbox:
        spec = sandbox.app._dispatcher.specs["spiceworks"]
        spec.found.clear()
        for number in range(validation._FOUND_PATHS + 10):
            operation = validation.find_operation(spec, "GET", f"/api/v1/tickets/{number}")
            assert operation.operation_id == "getTicket"
            assert operation.found.path_result.variables == {"id": str(number)}
        assert 0 < len(spec.found) <= validation._FOUND_PATHS
        # A cached find answers as a fresh one does, and 404 and 405 are never kept.
        again = validation.find_operation(spec, "GET", "/api/v1/tickets/3")
        assert again.found.path_result.variables == {"id": "3"}
        for method, path, status in (("GET", "/api/v1/nowhere", 404), ("DELETE", "/api/v1/tickets/3", 405)):
            with pytest.raises(ApiProblem) as refused:
                validation.find_operation(spec, method, path)
            assert refused.value.status == status
            assert (method.lower(), path) not in spec.found


class _Recorder(asyncio.Transport):
    """A transport that records each write and whether it was closed."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 1)}.get(name, default)


async def test_writes_of_one_turn_leave_together() -> None:
    inner = _Recorder()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(b"")
    transport.writelines([b'{"ticket":', b"{}}"])
    assert inner.writes == []
    assert transport.get_write_buffer_size() == len(b'HTTP/1.1 200 OK\r\n\r\n{"ticket":{}}')
    await asyncio.sleep(0)
    assert inner.writes == [b'HTTP/1.1 200 OK\r\n\r\n{"ticket":{}}']
    transport.write(b"next")
    await asyncio.sleep(0)
    assert inner.writes[1:] == [b"next"]
    # Other attributes are the transport's own.
    assert transport.get_extra_info("peername") == ("127.0.0.1", 1)


async def test_close_sends_what_is_queued_first() -> None:
    inner = _Recorder()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"half a bo")
    transport.close()
    assert inner.writes == [b"half a bo"]
    assert inner.closed
    transport.write(b"late")
    await asyncio.sleep(0)
    assert inner.writes == [b"half a bo"], "nothing is written to a closed transport"


async def _served(protocol_class: type[H11Protocol], request: bytes) -> _Recorder:
    """What one protocol instance writes while answering ``request`` from the sandbox app."""
    with Sandbox() as sandbox:
        config = uvicorn.Config(sandbox.app, lifespan="off", log_level="warning")
        inner = _Recorder()
        protocol = protocol_class(config, ServerState(), {})
        protocol.connection_made(inner)
        protocol.data_received(request)
        for _ in range(100):
            if protocol.cycle is not None and protocol.cycle.response_complete:
                break
            await asyncio.sleep(0)
        await asyncio.sleep(0)  # the turn after the response: the coalesced write goes out
        protocol.connection_lost(None)
        return inner


_GET = b"GET /api/v1/tickets/1 HTTP/1.1\r\nHost: sandbox.test\r\nAuthorization: Bearer t\r\n\r\n"


async def test_a_served_response_is_one_write() -> None:
    plain = await _served(H11Protocol, _GET)
    coalesced = await _served(CoalescingHTTPProtocol, _GET)
    # uvicorn's own protocol writes the head, then the body: the case this protocol exists for.
    assert len(plain.writes) >= 2
    assert len(coalesced.writes) == 1
    assert coalesced.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    head, _, body = coalesced.writes[0].partition(b"\r\n\r\n")
    assert b"content-length: " + str(len(body)).encode() in head.lower()
    assert b"".join(plain.writes).partition(b"\r\n\r\n")[2] == body


def test_the_command_line_serves_through_the_coalescing_protocol() -> None:
    with Sandbox(counts=SeedCounts(users=3, tickets=1)) as sandbox:
        config = command.uvicorn_config(sandbox, log_level="warning")
        config.load()
        assert config.http_protocol_class is CoalescingHTTPProtocol
        assert config.loaded_app is not None
