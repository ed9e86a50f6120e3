"""The SQLite tracker store in WAL mode (stores/redacting.py, issue 19): saves append to the log,
and every reader of the database still works: the staff reports' read-only openers, `make forget`
and the retention purge, a second store on the same file, and a process that crashed mid-run."""

import asyncio
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from harness.bot import server_environment
from staff import unanswered
from stores.redacting import RedactingSQLTrackerStore

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def store_at(path: Path, domain: Domain) -> RedactingSQLTrackerStore:
    store = RedactingSQLTrackerStore(dialect="sqlite", db=str(path))
    store.domain = domain
    return store


def message(sender: str, text: str, domain: Domain) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        sender,
        [
            UserUttered(text, {"name": "out_of_scope", "confidence": 0.9}, timestamp=time.time()),
            BotUttered("答案", timestamp=time.time()),
            ActionExecuted("action_listen", timestamp=time.time()),
        ],
        domain.slots,
    )


def read_only_texts(path: Path) -> list:
    """What the staff reports read (staff/unanswered.py, opened with mode=ro)."""
    return [
        e.data.get("text") for e in unanswered.read_events(unanswered.sqlite_url(path)) if e.type == "user"
    ]


def test_the_store_opens_sqlite_in_wal_mode_with_synchronous_normal(tmp_path, domain):
    db = tmp_path / "tracker.db"
    store = store_at(db, domain)
    asyncio.run(store.save(message("s1", "你好", domain)))
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    with sqlite3.connect(db) as other:  # the mode is the file's: every opener sees it
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert Path(f"{db}-wal").exists()  # the server keeps its log open between messages


def test_a_read_only_reader_sees_a_just_saved_message(tmp_path, domain):
    db = tmp_path / "tracker.db"
    store = store_at(db, domain)
    asyncio.run(store.save(message("s1", "食堂几点开门", domain)))
    # Still in the log, not checkpointed into the database: the read-only opener reads it there.
    assert read_only_texts(db) == ["食堂几点开门"]
    asyncio.run(store.save(message("s2", "图书馆几点开门", domain)))
    assert sorted(read_only_texts(db)) == ["图书馆几点开门", "食堂几点开门"]
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as reader:  # the tests' own openers
        assert reader.execute("SELECT count(*) FROM events WHERE type_name = 'user'").fetchone() == (2,)


def test_a_read_only_reader_works_after_the_server_stopped(tmp_path, domain):
    db = tmp_path / "tracker.db"
    store = store_at(db, domain)
    asyncio.run(store.save(message("s1", "食堂几点开门", domain)))
    store.engine.dispose()  # the server stops: the last connection checkpoints and removes the log
    assert not Path(f"{db}-wal").exists()
    assert read_only_texts(db) == ["食堂几点开门"]


def test_forget_and_the_purge_from_another_store_on_the_same_file(tmp_path, domain):
    """`make forget` is another process with its own store, while the server runs."""
    db = tmp_path / "tracker.db"
    server = store_at(db, domain)
    for sender in ("alice", "bob"):
        asyncio.run(server.save(message(sender, "你好", domain)))
    assert store_at(db, domain).forget("alice") == 3
    assert asyncio.run(server.retrieve("alice")) is None
    assert asyncio.run(server.retrieve("bob")) is not None
    old = message("carol", "很久以前", domain)
    for event in old.events:
        event.timestamp = time.time() - 400 * 24 * 3600
    asyncio.run(server.save(old))
    other = store_at(db, domain)  # purges on start, as the server does every day
    assert other.purge_old_events() == 0
    assert read_only_texts(db) == ["你好"]


CRASH = """
import asyncio, os, sys, time
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from stores.redacting import RedactingSQLTrackerStore
store = RedactingSQLTrackerStore(dialect="sqlite", db=sys.argv[1])
tracker = DialogueStateTracker.from_events("s1", [UserUttered("崩溃之前说的话", timestamp=time.time())])
asyncio.run(store.save(tracker))
os._exit(9)  # no clean shutdown: the connection is never closed, the log never checkpointed
"""


def test_a_saved_message_survives_a_crash_of_the_process(tmp_path):
    db = tmp_path / "tracker.db"
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH, str(db)],
        cwd=ROOT,
        env=server_environment(),
        capture_output=True,
        timeout=120,
    )
    assert crashed.returncode == 9, crashed.stderr.decode(errors="replace")[-2000:]
    assert Path(f"{db}-wal").exists()
    assert read_only_texts(db) == ["崩溃之前说的话"]


def test_a_reader_that_may_not_create_the_log_reads_the_stopped_database_as_immutable(
    tmp_path, domain, monkeypatch
):
    """Another user, who may not write the folder, runs the report after the server stopped: SQLite
    cannot create the -shm file for its read-only connection ("attempt to write a readonly
    database", seen as `nobody`). The tests run as root, so that refusal is simulated here."""
    db = tmp_path / "tracker.db"
    store = store_at(db, domain)
    asyncio.run(store.save(message("s1", "食堂几点开门", domain)))
    url = unanswered.sqlite_url(db)
    assert unanswered.stopped_wal_url(url) is None  # the server runs: its log is there
    store.engine.dispose()
    assert unanswered.stopped_wal_url(url) == f"{url}&immutable=1"
    assert unanswered.stopped_wal_url(f"sqlite:///{db}") is None  # not a read-only opener
    real = unanswered.fetched

    def as_another_user(url, *args):
        if "immutable=1" not in url:
            raise sa.exc.OperationalError(
                "SELECT", {}, sqlite3.OperationalError("attempt to write a readonly database")
            )
        return real(url, *args)

    monkeypatch.setattr(unanswered, "fetched", as_another_user)
    assert read_only_texts(db) == ["食堂几点开门"]
