"""Prism, an independent validating mock server, as session fixtures.

Prism (``@stoplight/prism-cli``, pinned in package.json and package-lock.json;
``npm ci`` installs it into ./node_modules) serves each spec and validates
every request against it: path, query, headers, body and security scheme. A
request that breaks the spec gets a 4xx, and any violation Prism notices is
listed in the ``sl-violations`` response header.

One server per spec and mode, started on first use and always stopped (the
whole process group) when the session ends, whatever the tests did:

- static mode answers with one example built from each response schema;
- dynamic mode (``-d``) fakes a new response from the schema per request.
  ``--seed`` makes it deterministic, but Prism reseeds its faker with that
  seed on *every* request (prism-http ``mocker/generator/JSONSchema.js``), so
  alone it would return one body per schema. Prism also takes a per-request
  seed from ``Prefer: seed=...`` (prism-http-server
  ``getHttpConfigFromRequest.js``); ``ContractTransport.seed`` sends one, so
  each read is different yet reproducible from its seed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx
import pytest

from itsm_async import KloudlessClient, RetryPolicy, SpiceworksClient

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "specs"
PRISM = REPO / "node_modules" / ".bin" / "prism"
SPICEWORKS_SPEC = SPECS / "spiceworks-cloud-apps.yaml"
KLOUDLESS_SPEC = SPECS / "kloudless-itsm.yaml"

SEED = "itsm-async"
"""The server-wide seed of the dynamic servers; requests add their own."""

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
HOST = "127.0.0.1"

ClientT = TypeVar("ClientT", SpiceworksClient, KloudlessClient)


@dataclass(frozen=True)
class PrismServer:
    """A running Prism mock server.

    Args:
        url: Its root URL, the clients' ``base_url``.
        spec: The OpenAPI document it serves.
        dynamic: Whether it fakes responses (``-d``) or serves static examples.
        log: The file holding its stdout and stderr.
    """

    url: str
    spec: Path
    dynamic: bool
    log: Path

    def log_tail(self, lines: int = 60) -> str:
        """The last lines Prism wrote, for failure messages."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[Any]) -> None:
    """Terminate Prism and its process group; SIGKILL if it does not exit in time."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_until_listening(process: subprocess.Popen[bytes], server: PrismServer, port: int) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"Prism exited with status {process.returncode} while starting on {server.spec.name}:\n"
                f"{server.log_tail()}",
                pytrace=False,
            )
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return
        time.sleep(0.1)
    pytest.fail(
        f"Prism did not listen on port {port} within {STARTUP_TIMEOUT:.0f}s ({server.spec.name}):\n{server.log_tail()}",
        pytrace=False,
    )


@contextlib.contextmanager
def running_prism(spec: Path, *, dynamic: bool, log_dir: Path) -> Iterator[PrismServer]:
    """Run ``prism mock`` on a free port until the block exits, however it exits.

    Args:
        spec: The OpenAPI document to serve.
        dynamic: Fake responses (``-d --seed SEED``) instead of static examples.
        log_dir: Where Prism's output goes.

    Returns:
        A context manager giving the running server.

    Raises:
        pytest.fail.Exception: Prism is not installed, exited, or did not listen in time.
    """
    if not os.access(PRISM, os.X_OK):
        pytest.fail(f"{PRISM.relative_to(REPO)} is missing: run `npm ci` in {REPO} first", pytrace=False)
    port = _free_port()
    mode = ["--dynamic", "--seed", SEED] if dynamic else []
    log = log_dir / f"prism-{spec.stem}-{'dynamic' if dynamic else 'static'}.log"
    server = PrismServer(url=f"http://{HOST}:{port}", spec=spec, dynamic=dynamic, log=log)
    with log.open("wb") as out:
        # A new session makes Prism the leader of its own process group, so
        # teardown can signal it and anything it spawned in one killpg.
        process = subprocess.Popen(  # noqa: S603 - a fixed argv, no shell
            [str(PRISM), "mock", str(spec), "--host", HOST, "--port", str(port), *mode],
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_listening(process, server, port)
        yield server
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def prism_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory of the Prism servers' logs."""
    return tmp_path_factory.mktemp("prism")


@pytest.fixture(scope="session")
def spiceworks_prism(prism_logs: Path) -> Iterator[PrismServer]:
    """Prism serving static examples of the Spiceworks spec."""
    with running_prism(SPICEWORKS_SPEC, dynamic=False, log_dir=prism_logs) as server:
        yield server


@pytest.fixture(scope="session")
def kloudless_prism(prism_logs: Path) -> Iterator[PrismServer]:
    """Prism serving static examples of the Kloudless spec."""
    with running_prism(KLOUDLESS_SPEC, dynamic=False, log_dir=prism_logs) as server:
        yield server


@pytest.fixture(scope="session")
def spiceworks_prism_dynamic(prism_logs: Path) -> Iterator[PrismServer]:
    """Prism faking seeded responses from the Spiceworks spec."""
    with running_prism(SPICEWORKS_SPEC, dynamic=True, log_dir=prism_logs) as server:
        yield server


@pytest.fixture(scope="session")
def kloudless_prism_dynamic(prism_logs: Path) -> Iterator[PrismServer]:
    """Prism faking seeded responses from the Kloudless spec."""
    with running_prism(KLOUDLESS_SPEC, dynamic=True, log_dir=prism_logs) as server:
        yield server


class ContractTransport(httpx.AsyncBaseTransport):
    """Delegates to a real transport; records each request and can ask Prism for a seed.

    Args:
        inner: The transport that sends; a fresh ``httpx.AsyncHTTPTransport`` by default.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._inner = inner if inner is not None else httpx.AsyncHTTPTransport()
        self.seed: str | None = None
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.seed is not None:
            request.headers["Prefer"] = f"seed={self.seed}"
        self.requests.append(request)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass
class Connected(Generic[ClientT]):
    """A wrapper client talking to Prism, and the transport that saw its requests."""

    client: ClientT
    transport: ContractTransport
    server: PrismServer


def _spiceworks(server: PrismServer, transport: ContractTransport) -> SpiceworksClient:
    return SpiceworksClient(
        token="sw-contract-token", base_url=server.url, transport=transport, retry=RetryPolicy.never()
    )


@pytest.fixture
async def spiceworks_static(spiceworks_prism: PrismServer) -> AsyncIterator[Connected[SpiceworksClient]]:
    """A Spiceworks client on the static Prism server."""
    transport = ContractTransport()
    async with _spiceworks(spiceworks_prism, transport) as client:
        yield Connected(client, transport, spiceworks_prism)


@pytest.fixture
async def spiceworks_dynamic(spiceworks_prism_dynamic: PrismServer) -> AsyncIterator[Connected[SpiceworksClient]]:
    """A Spiceworks client on the dynamic Prism server."""
    transport = ContractTransport()
    async with _spiceworks(spiceworks_prism_dynamic, transport) as client:
        yield Connected(client, transport, spiceworks_prism_dynamic)


@pytest.fixture
async def kloudless_static(kloudless_prism: PrismServer) -> AsyncIterator[Connected[KloudlessClient]]:
    """A Kloudless client on the static Prism server, with API key auth (``apiKeyAuth``)."""
    transport = ContractTransport()
    async with KloudlessClient(
        account_id="123",
        api_key="kl-contract-api-key",
        base_url=kloudless_prism.url,
        transport=transport,
        retry=RetryPolicy.never(),
    ) as client:
        yield Connected(client, transport, kloudless_prism)


@pytest.fixture
async def kloudless_dynamic(kloudless_prism_dynamic: PrismServer) -> AsyncIterator[Connected[KloudlessClient]]:
    """A Kloudless client on the dynamic Prism server, with bearer auth (``bearerAuth``)."""
    transport = ContractTransport()
    async with KloudlessClient(
        account_id="123",
        token="kl-contract-token",
        base_url=kloudless_prism_dynamic.url,
        transport=transport,
        retry=RetryPolicy.never(),
    ) as client:
        yield Connected(client, transport, kloudless_prism_dynamic)


@dataclass
class ContractStats:
    """What the contract tests checked, printed in the terminal summary."""

    operations_checked: list[str] = field(default_factory=list)
    responses_parsed: int = 0
    schemathesis_cases: dict[str, int] = field(default_factory=dict)


STATS = pytest.StashKey[ContractStats]()


@pytest.fixture
def contract_stats(request: pytest.FixtureRequest) -> ContractStats:
    """The session's tally of checked operations and parsed responses."""
    return request.config.stash.setdefault(STATS, ContractStats())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Print how many operations Prism validated and how many fake responses parsed."""
    stats = config.stash.get(STATS, None)
    if stats is None:
        return
    terminalreporter.write_sep("-", "contract")
    if stats.operations_checked:
        terminalreporter.write_line(
            f"operations checked against Prism (request valid, 2xx, no sl-violations, model parsed): "
            f"{len(stats.operations_checked)}"
        )
    if stats.responses_parsed:
        terminalreporter.write_line(
            f"dynamic responses parsed into the generated models and round-tripped: {stats.responses_parsed}"
        )
    for api, cases in sorted(stats.schemathesis_cases.items()):
        terminalreporter.write_line(f"schemathesis cases run against the sandbox ({api}): {cases}")
