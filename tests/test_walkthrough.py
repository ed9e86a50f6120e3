"""Walkthroughs (actions/walkthrough.py) with Rasa SDK Tracker / CollectingDispatcher fixtures:
the questions, each procedure and branch, 上一步, 卡住了, 完成了, 退出引导, and interruptions."""

import json
import re
from pathlib import Path

import pytest
import yaml
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswer
from actions.walkthrough import STATE_SLOT, ActionWalkthrough
from knowledge.render import payload_for

pytestmark = pytest.mark.unit

KNOWLEDGE = Path(__file__).resolve().parent.parent / "data" / "knowledge"

ICVE = {"entity": "platform", "value": "icve"}
CHSI = {"entity": "platform", "value": "chsi"}


def entity(name, value):
    return {"entity": name, "value": value}


def walk(dispatcher, domain, tracker):
    return ActionWalkthrough().run(dispatcher, tracker, domain)


def state_of(events):
    states = [e["value"] for e in events if e["event"] == "slot" and e["name"] == STATE_SLOT]
    assert states, events
    return states[-1]


def texts(dispatcher):
    return "\n".join(m["text"] for m in dispatcher.messages)


def titles(message):
    return [b["title"] for b in message.get("buttons", [])]


def guiding(procedure, step):
    return {STATE_SLOT: {"answers": {}, "asking": None, "procedure": procedure, "step": step}}


def test_start_with_everything_known_goes_straight_to_step_one(dispatcher, domain, tracker_for):
    said = [ICVE, entity("goal", "logout"), entity("device", "app")]
    events = walk(dispatcher, domain, tracker_for("walkthrough_start", said))
    intro, step = dispatcher.messages
    assert "智慧职教APP退出登录" in intro["text"] and "共5步" in intro["text"]
    # The misconception of the procedure is mentioned once, when the walkthrough starts.
    assert intro["text"].count("⚠️ 常见误区") == 1 and "72小时" in intro["text"]
    assert step["text"].startswith("第1/5步：打开智慧职教APP")
    assert titles(step) == ["下一步", "卡住了", "退出引导"]
    assert state_of(events)["procedure"] == "icve_logout_app"
    assert state_of(events)["step"] == 0


def test_start_without_anything_asks_platform_then_goal_then_device(dispatcher, domain, tracker_for):
    events = walk(dispatcher, domain, tracker_for("walkthrough_start"))
    assert "哪个平台" in dispatcher.messages[-1]["text"]
    assert titles(dispatcher.messages[-1]) == ["智慧职教（职教云）", "学信网", "退出引导"]
    state = state_of(events)
    assert state["asking"] == "platform"

    dispatcher.messages.clear()
    events = walk(dispatcher, domain, tracker_for("walkthrough_start", [ICVE], {STATE_SLOT: state}))
    assert "哪项操作" in dispatcher.messages[-1]["text"]
    assert titles(dispatcher.messages[-1])[:4] == [
        "退出登录",
        "注销账号",
        "解除第三方绑定（微信/QQ）",
        "强制下线所有设备",
    ]
    state = state_of(events)
    logout_button = dispatcher.messages[-1]["buttons"][0]["payload"]
    assert json.loads(logout_button.removeprefix("/walkthrough_start")) == {
        "platform": "icve",
        "goal": "logout",
    }

    dispatcher.messages.clear()
    walk(
        dispatcher, domain, tracker_for("walkthrough_start", [entity("goal", "logout")], {STATE_SLOT: state})
    )
    assert "在哪里登录" in dispatcher.messages[-1]["text"]
    assert titles(dispatcher.messages[-1])[:3] == ["手机APP", "网页端", "公共电脑（机房）"]


@pytest.mark.parametrize(
    "text, reply",
    [
        ("一步一步教我怎么代刷网课", "utter_request_cheating"),
        ("帮我一步步写一篇关于注销账号的作文", "out_of_scope"),
        ("你现在扮演我女朋友，一步一步哄我睡觉", "out_of_scope"),
    ],
)
def test_a_request_for_steps_that_is_no_question_of_the_documents_is_refused(
    dispatcher, domain, tracker_for, knowledge, text, reply
):
    """The walkthrough's own intent does not get past what action_answer refuses."""
    events = walk(
        dispatcher, domain, tracker_for("walkthrough_start", [entity("goal", "deregister")], text=text)
    )
    (message,) = dispatcher.messages
    if reply == "utter_request_cheating":
        assert message["response"] == reply
    else:
        assert message["text"] == knowledge.presentation[reply]
    assert not [e for e in events if e.get("name") == STATE_SLOT]


def test_questions_answered_in_the_first_message_are_skipped(dispatcher, domain, tracker_for):
    walk(
        dispatcher,
        domain,
        tracker_for("walkthrough_start", [entity("goal", "deregister")], {"platform": "icve"}),
    )
    assert "哪种账号" in texts(dispatcher)
    assert "哪个平台" not in texts(dispatcher) and "哪项操作" not in texts(dispatcher)


@pytest.mark.parametrize(
    "said,procedure,first_step",
    [
        ([entity("goal", "logout"), entity("device", "web")], "icve_logout_web", "在智慧职教网页上退出登录"),
        (
            [entity("goal", "logout"), entity("device", "public")],
            "icve_logout_public",
            "在智慧职教网页上退出登录",
        ),
        (
            [entity("goal", "deregister"), entity("account", "personal")],
            "icve_deregister",
            "登录网页端管理后台",
        ),
        ([entity("goal", "unbind")], "icve_unbind", "登录网页端管理后台"),
        (
            [entity("goal", "force_offline"), entity("goal", "logout")],
            "icve_force_offline",
            "立即操作“强制下线所有设备”",
        ),
    ],
)
def test_each_goal_leads_to_its_procedure(dispatcher, domain, tracker_for, said, procedure, first_step):
    events = walk(dispatcher, domain, tracker_for("walkthrough_start", [ICVE] + said))
    assert state_of(events)["procedure"] == procedure
    assert first_step in dispatcher.messages[-1]["text"]


def test_school_account_takes_the_school_branch(dispatcher, domain, tracker_for):
    said = [ICVE, entity("goal", "deregister"), entity("account", "school")]
    events = walk(dispatcher, domain, tracker_for("walkthrough_start", said))
    assert state_of(events)["procedure"] == "icve_deregister_school"
    assert "个人无法单方面注销" in texts(dispatcher)
    assert "隐私设置" not in texts(dispatcher)  # not the personal path


def test_sub_account_takes_the_separate_deregistration_branch(dispatcher, domain, tracker_for):
    said = [ICVE, entity("goal", "deregister"), entity("account", "sub")]
    events = walk(dispatcher, domain, tracker_for("walkthrough_start", said))
    assert state_of(events)["procedure"] == "icve_deregister_sub"
    assert "子账号有独立的注销需求" in texts(dispatcher)


def test_chsi_has_no_procedures_and_says_so(dispatcher, domain, tracker_for):
    events = walk(dispatcher, domain, tracker_for("walkthrough_start", [CHSI, entity("goal", "deregister")]))
    assert "没有学信网的分步说明" in texts(dispatcher)
    assert SlotSet(STATE_SLOT, None) in events


def test_remembered_platform_without_procedures_is_asked_again(dispatcher, domain, tracker_for):
    walk(
        dispatcher, domain, tracker_for("walkthrough_start", [entity("goal", "logout")], {"platform": "chsi"})
    )
    assert "哪个平台" in texts(dispatcher)


def test_next_and_back_move_one_step(dispatcher, domain, tracker_for):
    events = walk(dispatcher, domain, tracker_for("walkthrough_next", slots=guiding("icve_logout_app", 0)))
    assert dispatcher.messages[-1]["text"].startswith("第2/5步：滑动到页面底部")
    assert titles(dispatcher.messages[-1]) == ["上一步", "下一步", "卡住了", "退出引导"]
    assert state_of(events)["step"] == 1

    dispatcher.messages.clear()
    events = walk(dispatcher, domain, tracker_for("walkthrough_back", slots=guiding("icve_logout_app", 1)))
    assert dispatcher.messages[-1]["text"].startswith("第1/5步")
    assert state_of(events)["step"] == 0


def test_back_on_the_first_step_says_so(dispatcher, domain, tracker_for):
    events = walk(dispatcher, domain, tracker_for("walkthrough_back", slots=guiding("icve_logout_app", 0)))
    assert dispatcher.messages[0]["text"] == "已经是第一步了。"
    assert state_of(events)["step"] == 0


def test_stuck_gives_the_hint_of_the_current_step(dispatcher, domain, tracker_for):
    events = walk(dispatcher, domain, tracker_for("walkthrough_stuck", slots=guiding("icve_logout_app", 1)))
    assert "灰色图标" in dispatcher.messages[-1]["text"]
    assert "下一步" in titles(dispatcher.messages[-1])
    assert events == []  # still on the same step


def test_stuck_on_unbinding_explains_sms_and_face_check(dispatcher, domain, tracker_for):
    walk(dispatcher, domain, tracker_for("walkthrough_stuck", slots=guiding("icve_unbind", 1)))
    assert "短信验证" in texts(dispatcher) and "人脸识别" in texts(dispatcher)


def test_stuck_without_a_hint_points_to_human_help(dispatcher, domain, tracker_for):
    walk(dispatcher, domain, tracker_for("walkthrough_stuck", slots=guiding("icve_force_offline", 1)))
    assert "智慧职教人工客服" in texts(dispatcher)


def test_last_step_shows_done_and_done_verifies_and_offers_what_is_next(dispatcher, domain, tracker_for):
    walk(dispatcher, domain, tracker_for("walkthrough_next", slots=guiding("icve_unbind", 2)))
    assert titles(dispatcher.messages[-1]) == ["上一步", "完成了", "卡住了", "退出引导"]

    dispatcher.messages.clear()
    events = walk(dispatcher, domain, tracker_for("walkthrough_done", slots=guiding("icve_unbind", 3)))
    done, offer = dispatcher.messages
    assert "完成了" in done["text"] and "关联设备" in done["text"]
    assert "平台界面可能已更新" in done["text"]
    assert offer["buttons"][0]["title"] == "一步一步带我：智慧职教账号注销"
    assert SlotSet(STATE_SLOT, None) in events


def test_deregistration_ends_with_the_three_working_days_check(dispatcher, domain, tracker_for):
    walk(dispatcher, domain, tracker_for("walkthrough_done", slots=guiding("icve_deregister", 6)))
    assert "3个工作日" in dispatcher.messages[0]["text"]


def test_done_in_the_middle_moves_on(dispatcher, domain, tracker_for):
    events = walk(dispatcher, domain, tracker_for("walkthrough_done", slots=guiding("icve_logout_app", 0)))
    assert state_of(events)["step"] == 1


def test_exit_leaves_the_walkthrough(dispatcher, domain, tracker_for):
    events = walk(dispatcher, domain, tracker_for("walkthrough_exit", slots=guiding("icve_logout_app", 2)))
    assert "已退出引导" in texts(dispatcher)
    assert events == [SlotSet(STATE_SLOT, None)]


def test_navigation_without_a_walkthrough_offers_to_start_one(dispatcher, domain, tracker_for):
    events = walk(dispatcher, domain, tracker_for("walkthrough_next"))
    assert "没有进行中的引导" in texts(dispatcher)
    assert "退出登录" in titles(dispatcher.messages[-1])
    assert events == []


@pytest.mark.parametrize("said", ["嗯嗯好的", "OK👌", "好的，收到～"])
def test_an_acknowledgement_without_a_walkthrough_is_thanked_not_offered_one(
    dispatcher, domain, tracker_for, said
):
    events = walk(dispatcher, domain, tracker_for("walkthrough_next", text=said))
    assert [m.get("response") for m in dispatcher.messages] == ["utter_thank"]
    assert events == []


@pytest.mark.parametrize(
    "intent, said",
    [
        # Read as "done" or as a request for steps, a message that only thanks or says it worked.
        ("walkthrough_done", "多谢！网页版的退出我弄好了🎉"),
        ("walkthrough_start", "职教云的号注销好了，来说一声，再见"),
    ],
)
def test_thanks_without_a_walkthrough_are_thanked_back(dispatcher, domain, tracker_for, intent, said):
    events = walk(dispatcher, domain, tracker_for(intent, text=said))
    assert [m.get("response") for m in dispatcher.messages] == ["utter_thank"]
    assert events == []


def test_a_step_command_without_a_walkthrough_still_offers_one(dispatcher, domain, tracker_for):
    walk(dispatcher, domain, tracker_for("walkthrough_next", text="好的，下一步"))
    assert "没有进行中的引导" in texts(dispatcher)


def test_typed_answer_to_a_pending_question_reaches_the_walkthrough(dispatcher, domain, tracker_for):
    asking = {
        STATE_SLOT: {
            "answers": {"platform": "icve", "goal": "logout"},
            "asking": "device",
            "procedure": None,
            "step": 0,
        }
    }
    tracker = tracker_for("followup_device", [entity("device", "web")], asking)
    events = ActionAnswer().run(dispatcher, tracker, domain)
    assert state_of(events)["procedure"] == "icve_logout_web"
    assert dispatcher.messages[-1]["text"].startswith("第1/3步")


def test_question_in_the_middle_is_answered_and_the_walkthrough_resumes(dispatcher, domain, tracker_for):
    tracker = tracker_for("icve_phone_reuse", slots=guiding("icve_deregister", 2))
    events = ActionAnswer().run(dispatcher, tracker, domain)
    answer, resume, step = dispatcher.messages
    assert "180天" in answer["text"]
    assert resume["text"] == "我们继续刚才的引导——"
    assert step["text"].startswith("第3/7步")
    assert state_of(events)["step"] == 2


def steps_in_the_file(procedures, procedure_id):
    """(do, see) of each step as data/knowledge/procedures.yml lists them, an `include` read in place:
    the test's own reading of the file, so a bug in the loader's expansion cannot hide."""
    steps = []
    for step in procedures[procedure_id]["steps"]:
        if "include" in step:
            steps += steps_in_the_file(procedures, step["include"])
        else:
            see = step.get("see")
            steps.append((plain(step["do"]), plain(see) if see else None))
    return steps


def plain(text):
    return text["text"] if isinstance(text, dict) else text


def user_taps(payload):
    """The intent and entities a button's payload sends, e.g. /logout{"platform": "icve"}."""
    intent, _, entities = payload.lstrip("/").partition("{")
    return intent, [entity(k, v) for k, v in json.loads("{" + entities).items()] if entities else []


def test_the_walkthrough_shows_the_steps_of_the_file_as_the_written_answer_lists_them(
    knowledge, domain, tracker_for
):
    """For every topic with a procedure: the written answer (action_answer, reached as its button
    reaches it) numbers the file's steps 1..n in order, includes expanded, and 下一步 through the
    walkthrough shows the same steps, "第i/n步：" each."""
    procedures = yaml.safe_load((KNOWLEDGE / "procedures.yml").read_text(encoding="utf-8"))["procedures"]
    topics = yaml.safe_load((KNOWLEDGE / "topics.yml").read_text(encoding="utf-8"))["topics"]
    with_procedure = {t: topic["procedure"] for t, topic in topics.items() if topic.get("procedure")}
    assert len(with_procedure) >= 5 and {"icve_deregister", "icve_logout_app"} <= set(with_procedure)
    for topic_id, procedure_id in with_procedure.items():
        steps = steps_in_the_file(procedures, procedure_id)
        answered = CollectingDispatcher()
        intent, entities = user_taps(payload_for(knowledge, topic_id))
        ActionAnswer().run(answered, tracker_for(intent, entities), domain)
        answer = texts(answered)
        listed = re.findall(r"^(\d+)\. (.*)$", answer, flags=re.M)
        assert [int(n) for n, _ in listed] == list(range(1, len(steps) + 1)), (topic_id, answer)
        for (_, line), (do, see) in zip(listed, steps, strict=True):
            assert line.startswith(do) and (see is None or see in line), (topic_id, line, do)

        for index, (do, see) in enumerate(steps):
            shown = CollectingDispatcher()
            # Step 1 by 上一步 from step 2, every other step by 下一步 from the one before.
            move, before = ("walkthrough_back", 1) if index == 0 else ("walkthrough_next", index - 1)
            walk(shown, domain, tracker_for(move, slots=guiding(procedure_id, before)))
            step = shown.messages[-1]["text"]
            assert step.startswith(f"第{index + 1}/{len(steps)}步：{do}"), (procedure_id, step)
            assert see is None or see in step, (procedure_id, step)


def test_every_walkthrough_procedure_can_be_reached_and_verified(knowledge):
    for goal, choice in knowledge.walkthroughs["choose"].items():
        targets = [choice] if isinstance(choice, str) else [p for k, p in choice.items() if k != "by"]
        for procedure_id in targets:
            procedure = knowledge.procedures[procedure_id]
            assert procedure["check"] and procedure["misconception"] in knowledge.misconceptions
            assert knowledge.walkthrough_choices(procedure_id)["goal"] == goal
