"""action_small_talk: the domain response of the intent, after the personal-data warning if needed."""

import pytest

from actions.small_talk import ActionSmallTalk

pytestmark = pytest.mark.unit

PHONE = {"entity": "personal_data", "value": "phone"}


@pytest.mark.parametrize(
    "intent", ["greet", "goodbye", "thank", "bot_identity", "bot_capabilities", "request_cheating"]
)
def test_each_small_talk_intent_has_its_response(dispatcher, domain, tracker_for, intent):
    assert ActionSmallTalk().run(dispatcher, tracker_for(intent), domain) == []
    assert dispatcher.messages[-1]["response"] == f"utter_{intent}"
    assert f"utter_{intent}" in domain["responses"]
    assert len(dispatcher.messages) == 1


def test_personal_data_in_a_greeting_is_warned_about_first(dispatcher, domain, tracker_for):
    ActionSmallTalk().run(dispatcher, tracker_for("greet", [PHONE]), domain)
    warning, greeting = dispatcher.messages
    assert "请不要把身份证号、手机号、密码发给任何人" in warning["text"]
    assert greeting["response"] == "utter_greet"
