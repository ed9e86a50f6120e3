"""有帮助 / 没帮助 under every knowledge answer (issue 18): the buttons, the reasons after 没帮助, the
event Rasa stores (topic, no text), the allow-list, WeChat's "有用" / "没用", and the report's rows.

The feedback is a button payload, `/feedback{"topic": …, "helpful": "yes"|"no"}` (then
`/feedback{"topic": …, "reason": …}`), so the tracker store's events table holds it per topic.
"""

import json
import sqlite3

import pytest

from channels.payloads import user_text
from harness.bot import new_sender, running_bot, say
from knowledge.render import feedback_buttons, feedback_payload, feedback_reason_buttons, payload_for
from staff import unanswered
from staff.unanswered import Event, feedback_by_topic

TOPIC = "icve_lost_device"  # answered by its own intent: payload_for gives "/icve_lost_device"
OTHER_TOPIC = "chsi_account_share"
PERSON = "信息化办公室"


def buttons(reply):
    return [b for m in reply for b in m.get("buttons") or []]


def texts(reply):
    return "\n".join(m.get("text") or "" for m in reply)


def user_events(tracker_db, sender):
    """(text, intent, entities) of the user events Rasa stored for `sender`, oldest first."""
    with sqlite3.connect(f"file:{tracker_db}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id", (sender,)
        ).fetchall()
    out = []
    for (data,) in rows:
        event = json.loads(data)
        parse = event.get("parse_data") or {}
        entities = {e["entity"]: e["value"] for e in parse.get("entities") or []}
        out.append((event.get("text"), (parse.get("intent") or {}).get("name"), entities))
    return out


FORGED = [
    '/feedback{"topic": "icve_lost_device", "helpful": "yes", "platform": "chsi"}',  # another entity
    '/feedback{"topic": "nonsense", "helpful": "no"}',  # a topic nobody defined
    '/feedback{"topic": "icve_lost_device", "helpful": "maybe"}',  # a value no button sends
    '/feedback{"topic": "icve_lost_device", "reason": "辱骂的话"}',  # free text as a reason
    '/feedback{"topic": "icve_lost_device", "helpful": "no", "reason": "unclear"}',
    '/feedback{"topic": "icve_lost_device", "helpful": "no"}随便写点什么',  # trailing text
    '/feedback@0.99{"topic": "icve_lost_device", "helpful": "no"}',
    '/greet{"topic": "icve_lost_device", "helpful": "no"}',  # another intent
]


# ---- pure functions ----
@pytest.mark.unit
def test_exactly_the_feedback_payloads_pass_the_allow_list(knowledge):
    for topic_id in knowledge.topics:
        own = feedback_buttons(knowledge, topic_id) + feedback_reason_buttons(knowledge, topic_id)
        assert len(own) == 2 + 4
        for button in own:
            assert user_text(button["payload"]) == button["payload"], button
    for forged in FORGED:
        assert user_text(forged) == forged.lstrip("/"), forged


@pytest.mark.unit
def test_feedback_per_topic_counts_the_last_vote_per_conversation_and_the_reasons(knowledge):
    def tap(sender, payload, when):
        intent, entities = "feedback", json.loads(payload[len("/feedback") :])
        data = {
            "text": payload,
            "parse_data": {
                "intent": {"name": intent},
                "entities": [{"entity": k, "value": v} for k, v in entities.items()],
            },
        }
        return Event(sender, "user", when, data)

    events = [
        tap("a", feedback_payload(TOPIC, helpful="yes"), 1.0),
        tap("a", feedback_payload(TOPIC, helpful="no"), 2.0),  # changed their mind: counts once, as 没帮助
        tap("a", feedback_payload(TOPIC, reason="unclear"), 3.0),
        tap("b", feedback_payload(TOPIC, helpful="no"), 4.0),  # no reason given
        tap("c", feedback_payload(TOPIC, helpful="yes"), 5.0),
        tap("c", feedback_payload(OTHER_TOPIC, helpful="yes"), 6.0),
        Event("d", "user", 7.0, {"text": "这个回答没帮助", "parse_data": {"intent": {"name": "feedback"}}}),
    ]
    found = {f.topic: f for f in feedback_by_topic(events)}
    assert set(found) == {TOPIC, OTHER_TOPIC}
    lost = found[TOPIC]
    assert (lost.unhelpful, lost.helpful, lost.rate) == (2, 1, "33%")
    assert lost.reason_text == "看不懂 1"
    assert lost.title == knowledge.topics[TOPIC]["title"]
    assert (found[OTHER_TOPIC].helpful, found[OTHER_TOPIC].unhelpful, found[OTHER_TOPIC].rate) == (
        1,
        0,
        "100%",
    )
    assert [f.topic for f in feedback_by_topic(events)][0] == TOPIC  # most 没帮助 first


# ---- on the real bot, over REST ----
@pytest.mark.e2e
def test_an_answer_carries_the_two_feedback_buttons(webhook, knowledge):
    for topic_id in (TOPIC, OTHER_TOPIC, "icve_logout_app"):
        reply = say(webhook, new_sender(), payload_for(knowledge, topic_id))
        shown = buttons(reply)
        for button in feedback_buttons(knowledge, topic_id):
            assert button in shown, (topic_id, shown)
        assert shown[-1]["title"] == knowledge.presentation["sources_button"]  # 查看原文 stays last
    typed = say(webhook, new_sender(), "手机丢了怎么办，怕账号被盗")
    assert feedback_buttons(knowledge, TOPIC)[1] in buttons(typed), buttons(typed)


@pytest.mark.e2e
def test_unhelpful_gets_the_reasons_and_the_person_and_is_stored_without_text(webhook, bot, knowledge):
    sender = new_sender()
    say(webhook, sender, payload_for(knowledge, TOPIC))
    unhelpful = feedback_buttons(knowledge, TOPIC)[1]["payload"]
    reply = say(webhook, sender, unhelpful)
    assert PERSON in texts(reply)
    reasons = buttons(reply)
    assert [b["title"] for b in reasons] == ["答非所问", "步骤不对", "看不懂", "其他"]
    reason = reasons[2]["payload"]
    assert PERSON in texts(say(webhook, sender, reason))

    stored = user_events(bot.tracker_db, sender)
    assert (unhelpful, "feedback", {"topic": TOPIC, "helpful": "no"}) in stored
    assert (reason, "feedback", {"topic": TOPIC, "reason": "unclear"}) in stored
    # Only the payloads are stored for the feedback: no answer text, nothing typed.
    for text, intent, _ in stored:
        if intent == "feedback":
            assert text.startswith("/feedback{") and "丢" not in text


@pytest.mark.e2e
def test_helpful_gets_a_short_thanks(webhook, knowledge):
    sender = new_sender()
    say(webhook, sender, payload_for(knowledge, OTHER_TOPIC))
    reply = say(webhook, sender, feedback_buttons(knowledge, OTHER_TOPIC)[0]["payload"])
    assert texts(reply) == knowledge.presentation["feedback"]["thanks"] and not buttons(reply)


@pytest.mark.e2e
def test_a_forged_feedback_payload_is_not_let_through(webhook, bot, knowledge):
    sender = new_sender()
    for forged in FORGED:
        reply = say(webhook, sender, forged)
        assert knowledge.presentation["feedback"]["thanks"] not in texts(reply), forged
    stored = user_events(bot.tracker_db, sender)
    assert len(stored) == len(FORGED)
    for (text, intent, entities), forged in zip(stored, FORGED, strict=True):
        assert not text.startswith("/"), text  # read as ordinary text
        assert "helpful" not in entities and "reason" not in entities, (forged, intent, entities)


# ---- WeChat and the report, on a bot of their own (its tracker store holds only this) ----
@pytest.fixture(scope="module")
def wechat_bot(trained_model, tmp_path_factory):
    from tests.test_wechat import TOKEN

    workdir = tmp_path_factory.mktemp("feedback-bot")
    with running_bot(trained_model, workdir, env={"WECHAT_TOKEN": TOKEN}, log_prefix="feedback-") as running:
        yield running, workdir


@pytest.mark.e2e
def test_wechat_reply_unhelpful_records_feedback_for_the_last_answer_and_the_report_counts_it(
    wechat_bot, knowledge
):
    from tests.test_wechat import say as wechat_say

    bot, workdir = wechat_bot
    url = bot.url + "/webhooks/wechat/webhook"
    openid = "oFeedback" + new_sender()[-10:]
    hint = knowledge.presentation["wechat"]["feedback_hint"]
    answer = wechat_say(url, openid, "手机丢了怎么办，怕账号被盗")
    assert answer.rstrip().endswith(hint), answer
    assert "有帮助" not in answer and "没帮助" not in answer  # no menu items for the feedback
    reply = wechat_say(url, openid, "没用")
    assert PERSON in reply and "回复 3：看不懂" in reply, reply  # the reasons as the usual menu
    assert PERSON in wechat_say(url, openid, "3")  # 看不懂
    # "没用" again, no longer after an answer: ordinary text, not a second vote.
    wechat_say(url, openid, "没用")
    stored = [e for e in user_events(bot.tracker_db, "wechat:" + openid) if e[1] == "feedback"]
    assert stored[:2] == [
        (feedback_payload(TOPIC, helpful="no"), "feedback", {"topic": TOPIC, "helpful": "no"}),
        (feedback_payload(TOPIC, reason="unclear"), "feedback", {"topic": TOPIC, "reason": "unclear"}),
    ]
    assert all("helpful" not in entities for _, _, entities in stored[2:])

    # Two more students over REST: one finds it unhelpful too, one helpful.
    for helpful in ("no", "yes"):
        sender = new_sender()
        say(bot.webhook, sender, payload_for(knowledge, TOPIC))
        say(bot.webhook, sender, feedback_payload(TOPIC, helpful=helpful))

    out = workdir / "reports" / "unanswered.md"
    unanswered.main(["--tracker-db", bot.tracker_db, "--out", str(out)])
    markdown = out.read_text(encoding="utf-8")
    title = knowledge.topics[TOPIC]["title"]
    row = next(line for line in markdown.splitlines() if f"（{TOPIC}）" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:6] == [f"{unanswered.cell(title)}（{TOPIC}）", "2", "1", "33%", "看不懂 1"], cells
    assert "回答被评为没帮助 2 次" in markdown
    csv_text = out.with_suffix(".csv").read_text(encoding="utf-8-sig")
    assert f"{title}（{TOPIC}）" in csv_text and "没帮助 2、有帮助 1、有帮助比例 33%" in csv_text
    assert "/feedback{" not in markdown + csv_text and openid not in markdown + csv_text


@pytest.mark.unit
def test_typed_feedback_offers_the_last_answers_buttons_and_without_one_refuses(tracker_for, knowledge):
    from rasa_sdk.executor import CollectingDispatcher

    from actions.feedback import ActionFeedback

    after = tracker_for("feedback", slots={"last_topic": TOPIC, "platform": "icve"}, text="这个回答没帮助")
    dispatcher = CollectingDispatcher()
    ActionFeedback().run(dispatcher, after, {})
    assert dispatcher.messages[-1]["text"] == knowledge.presentation["feedback"]["typed"]
    assert dispatcher.messages[-1]["buttons"] == feedback_buttons(knowledge, TOPIC)

    dispatcher = CollectingDispatcher()
    ActionFeedback().run(dispatcher, tracker_for("feedback", text="这个回答没帮助"), {})
    assert dispatcher.messages[-1]["text"] == knowledge.presentation["not_understood"]

    # A topic nobody defined, from a payload that got past the gate somehow: no 没帮助 reasons.
    forged = tracker_for(
        "feedback", [{"entity": "topic", "value": "nonsense"}, {"entity": "helpful", "value": "no"}]
    )
    dispatcher = CollectingDispatcher()
    ActionFeedback().run(dispatcher, forged, {})
    assert "buttons" not in dispatcher.messages[-1] or not any(
        "reason" in b["payload"] for b in dispatcher.messages[-1]["buttons"]
    )
