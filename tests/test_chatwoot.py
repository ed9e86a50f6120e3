"""The Chatwoot connector (channels/chatwoot.py, issue 18): a real Rasa server and action server with
the connector configured, Chatwoot's Agent Bot webhooks posted as Chatwoot documents them, and a
stand-in of Chatwoot's application API (a local HTTP server recording every call) where the bot's
answers and the handoff arrive.

- A question on a `pending` conversation: the stand-in receives the answer for that conversation
  through the messages API, with the Agent Bot's token in the `api_access_token` header.
- 转人工 and the offer's number: the conversation is set `open` (toggle_status) and the student is
  told; the next message on the open conversation gets no answer but is kept in the tracker; back
  to `pending`, the student is told and the bot answers again.
- A wrong or missing secret gets 401 and nothing is sent or kept; outgoing, agent and private
  messages get no answer; a body that is not JSON or lacks its ids gets 400, and the bot still works.
- A phone number written to the bot is in no API call and no log; a failing API is logged without
  the message, and the message is kept.
Payload parsing and the settings have unit tests here too.
"""

import json
import sqlite3
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from channels.chatwoot import Malformed, Settings, parse_event
from harness.bot import ARTIFACTS, free_port, running_bot, wait_until

TOKEN = "test-agent-bot-token-" + uuid.uuid4().hex
SECRET = "test-webhook-secret-" + uuid.uuid4().hex
ACCOUNT = 3
QUESTION = "智慧职教APP怎么退出登录"
APP_STEPS = "“账户与安全”→“退出登录”"
PHONE = "13912345678"
LOG_PREFIX = "chatwoot-"
CONVERSATIONS = iter(range(1000, 100000))


# ---- Chatwoot's documented payloads ----


def message_created(
    conversation, content, status="pending", message_type="incoming", sender="contact", **more
):
    """An Agent Bot's `message_created` webhook, with the fields Chatwoot documents."""
    return {
        "event": "message_created",
        "id": int(uuid.uuid4().int % 10**9),
        "content": content,
        "created_at": "2026-03-03 13:05:57 UTC",
        "message_type": message_type,
        "content_type": "text",
        "content_attributes": {},
        "source_id": None,
        "private": False,
        "sender": {"id": 7, "name": "学生", "avatar": "", "type": sender},
        "inbox": {"id": 1, "name": "服务台"},
        "conversation": {
            "id": conversation,
            "inbox_id": 1,
            "status": status,
            "channel": "Channel::WebWidget",
            "can_reply": True,
            "additional_attributes": {},
        },
        "account": {"id": ACCOUNT, "name": "学校"},
        **more,
    }


def status_changed(conversation, status):
    """`conversation_status_changed`: the conversation's fields at the top level."""
    return {
        "event": "conversation_status_changed",
        "id": conversation,
        "account_id": ACCOUNT,
        "inbox_id": 1,
        "status": status,
        "channel": "Channel::WebWidget",
        "messages": [{"id": 1, "account_id": ACCOUNT, "conversation_id": conversation}],
        "changed_attributes": [{"status": {"previous_value": "open", "current_value": status}}],
    }


# ---- unit: reading the payloads ----


@pytest.mark.unit
def test_an_incoming_message_of_the_contact_is_read_with_its_conversation():
    event = parse_event(message_created(42, "你好"))
    assert (event.kind, event.sender, event.status, event.text) == (
        "message",
        "chatwoot:3:42",
        "pending",
        "你好",
    )


@pytest.mark.unit
@pytest.mark.parametrize(
    "payload",
    [
        message_created(42, "老师的回复", message_type="outgoing", sender="user"),
        message_created(42, "机器人的话", message_type="outgoing", sender="agent_bot"),
        message_created(42, "内部备注", private=True),
        message_created(42, "Conversation was marked open", message_type="activity"),
        message_created(42, "", content_type="text"),
        {"event": "webwidget_triggered", "id": 1},
        {"event": "contact_created", "id": 1},
    ],
)
def test_what_the_bot_must_not_answer_is_ignored(payload):
    assert parse_event(payload).kind == "ignored"


@pytest.mark.unit
@pytest.mark.parametrize(
    "payload",
    [
        [],
        "message_created",
        message_created("42; DROP", "你好"),
        {**message_created(42, "你好"), "conversation": None},
        {**message_created(42, "你好"), "account": {"id": True}},
        {"event": "conversation_status_changed", "status": "pending"},
    ],
)
def test_a_payload_without_its_ids_is_malformed(payload):
    with pytest.raises(Malformed):
        parse_event(payload)


@pytest.mark.unit
def test_status_events_name_the_conversation_and_its_new_status():
    assert parse_event(status_changed(42, "pending")).status == "pending"
    resolved = parse_event({"event": "conversation_resolved", "id": 42, "messages": [{"account_id": 3}]})
    assert (resolved.kind, resolved.sender, resolved.status) == ("status", "chatwoot:3:42", "resolved")


@pytest.mark.unit
def test_the_connector_is_off_unless_url_token_and_secret_are_set():
    full = {
        "CHATWOOT_URL": "https://desk.example/",
        "CHATWOOT_API_TOKEN": "t",
        "CHATWOOT_WEBHOOK_SECRET": "s",
    }
    assert Settings.from_environment(full).configured
    assert Settings.from_environment(full).url == "https://desk.example"
    for missing in full:
        assert not Settings.from_environment({k: v for k, v in full.items() if k != missing}).configured


# ---- a stand-in of Chatwoot's application API ----


class ChatwootApi:
    """Records every call: (path, api_access_token header, JSON body). Conversations in `failing`
    get HTTP 500."""

    def __init__(self) -> None:
        self.calls = []
        self.failing = set()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                api.calls.append((self.path, self.headers.get("api_access_token"), body))
                conversation = self.path.split("/conversations/")[-1].split("/")[0]
                status = 500 if conversation in api.failing else 200
                answer = json.dumps({"id": len(api.calls), "content": body.get("content")}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def to(self, conversation, kind="messages"):
        path = f"/api/v1/accounts/{ACCOUNT}/conversations/{conversation}/{kind}"
        return [(token, body) for (called, token, body) in list(self.calls) if called == path]

    def messages_to(self, conversation, at_least, seconds=90.0):
        """The contents sent to a conversation, once there are at least `at_least`."""
        wait_until(
            lambda: len(self.to(conversation)) >= at_least,
            f"{at_least} messages to conversation {conversation}",
            seconds,
        )
        return [body["content"] for _, body in self.to(conversation)]


@pytest.fixture(scope="module")
def chatwoot_api():
    api = ChatwootApi()
    yield api
    api.server.shutdown()


@pytest.fixture(scope="module")
def chatwoot_bot(trained_model, tmp_path_factory, chatwoot_api):
    env = {
        "CHATWOOT_URL": chatwoot_api.url,
        "CHATWOOT_API_TOKEN": TOKEN,
        "CHATWOOT_WEBHOOK_SECRET": SECRET,
        "CHATWOOT_API_TIMEOUT": "5",
    }
    with running_bot(
        trained_model, tmp_path_factory.mktemp("chatwoot"), env=env, log_prefix=LOG_PREFIX
    ) as bot:
        yield bot


@pytest.fixture(scope="module")
def texts(knowledge):
    return knowledge.presentation


def webhook(bot):
    return bot.url + "/webhooks/chatwoot/webhook"


def post(bot, payload, secret=SECRET, headers=None):
    query = {"secret": secret} if secret is not None else {}
    data = payload if isinstance(payload, (bytes, str)) else json.dumps(payload, ensure_ascii=False).encode()
    return requests.post(
        webhook(bot),
        params=query,
        data=data,
        headers={"Content-Type": "application/json", **(headers or {})},
        timeout=30,
    )


def stored_user_texts(bot, conversation):
    with sqlite3.connect(f"file:{bot.tracker_db}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id",
            (f"chatwoot:{ACCOUNT}:{conversation}",),
        )
        return [json.loads(row[0]).get("text") for row in rows]


def ask(bot, api, conversation, text, expect=APP_STEPS):
    """Posts the student's message and returns what the bot sent back to that conversation, once
    it contains `expect` (an answer may come as several messages)."""
    before = len(api.to(conversation))
    accepted = post(bot, message_created(conversation, text))
    assert accepted.status_code == 200, accepted.text

    def sent():
        return "\n".join(body["content"] for _, body in api.to(conversation)[before:])

    try:
        wait_until(lambda: expect in sent(), f"{expect!r} sent to conversation {conversation}", 90)
    except AssertionError:
        raise AssertionError(f"{expect!r} not in what was sent: {sent()!r}") from None
    return sent()


def settled(api, conversation, count):
    """Waits a moment for stray calls, then says whether the conversation still had `count`."""
    time.sleep(2)
    return len(api.to(conversation)) == count


# ---- end to end ----


@pytest.mark.e2e
def test_a_question_is_answered_through_the_messages_api_with_the_token(chatwoot_bot, chatwoot_api):
    conversation = next(CONVERSATIONS)
    answer = ask(chatwoot_bot, chatwoot_api, conversation, QUESTION)
    assert APP_STEPS in answer
    for token, body in chatwoot_api.to(conversation):
        assert token == TOKEN
        assert body["message_type"] == "outgoing" and body["private"] is False
    # The answer's buttons are a numbered list; a number chooses one (here 查看原文 or another).
    assert "回复 1：" in answer
    assert QUESTION in stored_user_texts(chatwoot_bot, conversation)


@pytest.mark.e2e
def test_handoff_sets_the_conversation_open_the_bot_stays_silent_and_answers_again_when_pending(
    chatwoot_bot, chatwoot_api, texts
):
    conversation = next(CONVERSATIONS)
    offer = ask(chatwoot_bot, chatwoot_api, conversation, "转人工", expect=texts["handoff"]["accept_button"])
    assert texts["handoff"]["offer"].split("？")[0] in offer, offer
    number = offer.split("：" + texts["handoff"]["accept_button"])[0].split("回复 ")[-1]
    assert number.isdigit(), offer

    ask(chatwoot_bot, chatwoot_api, conversation, number, expect=texts["chatwoot"]["transferred"])
    toggles = chatwoot_api.to(conversation, "toggle_status")
    assert [body for _, body in toggles] == [{"status": "open"}]
    assert toggles[0][0] == TOKEN

    # Chatwoot reports the conversation open; a Chatwoot agent has it: no answer, message kept.
    post(chatwoot_bot, status_changed(conversation, "open"))
    sent = len(chatwoot_api.to(conversation))
    meanwhile = "账号还是登不上，老师帮我看看"
    assert post(chatwoot_bot, message_created(conversation, meanwhile, status="open")).status_code == 200
    wait_until(lambda: meanwhile in stored_user_texts(chatwoot_bot, conversation), "the message kept", 60)
    assert settled(chatwoot_api, conversation, sent)

    # The agent hands it back (pending): the student is told, and the bot answers again.
    assert post(chatwoot_bot, status_changed(conversation, "pending")).status_code == 200
    back = chatwoot_api.messages_to(conversation, sent + 1)[sent:]
    assert back == [texts["handoff"]["handed_back"]]
    assert APP_STEPS in ask(chatwoot_bot, chatwoot_api, conversation, QUESTION)


@pytest.mark.e2e
def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_sent_or_kept(chatwoot_bot, chatwoot_api):
    conversation = next(CONVERSATIONS)
    forged = "伪造的请求：智慧职教怎么注销"
    assert post(chatwoot_bot, message_created(conversation, forged), secret="wrong").status_code == 401
    assert post(chatwoot_bot, message_created(conversation, forged), secret=None).status_code == 401
    assert post(chatwoot_bot, message_created(conversation, forged), secret="").status_code == 401
    headed = post(
        chatwoot_bot,
        message_created(conversation, forged),
        secret=None,
        headers={"X-Chatwoot-Bot-Secret": "x"},
    )
    assert headed.status_code == 401
    assert post(chatwoot_bot, status_changed(conversation, "pending"), secret="wrong").status_code == 401
    # The secret in the header is accepted too; the conversation has only this message's answer.
    right = post(
        chatwoot_bot,
        message_created(conversation, QUESTION),
        secret=None,
        headers={"X-Chatwoot-Bot-Secret": SECRET},
    )
    assert right.status_code == 200
    wait_until(
        lambda: APP_STEPS in json.dumps(chatwoot_api.to(conversation), ensure_ascii=False), "the answer", 90
    )
    assert stored_user_texts(chatwoot_bot, conversation) == [QUESTION]
    assert not chatwoot_api.to(conversation, "toggle_status")


@pytest.mark.e2e
def test_outgoing_agent_and_private_messages_get_no_reply(chatwoot_bot, chatwoot_api):
    conversation = next(CONVERSATIONS)
    for payload in (
        message_created(conversation, "我是老师，请问有什么问题？", message_type="outgoing", sender="user"),
        message_created(conversation, "智慧职教APP怎么退出登录", message_type="outgoing", sender="agent_bot"),
        message_created(conversation, "内部备注：学生说登不上", private=True),
    ):
        answered = post(chatwoot_bot, payload)
        assert answered.status_code == 200 and answered.json()["status"] == "ignored"
    assert APP_STEPS in ask(chatwoot_bot, chatwoot_api, conversation, QUESTION)
    assert stored_user_texts(chatwoot_bot, conversation) == [QUESTION]
    assert settled(chatwoot_api, conversation, len(chatwoot_api.to(conversation)))


@pytest.mark.e2e
def test_malformed_bodies_get_400_and_the_connector_keeps_working(chatwoot_bot, chatwoot_api):
    conversation = next(CONVERSATIONS)
    for body in (
        b"{not json",
        b"[]",
        b"\xff\xfe",
        json.dumps({**message_created(conversation, "你好"), "account": {}}),
    ):
        refused = post(chatwoot_bot, body)
        assert 400 <= refused.status_code < 500, refused.text
        assert "Traceback" not in refused.text
    assert post(chatwoot_bot, b"x" * (65 * 1024)).status_code == 413
    assert APP_STEPS in ask(chatwoot_bot, chatwoot_api, conversation, QUESTION)


@pytest.mark.e2e
def test_a_phone_number_is_in_no_api_call_and_no_log(chatwoot_bot, chatwoot_api):
    conversation = next(CONVERSATIONS)
    ask(chatwoot_bot, chatwoot_api, conversation, f"我的手机号是{PHONE}，{QUESTION}")
    assert PHONE not in json.dumps(chatwoot_api.calls, ensure_ascii=False)
    stored = stored_user_texts(chatwoot_bot, conversation)
    assert stored and all(PHONE not in text for text in stored)
    logs = "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in ARTIFACTS.glob(f"{LOG_PREFIX}*.log")
    )
    assert PHONE not in logs
    assert SECRET not in logs and TOKEN not in logs


@pytest.mark.e2e
def test_when_the_api_fails_it_is_logged_without_the_message_and_the_message_is_kept(
    chatwoot_bot, chatwoot_api
):
    conversation = next(CONVERSATIONS)
    chatwoot_api.failing.add(str(conversation))
    unsent = "学信网账号可以借给同学用吗"
    assert post(chatwoot_bot, message_created(conversation, unsent)).status_code == 200
    rasa_log = ARTIFACTS / f"{LOG_PREFIX}rasa_server.log"
    wait_until(
        lambda: (
            "Chatwoot: sending a message failed (HTTP 500)"
            in rasa_log.read_text(encoding="utf-8", errors="replace")
        ),
        "the failure logged",
        90,
    )
    assert unsent in stored_user_texts(chatwoot_bot, conversation)
    assert unsent not in rasa_log.read_text(encoding="utf-8", errors="replace")
    chatwoot_api.failing.discard(str(conversation))
    assert APP_STEPS in ask(chatwoot_bot, chatwoot_api, conversation, QUESTION)


@pytest.mark.e2e
def test_a_chatwoot_contact_cannot_start_the_staff_rehearsal(chatwoot_bot, chatwoot_api, knowledge):
    conversation = next(CONVERSATIONS)
    refused = knowledge.rehearsal["messages"]["staff_only"]
    # Whatever the payload claims about its sender, the connector never marks a contact as staff.
    before = len(chatwoot_api.to(conversation))
    payload = message_created(conversation, "培训演练", sender="contact", staff=True)
    payload["sender"]["type"] = "contact"
    payload["content_attributes"] = {"staff": True}
    assert post(chatwoot_bot, payload).status_code == 200

    def said():
        return "\n".join(body["content"] for _, body in chatwoot_api.to(conversation)[before:])

    wait_until(lambda: refused in said(), "the staff-only refusal", 90)
    assert knowledge.rehearsal["messages"]["ask_trainee"] not in said()
