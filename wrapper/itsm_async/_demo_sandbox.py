"""Runs the demo against the sandbox, served on loopback in a child process."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Awaitable, Callable

import anyio
import httpx

from ._client import KloudlessClient, SpiceworksClient
from ._retry import RetryPolicy

#: Light faults on reads: rate limits and unavailability with Retry-After,
#: gateway errors, dropped connections and slow answers, 6% in all. Writes are
#: left alone, as a POST that fails after the server acted is not retried.
LIGHT_FAULTS = (
    "429=0.015,503=0.01,500=0.01,502=0.005,504=0.005,drop=0.005,slow=0.01,retry_after=0.1,delay=0.05,methods=GET"
)

_ADDRESS = re.compile(r"Spiceworks (http://\S+?),")

Main = Callable[[SpiceworksClient, KloudlessClient], Awaitable[int]]


def _start(seed: int, faults: bool) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "itsm_async.sandbox", "--port", "0", "--seed", str(seed), "--fault-seed", "1"]
    if faults:
        command += ["--faults", LIGHT_FAULTS]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603 - our own module
    assert process.stdout is not None
    first_line = process.stdout.readline()
    match = _ADDRESS.search(first_line)
    if match is None:
        process.kill()
        process.wait()
        raise RuntimeError(f"the sandbox did not start (exit code {process.poll()}): {first_line!r}")
    root = match.group(1)
    for _ in range(100):
        try:
            if httpx.get(f"{root}/_sandbox/health", timeout=1).status_code == 200:
                return process, root
        except httpx.TransportError:
            pass
        anyio.run(anyio.sleep, 0.05)
    process.kill()
    process.wait()
    raise RuntimeError(f"the sandbox at {root} did not answer")


def run_on_sandbox(main: Main, *, seed: int, faults: bool) -> int:
    """Start the sandbox on a free loopback port, run ``main`` against it, stop it.

    Args:
        main: The demo, given a Spiceworks and a Kloudless client.
        seed: The sandbox's data seed.
        faults: Inject light faults.

    Returns:
        The demo's exit status; 1 also when the sandbox saw a record created twice.
    """
    process, root = _start(seed, faults)
    try:
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
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    faults_seen = sum(after["faults"].values()) - sum(before["faults"].values())
    incidents = after["creates"].get("incidents", 0) - before["creates"].get("incidents", 0)
    comments = after["creates"].get("comments", 0) - before["creates"].get("comments", 0)
    print(f"sandbox: {faults_seen} faults injected; {incidents} incidents and {comments} comments created")
    if incidents != comments:
        print("PROBLEM: incidents and comments created differ: something was created twice or lost")
        return 1
    return status
