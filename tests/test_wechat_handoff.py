"""Handoff to a person on WeChat (issue 18), on a real Rasa server and action server with the
stand-in of WeChat's API of tests/test_wechat.py (WECHAT_API_BASE_URL).

- kf (HELPDESK_WECHAT_HANDOFF=kf): 转人工, the offer as a numbered menu, its number accepts and the
  passive reply is <MsgType>transfer_customer_service</MsgType>; a message meanwhile is handed on
  again, not answered by the bot, and kept in the tracker; after WeChat's kf_close_session event the
  bot answers again.
- queue (the default when the staff console has accounts): the student reads their place; a staff
  member logs in to the console (login and CSRF, as tests/test_handoff.py), replies, and the
  stand-in receives a customer-service message to that OpenID; once the student's last message is
  older than WeChat's window (HELPDESK_WECHAT_WINDOW_HOURS, a few seconds here) a reply is refused
  with a message in the console and nothing is sent; handed back, the bot answers.
"""

import json
import re
import sqlite3
import time

import pytest

from harness.bot import ARTIFACTS, running_bot
from tests.test_handoff import ACCOUNTS, CONSOLE, logged_in_session
from tests.test_wechat import (
    APP_STEPS,
    BOT_ID,
    message_xml,
    new_user,
    post,
    reply_content,
    say,
    text_xml,
    wechat_env,
)

pytestmark = pytest.mark.e2e

QUESTION = "智慧职教APP怎么退出登录"
TO_A_PERSON = "我想找老师，账号登不上了"
REPLY = "你好，我是服务台的王老师，请说一下登录时看到的提示。"
WINDOW_SECONDS = 12
USERS = []  # every OpenID used here: none may reach the logs


def openid():
    USERS.append(new_user())
    return USERS[-1]


@pytest.fixture(scope="module")
def kf_bot(trained_model, tmp_path_factory, wechat_api):
    env = {**wechat_env(wechat_api), "HELPDESK_WECHAT_HANDOFF": "kf"}
    with running_bot(
        trained_model, tmp_path_factory.mktemp("wechat-kf"), env=env, log_prefix="wechat-kf-"
    ) as bot:
        yield bot


@pytest.fixture(scope="module")
def queue_bot(trained_model, tmp_path_factory, wechat_api):
    env = {
        **wechat_env(wechat_api),
        "HELPDESK_STAFF_ACCOUNTS": ACCOUNTS,  # no HELPDESK_WECHAT_HANDOFF: queue, the default
        "HELPDESK_DESK_HOURS": "1-7 00:00-24:00",
        "HELPDESK_WECHAT_WINDOW_HOURS": str(WINDOW_SECONDS / 3600),
    }
    with running_bot(
        trained_model, tmp_path_factory.mktemp("wechat-queue"), env=env, log_prefix="wechat-queue-"
    ) as bot:
        yield bot


@pytest.fixture(scope="module")
def texts(knowledge):
    return knowledge.presentation["handoff"]


def webhook(bot):
    return bot.url + "/webhooks/wechat/webhook"


def accept_number(offer, texts):
    """The menu number of 转人工 in the offer."""
    found = re.search(r"回复 (\d+)：" + re.escape(texts["accept_button"]), offer)
    assert found, offer
    return found.group(1)


def ask_for_a_person(url, user, texts):
    say(url, user, QUESTION)
    offer = say(url, user, "转人工")
    assert texts["offer"].split("？")[0] in offer, offer
    return accept_number(offer, texts)


def stored_user_texts(bot, sender):
    with sqlite3.connect(f"file:{bot.tracker_db}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id", (sender,)
        )
        return [json.loads(row[0]).get("text") for row in rows]


def is_transfer(answer, user):
    root = reply_content(answer)
    return (
        root.findtext("MsgType") == "transfer_customer_service"
        and root.findtext("ToUserName") == user
        and root.findtext("FromUserName") == BOT_ID
        and root.find("Content") is None
    )


# ---- kf: the Official Account's own customer-service system ----


def test_kf_transfers_keeps_the_messages_meanwhile_and_answers_after_the_session_closes(
    kf_bot, wechat_api, texts
):
    url, user = webhook(kf_bot), openid()
    number = ask_for_a_person(url, user, texts)
    before = len(wechat_api.texts_to(user, at_least=1))  # the rest of the first answer (long)
    accepted = post(url, text_xml(user, number))
    assert is_transfer(accepted, user), accepted.text

    # While WeChat's customer service has the student: handed on again, no bot answer, kept.
    meanwhile = post(url, text_xml(user, TO_A_PERSON))
    assert is_transfer(meanwhile, user), meanwhile.text
    assert TO_A_PERSON in stored_user_texts(kf_bot, "wechat:" + user)
    time.sleep(1)
    assert len(wechat_api.texts_to(user, at_least=0, seconds=0)) == before  # nothing sent meanwhile

    # WeChat closes the session: the student is told, and the bot answers the next question.
    closed = reply_content(
        post(url, message_xml(user, "event", Event="kf_close_session", KfAccount="kf1@gh"))
    )
    assert closed.findtext("Content") == texts["kf_closed"]
    assert APP_STEPS in say(url, user, QUESTION)


def test_kf_close_for_someone_never_transferred_says_nothing(kf_bot):
    url, user = webhook(kf_bot), openid()
    answer = post(url, message_xml(user, "event", Event="kf_close_session", KfAccount="kf1@gh"))
    assert answer.status_code == 200 and answer.text == "success"
    assert APP_STEPS in say(url, user, QUESTION)


def test_kf_offers_a_person_after_unhelpful_and_after_two_misunderstandings(kf_bot, texts, knowledge):
    # 没用 to the last answer: the reasons and 转人工 in one menu; its number transfers.
    url, user = webhook(kf_bot), openid()
    say(url, user, QUESTION)
    unhelpful = say(url, user, "没用")
    assert knowledge.presentation["feedback"]["sorry_offer"] in unhelpful, unhelpful
    assert is_transfer(post(url, text_xml(user, accept_number(unhelpful, texts))), user)

    # Two messages in a row the bot does not understand: the second comes with the offer.
    url, user = webhook(kf_bot), openid()
    first = say(url, user, "食堂几点开门")
    assert texts["offer_after_failures"] not in first, first
    second = say(url, user, "图书馆怎么借书")
    assert texts["offer_after_failures"] in second, second
    assert is_transfer(post(url, text_xml(user, accept_number(second, texts))), user)


# ---- queue: the staff console ----


def console_form(session, bot, ticket):
    page = session.get(bot.url + CONSOLE + f"/c/{ticket}").text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def wechat_ticket(session, bot):
    lists = session.get(bot.url + CONSOLE + "/lists").text
    waiting = lists.split('data-status="taken"')[0]
    found = re.findall(r'/staff/console/c/([\w-]+)">[^<]*微信', waiting)
    assert found, lists
    return found[-1]


def test_queue_place_staff_reply_the_48_hour_window_and_hand_back(
    queue_bot, wechat_api, texts, console_texts
):
    url, user = webhook(queue_bot), openid()
    number = ask_for_a_person(url, user, texts)
    queued = say(url, user, number)
    assert "你现在排在第1位" in queued and "服务时间：周一至周日 00:00–24:00" in queued
    still = say(url, user, TO_A_PERSON)
    assert texts["still_waiting"].split("，")[0] in still

    # Staff find it in the console, marked 微信, with the student's words, and reply.
    staff = logged_in_session(queue_bot)
    ticket = wechat_ticket(staff, queue_bot)
    shown = staff.get(queue_bot.url + CONSOLE + f"/c/{ticket}/messages").text
    assert TO_A_PERSON in shown
    csrf = console_form(staff, queue_bot, ticket)
    answer = staff.post(
        queue_bot.url + CONSOLE + f"/c/{ticket}/reply",
        data={"text": REPLY, "csrf": csrf},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:300]
    sent = wechat_api.texts_to(user, at_least=2)
    assert texts["taken"] in sent
    assert f"【{texts['staff_label']}】{REPLY}" in sent

    # The student answers: kept for staff, the bot is silent.
    before = len(wechat_api.texts_to(user, at_least=0, seconds=0))
    quiet = post(url, text_xml(user, "提示说密码错误"))
    assert quiet.status_code == 200 and quiet.text == "success"
    assert "提示说密码错误" in staff.get(queue_bot.url + CONSOLE + f"/c/{ticket}/messages").text

    # WeChat's window has passed since that message: the console refuses and says why.
    time.sleep(WINDOW_SECONDS + 1)
    refused = staff.post(
        queue_bot.url + CONSOLE + f"/c/{ticket}/reply",
        data={"text": "还在吗？", "csrf": csrf},
        allow_redirects=False,
    )
    assert refused.status_code == 409
    hours = f"{WINDOW_SECONDS / 3600:g}"
    assert console_texts["wechat_window_closed"].format(hours=hours) in refused.text
    time.sleep(1)
    assert len(wechat_api.texts_to(user, at_least=0, seconds=0)) == before
    assert "还在吗？" not in staff.get(queue_bot.url + CONSOLE + f"/c/{ticket}/messages").text

    # Handed back: the student is told, and the bot answers again.
    handed = staff.post(
        queue_bot.url + CONSOLE + f"/c/{ticket}/handback", data={"csrf": csrf}, allow_redirects=False
    )
    assert handed.status_code == 302
    assert texts["handed_back"] in wechat_api.texts_to(user, at_least=before + 1)
    assert APP_STEPS in say(url, user, QUESTION)


def test_no_openid_or_message_in_the_logs(queue_bot, kf_bot):
    time.sleep(1)
    logs = "".join(
        p.read_text(encoding="utf-8", errors="ignore")
        for prefix in ("wechat-kf-", "wechat-queue-")
        for p in ARTIFACTS.glob(f"{prefix}*.log")
    )
    assert USERS
    for secret in (TO_A_PERSON, REPLY, "提示说密码错误", *USERS):
        assert secret not in logs
