"""Handoff to a person in the chat widget: the desk between the students' socket.io channel
(channels/socketio.py), the queue (channels/handoff_queue.py) and the staff console
(channels/console.py), in the Rasa server process.

- A tap on 转人工 (`/request_human{"handoff": "accept"}`, offered by actions/handoff.py) does not go
  to the bot: the conversation joins the queue and the student reads their place and the desk's
  hours; outside the hours (staff/desk.py) they are told the hours and that their next message is
  kept for staff.
- While the conversation waits for or is with a person, the bot stays silent: the student's
  messages are written into the conversation's tracker as the student's events (no bot turn), so
  nothing is lost, the staff console shows them, and the tracker store redacts them like any
  message (stores/redacting.py). A student still waiting is told their place again.
- Staff replies are written into the tracker as the bot's events with `{"handoff_staff": name}` in
  their metadata and sent to the student's socket.io room with a label (presentation.yml:
  handoff.staff_label) that the widget shows above them.
- Handed back or closed by staff, or idle for HELPDESK_HANDOFF_IDLE_MINUTES, the conversation is the
  bot's again, and the student is told so.

Texts: data/knowledge/presentation.yml (handoff). Not yet: WeChat's customer service transfer;
staff replies reach a student connected to this replica only (two replicas need python-socketio's
Redis manager; the queue itself is already shared through Redis).
"""

import logging
from typing import Any, Dict, List, Optional, Text, Tuple

from channels.handoff_queue import LEAVING, TAKEN, WAITING, MemoryQueue, Ticket, handoff_queue
from channels.payloads import parse_command
from knowledge.loader import load_knowledge
from knowledge.render import HANDOFF_ACCEPT, HANDOFF_ANSWER, HANDOFF_INTENT, handoff_payload
from staff.desk import DeskConfig

logger = logging.getLogger(__name__)

# Metadata keys of the events the desk writes into the tracker.
STAFF_KEY = "handoff_staff"
HANDOFF_KEY = "handoff"
# What a transcript shows at most (the latest messages).
TRANSCRIPT_MESSAGES = 200
ACCEPT = parse_command(handoff_payload(HANDOFF_ACCEPT))


class Desk:
    def __init__(self, queue: Optional[MemoryQueue] = None, config: Optional[DeskConfig] = None) -> None:
        self.queue = queue or handoff_queue()
        self.config = config or DeskConfig.from_environment()
        self.app: Any = None
        self.sio: Any = None
        self.namespace: Optional[Text] = None
        self.bot_event = "bot_uttered"
        self.channel_name = "socketio"

    # ---- wiring: the socket.io channel and the Sanic app register themselves ----

    def attach_socket(self, sio: Any, namespace: Optional[Text], bot_event: Text) -> None:
        self.sio, self.namespace, self.bot_event = sio, namespace, bot_event

    def attach_app(self, app: Any) -> None:
        self.app = app

    @property
    def texts(self) -> Dict[Text, Any]:
        return load_knowledge().presentation["handoff"]

    def hours(self) -> Text:
        return self.config.hours_text(self.texts)

    @property
    def idle_seconds(self) -> float:
        return self.config.idle_seconds

    # ---- the tracker and the student's socket ----

    async def record(self, sender: Text, events: List[Any]) -> None:
        """Appends events to the conversation's tracker (under its lock, as Rasa does)."""
        agent = getattr(getattr(self.app, "ctx", None), "agent", None)
        if agent is None or agent.processor is None:
            logger.error("Handoff: no agent to record the conversation in; the events are lost.")
            return
        async with agent.lock_store.lock(sender):
            tracker = await agent.processor.get_tracker(sender)
            for event in events:
                tracker.update(event)
            await agent.processor.save_tracker(tracker)

    async def transcript(self, sender: Text) -> List[Dict[Text, Any]]:
        """The conversation as stored (redacted): [{"from": "user"|"bot"|"staff", "text", "staff"}]."""
        agent = getattr(getattr(self.app, "ctx", None), "agent", None)
        if agent is None:
            return []
        from stores.redacting import conversation  # whole, when the store trimmed it (stores/trim.py)

        tracker = await conversation(agent.tracker_store, sender)
        said: List[Dict[Text, Any]] = []
        for event in tracker.events if tracker else []:
            kind = getattr(event, "type_name", "")
            if kind not in ("user", "bot") or not getattr(event, "text", None):
                continue
            staff = (event.metadata or {}).get(STAFF_KEY) if kind == "bot" else None
            said.append({"from": "staff" if staff else kind, "text": event.text, "staff": staff})
        return said[-TRANSCRIPT_MESSAGES:]

    async def tell_student(self, sender: Text, text: Text, label: Optional[Text] = None) -> None:
        if self.sio is None:
            return
        message: Dict[Text, Any] = {"text": text}
        if label:
            message["sender_label"] = label
        await self.sio.emit(self.bot_event, message, room=sender, namespace=self.namespace)

    async def say(self, sender: Text, text: Text, metadata: Optional[Dict[Text, Any]] = None) -> None:
        """Says `text` to the student as the desk and keeps it in the conversation."""
        from rasa.shared.core.events import BotUttered

        await self.record(sender, [BotUttered(text, metadata=metadata or {})])
        await self.tell_student(sender, text)

    def _student_event(self, text: Text, metadata: Dict[Text, Any], intent: Optional[Dict] = None) -> Any:
        from rasa.shared.core.events import UserUttered

        entities = []
        if intent and intent.get("name") == HANDOFF_INTENT:
            entities = [{"entity": HANDOFF_ANSWER, "value": HANDOFF_ACCEPT}]
        return UserUttered(
            text,
            intent=intent or {},
            entities=entities,
            input_channel=self.channel_name,
            metadata={**metadata, HANDOFF_KEY: True},
        )

    # ---- what the student does ----

    async def handle_student(self, sender: Text, text: Text, metadata: Dict[Text, Any]) -> bool:
        """True when the message is the desk's (the bot must not answer it); False for the bot."""
        if parse_command(text) == ACCEPT:
            await self.accept(sender, text, metadata)
            return True
        ticket, went_back = await self.queue.with_a_person(sender, self.idle_seconds)
        if went_back is not None:
            await self.say(sender, self.texts["idle_returned"])
        if ticket is None:
            return False
        user = self._student_event(text, metadata)
        if ticket.status == LEAVING:
            await self.queue.left_message(ticket.id)
            await self.record(sender, [user])
            await self.say(sender, self.texts["message_kept"])
        elif ticket.status == WAITING:
            await self.queue.touch(ticket.id)
            await self.record(sender, [user])
            place = await self.queue.place(ticket.id, self.idle_seconds)
            await self.say(sender, self.texts["still_waiting"].format(place=place, hours=self.hours()))
        else:  # with a member of staff: only they answer
            await self.queue.touch(ticket.id)
            await self.record(sender, [user])
        return True

    async def accept(self, sender: Text, text: Text, metadata: Dict[Text, Any]) -> Ticket:
        ticket = await self.queue.request(sender, self.config.is_open())
        intent = {"name": HANDOFF_INTENT, "confidence": 1.0}
        await self.record(sender, [self._student_event(text, metadata, intent)])
        if ticket.status == LEAVING:
            await self.say(sender, self.texts["closed_hours"].format(hours=self.hours()))
        elif ticket.status == TAKEN:
            await self.say(sender, self.texts["taken"])
        else:
            place = await self.queue.place(ticket.id, self.idle_seconds)
            await self.say(sender, self.texts["queued"].format(place=place, hours=self.hours()))
        return ticket

    # ---- what staff do (channels/console.py) ----

    async def take(self, ticket_id: Text, staff: Text) -> Tuple[Optional[Ticket], bool]:
        """(the ticket, now theirs; whether it was just taken) or (None, False) when they may not."""
        before = await self.queue.get(ticket_id)
        ticket = await self.queue.take(ticket_id, staff)
        if ticket is None:
            return None, False
        newly = before is not None and before.status == WAITING
        if newly:
            await self.say(ticket.sender, self.texts["taken"])
        return ticket, newly

    async def reply(self, ticket_id: Text, staff: Text, text: Text) -> Optional[Ticket]:
        from rasa.shared.core.events import BotUttered

        ticket, _ = await self.take(ticket_id, staff)
        if ticket is None:
            return None
        await self.record(ticket.sender, [BotUttered(text, metadata={STAFF_KEY: staff})])
        await self.tell_student(ticket.sender, text, label=self.texts["staff_label"])
        return ticket

    async def end(self, ticket_id: Text, staff: Text, closed: bool) -> Optional[Ticket]:
        """Handed back to the bot (closed=False) or closed: the bot answers again either way."""
        from channels.handoff_queue import CLOSED, MESSAGE, RETURNED

        before = await self.queue.get(ticket_id)
        ticket = await self.queue.end(ticket_id, CLOSED if closed else RETURNED, "staff", staff=staff)
        if ticket is not None and before is not None and before.status != MESSAGE:
            await self.say(ticket.sender, self.texts["closed" if closed else "handed_back"])
        return ticket


_DESK: Optional[Desk] = None


def desk() -> Desk:
    """The one desk of this process, shared by the socket.io channel and the staff console."""
    global _DESK
    if _DESK is None:
        _DESK = Desk()
    return _DESK
