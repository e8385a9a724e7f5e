"""Benchmark: the cost of tracing per operation call, against tracing off in the same run.

First, sequential ``get_ticket`` calls through one ``SpiceworksClient``
answered by an ``httpx.MockTransport`` (no network, so the client's own
work is all there is to measure), made with:

- tracing off: no ``tracer_provider`` (the baseline of every ratio);
- no tracing code at all: ``invoke`` bypassed, straight to the send path
  (what a call cost before tracing existed);
- ``opentelemetry.trace.NoOpTracerProvider()``;
- the SDK's ``TracerProvider`` with a simple span processor and an exporter
  that drops what it is given (span creation, attributes, ending, export call).

The kinds run interleaved, ``ROUNDS`` rounds of ``CALLS`` calls each, in a
new order every round; each ratio is the median over the rounds of that
round's time against tracing off's in the same round, so a busy moment of a
shared machine skews one round only. Times are the process's CPU time. On a
shared machine the rounds still spread by several percent: a difference
inside the middle half of the rounds (printed beside each ratio) is noise.

Then the tracing work alone, which the first part cannot resolve below a
few percent: ``invoke`` over a send path that does nothing, many more
times, less that send path called directly, shown as a share of a
tracing-off call from the first part.

Reported only: it never fails on timing. Run: ``python
tests/bench/bench_tracing.py`` (about 4 s of CPU; ``--rounds`` and
``--calls`` to change it).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import anyio
import httpx
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import NoOpTracerProvider

from itsm_async import SpiceworksClient
from itsm_async._send import Sender
from itsm_async._tracing import Tracing, tracing_for, with_retry_events
from spiceworks_client.api.tickets.get_ticket import OPERATION

ROUNDS = 11
CALLS = 200
BODY = (
    b'{"ticket": {"id": 42, "summary": "Printer on fire", "status": "open", "priority": "high",'
    b' "created_at": "2024-05-01T09:30:00+00:00", "updated_at": "2024-05-01T09:30:00+00:00"}}'
)


class _Dropping(SpanExporter):
    """An exporter that accepts every span and keeps none."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class _Untraced(SpiceworksClient):
    """A client whose calls skip ``invoke``'s tracing check: the send path as it was before tracing."""

    invoke = Sender._send_operation


def _nothing(response: httpx.Response) -> None:
    return None


def _answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=BODY, headers={"Content-Type": "application/json"})


def client(kind: str) -> SpiceworksClient:
    """A client for ``kind``; the provider is wired as the client's ``tracer_provider=`` does."""
    transport = httpx.MockTransport(_answer)
    if kind == "no tracing code":
        return _Untraced(token="bench", base_url="https://sw.test", transport=transport)
    provider: Any = None
    if kind == "no-op provider":
        provider = NoOpTracerProvider()
    elif kind == "SDK provider":
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_Dropping()))
    tracing = tracing_for("SpiceworksClient", provider)
    made = SpiceworksClient(
        token="bench", base_url="https://sw.test", transport=transport, on_retry=with_retry_events(tracing, None)
    )
    made._tracing = tracing
    return made


async def timed(call: Callable[[int], Any], calls: int) -> float:
    """CPU seconds of this process for ``calls`` sequential calls.

    CPU time, not wall time: on a shared machine the wall clock also counts
    the time other processes held the cores.
    """
    gc.collect()  # the garbage of the kind before is not this kind's to collect
    started = time.process_time()
    for ident in range(calls):
        await call(ident)
    return time.process_time() - started


async def alone(tracing: Tracing | None, direct: bool, calls: int) -> float:
    """CPU µs per call of the tracing work alone: ``invoke`` over a send path that does nothing."""
    stub = SpiceworksClient(token="bench", base_url="https://sw.test", transport=httpx.MockTransport(_answer))
    stub._tracing = tracing
    response = httpx.Response(200)

    async def send(*arguments: Any) -> Any:
        return response, None

    stub._send_operation = send  # type: ignore[method-assign, assignment]
    call = stub._send_operation if direct else stub.invoke
    gc.collect()
    started = time.process_time()
    for _ in range(calls):
        await call(OPERATION, dict, _nothing, _nothing)
    spent = time.process_time() - started
    await stub.aclose()
    return spent / calls * 1e6


async def main(rounds: int, calls: int) -> None:
    kinds = ["tracing off", "no tracing code", "no-op provider", "SDK provider"]
    clients = {kind: client(kind) for kind in kinds}
    seconds: dict[str, list[float]] = {kind: [] for kind in kinds}
    shuffle = random.Random(1).shuffle
    try:
        for kind in kinds:  # warm up: imports, caches, the first span
            await timed(clients[kind].tickets.get_ticket, 50)
        for _ in range(rounds):
            order = list(kinds)
            shuffle(order)
            for kind in order:
                seconds[kind].append(await timed(clients[kind].tickets.get_ticket, calls))
    finally:
        for made in clients.values():
            await made.aclose()
    off = seconds["tracing off"]
    print(f"tracing cost per call: {rounds} interleaved rounds of {calls} get_ticket calls, MockTransport, asyncio")
    print(f"{'kind':<20} {'CPU µs/call':>12} {'vs tracing off':>15}  {'middle half of the rounds':>25}")
    for kind in kinds:
        per_call = statistics.median(seconds[kind]) / calls * 1e6
        ratios = [mine / base for mine, base in zip(seconds[kind], off, strict=True)]
        low, ratio, high = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
        print(f"{kind:<20} {per_call:12.1f} {ratio:14.3f}x  {low:11.3f}x to {high:.3f}x")
    print("(medians over the rounds; reported only, never a failure)")
    off_call = statistics.median(off) / calls * 1e6
    many = calls * 60
    direct = await alone(None, True, many)
    work = {
        "tracing off: the check": await alone(None, False, many) - direct,
        "no-op provider: the span": await alone(clients["no-op provider"]._tracing, False, many) - direct,
        "SDK provider: the span": await alone(clients["SDK provider"]._tracing, False, many) - direct,
    }
    print(
        f"the tracing work alone, over a send path that does nothing ({many} calls), against a {off_call:.0f} µs call:"
    )
    for name, micros in work.items():
        print(f"{name:<26} {micros:8.2f} µs/call {micros / off_call:8.2%} of a call")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--calls", type=int, default=CALLS)
    arguments = parser.parse_args()
    anyio.run(main, arguments.rounds, arguments.calls)
    sys.exit(0)
