"""Complete walkthroughs over REST (tests/walkthroughs/conversations.yml): each procedure and branch,
上一步, 卡住了, a question in the middle, exiting early — typed as students type, or by button."""

from pathlib import Path

import pytest
import yaml

from harness.bot import new_sender, say

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).parent / "walkthroughs" / "conversations.yml"
CONVERSATIONS = yaml.safe_load(SCRIPT.read_text(encoding="utf-8"))["conversations"]


def press(previous, title):
    """The payload of the button called `title` in the previous reply, as the widget sends it."""
    buttons = {b["title"]: b["payload"] for m in previous for b in m.get("buttons", [])}
    assert title in buttons, f"no button {title!r} in {list(buttons)}"
    return buttons[title]


@pytest.mark.parametrize("name", CONVERSATIONS)
def test_walkthrough_conversation(webhook, name):
    sender, reply = new_sender(), []
    for turn in CONVERSATIONS[name]:
        message = turn["say"] if "say" in turn else press(reply, turn["press"])
        reply = say(webhook, sender, message)
        text = "\n".join(m.get("text", "") for m in reply)
        titles = [b["title"] for m in reply for b in m.get("buttons", [])]
        missing = [p for p in turn.get("expect", []) if p not in text]
        missing += [t for t in turn.get("buttons", []) if t not in titles]
        unwanted = [p for p in turn.get("absent", []) if p in text]
        assert not missing and not unwanted, (
            f"{message!r} -> {text!r} {titles}: lacks {missing}, has {unwanted}"
        )
