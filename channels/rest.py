"""Rasa's REST channel (same name and URL: /webhooks/rest/webhook) with the input checked first.

Before Rasa sees a request: a body over `HELPDESK_MAX_BODY_BYTES` (16 KiB) gets 413; a body that is
not a JSON object with a string `sender` and a string `message` gets 400 (Rasa would answer 500 or
crash the request); control characters are removed from the message. A message longer than
`HELPDESK_MAX_MESSAGE_CHARS` (500) is answered with a polite notice instead of being processed,
and a sender that sends more than `HELPDESK_RATE_LIMIT` messages ("30/60": 30 per 60 s) gets 429
with a polite notice (counted in Redis when the replicas share one: channels/shared_state.py).
The notices live in data/knowledge/presentation.yml (`limits:`).
"""

import json
import os
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.knowledge import load_knowledge
from channels.shared_state import shared_state

# C0/C1 control characters except line breaks and tabs, which students do paste.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int
    max_message_chars: int
    messages_per_window: int
    window_seconds: float

    @classmethod
    def from_environment(cls) -> "Limits":
        env = os.environ
        count, seconds = env.get("HELPDESK_RATE_LIMIT", "30/60").split("/")
        return cls(
            max_body_bytes=int(env.get("HELPDESK_MAX_BODY_BYTES", 16 * 1024)),
            max_message_chars=int(env.get("HELPDESK_MAX_MESSAGE_CHARS", 500)),
            messages_per_window=int(count),
            window_seconds=float(seconds),
        )


def error(status: int, reason: Text) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


class RestInput(RasaRestInput):
    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(Limits.from_environment())

    def __init__(self, limits: Optional[Limits] = None) -> None:
        self.limits = limits or Limits.from_environment()
        self.state = shared_state()  # per-sender counts, shared by the replicas (Redis)
        self.notices = load_knowledge().presentation["limits"]

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def check_input(request: Request) -> Optional[HTTPResponse]:
            if request.method == "POST" and request.path.endswith("/webhook"):
                return await self._refusal(request)
            return None

        return webhook

    async def _refusal(self, request: Request) -> Optional[HTTPResponse]:
        """A response instead of Rasa's, or None to let Rasa answer the (cleaned) message."""
        body = request.body or b""
        if len(body) > self.limits.max_body_bytes:
            return error(413, f"request body over {self.limits.max_body_bytes} bytes")
        try:
            data = json.loads(body)
        except ValueError:
            return error(400, "the body is not JSON")
        if not isinstance(data, dict):
            return error(400, 'the body must be a JSON object {"sender": ..., "message": ...}')
        sender, message = data.get("sender"), data.get("message")
        if not isinstance(sender, str) or not sender.strip():
            return error(400, "`sender` must be a non-empty string")
        if not isinstance(message, str):
            return error(400, "`message` must be a string")
        limits = self.limits
        if not await self.state.allow(f"rest:{sender}", limits.messages_per_window,
                                      limits.window_seconds):
            return self._notice(sender, "too_many_messages", status=429)
        message = CONTROL_CHARACTERS.sub("", message)
        if len(message) > self.limits.max_message_chars:
            return self._notice(sender, "message_too_long")
        request.parsed_json = {**data, "message": message}
        return None

    def _notice(self, sender: Text, key: Text, status: int = 200) -> HTTPResponse:
        text = self.notices[key].format(max_chars=self.limits.max_message_chars)
        return response.json([{"recipient_id": sender, "text": text}], status=status)
