"""Starts the real action server and Rasa server on free loopback ports (tests, bench, staff tools)."""

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

import requests

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
START_TIMEOUT_S = 240


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    """Poll `condition` until it holds; fail naming `what` after `seconds` (no fixed sleeps in tests)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:g} s: {what}")
        time.sleep(0.1)


def logged_count(log: Path, words: str) -> int:
    return log.read_text(encoding="utf-8", errors="replace").count(words) if log.exists() else 0


def every_action_call_answered(rasa_log: Path, action_log: Path) -> bool:
    """Every action call the Rasa server logged has been run to its end by the action server."""
    calls = logged_count(rasa_log, "Calling action endpoint to run action")
    return calls > 0 and logged_count(action_log, "Finished running '") >= calls


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early; see {log}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} did not come up in {START_TIMEOUT_S}s; see {log}")


class SlowProxy:
    """Forwards the action server's webhook after a delay, like an overloaded action server."""

    def __init__(self, delay_s: float) -> None:
        self.target = ""
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(delay_s)
                try:
                    answer = requests.post(
                        proxy.target, data=body, headers={"Content-Type": "application/json"}, timeout=60
                    )
                except requests.ConnectionError:  # the bot behind it has stopped meanwhile
                    self.send_error(502)
                    return
                self.send_response(answer.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def in_front_of(self, action_url: str) -> str:
        self.target = action_url
        return f"http://127.0.0.1:{self.server.server_port}/webhook"


def server_environment(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment both servers run in: this one, the project on the path, TF quiet, and no
    telemetry or crash reports to Rasa's servers, however the tests were started (the Makefile
    says so too, but `pytest` may be run without it)."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",
        **(extra or {}),
    }


def launcher(plain_rasa: bool = False) -> List[str]:
    """`python -m server` (the project's launcher), or Rasa's own `rasa` command as deployments
    start it: the protections must hold either way (server/__init__.py)."""
    return [str(Path(sys.executable).parent / "rasa")] if plain_rasa else [sys.executable, "-m", "server"]


def action_server_command(port: int, plain_rasa: bool = False) -> List[str]:
    return [*launcher(plain_rasa), "run", "actions", "--actions", "actions", "--port", str(port)]


def rasa_server_command(
    model: Path, port: int, endpoints: Path, extra: Sequence[str] = (), plain_rasa: bool = False
) -> List[str]:
    return [
        *launcher(plain_rasa),
        "run",
        "--model",
        str(model),
        "--port",
        str(port),
        "--credentials",
        str(ROOT / "credentials.yml"),
        "--endpoints",
        str(endpoints),
        *extra,
    ]


def start_logged(command: List[str], env: Dict[str, str], log: Path) -> subprocess.Popen:
    """A server started from the project folder, its output in `log`."""
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def stop_all(processes: Sequence[subprocess.Popen]) -> None:
    """Asks every process to stop, then waits for each (killing one that does not stop)."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass(frozen=True)
class RunningBot:
    webhook: str
    rasa_pid: int
    action_pid: int
    url: str = ""  # the Rasa server's base URL: the socket.io channel (chat widget) is at url + /socket.io/
    endpoints: str = ""  # its endpoints.yml, whose tracker store is the SQLite file tracker_db
    tracker_db: str = ""


@contextmanager
def running_bot(
    model: Path,
    workdir: Path,
    allowed_origins: Sequence[str] = (),
    log_prefix: str = "",
    env: Optional[Dict[str, str]] = None,
    action_url_for: Optional[Callable[[str], str]] = None,
    action_deadline_s: float = 10,
    rasa_args: Sequence[str] = (),
    action_args: Sequence[str] = (),
    plain_rasa: bool = False,
) -> Iterator[RunningBot]:
    """A started bot (REST, socket.io and WeChat channels) whose tracker store and rehearsal
    results are fresh SQLite files in workdir. `allowed_origins`: the web pages the socket.io channel accepts
    (HELPDESK_ALLOWED_ORIGINS), instead of those in credentials.yml. `log_prefix`: for the log files
    in tests/artifacts, so that two bots running at once do not write into the same file. `env`:
    more environment variables for both servers (the WeChat settings). `action_url_for`: given the
    action server's webhook, the URL Rasa should call instead (a slow proxy in front of it).
    `action_deadline_s`: after that the Rasa server answers without the action server.
    `rasa_args`: more arguments for `rasa run` (the management API with its token), `action_args`
    for `rasa run actions`. `plain_rasa`: started with Rasa's own `rasa` command instead of
    `python -m server`."""
    ARTIFACTS.mkdir(exist_ok=True)
    action_port, rasa_port = free_port(), free_port()
    action_url = f"http://127.0.0.1:{action_port}/webhook"
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f"action_endpoint:\n  url: {action_url_for(action_url) if action_url_for else action_url}\n"
        f"  deadline_seconds: {action_deadline_s}\n"
        f"tracker_store:\n  type: stores.redacting.RedactingSQLTrackerStore\n  dialect: sqlite\n"
        f"  db: {workdir / 'tracker.db'}\n",
        encoding="utf-8",
    )
    # A throwaway bot keeps its rehearsal results in workdir too, not in var/rehearsal.db.
    env = server_environment({"REHEARSAL_DB": str(workdir / "rehearsal.db"), **(env or {})})
    if allowed_origins:
        env["HELPDESK_ALLOWED_ORIGINS"] = ",".join(allowed_origins)
    processes = []
    try:
        action_log = ARTIFACTS / f"{log_prefix}action_server.log"
        action_server = start_logged(
            [*action_server_command(action_port, plain_rasa), *action_args], env, action_log
        )
        processes.append(action_server)
        rasa_log = ARTIFACTS / f"{log_prefix}rasa_server.log"
        rasa_server = start_logged(
            rasa_server_command(model, rasa_port, endpoints, rasa_args, plain_rasa), env, rasa_log
        )
        processes.append(rasa_server)
        wait_until_up(f"http://127.0.0.1:{action_port}/health", action_server, action_log)
        wait_until_up(f"http://127.0.0.1:{rasa_port}/", rasa_server, rasa_log)
        yield RunningBot(
            webhook=f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook",
            rasa_pid=rasa_server.pid,
            action_pid=action_server.pid,
            url=f"http://127.0.0.1:{rasa_port}",
            endpoints=str(endpoints),
            tracker_db=str(workdir / "tracker.db"),
        )
    finally:
        stop_all(processes)


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex}"


def say(webhook: str, sender: str, text: str) -> List[Dict[str, Any]]:
    """The bot's messages in reply to `text` (a typed message or a button payload)."""
    reply = requests.post(webhook, json={"sender": sender, "message": text}, timeout=60)
    reply.raise_for_status()
    return reply.json()


def answer_text(webhook: str, sender: str, text: str) -> str:
    """Everything the bot says in reply to `text`, as one string."""
    return "\n".join(m.get("text", "") for m in say(webhook, sender, text))
