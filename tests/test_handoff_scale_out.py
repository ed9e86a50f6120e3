"""Handoff to a person across two replicas (issue 18; docs/scale-out.md, "Handoff across
replicas"), on the scale-out of harness/cluster.py: PostgreSQL, Redis, two Rasa replicas and two
action servers behind nginx. The queue and "who has this conversation" are in Redis (channels/handoff_queue.py),
the transcript in PostgreSQL, and socket.io's emits pass between the replicas through Redis
(channels/socketio.py: AsyncRedisManager).

- The widget: the student's socket is connected to replica B, the staff member is logged in to the
  console of replica A. The student asks, asks for a person and accepts; staff find the conversation
  in A's list with the question, take it and reply; the student reads both on B; the student's
  answer (through B) appears in A's console and the bot says nothing; handed back on A, the bot
  answers the student's next question on B.
- WeChat, queue mode: the student writes to replica B, staff on A reply, and the reply goes out
  through the customer-service message API (the stand-in of tests/test_wechat.py); the student's
  answer to B reaches A's console; handed back on A, B's bot answers.
- Idle: a conversation left with a person goes back to the bot, told on the replica the student's
  next message reaches (not the one that queued it), and A's console no longer lists it.
WeChat's kf mode across replicas: tests/test_wechat_kf_scale_out.py (another cluster: the mode is
the replicas' setting).
"""

import re
import time
from types import SimpleNamespace

import pytest
import requests

from harness.cluster import running_cluster
from harness.widget_client import WidgetClient
from tests.test_handoff import ACCOUNTS, CONSOLE, logged_in_session
from tests.test_wechat import APP_STEPS, new_user, post, say, text_xml, wechat_env
from tests.test_wechat_handoff import accept_number, wechat_ticket

pytestmark = pytest.mark.e2e

QUESTION = "智慧职教APP怎么退出登录"
REPLY = "你好，我是服务台的王老师，你在哪一步找不到退出登录？"
STUDENT_TO_STAFF = "我在“我的”页面里没有看到账户与安全"
WECHAT_REPLY = "你好，我是服务台的王老师，请说一下登录时看到的提示。"
WECHAT_TO_STAFF = "提示说密码错误"
IDLE_MINUTES = 1  # HELPDESK_HANDOFF_IDLE_MINUTES: every step of a test below takes far less


@pytest.fixture(scope="module")
def cluster(trained_model, tmp_path_factory, wechat_api):
    env = {
        **wechat_env(wechat_api),
        "HELPDESK_STAFF_ACCOUNTS": ACCOUNTS,  # WeChat's handoff: queue, the default with accounts
        "HELPDESK_DESK_HOURS": "1-7 00:00-24:00",
        "HELPDESK_HANDOFF_IDLE_MINUTES": str(IDLE_MINUTES),
        "REHEARSAL_DB": str(tmp_path_factory.mktemp("handoff-cluster") / "rehearsal.db"),
    }
    with running_cluster(trained_model, replicas=2, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def replicas(cluster):
    """(A, B): each with the `url` the console helpers of tests/test_handoff.py take."""
    return tuple(SimpleNamespace(url=f"http://{r.address}") for r in cluster.replicas)


@pytest.fixture(scope="module")
def texts(knowledge):
    return knowledge.presentation["handoff"]


def csrf_of(staff, replica, ticket):
    page = staff.get(replica.url + CONSOLE + f"/c/{ticket}").text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def act(staff, replica, ticket, action, **data):
    """A console form sent: take, reply, handback or close; the redirect it answers with."""
    data["csrf"] = csrf_of(staff, replica, ticket)
    answer = staff.post(
        replica.url + CONSOLE + f"/c/{ticket}/{action}", data=data, allow_redirects=False, timeout=60
    )
    assert answer.status_code == 302, (action, answer.status_code, answer.text[:300])


def transcript(staff, replica, ticket):
    return staff.get(replica.url + CONSOLE + f"/c/{ticket}/messages", timeout=60).text


def eventually(condition, what, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.3)


def widget_ticket(staff, replica):
    """The newest waiting widget conversation in this replica's console (not WeChat's)."""
    lists = staff.get(replica.url + CONSOLE + "/lists", timeout=60).text
    waiting = lists.split('data-status="taken"')[0]
    found = re.findall(r'/staff/console/c/([\w-]+)">(?![^<]*微信)', waiting)
    assert found, lists
    return found[-1]


def test_the_widget_handoff_with_the_student_on_b_and_staff_on_a(replicas, texts):
    a, b = replicas
    student = WidgetClient(b.url)  # the demo page's origin, allowed by the cluster
    labels = []

    def heard(message):
        student.answers.append(message.get("text", ""))
        labels.append((message.get("text", ""), message.get("sender_label")))

    student.client.on("bot_uttered", heard)
    try:
        assert any(APP_STEPS in answer for answer in student.say(QUESTION))
        assert any(texts["offer"].split("？")[0] in answer for answer in student.say("转人工"))
        queued = student.say('/request_human{"handoff": "accept"}')
        assert any("你现在排在第1位" in answer for answer in queued), queued

        # Staff on A find it, with the question the student asked on B.
        staff = logged_in_session(a)
        ticket = widget_ticket(staff, a)
        assert QUESTION in transcript(staff, a, ticket)

        # Taken and answered on A: the student reads both on B, the reply labelled 老师.
        act(staff, a, ticket, "take")
        student.wait_for(texts["taken"])
        act(staff, a, ticket, "reply", text=REPLY)
        student.wait_for(REPLY)
        assert (REPLY, texts["staff_label"]) in labels

        # The student's answer through B reaches A's console; the bot says nothing.
        before = len(student.answers)
        assert student.say(STUDENT_TO_STAFF) == []
        eventually(lambda: STUDENT_TO_STAFF in transcript(staff, a, ticket), "not in A's console")
        time.sleep(3)
        assert len(student.answers) == before, student.answers[before:]

        # Handed back on A: the student is told on B, and B's bot answers again.
        act(staff, a, ticket, "handback")
        student.wait_for(texts["handed_back"])
        assert f"/c/{ticket}" not in staff.get(a.url + CONSOLE + "/lists").text
        assert any(APP_STEPS in answer for answer in student.say(QUESTION))
    finally:
        student.close()


def test_wechat_queue_the_student_writes_to_b_and_staff_reply_on_a(replicas, wechat_api, texts):
    a, b = replicas
    to_a, to_b = (f"{r.url}/webhooks/wechat/webhook" for r in (a, b))
    user = new_user()
    assert APP_STEPS in say(to_b, user, QUESTION)
    offer = say(to_b, user, "转人工")
    assert texts["offer"].split("？")[0] in offer, offer
    queued = say(to_b, user, accept_number(offer, texts))
    assert "你现在排在第1位" in queued, queued

    # Staff on A reply: the customer-service message API carries it to the student.
    staff = logged_in_session(a)
    ticket = wechat_ticket(staff, a)
    assert "转人工" in transcript(staff, a, ticket)
    sent_before = len(wechat_api.texts_to(user, at_least=0, seconds=0))
    act(staff, a, ticket, "reply", text=WECHAT_REPLY)
    sent = wechat_api.texts_to(user, at_least=sent_before + 2)
    assert texts["taken"] in sent and f"【{texts['staff_label']}】{WECHAT_REPLY}" in sent, sent

    # The student's answer to B: kept for staff (A's console shows it), no reply from the bot.
    quiet = post(to_b, text_xml(user, WECHAT_TO_STAFF))
    assert quiet.status_code == 200 and quiet.text == "success"
    eventually(lambda: WECHAT_TO_STAFF in transcript(staff, a, ticket), "not in A's console")

    # Handed back on A: told through the API; B's bot answers again.
    act(staff, a, ticket, "handback")
    assert texts["handed_back"] in wechat_api.texts_to(user, at_least=len(sent) + 1)
    assert APP_STEPS in say(to_b, user, QUESTION)


def test_an_idle_conversation_goes_back_to_the_bot_on_the_other_replica(replicas, wechat_api, texts):
    """Queued on B, idle for HELPDESK_HANDOFF_IDLE_MINUTES, the student's next message reaches A:
    A tells them (the passive reply) and its bot answers (the rest, by customer-service message);
    the console no longer lists the conversation."""
    a, b = replicas
    to_a, to_b = (f"{r.url}/webhooks/wechat/webhook" for r in (a, b))
    user = new_user()
    offer = say(to_b, user, "转人工")
    assert "你现在排在第1位" in say(to_b, user, accept_number(offer, texts))
    staff = logged_in_session(a)
    ticket = wechat_ticket(staff, a)
    time.sleep(IDLE_MINUTES * 60 + 5)

    sent_before = len(wechat_api.texts_to(user, at_least=0, seconds=0))
    assert say(to_a, user, QUESTION) == texts["idle_returned"]
    answer = wechat_api.texts_to(user, at_least=sent_before + 1)[sent_before:]
    assert any(APP_STEPS in part for part in answer), answer
    assert f"/c/{ticket}" not in staff.get(a.url + CONSOLE + "/lists").text
    assert APP_STEPS in say(to_b, user, QUESTION)


def test_the_console_on_either_replica_refuses_without_a_login(replicas):
    for replica in replicas:
        answer = requests.get(replica.url + CONSOLE + "/lists", timeout=30)
        assert answer.status_code == 401 and not answer.text
