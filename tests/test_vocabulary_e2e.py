"""Adding a word is a one-file change: in a copy of the project's data/, a new nickname of 智慧职教, a
new word for deregistering and a new typo are written only in data/vocabulary.yml; `make data`'s
generator runs, a model is trained from the copy, and the real bot (Rasa and action servers)
recognises each of them and answers as it does for the words it already knew.

One training run (a few minutes on two cores), shared by the module's tests.
"""

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.bot import ARTIFACTS, answer_text, new_sender, running_bot, server_environment
from knowledge.vocabulary import main as make_data

# Retraining the model (up to its own 1800 s limit) counts toward the first test's pytest-timeout.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(2400)]

ROOT = Path(__file__).resolve().parent.parent
# Invented, plausible words that appear nowhere in the project's data.
NICKNAME = "职教小云"  # for 智慧职教 (icve)
GOAL_WORD = "删掉账号"  # for deregistering
TYPO = ("智慧职救", "智慧职教")
UNKNOWN_NICKNAME = "职教大云"  # not added: the bot must still ask which platform


def added(text: str) -> str:
    """data/vocabulary.yml with the three words added, as a maintainer would type them."""
    edits = [
        ("  icve: [", f"  icve: [{NICKNAME}, "),
        ("  deregister: [", f"  deregister: [{GOAL_WORD}, "),
        ("typos:\n", f"typos:\n  {TYPO[0]}: {TYPO[1]}\n"),
    ]
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def files_under(folder: Path) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of data/, config.yml and domain.yml with the words added, regenerated and trained."""
    copy = tmp_path_factory.mktemp("vocabulary-e2e")
    shutil.copytree(ROOT / "data", copy / "data", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, copy / name)
    for word in (NICKNAME, GOAL_WORD, TYPO[0], UNKNOWN_NICKNAME):
        assert not any(word in t.decode("utf-8", "ignore") for t in files_under(copy).values()), word
    before = files_under(copy / "data")
    vocabulary = copy / "data" / "vocabulary.yml"
    vocabulary.write_text(added(vocabulary.read_text(encoding="utf-8")), encoding="utf-8")
    assert make_data(["--data", str(copy / "data")]) == 0
    changed = {p for p, content in files_under(copy / "data").items() if before.get(p) != content}
    # Only the vocabulary was edited; the generator wrote the rest.
    assert changed == {Path("vocabulary.yml"), Path("nlu") / "vocabulary.yml"}
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / "vocabulary_e2e_train.log").open("w") as log:
        subprocess.run(
            [
                str(Path(sys.executable).parent / "rasa"),
                "train",
                "--fixed-model-name",
                "edited",
                "--out",
                "models",
            ],
            cwd=copy,  # config.yml's data/vocabulary.yml and data/dict are the copy's
            env=server_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=1800,
        )
    return copy


@pytest.fixture(scope="module")
def bot(project, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("vocabulary-e2e-bot")
    # The action server reads the copy's knowledge and vocabulary too.
    env = {"KNOWLEDGE_DIR": str(project / "data" / "knowledge")}
    with running_bot(
        project / "models" / "edited.tar.gz", workdir, log_prefix="vocabulary-e2e-", env=env
    ) as bot:
        yield bot


def entities_of_last_message(bot, sender: str) -> dict:
    """What the NLU found in the sender's last message, from the bot's tracker store."""
    with sqlite3.connect(bot.tracker_db) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id", (sender,)
        ).fetchall()
    parse = json.loads(rows[-1][0])["parse_data"]
    return {e["entity"]: e["value"] for e in parse["entities"]}


def asked(bot, text: str):
    sender = new_sender()
    reply = answer_text(bot.webhook, sender, text)
    return reply, entities_of_last_message(bot, sender)


def test_a_new_nickname_is_recognised_and_answered(bot):
    known_reply, _ = asked(bot, "职教云APP怎么退出登录")
    reply, entities = asked(bot, f"{NICKNAME}APP怎么退出登录")
    assert entities.get("platform") == "icve"
    assert reply == known_reply and "智慧职教APP退出登录" in reply


def test_a_nickname_not_added_is_still_not_known(bot):
    """The control: the model did not learn nicknames in general, only the one added."""
    reply, entities = asked(bot, f"{UNKNOWN_NICKNAME}APP怎么退出登录")
    assert "platform" not in entities
    assert "智慧职教APP退出登录" not in reply


def test_a_new_typo_is_fixed(bot):
    known_reply, _ = asked(bot, "智慧职教APP怎么退出登录")
    reply, entities = asked(bot, f"{TYPO[0]}APP怎么退出登录")
    assert entities.get("platform") == "icve"
    assert reply == known_reply


def test_a_new_goal_word_starts_the_right_walkthrough(bot, project):
    """ "删掉账号" is read as deregistering: the walkthrough goes on to ask whose account it is, as it
    does for "注销", instead of asking what to do."""
    questions = yaml.safe_load((project / "data" / "knowledge" / "walkthroughs.yml").read_text("utf-8"))[
        "questions"
    ]
    reply, entities = asked(bot, f"智慧职教 一步一步带我{GOAL_WORD}")
    assert entities.get("goal") == "deregister"
    assert questions["account"]["ask"] in reply and questions["goal"]["ask"] not in reply
    assert reply == asked(bot, "智慧职教 一步一步带我注销")[0]
