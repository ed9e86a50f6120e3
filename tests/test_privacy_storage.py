"""Nothing stored or logged carries personal data; one person's conversations can be deleted;
old ones are deleted after the retention period (privacy/, stores/, server/)."""

import asyncio
import json
import logging
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from harness.bot import ARTIFACTS, new_sender, say
from privacy import redact
from server import redact_log_records
from stores.redacting import RedactingSQLTrackerStore, redacted

ROOT = Path(__file__).resolve().parent.parent
PERSONAL = {
    "11010519491231002X": "【身份证号】",
    "13812345678": "【手机号】",
    "zhang.san@example.com": "【邮箱】",
    "4111 1111 1111 1111": "【银行卡号】",
    "abc12345": "【密码】",
}
MESSAGE = (
    "我身份证11010519491231002X，手机13812345678，邮箱zhang.san@example.com，"
    "卡号4111 1111 1111 1111，密码是abc12345，职教云怎么注销"
)


@pytest.mark.unit
def test_redact_masks_every_kind_and_keeps_the_rest():
    text = redact(MESSAGE)
    for value, placeholder in PERSONAL.items():
        assert value not in text and placeholder in text
    assert text.endswith("职教云怎么注销")


@pytest.mark.unit
@pytest.mark.parametrize(
    "harmless",
    [
        "职教云怎么注销",
        "注销后180天才能重新注册",
        "我的学号是2023123456",
        "72小时后重新登录",
    ],
)
def test_redact_leaves_ordinary_text_alone(harmless):
    assert redact(harmless) == harmless


@pytest.mark.unit
def test_a_user_event_is_redacted_and_others_are_kept():
    event = UserUttered(
        MESSAGE,
        {"name": "deregister", "confidence": 0.9},
        parse_data={"text": MESSAGE, "intent": {"name": "deregister"}, "entities": []},
    )
    stored = redacted(event).as_dict()
    dumped = json.dumps(stored, ensure_ascii=False)
    assert all(value not in dumped for value in PERSONAL)
    assert stored["parse_data"]["intent"]["name"] == "deregister"
    bot = BotUttered("你好")
    assert redacted(bot) is bot


@pytest.mark.unit
def test_slot_values_are_redacted_and_plain_ones_kept():
    slot = redacted(SlotSet("note", {"said": [MESSAGE], "step": 2}))
    dumped = json.dumps(slot.as_dict(), ensure_ascii=False)
    assert all(value not in dumped for value in PERSONAL) and slot.value["step"] == 2
    plain = SlotSet("platform", "icve")
    assert redacted(plain) is plain


def store_at(path, **kwargs):
    return RedactingSQLTrackerStore(dialect="sqlite", db=str(path), **kwargs)


def rows(path):
    with sqlite3.connect(path) as db:
        return db.execute("select sender_id, timestamp, data from events").fetchall()


@pytest.mark.unit
def test_store_writes_no_personal_data_and_reads_back_the_redacted_text(tmp_path):
    db = tmp_path / "tracker.db"
    store = store_at(db)
    tracker = DialogueStateTracker.from_events("s1", [UserUttered(MESSAGE, {"name": "deregister"})])
    asyncio.run(store.save(tracker))
    raw = "".join(data for _, _, data in rows(db))
    assert all(value not in raw for value in PERSONAL)
    assert "【手机号】" in json.loads(rows(db)[0][2])["text"]
    loaded = asyncio.run(store.retrieve("s1"))
    assert "13812345678" not in loaded.latest_message.text and "【手机号】" in loaded.latest_message.text


@pytest.mark.unit
def test_forget_deletes_one_senders_conversations_only(tmp_path):
    db = tmp_path / "tracker.db"
    store = store_at(db)
    for sender in ("alice", "bob"):
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, [UserUttered("你好")])))
    assert store.forget("alice") == 1
    assert [sender for sender, _, _ in rows(db)] == ["bob"]


@pytest.mark.unit
def test_events_older_than_the_retention_period_are_deleted(tmp_path):
    db = tmp_path / "tracker.db"
    store = store_at(db, retention_days=30)
    old = UserUttered("旧消息", timestamp=time.time() - 31 * 24 * 3600)
    new = UserUttered("新消息")
    asyncio.run(store.save(DialogueStateTracker.from_events("s1", [old, new])))
    assert store.purge_old_events() == 1
    assert [json.loads(data)["text"] for _, _, data in rows(db)] == ["新消息"]


@pytest.mark.unit
def test_log_lines_are_redacted(caplog):
    redact_log_records()
    with caplog.at_level(logging.INFO):
        logging.getLogger("rasa.core.processor").info("Received user message '%s'", MESSAGE)
    assert all(value not in caplog.text for value in PERSONAL)
    # Neither the personal data nor the rest of the message: only how long it was (once masked).
    assert "职教云怎么注销" not in caplog.text and "【手机号】" not in caplog.text
    assert f"Received user message '【消息 {len(redact(MESSAGE))}字】'" in caplog.text


@pytest.mark.e2e
def test_conversation_over_rest_stores_and_logs_no_personal_data(bot):
    sender = new_sender()
    say(bot.webhook, sender, MESSAGE)
    say(bot.webhook, sender, "我的邮箱是zhang.san@example.com，帮我查一下学信网")
    deadline = time.time() + 10
    while time.time() < deadline and len([r for r in rows(bot.tracker_db) if r[0] == sender]) < 2:
        time.sleep(0.2)
    # Rasa writes JSON with \u escapes: decode it to read what is stored.
    stored = "".join(
        json.dumps(json.loads(data), ensure_ascii=False) for s, _, data in rows(bot.tracker_db) if s == sender
    )
    assert "【手机号】" in stored
    assert all(value not in stored for value in PERSONAL)
    logs = "".join(p.read_text(encoding="utf-8", errors="ignore") for p in ARTIFACTS.glob("*.log"))
    assert all(value not in logs for value in PERSONAL)


@pytest.mark.e2e
def test_make_forget_deletes_a_conversation_from_the_running_bots_store(bot):
    sender = new_sender()
    say(bot.webhook, sender, "你好")
    assert any(s == sender for s, _, _ in rows(bot.tracker_db))
    done = subprocess.run(
        [sys.executable, "-m", "stores.forget", sender, "--endpoints", bot.endpoints],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert not any(s == sender for s, _, _ in rows(bot.tracker_db))
