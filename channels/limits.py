"""The checks every channel (REST, socket.io, WeChat) applies to a student's message before Rasa
sees it: control characters removed; more than HELPDESK_MAX_MESSAGE_CHARS (500) characters or
more than HELPDESK_RATE_LIMIT messages ("30/60": 30 per 60 s) from one sender are answered with a
polite notice (data/knowledge/presentation.yml, `limits:`) instead of being processed. The counts
live in channels/shared_state.py, so they hold over all replicas.

A message's `metadata` (REST and socket.io let a client send any) is what Rasa stores with the
conversation and copies into every new session: it must be a JSON object of at most
HELPDESK_MAX_METADATA_BYTES (1 KiB) nested at most METADATA_MAX_DEPTH deep, or it is refused
(`metadata_problem`), before anything (redaction, storage) walks through it.
"""

import json
import os
import re
from dataclasses import dataclass
from typing import Any, Optional, Text

from channels.payloads import user_text
from channels.shared_state import shared_state
from knowledge.loader import load_knowledge

# C0/C1 control characters except line breaks and tabs, which students do paste.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int
    max_metadata_bytes: int
    max_message_chars: int
    messages_per_window: int
    window_seconds: float

    @classmethod
    def from_environment(cls) -> "Limits":
        env = os.environ
        count, seconds = env.get("HELPDESK_RATE_LIMIT", "30/60").split("/")
        return cls(
            max_body_bytes=int(env.get("HELPDESK_MAX_BODY_BYTES", 16 * 1024)),
            max_metadata_bytes=int(env.get("HELPDESK_MAX_METADATA_BYTES", 1024)),
            max_message_chars=int(env.get("HELPDESK_MAX_MESSAGE_CHARS", 500)),
            messages_per_window=int(count),
            window_seconds=float(seconds),
        )


# Deeper than this is no client's honest metadata (the widget sends none) and costs recursion.
METADATA_MAX_DEPTH = 4


def nesting_depth(value: Any, give_up_at: int) -> int:
    """How deeply lists and objects nest in a JSON value (a scalar is 0), counted without
    recursion and only up to `give_up_at`, so that a hostile value costs no more than that."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > give_up_at:
            break
        pending.extend((child, depth + 1) for child in children)
    return deepest


def metadata_problem(metadata: Any, max_bytes: int) -> Optional[Text]:
    """Why a message's metadata is refused, or None when it may be stored (None is allowed)."""
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        return "`metadata` must be a JSON object"
    if nesting_depth(metadata, METADATA_MAX_DEPTH) > METADATA_MAX_DEPTH:
        return f"`metadata` nests deeper than {METADATA_MAX_DEPTH} levels"
    if len(json.dumps(metadata, ensure_ascii=False).encode("utf-8")) > max_bytes:
        return f"`metadata` is over {max_bytes} bytes"
    return None


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
        if not await self.state.allow(
            f"{channel}:{sender}", limits.messages_per_window, limits.window_seconds
        ):
            return Verdict(message, self._notice("too_many_messages"), too_many=True)
        message = CONTROL_CHARACTERS.sub("", message)
        message = user_text(message)  # slash commands: only the bot's own button payloads
        if len(message) > limits.max_message_chars:
            return Verdict(message, self._notice("message_too_long"))
        return Verdict(message)

    def _notice(self, key: Text) -> Text:
        return self.notices[key].format(max_chars=self.limits.max_message_chars)
