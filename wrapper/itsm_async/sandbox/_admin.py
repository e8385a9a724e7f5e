"""The admin endpoints, outside both APIs' paths, for tests and demos.

- ``GET /_sandbox/health``: ``{"status": "ok"}`` once the sandbox answers.
- ``GET /_sandbox/stats``: every counter (requests, writes, faults).
- ``GET /_sandbox/faults``: the faults in force.
- ``POST /_sandbox/faults``: new faults, as ``{"spec": "429=0.1,..."}`` or
  the JSON of ``GET``; ``"seed"`` restarts the random stream.
- ``POST /_sandbox/reset``: the seed data again, counters at zero.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, Router

from ._faults import FaultConfig, FaultInjector
from ._stats import Stats


class Administered(Protocol):
    """What the admin endpoints act on: the sandbox."""

    @property
    def stats(self) -> Stats:
        """The counters."""
        ...

    @property
    def faults(self) -> FaultInjector:
        """The fault injector."""
        ...

    def reset(self) -> None:
        """Restore the seed data and zero the counters."""
        ...


def admin_app(target: Administered) -> Router:
    """The ASGI app of the ``/_sandbox/`` endpoints.

    Args:
        target: The sandbox they report on and reconfigure.

    Returns:
        A Starlette router.
    """

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def stats(request: Request) -> JSONResponse:
        return JSONResponse(target.stats.snapshot())

    async def faults(request: Request) -> JSONResponse:
        if request.method == "POST":
            try:
                data: Any = json.loads(await request.body() or b"{}")
                config = FaultConfig.parse(data["spec"]) if "spec" in data else FaultConfig.from_dict(data)
                seed = data.get("seed")
                target.faults.configure(config, seed=None if seed is None else int(seed))
            except (ValueError, TypeError, AttributeError) as exc:
                return JSONResponse({"error": f"invalid fault configuration: {exc}"}, status_code=400)
        return JSONResponse({"config": target.faults.config.to_dict(), "counts": dict(target.faults.counts)})

    async def reset(request: Request) -> JSONResponse:
        target.reset()
        return JSONResponse({"status": "reset"})

    return Router(
        routes=[
            Route("/_sandbox/health", health, methods=["GET"]),
            Route("/_sandbox/stats", stats, methods=["GET"]),
            Route("/_sandbox/faults", faults, methods=["GET", "POST"]),
            Route("/_sandbox/reset", reset, methods=["POST"]),
        ]
    )
