"""The sandbox as a real HTTP server: ``python -m itsm_async.sandbox`` on loopback."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml  # type: ignore[import-untyped,unused-ignore]

from itsm_async import (
    ApiConnectionError,
    KloudlessClient,
    NotFoundError,
    RetryPolicy,
    SpiceworksClient,
)
from itsm_async.sandbox import Sandbox, SeedCounts, serve
from itsm_async.sandbox.__main__ import build_parser, listening_socket, main
from itsm_async.sandbox._errors import ApiName
from itsm_async.sandbox._specs import SPEC_FILES, find_spec_file
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
            # A body cut short: httpx's own transport says RemoteProtocolError, the aiohttp-backed one ReadError.
            assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError | httpx.ReadError)
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


def _without_path(api: ApiName, folder: Path, template: str) -> Path:
    """The packaged spec of ``api`` without one of its paths, written to ``folder``."""
    document = yaml.safe_load(find_spec_file(SPEC_FILES[api]).read_text(encoding="utf-8"))
    del document["paths"][template]
    path = folder / f"{api}-smaller.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_the_command_line_serves_the_spec_files_it_is_given(tmp_path: Path) -> None:
    spiceworks = _without_path("spiceworks", tmp_path, "/api/v1/devices")
    kloudless = _without_path("kloudless", tmp_path, "/accounts/{account_id}/itsm/assets")
    args = build_parser().parse_args(["--spiceworks-spec", str(spiceworks), "--kloudless-spec", str(kloudless)])
    assert (args.spiceworks_spec, args.kloudless_spec) == (spiceworks, kloudless)
    with (
        serve("--spiceworks-spec", str(spiceworks), "--kloudless-spec", str(kloudless), "--tickets", "3") as root,
        httpx.Client(base_url=root, headers={"Authorization": "Bearer t"}) as client,
    ):
        # Each spec lacks one list path: served as a 404 there, while the rest is served as ever.
        assert client.get("/api/v1/devices").status_code == 404
        assert client.get("/api/v1/devices/1").status_code == 200
        assert client.get("/v1/accounts/123/itsm/assets").status_code == 404
        assert client.get("/v1/accounts/123/itsm/incidents").status_code == 200


def test_a_spec_file_that_is_not_there_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for option in ("--spiceworks-spec", "--kloudless-spec"):
        with pytest.raises(SystemExit) as caught:
            build_parser().parse_args([option, str(tmp_path / "missing.yaml")])
        assert caught.value.code == 2
        assert "missing.yaml" in capsys.readouterr().err


def test_serve_reports_a_server_that_does_not_start() -> None:
    with pytest.raises(RuntimeError, match="did not start"), serve("--faults", "teapot=1"):
        pytest.fail("the block must not run")


async def test_served_connections_have_nagle_off() -> None:
    # uvicorn writes a response's head and body in two send() calls. With Nagle's algorithm on,
    # the body waits for the client's ACK of the head, which the client delays (~40 ms on Linux):
    # every request of a kept-alive connection stalled. asyncio turns Nagle off only for a socket
    # whose proto is IPPROTO_TCP; the listening socket must make accepted ones so.
    small = SeedCounts(users=3, tickets=1, devices=0, incidents=0, problems=0, changes=0, articles=0, assets=0)
    with Sandbox(counts=small) as sandbox, listening_socket("127.0.0.1", 0) as sock:
        server = uvicorn.Server(uvicorn.Config(sandbox.app, lifespan="off", log_level="warning"))
        sock.listen()  # connections wait in the backlog until the server accepts them
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            port = sock.getsockname()[1]
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                assert (await client.get("/_sandbox/health")).status_code == 200
                accepted = [c.transport.get_extra_info("socket") for c in server.server_state.connections]
                assert len(accepted) == 1
                assert accepted[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        finally:
            server.should_exit = True
            await serving


def test_a_chatty_server_keeps_answering() -> None:
    # At --log-level info uvicorn logs each request to its stdout, the pipe serve() reads the
    # address from: unread, the pipe filled (64 KiB, about 975 requests) and the server hung.
    with (
        serve("--log-level", "info", "--tickets", "5", "--devices", "0", "--incidents", "0") as root,
        httpx.Client(base_url=root, timeout=10) as client,
    ):
        statuses = {client.get("/_sandbox/health").status_code for _ in range(1500)}
    assert statuses == {200}


@pytest.mark.parametrize("missing", ["starlette", "openapi_core", "uvicorn"])
def test_importing_the_sandbox_without_its_extra_says_how_to_install_it(missing: str) -> None:
    script = (
        "import sys\n"
        f"sys.modules[{missing!r}] = None\n"
        "try:\n"
        "    import itsm_async.sandbox\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc, sep=': ')\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)  # noqa: S603
    assert run.returncode == 0, run.stderr
    assert "pip install 'itsm-async[sandbox]'" in run.stdout
    assert missing in run.stdout
