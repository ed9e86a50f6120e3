"""action_answer with Rasa SDK Tracker / CollectingDispatcher: the events it returns and what it says."""

import json

import pytest
from rasa_sdk.events import SlotSet

from actions.answer import ActionAnswer
from actions.refusals import ASKED

pytestmark = pytest.mark.unit

ICVE = {"entity": "platform", "value": "icve"}
CHSI = {"entity": "platform", "value": "chsi"}
WEB = {"entity": "device", "value": "web"}
PUBLIC = {"entity": "device", "value": "public"}


def run(dispatcher, domain, tracker):
    return ActionAnswer().run(dispatcher, tracker, domain)


def only_message(dispatcher):
    assert len(dispatcher.messages) == 1, dispatcher.messages
    return dispatcher.messages[0]


def test_logout_without_platform_asks_which_platform(dispatcher, domain, tracker_for):
    events = run(dispatcher, domain, tracker_for("logout"))
    message = only_message(dispatcher)
    assert "哪个平台" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == [
        '/inform_platform{"platform": "icve"}',
        '/inform_platform{"platform": "chsi"}',
        "/out_of_scope",
    ]
    assert events == [SlotSet("pending_goal", "logout")]


def test_platform_answer_completes_the_pending_question(dispatcher, domain, tracker_for):
    tracker = tracker_for("inform_platform", [ICVE], {"pending_goal": "logout"})
    events = run(dispatcher, domain, tracker)
    text = only_message(dispatcher)["text"]
    assert "“账户与安全”→“退出登录”" in text
    assert "72小时" in text
    assert SlotSet("pending_goal", None) in events
    assert SlotSet("last_goal", "logout") in events
    assert SlotSet("platform", "icve") in events


def test_logout_on_the_web_clears_cookies(dispatcher, domain, tracker_for):
    run(dispatcher, domain, tracker_for("logout", [ICVE, WEB]))
    text = only_message(dispatcher)["text"]
    assert "Ctrl+Shift+Delete" in text and "Cookies" in text


def test_public_computer_wins_over_web_when_both_are_named(dispatcher, domain, tracker_for):
    run(dispatcher, domain, tracker_for("logout", [ICVE, PUBLIC, WEB]))
    assert "访客模式" in only_message(dispatcher)["text"]


def test_the_device_of_the_question_wins_over_the_back_storys(dispatcher, domain, tracker_for):
    said = "在网吧用过职教云，网页版怎么退干净"
    named = [
        {**ICVE, "start": said.index("职教云")},
        {**PUBLIC, "start": said.index("网吧")},
        {**WEB, "start": said.index("网页版")},
    ]
    run(dispatcher, domain, tracker_for("logout", named, text=said))
    text = only_message(dispatcher)["text"]
    assert "Ctrl+Shift+Delete" in text and "访客模式" not in text


def test_device_followup_keeps_goal_and_platform(dispatcher, domain, tracker_for):
    tracker = tracker_for("followup_device", [WEB], {"platform": "icve", "last_goal": "logout"})
    events = run(dispatcher, domain, tracker)
    assert "Ctrl+Shift+Delete" in only_message(dispatcher)["text"]
    assert SlotSet("last_goal", "logout") in events


def test_device_followup_after_deregistration_stays_on_deregistration(dispatcher, domain, tracker_for):
    tracker = tracker_for("followup_device", [WEB], {"platform": "icve", "last_goal": "deregister"})
    run(dispatcher, domain, tracker)
    text = only_message(dispatcher)["text"]
    assert "“隐私设置”提交注销申请" in text and "3个工作日" in text


def test_named_platform_without_that_procedure_is_not_covered(dispatcher, domain, tracker_for):
    events = run(dispatcher, domain, tracker_for("logout", [CHSI]))
    message = only_message(dispatcher)
    assert "资料里没有学信网“退出登录”的说明" in message["text"]
    assert "学信网客服" in message["text"]
    assert message["buttons"], "offers what it can answer about 学信网"
    assert SlotSet("platform", "chsi") in events


def test_remembered_platform_that_does_not_fit_leads_to_a_question(dispatcher, domain, tracker_for):
    run(dispatcher, domain, tracker_for("deregister", [], {"platform": "chsi"}))
    assert "哪个平台" in only_message(dispatcher)["text"]


def test_remembered_platform_is_used_for_a_generic_question(dispatcher, domain, tracker_for):
    run(dispatcher, domain, tracker_for("deregister", [], {"platform": "icve"}))
    assert "180天" in only_message(dispatcher)["text"]


def test_other_platform_is_out_of_scope(dispatcher, domain, tracker_for):
    tracker = tracker_for("logout", [{"entity": "other_platform", "value": "雨课堂"}])
    run(dispatcher, domain, tracker)
    message = only_message(dispatcher)
    assert message["text"].startswith("抱歉，雨课堂的问题不在我能回答的范围内")
    assert message["buttons"] == [{"title": "我能做什么", "payload": "/bot_capabilities"}]


def test_other_platform_that_belongs_to_the_topic_is_answered(dispatcher, domain, tracker_for):
    tracker = tracker_for("icve_third_party_unbind", [{"entity": "other_platform", "value": "微信"}])
    run(dispatcher, domain, tracker)
    assert "“账号安全”-“关联设备”" in only_message(dispatcher)["text"]


def test_other_platform_beside_a_known_platform_is_answered(dispatcher, domain, tracker_for):
    tracker = tracker_for("icve_compare_tencent", [ICVE, {"entity": "other_platform", "value": "腾讯课堂"}])
    run(dispatcher, domain, tracker)
    assert "即时删除" in only_message(dispatcher)["text"]


@pytest.mark.parametrize("goal, compared", [("deregister", True), ("logout", False)])
def test_a_compared_platform_answering_which_platform(dispatcher, domain, tracker_for, goal, compared):
    """ "我想注销" → 哪个平台？ → "腾讯课堂": the document compares deregistering there; logging out it
    does not speak of."""
    tracker = tracker_for(
        "inform_platform", [{"entity": "other_platform", "value": "腾讯课堂"}], {"pending_goal": goal}
    )
    run(dispatcher, domain, tracker)
    text = only_message(dispatcher)["text"]
    assert ("即时删除" in text) is compared
    assert text.startswith("抱歉，腾讯课堂") is not compared


@pytest.mark.parametrize("other_in_question, refused", [(True, True), (False, False)])
def test_another_platform_asked_after_a_back_story_of_ours(
    dispatcher, domain, tracker_for, other_in_question, refused
):
    """ "职教云的号注销好了，钉钉那个号又怎么注销": ours is the back-story, the question is 钉钉's. Named
    only in the back-story ("用钉钉发的通知说…，职教云怎么注销"), the other platform is no question."""
    said = (
        "职教云的号注销好了，钉钉那个号又怎么注销"
        if other_in_question
        else "钉钉群里通知了，职教云的号怎么注销"
    )
    asked = said[said.index("，") + 1 :]
    ours = {**ICVE, "start": said.index("职教云"), "end": said.index("职教云") + 3}
    dingtalk = {
        "entity": "other_platform",
        "value": "钉钉",
        "start": said.index("钉钉"),
        "end": said.index("钉钉") + 2,
    }
    tracker = tracker_for("deregister", [ours, dingtalk], text=said)
    tracker.latest_message[ASKED] = asked
    run(dispatcher, domain, tracker)
    assert only_message(dispatcher)["text"].startswith("抱歉，钉钉的问题不在我能回答的范围内") is refused


def test_topic_asked_about_the_wrong_platform_is_not_covered(dispatcher, domain, tracker_for):
    run(dispatcher, domain, tracker_for("icve_close_app", [CHSI]))
    text = only_message(dispatcher)["text"]
    assert "资料里没有学信网的这项说明：“关掉APP算退出吗”只有智慧职教（职教云）的资料" in text


def test_a_rule_of_the_other_platform_in_a_belief_is_not_applied(dispatcher, domain, tracker_for):
    said = "老师要收我们职教云的密码，说要统一管理，能给吗"
    run(dispatcher, domain, tracker_for("chsi_teacher_password", [ICVE], text=said))
    text = only_message(dispatcher)["text"]
    assert "资料里没有智慧职教（职教云）的这项说明：“老师要收学信网密码怎么办”只有学信网的资料" in text
    assert "不应该交" not in text


def test_question_about_a_misconception_is_answered_without_a_lecture(dispatcher, domain, tracker_for):
    run(dispatcher, domain, tracker_for("icve_close_app", slots={"platform": "icve"}, text="关掉APP算退出吗"))
    text = only_message(dispatcher)["text"]
    assert text.startswith(
        "不算。"
    )  # the verdict first (a question naming no platform: test_answer_context.py)
    assert "72小时" in text and "1. 打开智慧职教APP" in text
    assert "常见误区" not in text
    assert "平台界面可能已更新" in text


def test_stated_misconception_is_corrected_first_then_the_procedure(dispatcher, domain, tracker_for):
    said = "我每次用完直接把APP关了，这样就算退出了吧"
    run(dispatcher, domain, tracker_for("icve_close_app", text=said))
    message = only_message(dispatcher)
    assert message["text"].startswith("⚠️ 常见误区：直接关掉APP")
    assert message["text"].count("72小时") == 1
    assert "1. 打开智慧职教APP" in message["text"]
    offer = message["buttons"][0]
    assert offer["title"] == "需要我一步一步带你操作吗？"
    assert json.loads(offer["payload"].removeprefix("/walkthrough_start")) == {
        "platform": "icve",
        "goal": "logout",
        "device": "app",
    }


UNINSTALL_CORRECTION = "⚠️ 常见误区：卸载APP和退出、注销有本质区别"
SHARING_CORRECTION = "⚠️ 常见误区：学信网账号实名注册、一人一号"
ABNORMAL_SAID = "我学信网学籍突然显示异常了，可能是我把账号借给表哥用过，现在该找谁处理"


@pytest.mark.parametrize(
    "intent, platform, said, correction, answer",
    [
        # A belief stated, no question: the topic that holds the right procedure, corrected.
        ("deregister", ICVE, "卸载了APP账号应该就注销了吧", UNINSTALL_CORRECTION, ["提交注销申请"]),
        # A reported belief, then the question whether it holds: the belief's own topic, corrected.
        (
            "icve_uninstall_vs_deregister",
            ICVE,
            "同学说APP卸载了账号就注销了，所以卸载和注销到底差在哪",
            UNINSTALL_CORRECTION,
            ["不算。", "得另外走注销流程"],
        ),
        # Said seeking agreement, the belief asks whether it holds: its own topic, corrected.
        (
            "icve_uninstall_vs_deregister",
            ICVE,
            "我把APP卸了，账号就算注销了吧",
            UNINSTALL_CORRECTION,
            ["不算。", "得另外走注销流程"],
        ),
        # The belief is part of the story; the question is another topic the classifier is sure of.
        ("chsi_abnormal_status", CHSI, ABNORMAL_SAID, SHARING_CORRECTION, ["前往教务部门或联系客服人工处理"]),
    ],
)
def test_a_stated_belief_is_corrected_first(
    dispatcher, domain, tracker_for, intent, platform, said, correction, answer
):
    run(dispatcher, domain, tracker_for(intent, [platform], text=said))
    text = only_message(dispatcher)["text"]
    assert text.startswith(correction)
    assert all(words in text for words in answer)


def test_of_two_beliefs_the_one_of_the_classified_topic_is_answered(dispatcher, domain, tracker_for):
    # Both lending the account and a teacher collecting passwords fit this statement.
    said = "辅导员让我们把学信网密码发给她"
    run(dispatcher, domain, tracker_for("chsi_teacher_password", [CHSI], text=said))
    text = only_message(dispatcher)["text"]
    assert text.startswith("⚠️ 常见误区：学信网没有“主子账号”或“代管权限”功能")


def test_device_followup_saying_the_account_is_logged_in_there_too_asks_about_several_devices(
    dispatcher, domain, tracker_for
):
    slots = {"platform": "icve", "last_topic": "icve_close_app", "last_goal": "logout"}
    tablet = {"entity": "device", "value": "app"}
    run(dispatcher, domain, tracker_for("followup_device", [tablet], slots, text="那我平板上也登着呢"))
    assert only_message(dispatcher)["text"].startswith("不会一起退出。")


def test_unsure_of_the_question_beside_a_belief_the_beliefs_topic_is_answered(
    dispatcher, domain, tracker_for
):
    unsure = tracker_for("chsi_abnormal_status", [CHSI], text=ABNORMAL_SAID)
    unsure.latest_message["intent"]["confidence"] = 0.6
    run(dispatcher, domain, unsure)
    text = only_message(dispatcher)["text"]
    assert text.startswith(SHARING_CORRECTION) and "前往教务部门" not in text


def test_belief_of_another_platform_is_not_lectured(dispatcher, domain, tracker_for):
    said = "学校发的账号我交给老师统一管理了"
    run(dispatcher, domain, tracker_for("icve_school_account", text=said))
    assert "学信网" not in only_message(dispatcher)["text"]


def test_chsi_answer_cites_the_chsi_document(dispatcher, domain, tracker_for):
    run(dispatcher, domain, tracker_for("chsi_account_share"))
    text = only_message(dispatcher)["text"]
    assert text.startswith("不可以")
    assert "《学信网账号可以多人共用吗_学信网个人账户使用规范》" in text


def test_the_platform_of_the_question_wins_over_the_back_storys(dispatcher, domain, tracker_for):
    said = "我刚在学信网上查完学籍，职教云的APP怎么退出登录"
    named = [
        {"entity": "platform", "value": "chsi", "start": said.index("学信网")},
        {"entity": "platform", "value": "icve", "start": said.index("职教云")},
        {"entity": "device", "value": "app", "start": said.index("APP")},
    ]
    run(dispatcher, domain, tracker_for("logout", named, text=said))
    assert "1. 打开智慧职教APP" in only_message(dispatcher)["text"]
    # In a correction the platform named last is meant, in one clause too.
    corrected = "不是职教云是学信网"
    named = [
        {"entity": "platform", "value": "icve", "start": corrected.index("职教云")},
        {"entity": "platform", "value": "chsi", "start": corrected.index("学信网")},
    ]
    run(dispatcher, domain, tracker_for("inform_platform", named, text=corrected))
    assert dispatcher.messages[-1]["text"].startswith("关于学信网")


def placed_platforms(said, *names):
    """The platform entities of `said`, with their places, as the NLU gives them."""
    values = {"学信网": "chsi", "职教云": "icve", "智慧职教": "icve"}
    return [
        {
            "entity": "platform",
            "value": values[name],
            "start": said.index(name),
            "end": said.index(name) + len(name),
        }
        for name in names
    ]


@pytest.mark.parametrize(
    "said, intent, names",
    [
        # named as what the other is measured against
        ("学信网也像职教云一样能开设备验证吗", "icve_device_verification", ("学信网", "职教云")),
        ("学信网账号不想用了，怎么注销，跟职教云注销一个流程吗", "deregister", ("学信网", "职教云")),
        # named after the question's mark
        ("学信网改了密码，别的电脑会下线吗？职教云好像是2小时", "icve_password_change", ("学信网", "职教云")),
        # said to be wrong in a correction that names the meant one first
        ("学信网的设备验证怎么开，不是职教云的", "icve_device_verification", ("学信网", "职教云")),
    ],
)
def test_the_platform_asked_about_is_not_the_one_compared_with(
    dispatcher, domain, tracker_for, said, intent, names
):
    run(dispatcher, domain, tracker_for(intent, placed_platforms(said, *names), text=said))
    assert only_message(dispatcher)["text"].startswith("抱歉，我的资料里没有学信网")


def test_a_platform_joined_by_and_is_still_asked_about(dispatcher, domain, tracker_for):
    said = "职教云和学信网都登着，职教云APP怎么退出登录"
    run(
        dispatcher,
        domain,
        tracker_for("icve_logout_app", placed_platforms(said, "职教云", "学信网"), text=said),
    )
    assert "1. 打开智慧职教APP" in only_message(dispatcher)["text"]


def test_platform_named_alone_shows_its_menu(dispatcher, domain, tracker_for):
    events = run(dispatcher, domain, tracker_for("inform_platform", [CHSI]))
    message = only_message(dispatcher)
    assert message["text"].startswith("关于学信网")
    assert [b["payload"] for b in message["buttons"]][0] == "/chsi_account_share"
    assert events == [SlotSet("platform", "chsi")]


def test_unknown_intent_gets_the_fallback_not_a_crash(dispatcher, domain, tracker_for):
    assert run(dispatcher, domain, tracker_for("no_such_intent")) == []
    assert "没看懂" in only_message(dispatcher)["text"]


@pytest.mark.parametrize("intent", ["logout", "deregister"])
def test_answer_buttons_lead_to_known_intents_and_entities(dispatcher, domain, tracker_for, intent):
    run(dispatcher, domain, tracker_for(intent, [ICVE]))
    for button in only_message(dispatcher)["buttons"]:
        name, _, entities = button["payload"].lstrip("/").partition("{")
        assert name in domain["intents"], button
        if entities:
            for entity in json.loads("{" + entities):
                assert entity in domain["entities"], button


def test_out_of_scope_naming_another_platform_points_to_its_support(dispatcher, domain, tracker_for):
    run(dispatcher, domain, tracker_for("out_of_scope", [{"entity": "other_platform", "value": "支付宝"}]))
    assert "请联系支付宝的官方客服" in only_message(dispatcher)["text"]


def test_out_of_scope_without_a_platform_is_the_honest_refusal(dispatcher, domain, tracker_for):
    events = run(dispatcher, domain, tracker_for("out_of_scope"))
    message = only_message(dispatcher)
    assert "回答不了" in message["text"] and "信息化办公室" in message["text"]
    assert message["buttons"] == [{"title": "我能做什么", "payload": "/bot_capabilities"}]
    assert events == [SlotSet("pending_goal", None)]


def test_a_piece_of_writing_on_a_topic_is_refused(dispatcher, domain, tracker_for):
    run(dispatcher, domain, tracker_for("logout", [ICVE], text="帮我写一首关于职教云退出登录的诗"))
    assert "回答不了" in only_message(dispatcher)["text"]


def test_personal_data_gets_a_warning_before_the_answer(dispatcher, domain, tracker_for):
    tracker = tracker_for("icve_lost_device", [{"entity": "personal_data", "value": "phone"}])
    run(dispatcher, domain, tracker)
    warning, answer = dispatcher.messages
    assert warning["text"].startswith("⚠️ 请不要把身份证号、手机号、密码发给任何人")
    assert "强制下线所有设备" in answer["text"]


def test_personal_data_in_a_message_not_understood_is_still_warned_about(dispatcher, domain, tracker_for):
    run(dispatcher, domain, tracker_for("nlu_fallback", [{"entity": "personal_data", "value": "id_number"}]))
    warning, reply = dispatcher.messages
    assert "请不要把身份证号" in warning["text"] and "没看懂" in reply["text"]


def test_a_goal_named_alone_is_asked_even_when_the_classifier_doubts_it(dispatcher, domain, tracker_for):
    """ "注销": too short for the classifier to pass its fallback, but it ranks deregistering first and
    the message names it: which platform? (not "I don't understand")."""
    tracker = tracker_for(
        "nlu_fallback", [{"entity": "goal", "value": "deregister", "start": 0, "end": 2}], text="注销"
    )
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.35},
        {"name": "deregister", "confidence": 0.28},
        {"name": "icve_deregister_timing", "confidence": 0.11},
    ]
    events = run(dispatcher, domain, tracker)
    assert "哪个平台" in only_message(dispatcher)["text"]
    assert events == [SlotSet("pending_goal", "deregister")]


@pytest.mark.parametrize(
    "said", ["腾讯课堂也是这样吗", "那腾讯课堂的呢？", "换成腾讯课堂也一样吗", "腾讯课堂上面呢"]
)
def test_the_same_question_asked_again_of_a_compared_platform(dispatcher, domain, tracker_for, said):
    """After "注销以后数据还能找回来吗", "腾讯课堂也是这样吗" asks it of 腾讯课堂: the document's comparison,
    though the classifier's topic alone has none of the comparison's words."""
    start = said.index("腾讯课堂")
    tencent = {"entity": "other_platform", "value": "腾讯课堂", "start": start, "end": start + 4}
    tracker = tracker_for(
        "icve_compare_tencent",
        [tencent],
        {"platform": "icve", "last_topic": "icve_data_after_deregister"},
        text=said,
    )
    run(dispatcher, domain, tracker)
    assert "即时删除" in only_message(dispatcher)["text"]


def test_asked_whether_deregistering_takes_the_same_steps_as_on_a_compared_platform(
    dispatcher, domain, tracker_for
):
    said = "腾讯课堂我自己点几下就销了号，职教云销号是一样的步骤吗"
    tencent = {"entity": "other_platform", "value": "腾讯课堂", "start": 0, "end": 4}
    run(dispatcher, domain, tracker_for("deregister", [ICVE, tencent], text=said))
    assert "即时删除" in only_message(dispatcher)["text"]


@pytest.mark.parametrize(
    "last_topic, compared", [("icve_third_party_unbind", True), ("icve_password_change", False)]
)
def test_a_short_also_question_asks_the_last_question_of_the_platform(
    dispatcher, domain, tracker_for, last_topic, compared
):
    """ "腾讯课堂也得先解吗" repeats too few of the comparison's words to pass its check alone: after an
    unbinding question it is that question of 腾讯课堂 (compared); after a password question, which
    the document does not compare, it is 腾讯课堂's own."""
    said = "腾讯课堂也得先解吗"
    tencent = {"entity": "other_platform", "value": "腾讯课堂", "start": 0, "end": 4}
    tracker = tracker_for(
        "icve_compare_tencent", [tencent], {"platform": "icve", "last_topic": last_topic}, text=said
    )
    run(dispatcher, domain, tracker)
    assert ("即时删除" in only_message(dispatcher)["text"]) is compared


@pytest.mark.parametrize(
    "said, runner_up, asked",
    [
        # Only the goal and how to find it: which platform? (not "没看懂").
        ("退出到底在哪啊 找不到", "walkthrough_stuck", True),
        # Names logging out but asks something else: not the goal, a doubt.
        ("手机恢复出厂设置前要退出什么账号", "icve_pre_logout_checklist", False),
    ],
)
def test_a_doubted_goal_is_asked_its_platform_only_when_the_message_says_no_more(
    dispatcher, domain, tracker_for, said, runner_up, asked
):
    start = said.index("退出")
    tracker = tracker_for(
        "nlu_fallback", [{"entity": "goal", "value": "logout", "start": start, "end": start + 2}], text=said
    )
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.35},
        {"name": "logout", "confidence": 0.45},
        {"name": runner_up, "confidence": 0.43},
    ]
    run(dispatcher, domain, tracker)
    assert ("哪个平台" in only_message(dispatcher)["text"]) is asked


@pytest.mark.parametrize("close_app_confidence, answered", [(0.12, True), (0.05, False)])
def test_a_follow_up_without_a_topic_of_its_own_goes_on_with_the_last_topic(
    dispatcher, domain, tracker_for, close_app_confidence, answered
):
    """ "那最多能挂多长时间" after "关掉APP算退出吗": the classifier doubts, but still ranks the last
    topic among its first three; ranked that low, it is no reading of the message."""
    tracker = tracker_for("nlu_fallback", [], {"last_topic": "icve_close_app"}, text="那最多能挂多长时间")
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.35},
        {"name": "icve_deregister_status", "confidence": 0.19},
        {"name": "icve_close_app", "confidence": close_app_confidence},
    ]
    run(dispatcher, domain, tracker)
    assert ("72小时" in only_message(dispatcher)["text"]) is answered


def test_thanks_naming_the_topic_is_thanked_not_answered_again(dispatcher, domain, tracker_for):
    said = "谢谢，职教云网页版退出弄好了"
    run(dispatcher, domain, tracker_for("logout", [ICVE, WEB], text=said))
    assert only_message(dispatcher)["response"] == "utter_thank"


@pytest.mark.parametrize(
    "said, intent, reply",
    [
        ("笑死，室友说学信网账号借他玩玩，我直接拉黑了", "chsi_account_share", "out_of_scope"),
        ("职教云注销成功了，就是来说一声", "icve_deregister_status", "utter_thank"),
    ],
)
def test_a_joke_or_news_asking_nothing_gets_no_topic(
    dispatcher, domain, tracker_for, knowledge, said, intent, reply
):
    run(dispatcher, domain, tracker_for(intent, [], text=said))
    message = only_message(dispatcher)
    assert message.get("response") == reply or message.get("text") == knowledge.presentation.get(reply)


def test_a_question_past_what_the_student_knows_is_not_answered_with_it(
    dispatcher, domain, tracker_for, knowledge
):
    said = "学信网账号不能借人这个我懂，那毕业证的电子版在哪下载"
    run(dispatcher, domain, tracker_for("chsi_account_share", [], text=said))
    assert only_message(dispatcher)["text"] == knowledge.presentation["out_of_scope"]
    # Knowing what one must do, the question is still the topic's.
    dispatcher.messages.clear()
    said = "我知道学信网账号得自己用，可是室友借我的号算不算违规"
    run(dispatcher, domain, tracker_for("chsi_account_share", [], text=said))
    assert "不可以" in only_message(dispatcher)["text"]


def test_thanks_then_a_question_is_answered(dispatcher, domain, tracker_for):
    said = "谢谢，那网页版怎么退出"
    run(dispatcher, domain, tracker_for("logout", [ICVE, WEB], text=said))
    assert "Ctrl+Shift+Delete" in only_message(dispatcher)["text"]


@pytest.mark.parametrize("runner_up_confidence, answered", [(0.22, True), (0.1, False)])
def test_the_runner_up_answers_what_the_best_topic_does_not_fit(
    dispatcher, domain, tracker_for, runner_up_confidence, answered
):
    """Read first as lending the account, "想要两个学信网账号，同一个身份证能注册两个吗" has none of
    sharing's words: the runner-up, a second account, answers it when likely enough; else the
    honest refusal."""
    said = "想要两个学信网账号，同一个身份证能注册两个吗"
    tracker = tracker_for("chsi_account_share", [CHSI], text=said)
    tracker.latest_message["intent_ranking"] = [
        {"name": "chsi_account_share", "confidence": 1 - runner_up_confidence},
        {"name": "chsi_one_account", "confidence": runner_up_confidence},
    ]
    run(dispatcher, domain, tracker)
    assert ("只能对应一个" in only_message(dispatcher)["text"]) is answered


TENCENT = {"entity": "other_platform", "value": "腾讯课堂"}
SCHOOL_ACCOUNT = {"entity": "account", "value": "school"}


def test_a_fee_neither_document_states_is_said_so_with_the_topic_offered(
    dispatcher, domain, tracker_for, knowledge
):
    tracker = tracker_for("deregister", [ICVE], text="注销职教云要交钱吗")
    tracker.latest_message["intent_ranking"] = [{"name": "deregister", "confidence": 0.8}]
    run(dispatcher, domain, tracker)
    message = only_message(dispatcher)
    assert "没有写是否收费" in message["text"] and "步骤" not in message["text"]
    titles = [b["title"] for b in message["buttons"]]
    assert knowledge.topics["icve_deregister"]["title"] in titles


def test_a_fee_told_in_the_back_story_is_no_question_of_it(dispatcher, domain, tracker_for):
    said = "我申请过退款，现在职教云怎么注销"
    tracker = tracker_for("deregister", [ICVE], text=said)
    tracker.latest_message["question"] = "现在职教云怎么注销"
    run(dispatcher, domain, tracker)
    assert "注销步骤" in only_message(dispatcher)["text"]


@pytest.mark.parametrize(
    "said, question, intent, compared",
    [
        # The question names the platform the document compares: the comparison answers both.
        (
            "智慧职教注销后数据保留多久，腾讯课堂又是多久",
            "腾讯课堂又是多久",
            "icve_data_after_deregister",
            True,
        ),
        # Or asks whether ours is the same as the one told of before.
        ("腾讯课堂在设置里自己就能注销，职教云也是这样吗", "职教云也是这样吗", "deregister", True),
        # Named only in the back-story: the question is about ours alone.
        ("我腾讯课堂早就注销了，职教云怎么注销", "职教云怎么注销", "deregister", False),
    ],
)
def test_another_platform_the_document_compares_is_compared_when_the_question_asks_it(
    dispatcher, domain, tracker_for, said, question, intent, compared
):
    named = [{**ICVE, "start": said.index("职")}, {**TENCENT, "start": said.index("腾讯课堂")}]
    tracker = tracker_for(intent, named, text=said)
    tracker.latest_message["question"] = question
    run(dispatcher, domain, tracker)
    text = only_message(dispatcher)["text"]
    assert ("资料中的对比" in text) is compared
    assert "资料中的对比" in text or "注销步骤" in text or "90天" in text


def test_deregistering_a_school_account_gets_its_rule_not_the_steps(dispatcher, domain, tracker_for):
    said = "这是学校发的职教云号，想注销咋弄"
    events = run(dispatcher, domain, tracker_for("deregister", [ICVE, SCHOOL_ACCOUNT], text=said))
    assert "个人无法单方面" in only_message(dispatcher)["text"]
    assert SlotSet("last_topic", "icve_school_account") in events


def test_an_account_said_not_to_be_the_schools_gets_the_steps(dispatcher, domain, tracker_for):
    said = "这个职教云号是我自己开的，不是学校给的，怎么注销"
    run(dispatcher, domain, tracker_for("deregister", [ICVE, SCHOOL_ACCOUNT], text=said))
    text = only_message(dispatcher)["text"]
    assert "注销步骤" in text and not text.startswith("不能自己单方面处理")


@pytest.mark.parametrize("confidence, corrected", [(0.9, True), (0.3, False)])
def test_a_belief_said_in_other_words_is_corrected_when_the_classifier_is_sure(
    dispatcher, domain, tracker_for, knowledge, confidence, corrected
):
    tracker = tracker_for("icve_close_app", [], text="app一关账号自然就下线了")
    tracker.latest_message["intent_ranking"] = [{"name": "icve_close_app", "confidence": confidence}]
    run(dispatcher, domain, tracker)
    correction = knowledge.misconceptions["close_app_is_logout"]["correction"]
    opener = knowledge.presentation["misconception"].format(correction=correction)
    assert only_message(dispatcher)["text"].startswith(opener) is corrected


def test_a_follow_up_naming_the_other_platform_asks_the_last_question_of_it(dispatcher, domain, tracker_for):
    """ "职教云呢，也不能借吗" after a 学信网 answer, read as a device follow-up: the documents say nothing
    of lending a 智慧职教 account, and the bot says so rather than repeat the 学信网 answer."""
    said = "职教云呢，也不能借吗"
    slots = {"platform": "chsi", "last_topic": "chsi_account_share"}
    events = run(dispatcher, domain, tracker_for("followup_device", [{**ICVE, "start": 0}], slots, text=said))
    text = only_message(dispatcher)["text"]
    assert "资料里没有智慧职教" in text and "不可以" not in text
    assert SlotSet("platform", "icve") in events


def test_help_to_cheat_asked_after_an_account_question_is_refused_after_its_answer(
    dispatcher, domain, tracker_for
):
    tracker = tracker_for("deregister", [ICVE], text="职教云怎么注销？")
    tracker.latest_message["other_questions"] = ["顺便找个人帮我代刷网课", "注销后手机号还能用吗"]
    run(dispatcher, domain, tracker)
    answer, offer, refusal = dispatcher.messages
    assert "注销步骤" in answer["text"]
    assert [b["payload"] for b in offer["buttons"]] == ["注销后手机号还能用吗"]
    assert refusal["response"] == "utter_request_cheating"


@pytest.mark.parametrize("other, compared", [("那腾讯课堂又要多久", True), ("注销后手机号还能用吗", False)])
def test_a_second_question_asking_the_first_again_of_a_compared_platform(
    dispatcher, domain, tracker_for, other, compared
):
    """ "职教云销号后记录存几天？那腾讯课堂又要多久": the comparison answers both, nothing left to offer."""
    tracker = tracker_for(
        "icve_data_after_deregister", [{**ICVE, "start": 0}], text="职教云销号后记录存几天？"
    )
    tracker.latest_message["other_questions"] = [other]
    run(dispatcher, domain, tracker)
    assert ("即时删除" in dispatcher.messages[0]["text"]) is compared
    offered = [b["payload"] for m in dispatcher.messages[1:] for b in m.get("buttons") or []]
    assert (other in offered) is not compared


def test_help_to_cheat_asked_first_refuses_the_whole_message(dispatcher, domain, tracker_for):
    tracker = tracker_for("request_cheating", [ICVE], text="帮我找人代刷网课？")
    tracker.latest_message["other_questions"] = ["职教云怎么注销"]
    run(dispatcher, domain, tracker)
    assert only_message(dispatcher)["response"] == "utter_request_cheating"


def test_help_to_cheat_after_a_question_about_course_work_refuses_the_whole_message(
    dispatcher, domain, tracker_for
):
    tracker = tracker_for("icve_phone_reuse", [ICVE], text="智慧职教注销了能帮我换个号继续刷课吗，")
    tracker.latest_message["other_questions"] = ["有没有代刷的"]
    run(dispatcher, domain, tracker)
    assert only_message(dispatcher)["response"] == "utter_request_cheating"


def test_a_topic_button_is_answered_as_its_topic_not_read_as_a_belief(
    dispatcher, domain, tracker_for, knowledge
):
    tracker = tracker_for("icve_close_app", [], text="/icve_close_app")
    tracker.latest_message["intent_ranking"] = [{"name": "icve_close_app", "confidence": 1.0}]
    events = run(dispatcher, domain, tracker)
    assert SlotSet("last_topic", "icve_close_app") in events


def test_a_length_of_time_named_is_answered_by_the_topic_giving_it(dispatcher, domain, tracker_for):
    # Read as when a deregistration takes effect, it names how long the data is kept: 90天.
    timed = tracker_for("icve_deregister_status", [ICVE], text="职教云号销掉后，学习记录还会保存几天")
    run(dispatcher, domain, timed)
    assert "90天" in dispatcher.messages[0]["text"] and "3个工作日" not in dispatcher.messages[0]["text"]


def test_unsure_between_two_topics_the_one_giving_the_length_of_time_named_answers(
    dispatcher, domain, tracker_for
):
    unsure = tracker_for("nlu_fallback", text="销户一般要多久")
    unsure.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.35},
        {"name": "deregister", "confidence": 0.37},
        {"name": "icve_deregister_status", "confidence": 0.36},
    ]
    run(dispatcher, domain, unsure)
    assert "3个工作日" in dispatcher.messages[0]["text"]


def test_another_platforms_length_of_time_is_not_the_documents(dispatcher, domain, tracker_for):
    other = {"entity": "other_platform", "value": "钉钉"}
    run(
        dispatcher,
        domain,
        tracker_for("icve_data_after_deregister", [ICVE, other], text="钉钉的号销掉后几天能好"),
    )
    assert "3个工作日" not in dispatcher.messages[0]["text"]
