"""Numbers in Spiceworks ids and pages: ASCII digits only, and none past what a store holds.

``int()`` reads ``٣`` as 3, so ``/tickets/٣`` fetched ticket 3; ``²`` fails
``int()``; a 23-digit id or page overflowed SQLite's 64-bit INTEGER, a 500.
Digits the API never writes name no record: a 404 where the operation
documents one (every Spiceworks item path). A page in such digits is a 400
where the operation documents one (every Kloudless operation) and otherwise
the 422 it documents (Spiceworks lists document no 400); a page past 64 bits
is a page past the last, empty. What is no number at all (``abc``, `` 3``)
stays the spec's 422. The sandboxes check every answer against the spec, in
memory and in SQLite alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from itsm_async.sandbox import IN_PROCESS_URL, Sandbox, SeedCounts
from itsm_async.sandbox._casting import foreign_number

AUTH = {"Authorization": "Bearer t"}
COUNTS = SeedCounts(users=5, tickets=12, devices=4, incidents=3, problems=1, changes=1, articles=1, assets=1, objects=1)

# Each would alias or break something: "٣" and fullwidth nine are 3 and 9 to int(), "²" is a digit to
# str.isdigit() that int() refuses, 23 digits overflow SQLite and 5,000 pass int()'s digit limit.
FOREIGN = {
    "arabic-indic": "٣",
    "fullwidth": "\uff19",
    "superscript": "²",
    "signed-arabic-indic": "-٣",
    "plus-sign": "+3",
    "5000-digits": "9" * 5000,
}
TOO_LARGE = {"23-digits": "9" * 23, "2**63": str(2**63), "negative-23-digits": "-" + "9" * 23}


@pytest.fixture(params=["memory", "sqlite"])
async def http(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    db = tmp_path / "numbers.db" if request.param == "sqlite" else None
    with Sandbox(counts=COUNTS, db_path=db, check_responses=True) as sandbox:
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url=IN_PROCESS_URL, headers=AUTH) as client:
            yield client


def _spiceworks_error(response: httpx.Response, status: int) -> list[str]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body.keys() == {"error", "details"}
    assert body["details"]
    details: list[str] = body["details"]
    return details


ID_PATHS = ("/api/v1/tickets/{}", "/api/v1/tickets/{}/comments", "/api/v1/devices/{}", "/api/v1/users/{}")


@pytest.mark.parametrize("template", ID_PATHS)
@pytest.mark.parametrize("number", list(FOREIGN.values()), ids=list(FOREIGN))
async def test_ids_in_foreign_digits_are_404(http: httpx.AsyncClient, template: str, number: str) -> None:
    details = _spiceworks_error(await http.get(template.format(number)), 404)
    assert any("names no record" in detail for detail in details), details


@pytest.mark.parametrize("template", ID_PATHS)
@pytest.mark.parametrize("number", list(TOO_LARGE.values()), ids=list(TOO_LARGE))
async def test_ids_past_64_bits_are_404(http: httpx.AsyncClient, template: str, number: str) -> None:
    details = _spiceworks_error(await http.get(template.format(number)), 404)
    assert any(number in detail for detail in details), details


@pytest.mark.parametrize("number", [*FOREIGN.values(), *TOO_LARGE.values()], ids=[*FOREIGN, *TOO_LARGE])
async def test_writes_to_such_ids_are_404(http: httpx.AsyncClient, number: str) -> None:
    _spiceworks_error(await http.put(f"/api/v1/tickets/{number}", json={"summary": "x"}), 404)
    _spiceworks_error(await http.post(f"/api/v1/tickets/{number}/comments", json={"body": "x"}), 404)


@pytest.mark.parametrize("parameter", ["page", "per_page"])
@pytest.mark.parametrize("number", list(FOREIGN.values()), ids=list(FOREIGN))
async def test_spiceworks_pages_in_foreign_digits_are_the_documented_422(
    http: httpx.AsyncClient, parameter: str, number: str
) -> None:
    for path in ("/api/v1/tickets", "/api/v1/devices"):
        details = _spiceworks_error(await http.get(path, params={parameter: number}), 422)
        assert any(parameter in detail for detail in details), details


@pytest.mark.parametrize("number", list(FOREIGN.values()), ids=list(FOREIGN))
async def test_kloudless_page_sizes_in_foreign_digits_are_400(http: httpx.AsyncClient, number: str) -> None:
    response = await http.get("/v1/accounts/123/itsm/incidents", params={"page_size": number})
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "bad_request"
    assert "page_size" in body["message"]


@pytest.mark.parametrize("number", list(TOO_LARGE.values())[:2], ids=list(TOO_LARGE)[:2])
async def test_pages_past_64_bits_are_empty_pages(http: httpx.AsyncClient, number: str) -> None:
    for path, key in (("/api/v1/tickets", "tickets"), ("/api/v1/devices", "devices"), ("/api/v1/users", "users")):
        response = await http.get(path, params={"page": number})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body[key] == []
        assert body["meta"]["current_page"] == int(number)
        assert body["meta"]["total_count"] > 0


async def test_the_last_page_within_64_bits_is_an_empty_page(http: httpx.AsyncClient) -> None:
    page = (2**63 - 1) // 25
    response = await http.get("/api/v1/tickets", params={"page": page})
    assert response.status_code == 200
    assert response.json()["tickets"] == []


async def test_filters_past_64_bits_match_nothing(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/v1/tickets", params={"assigned_to": "9" * 23})
    assert response.status_code == 200
    assert response.json()["tickets"] == []
    assert response.json()["meta"]["total_count"] == 0


async def test_an_assignee_past_64_bits_is_refused(http: httpx.AsyncClient) -> None:
    details = _spiceworks_error(await http.post("/api/v1/tickets", json={"summary": "x", "assignee_id": 10**22}), 422)
    assert any("assignee_id" in detail for detail in details)


@pytest.mark.parametrize("value", [" 3", "3_0", "abc", "1.5", "3 "])
async def test_what_is_no_number_stays_a_422(http: httpx.AsyncClient, value: str) -> None:
    details = _spiceworks_error(await http.get(f"/api/v1/tickets/{value}"), 422)
    assert any("'id'" in detail for detail in details), details
    _spiceworks_error(await http.get("/api/v1/tickets", params={"page": value}), 422)


async def test_ascii_ids_and_pages_still_work(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/v1/tickets/3")).json()["ticket"]["id"] == 3
    # Leading zeros are the same number, as the live API's Rails integer parameters read them.
    assert (await http.get("/api/v1/tickets/03")).json()["ticket"]["id"] == 3
    page = (await http.get("/api/v1/tickets", params={"page": "2", "per_page": "5"})).json()
    assert [ticket["id"] for ticket in page["tickets"]] == [6, 7, 8, 9, 10]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[("٣", True), ("²", True), ("-٣", True), ("+3", True), ("9" * 5000, True)],
        *[("abc", False), ("", False), ("1.5", False), (" 3", False), ("-", False), (3, False)],
    ],
)
def test_foreign_number(value: object, expected: bool) -> None:
    assert foreign_number(value) is expected
