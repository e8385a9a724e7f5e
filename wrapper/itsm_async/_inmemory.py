"""Reading a response whose body the transport already holds in memory.

httpx reads every response through its streaming path: a generator over the
raw stream, a chunker, the content decoder and a request context for errors.
For a small JSON answer that costs as much as building the response. A body
already in memory (an ``httpx.ByteStream``) with no ``Content-Encoding`` to
undo needs none of it, so :func:`read_in_memory` leaves the response in the
state httpx's ``Response.read`` would.

That state is not public: it is checked once at import against httpx's own
``read`` (every attribute of a response read both ways, and what reading it
again, iterating it or closing it gives), and when the check fails (a
future httpx), every response is read by httpx.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import httpx


def _read_directly(response: httpx.Response, stream: httpx.ByteStream) -> None:
    """What ``Response.read`` leaves on a response with an in-memory, unencoded body (not public: see above)."""
    content = b"".join(stream)  # a ByteStream yields its bytes, once
    response._content = content
    response._num_bytes_downloaded = len(content)
    response.is_stream_consumed = True
    response.is_closed = True


def _result(coroutine: Coroutine[Any, Any, bytes]) -> bytes | None:
    """What a coroutine that never waits returns, run without an event loop (None if it waits)."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        result: bytes = stop.value
        return result
    coroutine.close()
    return None


def _direct_read_works() -> bool:
    """Whether reading directly leaves a response exactly as httpx's ``read`` does, on this httpx."""
    request = httpx.Request("GET", "http://127.0.0.1/x")
    bodies = [b'{"ticket": {"id": 7, "summary": "caf\xc3\xa9"}}', b"", b"plain text"]
    headers = [("Content-Type", "application/json"), ("Content-Length", "40")]
    try:
        for body in bodies:
            read, direct = (
                httpx.Response(200, headers=headers, stream=httpx.ByteStream(body), request=request) for _ in "ab"
            )
            read.read()
            stream = direct.stream
            assert isinstance(stream, httpx.ByteStream)
            _read_directly(direct, stream)
            mine, theirs = dict(vars(direct)), dict(vars(read))
            # httpx keeps the content decoder it read with; without one it makes one when asked.
            theirs.pop("_decoder", None)
            if mine.keys() != theirs.keys() or type(mine.pop("stream")) is not type(theirs.pop("stream")):
                return False
            if mine != theirs or direct.num_bytes_downloaded != read.num_bytes_downloaded:
                return False
            if direct.read() != body or b"".join(direct.iter_bytes()) != body or direct.text != read.text:
                return False
            if _result(direct.aread()) != body:
                return False
            direct.close()
            if not direct.is_closed or direct.content != body:
                return False
    except Exception:  # noqa: BLE001 - any failure means: let httpx read
        return False
    return True


_DIRECT = _direct_read_works()


def read_in_memory(response: httpx.Response) -> None:
    """Read ``response``, whose stream is an ``httpx.ByteStream``, as ``response.read()`` would."""
    stream = response.stream
    if (
        _DIRECT
        and type(stream) is httpx.ByteStream
        and not response.is_stream_consumed
        and not response.is_closed
        and "content-encoding" not in response.headers
    ):
        _read_directly(response, stream)
    else:
        response.read()
