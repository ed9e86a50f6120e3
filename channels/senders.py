"""Sender ids by channel: a conversation belongs to the channel it came in by.

The widget's sessions and WeChat's OpenIDs are stored as "web:…" and "wechat:…", Chatwoot's
conversations as "chatwoot:<account id>:<conversation id>" (channels/chatwoot.py), the staff
console's rehearsals as "console:…" (channels/console.py). REST lets a
client name its own sender, so it may not use those prefixes: otherwise a REST client that learnt a
widget session id, an OpenID or a Chatwoot conversation's number could read and steer that
person's conversation.
"""

from typing import Text

WIDGET_PREFIX = "web:"
WECHAT_PREFIX = "wechat:"
CHATWOOT_PREFIX = "chatwoot:"
# The staff console's rehearsal page (channels/console.py): a logged-in staff member's conversation.
CONSOLE_PREFIX = "console:"
RESERVED_PREFIXES = (WIDGET_PREFIX, WECHAT_PREFIX, CHATWOOT_PREFIX, CONSOLE_PREFIX)


def widget_sender(session_id: Text) -> Text:
    return WIDGET_PREFIX + session_id


def wechat_sender(openid: Text) -> Text:
    return WECHAT_PREFIX + openid


def chatwoot_sender(account_id: Text, conversation_id: Text) -> Text:
    return f"{CHATWOOT_PREFIX}{account_id}:{conversation_id}"


def is_reserved(sender: Text) -> bool:
    """True when a client-chosen (REST) sender id names another channel's conversation."""
    return sender.strip().lower().startswith(RESERVED_PREFIXES)
