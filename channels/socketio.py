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
"""

import os
import uuid
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text
from urllib.parse import urlsplit

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from sanic import Blueprint

from channels.limits import MessageGate

ALLOWED_ORIGINS_ENV = "HELPDESK_ALLOWED_ORIGINS"
DEFAULT_ALLOWED_ORIGINS = ("http://localhost:8000", "http://127.0.0.1:8000")


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

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        socketio_webhook = super().blueprint(on_new_message)
        sio = self.sio
        # Rasa passed [] ("no origin check"); python-engineio reads this on every request.
        sio.eio.cors_allowed_origins = list(self.allowed_origins)

        rasa_handle_message = sio.handlers[self.namespace or "/"][self.user_message_evt]

        # Replaces Rasa's handler: the checks of every channel first (channels/limits.py); a
        # malformed event is dropped instead of raising in Rasa's handler.
        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message", ""), str):
                return
            sender = data.get("session_id") if self.session_persistence else sid
            if not isinstance(sender, str) or not sender:
                return  # Rasa ignores it too (with a warning): no session to answer in
            verdict = await self.gate.admit("socketio", sender, data.get("message", ""))
            if verdict.notice:
                await sio.emit(self.bot_message_evt, {"text": verdict.notice}, room=sender,
                               namespace=self.namespace)
                return
            await rasa_handle_message(sid, {**data, "message": verdict.message})

        # Replaces Rasa's handler of the same event (python-socketio keeps one per event).
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if not isinstance(session_id, str) or not session_id.strip():
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        return socketio_webhook
