"""Cost against conversation length: ONE conversation of a few hundred messages (a walkthrough,
its follow-ups and FAQ questions, cycling), the latency of message 1, 25, 50, 100 and 200 and the
size of that sender's tracker in the SQLite tracker store at each. Rasa loads and saves the whole
tracker on every message, so a cost that grows with the conversation shows here.

The bot must be started with the per-sender rate limit raised (HELPDESK_RATE_LIMIT), or the
conversation is cut off after 30 messages a minute.

    python -m bench.length [--trim-after-events N] [--store module.Class --pythonpath DIR]

measures it on its own (a bot started for it), e.g. with and without the tracker store's trim.
"""

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

import requests
import yaml

from bench import profile
from bench.profile import cpu_s
from harness.bot import ROOT, RunningBot, running_bot

POINTS = [1, 10, 25, 50, 100, 200]
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
    session_events: int  # the events of its latest session: what the next message loads


def tracker_size(tracker_db: str, sender: str) -> tuple:
    """(events, bytes of their JSON, events of the latest session: what Rasa loads per message)."""
    with sqlite3.connect(tracker_db) as db:
        count, size = db.execute(
            "select count(*), coalesce(sum(length(cast(data as blob))), 0) from events where sender_id = ?",
            (sender,),
        ).fetchone()
        (session,) = db.execute(
            "select count(*) from events where sender_id = ? and timestamp >= coalesce("
            "(select max(timestamp) from events where sender_id = ? and type_name = 'session_started'), 0)",
            (sender, sender),
        ).fetchone()
    return count, size, session


def warm_up(webhook: str) -> None:
    """One round of the script from another sender: the first messages to a new server are slow
    (first NLU call, first action call) whatever the length of the conversation."""
    sender = f"warm-up-{uuid.uuid4().hex}"
    with requests.Session() as http:
        for text in SCRIPT:
            http.post(webhook, json={"sender": sender, "message": text}, timeout=60).raise_for_status()


def run(
    webhook: str,
    tracker_db: str,
    points: Sequence[int] = POINTS,
    on_message: Optional[Callable[[int], None]] = None,
    sender: Optional[str] = None,
) -> tuple:
    """(points, every message's latency in ms); every reply must be a 200 with content.
    `on_message(n)` is called after message n's reply."""
    sender = sender or f"length-{uuid.uuid4().hex}"
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
            if on_message:
                on_message(n)
            if n in points:
                sizes[n] = tracker_size(tracker_db, sender)
    found = [
        Point(n, statistics.median(latencies[max(0, n - 1 - AROUND) : n + AROUND]), *sizes[n]) for n in points
    ]
    return found, latencies


def table(points: Sequence[Point]) -> List[str]:
    first = points[0].latency_ms
    lines = [
        "| message | latency ms (median of n-2..n+2) | × message 1 | tracker events | tracker JSON (KB) "
        "| events loaded per message (latest session) |",
        "|---|---|---|---|---|---|",
    ]
    for p in points:
        lines.append(
            f"| {p.message} | {p.latency_ms:.0f} | {p.latency_ms / first:.2f} | {p.events} | "
            f"{p.tracker_bytes / 1024:.1f} | {p.session_events} |"
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


@contextmanager
def bot_with_store(model: Path, workdir: Path, **store_options: Any) -> Iterator[RunningBot]:
    """The bench's bot (rate limit raised) whose tracker store has `store_options` besides the
    harness's own (type, dialect, db): e.g. trim_after_events=0 to measure without the trim. The
    harness writes its endpoints file; Rasa reads the last `--endpoints`, this one."""
    endpoints = workdir / "length-endpoints.yml"
    env = {"HELPDESK_RATE_LIMIT": RATE_LIMIT}
    pythonpath = store_options.pop("pythonpath", None)
    if pythonpath:  # a store class outside the project (the code before a change)
        env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{pythonpath}"

    def write_endpoints(action_url: str) -> str:
        store = {
            "type": "stores.redacting.RedactingSQLTrackerStore",
            "dialect": "sqlite",
            "db": str(workdir / "tracker.db"),
            **store_options,
        }
        config = {"action_endpoint": {"url": action_url, "deadline_seconds": 10}, "tracker_store": store}
        endpoints.write_text(yaml.safe_dump(config), encoding="utf-8")
        return action_url

    with running_bot(
        model,
        workdir,
        env=env,
        action_url_for=write_endpoints,
        rasa_args=["--endpoints", str(endpoints)],
        log_prefix="length-",
    ) as bot:
        yield bot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "helpdesk.tar.gz")
    parser.add_argument("--trim-after-events", type=int, help="the tracker store's parameter (0: off)")
    parser.add_argument("--store", help="another tracker store class (module.Class)")
    parser.add_argument("--pythonpath", help="where that class's module is")
    parser.add_argument("--points", default=",".join(map(str, POINTS)))
    parser.add_argument("--label", default="")
    parser.add_argument(
        "--profile-seconds", type=float, default=0, help="then py-spy on the same conversation going on"
    )
    args = parser.parse_args()
    options: Dict[str, Any] = {}
    if args.trim_after_events is not None:
        options["trim_after_events"] = args.trim_after_events
    if args.store:
        options["type"] = args.store
    if args.pythonpath:
        options["pythonpath"] = args.pythonpath
    points = [int(p) for p in args.points.split(",")]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, bot_with_store(args.model, Path(tmp), **options) as bot:
        warm_up(bot.webhook)
        cpu = [cpu_s(bot.rasa_pid) + cpu_s(bot.action_pid)]
        sender = f"length-{uuid.uuid4().hex}"
        found, latencies = run(
            bot.webhook,
            bot.tracker_db,
            points,
            lambda n: cpu.append(cpu_s(bot.rasa_pid) + cpu_s(bot.action_pid)),
            sender,
        )
        profiled = (
            profile_going_on(bot, sender, args.profile_seconds, len(latencies))
            if args.profile_seconds
            else None
        )
    load_after = os.getloadavg()
    print(f"{args.label} {options}")
    print("load average before: " + ", ".join(f"{x:.2f}" for x in load_before))
    print("load average after:  " + ", ".join(f"{x:.2f}" for x in load_after))
    print("\n".join(table(found)))
    print("\n".join(rounds(latencies, [(b - a) * 1000 for a, b in zip(cpu, cpu[1:], strict=False)])))
    if profiled:
        print(f"Profile of the same conversation going on after message {len(latencies)}:")
        print("\n".join(profile.table(profiled)))


def profile_going_on(bot: RunningBot, sender: str, seconds: float, sent: int) -> dict:
    """py-spy on both servers while the conversation goes on for `seconds` (bench/profile.py's
    stages and CPU ms per message, for one long conversation instead of many short ones)."""
    with tempfile.TemporaryDirectory() as tmp:
        rasa_out, action_out = Path(tmp) / "rasa.txt", Path(tmp) / "action.txt"
        before = {"rasa": cpu_s(bot.rasa_pid), "action": cpu_s(bot.action_pid)}
        spies = [
            profile._record(bot.rasa_pid, seconds, rasa_out),
            profile._record(bot.action_pid, seconds, action_out),
        ]
        answered, end = 0, time.perf_counter() + seconds + 0.5
        with requests.Session() as http:
            while time.perf_counter() < end:
                text = SCRIPT[(sent + answered) % len(SCRIPT)]
                http.post(
                    bot.webhook, json={"sender": sender, "message": text}, timeout=60
                ).raise_for_status()
                answered += 1
        errors = [spy.communicate(timeout=60)[1] for spy in spies]
        cpu = {
            "rasa": cpu_s(bot.rasa_pid) - before["rasa"],
            "action": cpu_s(bot.action_pid) - before["action"],
        }
        if not (rasa_out.exists() and action_out.exists()):
            return {"error": " ".join(e.strip().splitlines()[-1] for e in errors if e.strip()) or "no output"}
        return {
            "rasa": profile.rasa_stages(profile.read_raw(rasa_out)),
            "action": profile.action_stages(profile.read_raw(action_out)),
            "cpu_ms": {k: 1000 * v / max(answered, 1) for k, v in cpu.items()},
            "messages": answered,
            "seconds": seconds,
        }


def rounds(latencies: Sequence[float], cpu_ms: Sequence[float]) -> List[str]:
    """The median latency of whole rounds of the script (each message once), so that what a message
    asks does not hide what its place in the conversation costs; and the CPU time the Rasa server
    and the action server used per message of the round (less disturbed by a busy machine)."""
    size = len(SCRIPT)
    lines = [
        "| round of the script (messages) | median latency ms | × round 1 | CPU ms per message | × round 1 |",
        "|---|---|---|---|---|",
    ]
    first = statistics.median(latencies[:size])
    first_cpu = statistics.mean(cpu_ms[:size])
    for start in range(0, len(latencies) - size + 1, size):
        number = start // size + 1
        if number in (1, 2, 5, 10, 15, 20):
            median = statistics.median(latencies[start : start + size])
            used = statistics.mean(cpu_ms[start : start + size])
            lines.append(
                f"| {number} ({start + 1}–{start + size}) | {median:.0f} | {median / first:.2f} | "
                f"{used:.1f} | {used / first_cpu:.2f} |"
            )
    return lines


if __name__ == "__main__":
    main()
