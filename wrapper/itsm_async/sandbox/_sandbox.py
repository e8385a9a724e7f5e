"""The sandbox: seeded data, both APIs as one ASGI app, faults and counters."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from .. import KloudlessClient, SpiceworksClient
from ._admin import admin_app
from ._api import Dispatcher
from ._app import SandboxApp
from ._clock import SEED_EPOCH, Sleep, loop_sleep, utc_now
from ._faults import FaultConfig, FaultInjector, seconds
from ._real_world import RealWorld, as_real_world
from ._seed import SeedCounts, seed_store
from ._specs import load_spec
from ._sqlite import SqliteStore
from ._stats import Stats
from ._store import MemoryStore, Store
from ._transport import SandboxTransport

#: The base URL in-process clients use; any host works, this one is reserved (RFC 2606).
IN_PROCESS_URL = "http://sandbox.test"


def _latency(value: float) -> float:
    return seconds("latency", value)


class Sandbox:
    """A stateful fake of the Spiceworks Cloud Apps and Kloudless ITSM APIs.

    Both APIs are one ASGI app (:attr:`app`): Spiceworks at ``/api/v1/...``,
    Kloudless at ``/v1/accounts/{account_id}/itsm/...``. Use it in process
    through :meth:`transport` (or the client helpers), or serve it with
    ``python -m itsm_async.sandbox``.

    Args:
        seed: The seed of the generated data.
        counts: How many records of each kind to generate.
        db_path: Keep the data in this SQLite file across restarts (seeded
            only when the file is new); in memory when None.
        faults: Faults to inject (a config or its ``--faults`` text); none by default.
        fault_seed: The seed of the faults' random stream.
        account_id: The Kloudless account served (others are 404).
        epoch: The "now" of the generated data.
        clock: The time given to created and changed records.
        check_responses: Check every answer against its spec and raise
            ``ResponseContractError`` for one that breaks it (for tests).
        spiceworks_spec: The Spiceworks document to serve; the packaged
            one (or ``ITSM_SANDBOX_SPECS``'s) when None.
        kloudless_spec: The Kloudless document to serve, likewise.
        real_world: Answer as the live servers do where they differ from
            the specs (integer priorities, nulls, the documented ``meta`` and
            error shapes, 30 a page, Kloudless pages by number without
            ``next_page``): ``True``, or a :class:`RealWorld` to choose how a
            Kloudless list ends. Requests are validated all the same;
            responses are not checked (``check_responses`` is then ignored).
        latency: Seconds every API answer is held before it is sent (also
            settable later as :attr:`latency`): requests overlap as they do
            over a network, and ``stats.peak_in_flight`` shows how many.
        sleep: How the sandbox waits (latency, ``slow`` and ``stall``
            faults); the running event loop's clock by default, so a test
            under trio's ``MockClock`` waits in virtual time.

    Raises:
        ValueError: ``latency`` is negative or not finite.
        TypeError: ``latency`` is no number, or ``real_world`` no bool or ``RealWorld``.

    An operation of a spec with no hand-written handler is served by one
    derived from the spec, or answered 501 naming it: a changed spec never
    stops the sandbox from starting.
    """

    def __init__(
        self,
        *,
        seed: int = 7,
        counts: SeedCounts | None = None,
        db_path: str | os.PathLike[str] | None = None,
        faults: FaultConfig | str | None = None,
        fault_seed: int = 0,
        account_id: str = "123",
        epoch: datetime = SEED_EPOCH,
        clock: Callable[[], datetime] = utc_now,
        check_responses: bool = False,
        spiceworks_spec: str | os.PathLike[str] | None = None,
        kloudless_spec: str | os.PathLike[str] | None = None,
        real_world: bool | RealWorld = False,
        latency: float = 0.0,
        sleep: Sleep = loop_sleep,
    ) -> None:
        checked_latency = _latency(latency)
        self.account_id = account_id
        #: The real-world mode in force, or None for the specs' shapes.
        self.real_world = as_real_world(real_world)
        self._store: Store = MemoryStore() if db_path is None else SqliteStore(db_path)
        stored = self._store.get_meta("seed")
        if stored is None:
            self._seed, self._counts, self._epoch = seed, counts or SeedCounts(), epoch
            seed_store(self._store, seed=seed, counts=self._counts, epoch=epoch)
        else:
            # An existing database keeps the data it was made with, and resets to it.
            self._seed = int(stored)
            self._counts = SeedCounts(**json.loads(self._store.get_meta("counts") or "{}"))
            self._epoch = datetime.fromisoformat(self._store.get_meta("epoch") or epoch.isoformat())
        self.stats = Stats()
        config = FaultConfig.parse(faults) if isinstance(faults, str) else faults
        self.faults = FaultInjector(config, seed=fault_seed, counts=self.stats.faults)
        dispatcher = Dispatcher(
            store=self._store,
            stats=self.stats,
            account_id=account_id,
            clock=clock,
            check_responses=check_responses,
            specs={
                "spiceworks": load_spec("spiceworks", spiceworks_spec),
                "kloudless": load_spec("kloudless", kloudless_spec),
            },
            real_world=self.real_world,
        )
        self.app = SandboxApp(
            dispatcher=dispatcher,
            faults=self.faults,
            stats=self.stats,
            admin=admin_app(self),
            latency=checked_latency,
            sleep=sleep,
        )

    @property
    def latency(self) -> float:
        """Seconds every API answer is held before it is sent."""
        return self.app.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.app.latency = _latency(seconds)

    @property
    def seed(self) -> int:
        """The seed the data was generated from (a reopened database's own)."""
        return self._seed

    @property
    def counts(self) -> SeedCounts:
        """How many records of each kind were generated (a reopened database's own)."""
        return self._counts

    def transport(self) -> SandboxTransport:
        """An ``httpx.ASGITransport`` to the app, for any httpx client."""
        return SandboxTransport(app=self.app)

    def spiceworks_client(self, **options: Any) -> SpiceworksClient:
        """A Spiceworks client of this sandbox, in process.

        Args:
            **options: ``SpiceworksClient`` arguments; ``token``, ``base_url``
                and ``transport`` default to the sandbox's.

        Returns:
            The client (an async context manager).
        """
        options.setdefault("token", "sandbox-token")
        options.setdefault("base_url", IN_PROCESS_URL)
        options.setdefault("transport", self.transport())
        return SpiceworksClient(**options)

    def kloudless_client(self, **options: Any) -> KloudlessClient:
        """A Kloudless client of this sandbox's account, in process.

        Args:
            **options: ``KloudlessClient`` arguments; ``account_id``,
                ``api_key`` (unless ``token`` is given), ``base_url`` and
                ``transport`` default to the sandbox's.

        Returns:
            The client (an async context manager).
        """
        options.setdefault("account_id", self.account_id)
        if "token" not in options:
            options.setdefault("api_key", "sandbox-api-key")
        options.setdefault("base_url", f"{IN_PROCESS_URL}/v1")
        options.setdefault("transport", self.transport())
        return KloudlessClient(**options)

    def reset(self) -> None:
        """Restore the seed data, zero the counters and restart the fault script."""
        self._store.clear()
        seed_store(self._store, seed=self._seed, counts=self._counts, epoch=self._epoch)
        self.stats.reset()
        self.faults.reset()

    def close(self) -> None:
        """Release the storage (close the database)."""
        self._store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
