"""Rasa's socket.io channel, but only web pages from the configured origins may connect.

Rasa 3.6's own `socketio` channel creates its python-socketio server with
`cors_allowed_origins=[]`, which turns the origin check off completely: a page on any web site
can open a WebSocket to the bot (browsers apply CORS to HTTP requests, not to WebSockets), and
`rasa run --cors` does not change that. This channel is the same channel with the check on:
python-engineio answers a connection from any other origin with "400 Bad Request", for the
long-polling and the WebSocket transport alike.

Configuration (credentials.yml):

    channels.socketio.SocketIOInput:
      session_persistence: true
      allowed_origins: ["http://localhost:8000", "http://127.0.0.1:8000"]

The environment variable HELPDESK_ALLOWED_ORIGINS, when set, replaces `allowed_origins`
(origins separated by commas or spaces, e.g. "https://helpdesk.example.edu.cn"). An origin is
scheme://host[:port] exactly as the browser sends it, without a path or a trailing slash.
"*" is refused: the bot answers only the pages the school put it on.

It also repairs session persistence: Rasa 3.6 calls `AsyncServer.enter_room()` without `await`,
but in the python-socketio it installs (5.x, 5.18 here) that is a coroutine, so the browser never
joined its session's room and no answer reached it ("coroutine 'AsyncServer.enter_room' was never
awaited" in Rasa's log).

Sessions belong to the browser they were given to. Rasa's channel takes any session id a client
names, so a client that knew (or guessed) another student's id received their answers live and
could send in their conversation. Here the server issues the ids, signed with HMAC-SHA256
(`SessionIds`): a client can resume only an id it was given; anything else gets a new session. A
socket is in exactly one session's room, its messages always go to that session (the id in a
`user_uttered` event is not trusted), and the conversation is stored as "web:<id>"
(channels/senders.py), out of reach of REST senders. The key comes from HELPDESK_SESSION_SECRET
or, when that is not set, from var/widget-session.key (made on first start, readable by the owner
only; replicas on one machine share it, replicas on several need the variable).

Staff are recognised here and nowhere else on the web (channels/staff.py): a socket that connects
with socket.io `auth` {"staff_token": …} equal to HELPDESK_STAFF_TOKEN is a staff socket (kept in
the socket's server-side session, not in anything the client sends later); one offering any other
token is refused. Every message's metadata gets the channel's word on the role: a client's own
"staff" key is dropped, and `"staff": true` is set for a staff socket's messages only. A message
is acknowledged (socket.io ack) once the bot has answered it, so a client that asks for the ack
(`make rehearse`) knows when an answer is complete.

A student whose conversation is with a person (they tapped 转人工: channels/handoff.py) is not
answered by the bot: the desk keeps their messages for staff, whose replies reach this socket's
room from the staff console (channels/console.py).

Replicas: with REDIS_HOST set (REDIS_PORT), the socket.io server's client manager is
python-socketio's AsyncRedisManager (Redis pub/sub channel "helpdesk:socketio"): an emit to a
session's room from any replica (a staff reply sent from the console on another replica) reaches
the socket wherever it is connected. The messages pass through Redis's pub/sub and are not stored
there. Without REDIS_HOST the manager is the default one of this process.

Events are bounded like REST requests: python-engineio refuses packets over
HELPDESK_MAX_BODY_BYTES (16 KiB, for long-polling and WebSocket alike; its default is 1 MB), and
a message's `metadata` that is not a small JSON object is dropped (channels/limits.py), the
message itself still answered.
"""

import asyncio
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text
from urllib.parse import urlsplit

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from sanic import Blueprint
from socketio.exceptions import ConnectionRefusedError as SocketRefused

from channels.handoff import desk
from channels.limits import MessageGate, metadata_problem
from channels.senders import widget_sender
from channels.shared_state import redis_address
from channels.staff import AUTH_KEY, StaffToken, TokenGuard, client_address, with_role

ALLOWED_ORIGINS_ENV = "HELPDESK_ALLOWED_ORIGINS"
DEFAULT_ALLOWED_ORIGINS = ("http://localhost:8000", "http://127.0.0.1:8000")
SESSION_SECRET_ENV = "HELPDESK_SESSION_SECRET"
SESSION_SECRET_FILE = Path("var") / "widget-session.key"
# The Redis pub/sub channel on which the replicas pass socket.io emits to each other.
SOCKETIO_REDIS_CHANNEL = "helpdesk:socketio"
# How long a message may wait for its socket's session_request to be handled: 5 s.
SESSION_WAIT_STEPS, SESSION_WAIT_STEP_SECONDS = 100, 0.05


def parse_origins(value: Any) -> List[Text]:
    """A list of origins from a YAML list or a string of origins separated by commas or spaces."""
    if value is None:
        return []
    items: Iterable[Any] = value.replace(",", " ").split() if isinstance(value, str) else value
    origins = []
    for item in items:
        origin = str(item).strip()
        if not origin:
            continue
        if origin == "*":
            raise ValueError(
                "The socket.io channel does not accept the origin '*': list the sites the widget "
                f"is on in `allowed_origins` (credentials.yml) or in {ALLOWED_ORIGINS_ENV}."
            )
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
            raise ValueError(
                f"'{origin}' is not an origin: write scheme://host[:port], "
                "e.g. https://helpdesk.example.edu.cn or http://localhost:8000"
            )
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def allowed_origins(configured: Any, environ: Optional[Dict[Text, Text]] = None) -> List[Text]:
    """The environment variable if set (and not empty), else the configured list, else the default."""
    environ = os.environ if environ is None else environ
    from_env = parse_origins(environ.get(ALLOWED_ORIGINS_ENV))
    if from_env:
        return from_env
    return parse_origins(configured) or list(DEFAULT_ALLOWED_ORIGINS)


def session_secret(environ: Optional[Dict[Text, Text]] = None, key_file: Path = SESSION_SECRET_FILE) -> bytes:
    """The key that signs widget session ids: the environment variable, else the key file (made
    once, atomically, so that replicas started together agree on it)."""
    environ = os.environ if environ is None else environ
    if environ.get(SESSION_SECRET_ENV):
        return environ[SESSION_SECRET_ENV].encode("utf-8")
    key_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_bytes().strip()
    with os.fdopen(descriptor, "w") as new_file:
        new_file.write(secrets.token_hex(32))
    return key_file.read_bytes().strip()


class SessionIds:
    """Widget session ids "<random id>.<signature>": issued here, resumed only when signed here."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def _signature(self, session: Text) -> Text:
        return hmac.new(self.secret, session.encode("ascii"), hashlib.sha256).hexdigest()[:32]

    def issue(self) -> Text:
        session = secrets.token_hex(16)
        return f"{session}.{self._signature(session)}"

    def verified(self, token: Any) -> Optional[Text]:
        """The session a token names when it was signed here, else None."""
        if not isinstance(token, str) or len(token) > 100 or token.count(".") != 1:
            return None
        session, signature = token.split(".")
        if not session.isascii() or not session.isalnum():
            return None
        return session if hmac.compare_digest(signature, self._signature(session)) else None


def client_manager(environ: Optional[Dict[Text, Text]] = None) -> Any:
    """python-socketio's Redis client manager when REDIS_HOST is set (replicas share the rooms'
    emits), else None (the server's own in-process manager)."""
    address = redis_address(environ)
    if address is None:
        return None
    from socketio import AsyncRedisManager  # python-socketio, with redis-py's asyncio client

    host, port = address
    return AsyncRedisManager(f"redis://{host}:{port}/0", channel=SOCKETIO_REDIS_CHANNEL)


def usable_metadata(metadata: Any, max_bytes: int) -> Dict[Text, Any]:
    """A message's metadata as Rasa may store it, or {} when it is not a small JSON object."""
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except (ValueError, RecursionError):
            return {}
    return {} if metadata is None or metadata_problem(metadata, max_bytes) else metadata


class SocketIOInput(RasaSocketIOInput):
    """Rasa's socket.io channel (same name, events and options) plus `allowed_origins`."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        channel = super().from_credentials(credentials)
        channel.allowed_origins = allowed_origins(credentials.get("allowed_origins"))
        return channel

    def __init__(self, *args: Any, allowed_origins: Optional[List[Text]] = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.allowed_origins = list(allowed_origins or DEFAULT_ALLOWED_ORIGINS)
        self.gate = MessageGate()
        self.session_ids = SessionIds(session_secret())
        self.staff_token = TokenGuard(StaffToken.from_environment())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        socketio_webhook = super().blueprint(on_new_message)
        sio = self.sio
        # Rasa made the server with the default manager and nothing has connected yet: with Redis,
        # the replicas' manager instead, listening from the start (not from this replica's first
        # connection), so that an emit from another replica reaches the sockets connected here.
        manager = client_manager()
        if manager is not None:
            sio.manager = manager
            manager.set_server(sio)

            def listen(app: Any, _: Any) -> None:
                if not sio.manager_initialized:
                    sio.manager_initialized = True
                    manager.initialize()

            socketio_webhook.listener("before_server_start")(listen)
        # Rasa passed [] ("no origin check"); python-engineio reads this on every request.
        sio.eio.cors_allowed_origins = list(self.allowed_origins)

        # Packets over the REST body limit are refused by python-engineio itself (default 1 MB).
        sio.eio.max_http_buffer_size = self.gate.limits.max_body_bytes
        namespace = self.namespace or "/"
        # The handoff desk sends staff replies to the students' rooms and writes into their trackers.
        desk().attach_socket(sio, self.namespace, self.bot_message_evt)
        socketio_webhook.listener("before_server_start")(lambda app, _: desk().attach_app(app))
        rasa_handle_message = sio.handlers[namespace][self.user_message_evt]
        rasa_connect = sio.handlers[namespace]["connect"]

        async def sender_of(sid: Text) -> Optional[Text]:
            """The conversation this socket was given, waiting a moment for it: python-socketio
            handles events concurrently, so a message sent right after session_request may be
            handled before it."""
            if not self.session_persistence:
                return sid
            for _ in range(SESSION_WAIT_STEPS):
                if not sio.manager.is_connected(sid, namespace):
                    return None
                sender = (await sio.get_session(sid, namespace=namespace)).get("sender")
                if sender:
                    return sender
                await asyncio.sleep(SESSION_WAIT_STEP_SECONDS)
            return None

        # Replaces Rasa's handler (which it still calls: JWT when configured): a socket offering
        # the staff token is marked as staff in its server-side session; a wrong one is refused, and
        # so is every one from an address that offered too many wrong ones (channels/staff.py).
        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Any = None) -> bool:
            if not await rasa_connect(sid, environ, auth):
                return False
            offered = auth.get(AUTH_KEY) if isinstance(auth, dict) else None
            if offered is None:
                return True
            refusal = await self.staff_token.refusal(offered, client_address(environ))
            if refusal:
                raise SocketRefused(refusal)
            await sio.save_session(sid, {"staff": True}, namespace=namespace)
            return True

        async def is_staff_socket(sid: Text) -> bool:
            return (await sio.get_session(sid, namespace=namespace)).get("staff") is True

        # Replaces Rasa's handler: the checks of every channel first (channels/limits.py); a
        # malformed event is dropped instead of raising in Rasa's handler; the session is the
        # socket's own, whatever id the event names.
        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> Optional[bool]:
            if not isinstance(data, dict) or not isinstance(data.get("message", ""), str):
                return None
            sender = await sender_of(sid)
            if not sender:
                return None  # no session_request first: no session to answer in (Rasa ignores it too)
            verdict = await self.gate.admit("socketio", sender, data.get("message", ""))
            if verdict.notice:
                await sio.emit(
                    self.bot_message_evt, {"text": verdict.notice}, room=sender, namespace=self.namespace
                )
                return True
            metadata = with_role(
                usable_metadata(data.get(self.metadata_key), self.gate.limits.max_metadata_bytes),
                staff=await is_staff_socket(sid),
            )
            # With a person (channels/handoff.py): the desk keeps the message, the bot stays silent.
            if await desk().handle_student(sender, verdict.message, metadata):
                return True
            await rasa_handle_message(
                sid, {"message": verdict.message, "session_id": sender, self.metadata_key: metadata}
            )
            return True  # the ack, for a client that asked for one: the answer is complete

        # Replaces Rasa's handler of the same event (python-socketio keeps one per event).
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any) -> None:
            token = data.get("session_id") if isinstance(data, dict) else None
            session = self.session_ids.verified(token)
            if session is None:
                token = self.session_ids.issue()
                session = self.session_ids.verified(token)
            sender = widget_sender(session)
            if self.session_persistence:
                for room in sio.rooms(sid, namespace=namespace):
                    if room != sid:
                        await sio.leave_room(sid, room, namespace=namespace)
                await sio.enter_room(sid, sender, namespace=namespace)
                # Keeps the staff mark of the connection: a new session is the same person.
                session = await sio.get_session(sid, namespace=namespace)
                await sio.save_session(sid, {**session, "sender": sender}, namespace=namespace)
            await sio.emit("session_confirm", token, room=sid, namespace=self.namespace)

        return socketio_webhook
