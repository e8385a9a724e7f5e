"""The sandbox as a real HTTP server: ``python -m itsm_async.sandbox`` on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from itsm_async import (
    ApiConnectionError,
    KloudlessClient,
    NotFoundError,
    RetryPolicy,
    SpiceworksClient,
)
from itsm_async.sandbox import serve
from itsm_async.sandbox.__main__ import build_parser, main
from kloudless_itsm_client.models import AssetCreate, AssetUpdate
from spiceworks_client.models import TicketCreate


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A sandbox server on a free loopback port, always stopped afterwards."""
    database = tmp_path_factory.mktemp("server") / "sandbox.db"
    with serve("--tickets", "80", "--db", str(database)) as url:
        yield url


async def test_both_apis_over_http(server_url: str) -> None:
    async with SpiceworksClient(token="t", base_url=server_url) as client:
        page: Any = await client.tickets.list_tickets(per_page=30)
        assert page.meta.total_count >= 80
        created: Any = (await client.tickets.create_ticket(body=TicketCreate(summary="Over the wire"))).ticket
        fetched: Any = (await client.tickets.get_ticket(created.id)).ticket
        assert fetched.summary == "Over the wire"
    async with KloudlessClient(account_id="123", api_key="k", base_url=f"{server_url}/v1") as kloudless:
        asset: Any = await kloudless.assets.create_asset(body=AssetCreate(name="Dock", quantity=1))
        assert asset.href == f"{server_url}/v1/accounts/123/itsm/assets/{asset.id}"
        assert (await kloudless.assets.update_asset(asset.id, body=AssetUpdate(quantity=4))).quantity == 4
        await kloudless.assets.delete_asset(asset.id)
        with pytest.raises(NotFoundError):
            await kloudless.assets.get_asset(asset.id)
        ids = [o.id async for o in kloudless.paginate(kloudless.problems.list_problems, page_size=15)]
        assert len(ids) == len(set(ids)) == 40
    async with httpx.AsyncClient(base_url=server_url) as admin:
        stats = (await admin.get("/_sandbox/stats")).json()
    assert stats["creates"]["tickets"] >= 1
    assert stats["deletes"]["assets"] >= 1


async def test_faults_over_a_real_socket(server_url: str) -> None:
    async with httpx.AsyncClient(base_url=server_url) as admin:
        await admin.post("/_sandbox/faults", json={"spec": "script=drop+drop"})
        async with SpiceworksClient(token="t", base_url=server_url) as client:
            with pytest.raises(ApiConnectionError) as caught:
                await client.with_options(retry=RetryPolicy.never()).users.get_user(1)
            assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)
            user: Any = (await client.users.get_user(1)).user
            assert user.id == 1
            assert client.retries == 1
        # Stalls are tested in process in virtual time (test_sandbox_faults.py): over a real
        # socket a timeout could only be tested by waiting for it.
        faults = (await admin.get("/_sandbox/faults")).json()
        assert faults["counts"] == {"drop": 2}
        await admin.post("/_sandbox/faults", json={})


def test_command_line_options() -> None:
    args = build_parser().parse_args(
        ["--port", "0", "--tickets", "5", "--faults", "503=0.5,retry_after=2", "--db", "x.db"]
    )
    assert (args.port, args.tickets, args.devices, args.db) == (0, 5, None, "x.db")
    assert (args.faults.rates, args.faults.retry_after) == ({"503": 0.5}, 2.0)
    with pytest.raises(SystemExit) as caught:
        main(["--faults", "teapot=1"])
    assert caught.value.code == 2


def test_serve_reports_a_server_that_does_not_start() -> None:
    with pytest.raises(RuntimeError, match="did not start"), serve("--faults", "teapot=1"):
        pytest.fail("the block must not run")
