"""Runs the demo against the sandbox, served on loopback in a child process."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable

import anyio
import httpx

from ._client import KloudlessClient, SpiceworksClient
from ._retry import RetryPolicy
from .sandbox import serve

#: Light faults on reads: rate limits and unavailability with Retry-After,
#: gateway errors, dropped connections and slow answers, 6% in all. Writes are
#: left alone, as a POST that fails after the server acted is not retried.
LIGHT_FAULTS = (
    "429=0.015,503=0.01,500=0.01,502=0.005,504=0.005,drop=0.005,slow=0.01,retry_after=0.1,delay=0.05,methods=GET"
)

Main = Callable[[SpiceworksClient, KloudlessClient], Awaitable[int]]


def run_on_sandbox(main: Main, *, seed: int, faults: bool) -> int:
    """Start the sandbox on a free loopback port, run ``main`` against it, stop it.

    Args:
        main: The demo, given a Spiceworks and a Kloudless client.
        seed: The sandbox's data seed.
        faults: Inject light faults.

    Returns:
        The demo's exit status; 1 also when the sandbox saw a record created twice.
    """
    options = ["--seed", str(seed), "--fault-seed", "1"] + (["--faults", LIGHT_FAULTS] if faults else [])
    with serve(*options) as root:
        print(
            "SPICEWORKS_TOKEN / KLOUDLESS_API_KEY are not set: running against the embedded sandbox at "
            f"{root} ({'light fault injection' if faults else 'no faults'}).",
            file=sys.stderr,
        )
        before = httpx.get(f"{root}/_sandbox/stats").json()
        retry = RetryPolicy(max_attempts=6, initial_backoff=0.05, max_backoff=0.5, jitter=0.05)
        sw = SpiceworksClient(token="sandbox-token", base_url=root, retry=retry)  # noqa: S106 - any token will do
        kl = KloudlessClient(account_id="123", api_key="sandbox-api-key", base_url=f"{root}/v1", retry=retry)
        status = anyio.run(main, sw, kl)
        after = httpx.get(f"{root}/_sandbox/stats").json()
    faults_seen = sum(after["faults"].values()) - sum(before["faults"].values())
    incidents = after["creates"].get("incidents", 0) - before["creates"].get("incidents", 0)
    comments = after["creates"].get("comments", 0) - before["creates"].get("comments", 0)
    print(f"sandbox: {faults_seen} faults injected; {incidents} incidents and {comments} comments created")
    if incidents != comments:
        print("PROBLEM: incidents and comments created differ: something was created twice or lost")
        return 1
    return status
