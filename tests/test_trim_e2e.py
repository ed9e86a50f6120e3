"""A long conversation on a real bot whose tracker store trims after a few events (trim_after_events
in its endpoints file, stores/trim.py): what a student notices does not change. A follow-up after a
trim is answered as in a short conversation, a walkthrough is never cut, every message is in the
database, and what the server loads for a message stays bounded."""

import json
import sqlite3

import pytest

from bench.length import bot_with_store
from harness.bot import new_sender, say

pytestmark = pytest.mark.e2e

THRESHOLD = 12  # events: a trim every two or three messages at rest
FILLER = ["职教云账号注销了还能找回吗", "学信网账号能不能借给室友用", "谢谢你", "手机丢了账号怎么办"]
GREETING = "我是学校帮助台的账号助手"


@pytest.fixture(scope="module")
def trimming_bot(trained_model, tmp_path_factory):
    with bot_with_store(trained_model, tmp_path_factory.mktemp("trim"), trim_after_events=THRESHOLD) as bot:
        yield bot


def stored(bot, sender):
    """(id, type, data) of the sender's events, oldest first."""
    with sqlite3.connect(f"file:{bot.tracker_db}?mode=ro", uri=True) as db:
        return [
            (row_id, type_name, json.loads(data))
            for row_id, type_name, data in db.execute(
                "SELECT id, type_name, data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
            )
        ]


def loaded_events(bot, sender):
    """How many events Rasa loads for the sender's next message: those of the latest session."""
    with sqlite3.connect(f"file:{bot.tracker_db}?mode=ro", uri=True) as db:
        (count,) = db.execute(
            "SELECT count(*) FROM events WHERE sender_id = ? AND timestamp >= coalesce((SELECT "
            "max(timestamp) FROM events WHERE sender_id = ? AND type_name = 'session_started'), 0)",
            (sender, sender),
        ).fetchone()
    return count


def trims_between(bot, sender, first_text, second_text):
    """Trims written after the user message `first_text` and before `second_text`."""
    rows = stored(bot, sender)
    ids = {data.get("text"): row_id for row_id, kind, data in rows if kind == "user"}
    return [
        row_id
        for row_id, kind, data in rows
        if kind == "session_started"
        and (data.get("metadata") or {}).get("trimmed")
        and ids[first_text] < row_id < ids[second_text]
    ]


def talk(bot, sender, messages):
    """The bot's replies to each message, without whom they are addressed to."""
    return [
        [{k: v for k, v in m.items() if k != "recipient_id"} for m in say(bot.webhook, sender, text)]
        for text in messages
    ]


@pytest.mark.parametrize(
    "question, follow_up",
    [
        ("职教云app咋登出", "那网页版呢"),  # the platform and the procedure from before the trim
        ("职教云app咋登出", "查看原文"),  # the sources of the last answer
        ("学信网账号能不能借给室友用", "那职教云呢"),  # the last topic on another platform
    ],
)
def test_a_follow_up_after_a_trim_is_answered_as_in_a_short_conversation(trimming_bot, question, follow_up):
    long_one = new_sender()
    talk(trimming_bot, long_one, FILLER * 3)
    long_reply = talk(trimming_bot, long_one, [question, follow_up])[-1]
    assert trims_between(trimming_bot, long_one, question, follow_up), "no trim right before the follow-up"

    short_one = new_sender()
    short_reply = talk(trimming_bot, short_one, [question, follow_up])[-1]
    assert long_reply == short_reply
    assert GREETING not in json.dumps(long_reply, ensure_ascii=False)


WALKTHROUGH = [
    "一步步带我退出职教云",
    "手机上的APP",
    "下一步",
    "手机丢了账号怎么办",
    "下一步",
    "上一步",
    "下一步",
]


def test_a_walkthrough_in_progress_is_not_cut(trimming_bot):
    long_one = new_sender()
    talk(trimming_bot, long_one, FILLER * 2)
    before = len([1 for _, kind, _ in stored(trimming_bot, long_one) if kind == "session_started"])
    long_replies = talk(trimming_bot, long_one, WALKTHROUGH)
    during = len([1 for _, kind, _ in stored(trimming_bot, long_one) if kind == "session_started"])
    assert during == before, "a trim in the middle of the walkthrough"
    assert loaded_events(trimming_bot, long_one) > THRESHOLD  # it grew, and was left alone

    short_one = new_sender()
    assert long_replies == talk(trimming_bot, short_one, WALKTHROUGH)

    talk(trimming_bot, long_one, ["不用教了，结束吧", "谢谢你"])
    after = len([1 for _, kind, _ in stored(trimming_bot, long_one) if kind == "session_started"])
    assert after > during  # at rest again: trimmed


def test_a_long_conversation_loads_a_bounded_tracker_and_keeps_every_message(trimming_bot):
    sender = new_sender()
    messages = (FILLER + ["职教云app咋登出", "那网页版呢", "这个回答没用", "你好"]) * 5
    loads = []
    replies = []
    for text in messages:
        replies.append(talk(trimming_bot, sender, [text])[0])
        loads.append(loaded_events(trimming_bot, sender))
    rows = stored(trimming_bot, sender)
    assert [data["text"] for _, kind, data in rows if kind == "user"] == messages
    trims = [data for _, kind, data in rows if kind == "session_started" and data.get("metadata")]
    assert len(trims) >= len(messages) // 4
    # A turn is at most about 15 events; without the trim the last message would load ~300.
    assert max(loads) <= THRESHOLD + 20, loads
    assert len(rows) > 5 * max(loads)
    # The greeting only where the student greets.
    greeted = [GREETING in json.dumps(r, ensure_ascii=False) for r in replies]
    assert greeted == [text == "你好" for text in messages]
