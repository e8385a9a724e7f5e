"""A canned Spiceworks server on loopback, for the peer benchmark (``bench_peers.py``).

    python tests/bench/canned_server.py [--port PORT]

Prints ``listening on http://127.0.0.1:PORT`` once it accepts connections,
then serves until it is terminated. It answers two operations of the
Spiceworks spec with bodies that fit its schemas:

- ``GET <prefix>/api/v1/tickets/{id}``: a ``TicketDetail`` with two comments;
- ``GET <prefix>/api/v1/tickets?page=P&per_page=K``: page P of the
  collection, with ``meta`` (an empty page past the last).

The prefix ``/total/<N>/latency/<MS>`` names the collection's size and the
delay before each answer, so that one server serves every workload: a
client's base URL is ``http://127.0.0.1:PORT/total/10000/latency/20``. A
request without an ``Authorization`` header is a 401.

It must never be the bottleneck of what it measures: it is a bare asyncio
protocol (no framework; of a request it reads the request line, the
headers it needs and the end of the body),
each distinct request target is rendered once and its response bytes are
kept, and every response goes out in one write (asyncio sets TCP_NODELAY),
so a kept-alive client never waits on Nagle's algorithm. The delay is a
timer, so delayed answers overlap as they would on a real server.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import re
import sys
from typing import Any
from urllib.parse import parse_qs

_TARGET = re.compile(rb"^/total/(\d+)/latency/(\d+)(/api/v1/tickets(?:/(\d+))?)(?:\?(.*))?$")
_STATUSES = ("open", "in_progress", "closed")
_PRIORITIES = ("low", "medium", "high", "urgent")


def _user(user_id: int, first: str, last: str) -> dict[str, Any]:
    return {"id": user_id, "first_name": first, "last_name": last, "email": f"{first.lower()}@example.com"}


def ticket(ticket_id: int) -> dict[str, Any]:
    """A ``Ticket`` as a list page holds it: every field of the schema set."""
    return {
        "id": ticket_id,
        "summary": f"Printer {ticket_id} on the third floor is out of toner",
        "status": _STATUSES[ticket_id % 3],
        "priority": _PRIORITIES[ticket_id % 4],
        "assignee": _user(7, "Ada", "Lovelace"),
        "creator": _user(100 + ticket_id % 50, "Grace", "Hopper"),
        "created_at": "2026-11-02T09:15:00Z",
        "updated_at": "2026-11-03T10:20:30Z",
        "due_date": "2026-12-01",
    }


def ticket_detail(ticket_id: int) -> dict[str, Any]:
    """A ``TicketDetail``: the ticket, its description, two comments and tags."""
    comments = [
        {
            "id": ticket_id * 10 + n,
            "body": f"Comment {n} on ticket {ticket_id}",
            "is_public": n == 1,
            "author": _user(7, "Ada", "Lovelace"),
            "created_at": "2026-11-02T10:00:00Z",
        }
        for n in (1, 2)
    ]
    return {
        **ticket(ticket_id),
        "description": "The toner light is on and prints come out blank.",
        "comments": comments,
        "tags": ["printer", "third-floor"],
    }


def _response(status: str, body: dict[str, Any]) -> bytes:
    content = json.dumps(body, separators=(",", ":")).encode()
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(content)}\r\n\r\n"
    return head.encode() + content


_UNAUTHORIZED = _response("401 Unauthorized", {"error": "missing Authorization header"})
_NOT_FOUND = _response("404 Not Found", {"error": "no such route"})
_NOT_ALLOWED = _response("405 Method Not Allowed", {"error": "only GET is served"})
_BAD_REQUEST = _response("400 Bad Request", {"error": "a chunk size that is not hexadecimal"})


def _int(query: dict[str, list[str]], name: str, default: int) -> int:
    values = query.get(name)
    return int(values[0]) if values and values[0].isdigit() else default


def render(target: bytes) -> tuple[bytes, float]:
    """The response bytes for a GET of ``target`` and the delay before they are sent."""
    match = _TARGET.match(target)
    if match is None:
        return _NOT_FOUND, 0.0
    total, delay = int(match[1]), int(match[2]) / 1000
    if match[4] is not None:
        return _response("200 OK", {"ticket": ticket_detail(int(match[4]))}), delay
    query = parse_qs((match[5] or b"").decode())
    page, per_page = max(_int(query, "page", 1), 1), max(_int(query, "per_page", 25), 1)
    first = (page - 1) * per_page + 1
    tickets = [ticket(n) for n in range(first, min(first + per_page, total + 1))]
    meta = {
        "current_page": page,
        "total_pages": max(-(-total // per_page), 1),
        "total_count": total,
        "per_page": per_page,
    }
    return _response("200 OK", {"tickets": tickets, "meta": meta}), delay


_CHUNKED = re.compile(rb"\r\ntransfer-encoding:[^\r]*chunked")
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)")


def body_end(lowered_head: bytes, buffer: bytes) -> int:
    """Where the body of the request with this (lowercased) head ends in ``buffer``; -1 while incomplete.

    RFC 9112, section 6: a chunked body runs to its zero-size chunk and the
    empty line after its trailers; otherwise ``Content-Length`` bytes, or none.

    Raises:
        ValueError: A chunk size that is not hexadecimal.
    """
    if _CHUNKED.search(lowered_head) is None:
        match = _CONTENT_LENGTH.search(lowered_head)
        length = int(match[1]) if match else 0
        return length if len(buffer) >= length else -1
    position = 0
    while (line_end := buffer.find(b"\r\n", position)) >= 0:
        size = int(buffer[position:line_end].partition(b";")[0], 16)
        if size == 0:
            end = buffer.find(b"\r\n\r\n", line_end)
            return end + 4 if end >= 0 else -1
        position = line_end + 2 + size + 2
    return -1


class CannedHttp(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, one connection; responses come from a shared cache.

    Request bodies are read and dropped (a client may send an empty chunked
    body even with a GET). Responses leave in the order of their requests,
    each no sooner than its delay after its request came in.
    """

    def __init__(self, cache: dict[bytes, tuple[bytes, float]]) -> None:
        self._cache = cache
        self._buffer = b""
        self._head: tuple[bytes, bytes] | None = None  # (head, lowercased) while its body is read
        self._transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()
        self._queue: collections.deque[tuple[float, bytes, bool]] = collections.deque()
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            if self._head is None:
                end = self._buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                head, self._buffer = self._buffer[:end], self._buffer[end + 4 :]
                self._head = head, head.lower()
            try:
                end = body_end(self._head[1], self._buffer)
            except ValueError:
                self._queue.clear()
                self._send(_BAD_REQUEST, close=True)
                return
            if end < 0:
                return
            self._buffer = self._buffer[end:]
            (head, lowered), self._head = self._head, None
            self._answer(head, lowered)

    def _answer(self, head: bytes, lowered: bytes) -> None:
        request_line = head.partition(b"\r\n")[0]
        method, _, rest = request_line.partition(b" ")
        target = rest.rpartition(b" ")[0]
        close = b"\r\nconnection: close" in lowered
        if method != b"GET":
            self._reply(_NOT_ALLOWED, 0.0, close)
        elif b"\r\nauthorization:" not in lowered:
            self._reply(_UNAUTHORIZED, 0.0, close)
        else:
            cached = self._cache.get(target)
            if cached is None:
                cached = self._cache[target] = render(target)
            self._reply(cached[0], cached[1], close)

    def _reply(self, response: bytes, delay: float, close: bool) -> None:
        if not delay and not self._queue:
            self._send(response, close)
            return
        self._queue.append((self._loop.time() + delay, response, close))
        if self._timer is None:
            self._timer = self._loop.call_at(self._queue[0][0], self._flush)

    def _flush(self) -> None:
        self._timer = None
        now = self._loop.time()
        while self._queue and self._queue[0][0] <= now:
            _, response, close = self._queue.popleft()
            self._send(response, close)
        if self._queue:
            self._timer = self._loop.call_at(self._queue[0][0], self._flush)

    def _send(self, response: bytes, close: bool) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        transport.write(response)
        if close:
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._queue.clear()


async def serve(port: int) -> None:
    """Serve on 127.0.0.1:``port`` (0: any free port) until cancelled."""
    cache: dict[bytes, tuple[bytes, float]] = {}
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: CannedHttp(cache), "127.0.0.1", port, backlog=1024)
    bound = server.sockets[0].getsockname()[1]
    print(f"listening on http://127.0.0.1:{bound}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="the loopback port (default: any free one)")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.port))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
