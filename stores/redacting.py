"""RedactingSQLTrackerStore: Rasa's SQLTrackerStore (SQLite by default, PostgreSQL for scale-out)
that never writes personal data and forgets old conversations.

Rasa stores every user message verbatim. Here each new event is rewritten before it is saved: the
text of user messages (and the text in their parse data) goes through `redact()`, so ID numbers,
phone numbers, e-mail addresses, bank card numbers and passwords are stored as 【手机号】 and the
like. The NLU has already seen the message by then (it needs to, to warn the user); nothing else
keeps it. Configured in endpoints.yml:

    tracker_store:
      type: stores.redacting.RedactingSQLTrackerStore
      dialect: sqlite
      db: var/tracker.db
      retention_days: 180

`retention_days` (or the environment variable TRACKER_RETENTION_DAYS): events older than that are
deleted when the server starts and then once a day. `python -m stores.forget SENDER` (make forget)
deletes one person's conversations.
"""

import logging
import os
import time
from typing import Any, Awaitable, Callable, Dict, Iterator, Optional, Text

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from privacy import redact

logger = logging.getLogger(__name__)

RETENTION_ENV = "TRACKER_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 180
PURGE_EVERY_SECONDS = 24 * 3600


def redacted(event: Event) -> Event:
    """The event as it may be stored: a user message's text redacted, everything else as it is."""
    if not isinstance(event, UserUttered):
        return event
    data: Dict[Text, Any] = event.as_dict()
    data["text"] = redact(data.get("text") or "")
    parse_data = data.get("parse_data") or {}
    if parse_data.get("text"):
        parse_data["text"] = redact(parse_data["text"])
    for entity in parse_data.get("entities") or []:
        if isinstance(entity.get("value"), str):
            entity["value"] = redact(entity["value"])
    return Event.from_parameters(data)


class RedactingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, retention_days: Optional[int] = None, **kwargs: Any) -> None:
        self.retention_days = int(
            os.environ.get(RETENTION_ENV) or retention_days or DEFAULT_RETENTION_DAYS
        )
        self._last_purge = 0.0
        try:
            super().__init__(*args, **kwargs)
            self.purge_old_events()  # also the first use of the database: fails here if it is down
        except SQLAlchemyError as error:
            where = f"{kwargs.get('dialect', 'sqlite')} at {kwargs.get('host') or kwargs.get('db')}"
            logger.error(
                f"Cannot open the tracker database ({where}, port {kwargs.get('port')}): "
                f"{str(getattr(error, 'orig', None) or error).splitlines()[0]}. Check "
                "`tracker_store` in endpoints.yml and that the database server is running."
            )
            raise

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        return (redacted(event) for event in super()._additional_events(session, tracker))

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self._with_database(super().retrieve, sender_id)

    async def retrieve_full_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self._with_database(super().retrieve_full_tracker, sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self._with_database(super().save, tracker)
        if time.time() - self._last_purge > PURGE_EVERY_SECONDS:
            self.purge_old_events()

    async def _with_database(self, operation: Callable[..., Awaitable], *args: Any) -> Any:
        """Runs a database operation once more when the server dropped the connection (after a
        restart: SQLAlchemy has renewed its pool by then). Otherwise logs one clear line and
        raises: Rasa's FailSafeTrackerStore then answers with the conversation in memory."""
        try:
            try:
                return await operation(*args)
            except DBAPIError as error:
                if not error.connection_invalidated:
                    raise
                return await operation(*args)
        except SQLAlchemyError as error:
            url = self.engine.url
            logger.error(
                f"The tracker database ({url.get_backend_name()} at {url.host or url.database}, "
                f"port {url.port}) is unreachable: "
                f"{str(getattr(error, 'orig', None) or error).strip().splitlines()[0]}. The bot "
                "answers from memory until it is back; this turn is not stored."
            )
            raise

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
        return deleted
