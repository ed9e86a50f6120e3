"""Open-loop load: messages arrive at a fixed mean rate (Poisson arrivals) whether or not the bot
has answered the earlier ones, as students do. A closed loop (bench/speed.py) only sends when a
reply came back, so its p99 merely restates throughput; here a message that waits in a queue
counts from the moment it was due.

Many senders, each a short conversation; loopback only, a bounded number of messages per rate.
"""

import asyncio
import random
import time
import uuid
from dataclasses import dataclass
from typing import List, Sequence

import aiohttp

from bench.speed import REQUEST_TIMEOUT_S, answered

# Messages per second; 60 and 75 around the capacity target (60 msg/s), so that it is measured, not implied.
RATES = [10, 25, 50, 60, 75, 100]
SECONDS_PER_RATE = 20
MAX_MESSAGES = 1000
MESSAGES_PER_SENDER = 5
P99_LIMIT_MS = 300  # the capacity figure: the highest rate whose p99 stays within this


@dataclass
class RateResult:
    rate: float
    latencies_ms: List[float]  # from the scheduled send time to the reply
    failures: int
    wall_s: float

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]

    @property
    def sustained(self) -> bool:
        return self.failures == 0 and self.percentile(99) <= P99_LIMIT_MS


def schedule(rate: float, count: int, seed: int = 19) -> List[float]:
    """Send times in seconds from the start: exponential gaps with mean 1/rate (seeded, so every
    run and every system gets the same arrivals)."""
    rng = random.Random(seed)
    times, t = [], 0.0
    for _ in range(count):
        t += rng.expovariate(rate)
        times.append(t)
    return times


async def _send(session, webhook, due, start, sender, text, latencies, failures) -> None:
    await asyncio.sleep(max(0.0, start + due - time.perf_counter()))
    ok = await answered(session, webhook, sender, text)
    latencies.append((time.perf_counter() - (start + due)) * 1000)
    if not ok:
        failures.append(text)


async def _run(webhook: str, rate: float, count: int, questions: Sequence[str]) -> RateResult:
    run = uuid.uuid4().hex[:8]
    senders = max(1, count // MESSAGES_PER_SENDER)
    latencies: List[float] = []
    failures: List[str] = []
    # No connection limit: a limit would hold messages back in the client instead of the server.
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        start = time.perf_counter() + 0.5  # time to create every task before the first one is due
        tasks = [
            # Message k goes to sender k mod senders: each sender's messages are spread over the run.
            _send(
                session,
                webhook,
                due,
                start,
                f"open-{run}-{k % senders}",
                questions[k % len(questions)],
                latencies,
                failures,
            )
            for k, due in enumerate(schedule(rate, count))
        ]
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - start
    return RateResult(rate, latencies, len(failures), wall)


def run_rate(webhook: str, rate: float, count: int, questions: Sequence[str]) -> RateResult:
    return asyncio.run(_run(webhook, rate, count, questions))


def run_rates(
    webhook: str, questions: Sequence[str], rates=RATES, seconds=SECONDS_PER_RATE
) -> List[RateResult]:
    """Each rate in turn, `seconds` worth of messages (at most MAX_MESSAGES); each rate starts when
    the previous one's last reply is in, so no queue is carried over."""
    return [run_rate(webhook, r, min(MAX_MESSAGES, int(r * seconds)), questions) for r in rates]


def capacity(results: Sequence[RateResult]) -> float:
    """The highest rate with p99 ≤ P99_LIMIT_MS and no failed reply (0 when even the lowest fails)."""
    return max((r.rate for r in results if r.sustained), default=0)


def table(results: Sequence[RateResult]) -> List[str]:
    lines = [
        "| arrival rate (msg/s) | messages | failed | p50 ms | p95 ms | p99 ms | answered msg/s | p99 ≤ 300 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.rate:g} | {len(r.latencies_ms)} | {r.failures} | {r.percentile(50):.0f} | "
            f"{r.percentile(95):.0f} | {r.percentile(99):.0f} | {len(r.latencies_ms) / r.wall_s:.1f} | "
            f"{'yes' if r.sustained else 'no'} |"
        )
    return lines
