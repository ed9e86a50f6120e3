"""Chatwoot (the open-source agent desk) connector, at /webhooks/chatwoot/webhook: the bot as a
Chatwoot Agent Bot. Off unless CHATWOOT_URL, CHATWOOT_API_TOKEN and CHATWOOT_WEBHOOK_SECRET are
set (then every request gets 503).

Configuration (environment): CHATWOOT_URL (the Chatwoot installation, e.g. https://desk.example),
CHATWOOT_API_TOKEN (the Agent Bot's access token, sent as the `api_access_token` header),
CHATWOOT_WEBHOOK_SECRET (see below), CHATWOOT_API_TIMEOUT (seconds per API call, default 10).

In: Chatwoot posts the Agent Bot's events as JSON to the bot's webhook URL. Chatwoot signs none of
them, so the URL carries a shared secret: `?secret=<CHATWOOT_WEBHOOK_SECRET>` in the Agent Bot's
webhook URL (Chatwoot cannot add headers), or the header `X-Chatwoot-Bot-Secret` when a reverse
proxy adds it. A request without it, or with another, gets 401 and does nothing. Bodies over 64 KiB
get 413, a body that is not a JSON object or an event without its ids gets 400.

The fields relied on, as Chatwoot documents its webhook payloads:
- `message_created`: `event`, `id` (the message), `content`, `message_type` ("incoming" from the
  contact, "outgoing" from an agent or a bot, "activity", "template"), `private`, `sender.type`
  ("contact" for the student, when present), `conversation.id`, `conversation.status` ("pending":
  the bot's turn; "open": an agent's), `account.id`.
- `conversation_status_changed` (and `conversation_resolved`, `conversation_opened` of older
  versions): the conversation's own fields at the top level, `id`, `status` and `account_id` (or
  `account.id`, or `messages[].account_id`).

Only incoming, public messages of a contact on a `pending` conversation go to the bot, as sender
`chatwoot:<account id>:<conversation id>` (channels/senders.py), through the input checks of every
channel (channels/limits.py). The webhook answers 200 at once and the bot's answer follows: its
messages are posted with the messages API (`POST /api/v1/accounts/{account}/conversations/{id}/messages`,
`{"content": …, "message_type": "outgoing", "private": false}`), each message's buttons as a numbered
list (presentation.yml: chatwoot.menu_item) after its text; replying with a number chooses that
button (remembered in channels/shared_state.py, so Redis with replicas). Outgoing messages (the
bot's own, an agent's), private notes and activities are ignored. A contact's message on an
`open` conversation (a person has it) is not answered: it is kept in the conversation's tracker
(redacted like any message, stores/redacting.py), as during the widget's handoff.

Handoff: the offer of a person (actions/handoff.py, 转人工 / 不用了 as a numbered list) is accepted by
its number, or by the button's payload; the connector then sets the conversation `open` with the
toggle-status API (`POST …/conversations/{id}/toggle_status`, `{"status": "open"}`), so that
Chatwoot's own agents take it, and tells the student (chatwoot.transferred); the staff console's
queue is not used. When Chatwoot reports the conversation `pending` again (an agent hands it back
to the bot) the student reads handoff.handed_back and the bot answers again; `resolved` ends it
without a word (the next message reopens the conversation, as Chatwoot does with a bot).

Failures: an API call that fails or takes longer than CHATWOOT_API_TIMEOUT is logged with its kind
and HTTP status only (never a message's text, never a contact); the student's message is already
in the tracker, so nothing they wrote is lost. If the handoff cannot be made, the student reads
where a person helps (handoff.elsewhere) and the bot keeps answering. A message delivered twice
(the same message id) is handled once. Nothing a student wrote is logged.
"""

import asyncio
import hmac
import json
import logging
import os
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.handoff import ACCEPT, desk
from channels.limits import MessageGate
from channels.payloads import menu_choice, parse_command
from channels.senders import chatwoot_sender
from channels.shared_state import shared_state
from channels.staff import with_role
from knowledge.loader import load_knowledge
from knowledge.render import HANDOFF_INTENT

logger = logging.getLogger(__name__)

CHANNEL = "chatwoot"
MAX_BODY_BYTES = 64 * 1024
SECRET_QUERY = "secret"
SECRET_HEADER = "X-Chatwoot-Bot-Secret"
DEFAULT_TIMEOUT_SECONDS = 10.0
REMEMBER_SECONDS = 24 * 3600  # a menu; a message id already handled
PERSON_SECONDS = 30 * 24 * 3600  # handed to Chatwoot's agents: until Chatwoot says pending/resolved
ID = re.compile(r"[0-9]{1,18}")
PENDING, OPEN, RESOLVED = "pending", "open", "resolved"
STATUS_EVENTS = ("conversation_status_changed", "conversation_resolved", "conversation_opened")
EVENT_STATUS = {"conversation_resolved": RESOLVED, "conversation_opened": OPEN}


@dataclass(frozen=True)
class Settings:
    url: Optional[Text]
    token: Optional[Text]
    secret: Optional[Text]
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_environment(cls, environ: Optional[Dict[Text, Text]] = None) -> "Settings":
        env = os.environ if environ is None else environ
        return cls(
            url=(env.get("CHATWOOT_URL") or "").rstrip("/") or None,
            token=env.get("CHATWOOT_API_TOKEN") or None,
            secret=env.get("CHATWOOT_WEBHOOK_SECRET") or None,
            timeout=float(env.get("CHATWOOT_API_TIMEOUT") or DEFAULT_TIMEOUT_SECONDS),
        )

    @property
    def configured(self) -> bool:
        return bool(self.url and self.token and self.secret)


class Malformed(ValueError):
    """A payload the connector cannot read: answered 400 with this fixed reason."""


@dataclass(frozen=True)
class Event:
    """What one webhook asks of the connector: `kind` is "message" (a student's message for the
    bot or, on an open conversation, for the record), "status" or "ignored" (with `reason`)."""

    kind: Text
    account: Text = ""
    conversation: Text = ""
    status: Text = ""
    text: Text = ""
    message_id: Text = ""
    reason: Text = ""

    @property
    def sender(self) -> Text:
        return chatwoot_sender(self.account, self.conversation)


def _id(value: Any, what: Text) -> Text:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not ID.fullmatch(str(value)):
        raise Malformed(f"{what} missing or not a number")
    return str(value)


def _object(value: Any) -> Dict[Text, Any]:
    return value if isinstance(value, dict) else {}


def parse_event(payload: Any) -> Event:
    """The connector's reading of one Agent Bot webhook (the fields of the module docstring)."""
    if not isinstance(payload, dict):
        raise Malformed("the body must be a JSON object")
    event = payload.get("event")
    if event == "message_created":
        if payload.get("message_type") not in ("incoming", 0):
            return Event("ignored", reason="not an incoming message")
        if payload.get("private") is True:
            return Event("ignored", reason="a private note")
        sender_type = _object(payload.get("sender")).get("type")
        if sender_type not in (None, "contact"):
            return Event("ignored", reason="not from the contact")
        conversation = _object(payload.get("conversation"))
        account = _id(_object(payload.get("account")).get("id"), "account.id")
        conversation_id = _id(conversation.get("id"), "conversation.id")
        content = payload.get("content")
        if not isinstance(content, str) or not content.strip():
            return Event("ignored", reason="no text")
        message_id = payload.get("id")
        return Event(
            "message",
            account=account,
            conversation=conversation_id,
            status=str(conversation.get("status") or ""),
            text=content,
            message_id=str(message_id) if isinstance(message_id, (int, str)) else "",
        )
    if event in STATUS_EVENTS:
        account = payload.get("account_id") or _object(payload.get("account")).get("id")
        if account is None:
            messages = payload.get("messages")
            first = _object(messages[0]) if isinstance(messages, list) and messages else {}
            account = first.get("account_id")
        status = EVENT_STATUS.get(event) or str(payload.get("status") or "")
        return Event(
            "status",
            account=_id(account, "account_id"),
            conversation=_id(payload.get("id"), "id"),
            status=status,
        )
    return Event("ignored", reason="an event the connector does not use")


class ChatwootApi:
    """Chatwoot's application API, as the Agent Bot (aiohttp, a timeout on every call)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def _post(self, kind: Text, path: Text, body: Dict[Text, Any]) -> bool:
        import aiohttp

        url = f"{self.settings.url}/api/v1/{path}"
        headers = {"api_access_token": self.settings.token or "", "Content-Type": "application/json"}
        try:
            timeout = aiohttp.ClientTimeout(total=self.settings.timeout)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(url, data=json.dumps(body), headers=headers) as answer:
                    if answer.status < 300:
                        return True
                    logger.error("Chatwoot: %s failed (HTTP %s)", kind, answer.status)
        except asyncio.TimeoutError:
            logger.error("Chatwoot: %s took longer than %g s", kind, self.settings.timeout)
        except aiohttp.ClientError as error:
            logger.error("Chatwoot: %s failed (%s)", kind, type(error).__name__)
        return False

    async def send(self, account: Text, conversation: Text, text: Text) -> bool:
        path = f"accounts/{account}/conversations/{conversation}/messages"
        body = {"content": text, "message_type": "outgoing", "private": False}
        return await self._post("sending a message", path, body)

    async def set_status(self, account: Text, conversation: Text, status: Text) -> bool:
        path = f"accounts/{account}/conversations/{conversation}/toggle_status"
        return await self._post(f"setting a conversation {status}", path, {"status": status})


class ChatwootInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(Settings.from_environment())

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.api = ChatwootApi(settings)
        self.state = shared_state()
        self.gate = MessageGate()
        self.tasks: Set["asyncio.Task"] = set()  # answers being worked on (kept from the GC)

    @property
    def texts(self) -> Dict[Text, Any]:
        return load_knowledge().presentation

    # ---- HTTP ----
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("chatwoot_webhook", __name__)
        webhook.listener("before_server_start")(lambda app, _: desk().attach_app(app))

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": self.settings.configured})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.settings.configured:
                return response.json({"error": "Chatwoot connector not configured"}, status=503)
            if not self._signed(request):
                return response.json({"error": "wrong or missing secret"}, status=401)
            body = request.body or b""
            if len(body) > MAX_BODY_BYTES:
                return response.json({"error": "request too large"}, status=413)
            try:
                event = parse_event(json.loads(body))
            except Malformed as problem:
                return response.json({"error": str(problem)}, status=400)
            except (ValueError, RecursionError):
                return response.json({"error": "the body is not JSON"}, status=400)
            if event.kind == "ignored":
                return response.json({"status": "ignored", "reason": event.reason})
            if event.message_id and event.kind == "message":
                key = f"chatwoot:seen:{event.account}:{event.message_id}"
                if not await self.state.claim(key, REMEMBER_SECONDS):
                    return response.json({"status": "ignored", "reason": "already handled"})
            task = asyncio.ensure_future(self._handle(event, on_new_message))
            self.tasks.add(task)
            task.add_done_callback(self._done)
            return response.json({"status": "accepted"})

        return webhook

    def _signed(self, request: Request) -> bool:
        expected = (self.settings.secret or "").encode("utf-8")
        offered = request.headers.get(SECRET_HEADER) or request.args.get(SECRET_QUERY) or ""
        return bool(expected) and hmac.compare_digest(offered.encode("utf-8"), expected)

    def _done(self, task: "asyncio.Task") -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The type only: an exception's text may quote the message.
            logger.error("Chatwoot: handling an event failed (%s)", type(task.exception()).__name__)

    # ---- events ----
    async def _handle(self, event: Event, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        if event.kind == "status":
            await self._status_changed(event)
        elif event.status == PENDING:
            await self._bots_turn(event, on_new_message)
        else:  # a person has it (open), or snoozed: kept for them, not answered
            verdict = await self.gate.admit(CHANNEL, event.sender, event.text.strip())
            if not verdict.notice:
                student_event = desk().student_event(event.sender, verdict.message, {}, input_channel=CHANNEL)
                await desk().record(event.sender, [student_event])

    async def _status_changed(self, event: Event) -> None:
        if event.status not in (PENDING, RESOLVED):
            return  # open: the connector's own handoff, or an agent took it
        if not await self.state.pop(f"chatwoot:person:{event.sender}"):
            return
        if event.status == PENDING:
            await self._say(event, self.texts["handoff"]["handed_back"])

    async def _bots_turn(self, event: Event, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        sender = event.sender
        await self.state.pop(f"chatwoot:person:{sender}")  # pending: the bot's, whatever came before
        verdict = await self.gate.admit(CHANNEL, sender, event.text.strip())
        if verdict.notice:
            await self.api.send(event.account, event.conversation, verdict.notice)
            return
        text = verdict.message
        menu = await self.state.get(f"chatwoot:menu:{sender}") or []
        text = menu_choice(text, menu)  # "1" chooses the first button of the last answer
        if parse_command(text) == ACCEPT:
            await self._hand_over(event, text)
            return
        collector = CollectingOutputChannel()
        await on_new_message(
            UserMessage(
                text,
                collector,
                sender_id=sender,
                input_channel=CHANNEL,
                metadata=with_role(None, staff=False),  # no staff features from Chatwoot
            )
        )
        parts, payloads = self._render(collector.messages)
        await self.state.put(f"chatwoot:menu:{sender}", payloads, REMEMBER_SECONDS)
        for part in parts:
            if not await self.api.send(event.account, event.conversation, part):
                return  # logged; the student's message and the answer are in the tracker

    def _render(self, messages: List[Dict[Text, Any]]) -> Tuple[List[Text], List[Text]]:
        """One Chatwoot message per bot message: its text, then its buttons numbered across the
        whole answer; and the buttons' payloads in that order."""
        parts: List[Text] = []
        payloads: List[Text] = []
        for message in messages:
            lines = [message["text"]] if message.get("text") else []
            for button in message.get("buttons") or []:
                payloads.append(button["payload"])
                item = self.texts["chatwoot"]["menu_item"]
                lines.append(item.format(number=len(payloads), title=button["title"]))
            if lines:
                parts.append("\n".join(lines))
        return parts, payloads

    async def _hand_over(self, event: Event, text: Text) -> None:
        """The student accepted the offer of a person: Chatwoot's agents take the conversation."""
        sender = event.sender
        intent = {"name": HANDOFF_INTENT, "confidence": 1.0}
        await desk().record(sender, [desk().student_event(sender, text, {}, intent, input_channel=CHANNEL)])
        await self.state.put(f"chatwoot:menu:{sender}", [], REMEMBER_SECONDS)
        if await self.api.set_status(event.account, event.conversation, OPEN):
            await self.state.put(f"chatwoot:person:{sender}", True, PERSON_SECONDS)
            await self._say(event, self.texts["chatwoot"]["transferred"])
        else:
            await self._say(event, self.texts["handoff"]["elsewhere"])

    async def _say(self, event: Event, text: Text) -> None:
        from rasa.shared.core.events import BotUttered

        await desk().record(event.sender, [BotUttered(text, metadata={})])
        await self.api.send(event.account, event.conversation, text)
