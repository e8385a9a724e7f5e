"""Fixtures shared by the test files: fakes, not monkeypatching."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx
import stamina

from itsm_async import KloudlessClient, SpiceworksClient

# The project's own tests read strictly: a response that drifts from the spec
# fails the test that got it (tests of tolerant reading pass strict=False).
# Subprocesses the tests start inherit it.
os.environ["ITSM_ASYNC_STRICT"] = "1"

SPICEWORKS_URL = "https://sw.test"
KLOUDLESS_URL = "https://kl.test/v1"
ACCOUNT_ID = "123"
TOKEN = "sw-secret-token"
API_KEY = "kl-secret-api-key"


@pytest.fixture(autouse=True)
def _retry_testing_mode() -> Iterator[None]:
    """Retries never sleep in tests: stamina's testing mode zeroes every wait.

    With ``cap=True`` a call makes as many attempts as its policy allows (up
    to 100), as the README advises for users' suites (with ``attempts=3``);
    plain ``set_testing(True)`` would allow one attempt and hide every retry.
    """
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


@pytest.fixture
def router() -> Iterator[respx.Router]:
    """A respx router that fails the test on any unmatched request."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


@pytest.fixture
async def spiceworks(router: respx.Router) -> AsyncIterator[SpiceworksClient]:
    """A Spiceworks client whose requests go to the respx router."""
    async with SpiceworksClient(token=TOKEN, base_url=SPICEWORKS_URL, transport=httpx.AsyncHTTPTransport()) as client:
        yield client


@pytest.fixture
async def kloudless(router: respx.Router) -> AsyncIterator[KloudlessClient]:
    """A Kloudless client (API key auth) whose requests go to the respx router."""
    async with KloudlessClient(
        account_id=ACCOUNT_ID, api_key=API_KEY, base_url=KLOUDLESS_URL, transport=httpx.AsyncHTTPTransport()
    ) as client:
        yield client
