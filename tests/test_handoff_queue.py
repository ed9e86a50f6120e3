"""The handoff queue (channels/handoff_queue.py), the desk's hours (staff/desk.py), the staff
accounts (staff/accounts.py) and the offer of a person (actions/handoff.py), without servers; the
same queue operations on a real Redis in test_handoff_queue_redis below (e2e)."""

import asyncio
import datetime
import socket
import subprocess
import time

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoff, offer_after_repeated_failure
from channels.handoff_queue import CLOSED, LEAVING, MESSAGE, RETURNED, TAKEN, WAITING, MemoryQueue, RedisQueue
from channels.payloads import user_text
from knowledge.render import handoff_buttons
from staff.accounts import StaffAccounts, hash_password
from staff.desk import DeskConfig, parse_hours, wechat_handoff_mode, wechat_window_seconds

IDLE = 1800.0


def run(coroutine):
    return asyncio.run(coroutine)


async def queue_story(queue: MemoryQueue) -> None:
    """What every queue must do, at fixed times (seconds)."""
    a = await queue.request("web:a", desk_open=True, now=100)
    b = await queue.request("web:b", desk_open=True, now=110)
    assert (a.status, b.status) == (WAITING, WAITING)
    assert await queue.request("web:a", desk_open=True, now=120) == a  # asking again: the same place
    assert await queue.place(a.id, IDLE, now=130) == 1 and await queue.place(b.id, IDLE, now=130) == 2

    # Two staff members take the same conversation: one gets it.
    assert (await queue.take(a.id, "wang", now=140)).staff == "wang"
    assert await queue.take(a.id, "li", now=141) is None
    assert (await queue.take(a.id, "wang", now=142)).status == TAKEN  # theirs already: still theirs
    assert await queue.place(b.id, IDLE, now=143) == 1  # the one before is taken: b moves up
    assert await queue.place(a.id, IDLE, now=143) == 0
    with_person, went_back = await queue.with_a_person("web:a", IDLE, now=150)
    assert with_person.id == a.id and went_back is None
    assert await queue.with_a_person("web:nobody", IDLE, now=150) == (None, None)

    # Another staff member can neither hand back nor close wang's conversation.
    assert await queue.end(a.id, RETURNED, "staff", now=160, staff="li") is None
    assert (await queue.end(a.id, RETURNED, "staff", now=161, staff="wang")).status == RETURNED
    assert await queue.with_a_person("web:a", IDLE, now=162) == (None, None)
    assert [t.id for t in await queue.listed(IDLE, now=163)] == [b.id]
    again = await queue.request("web:a", desk_open=True, now=170)  # a new request after that
    assert again.id != a.id and await queue.place(again.id, IDLE, now=171) == 2

    # Idle: nothing said for the idle time, back to the bot when next looked at.
    await queue.touch(again.id, now=200)
    assert (await queue.with_a_person("web:a", IDLE, now=200 + IDLE - 1))[0] is not None
    person, went_back = await queue.with_a_person("web:a", IDLE, now=200 + IDLE)
    assert person is None and went_back.status == RETURNED and went_back.ended_by == "idle"
    assert [t.id for t in await queue.listed(IDLE, now=110 + IDLE - 1)] == [b.id]
    assert await queue.listed(IDLE, now=110 + IDLE) == []  # b waited too long as well

    # Outside the hours: leaving a message, then listed for staff while the bot answers again.
    c = await queue.request("web:c", desk_open=False, now=5000)
    assert c.status == LEAVING and (await queue.with_a_person("web:c", IDLE, now=5001))[0].id == c.id
    assert (await queue.left_message(c.id, now=5002)).status == MESSAGE
    assert await queue.left_message(c.id, now=5003) is None  # one message, once
    assert await queue.with_a_person("web:c", IDLE, now=5004) == (None, None)
    assert [(t.id, t.status) for t in await queue.listed(IDLE, now=5005 + 10 * IDLE)] == [(c.id, MESSAGE)]
    assert (await queue.end(c.id, CLOSED, "staff", now=5006, staff="li")).status == CLOSED
    assert await queue.listed(IDLE, now=5007) == []


@pytest.mark.unit
def test_the_memory_queue():
    run(queue_story(MemoryQueue()))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.e2e
def test_the_redis_queue_is_the_same_queue_shared_by_replicas():
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)

        async def story() -> None:
            await queue_story(RedisQueue("127.0.0.1", port))
            # Two replicas, two queue objects, one Redis: what one does the other sees.
            first, second = RedisQueue("127.0.0.1", port), RedisQueue("127.0.0.1", port)
            ticket = await first.request("web:z", desk_open=True, now=9000)
            assert (await second.with_a_person("web:z", IDLE, now=9001))[0].id == ticket.id
            taken = await asyncio.gather(
                second.take(ticket.id, "wang", 9002), first.take(ticket.id, "li", 9002)
            )
            assert sorted(t is None for t in taken) == [False, True]  # exactly one of them

        run(story())
    finally:
        server.terminate()
        server.wait(timeout=10)


# ---- the desk's hours ----


@pytest.mark.unit
def test_desk_hours_are_read_and_written_for_students(knowledge):
    config = DeskConfig.from_environment(
        {"HELPDESK_DESK_HOURS": "1-5 08:30-12:00;1-5 13:30-17:30;6 09:00-12:00"}
    )
    texts = knowledge.presentation["handoff"]
    assert config.hours_text(texts) == "周一至周五 08:30–12:00，周一至周五 13:30–17:30，周六 09:00–12:00"
    shanghai = datetime.timezone(datetime.timedelta(hours=8))
    monday = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=shanghai)
    assert config.is_open(monday)
    assert not config.is_open(monday.replace(hour=12, minute=30))  # lunch
    assert not config.is_open(monday.replace(hour=17, minute=30))  # the end is not included
    assert config.is_open(monday + datetime.timedelta(days=5))  # Saturday morning
    assert not config.is_open(monday + datetime.timedelta(days=6))  # Sunday
    utc = datetime.timezone.utc  # read in Asia/Shanghai whatever the clock's zone
    assert config.is_open(datetime.datetime(2026, 11, 30, 2, 0, tzinfo=utc))  # 10:00 in Shanghai
    assert not config.is_open(datetime.datetime(2026, 11, 30, 10, 0, tzinfo=utc))  # 18:00 in Shanghai
    default = DeskConfig.from_environment({})
    assert default.hours_text(texts) == "周一至周五 08:30–17:30" and default.idle_seconds == 30 * 60
    always = DeskConfig.from_environment({"HELPDESK_DESK_HOURS": "1-7 00:00-24:00"})
    assert always.is_open(monday.replace(hour=23, minute=59))
    for bad in ("weekdays 9-5", "1-5 18:00-08:00", "8 09:00-10:00", "1-5 25:00-26:00", ";"):
        with pytest.raises(ValueError):
            parse_hours(bad)
    with pytest.raises(ValueError):
        DeskConfig.from_environment({"HELPDESK_HANDOFF_IDLE_MINUTES": "0"})


# ---- staff accounts ----


@pytest.mark.unit
def test_staff_accounts_have_no_default_and_check_the_hash():
    assert not StaffAccounts.from_environment({}).configured
    assert StaffAccounts.from_environment({}).verify("admin", "admin") is None
    entry = f"wang:{hash_password('correct-horse-1', iterations=100_000)}"
    accounts = StaffAccounts.parse(entry + "," + f"li:{hash_password('another-one-22', iterations=100_000)}")
    assert accounts.verify("wang", "correct-horse-1") == "wang"
    assert accounts.verify("wang", "another-one-22") is None  # li's password
    assert accounts.verify("nobody", "correct-horse-1") is None
    assert accounts.verify("wang", "") is None and accounts.verify(None, None) is None
    for bad in ("wang:plaintext", "wang:pbkdf2_sha256$1000$00$" + "00" * 32, "bad name:x"):
        with pytest.raises(ValueError):
            StaffAccounts.parse(bad)


# ---- the offer (actions/handoff.py) ----


def tracker(intent: str, channel: str, events=(), entities=()) -> Tracker:
    return Tracker(
        sender_id="s",
        slots={},
        latest_message={"text": "", "intent": {"name": intent}, "entities": list(entities)},
        events=[*events, {"event": "user", "input_channel": channel, "text": "x"}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.mark.unit
def test_the_offer_in_the_widget_and_elsewhere(knowledge, monkeypatch):
    for name in ("HELPDESK_WECHAT_HANDOFF", "HELPDESK_STAFF_ACCOUNTS"):  # WeChat's handoff off
        monkeypatch.delenv(name, raising=False)
    texts = knowledge.presentation["handoff"]
    for button in handoff_buttons(knowledge):  # the allow-list lets the buttons through
        assert user_text(button["payload"]) == button["payload"]
    dispatcher = CollectingDispatcher()
    ActionHandoff().run(dispatcher, tracker("request_human", "socketio"), {})
    assert dispatcher.messages[0]["text"].startswith(texts["offer"].split("（")[0])
    assert dispatcher.messages[0]["buttons"] == handoff_buttons(knowledge)
    for channel in ("rest", "wechat"):
        dispatcher = CollectingDispatcher()
        ActionHandoff().run(dispatcher, tracker("request_human", channel), {})
        assert [m["text"] for m in dispatcher.messages] == [texts["elsewhere"]]
    dispatcher = CollectingDispatcher()
    declined = [{"entity": "handoff", "value": "decline"}]
    ActionHandoff().run(dispatcher, tracker("request_human", "socketio", entities=declined), {})
    assert [m["text"] for m in dispatcher.messages] == [texts["declined"]]


@pytest.mark.unit
def test_a_person_is_offered_after_the_second_failed_understanding_in_a_row(knowledge):
    refusal = knowledge.presentation["not_understood"]
    first = [{"event": "user", "text": "asdf"}, {"event": "bot", "text": refusal}]
    for earlier, offered in (([], False), (first, True)):
        dispatcher = CollectingDispatcher()
        dispatcher.utter_message(text=knowledge.presentation["out_of_scope"])
        offer_after_repeated_failure(dispatcher, knowledge, tracker("out_of_scope", "socketio", earlier))
        assert (len(dispatcher.messages) == 2) == offered
    answered = [{"event": "user", "text": "asdf"}, {"event": "bot", "text": "智慧职教APP退出登录步骤："}]
    dispatcher = CollectingDispatcher()
    dispatcher.utter_message(text=refusal)
    offer_after_repeated_failure(dispatcher, knowledge, tracker("nlu_fallback", "socketio", answered))
    assert len(dispatcher.messages) == 1
    dispatcher = CollectingDispatcher()  # not in the widget: no offer
    dispatcher.utter_message(text=refusal)
    offer_after_repeated_failure(dispatcher, knowledge, tracker("nlu_fallback", "rest", first))
    assert len(dispatcher.messages) == 1


@pytest.mark.unit
def test_the_wechat_handoff_mode_and_its_window():
    assert wechat_handoff_mode({}) == "off"
    assert wechat_handoff_mode({"HELPDESK_STAFF_ACCOUNTS": "wang:x"}) == "queue"  # the console has accounts
    assert (
        wechat_handoff_mode({"HELPDESK_WECHAT_HANDOFF": " KF ", "HELPDESK_STAFF_ACCOUNTS": "wang:x"}) == "kf"
    )
    assert (
        wechat_handoff_mode({"HELPDESK_WECHAT_HANDOFF": "off", "HELPDESK_STAFF_ACCOUNTS": "wang:x"}) == "off"
    )
    with pytest.raises(ValueError):
        wechat_handoff_mode({"HELPDESK_WECHAT_HANDOFF": "chatwoot"})
    assert wechat_window_seconds({}) == 48 * 3600
    assert wechat_window_seconds({"HELPDESK_WECHAT_WINDOW_HOURS": "0.5"}) == 1800
    with pytest.raises(ValueError):
        wechat_window_seconds({"HELPDESK_WECHAT_WINDOW_HOURS": "0"})


@pytest.mark.unit
@pytest.mark.parametrize("mode", ["kf", "queue"])
def test_the_offer_on_wechat_when_its_handoff_is_on(knowledge, monkeypatch, mode):
    monkeypatch.setenv("HELPDESK_WECHAT_HANDOFF", mode)
    texts = knowledge.presentation["handoff"]
    dispatcher = CollectingDispatcher()
    ActionHandoff().run(dispatcher, tracker("request_human", "wechat"), {})
    assert dispatcher.messages[0]["text"].startswith(texts["offer"].split("（")[0])
    assert dispatcher.messages[0]["buttons"] == handoff_buttons(knowledge)
    dispatcher = CollectingDispatcher()  # REST still has nobody
    ActionHandoff().run(dispatcher, tracker("request_human", "rest"), {})
    assert [m["text"] for m in dispatcher.messages] == [texts["elsewhere"]]
