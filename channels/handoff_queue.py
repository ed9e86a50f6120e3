"""The handoff queue: which conversations wait for a person, their place, which staff member has
taken one, and when one went back to the bot. Written like channels/shared_state.py: one Rasa
server keeps it in its own memory; with REDIS_HOST set (REDIS_PORT) it lives in Redis under the
"helpdesk:handoff:" prefix, so that replicas behind nginx share it (a staff member on one replica
takes a conversation whose student is on another). Nothing in it is a message: the transcript is
the conversation's tracker (redacted by the tracker store, stores/redacting.py).

A ticket is one request for a person in one conversation ("web:<session>", channels/senders.py):

    waiting  -> taken (by a staff member) -> returned (handed back, or idle) | closed
    leaving  (outside the desk's hours: the student's next message is their message) -> message
    message  (a message left for staff, listed until closed)

While a ticket is waiting, taken or leaving, the bot does not answer that conversation
(channels/handoff.py). A waiting or taken ticket in which nothing happened for the idle time
(HELPDESK_HANDOFF_IDLE_MINUTES, staff/desk.py) goes back to the bot when next looked at.
"""

import dataclasses
import functools
import json
import secrets
import time
from typing import Any, Callable, Dict, List, Optional, Text, Tuple

from channels.shared_state import redis_address

PREFIX = "helpdesk:handoff:"
WAITING, TAKEN, LEAVING, MESSAGE, RETURNED, CLOSED = (
    "waiting",
    "taken",
    "leaving",
    "message",
    "returned",
    "closed",
)
# The bot is silent in these.
WITH_A_PERSON = (WAITING, TAKEN, LEAVING)
# The staff console lists these.
LISTED = (WAITING, TAKEN, MESSAGE)
# How long an ended ticket is kept (Redis); in memory ended tickets are forgotten at once.
ENDED_KEEP_SECONDS = 24 * 3600
# Conversations remembered in memory at most (the oldest ended ones go first).
REMEMBERED_TICKETS = 10_000


@dataclasses.dataclass
class Ticket:
    id: Text
    sender: Text
    status: Text
    requested: float
    updated: float
    staff: Optional[Text] = None
    ended_by: Optional[Text] = None  # "staff", "idle"

    def idle(self, idle_seconds: float, now: float) -> bool:
        return self.status in (WAITING, TAKEN) and now - self.updated >= idle_seconds

    def to_json(self) -> Text:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, value: Any) -> "Ticket":
        return cls(**json.loads(value))


Change = Callable[[Ticket], Optional[Ticket]]


class MemoryQueue:
    """In this process only."""

    def __init__(self) -> None:
        self.tickets: Dict[Text, Ticket] = {}
        self.by_sender: Dict[Text, Text] = {}

    # ---- storage: the two implementations differ only here ----

    async def _load(self, ticket_id: Text) -> Optional[Ticket]:
        ticket = self.tickets.get(ticket_id)
        return dataclasses.replace(ticket) if ticket else None

    async def _ticket_of(self, sender: Text) -> Optional[Ticket]:
        ticket_id = self.by_sender.get(sender)
        return await self._load(ticket_id) if ticket_id else None

    async def _create(self, ticket: Ticket) -> Ticket:
        """Stores a new ticket unless the sender has one with a person already (that one is returned)."""
        current = await self._ticket_of(ticket.sender)
        if current and current.status in WITH_A_PERSON:
            return current
        self.tickets[ticket.id] = dataclasses.replace(ticket)
        self.by_sender[ticket.sender] = ticket.id
        while len(self.tickets) > REMEMBERED_TICKETS:
            oldest = min(self.tickets.values(), key=lambda t: t.updated)
            self._forget(oldest)
        return ticket

    def _forget(self, ticket: Ticket) -> None:
        self.tickets.pop(ticket.id, None)
        if self.by_sender.get(ticket.sender) == ticket.id:
            del self.by_sender[ticket.sender]

    async def _change(self, ticket_id: Text, change: Change) -> Optional[Ticket]:
        """Applies `change` to the stored ticket atomically (nothing here awaits anything that could
        let another task run, so no lock is needed); None when it
        declines (returns None) or there is no such ticket."""
        current = await self._load(ticket_id)
        changed = change(current) if current else None
        if changed is None:
            return None
        if changed.status in (RETURNED, CLOSED):
            self._forget(changed)
        else:
            self.tickets[ticket_id] = dataclasses.replace(changed)
        return changed

    async def _open_tickets(self) -> List[Ticket]:
        return [dataclasses.replace(t) for t in self.tickets.values() if t.status not in (RETURNED, CLOSED)]

    # ---- operations ----

    async def request(self, sender: Text, desk_open: bool, now: Optional[float] = None) -> Ticket:
        """A new request for a person: waiting (desk open) or leaving a message (closed). When the
        conversation is with a person already, that ticket."""
        now = time.time() if now is None else now
        status = WAITING if desk_open else LEAVING
        ticket = Ticket(secrets.token_urlsafe(12), sender, status, requested=now, updated=now)
        return await self._create(ticket)

    async def with_a_person(
        self, sender: Text, idle_seconds: float, now: Optional[float] = None
    ) -> Tuple[Optional[Ticket], Optional[Ticket]]:
        """(the ticket while the conversation is with a person, a ticket that has just gone back to
        the bot because it was idle)."""
        now = time.time() if now is None else now
        ticket = await self._ticket_of(sender)
        if ticket is None or ticket.status not in WITH_A_PERSON:
            return None, None
        if ticket.idle(idle_seconds, now):
            return None, await self.end(ticket.id, RETURNED, "idle", now, only_if_idle=idle_seconds)
        return ticket, None

    async def touch(self, ticket_id: Text, now: Optional[float] = None) -> Optional[Ticket]:
        now = time.time() if now is None else now
        return await self._change(ticket_id, lambda t: dataclasses.replace(t, updated=now))

    async def take(self, ticket_id: Text, staff: Text, now: Optional[float] = None) -> Optional[Ticket]:
        """The ticket taken by `staff`: from waiting, or already theirs; None when another staff
        member has it or it is no longer with a person."""
        now = time.time() if now is None else now

        def take(ticket: Ticket) -> Optional[Ticket]:
            if ticket.status == TAKEN and ticket.staff == staff:
                return dataclasses.replace(ticket, updated=now)
            if ticket.status != WAITING:
                return None
            return dataclasses.replace(ticket, status=TAKEN, staff=staff, updated=now)

        return await self._change(ticket_id, take)

    async def left_message(self, ticket_id: Text, now: Optional[float] = None) -> Optional[Ticket]:
        """The student's message after leaving was kept: listed for staff, the bot answers again."""
        now = time.time() if now is None else now
        return await self._change(
            ticket_id,
            lambda t: dataclasses.replace(t, status=MESSAGE, updated=now) if t.status == LEAVING else None,
        )

    async def end(
        self,
        ticket_id: Text,
        status: Text,
        by: Text,
        now: Optional[float] = None,
        staff: Optional[Text] = None,
        only_if_idle: Optional[float] = None,
    ) -> Optional[Ticket]:
        """Handed back (RETURNED) or closed (CLOSED). With `staff`, only a ticket that staff member
        may end: waiting, theirs, or a message left; with `only_if_idle`, only one still idle."""
        now = time.time() if now is None else now

        def end(ticket: Ticket) -> Optional[Ticket]:
            if ticket.status in (RETURNED, CLOSED):
                return None
            if staff is not None and ticket.status == TAKEN and ticket.staff != staff:
                return None
            if only_if_idle is not None and not ticket.idle(only_if_idle, now):
                return None
            return dataclasses.replace(ticket, status=status, ended_by=by, updated=now)

        return await self._change(ticket_id, end)

    async def get(self, ticket_id: Text) -> Optional[Ticket]:
        return await self._load(ticket_id)

    async def listed(self, idle_seconds: float, now: Optional[float] = None) -> List[Ticket]:
        """What the staff console lists, oldest request first; idle ones go back to the bot."""
        now = time.time() if now is None else now
        shown = []
        for ticket in await self._open_tickets():
            if ticket.idle(idle_seconds, now):
                await self.end(ticket.id, RETURNED, "idle", now, only_if_idle=idle_seconds)
            elif ticket.status in LISTED:
                shown.append(ticket)
        return sorted(shown, key=lambda t: t.requested)

    async def place(self, ticket_id: Text, idle_seconds: float, now: Optional[float] = None) -> int:
        """1 for the first one waiting; 0 when the ticket is not waiting."""
        waiting = [t.id for t in await self.listed(idle_seconds, now) if t.status == WAITING]
        return waiting.index(ticket_id) + 1 if ticket_id in waiting else 0


class RedisQueue(MemoryQueue):
    """The same queue in one Redis shared by every replica: each change is a WATCH/MULTI
    transaction on the ticket's key, so two staff members cannot both take one conversation."""

    def __init__(self, host: Text, port: int) -> None:
        import redis.asyncio  # installed with Rasa (its Redis lock store)

        self.redis = redis.asyncio.Redis(host=host, port=port, socket_timeout=5)

    @staticmethod
    def _key(ticket_id: Text) -> Text:
        return f"{PREFIX}ticket:{ticket_id}"

    @staticmethod
    def _sender_key(sender: Text) -> Text:
        return f"{PREFIX}sender:{sender}"

    OPEN = PREFIX + "open"  # sorted set of open ticket ids, by request time

    async def _load(self, ticket_id: Text) -> Optional[Ticket]:
        value = await self.redis.get(self._key(ticket_id))
        return Ticket.from_json(value) if value else None

    async def _ticket_of(self, sender: Text) -> Optional[Ticket]:
        ticket_id = await self.redis.get(self._sender_key(sender))
        return await self._load(ticket_id.decode()) if ticket_id else None

    async def _create(self, ticket: Ticket) -> Ticket:
        import redis.exceptions

        key = self._sender_key(ticket.sender)
        while True:
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    current_id = await pipe.get(key)
                    current = await self._load(current_id.decode()) if current_id else None
                    if current and current.status in WITH_A_PERSON:
                        return current
                    pipe.multi()
                    pipe.set(key, ticket.id)
                    pipe.set(self._key(ticket.id), ticket.to_json())
                    pipe.zadd(self.OPEN, {ticket.id: ticket.requested})
                    await pipe.execute()
                    return ticket
                except redis.exceptions.WatchError:
                    continue

    async def _change(self, ticket_id: Text, change: Change) -> Optional[Ticket]:
        import redis.exceptions

        key = self._key(ticket_id)
        while True:
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    value = await pipe.get(key)
                    changed = change(Ticket.from_json(value)) if value else None
                    if changed is None:
                        return None
                    pipe.multi()
                    if changed.status in (RETURNED, CLOSED):
                        pipe.set(key, changed.to_json(), ex=ENDED_KEEP_SECONDS)
                        pipe.zrem(self.OPEN, ticket_id)
                    else:
                        pipe.set(key, changed.to_json())
                    await pipe.execute()
                    return changed
                except redis.exceptions.WatchError:
                    continue

    async def _open_tickets(self) -> List[Ticket]:
        tickets = []
        for ticket_id in await self.redis.zrange(self.OPEN, 0, -1):
            ticket = await self._load(ticket_id.decode())
            if ticket is None:
                await self.redis.zrem(self.OPEN, ticket_id)
            elif ticket.status not in (RETURNED, CLOSED):
                tickets.append(ticket)
        return tickets


@functools.lru_cache(maxsize=1)
def handoff_queue() -> MemoryQueue:
    """The one queue of this process: Redis when REDIS_HOST is set, else memory."""
    address = redis_address()
    return RedisQueue(*address) if address else MemoryQueue()
