"""JSON bodies: orjson reads them when it can, and the result is always what json would give."""

from __future__ import annotations

import json
from types import ModuleType

import pytest

import kloudless_itsm_client.types
import spiceworks_client.types

BODIES = [
    b'{"ticket": {"id": 1, "summary": "Printer", "tags": ["a", "b"], "cost": 12.5, "ok": true, "none": null}}',
    b'{"n": 123456789012345678901234567890}',  # beyond 64 bits: orjson would read a float
    b'{"n": 18446744073709551615, "m": -9223372036854775808}',  # 64-bit limits
    b'{"n": 9223372036854775807, "s": "12345678901234567890"}',
    b'{"x": NaN, "y": Infinity, "z": -Infinity}',  # not JSON, but json (and so httpx) reads it
    b'{"s": "\\ud800"}',  # a lone surrogate
    '{"s": "crème"}'.encode("utf-16"),  # json detects UTF-16; orjson reads UTF-8 only
    b'{"k": 1, "k": 2}',  # a repeated key: the last one wins in both
    b"[1, 2.5e300, -0.0, 1e-320]",
    b'  {"spaced": "out"}\n',
]
NOT_JSON = [b"", b"<html>", b'{"a": 1', b"\xff\xfe\x00"]
TYPES = [spiceworks_client.types, kloudless_itsm_client.types]


@pytest.fixture(params=TYPES, ids=lambda module: module.__name__)
def types(request: pytest.FixtureRequest) -> ModuleType:
    module: ModuleType = request.param
    return module


@pytest.fixture(params=["orjson", "json only"])
def decoder(request: pytest.FixtureRequest, types: ModuleType, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    if request.param == "json only":
        monkeypatch.setattr(types, "_fast_loads", None)
    else:
        assert types._fast_loads is not None  # orjson is installed with the wrapper
    return types


@pytest.mark.parametrize("body", BODIES)
def test_a_body_reads_as_json_reads_it(decoder: ModuleType, body: bytes) -> None:
    read = decoder.decode_json(body)
    expected = json.loads(body)
    assert json.dumps(read) == json.dumps(expected)  # NaN != NaN, so compared as text
    assert type(read) is type(expected)


def test_a_page_of_short_numbers_is_read_by_orjson(types: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bytes] = []
    fast = types._fast_loads

    def counting(content: bytes) -> object:
        calls.append(content)
        return fast(content)

    monkeypatch.setattr(types, "_fast_loads", counting)
    body = json.dumps({"tickets": [{"id": n, "cost": n / 3} for n in range(100)]}).encode()
    assert types.decode_json(body) == json.loads(body)
    assert calls == [body]


@pytest.mark.parametrize("body", NOT_JSON)
def test_not_json_raises_what_json_raises(decoder: ModuleType, body: bytes) -> None:
    raised = []
    for decode in (decoder.decode_json, json.loads):
        try:
            decode(body)
        except ValueError as exc:  # json.JSONDecodeError, UnicodeDecodeError
            raised.append(exc)
    assert len(raised) == 2
    assert type(raised[0]) is type(raised[1])
    assert str(raised[0]) == str(raised[1])
