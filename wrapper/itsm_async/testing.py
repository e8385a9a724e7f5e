"""pytest fixtures for testing code that uses itsm_async, against the sandbox.

Load them in a ``conftest.py``::

    pytest_plugins = ["itsm_async.testing"]

and use them::

    async def test_opens_ticket(spiceworks_client):
        page = await spiceworks_client.tickets.list_tickets(status=ListTicketsStatus.OPEN)

Each test gets a fresh, seeded :class:`~itsm_async.sandbox.Sandbox`
(``itsm_sandbox``). Override ``itsm_sandbox_options`` to change how it is
made (seed, counts, faults...). The client fixtures are async: they need
pytest-asyncio (either mode) or anyio's pytest plugin.

Needs the ``sandbox`` extra.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from ._client import KloudlessClient, SpiceworksClient
from .sandbox import Sandbox

try:
    # pytest-asyncio's decorator runs the fixture in strict mode as in auto mode.
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # pragma: no cover - anyio's plugin handles plain async fixtures
    _async_fixture = pytest.fixture  # type: ignore[assignment]

__all__ = ["itsm_sandbox", "itsm_sandbox_options", "kloudless_client", "spiceworks_client"]


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


@_async_fixture
async def spiceworks_client(itsm_sandbox: Sandbox) -> AsyncIterator[SpiceworksClient]:
    """A ``SpiceworksClient`` of the test's sandbox, in process.

    Yields:
        The client, closed after the test.
    """
    async with itsm_sandbox.spiceworks_client() as client:
        yield client


@_async_fixture
async def kloudless_client(itsm_sandbox: Sandbox) -> AsyncIterator[KloudlessClient]:
    """A ``KloudlessClient`` of the test's sandbox account, in process (API key auth).

    Yields:
        The client, closed after the test.
    """
    async with itsm_sandbox.kloudless_client() as client:
        yield client
