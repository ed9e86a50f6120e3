"""Where the time of a message goes: py-spy samples the running Rasa server and action server
under a steady load, and each sample is put in the stage whose function is innermost on its
stack (NLU, policies, tracker load and save, the action call). Together with the CPU seconds the
processes used (/proc) and the messages answered meanwhile, that gives CPU milliseconds per
message by stage. Nothing in the bot is changed for this: py-spy reads the processes from outside.

py-spy needs permission to read another process's memory (root, or ptrace allowed); without it
the report says the profile could not be taken.
"""

import asyncio
import collections
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import aiohttp

from bench.open_loop import MESSAGES_PER_SENDER

PY_SPY = str(Path(sys.executable).parent / "py-spy")
CONCURRENCY = 4  # enough to keep the server busy without a queue of minutes
SAMPLES_PER_S = 100
# Folders of this project's own code in the action server ("action code"); the rest is Rasa SDK.
PROJECT_FOLDERS = ("actions", "knowledge", "privacy", "staff", "channels")


def _stages() -> List[tuple]:
    """(stage, function) in the order of a message's way through the Rasa server. A sample belongs
    to the stage of the innermost of these functions on its stack."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor

    from server.fallback import run_within_deadline

    p = MessageProcessor
    return [
        ("tracker load", p.fetch_tracker_and_update_session),
        ("tracker load", p.fetch_tracker_with_initial_session),
        ("tracker load", p.get_tracker),
        ("NLU (parse_message)", p.parse_message),
        ("policies / prediction", p._predict_next_with_tracker),
        ("other actions, responses, events", p._run_action),
        ("action server call, Rasa side", RemoteAction.run),
        ("action server call, Rasa side", run_within_deadline),
        ("tracker save", p.save_tracker),
    ]


def _span(function) -> tuple:
    """(file tail, first line, last line) of a function, to recognise its frames in py-spy's output."""
    code = function.__code__
    lines = [line for _, _, line in code.co_lines() if line is not None]
    tail = "/".join(Path(code.co_filename).parts[-3:])
    return tail, code.co_firstlineno, max(lines)


def _frame(text: str) -> tuple:
    """'name (path/file.py:123)' -> (name, path, line)."""
    name, _, where = text.rpartition(" (")
    path, _, line = where.rstrip(")").rpartition(":")
    return name, path, int(line) if line.isdigit() else -1


def read_raw(path: Path) -> Dict[tuple, int]:
    """py-spy's raw output: one stack per line, root first, frames separated by ';', then a count."""
    stacks = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[tuple(_frame(f) for f in stack.split(";"))] = int(count)
    return stacks


def idle(stack: tuple) -> bool:
    """The event loop waiting for work: py-spy cannot tell that uvloop's C loop is idle, so such a
    sample ends in the frame that started the loop (sanic's serve) or in selectors."""
    _, path, _ = stack[-1]
    return path.endswith(("sanic/server/runners.py", "selectors.py"))


PARTIAL = "not attributed (py-spy read only part of the stack)"


def complete(stack: tuple) -> bool:
    """Whether a sample holds the whole stack, down to the process's entry point. With
    --nonblocking py-spy reads a running process's memory as it changes, and some samples (about
    one in five under load) end above the functions that name a stage: counted apart, not as the
    web server's (which is what such a sample fell to before)."""
    name, path, _ = stack[0]
    return name == "_run_module_as_main" or path.endswith("threading.py")


def rasa_stages(stacks: Dict[tuple, int]) -> collections.Counter:
    spans = [(stage, *_span(function)) for stage, function in _stages()]
    counts = collections.Counter()
    for stack, n in stacks.items():
        if idle(stack):
            continue
        stage = "REST channel, web server, event loop" if complete(stack) else PARTIAL
        for _name, path, line in reversed(stack):  # innermost first
            found = next(
                (s for s, tail, first, last in spans if path.endswith(tail) and first <= line <= last), None
            )
            if found:
                stage = found
                break
        counts[stage] += n
    return counts


def action_stages(stacks: Dict[tuple, int]) -> collections.Counter:
    counts = collections.Counter()
    for stack, n in stacks.items():
        if idle(stack):
            continue
        ours = any(
            set(Path(path).parts) & set(PROJECT_FOLDERS) and "site-packages" not in path
            for _, path, _ in stack
        )
        counts["action code (actions/, knowledge/)" if ours else "Rasa SDK, its web server"] += n
    return counts


def cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _steady_load(webhook: str, questions: Sequence[str], seconds: float) -> int:
    """CONCURRENCY senders sending one message after another for `seconds`, each a new short
    conversation every MESSAGES_PER_SENDER messages (long ones would make tracker load dominate,
    bench/length.py); the answered count."""
    answered = 0
    deadline = time.perf_counter() + seconds

    async def conversation(session):
        nonlocal answered
        k = 0
        while time.perf_counter() < deadline:
            if k % MESSAGES_PER_SENDER == 0:
                sender = f"profile-{uuid.uuid4().hex}"
            async with session.post(
                webhook, json={"sender": sender, "message": questions[k % len(questions)]}
            ) as r:
                await r.read()
                answered += r.status == 200
            k += 1

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        await asyncio.gather(*[conversation(session) for _ in range(CONCURRENCY)])
    return answered


def _record(pid: int, seconds: float, out: Path) -> subprocess.Popen:
    # --nonblocking: the process is not paused for each sample, so the profile barely slows it.
    return subprocess.Popen(
        [
            PY_SPY,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            str(SAMPLES_PER_S),
            "--format",
            "raw",
            "--nonblocking",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def profile(webhook: str, rasa_pid: int, action_pid: int, questions: Sequence[str], seconds: float) -> dict:
    """{'rasa': Counter of stage -> samples, 'action': ..., 'cpu_ms': {process: CPU ms per message},
    'messages': answered, 'seconds': seconds} (shares of the busy samples) or {'error': why} when py-spy could not run."""
    with tempfile.TemporaryDirectory() as tmp:
        rasa_out, action_out = Path(tmp) / "rasa.txt", Path(tmp) / "action.txt"
        cpu_before = {"rasa": cpu_s(rasa_pid), "action": cpu_s(action_pid)}
        spies = [_record(rasa_pid, seconds, rasa_out), _record(action_pid, seconds, action_out)]
        # The load runs as long as the recording (py-spy needs a moment to attach: a little longer).
        answered = asyncio.run(_steady_load(webhook, questions, seconds + 0.5))
        errors = [spy.communicate(timeout=60)[1] for spy in spies]
        cpu = {k: cpu_s(pid) - cpu_before[k] for k, pid in (("rasa", rasa_pid), ("action", action_pid))}
        if not (rasa_out.exists() and action_out.exists()):
            return {"error": " ".join(e.strip().splitlines()[-1] for e in errors if e.strip()) or "no output"}
        return {
            "rasa": rasa_stages(read_raw(rasa_out)),
            "action": action_stages(read_raw(action_out)),
            "cpu_ms": {k: 1000 * v / max(answered, 1) for k, v in cpu.items()},
            "messages": answered,
            "seconds": seconds,
        }


def table(found: dict) -> List[str]:
    if "error" in found:
        return [f"No profile: py-spy could not run ({found['error']})."]
    lines = [
        "| process | stage | share of the process's samples | CPU ms per message |",
        "|---|---|---|---|",
    ]
    for process, name in (("rasa", "Rasa server"), ("action", "action server")):
        counts: collections.Counter = found[process]
        total = sum(counts.values()) or 1
        for stage, n in counts.most_common():
            lines.append(
                f"| {name} | {stage} | {n / total:.0%} | {found['cpu_ms'][process] * n / total:.1f} |"
            )
        lines.append(f"| {name} | **all** | 100% | **{found['cpu_ms'][process]:.1f}** |")
    return lines


def main(argv: Optional[Sequence[str]] = None) -> None:
    """python -m bench.profile: profiles a freshly started bot for 20 s and prints the table."""
    from bench.length import RATE_LIMIT
    from bench.run import MODEL, load_questions
    from harness.bot import running_bot

    with tempfile.TemporaryDirectory() as tmp:
        with running_bot(MODEL, Path(tmp), env={"HELPDESK_RATE_LIMIT": RATE_LIMIT}) as bot:
            found = profile(bot.webhook, bot.rasa_pid, bot.action_pid, load_questions(20), 20)
    print("\n".join(table(found)))


if __name__ == "__main__":
    main()
