"""A stateful sandbox of the Spiceworks Cloud Apps and Kloudless ITSM APIs.

In process::

    sandbox = Sandbox(seed=7)
    async with sandbox.spiceworks_client() as client:
        page = await client.tickets.list_tickets(status=ListTicketsStatus.OPEN)

As a server: ``python -m itsm_async.sandbox --port 8400``, or for a block of
code, on a free port: ``with serve("--seed", "3") as url: ...``.

Needs the ``sandbox`` extra (openapi-core, starlette, uvicorn).
"""

try:
    import openapi_core  # noqa: F401
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
    import yaml  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - exercised in a subprocess
    raise ModuleNotFoundError(
        f"itsm_async.sandbox needs the sandbox extra ({exc.name} is missing): pip install 'itsm-async[sandbox]'",
        name=exc.name,
    ) from exc

from ._errors import ResponseContractError
from ._faults import FAULT_KINDS, ConnectionDropped, FaultConfig, FaultInjector
from ._process import serve
from ._real_world import RealWorld
from ._sandbox import IN_PROCESS_URL, Sandbox
from ._seed import SeedCounts
from ._stats import Stats
from ._transport import SandboxTransport

__all__ = [
    "FAULT_KINDS",
    "IN_PROCESS_URL",
    "ConnectionDropped",
    "FaultConfig",
    "FaultInjector",
    "RealWorld",
    "ResponseContractError",
    "Sandbox",
    "SandboxTransport",
    "SeedCounts",
    "Stats",
    "serve",
]
