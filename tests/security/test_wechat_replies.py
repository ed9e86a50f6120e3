"""Issue 15, finding 4 and the WeChat part of finding 8, on a real bot's WeChat channel.

4: text a user controls (a rehearsal trainee's name, another platform's name) must not add elements
   to the passive reply: the reply parses to exactly one ToUserName, FromUserName, CreateTime,
   MsgType (text) and Content, and Content carries the text as it was, in plain and in safe mode.
8: a menu reply such as "²" or "①" is answered, not a 500; a malformed body gets a plain, fixed
   reason, not Python's error text.
"""

import base64
import json
import secrets
import time
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

import pytest

from harness.bot import running_bot
from tests.test_wechat import (
    BOT_ID,
    TOKEN,
    WeChatApi,
    decrypt,
    encrypt,
    new_user,
    post,
    sha1,
    signed_query,
    wechat_env,
)

pytestmark = pytest.mark.e2e

TEXT_REPLY = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content"]
ENVELOPE = {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
# Each at most 20 characters (the longest trainee name the rehearsal keeps).
HOSTILE_NAMES = [
    "]]><A/><![CDATA[",
    "]]></Content><MsgTyp",
    "x]]>y]]]]>z<![CDATA[",
]
# The trainee typing the names is staff (the rehearsal is for staff only: STAFF_OPENIDS).
STAFF_OPENID = "o_staff_trainer_" + secrets.token_hex(6)
ARTICLES = (
    "]]></Content><MsgType><![CDATA[news]]></MsgType><ArticleCount>1</ArticleCount>"
    "<Articles><item><Title><![CDATA[点我]]></Title><Url><![CDATA[http://evil.example/]]>"
    "</Url></item></Articles><Content><![CDATA["
)


@pytest.fixture(scope="module")
def wechat(trained_model, tmp_path_factory):
    api = WeChatApi()
    env = {**wechat_env(api), "STAFF_OPENIDS": STAFF_OPENID}
    with running_bot(
        trained_model, tmp_path_factory.mktemp("wechat-sec"), env=env, log_prefix="wechat-sec-"
    ) as bot:
        yield bot.url + "/webhooks/wechat/webhook"
    api.server.shutdown()


def escaped_text_xml(user, content):
    """A text message whose content is XML-escaped (it may hold "]]>", which CDATA cannot)."""
    return (
        f"<xml><ToUserName><![CDATA[{BOT_ID}]]></ToUserName><FromUserName><![CDATA[{user}]]>"
        f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]>"
        f"</MsgType><Content>{escape(content)}</Content>"
        f"<MsgId>{secrets.randbelow(10**15)}</MsgId></xml>"
    )


def safe_mode(plain_xml):
    ciphertext = encrypt(plain_xml)
    timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
    query = {
        "signature": sha1(TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": sha1(TOKEN, timestamp, nonce, ciphertext),
    }
    body = (
        f"<xml><ToUserName><![CDATA[{BOT_ID}]]></ToUserName><Encrypt><![CDATA[{ciphertext}]]></Encrypt></xml>"
    )
    return query, body


def text_reply(xml_text, user):
    """The reply's Content, after checking it is one plain text reply to `user`."""
    root = ET.fromstring(xml_text)
    assert sorted(child.tag for child in root) == sorted(TEXT_REPLY), xml_text
    assert all(len(child) == 0 for child in root), xml_text  # no element inside any field
    assert root.findtext("ToUserName") == user and root.findtext("FromUserName") == BOT_ID
    assert root.findtext("MsgType") == "text"
    return root.findtext("Content")


def send(url, user, content, encrypted=False):
    xml = escaped_text_xml(user, content)
    if not encrypted:
        answer = post(url, xml)
        assert answer.status_code == 200, answer.text
        return text_reply(answer.text, user)
    query, body = safe_mode(xml)
    answer = post(url, body, query)
    assert answer.status_code == 200, answer.text
    root = ET.fromstring(answer.text)
    assert {child.tag for child in root} == ENVELOPE and len(root) == 4, answer.text
    assert root.findtext("MsgSignature") == sha1(
        TOKEN, root.findtext("TimeStamp"), root.findtext("Nonce"), root.findtext("Encrypt")
    )
    return text_reply(decrypt(root.findtext("Encrypt")), user)


# ---- finding 4: XML injection in passive replies ----
@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "safe-mode"])
@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_trainee_name_cannot_add_elements_to_the_reply(wechat, knowledge, name, encrypted):
    user = STAFF_OPENID
    assert knowledge.rehearsal["messages"]["ask_trainee"] in send(wechat, user, "培训演练", encrypted)
    content = send(wechat, user, name, encrypted)
    assert name in content, content  # the text round-trips, "]]>" and all
    send(wechat, user, "结束演练", encrypted)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "safe-mode"])
def test_an_injected_other_platform_cannot_turn_the_reply_into_news(wechat, encrypted):
    message = "/logout" + json.dumps({"other_platform": ARTICLES}, ensure_ascii=False)
    content = send(wechat, new_user(), message, encrypted)
    assert content and "evil.example" not in content


# ---- finding 8: menu numbers and malformed bodies ----
@pytest.mark.parametrize("reply", ["²", "①", "١", "１２"])
def test_a_non_ascii_digit_as_menu_reply_gets_an_answer(wechat, reply):
    user = new_user()
    assert "回复 1：" in send(wechat, user, "怎么退出账号")
    assert send(wechat, user, reply).strip()


@pytest.mark.parametrize("number", ["2", "２"], ids=["ascii", "full-width"])
def test_an_ascii_or_full_width_digit_still_chooses_from_the_menu(wechat, number):
    user = new_user()
    assert "回复 2：学信网" in send(wechat, user, "怎么退出账号")
    assert "没有学信网“退出登录”的说明" in send(wechat, user, number)


PYTHON_TEXT = (
    "codec",
    "byte",
    "position",
    "padding",
    "base64",
    "length",
    "Error",
    "Exception",
    "Traceback",
    "0x",
    "line",
    "column",
)


def signed_safe_mode(ciphertext):
    timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
    query = {
        "signature": sha1(TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": sha1(TOKEN, timestamp, nonce, ciphertext),
    }
    return query, f"<xml><ToUserName>x</ToUserName><Encrypt>{ciphertext}</Encrypt></xml>"


@pytest.mark.parametrize("case", ["invalid utf-8", "bad base64", "short ciphertext", "not xml", "no encrypt"])
def test_a_malformed_body_gets_a_fixed_reason(wechat, case):
    if case == "invalid utf-8":
        query, body = signed_query(), b"<xml><Content>\xff\xfe</Content></xml>"
    elif case == "bad base64":
        query, body = signed_safe_mode("abc")
    elif case == "short ciphertext":
        query, body = signed_safe_mode(base64.b64encode(secrets.token_bytes(17)).decode())
    elif case == "not xml":
        query, body = signed_safe_mode(encrypt("this is not xml"))
    else:
        query, body = signed_query(encrypt_type="aes", msg_signature="0" * 40), "<xml><A>1</A></xml>"
    answer = post(wechat, body, query)
    assert answer.status_code in (400, 403), answer.text
    assert len(answer.text) < 60 and not any(word in answer.text for word in PYTHON_TEXT), answer.text


def test_the_channel_still_answers_afterwards(wechat):
    user = new_user()
    assert "“账户与安全”→“退出登录”" in send(wechat, user, "智慧职教APP怎么退出登录")
