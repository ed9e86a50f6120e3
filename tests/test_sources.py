"""Issue 14, point 4: "查看原文" under every knowledge answer shows the sentences of the documents it
rests on (actions/sources.py), grouped by document with its title and date.

The action with Rasa SDK trackers first, then the real bot over REST: the button on every topic's
answer, pressing it, typing the request, and a forged payload.
"""

import json

import pytest
from rasa_sdk.events import SlotSet

from actions.sources import ActionShowSources
from harness.bot import new_sender, say
from knowledge.render import payload_for, sources_payload

SOURCES_BUTTON = "查看原文"
NO_SOURCES = "找不到要查看原文的那条回答"
ACTION_FAILED = "系统暂时有点忙"
TOPICS_TO_PRESS = [
    "icve_logout_app",
    "icve_deregister",
    "icve_lost_device",
    "chsi_account_share",
    "chsi_change_info",
]


def texts(reply):
    return "\n".join(m.get("text") or "" for m in reply)


def buttons(reply):
    return [b for m in reply for b in m.get("buttons") or []]


def document_heading(knowledge, source):
    info = knowledge.sources[source]
    return f"📄《{info['title']}》（{info['published']}）原文："


def assert_shows_the_sources(knowledge, topic_id, text, stated=()):
    for source, quote in knowledge.quotes_of(topic_id, stated):
        assert f"「{quote}」" in text, (topic_id, quote)
        assert document_heading(knowledge, source) in text, (topic_id, source)
    assert knowledge.topics[topic_id]["title"] in text


def show_sources(dispatcher, domain, tracker_for, entities=(), slots=None, text=""):
    tracker = tracker_for("show_sources", entities, slots, text)
    return ActionShowSources().run(dispatcher, tracker, domain)


# ---- the action ----
@pytest.mark.unit
def test_the_button_shows_every_quote_of_the_topic_grouped_by_document(
    dispatcher, domain, tracker_for, knowledge
):
    events = show_sources(dispatcher, domain, tracker_for, [{"entity": "topic", "value": "icve_logout_app"}])
    [message] = dispatcher.messages
    assert_shows_the_sources(knowledge, "icve_logout_app", message["text"])
    lines = message["text"].split("\n")
    assert lines[1] == document_heading(knowledge, "icve_doc")  # one heading, then its quotes
    assert message["text"].count("📄") == 1
    assert events == []


@pytest.mark.unit
def test_typed_request_shows_the_sources_of_the_last_answer(dispatcher, domain, tracker_for, knowledge):
    slots = {"last_topic": "chsi_teacher_password", "platform": "chsi"}
    show_sources(dispatcher, domain, tracker_for, slots=slots, text="出处是什么")
    assert_shows_the_sources(knowledge, "chsi_teacher_password", dispatcher.messages[-1]["text"])


@pytest.mark.unit
@pytest.mark.parametrize(
    "entities, slots",
    [
        ([{"entity": "topic", "value": "nonsense"}], {"last_topic": "icve_logout_app", "platform": "icve"}),
        ([{"entity": "topic", "value": {"a": 1}}], {}),
        ([], {}),  # typed before any answer
        ([], {"last_topic": "evil"}),
        # found not covered for 学信网: that answer had no sources
        ([], {"last_topic": "icve_close_app", "platform": "chsi"}),
    ],
)
def test_no_answer_to_show_gets_a_polite_short_answer(dispatcher, domain, tracker_for, entities, slots):
    events = show_sources(dispatcher, domain, tracker_for, entities, slots)
    [message] = dispatcher.messages
    assert NO_SOURCES in message["text"] and "📄" not in message["text"]
    assert message["buttons"] == [{"title": "我能做什么", "payload": "/bot_capabilities"}]
    assert "nonsense" not in message["text"]
    if slots.get("last_topic") == "evil":
        assert events == [SlotSet("last_topic", None)]


@pytest.mark.unit
def test_a_belief_corrected_first_is_shown_with_its_quote(dispatcher, domain, tracker_for, knowledge):
    """ "卸载就是注销" opens the deregistration answer with a correction deregistration itself does
    not make: its button names the belief, and its quote comes first."""
    payload = sources_payload(knowledge, "icve_deregister", ["uninstall_is_deregister"])
    entities = json.loads(payload.removeprefix("/show_sources"))
    assert entities == {"topic": "icve_deregister", "misconception": "uninstall_is_deregister"}
    show_sources(dispatcher, domain, tracker_for, [{"entity": k, "value": v} for k, v in entities.items()])
    text = dispatcher.messages[-1]["text"]
    assert_shows_the_sources(knowledge, "icve_deregister", text, ["uninstall_is_deregister"])
    correction = knowledge.quotes_of("icve_deregister", ["uninstall_is_deregister"])[0][1]
    assert correction not in dict(knowledge.quotes_of("icve_deregister")).values()
    assert text.index(correction) < text.index(knowledge.quotes_of("icve_deregister")[0][1])
    # A belief the topic corrects anyway, or about another platform, adds nothing to the payload.
    assert (
        sources_payload(knowledge, "icve_logout_app", ["close_app_is_logout"])
        == '/show_sources{"topic": "icve_logout_app"}'
    )
    assert (
        sources_payload(knowledge, "icve_deregister", ["chsi_account_shareable"])
        == '/show_sources{"topic": "icve_deregister"}'
    )


@pytest.mark.unit
def test_every_sources_payload_passes_the_allow_list_and_others_do_not(knowledge):
    from channels.payloads import user_text

    payloads = [sources_payload(knowledge, t) for t in knowledge.topics]
    payloads += [sources_payload(knowledge, m["topic"], [mid]) for mid, m in knowledge.misconceptions.items()]
    # A belief stated beside another question of its platform (actions/answer.py).
    payloads.append(sources_payload(knowledge, "icve_data_after_deregister", ["uninstall_is_deregister"]))
    assert "uninstall_is_deregister" in payloads[-1]
    for payload in payloads:
        assert user_text(payload) == payload
    for forged in [
        '/show_sources{"topic": "nonsense"}',
        '/show_sources{"topic": {"a": 1}}',
        '/show_sources{"topic": "icve_logout_app", "misconception": "chsi_account_shareable"}',
    ]:
        assert user_text(forged) == forged[1:]


# ---- on the real bot, over REST ----
@pytest.mark.e2e
def test_every_answer_carries_the_sources_button_last(webhook, knowledge):
    for topic_id in knowledge.topics:
        reply = say(webhook, new_sender(), payload_for(knowledge, topic_id))
        last = buttons(reply)[-1]
        assert last == {"title": SOURCES_BUTTON, "payload": sources_payload(knowledge, topic_id)}, topic_id
        related = knowledge.topics[topic_id].get("related", [])
        assert len(buttons(reply)) >= len(related) + 1, topic_id  # the other buttons are still there


@pytest.mark.e2e
@pytest.mark.parametrize("topic_id", TOPICS_TO_PRESS)
def test_pressing_the_button_shows_the_quotes_and_the_document(webhook, knowledge, topic_id):
    sender = new_sender()
    answer = say(webhook, sender, payload_for(knowledge, topic_id))
    reply = say(webhook, sender, buttons(answer)[-1]["payload"])
    assert_shows_the_sources(knowledge, topic_id, texts(reply))


@pytest.mark.e2e
@pytest.mark.parametrize("request_text", ["查看原文", "原文在哪", "出处是什么", "给我看看来源"])
def test_typed_request_after_an_answer_shows_its_sources(webhook, knowledge, request_text):
    sender = new_sender()
    assert "不可以" in texts(say(webhook, sender, "学信网账号可以借给同学吗"))
    assert_shows_the_sources(knowledge, "chsi_account_share", texts(say(webhook, sender, request_text)))


@pytest.mark.e2e
def test_a_stated_belief_answer_shows_the_corrections_quote(webhook, knowledge):
    sender = new_sender()
    # Stated plainly (said seeking agreement, "…就注销了吧", it asks its own topic instead).
    answer = say(webhook, sender, "我已经把智慧职教APP卸载了，账号也就跟着注销了")
    assert texts(answer).startswith("⚠️ 常见误区：卸载APP")
    payload = buttons(answer)[-1]["payload"]
    assert payload == sources_payload(knowledge, "icve_deregister", ["uninstall_is_deregister"])
    assert_shows_the_sources(
        knowledge, "icve_deregister", texts(say(webhook, sender, payload)), ["uninstall_is_deregister"]
    )


@pytest.mark.e2e
def test_sources_during_a_walkthrough_then_the_walkthrough_goes_on(webhook, knowledge):
    sender = new_sender()
    assert "第1/5步" in texts(say(webhook, sender, "一步一步教我退出智慧职教APP"))
    answer = say(webhook, sender, "注销以后手机号还能用吗")
    assert "180天" in texts(answer)
    reply = say(webhook, sender, sources_payload(knowledge, "icve_phone_reuse"))
    assert_shows_the_sources(knowledge, "icve_phone_reuse", texts(reply))
    assert "第1/5步" in texts(reply)
    assert "第2/5步" in texts(say(webhook, sender, "下一步"))


@pytest.mark.e2e
def test_a_forged_sources_payload_is_read_as_text_and_nothing_breaks(webhook):
    sender = new_sender()
    for forged in ['/show_sources{"topic": "nonsense"}', '/show_sources{"topic": {"a": 1}}']:
        reply = say(webhook, sender, forged)
        said = texts(reply)
        assert said.strip() and ACTION_FAILED not in said, reply
        assert "nonsense" not in said and "📄《" not in said
    assert "不可以" in texts(say(webhook, sender, "学信网账号可以借给同学吗"))
