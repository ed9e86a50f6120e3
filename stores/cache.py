"""The latest session of recently active conversations, kept by the tracker store between messages
(issue 19): a message's tracker load then reads one row of figures instead of the session's rows.

An entry holds the rows of a conversation's latest session exactly as they are stored (already
redacted: the JSON the database holds), and the *version* of all the conversation's rows when they
were read or written: how many there are, the highest id and the latest timestamp. The store
compares that version with the database's before using an entry (one indexed aggregate query), so
an entry is used only when the database holds exactly those rows: a row written by another replica
(PostgreSQL scale-out) or another process, `make forget` or the retention purge (both delete rows)
changes the count or the highest id, and the entry is then read afresh. Written through: a save
writes its rows, then the entry goes on with them at the version the database has if no one else
wrote meanwhile; if someone did, the next load finds a different version and reads afresh.

Bounded: the least recently used entries are dropped beyond `size` (`tracker_cache_size` in
endpoints.yml; 0 turns it off).
"""

from collections import OrderedDict
from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Text, Tuple

# (count of rows, highest id, latest timestamp) of one sender's rows; (0, None, None) when none.
Version = Tuple[int, Optional[int], Optional[float]]
# (timestamp, type name, data): a stored row, as the store's query returns it.
Row = Tuple[Optional[float], Text, Text]
SESSION_STARTED = "session_started"
DEFAULT_SIZE = 256


@dataclass
class Entry:
    version: Version
    rows: List[Row]  # the latest session's rows, in id order


def latest_session(rows: Iterable[Row]) -> List[Row]:
    """The rows Rasa's session query returns (SQLTrackerStore._event_query): those whose timestamp
    is at or after the latest `session_started` timestamp, in id order; all of them without one."""
    rows = list(rows)
    starts = [at for at, type_name, _ in rows if type_name == SESSION_STARTED and at is not None]
    if not starts:
        return rows
    start = max(starts)
    return [row for row in rows if row[0] is not None and row[0] >= start]


class SessionCache:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = max(0, int(size))
        self._entries: "OrderedDict[Text, Entry]" = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, sender_id: Text) -> bool:
        return sender_id in self._entries

    def get(self, sender_id: Text, version: Version) -> Optional[List[Row]]:
        """The cached rows when the database's `version` is the entry's; otherwise none (and the
        stale entry is dropped)."""
        entry = self._entries.get(sender_id)
        if entry is None:
            return None
        if entry.version != version:
            del self._entries[sender_id]
            return None
        self._entries.move_to_end(sender_id)
        return entry.rows

    def put(self, sender_id: Text, version: Version, rows: Sequence[Row]) -> None:
        """Keeps `rows` (the latest session) as what the database holds at `version`; a sender
        without rows is kept too (a new conversation: its first save goes on from it)."""
        if not self.size:
            return
        self._entries[sender_id] = Entry(version, list(rows))
        self._entries.move_to_end(sender_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def written(self, sender_id: Text, rows: Sequence[Row], new_ids: Sequence[int]) -> None:
        """After a save added `rows` (in id order) with ids `new_ids`: the entry goes on with them,
        at the version the database has if no one else changed the conversation's rows since the
        entry was read; the next load compares that with the database's."""
        entry = self._entries.get(sender_id)
        version = version_after(entry.version, rows, new_ids) if entry is not None else None
        if version is None:
            self._entries.pop(sender_id, None)
        else:
            self.put(sender_id, version, latest_session([*entry.rows, *rows]))

    def drop(self, sender_id: Text) -> None:
        self._entries.pop(sender_id, None)

    def clear(self) -> None:
        self._entries.clear()


def version_after(before: Version, rows: Sequence[Row], new_ids: Sequence[int]) -> Optional[Version]:
    """The version `before` becomes when `rows` with ids `new_ids` are added and nothing else
    changes; None when it cannot be told (a row without id)."""
    if not rows:
        return before
    if any(i is None for i in new_ids):
        return None
    count, top, latest = before
    stamps = [at for at, _, _ in rows if at is not None]
    if latest is not None:
        stamps.append(latest)
    return (
        count + len(rows),
        max([*new_ids, *([top] if top is not None else [])]),
        max(stamps) if stamps else None,
    )
