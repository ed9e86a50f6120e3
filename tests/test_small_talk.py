"""action_small_talk: the domain response of the intent, after the personal-data warning if needed."""

import pytest

from actions.small_talk import ActionSmallTalk

pytestmark = pytest.mark.unit

PHONE = {"entity": "personal_data", "value": "phone"}


# What a person must read in the reply to each small-talk message (domain.yml, as Rasa sends it).
SAYS = {
    "greet": "你好",
    "goodbye": "再见",
    "thank": "不客气",
    "bot_identity": "不是真人",
    "bot_capabilities": "我可以帮你",
    "request_cheating": "不能帮",
}


def shown(domain, message):
    """The texts and buttons Rasa sends for the response the action chose."""
    variants = domain["responses"][message["response"]]
    return " ".join(v["text"] for v in variants), [b for v in variants for b in v.get("buttons", [])]


@pytest.mark.parametrize("intent, says", SAYS.items(), ids=list(SAYS))
def test_each_small_talk_message_gets_the_reply_that_fits_it(dispatcher, domain, tracker_for, intent, says):
    assert ActionSmallTalk().run(dispatcher, tracker_for(intent), domain) == []
    (message,) = dispatcher.messages
    text, buttons = shown(domain, message)
    assert says in text, (intent, text)
    for button in buttons:  # a tap must reach an intent the bot knows
        name = button["payload"].lstrip("/").split("{")[0]
        assert name in domain["intents"], button


def test_what_the_bot_can_do_names_every_platform_it_knows(dispatcher, domain, tracker_for, knowledge):
    ActionSmallTalk().run(dispatcher, tracker_for("bot_capabilities"), domain)
    text, _ = shown(domain, dispatcher.messages[-1])
    for platform in knowledge.platforms.values():
        assert platform["name"] in text, platform["name"]


def test_personal_data_in_a_greeting_is_warned_about_first(dispatcher, domain, tracker_for):
    ActionSmallTalk().run(dispatcher, tracker_for("greet", [PHONE]), domain)
    warning, greeting = dispatcher.messages
    assert "请不要把身份证号、手机号、密码发给任何人" in warning["text"]
    assert greeting["response"] == "utter_greet"
