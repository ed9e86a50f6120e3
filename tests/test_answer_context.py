"""How action_answer reads a message in the light of the conversation (actions/answer.py), decided
from the classifier's ranking as Rasa hands it over: an unsure follow-up, and a device follow-up after
an answer no device changes."""

import pytest

from actions.answer import ActionAnswer

pytestmark = pytest.mark.unit

CHSI_SHARING = "冒用身份"  # the 学信网 sharing rule
NOT_UNDERSTOOD = "没看懂"
LOST_DEVICE = "强制下线所有设备"
APP_STEPS = "“账户与安全”→“退出登录”"
WEB_STEPS = "Ctrl+Shift+Delete"


def reply(dispatcher, domain, tracker_for, intent, ranking, slots, text, entities=()):
    tracker = tracker_for(intent, entities, slots, text=text)
    tracker.latest_message["intent_ranking"] = [{"name": n, "confidence": c} for n, c in ranking]
    ActionAnswer().run(dispatcher, tracker, domain)
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


AFTER_CHSI = {"platform": "chsi", "last_topic": "chsi_one_account"}
UNSURE = [("nlu_fallback", 0.35), ("chsi_account_share", 0.3), ("request_cheating", 0.1)]


def test_an_unsure_follow_up_gets_its_best_topic_on_the_platform_of_the_conversation(
    dispatcher, domain, tracker_for
):
    text = reply(dispatcher, domain, tracker_for, "nlu_fallback", UNSURE, AFTER_CHSI, "那能给别人用吗")
    assert CHSI_SHARING in text


@pytest.mark.parametrize(
    "ranking, slots, message",
    [
        (UNSURE, AFTER_CHSI, "能给别人用吗"),  # no follow-up word: as unsure as before
        (UNSURE, {"platform": "icve", "last_topic": "icve_deregister"}, "那能给别人用吗"),  # other platform
        ([("nlu_fallback", 0.35), ("chsi_account_share", 0.2)], AFTER_CHSI, "那能给别人用吗"),  # too unlikely
        (UNSURE, {}, "那能给别人用吗"),  # nothing answered before
    ],
)
def test_other_unsure_messages_stay_unanswered(dispatcher, domain, tracker_for, ranking, slots, message):
    text = reply(dispatcher, domain, tracker_for, "nlu_fallback", ranking, slots, message)
    assert CHSI_SHARING not in text


@pytest.mark.parametrize(
    "ranking, slots, message, device, expected, not_expected",
    [
        # After an answer no device changes: the topic ranked next, not the logout steps.
        (
            [("followup_device", 0.66), ("icve_lost_device", 0.28)],
            {"platform": "icve", "last_topic": "icve_password_change"},
            "那要是平板丢了呢",
            "app",
            LOST_DEVICE,
            APP_STEPS,
        ),
        # After a procedure: the procedure for that device.
        (
            [("followup_device", 0.97), ("icve_lost_device", 0.01)],
            {"platform": "icve", "last_topic": "icve_logout_app", "last_goal": "logout"},
            "那网页版呢",
            "web",
            WEB_STEPS,
            LOST_DEVICE,
        ),
    ],
)
def test_a_device_follow_up(
    dispatcher, domain, tracker_for, ranking, slots, message, device, expected, not_expected
):
    entities = [{"entity": "device", "value": device}]
    text = reply(dispatcher, domain, tracker_for, "followup_device", ranking, slots, message, entities)
    assert expected in text and not_expected not in text


WHOSE_ANSWER = "以下是智慧职教（职教云）的说明："
ASK_OF_CHSI = "我问的是学信网"


def buttons_of(dispatcher):
    return [b["title"] for m in dispatcher.messages for b in m.get("buttons") or []]


def test_a_question_naming_no_platform_says_whose_answer_it_is_and_offers_the_other(
    dispatcher, domain, tracker_for
):
    text = reply(
        dispatcher, domain, tracker_for, "icve_close_app", [("icve_close_app", 0.9)], {}, "关掉APP算退出吗"
    )
    assert text.startswith(WHOSE_ANSWER) and "72小时" in text
    assert ASK_OF_CHSI in buttons_of(dispatcher)


@pytest.mark.parametrize(
    "slots, message",
    [
        ({}, "智慧职教关掉APP算退出吗"),  # named in the message (the NLU's entity)
        ({"platform": "icve"}, "关掉APP算退出吗"),  # known from the conversation
    ],
)
def test_a_question_whose_platform_is_known_is_answered_plainly(
    dispatcher, domain, tracker_for, slots, message
):
    entities = [{"entity": "platform", "value": "icve"}] if "智慧职教" in message else []
    text = reply(
        dispatcher, domain, tracker_for, "icve_close_app", [("icve_close_app", 0.9)], slots, message, entities
    )
    assert not text.startswith(WHOSE_ANSWER) and "72小时" in text
    assert ASK_OF_CHSI not in buttons_of(dispatcher)


def test_asking_the_other_platform_says_honestly_what_its_document_lacks(dispatcher, domain, tracker_for):
    slots = {"platform": "icve", "last_topic": "icve_close_app"}
    entities = [{"entity": "platform", "value": "chsi"}]
    text = reply(dispatcher, domain, tracker_for, "inform_platform", [], slots, "/inform_platform", entities)
    assert "我的资料里没有学信网" in text


def test_a_doubted_device_follow_up_is_still_a_device_follow_up(dispatcher, domain, tracker_for):
    # followup_device ranked first but too close to the next: read as the follow-up it most likely is.
    ranking = [("nlu_fallback", 0.35), ("followup_device", 0.50), ("icve_lost_device", 0.45)]
    slots = {"platform": "icve", "last_topic": "icve_password_change"}
    entities = [{"entity": "device", "value": "app"}]
    text = reply(
        dispatcher, domain, tracker_for, "nlu_fallback", ranking, slots, "那要是平板丢了呢", entities
    )
    assert LOST_DEVICE in text and NOT_UNDERSTOOD not in text


def test_unsure_between_a_topic_and_a_goal_asks_with_the_goals_topic_on_that_platform_and_device(
    dispatcher, domain, tracker_for
):
    ranking = [("nlu_fallback", 0.35), ("icve_public_computer", 0.47), ("logout", 0.43)]
    entities = [{"entity": "platform", "value": "icve"}, {"entity": "device", "value": "web"}]
    reply(
        dispatcher,
        domain,
        tracker_for,
        "nlu_fallback",
        ranking,
        {},
        "机房那台电脑上职教云网页怎么退干净",
        entities,
    )
    assert buttons_of(dispatcher)[:3] == ["公共电脑（机房）怎么安全使用", "网页版怎么退出登录", "都不是"]


@pytest.mark.parametrize(
    "said, ranking, offered",
    [
        # Deregistering has none of its words in a question about registering: only the topic that fits.
        (
            "职教云注册新账号要填哪些信息",
            [("nlu_fallback", 0.35), ("deregister", 0.23), ("chsi_one_account", 0.22)],
            ["一个身份证能注册几个学信网账号", "都不是"],
        ),
        # Neither fits (no sharing, no whole class): "没看懂", no topic offered.
        (
            "学信网的头像怎么换",
            [("nlu_fallback", 0.35), ("chsi_account_share", 0.3), ("chsi_batch_problem", 0.2)],
            [],
        ),
    ],
)
def test_unsure_between_two_topics_offers_only_those_that_fit_the_message(
    dispatcher, domain, tracker_for, said, ranking, offered
):
    platform = [{"entity": "platform", "value": "icve" if "职教云" in said else "chsi"}]
    text = reply(dispatcher, domain, tracker_for, "nlu_fallback", ranking, {}, said, platform)
    assert buttons_of(dispatcher)[: len(offered)] == offered
    assert (NOT_UNDERSTOOD in text) is not offered
