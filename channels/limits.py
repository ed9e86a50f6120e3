"""The checks every channel (REST, socket.io, WeChat) applies to a student's message before Rasa
sees it: control characters removed; more than HELPDESK_MAX_MESSAGE_CHARS (500) characters or
more than HELPDESK_RATE_LIMIT messages ("30/60": 30 per 60 s) from one sender are answered with a
polite notice (data/knowledge/presentation.yml, `limits:`) instead of being processed. The counts
live in channels/shared_state.py, so they hold over all replicas.
"""

import os
import re
from dataclasses import dataclass
from typing import Optional, Text

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


@dataclass(frozen=True)
class Verdict:
    message: Text  # the message as Rasa may see it
    notice: Optional[Text] = None  # when set: answer this instead of processing the message
    too_many: bool = False  # the notice is about the rate limit (REST answers 429)


class MessageGate:
    def __init__(self, limits: Optional[Limits] = None) -> None:
        self.limits = limits or Limits.from_environment()
        self.state = shared_state()
        self.notices = load_knowledge().presentation["limits"]

    async def admit(self, channel: Text, sender: Text, message: Text) -> Verdict:
        limits = self.limits
        if not await self.state.allow(f"{channel}:{sender}", limits.messages_per_window,
                                      limits.window_seconds):
            return Verdict(message, self._notice("too_many_messages"), too_many=True)
        message = CONTROL_CHARACTERS.sub("", message)
        if len(message) > limits.max_message_chars:
            return Verdict(message, self._notice("message_too_long"))
        return Verdict(message)

    def _notice(self, key: Text) -> Text:
        return self.notices[key].format(max_chars=self.limits.max_message_chars)
