"""Cost against conversation length: ONE conversation of a few hundred messages (a walkthrough,
its follow-ups and FAQ questions, cycling), the latency of message 1, 25, 50, 100 and 200 and the
size of that sender's tracker in the SQLite tracker store at each. Rasa loads and saves the whole
tracker on every message, so a cost that grows with the conversation shows here.

The bot must be started with the per-sender rate limit raised (HELPDESK_RATE_LIMIT), or the
conversation is cut off after 30 messages a minute.
"""

import sqlite3
import statistics
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence

import requests

POINTS = [1, 25, 50, 100, 200]
SMOKE_POINTS = [1, 10, 20]
AROUND = 2  # the median of messages n-2..n+2, so that one hiccup does not decide a point
RATE_LIMIT = "100000/60"  # for HELPDESK_RATE_LIMIT: far above one conversation's pace

# Our own sentences, in the order a student might send them: a walkthrough and its steps, then
# questions about the documents, thanks, and leaving the walkthrough.
SCRIPT = [
    "一步步带我退出职教云",
    "手机上的APP",
    "下一步",
    "好了，然后呢",
    "下一步",
    "职教云账号注销了还能找回吗",
    "学信网账号能不能借给室友用",
    "手机丢了账号怎么办",
    "谢谢你",
    "不用教了，结束吧",
]


@dataclass
class Point:
    message: int  # its number in the conversation, from 1
    latency_ms: float  # median of the messages around it
    events: int  # the sender's events in the tracker store after this message
    tracker_bytes: int  # the bytes of their JSON


def tracker_size(tracker_db: str, sender: str) -> tuple:
    with sqlite3.connect(tracker_db) as db:
        count, size = db.execute(
            "select count(*), coalesce(sum(length(cast(data as blob))), 0) from events where sender_id = ?",
            (sender,),
        ).fetchone()
    return count, size


def run(webhook: str, tracker_db: str, points: Sequence[int] = POINTS) -> tuple:
    """(points, every message's latency in ms); every reply must be a 200 with content."""
    sender = f"length-{uuid.uuid4().hex}"
    latencies: List[float] = []
    sizes = {}
    with requests.Session() as http:
        for n in range(1, max(points) + AROUND + 1):
            text = SCRIPT[(n - 1) % len(SCRIPT)]
            start = time.perf_counter()
            reply = http.post(webhook, json={"sender": sender, "message": text}, timeout=60)
            latencies.append((time.perf_counter() - start) * 1000)
            reply.raise_for_status()
            if not reply.json():
                raise RuntimeError(f"no reply to message {n} ({text!r})")
            if n in points:
                sizes[n] = tracker_size(tracker_db, sender)
    found = [
        Point(n, statistics.median(latencies[max(0, n - 1 - AROUND) : n + AROUND]), *sizes[n]) for n in points
    ]
    return found, latencies


def table(points: Sequence[Point]) -> List[str]:
    first = points[0].latency_ms
    lines = [
        "| message | latency ms (median of n-2..n+2) | × message 1 | tracker events | tracker JSON (KB) |",
        "|---|---|---|---|---|",
    ]
    for p in points:
        lines.append(
            f"| {p.message} | {p.latency_ms:.0f} | {p.latency_ms / first:.2f} | {p.events} | "
            f"{p.tracker_bytes / 1024:.1f} |"
        )
    return lines


def plot(points: Sequence[Point], latencies: Sequence[float], path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(range(1, len(latencies) + 1), latencies, color="0.75", linewidth=0.8, label="every message")
    ax.plot([p.message for p in points], [p.latency_ms for p in points], "bo-", label="median n-2..n+2")
    ax.set_xlabel("message number in one conversation")
    ax.set_ylabel("latency over REST (ms)")
    ax.set_ylim(bottom=0)
    size = ax.twinx()
    size.plot(
        [p.message for p in points], [p.tracker_bytes / 1024 for p in points], "g^--", label="tracker JSON"
    )
    size.set_ylabel("tracker JSON in SQLite (KB)")
    size.set_ylim(bottom=0)
    lines = ax.get_legend_handles_labels()
    more = size.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
