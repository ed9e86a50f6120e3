"""WeChat Official Account (公众号) input channel, on wechatpy, at /webhooks/wechat/webhook.

Configuration comes from the environment: WECHAT_TOKEN (required; without it every request gets
503), WECHAT_APPID, WECHAT_ENCODING_AES_KEY (safe mode), WECHAT_APPSECRET (customer-service
messages: the rest of a long answer, and answers that took longer than WeChat waits),
WECHAT_REPLY_SECONDS (how long a passive reply may take, default 4.5; WeChat waits 5 s),
WECHAT_REPLY_MAX_BYTES (longer answers are split at line breaks, default 1800; WeChat shows 2048),
STAFF_OPENIDS (comma-separated OpenIDs of helpdesk staff: their messages carry the staff mark,
channels/staff.py, which the staff tools such as the training rehearsal require).

Order of work for a POST: the query signature is checked before the body is read as XML; bodies
that are too large or declare a DOCTYPE/ENTITY are refused; safe-mode bodies are decrypted (which
checks msg_signature); then each message is handled once (de-duplicated by MsgId, events by
FromUserName + CreateTime), and a retry gets the same reply, also from another replica (what the
channel remembers lives in channels/shared_state.py: Redis when REDIS_HOST is set). Nothing a user
wrote is logged. A request the channel cannot read gets a fixed reason, never Python's error text.

Replies are built here, not by wechatpy's TextReply, whose CDATA sections do not escape "]]>": text a
user controls (a trainee's name, a platform's name) could otherwise close the Content and add
elements (MsgType news, Articles) to the reply. Every text goes through `cdata()`, which splits
"]]>" across two sections; safe-mode replies encrypt the same XML. Only ASCII digits choose from a
number menu ("²" and "①" are digits to Python, not to int()).

An answer's 有帮助 / 没帮助 buttons get no menu number: the answer ends with one line asking for the
reply "有用" or "没用", which sends that button's payload (the feedback for that answer's topic) when it
is the user's next message.

Handoff to a person (HELPDESK_WECHAT_HANDOFF, staff/desk.py): the offer's buttons are a numbered
menu like any other; the reply that accepts it (`/request_human{"handoff": "accept"}`) is taken
here, not by the bot. "kf": the passive reply is <MsgType>transfer_customer_service</MsgType>, which
hands the student to the Official Account's own customer-service system; until WeChat posts the
event kf_close_session for that OpenID (or nothing was said for HELPDESK_HANDOFF_IDLE_MINUTES), every
message of the student is kept in the tracker and answered with the same transfer, never by the
bot. "queue": the conversation joins the staff console's queue (channels/handoff.py), the desk's
words are the passive reply, and staff replies are sent as customer-service messages.
"""

import asyncio
import logging
import os
import re
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, FrozenSet, List, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from channels.handoff import ACCEPT, desk
from channels.limits import MessageGate
from channels.payloads import menu_choice, parse_command
from channels.senders import wechat_sender
from channels.shared_state import shared_state, wait_for
from channels.staff import staff_openids, with_role
from knowledge.loader import load_knowledge
from knowledge.render import FEEDBACK_HELPFUL, FEEDBACK_INTENT
from staff.desk import WECHAT_KF, WECHAT_QUEUE, wechat_handoff_mode

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
# WeChat shows at most 2048 bytes of a text reply; leave room for the "more" hint.
DEFAULT_REPLY_MAX_BYTES = 1800
REMEMBERED_MESSAGES = 10_000  # replies being computed in this process
TAKEN_SECONDS = 60  # WeChat retries a message 3 times within 15 s
REMEMBER_SECONDS = 24 * 3600  # a menu, the rest of an answer, a late answer
HOSTILE_XML = (b"<!DOCTYPE", b"<!ENTITY")
SUBSCRIBE_EVENTS = ("subscribe", "subscribe_scan")
# Characters XML 1.0 cannot carry at all, even in CDATA.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# The feedback buttons of an answer become the replies "有用" / "没用" (presentation.yml: wechat), which
# may end with punctuation or a space ("没用。").
FEEDBACK_REPLIES = {"yes": "feedback_helpful", "no": "feedback_unhelpful"}
FEEDBACK_TRAILER = re.compile(r"[\s。！!.，,~～]+$")
# What a safe-mode reply's envelope may repeat of the request's (signed) nonce and timestamp.
PLAIN_NONCE = re.compile(r"[0-9A-Za-z]{1,64}")
PLAIN_TIMESTAMP = re.compile(r"[0-9]{1,12}")
# The reply "transfer to WeChat's customer-service system" among a reply's parts (never a text: a
# text cannot hold NUL, NOT_XML drops it).
TRANSFER = "\x00transfer_customer_service"
KF_CLOSE_EVENT = "kf_close_session"


@dataclass
class Settings:
    token: Optional[Text]
    appid: Text
    aes_key: Optional[Text]
    appsecret: Optional[Text]
    reply_seconds: float
    reply_max_bytes: int
    api_base_url: Optional[Text]
    staff_openids: FrozenSet[Text] = frozenset()
    handoff: Text = "off"  # kf, queue or off (staff/desk.py)

    @classmethod
    def from_environment(cls) -> "Settings":
        env = os.environ
        return cls(
            token=env.get("WECHAT_TOKEN") or None,
            appid=env.get("WECHAT_APPID", ""),
            aes_key=env.get("WECHAT_ENCODING_AES_KEY") or None,
            appsecret=env.get("WECHAT_APPSECRET") or None,
            reply_seconds=float(env.get("WECHAT_REPLY_SECONDS", "4.5")),
            reply_max_bytes=int(env.get("WECHAT_REPLY_MAX_BYTES", DEFAULT_REPLY_MAX_BYTES)),
            # Only for tests against a local stand-in of WeChat's API.
            api_base_url=env.get("WECHAT_API_BASE_URL") or None,
            staff_openids=staff_openids(env),
            handoff=wechat_handoff_mode(env),
        )


def cdata(text: Text) -> Text:
    """`text` as a CDATA section that ends where it should: a "]]>" inside is split across two
    sections ("]]]]><![CDATA[>"), characters XML cannot carry are dropped."""
    text = NOT_XML.sub("", str(text))
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply_xml(to_user: Text, from_user: Text, content: Text) -> Text:
    """A passive text reply: exactly ToUserName, FromUserName, CreateTime, MsgType and Content."""
    return (
        "<xml>"
        f"<ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType>{cdata('text')}</MsgType>"
        f"<Content>{cdata(content)}</Content>"
        "</xml>"
    )


def transfer_reply_xml(to_user: Text, from_user: Text) -> Text:
    """The passive reply that hands the user to the Official Account's customer-service system."""
    return (
        "<xml>"
        f"<ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType>{cdata('transfer_customer_service')}</MsgType>"
        "</xml>"
    )


def split_for_wechat(text: Text, limit: int = DEFAULT_REPLY_MAX_BYTES) -> List[Text]:
    """Parts of at most `limit` UTF-8 bytes, cut at line breaks (or, inside a long line, after 。)."""
    pieces: List[Text] = []
    for line in text.split("\n"):
        while len(line.encode("utf-8")) > limit:
            cut = _cut_point(line, limit)
            pieces.append(line[:cut])
            line = line[cut:]
        pieces.append(line)
    parts, current = [], ""
    for piece in pieces:
        candidate = f"{current}\n{piece}" if current else piece
        if current and len(candidate.encode("utf-8")) > limit:
            parts.append(current)
            candidate = piece
        current = candidate
    if current:
        parts.append(current)
    return parts


def _cut_point(line: Text, limit: int) -> int:
    fits = len(line.encode("utf-8")[:limit].decode("utf-8", errors="ignore"))
    sentence_end = line.rfind("。", 0, fits)
    return sentence_end + 1 if sentence_end > 0 else fits


def customer_service_client(settings: Settings) -> Any:
    """wechatpy's client for the customer-service API; at WECHAT_API_BASE_URL when that is set (a
    proxy, or a stand-in of WeChat's API in tests), access token included."""
    from wechatpy import WeChatClient

    if not settings.api_base_url:
        return WeChatClient(settings.appid, settings.appsecret)

    class ClientAtBaseUrl(WeChatClient):
        API_BASE_URL = settings.api_base_url

        def fetch_access_token(self) -> Dict[Text, Any]:
            return self._fetch_access_token(
                url=f"{self.API_BASE_URL}token",
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            )

    return ClientAtBaseUrl(settings.appid, settings.appsecret)


class WeChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(Settings.from_environment())

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.texts = load_knowledge().presentation["wechat"]
        self.crypto = (
            WeChatCrypto(settings.token, settings.aes_key, settings.appid)
            if settings.token and settings.aes_key
            else None
        )
        # Menus, unsent parts, late answers and taken messages, shared by the replicas (Redis).
        self.state = shared_state()
        self.gate = MessageGate()  # message length and rate limit, as on every channel
        # Message key -> the task computing its reply text, so that a retry gets the same reply.
        self.replies: "OrderedDict[Text, asyncio.Task]" = OrderedDict()
        self._client: Any = None
        if settings.handoff == WECHAT_QUEUE:
            desk().attach_wechat(self._send_from_desk)

    # ---- HTTP ----
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("wechat_webhook", __name__)
        # The handoff writes into trackers through the agent (also without the staff console).
        webhook.listener("before_server_start")(lambda app, _: desk().attach_app(app))

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": bool(self.settings.token)})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            refused = self._refuse_unsigned(request)
            if refused:
                return refused
            return response.text(request.args.get("echostr", ""))

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = self._refuse_unsigned(request)
            if refused:
                return refused
            body = request.body or b""
            if len(body) > MAX_BODY_BYTES:
                return response.text("request too large", status=413)
            if any(marker in body for marker in HOSTILE_XML):
                return response.text("DOCTYPE and ENTITY declarations are not accepted", status=400)
            encrypted = request.args.get("encrypt_type") == "aes"
            if encrypted and self.crypto is None:
                return response.text("safe mode not configured", status=400)
            try:
                xml = self._decrypt(request, body) if encrypted else body.decode("utf-8")
                message = parse_message(xml)
            except (InvalidSignatureException, InvalidAppIdException):
                return response.text("invalid msg_signature", status=403)
            except Exception:  # not UTF-8, base64 or XML, missing fields: the sender's fault,
                # answered with a fixed reason (never the exception's text), not a crash
                return response.text("malformed message", status=400)
            if message is None:
                return response.text("empty message", status=400)
            text = await self._reply_text(message, on_new_message)
            if not text:
                return response.text("success")
            if text == TRANSFER:
                reply = transfer_reply_xml(message.source, message.target)
            else:
                reply = text_reply_xml(message.source, message.target, text)
            if encrypted:
                reply = self.crypto.encrypt_message(reply, *self._envelope_nonce(request))
            return response.text(reply, content_type="application/xml")

        return webhook

    def _refuse_unsigned(self, request: Request) -> Optional[HTTPResponse]:
        if not self.settings.token:
            return response.text("WeChat channel not configured (WECHAT_TOKEN)", status=503)
        args = request.args
        try:
            check_signature(
                self.settings.token,
                args.get("signature", ""),
                args.get("timestamp", ""),
                args.get("nonce", ""),
            )
        except InvalidSignatureException:
            return response.text("invalid signature", status=403)
        return None

    @staticmethod
    def _envelope_nonce(request: Request) -> Tuple[Text, Text]:
        """The nonce and timestamp of a safe-mode reply: the request's, when they are plain."""
        nonce, timestamp = request.args.get("nonce", ""), request.args.get("timestamp", "")
        if not PLAIN_NONCE.fullmatch(nonce):
            nonce = secrets.token_hex(8)
        if not PLAIN_TIMESTAMP.fullmatch(timestamp):
            timestamp = str(int(time.time()))
        return nonce, timestamp

    def _decrypt(self, request: Request, body: bytes) -> Text:
        if self.crypto is None:
            raise ValueError("safe mode needs WECHAT_ENCODING_AES_KEY")
        args = request.args
        return self.crypto.decrypt_message(
            body, args.get("msg_signature", ""), args.get("timestamp", ""), args.get("nonce", "")
        )

    # ---- one message, once ----
    async def _reply_text(
        self, message: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Optional[Text]:
        key = self._message_key(message)
        task = self.replies.get(key)
        first_time = task is None and await self.state.claim(f"wechat:taken:{key}", TAKEN_SECONDS)
        if task is None:
            # Either this replica answers it, or a retry of a message another replica is answering
            # waits for that replica's reply.
            task = asyncio.ensure_future(
                self._answer(key, message, on_new_message)
                if first_time
                else wait_for(self.state, f"wechat:reply:{key}", TAKEN_SECONDS)
            )
            self.replies[key] = task
            while len(self.replies) > REMEMBERED_MESSAGES:
                self.replies.popitem(last=False)
        try:
            parts = await asyncio.wait_for(asyncio.shield(task), self.settings.reply_seconds)
        except asyncio.TimeoutError:
            if first_time:
                task.add_done_callback(
                    lambda done: asyncio.ensure_future(self._deliver_late(message.source, done))
                )
            return None  # "success": WeChat stops waiting; the answer follows later
        return await self._passive_part(message.source, parts or [], send_rest=first_time)

    @staticmethod
    def _message_key(message: Any) -> Text:
        if message.type == "event" or not message.id:
            return f"{message.source}:{message.create_time}"
        return f"msg:{message.id}"

    async def _answer(
        self, key: Text, message: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> List[Text]:
        """The reply to one message, split into parts WeChat can show; an answer that came too
        late for an earlier message (and could not be sent) comes first. Kept for the retries."""
        answer = await self._answer_message(message, on_new_message)
        if answer == [TRANSFER]:
            parts = answer  # a late answer waits for the bot's next reply
        else:
            parts = (await self.state.pop(f"wechat:late:{message.source}") or []) + answer
        await self.state.put(f"wechat:reply:{key}", parts, TAKEN_SECONDS)
        return parts

    async def _answer_message(
        self, message: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> List[Text]:
        user = message.source
        if message.type == "event" and message.event == KF_CLOSE_EVENT:
            return await self._kf_closed(user)
        if self.settings.handoff == WECHAT_KF and await self.state.get(f"wechat:kf:{user}"):
            return await self._kf_keep(user, message)
        if message.type == "event":
            if message.event not in SUBSCRIBE_EVENTS:
                return []  # unsubscribe, menu clicks, location reports: nothing to say
            return await self._ask_bot(user, self.texts["subscribe_message"], on_new_message)
        text = message.content if message.type == "text" else None
        if message.type == "voice":
            text = message.recognition  # WeChat's speech recognition, when switched on
        if not text or not text.strip():
            return [self.texts["unsupported_message"]]
        verdict = await self.gate.admit("wechat", user, text.strip())
        if verdict.notice:
            return [verdict.notice]
        text = verdict.message
        sender = wechat_sender(user)
        said: List[Text] = []  # what the desk says (queue): the passive reply, before the bot's
        if self.settings.handoff == WECHAT_QUEUE and await desk().handle_student(sender, text, {}, said):
            return said  # with a person: the desk answered (its place) or nobody does (staff have it)
        if text == self.texts["more_keyword"]:
            rest = await self.state.pop(f"wechat:rest:{user}")
            if rest:
                return said + rest
        # "有用" / "没用" after an answer: its 有帮助 / 没帮助 button, recorded for its topic.
        feedback = await self.state.get(f"wechat:feedback:{user}") or {}
        reply = FEEDBACK_TRAILER.sub("", text.strip())
        if reply in feedback:
            await self.state.put(f"wechat:feedback:{user}", {}, REMEMBER_SECONDS)
            return said + await self._ask_bot(user, feedback[reply], on_new_message)
        menu = await self.state.get(f"wechat:menu:{user}") or []
        text = menu_choice(text, menu)  # "1" chooses the first button of the last answer
        if parse_command(text) == ACCEPT and self.settings.handoff == WECHAT_QUEUE:
            await desk().accept(sender, text, {}, said)
            return said
        if parse_command(text) == ACCEPT and self.settings.handoff == WECHAT_KF:
            return await self._kf_transfer(user, text)
        return said + await self._ask_bot(user, text, on_new_message)

    # ---- handoff to WeChat's customer-service system (kf) ----
    async def _kf_transfer(self, user: Text, text: Text) -> List[Text]:
        from knowledge.render import HANDOFF_INTENT

        sender = wechat_sender(user)
        intent = {"name": HANDOFF_INTENT, "confidence": 1.0}
        await desk().record(sender, [desk().student_event(sender, text, {}, intent)])
        await self.state.put(f"wechat:kf:{user}", True, desk().idle_seconds)
        await self.state.put(f"wechat:menu:{user}", [], REMEMBER_SECONDS)
        return [TRANSFER]

    async def _kf_keep(self, user: Text, message: Any) -> List[Text]:
        """A message while WeChat's customer service has the user: kept, handed on, not answered."""
        text = message.content if message.type == "text" else None
        if message.type == "voice":
            text = message.recognition
        await self.state.put(f"wechat:kf:{user}", True, desk().idle_seconds)  # still in the session
        if message.type == "event":
            return []
        if text and text.strip():
            verdict = await self.gate.admit("wechat", user, text.strip())
            if not verdict.notice:
                sender = wechat_sender(user)
                await desk().record(sender, [desk().student_event(sender, verdict.message, {})])
        return [TRANSFER]

    async def _kf_closed(self, user: Text) -> List[Text]:
        """WeChat's customer service ended the session: the bot answers again, and says so."""
        from rasa.shared.core.events import BotUttered

        if not await self.state.pop(f"wechat:kf:{user}"):
            return []
        said = desk().texts["kf_closed"]
        await desk().record(wechat_sender(user), [BotUttered(said, metadata={})])
        return [said]

    # ---- the staff console's replies (queue) ----
    async def _send_from_desk(self, user: Text, text: Text, label: Optional[Text]) -> None:
        if label:
            text = self.texts["staff_reply"].format(label=label, text=text)
        if self._customer_service() is None:
            logger.error("WeChat: staff replies need WECHAT_APPID and WECHAT_APPSECRET; one was not sent")
            return
        await self._send_service_messages(user, split_for_wechat(text, self.settings.reply_max_bytes))

    async def _ask_bot(
        self, user: Text, text: Text, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> List[Text]:
        collector = CollectingOutputChannel()
        # The OpenID is WeChat's (the request is signed): staff are those on STAFF_OPENIDS.
        metadata = with_role(None, staff=user in self.settings.staff_openids)
        await on_new_message(
            UserMessage(
                text, collector, sender_id=wechat_sender(user), input_channel=self.name(), metadata=metadata
            )
        )
        lines: List[Text] = []
        payloads: List[Text] = []
        feedback: Dict[Text, Text] = {}
        for bot_message in collector.messages:
            if bot_message.get("text"):
                lines.append(bot_message["text"])
            for button in bot_message.get("buttons") or []:
                command = parse_command(button["payload"])
                helpful = dict(command[1]).get(FEEDBACK_HELPFUL) if command else None
                if command and command[0] == FEEDBACK_INTENT and helpful in FEEDBACK_REPLIES:
                    # No menu item: the answer ends with "有用请回复“有用”…" instead.
                    feedback[self.texts[FEEDBACK_REPLIES[helpful]]] = button["payload"]
                    continue
                payloads.append(button["payload"])
                lines.append(self.texts["menu_item"].format(number=len(payloads), title=button["title"]))
        if feedback:
            lines.append(self.texts["feedback_hint"])
        await self.state.put(f"wechat:menu:{user}", payloads, REMEMBER_SECONDS)
        await self.state.put(f"wechat:feedback:{user}", feedback, REMEMBER_SECONDS)
        return split_for_wechat("\n".join(lines), self.settings.reply_max_bytes) if lines else []

    # ---- delivery ----
    async def _passive_part(self, user: Text, parts: List[Text], send_rest: bool) -> Optional[Text]:
        """The first part goes in the passive reply; the rest by customer-service messages when
        configured, otherwise when the user replies with the "more" keyword."""
        if not parts:
            return None
        first, rest = parts[0], parts[1:]
        if not rest:
            return first
        if self._customer_service() is not None:
            if send_rest:  # not again for a retry of the same message
                asyncio.ensure_future(self._send_service_messages(user, rest))
            return first
        await self.state.put(f"wechat:rest:{user}", rest, REMEMBER_SECONDS)
        return f"{first}\n{self.texts['more_hint']}"

    async def _deliver_late(self, user: Text, done: "asyncio.Future") -> None:
        if done.cancelled() or done.exception() is not None:
            logger.error("WeChat: answering a message failed", exc_info=done.exception())
            return
        parts = [part for part in done.result() or [] if part != TRANSFER]
        if not parts:
            return
        if self._customer_service() is None:
            # Without the customer-service API the answer goes with the user's next reply.
            late = [f"{self.texts['late_answer']}\n{parts[0]}"] + parts[1:]
            await self.state.put(f"wechat:late:{user}", late, REMEMBER_SECONDS)
            return
        asyncio.ensure_future(self._send_service_messages(user, parts))

    def _customer_service(self) -> Any:
        if not (self.settings.appid and self.settings.appsecret):
            return None
        if self._client is None:
            self._client = customer_service_client(self.settings)
        return self._client

    async def _send_service_messages(self, user: Text, parts: List[Text]) -> None:
        client = self._customer_service()
        for part in parts:
            try:  # wechatpy's client is synchronous: keep it off the event loop
                await asyncio.to_thread(client.message.send_text, user, part)
            except Exception:
                logger.exception("WeChat: a customer-service message could not be sent")
                return
