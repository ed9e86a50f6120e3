"""End to end over the REST channel: a real Rasa server and action server, Chinese as students write it.

Each case is a conversation; every bot turn must contain the expected phrases (the facts a user needs).
"""

import pytest

from harness.bot import answer_text, new_sender, say

pytestmark = pytest.mark.e2e

ASK_PLATFORM = "哪个平台"
APP_STEPS = "“账户与安全”→“退出登录”"
WEB_STEPS = "Ctrl+Shift+Delete"
DEREGISTER_STEPS = "“隐私设置”提交注销申请"
CANNOT_ANSWER = "回答不了"
NOT_UNDERSTOOD = "没看懂"
OTHER_PLATFORM = "不在我能回答的范围内"
SOURCE = "📄 来源"

CONVERSATIONS = {
    "icve logout": [("智慧职教怎么退出账号", [APP_STEPS, "72小时", SOURCE])],
    "colloquial alias": [("职教云app咋登出", [APP_STEPS])],
    "typo": [("智慧职叫怎么推出登录啊", [APP_STEPS])],
    "english alias": [("icve的app怎么logout", [APP_STEPS])],
    "traditional": [("學信網帳號可以多人共用嗎", ["不可以", "学信网"])],
    "chsi share": [("学信网账号可以共用吗", ["不可以", "身份"])],
    "chsi typo": [("学信王账号能借给室友用吗", ["不可以"])],
    "lost phone": [("手机丢了上面登着智慧职教怎么办", ["强制下线所有设备", "2小时"])],
    "stated misconception is corrected": [
        ("我直接把职教云app关了，应该算退出了吧", ["⚠️ 常见误区", "72小时", APP_STEPS]),
    ],
    "teacher collects passwords": [("辅导员让我们把学信网密码交给他统一弄", ["代管", "本人"])],
    "clarify logout": [
        ("怎么退出账号", [ASK_PLATFORM]),
        ("智慧职教", [APP_STEPS]),
        ("那网页版呢", [WEB_STEPS, "Cookies"]),
    ],
    "clarify with button": [
        ("我想注销", [ASK_PLATFORM]),
        ('/inform_platform{"platform": "icve"}', [DEREGISTER_STEPS, "3个工作日"]),
        ("注销以后手机号还能用吗", ["180天"]),
    ],
    "chsi has no deregistration in the documents": [
        ("学信网账号怎么注销", ["没有", "学信网客服"]),
    ],
    "near miss other platform": [("雨课堂怎么退出登录", [OTHER_PLATFORM, "雨课堂"])],
    "near miss alipay": [("支付宝账号怎么注销", [OTHER_PLATFORM])],
    # The school's own systems are not the documents' platforms.
    "near miss school portal": [("学校门户网站的账号怎么退出登录", [OTHER_PLATFORM, "学校门户"])],
    # Ours only in the back-story: the question is the other platform's.
    "near miss after a back-story of ours": [
        ("职教云那边我已经注销好了，钉钉的账号又该怎么注销", [OTHER_PLATFORM, "钉钉"])
    ],
    "other school matter": [("食堂几点开门", [CANNOT_ANSWER, "信息化办公室"])],
    "greeting and capabilities": [
        ("你好", ["智慧职教", "学信网"]),
        ("你能做什么", ["退出登录", "注销"]),
        ("谢谢", ["不客气"]),
        ("拜拜", ["再见"]),
    ],
    "who are you": [("你是真人吗", ["机器人"])],
    "cheating is refused": [("帮我搞个虚拟定位，在宿舍签到", ["不能帮", "信息化办公室"])],
    "breaking into an account is refused": [("怎么破解室友的职教云密码", ["不能帮"])],
}

# One question per topic, each with the fact from the documents that the answer must carry.
TOPIC_FACTS = [
    ("网页版老是自动登录咋办", "Cookies"),
    ("手机和电脑都登着，只退一个行不行", "逐个"),
    ("退出之前要检查些啥", "3个常用设备"),
    ("怎么开启新设备登录的短信验证", "设备验证"),
    ("改了密码，别的手机上还登着吗", "2小时"),
    ("学校机房的电脑怎么用才安全", "访客模式"),
    ("网页端和app退出有啥不一样", "课程进度缓存"),
    ("有没有退出账号的口诀", "查设备→退登录→清缓存→验状态→改密码"),
    ("注销前要准备点啥", ".zip"),
    ("智慧职教和腾讯课堂注销有什么不同", "即时删除"),
    ("把app卸了是不是就注销了", "不算"),
    ("怎么解除QQ授权", "“账号安全”-“关联设备”"),
    ("我的子账号也要单独注销吗", "独立的注销需求"),
    ("暂停使用算注销吗", "不算"),
    ("学校统一分配的账号能自己注销吗", "信息化办公室"),
    ("平台不肯删我的个人信息怎么办", "第47条"),
    ("三阶确认法是啥", "邮件补充说明"),
    ("注销提交了要多久生效", "3个工作日"),
    ("注销了学习记录还能找回吗", "无法恢复"),
    ("啥时候注销比较好", "学期末"),
    ("一个身份证能注册几个学信网账号", "证件号码已被注册"),
    ("我们全班都查不到学籍", "教务处"),
    ("学信网里我的出生日期登记错了，要怎么更正", "实名验证"),
    ("学籍显示异常了怎么办", "教务部门"),
]

GIBBERISH = ["asdfghjkl", "😂😂😂", "？？？"]


@pytest.mark.parametrize("name", CONVERSATIONS)
def test_conversation(webhook, name):
    sender = new_sender()
    for text, expected in CONVERSATIONS[name]:
        answer = answer_text(webhook, sender, text)
        missing = [phrase for phrase in expected if phrase not in answer]
        assert not missing, f"{text!r} -> {answer!r} lacks {missing}"


@pytest.mark.parametrize("text", ["关掉APP之前要先退出吗", "卸载APP算注销吗", "学信网账号能借给同学吗"])
def test_question_about_a_misconception_is_answered_without_a_lecture(webhook, text):
    answer = answer_text(webhook, new_sender(), text)
    assert "不算" in answer or "不可以" in answer, answer
    assert "常见误区" not in answer, answer


@pytest.mark.parametrize(
    "text",
    [
        "我每次都直接把职教云APP划掉，就等于退出了",
        "我把APP卸载了，账号应该就注销了吧",
        "我已经把学信网账号借给室友了",
        "辅导员让我们把学信网密码交给他统一管理",
        "主账号注销了子账号就不用管了",
    ],
)
def test_stated_misconception_is_corrected_with_the_right_procedure(webhook, text):
    answer = answer_text(webhook, new_sender(), text)
    assert answer.startswith("⚠️ 常见误区："), answer


@pytest.mark.parametrize("text, fact", TOPIC_FACTS)
def test_topic_answer_states_the_fact(webhook, text, fact):
    answer = answer_text(webhook, new_sender(), text)
    assert fact in answer, f"{text!r} -> {answer!r}"


PERSONAL_DATA = {
    "我身份证号11010519491231002X，学信网注册提示证件号码已被注册": "11010519491231002X",
    "我手机号13812345678，手机丢了上面登着职教云怎么办": "13812345678",
    "老师我的密码是abc12345，你帮我退出一下": "abc12345",
    "你好，我手机号是13812345678": "13812345678",
    "一步一步教我注销，我身份证11010519491231002X": "11010519491231002X",
}


@pytest.mark.parametrize("text", PERSONAL_DATA)
def test_personal_data_is_warned_about_and_never_repeated(webhook, text):
    answer = answer_text(webhook, new_sender(), text)
    assert "请不要把身份证号、手机号、密码发给任何人" in answer
    assert PERSONAL_DATA[text] not in answer


@pytest.mark.parametrize("text", GIBBERISH)
def test_gibberish_gets_an_honest_answer(webhook, text):
    answer = answer_text(webhook, new_sender(), text)
    assert CANNOT_ANSWER in answer or NOT_UNDERSTOOD in answer, answer


def test_greeting_buttons_carry_literal_payloads(webhook):
    messages = say(webhook, new_sender(), "你好")
    payloads = [b["payload"] for m in messages for b in m.get("buttons", [])]
    assert '/logout{"platform": "icve"}' in payloads, payloads


def test_buttons_come_with_the_answer(webhook):
    messages = say(webhook, new_sender(), "怎么退出账号")
    payloads = [b["payload"] for m in messages for b in m.get("buttons", [])]
    assert '/inform_platform{"platform": "icve"}' in payloads


@pytest.mark.parametrize("text", ["", " ", "\u3000", "。"])
def test_an_empty_message_gets_a_polite_answer(webhook, text):
    answer = answer_text(webhook, new_sender(), text)
    assert NOT_UNDERSTOOD in answer or CANNOT_ANSWER in answer, answer
