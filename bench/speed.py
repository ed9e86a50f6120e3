"""Speed and footprint over REST: latency percentiles and throughput at several concurrencies, with
the action server in the path; cold start, resident memory and training time.

Traffic goes to loopback only, with a bounded number of requests.
"""

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence, Tuple

import aiohttp
import requests

from harness.bot import RunningBot

ROOT = Path(__file__).resolve().parent.parent
REQUEST_TIMEOUT_S = 60


@dataclass
class LoadResult:
    concurrency: int
    latencies_ms: List[float]
    failures: int
    wall_s: float
    answered: List[Tuple[str, str]]  # (sender, message) of every message answered with 200

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]

    @property
    def messages_per_s(self) -> float:
        return len(self.latencies_ms) / self.wall_s


async def answered(session, webhook: str, sender: str, text: str) -> bool:
    """Send one message over REST; True when the bot answered it (200 with at least one reply)."""
    try:
        async with session.post(webhook, json={"sender": sender, "message": text}) as reply:
            body = await reply.json()
            return reply.status == 200 and bool(body)
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return False


async def _conversation(session, webhook, questions, latencies, failures, answered_messages) -> None:
    sender = f"bench-{uuid.uuid4().hex}"
    for text in questions:
        start = time.perf_counter()
        ok = await answered(session, webhook, sender, text)
        latencies.append((time.perf_counter() - start) * 1000)
        if ok:
            answered_messages.append((sender, text))
        else:
            failures.append(text)


async def _load(webhook: str, concurrency: int, questions: Sequence[str]) -> LoadResult:
    latencies: List[float] = []
    failures: List[str] = []
    answered_messages: List[Tuple[str, str]] = []
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        start = time.perf_counter()
        await asyncio.gather(
            *[
                _conversation(session, webhook, questions, latencies, failures, answered_messages)
                for _ in range(concurrency)
            ]
        )
        wall = time.perf_counter() - start
    return LoadResult(concurrency, latencies, len(failures), wall, answered_messages)


def load_test(webhook: str, concurrency: int, questions: Sequence[str]) -> LoadResult:
    """`concurrency` conversations at once, each sending every question in turn."""
    return asyncio.run(_load(webhook, concurrency, questions))


def first_answer_s(webhook: str, started: float) -> float:
    """Seconds from `started` until the bot has answered one real question."""
    requests.post(
        webhook, json={"sender": "bench-cold", "message": "智慧职教怎么退出账号"}, timeout=REQUEST_TIMEOUT_S
    ).raise_for_status()
    return time.perf_counter() - started


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bot_rss_mb(bot: RunningBot) -> dict:
    return {"rasa server": rss_mb(bot.rasa_pid), "action server": rss_mb(bot.action_pid)}


def training_time_s() -> tuple:
    """Trains the full model from scratch into a temporary folder: (seconds, model size in MB).

    Rasa's training cache is pointed at an empty folder, so nothing is reused from earlier runs.
    """
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RASA_CACHE_DIRECTORY": str(Path(tmp) / "cache")}
        start = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).parent / "rasa"), "train", "--out", tmp, "--fixed-model-name", "bench"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - start
        size = (Path(tmp) / "bench.tar.gz").stat().st_size / 1e6
    return seconds, size
