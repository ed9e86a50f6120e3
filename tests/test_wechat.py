"""The WeChat Official Account channel (channels/wechat.py) on a real Rasa server and action server.

Requests are built from the protocol as WeChat documents it, not with the channel's helpers:
signatures are sha1 over the sorted token, timestamp and nonce (and the ciphertext in safe mode);
safe-mode bodies are AES-256-CBC with key base64(EncodingAESKey + "="), IV the key's first 16
bytes, plaintext random(16) + length(4, big-endian) + message + AppID, PKCS#7 to 32 bytes.
"""

import base64
import hashlib
import json
import re
import secrets
import struct
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest
import requests
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from channels.wechat import split_for_wechat
from harness.bot import ARTIFACTS, SlowProxy, free_port, running_bot

TOKEN = "helpdesk-test-token"
APPID = "wx0123456789abcdef"
AES_KEY = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
BOT_ID = "gh_helpdesk"
APP_STEPS = "“账户与安全”→“退出登录”"


# ---- a stand-in for WeChat's customer-service API, recording what the channel sends ----
class WeChatApi:
    def __init__(self) -> None:
        self.sent = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, data):
                body = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # /cgi-bin/token
                self._json({"access_token": "test-access-token", "expires_in": 7200})

            def do_POST(self):  # /cgi-bin/message/custom/send
                length = int(self.headers.get("Content-Length", 0))
                api.sent.append(json.loads(self.rfile.read(length)))
                self._json({"errcode": 0, "errmsg": "ok"})

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}/cgi-bin/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def texts_to(self, user, at_least, seconds=30.0):
        deadline = time.time() + seconds
        while time.time() < deadline:
            texts = [m["text"]["content"] for m in self.sent if m["touser"] == user]
            if len(texts) >= at_least:
                return texts
            time.sleep(0.2)
        return [m["text"]["content"] for m in self.sent if m["touser"] == user]


def wechat_env(api):
    return {
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APPID": APPID,
        "WECHAT_ENCODING_AES_KEY": AES_KEY,
        "WECHAT_APPSECRET": "test-secret",
        "WECHAT_API_BASE_URL": api.base_url,
        # Short parts, so that ordinary answers exercise the splitting.
        "WECHAT_REPLY_MAX_BYTES": "600",
    }


@pytest.fixture(scope="module")
def wechat(trained_model, tmp_path_factory, wechat_api):
    with running_bot(
        trained_model, tmp_path_factory.mktemp("wechat"), env=wechat_env(wechat_api), log_prefix="wechat-"
    ) as bot:
        yield bot.url + "/webhooks/wechat/webhook"


# ---- the protocol, as documented ----
def sha1(*parts):
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signed_query(**extra):
    timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
    return {"signature": sha1(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, **extra}


def cdata(tag, value):
    return f"<{tag}><![CDATA[{value}]]></{tag}>"


def message_xml(user, msg_type, msg_id=None, **fields):
    parts = [
        cdata("ToUserName", BOT_ID),
        cdata("FromUserName", user),
        f"<CreateTime>{fields.pop('CreateTime', int(time.time()))}</CreateTime>",
        cdata("MsgType", msg_type),
    ]
    parts += [cdata(k, v) for k, v in fields.items()]
    if msg_id is not None:
        parts.append(f"<MsgId>{msg_id}</MsgId>")
    return "<xml>" + "".join(parts) + "</xml>"


def text_xml(user, content, msg_id=None):
    return message_xml(user, "text", msg_id or secrets.randbelow(10**15), Content=content)


def aes_key_bytes():
    return base64.b64decode(AES_KEY + "=")


def encrypt(plain: str) -> str:
    key = aes_key_bytes()
    message = plain.encode()
    data = secrets.token_bytes(16) + struct.pack(">I", len(message)) + message + APPID.encode()
    pad = 32 - len(data) % 32
    data += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode()


def decrypt(ciphertext: str) -> str:
    key = aes_key_bytes()
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    data = decryptor.update(base64.b64decode(ciphertext)) + decryptor.finalize()
    data = data[: -data[-1]]
    length = struct.unpack(">I", data[16:20])[0]
    assert data[20 + length :].decode() == APPID
    return data[20 : 20 + length].decode()


def post(url, body, query=None, timeout=30):
    return requests.post(
        f"{url}?{urlencode(query or signed_query())}",
        data=body.encode() if isinstance(body, str) else body,
        timeout=timeout,
    )


def reply_content(response):
    assert response.status_code == 200, response.text
    root = ET.fromstring(response.text)
    return root


def say(url, user, content, msg_id=None):
    root = reply_content(post(url, text_xml(user, content, msg_id)))
    return root.findtext("Content")


def new_user():
    return "o" + secrets.token_hex(12)


# ---- verification ----
@pytest.mark.e2e
def test_url_verification_echoes_echostr(wechat):
    answer = requests.get(wechat, params=signed_query(echostr="1234567890"), timeout=10)
    assert answer.status_code == 200 and answer.text == "1234567890"


@pytest.mark.e2e
def test_url_verification_with_a_wrong_signature_is_refused(wechat):
    query = signed_query(echostr="1234567890")
    query["signature"] = "0" * 40
    answer = requests.get(wechat, params=query, timeout=10)
    assert answer.status_code == 403 and "1234567890" not in answer.text


# ---- plain (compatible) mode ----
@pytest.mark.e2e
def test_text_message_gets_the_answer_as_a_passive_reply(wechat):
    user = new_user()
    root = reply_content(post(wechat, text_xml(user, "智慧职教APP怎么退出登录")))
    assert root.findtext("ToUserName") == user and root.findtext("FromUserName") == BOT_ID
    assert root.findtext("MsgType") == "text"
    assert APP_STEPS in root.findtext("Content")


@pytest.mark.e2e
def test_forged_signature_is_refused_before_the_body_is_read(wechat):
    query = signed_query()
    query["signature"] = sha1("wrong-token", query["timestamp"], query["nonce"])
    answer = post(wechat, "<xml><not closed", query)
    assert answer.status_code == 403  # not 400: the malformed body was never parsed


@pytest.mark.e2e
def test_buttons_become_a_numbered_menu_and_a_number_chooses(wechat):
    user = new_user()
    menu = say(wechat, user, "怎么退出账号")
    assert "哪个平台" in menu and "回复 1：智慧职教（职教云）" in menu and "回复 2：学信网" in menu
    assert APP_STEPS in say(wechat, user, "1")


@pytest.mark.e2e
def test_view_sources_is_a_menu_item_and_its_number_shows_the_quotes(wechat, wechat_api, knowledge):
    """ "查看原文" under an answer (issue 14): its number shows the document's sentences."""
    user = new_user()
    passive = say(wechat, user, "学信网账号可以借给同学吗")
    deadline = time.time() + 30
    while True:  # a long answer's menu comes last, in a customer-service message
        whole = "\n".join([passive] + wechat_api.texts_to(user, at_least=0, seconds=0))
        number = re.search(r"回复 (\d+)：查看原文", whole)
        if number or time.time() > deadline:
            break
        time.sleep(0.2)
    assert number, whole
    sources = say(wechat, user, number.group(1))
    assert "《学信网账号可以多人共用吗_学信网个人账户使用规范》（2025-11-15）原文：" in sources
    first_quote = knowledge.quotes_of("chsi_account_share")[0][1]
    assert f"「{first_quote}」" in sources


@pytest.mark.e2e
def test_a_duplicate_is_handled_once_and_gets_the_same_reply(wechat):
    user = new_user()
    assert "第1/5步" in say(wechat, user, "一步一步教我退出智慧职教APP")
    first = say(wechat, user, "下一步", msg_id=424242)
    retry = say(wechat, user, "下一步", msg_id=424242)
    assert "第2/5步" in first and retry == first
    assert "第3/5步" in say(wechat, user, "下一步")  # the retry did not move the walkthrough on


@pytest.mark.e2e
def test_long_answer_is_split_and_the_rest_sent_as_service_messages(wechat, wechat_api):
    user = new_user()
    passive = say(wechat, user, "智慧职教账号怎么注销")
    assert len(passive.encode()) <= 600 and "1. 登录网页端管理后台" in passive
    rest = wechat_api.texts_to(user, at_least=1)
    assert rest, "the rest of the long answer was not sent"
    assert all(len(t.encode()) <= 600 for t in rest)
    assert "3个工作日" in "".join(rest) and "3个工作日" not in passive


@pytest.mark.unit
def test_split_keeps_lines_whole_and_respects_the_limit():
    text = "\n".join(f"{n}. 第{n}步：" + "很长的说明。" * 30 for n in range(1, 8))
    parts = split_for_wechat(text)
    assert len(parts) > 1
    assert all(len(p.encode()) <= 1800 for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")
    assert all(p.startswith(tuple(f"{n}." for n in range(1, 8))) or p.startswith("很长") for p in parts)


# ---- safe mode ----
def encrypted_request(plain_xml):
    ciphertext = encrypt(plain_xml)
    timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
    query = {
        "signature": sha1(TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": sha1(TOKEN, timestamp, nonce, ciphertext),
    }
    body = f"<xml>{cdata('ToUserName', BOT_ID)}{cdata('Encrypt', ciphertext)}</xml>"
    return query, body


@pytest.mark.e2e
def test_safe_mode_request_is_decrypted_and_answered_encrypted(wechat):
    user = new_user()
    query, body = encrypted_request(text_xml(user, "学信网账号可以借给同学吗"))
    root = reply_content(post(wechat, body, query))
    ciphertext = root.findtext("Encrypt")
    assert ciphertext and root.findtext("Content") is None  # nothing in clear
    assert root.findtext("MsgSignature") == sha1(
        TOKEN, root.findtext("TimeStamp"), root.findtext("Nonce"), ciphertext
    )
    inner = ET.fromstring(decrypt(ciphertext))
    assert inner.findtext("ToUserName") == user
    assert "不可以" in inner.findtext("Content")


@pytest.mark.e2e
def test_safe_mode_with_a_forged_msg_signature_is_refused(wechat):
    query, body = encrypted_request(text_xml(new_user(), "你好"))
    query["msg_signature"] = "0" * 40
    assert post(wechat, body, query).status_code == 403


@pytest.mark.e2e
def test_compatible_mode_plain_request_gets_a_plain_reply(wechat):
    root = reply_content(post(wechat, text_xml(new_user(), "学信网账号可以借给同学吗")))
    assert "不可以" in root.findtext("Content")


# ---- other message and event types ----
@pytest.mark.e2e
def test_subscribe_gets_a_welcome_with_what_the_bot_can_do(wechat):
    root = reply_content(post(wechat, message_xml(new_user(), "event", Event="subscribe")))
    assert "智慧职教" in root.findtext("Content") and "回复 1：" in root.findtext("Content")


@pytest.mark.e2e
def test_unsubscribe_gets_nothing(wechat):
    answer = post(wechat, message_xml(new_user(), "event", Event="unsubscribe"))
    assert answer.status_code == 200 and answer.text == "success"


@pytest.mark.e2e
def test_voice_with_recognition_is_answered_as_text(wechat):
    xml = message_xml(
        new_user(), "voice", 777001, MediaId="m1", Format="amr", Recognition="智慧职教APP怎么退出登录"
    )
    assert APP_STEPS in reply_content(post(wechat, xml)).findtext("Content")


@pytest.mark.e2e
@pytest.mark.parametrize(
    "msg_type, fields",
    [
        ("image", {"PicUrl": "http://127.0.0.1/a.jpg", "MediaId": "m2"}),
        ("location", {"Location_X": "23.1", "Location_Y": "113.3", "Scale": "20", "Label": "学校"}),
        ("voice", {"MediaId": "m3", "Format": "amr"}),  # no recognition switched on
        ("hologram", {"Payload": "?"}),  # a type nobody knows
    ],
)
def test_media_and_unknown_types_get_a_polite_text(wechat, msg_type, fields):
    xml = message_xml(new_user(), msg_type, secrets.randbelow(10**15), **fields)
    assert "只能看懂文字" in reply_content(post(wechat, xml)).findtext("Content")


# ---- hostile and broken requests ----
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><ToUserName>x</ToUserName><FromUserName>y</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>"""
FILE_LEAK = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY leak SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>x</ToUserName><FromUserName>y</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&leak;</Content><MsgId>2</MsgId></xml>"""


@pytest.mark.e2e
@pytest.mark.parametrize(
    "body, status",
    [
        (BILLION_LAUGHS, 400),
        (FILE_LEAK, 400),
        ("<xml><ToUserName>x</ToUser", 400),
        ("<xml><ToUserName>x</ToUserName></xml>", 400),  # no MsgType
        ("not xml at all", 400),
        ("<xml>" + "<Content>a</Content>" * 10000 + "</xml>", 413),
    ],
)
def test_hostile_or_broken_xml_gets_a_clean_4xx(wechat, body, status):
    answer = post(wechat, body)
    assert answer.status_code == status
    assert "root:" not in answer.text


@pytest.mark.e2e
def test_server_keeps_answering_after_hostile_requests(wechat):
    post(wechat, BILLION_LAUGHS)
    assert APP_STEPS in say(wechat, new_user(), "智慧职教APP怎么退出登录")


@pytest.mark.e2e
def test_personal_data_is_not_in_the_logs(wechat):
    say(wechat, new_user(), "我手机号13812345678，职教云怎么退出")
    logs = "".join(p.read_text(encoding="utf-8", errors="ignore") for p in ARTIFACTS.glob("wechat-*.log"))
    assert "13812345678" not in logs


# ---- the 5 s deadline, with an action server slower than that ----
@pytest.mark.e2e
def test_slow_answer_gets_success_in_time_and_follows_as_a_service_message(
    trained_model, tmp_path_factory, wechat_api
):
    proxy = SlowProxy(delay_s=7)
    with running_bot(
        trained_model,
        tmp_path_factory.mktemp("slow"),
        env=wechat_env(wechat_api),
        action_url_for=proxy.in_front_of,
        log_prefix="wechat-slow-",
    ) as bot:
        url = bot.url + "/webhooks/wechat/webhook"
        user = new_user()
        started = time.time()
        answer = post(url, text_xml(user, "智慧职教APP怎么退出登录"), timeout=10)
        took = time.time() - started
        assert answer.status_code == 200 and answer.text == "success"
        assert took < 5, f"WeChat gives up after 5 s; the reply took {took:.1f} s"
        later = wechat_api.texts_to(user, at_least=1, seconds=40)
        assert later and APP_STEPS in "".join(later)
    proxy.server.shutdown()


@pytest.mark.e2e
def test_unconfigured_channel_refuses_with_503(trained_model, tmp_path_factory):
    env = {k: "" for k in ("WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_ENCODING_AES_KEY")}
    with running_bot(
        trained_model, tmp_path_factory.mktemp("bare"), env=env, log_prefix="wechat-bare-"
    ) as bot:
        answer = requests.get(
            bot.url + "/webhooks/wechat/webhook", params=signed_query(echostr="x"), timeout=10
        )
        assert answer.status_code == 503


@pytest.mark.e2e
def test_a_long_message_gets_the_polite_notice(wechat):
    assert "太长" in say(wechat, new_user(), "请问" * 300)
