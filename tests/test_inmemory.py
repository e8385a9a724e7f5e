"""A response whose body is in memory is read as httpx's ``Response.read`` reads it (``_inmemory.py``)."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable

import httpx
import pytest

from itsm_async import _inmemory
from itsm_async._inmemory import read_in_memory

REQUEST = httpx.Request("GET", "http://127.0.0.1/api/v1/tickets/7")
BODIES = [b"", b"{}", json.dumps({"ticket": {"id": 7, "summary": "caf\u00e9 \u2603"}}).encode(), b"\x00\xff" * 3000]


def _response(body: bytes, headers: list[tuple[str, str]] | None = None) -> httpx.Response:
    return httpx.Response(200, headers=headers or [], stream=httpx.ByteStream(body), request=REQUEST)


def _state(response: httpx.Response) -> dict[str, object]:
    state = dict(vars(response))
    state.pop("_decoder", None)
    state["stream"] = type(state["stream"])
    return state


def test_the_direct_read_is_used_on_this_httpx() -> None:
    # Should this fail after an httpx upgrade, every response is read by httpx: correct, only slower.
    assert _inmemory._DIRECT


@pytest.mark.parametrize("body", BODIES, ids=lambda body: f"{len(body)} bytes")
@pytest.mark.parametrize("content_type", ["application/json", "text/plain; charset=latin-1", None])
def test_a_response_is_left_as_httpx_leaves_it(body: bytes, content_type: str | None) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    mine, theirs = _response(body, headers), _response(body, headers)
    read_in_memory(mine)
    theirs.read()
    assert _state(mine) == _state(theirs)
    assert (mine.content, mine.text, mine.is_closed, mine.is_stream_consumed) == (
        theirs.content,
        theirs.text,
        True,
        True,
    )
    assert mine.num_bytes_downloaded == len(body)
    assert mine.read() == body
    assert b"".join(mine.iter_bytes()) == body


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("identity", bytes)],
)
def test_an_encoded_body_is_decoded_by_httpx(encoding: str, encode: Callable[[bytes], bytes]) -> None:
    body = json.dumps({"tickets": list(range(100))}).encode()
    response = _response(encode(body), [("Content-Encoding", encoding)])
    read_in_memory(response)
    assert response.content == body
    assert response.json() == {"tickets": list(range(100))}


def test_an_undecodable_body_raises_as_httpx_raises() -> None:
    response = _response(b"not gzip at all", [("Content-Encoding", "gzip")])
    with pytest.raises(httpx.DecodingError):
        read_in_memory(response)


def test_a_closed_or_read_response_behaves_as_httpx_makes_it() -> None:
    closed = _response(b"{}")
    closed.close()
    with pytest.raises(httpx.StreamClosed):
        read_in_memory(closed)
    read = _response(b"{}")
    read.read()
    read_in_memory(read)
    assert read.content == b"{}"


def test_the_check_turns_the_direct_read_off_when_it_differs(monkeypatch: pytest.MonkeyPatch) -> None:
    def incomplete(response: httpx.Response, stream: httpx.ByteStream) -> None:
        response._content = b"".join(stream)  # left unclosed: not what httpx leaves

    monkeypatch.setattr(_inmemory, "_read_directly", incomplete)
    assert not _inmemory._direct_read_works()
    monkeypatch.setattr(_inmemory, "_DIRECT", False)
    response = _response(b'{"a": 1}')
    read_in_memory(response)
    assert response.is_closed
    assert response.json() == {"a": 1}
