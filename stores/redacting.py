"""RedactingSQLTrackerStore: Rasa's SQLTrackerStore (SQLite by default, PostgreSQL for scale-out)
that never writes personal data and forgets old conversations.

Rasa stores every event verbatim. Here each new event is rewritten before it is saved: every string
in every field of it (user and bot text, parse data, entities of any type, metadata, the input
channel, slot values, buttons) and every dict key goes through `redact()`, so ID numbers, phone
numbers, e-mail addresses, bank card numbers and passwords, in whatever form they were written, are
stored as 【手机号】 and the like. Only what identifies and orders an event is kept as it is (its
name, time and message id, and the model id Rasa adds). The NLU has already seen the message by
then (it needs to, to warn the user); nothing else keeps it. Configured in endpoints.yml:

    tracker_store:
      type: stores.redacting.RedactingSQLTrackerStore
      dialect: sqlite
      db: var/tracker.db
      retention_days: 180
      trim_after_events: 60

`retention_days` (or the environment variable TRACKER_RETENTION_DAYS): events older than that are
deleted when the server starts and then once a day. `python -m stores.forget SENDER` (make forget)
deletes one person's conversations.

`trim_after_events` (default 60, 0 for never): when a conversation's latest session has more events
than that and the conversation is at rest, a fresh session with the same slot values is started on
save, so that the cost of a message does not grow with the length of the conversation (stores/trim.py).
Rasa's own save counts the stored events of the latest session to find the new ones; here the
tracker remembers how many of its events were loaded or saved, which also holds across the trim.

`tracker_cache_size` (default 256, 0 for none): the latest session of that many recent
conversations is kept in memory as stored (redacted), and a message's load reads it from there
while the database holds exactly those rows, checked by one indexed query per load, so it holds
with several replicas and with `make forget` in another process (stores/cache.py).

SQLite (the embedded default) runs in WAL mode with synchronous=NORMAL (`sqlite_wal_pragmas`).
"""

import json
import logging
import os
import sys
import time
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, Iterator, List, Optional, Text, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from privacy import redact
from stores.cache import DEFAULT_SIZE, Row, SessionCache, Version
from stores.trim import (
    DEFAULT_TRIM_AFTER_EVENTS,
    expired_trim_session,
    refusals,
    should_trim,
    trim_events,
    trim_mark,
    whole_session,
)

logger = logging.getLogger(__name__)

RETENTION_ENV = "TRACKER_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 180
PURGE_EVERY_SECONDS = 24 * 3600
MAX_UNSAVED_CONVERSATIONS = 10_000
# SQLite in WAL mode (sqlite_wal_pragmas): FULL fsyncs the log on every commit, NORMAL only at a
# checkpoint. Both lose nothing when a process crashes; NORMAL may lose the last saves on a power
# loss. docs/benchmarks.md ("SQLite in WAL mode") has the figures. SQLITE_SYNCHRONOUS overrides it.
SYNCHRONOUS = os.environ.get("SQLITE_SYNCHRONOUS", "NORMAL").upper()
if SYNCHRONOUS not in ("NORMAL", "FULL", "EXTRA"):
    raise ValueError(f"SQLITE_SYNCHRONOUS must be NORMAL, FULL or EXTRA, not {SYNCHRONOUS!r}")
# How many of a tracker's events are in the database: set on the tracker when it is loaded or saved.
STORED = "_stored_events"
# Rasa's table has an index on sender_id only: finding the latest session start and the events since
# then read every row of the sender, however long ago. With these the cost of a message does not
# grow with the rows a long conversation leaves behind (created on start when missing).
INDEXES = (
    sa.Index(
        "ix_events_sender_session",
        SQLTrackerStore.SQLEvent.sender_id,
        SQLTrackerStore.SQLEvent.type_name,
        SQLTrackerStore.SQLEvent.timestamp,
    ),
    sa.Index("ix_events_sender_time", SQLTrackerStore.SQLEvent.sender_id, SQLTrackerStore.SQLEvent.timestamp),
)

# A conversation's version (stores/cache.py), built once (SQLAlchemy caches its compiled form).
VERSION_QUERY = sa.select(
    sa.func.count(SQLTrackerStore.SQLEvent.id),
    sa.func.max(SQLTrackerStore.SQLEvent.id),
    sa.func.max(SQLTrackerStore.SQLEvent.timestamp),
).where(SQLTrackerStore.SQLEvent.sender_id == sa.bindparam("sender_id"))

# SQLite saves up to this many events with one prepared INSERT (`_insert_sqlite`); more (and every
# save to PostgreSQL) go through SQLAlchemy's ORM as in Rasa. 0 sends every save through the ORM.
MAX_ROWS_PER_INSERT = 500
LAST_ROWID = sa.text("SELECT last_insert_rowid()")

# Kept as they are when they hold what Rasa puts there (a hex uuid): what identifies and orders an
# event. Redaction must not turn a message id that happens to hold many digits into a mask.
STRUCTURE = frozenset({"event", "timestamp"})
IDS = frozenset({"message_id", "model_id"})
HEX_DIGITS = frozenset("0123456789abcdef")
MAX_DEPTH = 32  # deeper than this, a value is dropped (Rasa's own events are 4 levels deep)
SMALLEST_NUMBER_THAT_MAY_BE_DATA = 10**10  # 11 digits: a phone number sent as a JSON number
# Strings redact() found nothing in, remembered (oldest first out): most strings of a save come back
# in every message (dict keys, intent, entity, slot and action names, the bot's answers), and
# redacting them again was half of a save's CPU. Only strings without personal data are kept, so
# what is remembered is what would be stored anyway; nothing is written anywhere.
CLEAN_STRINGS = 4096
LONGEST_REMEMBERED = 2000  # characters: a longer string is redacted every time
_clean: Dict[Text, None] = {}


def rasa_id(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 32 and all(c in HEX_DIGITS for c in value)


def redacted_number(value: Any) -> Any:
    """A number as it may be stored: 13812345678 sent as a JSON number is still a phone number."""
    if abs(value) < SMALLEST_NUMBER_THAT_MAY_BE_DATA:
        return value
    if isinstance(value, float):
        if not value.is_integer():  # also infinity and NaN
            return value
        value = int(value)
    try:
        digits = str(value)
    except ValueError:  # more digits than Python prints
        return None
    masked = redact(digits)
    return value if masked == digits else masked


def _zhconv_loaded() -> bool:
    return getattr(sys.modules.get("zhconv"), "convert", None) is not None


def redacted_text(text: Text) -> Text:
    """redact(text), remembered for a string it found nothing in (CLEAN_STRINGS)."""
    if text in _clean:
        return text
    masked = redact(text)
    # zhconv half-imported (a log record made while it loads) reads traditional characters less
    # well: such an answer is not remembered.
    if masked == text and len(text) <= LONGEST_REMEMBERED and _zhconv_loaded():
        if len(_clean) >= CLEAN_STRINGS:
            del _clean[next(iter(_clean))]
        _clean[text] = None
    return masked


def redacted_value(value: Any, depth: int = 0) -> Any:
    """Any stored value with every string in it (and every dict key) redacted, and a number that
    reads as personal data replaced by its mask; structure and other numbers kept. Linear in the
    size of the value."""
    if isinstance(value, str):
        return redacted_text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return redacted_number(value)
    if depth >= MAX_DEPTH:
        return None
    if isinstance(value, dict):
        return {
            redacted_value(key, depth + 1) if isinstance(key, str) else key: redacted_value(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redacted_value(item, depth + 1) for item in value]
    return value


def redacted(event: Event) -> Event:
    """The event as it may be stored: every field of it redacted, whatever the kind of event (user
    and bot text, parse data, entities of any type, metadata, input channel, slot values, bot
    message data), except what identifies and orders it: the event name, its time, the message id
    and the model id Rasa adds to the metadata."""
    data: Dict[Text, Any] = event.as_dict()
    clean = {key: value if key in STRUCTURE else redacted_value(value) for key, value in data.items()}
    keep_ids(data, clean)
    for part in ("parse_data", "metadata"):
        if isinstance(data.get(part), dict) and isinstance(clean.get(part), dict):
            keep_ids(data[part], clean[part])
            if isinstance(data[part].get("metadata"), dict):
                keep_ids(data[part]["metadata"], clean[part].get("metadata"))
    if clean == data:
        return event
    return Event.from_parameters(clean)


def keep_ids(original: Dict[Text, Any], clean: Any) -> None:
    """Rasa's own ids (message id, model id: hex uuids) stay as they are."""
    if not isinstance(clean, dict):
        return
    for key in IDS:
        if rasa_id(original.get(key)):
            clean[key] = original[key]


def cached_row(row: Any) -> Row:
    """A stored row as the cache keeps it (stores/cache.py)."""
    return row.timestamp, row.type_name, row.data


def first_line(error: SQLAlchemyError) -> Text:
    """The database driver's own message, without SQLAlchemy's statement and parameters."""
    return str(getattr(error, "orig", None) or error).strip().splitlines()[0]


def sqlite_wal_pragmas(connection: Any, _record: Any) -> None:
    """SQLAlchemy "connect" listener for the SQLite tracker store: write-ahead log and
    synchronous=NORMAL (SYNCHRONOUS) on every new connection.

    With the default rollback journal and synchronous=FULL every save wrote the journal, the
    database and deleted the journal, with an fsync each time. In WAL mode a save appends to the
    -wal file; readers see committed saves and do not block the writer, nor it them. A read-only
    opener (the staff reports, `mode=ro`) needs the -wal and -shm files beside the database, which
    the server keeps while it runs (tests/test_sqlite_wal.py). With synchronous=NORMAL a commit
    is not fsynced until the next checkpoint: nothing is lost when a process crashes (the
    operating system has the write), but a power loss can lose the last saves."""
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
    finally:
        cursor.close()


class RedactingSQLTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        *args: Any,
        retention_days: Optional[int] = None,
        trim_after_events: Optional[int] = None,
        tracker_cache_size: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        self.retention_days = int(os.environ.get(RETENTION_ENV) or retention_days or DEFAULT_RETENTION_DAYS)
        self.trim_after_events = int(
            DEFAULT_TRIM_AFTER_EVENTS if trim_after_events is None else trim_after_events
        )
        self._last_purge = 0.0
        # The latest session of recent conversations, used only while the database holds exactly
        # it (stores/cache.py).
        self.cache = SessionCache(DEFAULT_SIZE if tracker_cache_size is None else tracker_cache_size)
        # Conversations answered while the database was unreachable, written when it is back.
        self._unsaved: "OrderedDict[Text, DialogueStateTracker]" = OrderedDict()
        try:
            super().__init__(*args, **kwargs)
            if self.engine.dialect.name == "sqlite":
                self._use_wal_engine()
            self.purge_old_events()  # also the first use of the database: fails here if it is down
            self._create_indexes()
        except SQLAlchemyError as error:
            where = f"{kwargs.get('dialect', 'sqlite')} at {kwargs.get('host') or kwargs.get('db')}"
            logger.error(
                f"Cannot open the tracker database ({where}, port {kwargs.get('port')}): "
                f"{first_line(error)}. Check "
                "`tracker_store` in endpoints.yml and that the database server is running."
            )
            raise

    def _use_wal_engine(self) -> None:
        """The SQLite database in WAL mode (see `sqlite_wal_pragmas`), on connections that stay
        open between messages. SQLAlchemy 1.4 opens and closes a file database's connection for
        every session (NullPool); in WAL mode the close of the last connection checkpoints the
        log into the database and deletes it, which costs the fsyncs WAL saves. A pool keeps one
        open; the store is used from the server's event loop (and the purge), one at a time."""
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url,
            poolclass=sa.pool.QueuePool,
            pool_size=1,
            max_overflow=4,
            connect_args={"check_same_thread": False},
        )
        sa.event.listen(self.engine, "connect", sqlite_wal_pragmas)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _create_indexes(self) -> None:
        """INDEXES, on a database created before them (a new one gets them with its table)."""
        for index in INDEXES:
            try:
                index.create(self.engine, checkfirst=True)
            except SQLAlchemyError:
                # Another replica, starting at the same moment, created it first.
                names = {found["name"] for found in sa.inspect(self.engine).get_indexes(index.table.name)}
                if index.name not in names:
                    raise

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        """The tracker's events that are not stored yet, then, when the conversation is long and
        at rest, a fresh session start (stores/trim.py); every one redacted."""
        stored = getattr(tracker, STORED, None)
        if isinstance(stored, int) and 0 <= stored <= len(tracker.events):
            new = list(tracker.events)[stored:]
        else:  # a tracker this store did not load (a new conversation): Rasa's own count
            new = list(super()._additional_events(session, tracker))
        if self._should_trim(tracker):
            trim = trim_events(tracker, time.time())
            # The tracker in memory goes on in the fresh session too: saved again, it is not
            # trimmed twice; kept in memory while the database is down, it is written with it.
            for event in trim:
                tracker.update(event)
            new += trim
            logger.debug(f"Conversation {tracker.sender_id!r} goes on in a fresh session.")
        return (redacted(event) for event in new)

    def _should_trim(self, tracker: DialogueStateTracker) -> bool:
        """Whether to trim now; a question that cannot be decided (the knowledge files unreadable)
        leaves the conversation as it is: the message's own events are saved whatever happens."""
        try:
            return should_trim(tracker, self.trim_after_events, refusals())
        except Exception as error:  # noqa: BLE001 (the trim is an optimisation, the save is not)
            logger.error(f"Not trimming conversation {tracker.sender_id!r}: {error}")
            return False

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        tracker = await self._retrieving(super().retrieve, sender_id)
        session_config = getattr(self.domain, "session_config", None)
        if (
            tracker is not None
            and session_config is not None
            and not session_config.carry_over_slots
            and expired_trim_session(tracker, session_config.session_expiration_time, time.time())
        ):
            # Rasa would start a new session now, had it seen the last user message: in memory
            # only, the slots go back to their initial values, and Rasa runs action_session_start.
            tracker.update(SessionStarted())
            setattr(tracker, STORED, getattr(tracker, STORED, 0) + 1)
        return tracker

    async def retrieve_full_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self._retrieving(super().retrieve_full_tracker, sender_id)

    async def retrieve_whole_session(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The latest session as Rasa would have kept it without the trim (`conversation`)."""
        with self.session_scope() as session:
            starts = (
                session.query(self.SQLEvent.timestamp, self.SQLEvent.data)
                .filter(
                    self.SQLEvent.sender_id == sender_id,
                    self.SQLEvent.type_name == SessionStarted.type_name,
                )
                .order_by(self.SQLEvent.timestamp.desc())
            )
            since = next(
                (at for at, data in starts if not trim_mark(Event.from_parameters(json.loads(data)))), None
            )
            query = session.query(self.SQLEvent.data).filter(self.SQLEvent.sender_id == sender_id)
            if since is not None:
                query = query.filter(self.SQLEvent.timestamp >= since)
            events = [Event.from_parameters(json.loads(data)) for (data,) in query.order_by(self.SQLEvent.id)]
        if not events or self.domain is None:
            return None
        return DialogueStateTracker.from_events(sender_id, whole_session(events), self.domain.slots)

    async def _retrieving(self, operation: Callable[..., Awaitable], sender_id: Text) -> Any:
        """The conversation from the database or, while it is unreachable, the one this replica
        kept in memory (raises when there is none: Rasa's FailSafeTrackerStore starts afresh)."""
        try:
            tracker = await self._with_database(operation, sender_id)
        except SQLAlchemyError:
            if sender_id in self._unsaved:
                return self._unsaved[sender_id]
            raise
        if tracker is not None:
            setattr(tracker, STORED, len(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            await self._with_database(self._save, tracker)
        except SQLAlchemyError:
            self.cache.drop(tracker.sender_id)
            self._unsaved[tracker.sender_id] = tracker
            self._unsaved.move_to_end(tracker.sender_id)
            while len(self._unsaved) > MAX_UNSAVED_CONVERSATIONS:
                self._unsaved.popitem(last=False)
            raise
        setattr(tracker, STORED, len(tracker.events))
        if time.time() - self._last_purge > PURGE_EVERY_SECONDS:
            self.purge_old_events()

    async def _save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's SQLTrackerStore.save (the same rows), and the conversation's cache entry
        written through, with the version the database has if no one else wrote meanwhile (the
        next load compares it with the database's)."""
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        with self.session_scope() as session:
            events = list(self._additional_events(session, tracker))
            if self.engine.dialect.name == "sqlite" and 0 < len(events) <= MAX_ROWS_PER_INSERT:
                written = self._insert_sqlite(session, sender_id, events)
            else:
                rows = [self._row(sender_id, event) for event in events]
                session.add_all(rows)
                session.flush()  # the rows get their ids: read them before the commit expires them
                written = [cached_row(row) for row in rows], [row.id for row in rows]
            session.commit()
        self.cache.written(sender_id, *written)
        logger.debug(f"Tracker with sender_id '{sender_id}' stored to database")

    def _version(self, session: Any, sender_id: Text) -> Version:
        """What the database holds of a conversation, in one indexed aggregate (stores/cache.py)."""
        count, top, latest = session.execute(VERSION_QUERY, {"sender_id": sender_id}).one()
        return int(count or 0), top, latest

    async def _retrieve(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        """Rasa's load; the latest session from the cache when the database holds exactly it."""
        if fetch_events_from_all_sessions or not self.cache.size:
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        with self.session_scope() as session:
            # The version first: a row written after it makes the entry older than the database,
            # never newer, and the next load reads it afresh.
            version = self._version(session, sender_id)
            rows = self.cache.get(sender_id, version)
            if rows is None:
                rows = [
                    cached_row(row)
                    for row in self._event_query(session, sender_id, fetch_events_from_all_sessions)
                ]
                self.cache.put(sender_id, version, rows)
        if self.domain is None or not rows:
            return None
        return DialogueStateTracker.from_dict(
            sender_id, [json.loads(data) for _, _, data in rows], self.domain.slots
        )

    async def _with_database(self, operation: Callable[..., Awaitable], *args: Any) -> Any:
        """Runs a database operation, after writing what was kept in memory while the database
        was away. Once more when the server dropped the connection (after a restart: SQLAlchemy
        has renewed its pool by then). Otherwise logs one clear line and raises: Rasa's
        FailSafeTrackerStore then answers with the conversation in memory."""
        try:
            try:
                self._write_unsaved()
                return await operation(*args)
            except DBAPIError as error:
                if not error.connection_invalidated:
                    raise
                self._write_unsaved()
                return await operation(*args)
        except SQLAlchemyError as error:
            url = self.engine.url
            logger.error(
                f"The tracker database ({url.get_backend_name()} at {url.host or url.database}, "
                f"port {url.port}) is unreachable: {first_line(error)}. The bot answers from "
                "memory; the conversation is written when the database is back."
            )
            raise

    def _write_unsaved(self) -> None:
        """Writes the events of the conversations kept in memory that the database lacks."""
        while self._unsaved:
            sender_id, tracker = next(iter(self._unsaved.items()))
            with self.session_scope() as session:
                stored = set(
                    session.query(self.SQLEvent.timestamp, self.SQLEvent.type_name)
                    .filter(self.SQLEvent.sender_id == sender_id)
                    .all()
                )
                self.cache.drop(sender_id)
                for event in tracker.events:
                    if (event.timestamp, event.type_name) not in stored:
                        session.add(self._row(sender_id, redacted(event)))
                session.commit()
            setattr(tracker, STORED, len(tracker.events))
            self._unsaved.pop(sender_id)

    def _insert_sqlite(
        self, session: Any, sender_id: Text, events: List[Event]
    ) -> Tuple[List[Row], List[int]]:
        """The rows of `events` (what `_row` makes) written with one prepared INSERT for all of them
        (executemany), without the ORM's unit of work, which inserted them one at a time to learn
        each id: about 0.9 ms of a save's 2 ms under load (bench/profile.py); in-process a save went
        from 1.2 to 0.65 ms. In SQLite a table's integer primary key is its rowid, which an insert
        sets to the highest one plus one, so the rows written in one go under the database's write
        lock get consecutive ids ending with last_insert_rowid() of the connection. Were that ever
        not so, the cache's version would differ from the database's and the next load would read
        the session afresh (stores/cache.py): the ids only decide whether the cache is used."""
        values = [self._values(sender_id, event) for event in events]
        session.execute(self.SQLEvent.__table__.insert(), values)
        last = session.execute(LAST_ROWID).scalar()
        ids = list(range(last - len(values) + 1, last + 1)) if isinstance(last, int) else [None] * len(values)
        return [(v["timestamp"], v["type_name"], v["data"]) for v in values], ids

    def _values(self, sender_id: Text, event: Event) -> Dict[Text, Any]:
        """The columns Rasa's own save writes for an event."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    def _row(self, sender_id: Text, event: Event) -> Any:
        """The row Rasa's own save writes for an event."""
        return self.SQLEvent(**self._values(sender_id, event))

    def purge_old_events(self) -> int:
        """Deletes events older than the retention period; returns how many."""
        cutoff = time.time() - self.retention_days * 24 * 3600
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.timestamp < cutoff)
                .delete(synchronize_session=False)
            )
            session.commit()
        if deleted:
            self.cache.clear()
        self._last_purge = time.time()
        if deleted:
            logger.info(f"Deleted {deleted} events older than {self.retention_days} days.")
        return deleted

    def forget(self, sender_id: Text) -> int:
        """Deletes every event of one sender (the right to erasure); returns how many."""
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        self.cache.drop(sender_id)
        return deleted


async def conversation(store: Any, sender_id: Text) -> Optional[DialogueStateTracker]:
    """The latest session of a conversation, whole even when this store trimmed it; `store` may be
    Rasa's wrapper around the tracker store (agent.tracker_store) or another tracker store."""
    inner = store
    while not isinstance(inner, RedactingSQLTrackerStore) and hasattr(inner, "_tracker_store"):
        inner = inner._tracker_store
    if isinstance(inner, RedactingSQLTrackerStore):
        try:
            return await inner.retrieve_whole_session(sender_id)
        except SQLAlchemyError:
            pass  # the database is away: what the wrapper keeps in memory
    return await store.retrieve(sender_id)
