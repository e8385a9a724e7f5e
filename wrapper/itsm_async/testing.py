"""pytest fixtures for testing code that uses itsm_async, against the sandbox.

Load them in a ``conftest.py``::

    pytest_plugins = ["itsm_async.testing"]

and use them::

    async def test_opens_ticket(spiceworks_client: SpiceworksClient) -> None:
        page = await spiceworks_client.tickets.list_tickets(status="open")

Each test gets a fresh, seeded :class:`~itsm_async.sandbox.Sandbox`
(``itsm_sandbox``) and clients of it (``spiceworks_client``,
``kloudless_client``), closed after the test. Override
``itsm_sandbox_options`` to change how it is made (seed, counts, faults,
``real_world=True`` for the live servers' shapes, ``latency=`` seconds...);
parametrize it to run a test against several::

    @pytest.fixture(params=[{}, {"real_world": True}])
    def itsm_sandbox_options(request: pytest.FixtureRequest) -> dict[str, Any]:
        return request.param

The clients are opened and closed on the event loop of the plugin that runs
the test, so one line of configuration is all a suite needs:

- pytest-asyncio in auto mode (``asyncio_mode = "auto"``): every async test;
- pytest-asyncio in strict mode: tests marked ``@pytest.mark.asyncio``
  (``pytestmark = pytest.mark.asyncio`` marks a whole module);
- anyio's plugin, with or without pytest-asyncio in strict mode: tests
  marked ``@pytest.mark.anyio``, on each backend of the ``anyio_backend``
  fixture (asyncio and trio).

Needs the ``sandbox`` extra.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any, NamedTuple

import pytest

from ._client import KloudlessClient, SpiceworksClient
from .sandbox import Sandbox

try:
    # pytest-asyncio runs a fixture made by its own decorator in strict mode as in auto mode.
    from pytest_asyncio import fixture as _asyncio_fixture
except ImportError:  # pragma: no cover - without pytest-asyncio the asyncio variant is never requested
    _asyncio_fixture = pytest.fixture  # type: ignore[assignment]

__all__ = ["itsm_sandbox", "itsm_sandbox_options", "kloudless_client", "spiceworks_client"]


class _Clients(NamedTuple):
    spiceworks: SpiceworksClient
    kloudless: KloudlessClient


@pytest.fixture
def itsm_sandbox_options() -> dict[str, Any]:
    """Keyword arguments of the ``itsm_sandbox`` fixture's ``Sandbox`` (override to change).

    Returns:
        ``{}``: seed 7, the default counts, no faults.
    """
    return {}


@pytest.fixture
def itsm_sandbox(itsm_sandbox_options: dict[str, Any]) -> Iterator[Sandbox]:
    """A fresh sandbox of both APIs, closed after the test.

    Yields:
        The sandbox: ``.stats`` and ``.faults`` to inspect and steer it.
    """
    with Sandbox(**itsm_sandbox_options) as sandbox:
        yield sandbox


@pytest.fixture
def spiceworks_client(request: pytest.FixtureRequest, itsm_sandbox: Sandbox) -> SpiceworksClient:
    """A ``SpiceworksClient`` of the test's sandbox, in process.

    Returns:
        The client, closed after the test.
    """
    return _clients(request).spiceworks


@pytest.fixture
def kloudless_client(request: pytest.FixtureRequest, itsm_sandbox: Sandbox) -> KloudlessClient:
    """A ``KloudlessClient`` of the test's sandbox account, in process (API key auth).

    Returns:
        The client, closed after the test.
    """
    return _clients(request).kloudless


def _clients(request: pytest.FixtureRequest) -> _Clients:
    """The test's clients, opened by the fixture variant of the plugin that runs the test.

    pytest-asyncio runs the tests that carry its ``asyncio`` mark (in auto
    mode it marks every async test at collection); its loop must open and
    close the clients, through a fixture made with its decorator. Any other
    test is left to anyio's plugin, which runs an async fixture of a test
    that uses ``anyio_backend`` on that test's backend: a plain
    ``@pytest.fixture`` it is, since pytest-asyncio would otherwise claim it
    for its own loop. A test neither runs fails here, naming the fixture and
    the marks that would run it, rather than with pytest's generic warning
    about an unhandled async fixture.

    The public fixtures name ``itsm_sandbox`` themselves, although only the
    variant uses it: a fixture reached through ``getfixturevalue`` alone is
    outside the test's static closure, so a parametrized
    ``itsm_sandbox_options`` would have no parameter for it.
    """
    if request.config.pluginmanager.has_plugin("asyncio") and request.node.get_closest_marker("asyncio"):
        variant = "_itsm_clients_asyncio"
    elif "anyio_backend" in request.fixturenames:
        variant = "_itsm_clients_anyio"
    else:
        pytest.fail(
            f"{request.node.nodeid} uses the async fixture {request.fixturename!r}, but no plugin runs it: "
            'mark it @pytest.mark.anyio, or with pytest-asyncio @pytest.mark.asyncio or asyncio_mode = "auto"',
            pytrace=False,
        )
    clients: _Clients = request.getfixturevalue(variant)
    return clients


@contextlib.asynccontextmanager
async def _open_clients(sandbox: Sandbox) -> AsyncIterator[_Clients]:
    async with sandbox.spiceworks_client() as spiceworks, sandbox.kloudless_client() as kloudless:
        yield _Clients(spiceworks, kloudless)


@_asyncio_fixture(name="_itsm_clients_asyncio")
async def _clients_on_asyncio(itsm_sandbox: Sandbox) -> AsyncIterator[_Clients]:
    """Both clients of the sandbox, on pytest-asyncio's loop."""
    async with _open_clients(itsm_sandbox) as clients:
        yield clients


@pytest.fixture(name="_itsm_clients_anyio")
async def _clients_on_anyio(itsm_sandbox: Sandbox) -> AsyncIterator[_Clients]:
    """Both clients of the sandbox, on the anyio plugin's loop."""
    async with _open_clients(itsm_sandbox) as clients:
        yield clients
