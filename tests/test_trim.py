"""The tracker store's trim (stores/trim.py): a long conversation at rest goes on in a fresh session
with the same slot values, so each message loads a short tracker; nothing is deleted, nothing is
trimmed while a walkthrough, a platform question or the rehearsal is in progress, and Rasa's session
expiry holds across it."""

import asyncio
import json
import sqlite3
import time
from pathlib import Path
from typing import Optional

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from staff import unanswered
from stores.redacting import RedactingSQLTrackerStore
from stores.trim import (
    DEFAULT_TRIM_AFTER_EVENTS,
    at_rest,
    carried_slots,
    expired_trim_session,
    session_events,
    should_trim,
    trim_events,
    trim_mark,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
THRESHOLD = 20


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def turn(text: str, intent: str, start: Optional[float] = None, slots=()) -> list:
    """One message and the bot's answer, as Rasa logs them: at `start` and just after, or, live,
    each at the time it is made (never in the future: the session query compares timestamps)."""

    def at(offset: float) -> float:
        return time.time() if start is None else start + offset

    return [
        UserUttered(text, {"name": intent, "confidence": 0.99}, timestamp=at(0)),
        ActionExecuted("action_answer", timestamp=at(0.01)),
        *(SlotSet(name, value, timestamp=at(0.01)) for name, value in slots),
        BotUttered("答案", timestamp=at(0.02)),
        ActionExecuted(ACTION_LISTEN_NAME, timestamp=at(0.03)),
    ]


def conversation(
    domain: Domain, turns: int, start: float, sender: str = "s1", slots=()
) -> DialogueStateTracker:
    """A conversation of `turns` questions answered, as Rasa stores a new one."""
    events = [
        ActionExecuted(ACTION_SESSION_START_NAME, timestamp=start),
        SessionStarted(timestamp=start + 0.001),
        ActionExecuted(ACTION_LISTEN_NAME, timestamp=start + 0.002),
    ]
    for n in range(turns):
        events += turn(f"问题{n}", "logout", start + 1 + n, slots if n == turns - 1 else ())
    return DialogueStateTracker.from_events(sender, events, domain.slots)


def store_at(path: Path, domain: Domain, **kwargs) -> RedactingSQLTrackerStore:
    store = RedactingSQLTrackerStore(dialect="sqlite", db=str(path), **kwargs)
    store.domain = domain
    return store


def rows(path: Path, sender: str = "s1") -> list:
    with sqlite3.connect(path) as db:
        return [
            (type_name, json.loads(data))
            for type_name, data in db.execute(
                "SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
            )
        ]


SLOTS = [("platform", "icve"), ("last_goal", "logout"), ("last_topic", "icve_logout_app")]


def test_at_rest_only_when_the_bot_listens_and_nothing_is_in_progress(domain):
    tracker = conversation(domain, 3, 1000.0)
    assert at_rest(tracker)
    for name, value in [
        ("walkthrough", {"answers": {}, "asking": "platform", "procedure": None, "step": 0}),
        ("pending_goal", "logout"),
        ("rehearsal", {"id": "x"}),
        ("requested_slot", "rehearsal_answer"),
    ]:
        busy = conversation(domain, 3, 1000.0)
        busy.update(SlotSet(name, value))
        busy.update(ActionExecuted(ACTION_LISTEN_NAME))
        assert not at_rest(busy), name
    in_form = conversation(domain, 3, 1000.0)
    in_form.update(ActiveLoop("rehearsal_form"))
    in_form.update(ActionExecuted(ACTION_LISTEN_NAME))
    assert not at_rest(in_form)
    mid_turn = conversation(domain, 3, 1000.0)
    mid_turn.update(UserUttered("下一步", {"name": "walkthrough_next", "confidence": 1.0}))
    assert not at_rest(mid_turn)


def test_trim_only_beyond_the_threshold_and_never_when_off(domain):
    short = conversation(domain, 2, 1000.0)
    long = conversation(domain, 10, 1000.0)
    assert len(session_events(short)) <= THRESHOLD < len(session_events(long))
    assert not should_trim(short, THRESHOLD)
    assert should_trim(long, THRESHOLD)
    assert not should_trim(long, 0)
    assert DEFAULT_TRIM_AFTER_EVENTS > 0


def test_the_fresh_session_carries_every_slot_the_conversation_set(domain):
    tracker = conversation(domain, 10, 1000.0, slots=SLOTS)
    tracker.update(SlotSet("rehearsal_trainee", "张老师"))
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    carried = {event.key: event.value for event in carried_slots(tracker, 2000.0)}
    assert carried == {**dict(SLOTS), "rehearsal_trainee": "张老师"}

    now = time.time()
    events = trim_events(tracker, now)
    assert [e.type_name for e in events] == ["action", "session_started", *["slot"] * 4, "action"]
    assert events[0].action_name == ACTION_SESSION_START_NAME
    assert events[-1].action_name == ACTION_LISTEN_NAME
    assert events[0].timestamp == now and all(e.timestamp > now for e in events[1:])
    assert trim_mark(events[1]) == {"last_user_at": 1010.0}

    replayed = DialogueStateTracker.from_events("s1", [*tracker.events, *events], domain.slots)
    assert replayed.current_slot_values() == tracker.current_slot_values()
    fresh = DialogueStateTracker.from_events("s1", events[1:], domain.slots)
    assert fresh.current_slot_values() == tracker.current_slot_values()
    assert fresh.applied_events()  # Rasa runs no session start of its own on it


def test_a_long_conversation_is_stored_whole_and_loaded_short(tmp_path, domain):
    db = tmp_path / "tracker.db"
    store = store_at(db, domain, trim_after_events=THRESHOLD)
    start = time.time() - 100
    tracker = conversation(domain, 10, start, slots=SLOTS)
    asyncio.run(store.save(tracker))
    stored = rows(db)
    assert len(stored) == len(tracker.events)  # the trim events were added to the tracker too
    assert [t for t, _ in stored].count("session_started") == 2

    loaded = asyncio.run(store.retrieve("s1"))
    assert [e.type_name for e in loaded.events] == ["session_started", "slot", "slot", "slot", "action"]
    assert loaded.current_slot_values() == tracker.current_slot_values()

    # The next messages: only their events are written, once, whatever was trimmed before.
    for n in range(3):
        for event in turn(f"那网页版呢{n}", "followup_device"):
            loaded.update(event)
        asyncio.run(store.save(loaded))
        asyncio.run(store.save(loaded))  # saved twice: nothing written twice, no second trim
        loaded = asyncio.run(store.retrieve("s1"))
    users = [data["text"] for t, data in rows(db) if t == "user"]
    assert users == [f"问题{n}" for n in range(10)] + [f"那网页版呢{n}" for n in range(3)]
    assert len(loaded.events) == 5 + 3 * 4  # user, action_answer, bot, action_listen

    full = asyncio.run(store.retrieve_full_tracker("s1"))
    assert len(full.events) == len(rows(db))


def test_trimmed_again_after_the_threshold_and_reports_count_every_message(tmp_path, domain):
    db = tmp_path / "tracker.db"
    store = store_at(db, domain, trim_after_events=THRESHOLD)
    tracker = conversation(domain, 1, time.time() - 1000, slots=SLOTS)
    asyncio.run(store.save(tracker))
    longest = 0
    for n in range(40):
        tracker = asyncio.run(store.retrieve("s1"))
        longest = max(longest, len(tracker.events))
        for event in turn(f"第{n}个问题", "logout"):
            tracker.update(event)
        asyncio.run(store.save(tracker))
    assert longest <= THRESHOLD + 5
    # 4 events a message, a fresh session of 5 events trimmed beyond THRESHOLD: every 4 messages
    assert [t for t, _ in rows(db)].count("session_started") >= 1 + 40 // 5
    events = list(unanswered.read_events(unanswered.sqlite_url(db)))
    assert unanswered.statistics(events).messages == 41
    assert unanswered.abandoned_walkthroughs(events, now=time.time() + 10**6) == []


def test_nothing_is_trimmed_while_a_walkthrough_is_in_progress(tmp_path, domain):
    db = tmp_path / "tracker.db"
    store = store_at(db, domain, trim_after_events=THRESHOLD)
    tracker = conversation(domain, 10, time.time() - 100)
    tracker.update(SlotSet("walkthrough", {"answers": {}, "asking": None, "procedure": "p", "step": 1}))
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    asyncio.run(store.save(tracker))
    assert [t for t, _ in rows(db)].count("session_started") == 1
    assert len(asyncio.run(store.retrieve("s1")).events) == len(tracker.events) - 1


def test_with_the_threshold_off_the_store_is_rasas(tmp_path, domain):
    db = tmp_path / "tracker.db"
    store = store_at(db, domain, trim_after_events=0)
    tracker = conversation(domain, 30, time.time() - 100)
    asyncio.run(store.save(tracker))
    assert len(rows(db)) == len(tracker.events)
    assert [t for t, _ in rows(db)].count("session_started") == 1


def test_session_expiry_holds_across_a_trim(tmp_path, domain):
    """Rasa starts a new session (carry_over_slots_to_new_session: false) when the last user
    message is older than session_expiration_time: also when the session was trimmed since."""
    minutes = domain.session_config.session_expiration_time
    assert minutes > 0 and not domain.session_config.carry_over_slots
    db = tmp_path / "tracker.db"
    store = store_at(db, domain, trim_after_events=THRESHOLD)
    long_ago = time.time() - (minutes + 5) * 60 - 10
    asyncio.run(store.save(conversation(domain, 10, long_ago, slots=SLOTS)))

    trimmed = DialogueStateTracker.from_events("s1", [Event.from_parameters(d) for _, d in rows(db)][-5:])
    assert expired_trim_session(trimmed, minutes, time.time())
    loaded = asyncio.run(store.retrieve("s1"))
    assert not loaded.applied_events()  # Rasa runs action_session_start on it
    assert loaded.get_slot("platform") is None
    before = len(rows(db))
    now = time.time()
    rasa_session_start = [  # what Rasa's action_session_start adds, then the message
        ActionExecuted(ACTION_SESSION_START_NAME, timestamp=now),
        SessionStarted(timestamp=now),
        ActionExecuted(ACTION_LISTEN_NAME, timestamp=now),
        *turn("那网页版呢", "followup_device"),
    ]
    for event in rasa_session_start:
        loaded.update(event)
    asyncio.run(store.save(loaded))
    assert [t for t, _ in rows(db)][before:] == [e.type_name for e in rasa_session_start]
    assert asyncio.run(store.retrieve("s1")).get_slot("platform") is None

    recent = tmp_path / "recent.db"
    store = store_at(recent, domain, trim_after_events=THRESHOLD)
    asyncio.run(store.save(conversation(domain, 10, time.time() - 100, slots=SLOTS)))
    loaded = asyncio.run(store.retrieve("s1"))
    assert loaded.applied_events() and loaded.get_slot("platform") == "icve"


def test_the_store_reads_its_threshold_from_endpoints(tmp_path, domain):
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import read_endpoint_config

    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: stores.redacting.RedactingSQLTrackerStore\n  dialect: sqlite\n"
        f"  db: {tmp_path / 'tracker.db'}\n  trim_after_events: 7\n",
        encoding="utf-8",
    )
    store = TrackerStore.create(read_endpoint_config(str(endpoints), "tracker_store"), domain)
    assert isinstance(store, RedactingSQLTrackerStore) and store.trim_after_events == 7
    default = store_at(tmp_path / "default.db", domain)
    assert default.trim_after_events == DEFAULT_TRIM_AFTER_EVENTS


def test_not_trimmed_after_a_refusal_the_next_message_looks_back_at(domain):
    """A second "没看懂" in a row offers a person (actions/handoff.py): it reads the reply before."""
    from stores.trim import refusals

    texts = refusals()
    assert len(texts) == 2
    tracker = conversation(domain, 10, 1000.0)
    assert should_trim(tracker, THRESHOLD, texts)
    refused = conversation(domain, 10, 1000.0)
    refused.update(UserUttered("asdf", {"name": "nlu_fallback", "confidence": 1.0}))
    refused.update(ActionExecuted("action_answer"))
    refused.update(BotUttered(sorted(texts)[0]))
    refused.update(ActionExecuted(ACTION_LISTEN_NAME))
    assert at_rest(refused) and not at_rest(refused, texts)
    assert not should_trim(refused, THRESHOLD, texts)


def test_the_staff_console_reads_the_whole_session_across_trims(tmp_path, domain):
    from stores.redacting import conversation as whole_conversation

    db = tmp_path / "tracker.db"
    store = store_at(db, domain, trim_after_events=THRESHOLD)
    tracker = conversation(domain, 1, time.time() - 1000, slots=SLOTS)
    asyncio.run(store.save(tracker))
    for n in range(20):
        tracker = asyncio.run(store.retrieve("s1"))
        for event in turn(f"第{n}个问题", "logout"):
            tracker.update(event)
        asyncio.run(store.save(tracker))
    assert [t for t, _ in rows(db)].count("session_started") > 2
    whole = asyncio.run(whole_conversation(store, "s1"))
    said = [e.text for e in whole.events if isinstance(e, UserUttered)]
    assert said == ["问题0"] + [f"第{n}个问题" for n in range(20)]
    assert [e.type_name for e in whole.events].count("session_started") == 1
    assert whole.current_slot_values() == asyncio.run(store.retrieve("s1")).current_slot_values()


def test_a_trim_that_cannot_be_decided_never_costs_the_message(tmp_path, domain, monkeypatch):
    import stores.redacting

    def broken():
        raise OSError("knowledge files unreadable")

    monkeypatch.setattr(stores.redacting, "refusals", broken)
    db = tmp_path / "tracker.db"
    store = store_at(db, domain, trim_after_events=THRESHOLD)
    tracker = conversation(domain, 10, time.time() - 100)
    asyncio.run(store.save(tracker))
    assert len(rows(db)) == len(tracker.events)
    assert [t for t, _ in rows(db)].count("session_started") == 1


def test_a_replica_whose_clock_is_behind_still_sees_its_next_messages(tmp_path, domain):
    """The last turn was stamped by a replica whose clock is 100 s ahead; this one trims and
    handles the next message with its own clock: the message is in the session it loads."""
    db = tmp_path / "tracker.db"
    store = store_at(db, domain, trim_after_events=THRESHOLD)
    tracker = conversation(domain, 10, time.time() - 100, slots=SLOTS)
    for event in turn("谢谢", "thank", start=time.time() + 100):  # answered by the replica ahead
        tracker.update(event)
    asyncio.run(store.save(tracker))
    loaded = asyncio.run(store.retrieve("s1"))
    for event in turn("那网页版呢", "followup_device"):
        loaded.update(event)
    asyncio.run(store.save(loaded))
    again = asyncio.run(store.retrieve("s1"))
    said = [e.text for e in again.events if isinstance(e, UserUttered)]
    assert said[-1] == "那网页版呢"
    assert again.current_slot_values() == tracker.current_slot_values()
