"""The admin endpoints, outside both APIs' paths, for tests and demos.

- ``GET /_sandbox/health``: ``{"status": "ok"}`` once the sandbox answers.
- ``GET /_sandbox/stats``: every counter (requests, writes, faults, requests in
  flight and their peak).
- ``GET /_sandbox/faults``: the faults in force.
- ``POST /_sandbox/faults``: new faults, as ``{"spec": "429=0.1,..."}`` or
  the ``"config"`` object of ``GET``; an integer ``"seed"`` restarts the
  random stream. A configuration that is not JSON, not an object, names an
  unknown field or has a value of the wrong type or out of bounds (NaN,
  infinities, negative seconds) is a 400 naming the field; the faults in
  force stay as they were.
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

_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
_JSON_TYPES[type(None)] = "null"


def _posted_faults(body: bytes) -> tuple[FaultConfig, int | None]:
    """The configuration and seed a ``POST /_sandbox/faults`` body asks for.

    Raises:
        ValueError: The body is not JSON, or a field unknown or out of bounds.
        TypeError: The body is no object, or a value of the wrong type.
    """
    try:
        data: Any = json.loads(body or b"{}")
    except RecursionError:
        raise ValueError("the body nests too deeply") from None
    except ValueError as exc:
        raise ValueError(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise TypeError(f"the body must be a JSON object, not {_JSON_TYPES.get(type(data), 'a value')}")
    fields = dict(data)
    seed = fields.pop("seed", None)
    # JSON's true is an int to Python, and 1.5 would silently become 1.
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"seed must be an integer, not {seed!r}")
    if "spec" not in fields:
        return FaultConfig.from_dict(fields), seed
    spec = fields.pop("spec")
    if fields:
        raise ValueError(f"spec comes alone (with seed), not with {', '.join(map(repr, sorted(fields)))}")
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a string such as '429=0.1,drop=0.02', not {spec!r}")
    return FaultConfig.parse(spec), seed


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
                config, seed = _posted_faults(await request.body())
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": f"invalid fault configuration: {exc}"}, status_code=400)
            target.faults.configure(config, seed=seed)
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
