"""The object check where students see it: a real bot over REST (harness/bot.py) answers a question
about logging out of or deregistering something the documents never speak of with its honest
refusal, and the same verbs about the account, platform or device with the topic. This file's own
sentences, none from an evaluation set."""

import uuid

import pytest

from bench.kinds import OUT_OF_SCOPE, ReplyReader, send

pytestmark = pytest.mark.e2e

NEAR_MISSES = [
    "智慧职教里那个学习小组我想退出来",
    "职教云的班级怎么退出",
    "怎么把职教云上的直播间退出",
    "职教云怎么注销学籍",
    "电脑上的用户怎么注销",
    "教务系统怎么退出登录",
    "校园网账号怎么注销掉",
    # a question of 学信网 that names 智慧职教 only as what it is measured against, or after its mark
    "学信网能不能也像职教云那样开设备验证",
    "学信网的号改了密码，别的电脑会掉线吗？职教云好像是这样",
    # another education site whose name shares our words
    "智慧教育平台的账号注销以后还能恢复吗",
    # 学信网's rule asked of 智慧职教
    "老师要收我们职教云的密码，说要统一管理，能给吗",
    # a length of time no answer of the topic gives
    "智慧职教网页版闲置多少分钟会自己掉线",
    # a photo, a forgotten password, another phone number, a sub-account's rights, a sign-in to mend
    "学信网上的证件照怎么重新上传",
    "学信网的密码忘了，怎么重置",
    "职教云绑定的手机号怎么换成新的",
    "职教云子账号的权限怎么设置",
    "职教云签到失败了，退出重新登录能补签吗",
    # a parent's consent, which the pinyin reader hears as 统一; a private window told first
    "未满十八岁，职教云销号得父母同意吧？",
    "职教云是在无痕模式下开的，关窗后缓存还要清不",
    # news that only names the teacher and 学信网
    "班主任在群里提醒大家上学信网查一下学籍",
]
ANSWERED = {
    "职教云的账号怎么注销": "icve_deregister",
    "手机上的智慧职教怎么退出登录": "icve_logout_app",
    "学校发的职教云号怎么注销": "icve_school_account",
    "怎么解除职教云的微信授权": "icve_third_party_unbind",
    # how long, or how often, where the answer says it (3个工作日; 每次)
    "智慧职教注销以后要多久才生效": "icve_deregister_status",
    "职教云网页版的cookies多久清一次": "icve_web_auto_login",
}


# Help to cheat asked beside an account question: refused, whatever topic the rest is about.
CHEATING = [
    "职教云退出登录以后还能让它自动刷课吗",
    "注销完智慧职教换个新号，有人代刷网课吗",
    "学信网的号借我，我找人代考",
    "职教云期中考试让同学登我号帮我考，会不会要验证",
]


@pytest.fixture(scope="module")
def reader():
    return ReplyReader()


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_a_near_miss_gets_the_honest_refusal(webhook, reader, text):
    labels = reader.labels(send(webhook, f"object-{uuid.uuid4().hex}", text))
    assert labels and all(label == OUT_OF_SCOPE for label in labels), labels


@pytest.mark.parametrize("text, topic", ANSWERED.items())
def test_the_account_is_still_answered(webhook, reader, text, topic):
    labels = reader.labels(send(webhook, f"object-{uuid.uuid4().hex}", text))
    assert topic in labels, labels


@pytest.mark.parametrize("text", CHEATING)
def test_help_to_cheat_beside_an_account_question_is_refused(webhook, reader, text):
    labels = reader.labels(send(webhook, f"object-{uuid.uuid4().hex}", text))
    assert labels == ["request_cheating"], labels
