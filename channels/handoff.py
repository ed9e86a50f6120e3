"""Handoff to a person in the chat widget and on WeChat: the desk between the students' channels
(channels/socketio.py, channels/wechat.py), the queue (channels/handoff_queue.py) and the staff console
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

WeChat (channels/wechat.py, HELPDESK_WECHAT_HANDOFF=queue) uses the same desk: what the desk says
while handling a student's message goes back as WeChat's passive reply (the `outbox`), what staff
say or do later is sent with WeChat's customer-service message API, which WeChat accepts only within
HELPDESK_WECHAT_WINDOW_HOURS (48) of the student's last message: a later reply is refused
(OutsideWindow) and the console says so.

Replicas (docs/scale-out.md, "Handoff across replicas"): the queue is in Redis, the transcript in
the tracker store, and `tell_student`'s emit to the student's room reaches their socket on
whichever replica it is connected to (python-socketio's Redis manager, channels/socketio.py).

Texts: data/knowledge/presentation.yml (handoff).
"""

import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from channels.handoff_queue import LEAVING, TAKEN, WAITING, MemoryQueue, Ticket, handoff_queue
from channels.payloads import parse_command
from channels.senders import WECHAT_PREFIX
from knowledge.loader import load_knowledge
from knowledge.render import HANDOFF_ACCEPT, HANDOFF_ANSWER, HANDOFF_INTENT, handoff_payload
from staff.desk import DeskConfig, wechat_window_seconds

logger = logging.getLogger(__name__)

# Metadata keys of the events the desk writes into the tracker.
STAFF_KEY = "handoff_staff"
HANDOFF_KEY = "handoff"
# What a transcript shows at most (the latest messages).
TRANSCRIPT_MESSAGES = 200
ACCEPT = parse_command(handoff_payload(HANDOFF_ACCEPT))
# Sends a text to a WeChat OpenID (channels/wechat.py): (openid, text, label or None).
WeChatSend = Callable[[Text, Text, Optional[Text]], Awaitable[None]]


class OutsideWindow(Exception):
    """A staff reply to a WeChat student whose last message is older than WeChat's window."""


def is_wechat(sender: Text) -> bool:
    return sender.startswith(WECHAT_PREFIX)


class Desk:
    def __init__(self, queue: Optional[MemoryQueue] = None, config: Optional[DeskConfig] = None) -> None:
        self.queue = queue or handoff_queue()
        self.config = config or DeskConfig.from_environment()
        self.app: Any = None
        self.sio: Any = None
        self.namespace: Optional[Text] = None
        self.bot_event = "bot_uttered"
        self.channel_name = "socketio"
        self.wechat_send: Optional[WeChatSend] = None

    # ---- wiring: the socket.io channel and the Sanic app register themselves ----

    def attach_socket(self, sio: Any, namespace: Optional[Text], bot_event: Text) -> None:
        self.sio, self.namespace, self.bot_event = sio, namespace, bot_event

    def attach_app(self, app: Any) -> None:
        self.app = app

    def attach_wechat(self, send: WeChatSend) -> None:
        self.wechat_send = send

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

    async def active_loop(self, sender: Text) -> Optional[Text]:
        """The form the conversation is in (e.g. the rehearsal's), or None."""
        agent = getattr(getattr(self.app, "ctx", None), "agent", None)
        if agent is None:
            return None
        tracker = await agent.tracker_store.retrieve(sender)
        return tracker.active_loop_name if tracker else None

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

    async def last_student_message(self, sender: Text) -> Optional[float]:
        """When the student last wrote (the tracker's latest user event), or None."""
        agent = getattr(getattr(self.app, "ctx", None), "agent", None)
        if agent is None:
            return None
        from stores.redacting import conversation

        tracker = await conversation(agent.tracker_store, sender)
        for event in reversed(tracker.events if tracker else []):
            if getattr(event, "type_name", "") == "user":
                return event.timestamp
        return None

    async def within_window(self, sender: Text) -> bool:
        last = await self.last_student_message(sender)
        return last is not None and time.time() - last < wechat_window_seconds()

    async def tell_student(self, sender: Text, text: Text, label: Optional[Text] = None) -> None:
        if is_wechat(sender):
            if self.wechat_send is not None:
                await self.wechat_send(sender[len(WECHAT_PREFIX) :], text, label)
            return
        if self.sio is None:
            return
        message: Dict[Text, Any] = {"text": text}
        if label:
            message["sender_label"] = label
        await self.sio.emit(self.bot_event, message, room=sender, namespace=self.namespace)

    async def say(
        self,
        sender: Text,
        text: Text,
        metadata: Optional[Dict[Text, Any]] = None,
        outbox: Optional[List[Text]] = None,
    ) -> None:
        """Says `text` to the student as the desk and keeps it in the conversation; with `outbox`
        (WeChat's passive reply) it is added there instead of being sent."""
        from rasa.shared.core.events import BotUttered

        await self.record(sender, [BotUttered(text, metadata=metadata or {})])
        if outbox is not None:
            outbox.append(text)
        else:
            await self.tell_student(sender, text)

    def student_event(
        self,
        sender: Text,
        text: Text,
        metadata: Dict[Text, Any],
        intent: Optional[Dict] = None,
        input_channel: Optional[Text] = None,
    ) -> Any:
        """The student's message as the tracker keeps it while a person has the conversation (the
        widget's or WeChat's channel from the sender, unless another channel names itself)."""
        from rasa.shared.core.events import UserUttered

        entities = []
        if intent and intent.get("name") == HANDOFF_INTENT:
            entities = [{"entity": HANDOFF_ANSWER, "value": HANDOFF_ACCEPT}]
        return UserUttered(
            text,
            intent=intent or {},
            entities=entities,
            input_channel=input_channel or ("wechat" if is_wechat(sender) else self.channel_name),
            metadata={**metadata, HANDOFF_KEY: True},
        )

    # ---- what the student does ----

    async def handle_student(
        self, sender: Text, text: Text, metadata: Dict[Text, Any], outbox: Optional[List[Text]] = None
    ) -> bool:
        """True when the message is the desk's (the bot must not answer it); False for the bot.
        With `outbox`, what the desk says to the student goes there (see `say`)."""
        if parse_command(text) == ACCEPT:
            await self.accept(sender, text, metadata, outbox)
            return True
        ticket, went_back = await self.queue.with_a_person(sender, self.idle_seconds)
        if went_back is not None:
            await self.say(sender, self.texts["idle_returned"], outbox=outbox)
        if ticket is None:
            return False
        user = self.student_event(sender, text, metadata)
        if ticket.status == LEAVING:
            await self.queue.left_message(ticket.id)
            await self.record(sender, [user])
            await self.say(sender, self.texts["message_kept"], outbox=outbox)
        elif ticket.status == WAITING:
            await self.queue.touch(ticket.id)
            await self.record(sender, [user])
            place = await self.queue.place(ticket.id, self.idle_seconds)
            still = self.texts["still_waiting"].format(place=place, hours=self.hours())
            await self.say(sender, still, outbox=outbox)
        else:  # with a member of staff: only they answer
            await self.queue.touch(ticket.id)
            await self.record(sender, [user])
        return True

    async def accept(
        self, sender: Text, text: Text, metadata: Dict[Text, Any], outbox: Optional[List[Text]] = None
    ) -> Ticket:
        ticket = await self.queue.request(sender, self.config.is_open())
        intent = {"name": HANDOFF_INTENT, "confidence": 1.0}
        await self.record(sender, [self.student_event(sender, text, metadata, intent)])
        if ticket.status == LEAVING:
            said = self.texts["closed_hours"].format(hours=self.hours())
        elif ticket.status == TAKEN:
            said = self.texts["taken"]
        else:
            place = await self.queue.place(ticket.id, self.idle_seconds)
            said = self.texts["queued"].format(place=place, hours=self.hours())
        await self.say(sender, said, outbox=outbox)
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

        before = await self.queue.get(ticket_id)
        if before is not None and is_wechat(before.sender) and not await self.within_window(before.sender):
            raise OutsideWindow(ticket_id)  # WeChat would refuse the customer-service message
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
