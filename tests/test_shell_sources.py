"""Issue 14: "查看原文" in the terminal chat (`make shell`), used as a person uses it.

`make shell` (scripts/run.sh shell: the action server and `rasa shell`) runs in a real pseudo-terminal.
The test types a question, waits for the answer and its button menu (questionary: arrow keys and
Enter), moves down to "查看原文", presses Enter and reads what the terminal shows, without colours
and cursor movements: the quoted sentences of the answer's document with its title and date, as
data/knowledge and the document in ../shared/seeds say. Then it asks another question and gets
its answer: the chat goes on. During a walkthrough the menu is the walkthrough's, and typing
查看原文 shows the sources of the answer given meanwhile. The shell runs on free ports with a
throwaway tracker store (the environment variables scripts/run.sh reads), so it runs beside other
bots and leaves var/ alone.
"""

import fcntl
import os
import re
import signal
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path
from typing import Callable, List, Optional

import pytest
import yaml
from rasa.cli.utils import FREE_TEXT_INPUT_PROMPT

from harness.bot import ARTIFACTS, ROOT, START_TIMEOUT_S, free_port, server_environment, wait_until_up
from knowledge.provenance import occurs
from knowledge.render import citation, render_answer, sources_payload
from tests.test_provenance import read_documents
from tests.test_sources import SOURCES_BUTTON

pytestmark = pytest.mark.e2e

QUESTION, TOPIC = "智慧职教网页版怎么退出登录", "icve_logout_web"
NEXT_QUESTION, NEXT_TOPIC = "学信网账号可以借给同学吗", "chsi_account_share"
# A question asked in the middle of a walkthrough (as in tests/test_sources.py).
WALKTHROUGH = "一步一步教我退出智慧职教APP"
SIDE_QUESTION, SIDE_TOPIC = "注销以后手机号还能用吗", "icve_phone_reuse"
REPLY_TIMEOUT_S = 120
DOWN, ENTER = "\x1b[B", "\r"
# Escape sequences (colours, cursor movements, modes) and the backspaces prompt_toolkit draws with.
ESCAPES = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()][0-9A-Za-z]|[@-_])|[\x08\r]"
)
# A line of questionary's menu: "   2: 公共电脑（机房）怎么安全使用 (/logout{...})", " » " on the selected one.
CHOICE = re.compile(r"^ (»| ) (\d+): (.*) \((/[^\n]*)\)\s*$", re.M)
MENU_HINT = "(Use arrow keys)"
TEXT_PROMPT = "Your input ->"
SHELL_LOADED = "Bot loaded."


def plain(raw: bytes) -> str:
    return ESCAPES.sub("", raw.decode("utf-8", errors="replace"))


def group_alive(pgid: int) -> List[int]:
    """The processes of a process group that are still running (not zombies)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


class Terminal:
    """A program in a pseudo-terminal of its own, in its own process group; everything it writes is
    kept (and copied to `transcript` for a failing run)."""

    def __init__(self, command: List[str], env: dict, transcript: Path, columns: int = 250) -> None:
        master, slave = os.openpty()
        # Wide enough that no answer line wraps, as in a maximised terminal window.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, columns, 0, 0))
        self.transcript = transcript
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
        )
        os.close(slave)
        self.master = master
        self.raw = bytearray()
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, args=(transcript.open("wb"),), daemon=True)
        self.reader.start()

    def _read(self, log) -> None:
        with log:
            while True:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # EIO: every process holding the terminal has ended
                    return
                if not chunk:
                    return
                with self.lock:
                    self.raw.extend(chunk)
                log.write(chunk)
                log.flush()

    def mark(self) -> int:
        with self.lock:
            return len(self.raw)

    def shown(self, since: int = 0) -> str:
        """What the terminal showed from `since` (a mark) on, as text without escape sequences."""
        with self.lock:
            return plain(bytes(self.raw[since:]))

    def press(self, keys: str) -> None:
        os.write(self.master, keys.encode("utf-8"))

    def wait_for(
        self, what: str, done: Callable[[str], bool], since: int, timeout: float = REPLY_TIMEOUT_S
    ) -> str:
        """What was shown since `since` once `done` holds for it; fails, with the screen, after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.shown(since)
            if done(text):
                return text
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"the shell never showed {what}; it showed:\n{text[-4000:]}\n(see {self.transcript})"
                )
            time.sleep(0.2)

    def close(self) -> None:
        """Stops the whole process group (the script, its action server and Rasa), killing what is
        left after 30 s."""
        pgid = self.process.pid
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 30
        while group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if group_alive(pgid):
            os.killpg(pgid, signal.SIGKILL)
        try:
            self.process.wait(timeout=10)
        finally:
            self.reader.join(timeout=5)
            os.close(self.master)


def shell_endpoints(workdir: Path, action_port: int) -> Path:
    """The project's endpoints.yml with the action server on `action_port` and the conversations in
    a throwaway SQLite file."""
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{action_port}/webhook"
    endpoints["tracker_store"]["db"] = str(workdir / "tracker.db")
    path = workdir / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def shell(trained_model, tmp_path, request):
    """`make shell` (scripts/run.sh shell) in a pseudo-terminal, once the bot and its action server are up."""
    ARTIFACTS.mkdir(exist_ok=True)
    action_port = free_port()
    env = server_environment(
        {
            "HELPDESK_ACTION_PORT": str(action_port),
            "HELPDESK_RASA_PORT": str(free_port()),
            "HELPDESK_ENDPOINTS": str(shell_endpoints(tmp_path, action_port)),
            "REHEARSAL_DB": str(tmp_path / "rehearsal.db"),
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            # The pseudo-terminal does not answer prompt_toolkit's cursor position requests.
            "PROMPT_TOOLKIT_NO_CPR": "1",
        }
    )
    transcript = ARTIFACTS / f"shell_{request.node.name}.log"  # what the terminal showed
    terminal = Terminal(["scripts/run.sh", "shell"], env, transcript)
    try:
        terminal.wait_for("that the bot is loaded", lambda s: SHELL_LOADED in s, 0, START_TIMEOUT_S)
        # Rasa would answer without the action server (server/fallback.py): wait for the real one.
        wait_until_up(f"http://127.0.0.1:{action_port}/health", terminal.process, transcript)
        yield terminal
    finally:
        terminal.close()
    assert not group_alive(terminal.process.pid), "processes of `make shell` outlived the test"


def replied(shown: str) -> bool:
    """True once the shell waits for the next message: typed, or chosen from a button menu."""
    return TEXT_PROMPT in shown or FREE_TEXT_INPUT_PROMPT in shown


def ask(terminal: Terminal, question: str) -> str:
    """Types a question and returns what the shell shows until its button menu is complete."""
    since = terminal.mark()
    terminal.press(question + ENTER)
    return terminal.wait_for(
        f"an answer with a button menu to {question!r}", lambda s: FREE_TEXT_INPUT_PROMPT in s, since
    )


def menu(shown: str) -> List[re.Match]:
    """The choices of the last button menu in `shown`, in order."""
    return list(CHOICE.finditer(shown[shown.rindex(MENU_HINT) :]))


def selected(shown: str) -> Optional[str]:
    """The title of the choice the pointer was drawn on last."""
    pointed = [m.group(3) for m in CHOICE.finditer(shown) if m.group(1) == "»"]
    return pointed[-1] if pointed else None


def choose(terminal: Terminal, titles: List[str], title: str) -> str:
    """Moves the pointer of the open menu (on its first choice) down to `title` with the arrow key,
    checks it is drawn there, presses Enter and returns what the shell shows until it waits again."""
    since = terminal.mark()
    terminal.press(DOWN * titles.index(title))
    if titles.index(title):
        terminal.wait_for(f"the pointer on {title}", lambda s: selected(s) == title, since)
    since = terminal.mark()
    terminal.press(ENTER)
    return terminal.wait_for(f"a reply to {title}", replied, since)


def type_own_message(terminal: Terminal, titles: List[str]) -> None:
    """Leaves the open menu by its last choice, to type a message."""
    since = terminal.mark()
    terminal.press(DOWN * len(titles) + ENTER)
    terminal.wait_for("a prompt to type a message", lambda s: TEXT_PROMPT in s, since)


def assert_shows_the_quotes(knowledge, documents, topic_id: str, shown: str) -> None:
    """Every sentence `topic_id` rests on, from its document, under the document's title and date."""
    quotes = knowledge.quotes_of(topic_id)
    assert quotes, f"{topic_id} rests on no sentence of a document"
    for source, quote in quotes:
        document = knowledge.sources[source]
        assert occurs(quote, documents[source]), (source, quote)  # a sentence of that document
        assert f"「{quote}」" in shown, f"{quote!r} of {source} is not shown:\n{shown}"
        heading = knowledge.presentation["sources_document"].format(**document)
        assert document["title"] in heading and str(document["published"]) in heading
        assert heading in shown, f"the title and date of {source} are not shown:\n{shown}"
        assert shown.index(heading) < shown.index(f"「{quote}」")  # under its own document's heading


@pytest.fixture
def documents(knowledge):
    return read_documents(knowledge)


# `documents` first: without the documents the test is skipped before the shell is started.
def test_the_sources_button_in_the_terminal_shows_the_quoted_document_and_the_chat_goes_on(
    documents, shell, knowledge
):
    quotes = knowledge.quotes_of(TOPIC)
    assert quotes, f"{TOPIC} rests on no sentence of a document"

    answer = ask(shell, QUESTION)
    for source in {source for source, _ in quotes}:
        assert citation(knowledge, source) in answer  # the answer, with its document named
    choices = menu(answer)
    titles = [c.group(3) for c in choices]
    assert SOURCES_BUTTON in titles, f"no {SOURCES_BUTTON} in the shell's menu: {titles}"
    assert choices[titles.index(SOURCES_BUTTON)].group(4) == sources_payload(knowledge, TOPIC)
    assert selected(answer) == titles[0]  # the pointer starts on the first choice
    assert knowledge.presentation["sources_document"].format(**knowledge.sources[quotes[0][0]]) not in answer

    # Down to 查看原文 as a person would.
    shown = choose(shell, titles, SOURCES_BUTTON)
    assert_shows_the_quotes(knowledge, documents, TOPIC, shown)
    # The sources are all of the reply: then the shell waits for the next message.
    assert TEXT_PROMPT in shown, f"no prompt for the next message after the sources:\n{shown}"
    assert all(shown.index(f"「{quote}」") < shown.rindex(TEXT_PROMPT) for _, quote in quotes)

    # The chat goes on: the next question gets its answer, with its own 查看原文.
    next_answer = ask(shell, NEXT_QUESTION)
    for line in render_answer(knowledge, NEXT_TOPIC).split("\n"):
        assert line in next_answer, (
            f"{line!r} of the answer to {NEXT_QUESTION!r} is not shown:\n{next_answer}"
        )
    next_choices = menu(next_answer)
    assert (SOURCES_BUTTON, sources_payload(knowledge, NEXT_TOPIC)) in [
        (c.group(3), c.group(4)) for c in next_choices
    ]


def test_in_a_walkthrough_the_sources_of_an_answer_meanwhile_are_one_typed_message_away(
    documents, shell, knowledge
):
    """A question answered during a walkthrough is followed by the walkthrough's step, whose buttons
    (下一步, 卡住了, 退出引导) make the menu: Rasa's shell lists the answer's buttons, 查看原文 too,
    without a menu (only a reply's last message gets one). Typing 查看原文 (after the menu's last
    choice) shows that answer's sources, and the walkthrough goes on with the same menu."""
    step = ask(shell, WALKTHROUGH)
    step_titles = [c.group(3) for c in menu(step)]
    type_own_message(shell, step_titles)
    answer = ask(shell, SIDE_QUESTION)
    listed = f"{SOURCES_BUTTON} ({sources_payload(knowledge, SIDE_TOPIC)})"
    assert listed in answer, f"the answer's {SOURCES_BUTTON} is not listed:\n{answer}"
    assert [c.group(3) for c in menu(answer)] == step_titles  # the walkthrough resumed
    type_own_message(shell, step_titles)
    shown = ask(shell, SOURCES_BUTTON)
    assert_shows_the_quotes(knowledge, documents, SIDE_TOPIC, shown)
    assert [c.group(3) for c in menu(shown)] == step_titles
