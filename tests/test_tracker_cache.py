"""The tracker store's cache of recent conversations (stores/cache.py, issue 19): a load is served
from it only while the database holds exactly what it holds: never after another replica or
process wrote the conversation, `make forget` or the retention purge; what it serves is what the
database would give (redacted, trimmed sessions alike), and it stays within its size."""

import asyncio
import time
from pathlib import Path

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from stores.cache import SessionCache, latest_session
from stores.redacting import RedactingSQLTrackerStore

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def store_at(path: Path, domain: Domain, **kwargs) -> RedactingSQLTrackerStore:
    store = RedactingSQLTrackerStore(dialect="sqlite", db=str(path), **kwargs)
    store.domain = domain
    return store


def load(store, sender: str):
    return asyncio.run(store.retrieve(sender))


def answer(store, domain, sender: str, text: str, slots=()) -> DialogueStateTracker:
    """One message as Rasa handles it: load (or a new tracker), the turn's events, save."""
    tracker = load(store, sender) or DialogueStateTracker(sender, domain.slots)
    now = time.time()
    for event in (
        UserUttered(text, {"name": "icve_logout_app", "confidence": 0.9}, timestamp=now),
        ActionExecuted("action_answer", timestamp=now + 0.001),
        *(SlotSet(name, value, timestamp=now + 0.001) for name, value in slots),
        BotUttered("答案", timestamp=now + 0.002),
        ActionExecuted(ACTION_LISTEN_NAME, timestamp=now + 0.003),
    ):
        tracker.update(event)
    asyncio.run(store.save(tracker))
    return tracker


def events_of(tracker) -> list:
    return [event.as_dict() for event in tracker.events] if tracker else []


class NoSessionQuery:
    """Fails the test when the store reads a session's rows (a cache miss)."""

    def __init__(self, store):
        self.store, self.original = store, store._event_query

    def __enter__(self):
        def refuse(*args, **kwargs):
            raise AssertionError("the session was read from the database")

        self.store._event_query = refuse

    def __exit__(self, *exc):
        self.store._event_query = self.original


def test_the_next_message_is_loaded_from_the_cache_and_equals_the_database(tmp_path, domain):
    db = tmp_path / "tracker.db"
    store = store_at(db, domain)
    answer(store, domain, "s1", "职教云怎么退出", slots=[("platform", "icve")])
    with NoSessionQuery(store):
        cached = load(store, "s1")
    fresh = load(store_at(db, domain, tracker_cache_size=0), "s1")
    assert events_of(cached) == events_of(fresh) and cached.get_slot("platform") == "icve"


def test_not_served_after_another_store_wrote_the_same_conversation(tmp_path, domain):
    """Two replicas on one database: B answers a message of the conversation A has cached."""
    db = tmp_path / "tracker.db"
    replica_a, replica_b = store_at(db, domain), store_at(db, domain)
    answer(replica_a, domain, "s1", "第一问")
    assert "s1" in replica_a.cache
    answer(replica_b, domain, "s1", "第二问")
    texts = [e.text for e in load(replica_a, "s1").events if isinstance(e, UserUttered)]
    assert texts == ["第一问", "第二问"]
    answer(replica_a, domain, "s1", "第三问")  # and A's own save after that goes on from it
    assert events_of(load(replica_a, "s1")) == events_of(
        load(store_at(db, domain, tracker_cache_size=0), "s1")
    )


def test_forget_clears_the_cache_in_this_store_and_from_another_process(tmp_path, domain):
    db = tmp_path / "tracker.db"
    store = store_at(db, domain)
    answer(store, domain, "alice", "你好")
    assert store.forget("alice") == 4 and "alice" not in store.cache
    assert load(store, "alice") is None
    answer(store, domain, "bob", "你好")
    assert "bob" in store.cache
    store_at(db, domain).forget("bob")  # `make forget` while the server runs
    assert load(store, "bob") is None


def test_the_retention_purge_clears_the_cache(tmp_path, domain):
    db = tmp_path / "tracker.db"
    store = store_at(db, domain)
    answer(store, domain, "old", "很久以前")
    with store.session_scope() as session:  # the conversation's rows are old now
        session.query(store.SQLEvent).update({store.SQLEvent.timestamp: time.time() - 400 * 24 * 3600})
        session.commit()
    store_at(db, domain)  # another process: it purges on start
    assert load(store, "old") is None
    answer(store, domain, "old2", "很久以前")
    with store.session_scope() as session:
        session.query(store.SQLEvent).update({store.SQLEvent.timestamp: time.time() - 400 * 24 * 3600})
        session.commit()
    assert store.purge_old_events() == 4 and len(store.cache) == 0


def test_the_cache_holds_the_redacted_conversation(tmp_path, domain):
    store = store_at(tmp_path / "tracker.db", domain)
    answer(store, domain, "s1", "我手机13812345678，怎么注销")
    with NoSessionQuery(store):
        text = load(store, "s1").latest_message.text
    assert "13812345678" not in text and "【手机号】" in text


def test_across_trims_the_cache_gives_what_the_database_gives(tmp_path, domain):
    db = tmp_path / "tracker.db"
    cached = store_at(db, domain, trim_after_events=7)
    uncached = store_at(db, domain, trim_after_events=7, tracker_cache_size=0)
    for n in range(12):
        answer(cached, domain, "s1", f"问题{n}", slots=[("platform", "icve")] if n == 3 else ())
        with NoSessionQuery(cached):
            from_cache = load(cached, "s1")
        assert events_of(from_cache) == events_of(load(uncached, "s1")), n
    assert len(events_of(from_cache)) < 12  # trimmed: a few events, not every message's


def test_the_cache_keeps_the_most_recent_conversations_only(tmp_path, domain):
    store = store_at(tmp_path / "tracker.db", domain, tracker_cache_size=2)
    for sender in ("a", "b", "c"):
        answer(store, domain, sender, "你好")
    assert len(store.cache) == 2 and "a" not in store.cache
    assert [e.text for e in load(store, "a").events if isinstance(e, UserUttered)] == ["你好"]


def test_off_with_size_zero(tmp_path, domain):
    store = store_at(tmp_path / "tracker.db", domain, tracker_cache_size=0)
    answer(store, domain, "s1", "你好")
    assert len(store.cache) == 0 and load(store, "s1") is not None


def test_latest_session_is_rasas_session_query():
    rows = [(1.0, "action", "a"), (2.0, "session_started", "b"), (1.5, "slot", "late"), (3.0, "user", "c")]
    assert latest_session(rows) == [(2.0, "session_started", "b"), (3.0, "user", "c")]
    assert latest_session(rows[:1]) == rows[:1]


def test_an_entry_is_dropped_when_the_version_differs():
    cache = SessionCache(4)
    cache.put("s", (2, 7, 1.0), [(1.0, "user", "x")])
    assert cache.get("s", (2, 7, 1.0)) == [(1.0, "user", "x")]
    assert cache.get("s", (1, 7, 1.0)) is None and "s" not in cache
    cache.put("s", (2, 7, 1.0), [])
    cache.written("s", [(2.0, "user", "y")], [9])  # this store's save: the version it expects
    assert cache.get("s", (3, 9, 2.0)) == [(2.0, "user", "y")]
    assert cache.get("s", (4, 10, 3.0)) is None and "s" not in cache  # someone else wrote one too
    cache.written("s", [(3.0, "user", "z")], [11])  # no entry: nothing is made up
    assert "s" not in cache


def test_one_insert_writes_the_rows_and_ids_the_orm_wrote(tmp_path, domain, monkeypatch):
    """SQLite saves a message's events in one INSERT (stores/redacting.py, `_insert_sqlite`): the
    same rows as through the ORM, and the cache's version (the highest id) is the database's, so
    the next load is served from the cache, also after another replica's rows came between."""
    import sqlalchemy as sa

    from stores import redacting

    def rows(db):
        engine = sa.create_engine(f"sqlite:///{db}")
        with engine.connect() as connection:
            found = connection.execute(
                sa.text(
                    "SELECT id, sender_id, type_name, timestamp, intent_name, action_name, data FROM events"
                )
            ).fetchall()
        engine.dispose()
        return [tuple(row) for row in found]

    written = {}
    for way, most in (("orm", 0), ("insert", redacting.MAX_ROWS_PER_INSERT)):
        monkeypatch.setattr(redacting, "MAX_ROWS_PER_INSERT", most)
        db = tmp_path / f"{way}.db"
        store, other = store_at(db, domain), store_at(db, domain)
        answer(store, domain, "s1", "职教云怎么退出", slots=[("platform", "icve")])
        answer(other, domain, "s2", "学信网账号能借给别人吗")
        with NoSessionQuery(store):
            tracker = answer(store, domain, "s1", "我的手机号是13812345678", slots=[("platform", "chsi")])
        with NoSessionQuery(store):
            assert events_of(load(store, "s1")) == events_of(
                load(store_at(db, domain, tracker_cache_size=0), "s1")
            )
        written[way] = [(row[0], *row[1:3], *row[4:6]) for row in rows(db)]
        assert not any("13812345678" in row[6] for row in rows(db))
        assert len(tracker.events) == len([row for row in rows(db) if row[1] == "s1"])
    assert written["orm"] == written["insert"]
