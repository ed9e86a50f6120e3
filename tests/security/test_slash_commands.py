"""Issue 15, finding 5: students typing Rasa's slash syntax (`/intent{"entity": value}`).

Only the payloads the bot's own buttons send are read as commands (channels/payloads.py, applied by
the message gate of every channel); anything else starting with "/" is read as ordinary text. Behind
that, the actions and the Rasa server's fallback treat an entity or slot value of the wrong type or
an unknown id as unset, and echo another platform's name only when it is short and plain.
"""

import asyncio
import json
from types import SimpleNamespace

import pytest
import requests
import yaml
from rasa_sdk.events import SlotSet

from actions.answer import ActionAnswer
from actions.walkthrough import ActionWalkthrough
from harness.bot import ROOT, new_sender, say

APP_STEPS = "“账户与安全”→“退出登录”"
DEREGISTER_STEPS = "“隐私设置”提交注销申请"
ATTACKER = "http://evil.example/"
# What the Rasa server says when the action failed: not a normal answer.
ACTION_FAILED = "系统暂时有点忙"


def texts(reply):
    return "\n".join(m.get("text") or "" for m in reply)


def post(webhook, sender, message):
    """The REST webhook's raw answer (status code included)."""
    return requests.post(webhook, json={"sender": sender, "message": message}, timeout=60)


# ---- on the real bot, over REST ----
@pytest.mark.e2e
def test_a_dict_as_platform_does_not_wedge_the_conversation(webhook):
    sender = new_sender()
    first = post(webhook, sender, '/logout{"platform":{"a":1}}')
    assert first.status_code == 200 and texts(first.json()).strip(), first.text
    assert ACTION_FAILED not in texts(first.json())
    for question in ("智慧职教APP怎么退出登录", "职教云app咋登出"):
        assert APP_STEPS in texts(say(webhook, sender, question))


@pytest.mark.e2e
def test_an_unknown_platform_id_gets_a_normal_answer(webhook):
    sender = new_sender()
    assert texts(say(webhook, sender, "/logout")).strip()
    reply = post(webhook, sender, '/inform_platform{"platform":"evil"}')
    assert reply.status_code == 200 and texts(reply.json()).strip(), reply.text
    assert "evil" not in texts(reply.json()) and ACTION_FAILED not in texts(reply.json())
    assert APP_STEPS in texts(say(webhook, sender, "智慧职教APP怎么退出登录"))


@pytest.mark.e2e
def test_a_long_other_platform_is_not_echoed(webhook):
    injected = (ATTACKER + "请立即点击此链接重新登录并输入密码，否则账号将被注销。") * 8
    injected = injected[:450]
    message = "/logout" + json.dumps({"other_platform": injected}, ensure_ascii=False)
    assert len(message) <= 500  # under the message-length limit: it reaches the bot
    reply = say(webhook, new_sender(), message)
    said = texts(reply)
    assert said.strip() and ACTION_FAILED not in said, reply
    assert "evil.example" not in said and "http" not in said and "点击此链接" not in said


@pytest.mark.e2e
def test_a_short_link_as_other_platform_is_not_echoed(webhook):
    reply = say(webhook, new_sender(), '/logout{"other_platform": "evil.example/x"}')
    assert texts(reply).strip() and "evil.example" not in texts(reply)


@pytest.mark.e2e
def test_the_real_buttons_still_work(webhook):
    sender = new_sender()
    assert "哪个平台" in texts(say(webhook, sender, "我想注销"))
    assert DEREGISTER_STEPS in texts(say(webhook, sender, '/inform_platform{"platform": "icve"}'))
    assert APP_STEPS in texts(say(webhook, new_sender(), '/logout{"platform": "icve", "device": "app"}'))
    assert "学信网" in texts(say(webhook, new_sender(), "/chsi_account_share"))


@pytest.mark.e2e
def test_walkthrough_buttons_in_any_order_of_answers_still_work(webhook):
    """The walkthrough's buttons carry the answers so far in the order they were given."""
    sender = new_sender()
    reply = say(webhook, sender, "一步一步教我在APP上退出")
    buttons = {b["title"]: b["payload"] for m in reply for b in m.get("buttons") or []}
    if "智慧职教（职教云）" in buttons:  # asked for the platform: press its button
        reply = say(webhook, sender, buttons["智慧职教（职教云）"])
    assert "第1/5步" in texts(reply), reply
    assert "第2/5步" in texts(say(webhook, sender, "/walkthrough_next"))
    assert "已退出引导" in texts(say(webhook, sender, "/walkthrough_exit"))


# ---- the allow-list itself ----
def domain_payloads():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return [
        b["payload"].replace("{{", "{").replace("}}", "}")
        for variants in domain["responses"].values()
        for v in variants
        for b in v.get("buttons") or []
    ]


@pytest.mark.unit
def test_every_button_payload_passes_unchanged_and_others_lose_the_slash():
    from channels.payloads import user_text

    for payload in domain_payloads() + [
        '/inform_platform{"platform": "chsi"}',
        "/out_of_scope",
        "/bot_capabilities",
        "/walkthrough_exit",
        '/walkthrough_start{"goal": "logout", "device": "app", "platform": "icve"}',
    ]:
        assert user_text(payload) == payload
    assert user_text("智慧职教怎么退出") == "智慧职教怎么退出"
    assert user_text('/logout{"platform":{"a":1}}') == 'logout{"platform":{"a":1}}'
    assert user_text('/inform_platform{"platform":"evil"}') == 'inform_platform{"platform":"evil"}'
    assert user_text("//rehearsal_start") == "rehearsal_start"
    assert not user_text(" /logout@0.1").lstrip().startswith("/")
    assert user_text("/restart") == "restart"


# ---- behind the gate: the actions and the Rasa server's fallback ----
BAD_VALUES = [{"a": 1}, ["icve"], 7, "evil"]


@pytest.mark.unit
@pytest.mark.parametrize("bad", BAD_VALUES)
def test_answer_action_treats_a_bad_platform_slot_as_unset(dispatcher, domain, tracker_for, bad):
    tracker = tracker_for(
        "inform_platform", [{"entity": "platform", "value": bad}], {"platform": bad, "pending_goal": "logout"}
    )
    events = ActionAnswer().run(dispatcher, tracker, domain)
    assert dispatcher.messages and "哪个平台" in dispatcher.messages[-1]["text"]
    assert SlotSet("platform", None) in events


@pytest.mark.unit
@pytest.mark.parametrize("bad", BAD_VALUES)
def test_answer_action_ignores_bad_entity_values(dispatcher, domain, tracker_for, bad):
    entities = [{"entity": e, "value": bad} for e in ("platform", "device", "other_platform", "goal")]
    tracker = tracker_for("logout", entities + [{"entity": "platform", "value": "icve"}])
    ActionAnswer().run(dispatcher, tracker, domain)
    assert APP_STEPS in dispatcher.messages[-1]["text"]


@pytest.mark.unit
def test_bad_pending_and_last_goal_slots_are_reset(dispatcher, domain, tracker_for):
    tracker = tracker_for(
        "followup_device",
        [{"entity": "device", "value": "web"}],
        {"platform": "icve", "last_goal": {"a": 1}, "pending_goal": "evil"},
    )
    events = ActionAnswer().run(dispatcher, tracker, domain)
    assert "Ctrl+Shift+Delete" in dispatcher.messages[-1]["text"]
    assert SlotSet("pending_goal", None) in events


@pytest.mark.unit
@pytest.mark.parametrize("bad", BAD_VALUES)
def test_walkthrough_treats_bad_values_as_unset(dispatcher, domain, tracker_for, bad):
    entities = [{"entity": e, "value": bad} for e in ("platform", "goal", "device", "account")]
    tracker = tracker_for("walkthrough_start", entities, {"platform": bad, "walkthrough": bad})
    events = ActionWalkthrough().run(dispatcher, tracker, domain)
    assert "哪个平台" in dispatcher.messages[-1]["text"]
    assert SlotSet("platform", None) in events


@pytest.mark.unit
@pytest.mark.parametrize(
    "other, echoed",
    [
        ("雨课堂", True),
        ("学习通", True),
        ("x" * 13, False),
        (ATTACKER, False),
        ("evil.example", False),
        ("<b>雨课堂</b>", False),
        ("雨课堂[点我](x)", False),
        ("a\nb", False),
    ],
)
def test_other_platform_is_echoed_only_when_short_and_plain(dispatcher, domain, tracker_for, other, echoed):
    ActionAnswer().run(
        dispatcher, tracker_for("logout", [{"entity": "other_platform", "value": other}]), domain
    )
    text = dispatcher.messages[-1]["text"]
    assert "不在我能回答的范围内" in text
    assert (other in text) == echoed, text


class FallbackTracker:
    def __init__(self, intent, entities, slots):
        self.latest_message = SimpleNamespace(intent={"name": intent}, entities=entities)
        self.slots = slots

    def get_slot(self, name):
        return self.slots.get(name)


@pytest.mark.unit
@pytest.mark.parametrize("bad", BAD_VALUES)
def test_the_rasa_server_fallback_ignores_bad_values(bad):
    from server.fallback import static_answers

    tracker = FallbackTracker(
        "logout",
        [{"entity": "platform", "value": bad}, {"entity": "device", "value": bad}],
        {"platform": bad},
    )
    domain = SimpleNamespace(responses={})
    answers = asyncio.run(static_answers(None, tracker, SimpleNamespace(name=lambda: "rest"), domain))
    assert answers and answers[-1].text  # the short apology, not an exception

    tracker = FallbackTracker(
        "logout",
        [{"entity": "platform", "value": bad}, {"entity": "platform", "value": "icve"}],
        {"platform": bad},
    )
    answers = asyncio.run(static_answers(None, tracker, SimpleNamespace(name=lambda: "rest"), domain))
    assert APP_STEPS in answers[-1].text
