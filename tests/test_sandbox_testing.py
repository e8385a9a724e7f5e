"""The pytest plugin ``itsm_async.testing``, used as a user's test suite would."""

from __future__ import annotations

from typing import Any

import pytest

from itsm_async import KloudlessClient, SpiceworksClient
from itsm_async.sandbox import Sandbox, SeedCounts
from spiceworks_client.models import ListTicketsStatus

pytest_plugins = ["itsm_async.testing", "pytester"]


async def test_client_fixtures_share_one_sandbox(
    spiceworks_client: SpiceworksClient, kloudless_client: KloudlessClient, itsm_sandbox: Sandbox
) -> None:
    tickets: Any = await spiceworks_client.tickets.list_tickets(status=ListTicketsStatus.OPEN)
    incidents = await kloudless_client.incidents.list_incidents()
    assert tickets.meta.total_count > 0
    assert incidents.total == 250
    assert kloudless_client.account_id == itsm_sandbox.account_id
    assert itsm_sandbox.stats.requests["spiceworks"] == itsm_sandbox.stats.requests["kloudless"] == 1


async def test_each_test_gets_a_fresh_sandbox(itsm_sandbox: Sandbox) -> None:
    assert itsm_sandbox.stats.snapshot()["requests"] == {}
    assert itsm_sandbox.seed == 7


class TestOverriddenOptions:
    @pytest.fixture
    def itsm_sandbox_options(self) -> dict[str, Any]:
        return {"seed": 1, "counts": SeedCounts(tickets=3), "faults": "script=503"}

    async def test_options_reach_the_sandbox(self, spiceworks_client: SpiceworksClient, itsm_sandbox: Sandbox) -> None:
        page: Any = await spiceworks_client.tickets.list_tickets()
        assert itsm_sandbox.seed == 1
        assert page.meta.total_count == 3
        assert itsm_sandbox.faults.counts["503"] == 1


def test_plugin_in_a_strict_mode_suite(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('pytest_plugins = ["itsm_async.testing"]\n')
    pytester.makeini("[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.asyncio
        async def test_lists(spiceworks_client, kloudless_client, itsm_sandbox):
            assert (await spiceworks_client.users.get_user(1)).user.role.value == "admin"
            assert (await kloudless_client.articles.list_articles()).count == 10
            assert itsm_sandbox.stats.requests["getUser"] == 1
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
