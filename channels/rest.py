"""Rasa's REST channel (same name and URL: /webhooks/rest/webhook) with the input checked first.

Before Rasa sees a request: a body over `HELPDESK_MAX_BODY_BYTES` (16 KiB) gets 413; a body that is
not a JSON object with a string `sender` and a string `message`, or whose `metadata` is not a small
JSON object (channels/limits.py), gets 400 (Rasa would answer 500 or crash the request). Then the
checks of every channel (channels/limits.py): control characters removed, a message that is too
long gets a polite notice, a sender over the rate limit gets 429 with a polite notice.

The check runs for every request that Sanic routes to the webhook's handler, whatever the path
looked like (`/webhook/` reaches the same handler as `/webhook`), and the conversation is always
recorded as coming from this channel (a client's own `input_channel` is ignored). REST is never
staff: a client's own "staff" key in the metadata is dropped (channels/staff.py).
"""

import json
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.limits import Limits, MessageGate, metadata_problem
from channels.senders import RESERVED_PREFIXES, is_reserved
from channels.staff import with_role


def error(status: int, reason: Text) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


class RestInput(RasaRestInput):
    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(Limits.from_environment())

    def __init__(self, limits: Optional[Limits] = None) -> None:
        self.limits = limits or Limits.from_environment()
        self.gate = MessageGate(self.limits)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)
        receive = next(route.handler for route in webhook._future_routes if route.uri == "/webhook")

        # By the handler the request was routed to, not by its path: Sanic routes "/webhook/"
        # there too, and a path test let such requests past every check.
        @webhook.middleware("request")
        async def check_input(request: Request) -> Optional[HTTPResponse]:
            if request.route is not None and request.route.handler is receive:
                return await self._refusal(request)
            return None

        return webhook

    def _extract_input_channel(self, request: Request) -> Text:
        return self.name()

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        return with_role(super().get_metadata(request), staff=False)

    async def _refusal(self, request: Request) -> Optional[HTTPResponse]:
        """A response instead of Rasa's, or None to let Rasa answer the (cleaned) message."""
        body = request.body or b""
        if len(body) > self.limits.max_body_bytes:
            return error(413, f"request body over {self.limits.max_body_bytes} bytes")
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return error(400, "the body is not JSON")
        if not isinstance(data, dict):
            return error(400, 'the body must be a JSON object {"sender": ..., "message": ...}')
        sender, message = data.get("sender"), data.get("message")
        if not isinstance(sender, str) or not sender.strip():
            return error(400, "`sender` must be a non-empty string")
        if is_reserved(sender):
            return error(
                400, f"`sender` ids starting with {' or '.join(RESERVED_PREFIXES)} belong to other channels"
            )
        if not isinstance(message, str):
            return error(400, "`message` must be a string")
        problem = metadata_problem(data.get("metadata"), self.limits.max_metadata_bytes)
        if problem:
            return error(400, problem)
        verdict = await self.gate.admit("rest", sender, message)
        if verdict.notice:
            return response.json(
                [{"recipient_id": sender, "text": verdict.notice}], status=429 if verdict.too_many else 200
            )
        request.parsed_json = {**data, "message": verdict.message}
        return None
