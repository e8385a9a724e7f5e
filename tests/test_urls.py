"""Request URLs: the client's short route gives exactly the URL httpx's own client builds."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest

from itsm_async import SpiceworksClient, _urls
from itsm_async._urls import UrlJoiner
from spiceworks_client.types import Operation
from tests import bodies

_OPERATION = Operation(name="probe", operation_id="probe", method="GET", route="/probe", group="tickets")

BASES = [
    "https://sw.test",
    "https://kl.test/v1",
    "https://kl.test/v1/",
    "http://127.0.0.1:8080/total/10/latency/0",
    "https://[::1]:8443/base%20path/",
    "https://h.test/a?dropped=1",
]
PATHS = [
    "/api/v1/tickets/42",
    "/api/v1/tickets",
    "/accounts/a%2Fb/cr%C3%A8me",
    "/x/",
    "",
    "/a/../b",
    "/a/./b",
    "/.well-known/x",
    "/a b",
    "/é",
    "/a%zz",
    "/q?x=1",
    "/[x]",
    "//double",
    "/a:b@c!$&'()*+,;=",
]
PARAMS: list[dict[str, Any] | None] = [
    None,
    {},
    {"page": 2, "per_page": 100},
    {"on": True, "off": False, "q": "a b&c=d", "many": ["1", "2"]},
    {"unicode": "crème", "empty": ""},
]


def httpx_url(base: str, path: str, params: dict[str, Any] | None) -> httpx.URL:
    """What httpx's client makes of a base URL, a relative URL and params."""
    return httpx.AsyncClient(base_url=base).build_request("GET", path, params=params).url


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("params", PARAMS, ids=lambda p: repr(p)[:20])
def test_a_joined_url_is_httpxs(base: str, path: str, params: dict[str, Any] | None) -> None:
    joined = UrlJoiner(httpx.URL(base)).join(path, params)
    if joined is None:  # left to httpx's client
        return
    expected = httpx_url(base, path, params)
    assert joined == expected
    assert str(joined) == str(expected)
    assert joined.raw_path == expected.raw_path


def test_the_generated_paths_take_the_short_route() -> None:
    joiner = UrlJoiner(httpx.URL("https://kl.test/v1"))
    for path in ("/api/v1/tickets/42", "/accounts/a%2Fb/cr%C3%A8me", "/api/v1/tickets", ""):
        assert joiner.join(path) is not None, path
    for path in ("/a/../b", "/a/./b", "/a b", "/é", "/a%zz", "/q?x=1", "//double", "/[x]"):
        assert joiner.join(path) is None, path
    assert UrlJoiner(httpx.URL("https://h.test/a?dropped=1")).join("/x") is None


@pytest.mark.parametrize("path", PATHS)
async def test_the_client_sends_what_httpx_would_for_every_path(path: str) -> None:
    seen: list[httpx.URL] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json={"ticket": bodies.ticket(1)})

    async with SpiceworksClient(
        token="t", base_url="https://kl.test/v1", transport=httpx.MockTransport(server)
    ) as client:
        await client.invoke(
            _OPERATION, lambda: {"method": "get", "url": path, "params": {"page": 2}}, lambda r: r, lambda r: None
        )
    assert [str(url) for url in seen] == [str(httpx_url("https://kl.test/v1", path, {"page": 2}))]


def test_random_paths_join_as_httpx_joins_them() -> None:
    alphabet = "abcXYZ019-._~!$&'()*+,;=:@/%2Fé ?#[]"
    rng = random.Random(9)  # fixed: a failure is reproducible
    joiner = UrlJoiner(httpx.URL("https://h.test/v1/"))
    short = 0
    for _ in range(3000):
        path = "/" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        joined = joiner.join(path, {"p": path})
        if joined is not None:
            short += 1
            assert str(joined) == str(httpx_url("https://h.test/v1/", path, {"p": path})), path
    assert short > 100  # the comparison ran


def test_the_short_route_is_checked_on_this_httpx() -> None:
    assert _urls._short_route_works()


def test_without_the_short_route_httpx_builds_every_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_urls, "_SHORT_ROUTE", False)
    assert UrlJoiner(httpx.URL("https://sw.test")).join("/api/v1/tickets/42", {"page": 2}) is None


def test_a_changed_httpx_turns_the_short_route_off(monkeypatch: pytest.MonkeyPatch) -> None:
    # A future httpx whose URLs the short route would build wrongly.
    monkeypatch.setattr(_urls, "_fast_join", lambda *args: httpx.URL("https://elsewhere.test/"))
    assert not _urls._short_route_works()
    monkeypatch.setattr(_urls, "_fast_join", lambda *args: 1 / 0)
    assert not _urls._short_route_works()
