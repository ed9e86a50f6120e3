"""Handoff to a person end to end (issue 18): a student in the chat widget (the demo page in
Debian's headless Chromium) asks for a person, a staff member logs in to the staff console
(/staff/console) in a second browser context, both on a phone's screen, and they talk; then the bot
answers again. Also: the console shows nothing without a valid login, refuses a POST without its
CSRF token, limits wrong passwords and ends sessions; a student's socket has no staff event; outside
the desk's hours the student reads the hours and leaves a message, which staff find under 留言.

Real parts only: a Rasa server and action server started for this module (harness/bot.py) with
a staff account in HELPDESK_STAFF_ACCOUNTS and the desk's hours in HELPDESK_DESK_HOURS.
Screenshots: tests/artifacts/handoff-*.png.
"""

import datetime
import re
import sqlite3
import time
from typing import Iterator
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Page, expect

import tests.test_widget as test_widget
from harness.bot import running_bot
from harness.browser import screenshot
from harness.widget_client import WidgetClient
from knowledge.render import feedback_buttons, payload_for
from staff.accounts import hash_password
from tests.test_widget import APP_STEPS, BUNDLE, PHONE, QUESTION, ROOT, Widget, goto, open_on_phone

pytestmark = pytest.mark.e2e

# The widget tests' Chromium, browser contexts and demo site, shared (pytest finds fixtures by name).
browser, new_context, site = test_widget.browser, test_widget.new_context, test_widget.site

STAFF, PASSWORD = "wang", "correct-horse-battery-1"
ACCOUNTS = f"{STAFF}:{hash_password(PASSWORD, iterations=100_000)}"
CONSOLE = "/staff/console"
REPLY = "你好，我是服务台的王老师。你是想注销账号吗？"
STUDENT_TO_STAFF = "对，我想注销但是找不到入口"
LEFT_MESSAGE = "我的职教云账号登不上了，我是计算机2班的同学，请老师上班后回复我"


@pytest.fixture(scope="module")
def bot(trained_model, tmp_path_factory, site) -> Iterator:
    """Desk open all week, around the clock."""
    if not BUNDLE.exists():
        pytest.fail(f"{BUNDLE.relative_to(ROOT)} is missing: `make test` builds it (make widget)")
    env = {"HELPDESK_STAFF_ACCOUNTS": ACCOUNTS, "HELPDESK_DESK_HOURS": "1-7 00:00-24:00"}
    with bot_with(env, "handoff-", trained_model, tmp_path_factory, site) as running:
        site.point_at(running.url)
        yield running


def bot_with(env, name, trained_model, tmp_path_factory, site):
    """A bot of the widget's site with these settings."""
    return running_bot(
        trained_model, tmp_path_factory.mktemp(name), allowed_origins=[site.origin], log_prefix=name, env=env
    )


def closed_hours() -> str:
    """Hours that are not now: one hour on a day that is not today (in the desk's time zone)."""
    today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).isoweekday()
    return f"{today % 7 + 1} 08:00-09:00"


@pytest.fixture(scope="module")
def closed_bot(trained_model, tmp_path_factory, site, bot) -> Iterator:
    """Desk closed now; console sessions of 3 seconds."""
    env = {
        "HELPDESK_STAFF_ACCOUNTS": ACCOUNTS,
        "HELPDESK_DESK_HOURS": closed_hours(),
        "HELPDESK_CONSOLE_SESSION_MINUTES": "0.05",
    }
    with bot_with(env, "handoff-closed-", trained_model, tmp_path_factory, site) as running:
        yield running


@pytest.fixture(scope="module")
def texts(knowledge):
    return knowledge.presentation["handoff"]


def shot(page: Page, name: str) -> None:
    screenshot(page, f"handoff-{name}")


def log_in(page: Page, url: str, console_texts, password: str = PASSWORD, staff: str = STAFF) -> None:
    page.goto(url + CONSOLE + "/")
    expect(page).to_have_url(re.compile(r"/staff/console/login$"))
    page.get_by_label(console_texts["username"]).fill(staff)
    page.get_by_label(console_texts["password"]).fill(password)
    page.get_by_role("button", name=console_texts["login_button"]).click()


def ask_for_a_person(widget: Widget, texts) -> None:
    widget.ask("转人工", texts["offer"].split("？")[0])
    widget.quick_reply(texts["accept_button"]).click()


def test_a_student_asks_for_a_person_and_a_staff_member_answers_in_the_widget(
    bot, site, new_context, texts, console_texts
):
    student = open_on_phone(new_context, site)
    student.ask(QUESTION, APP_STEPS)
    ask_for_a_person(student, texts)
    student.bot_says("你现在排在第1位")
    student.bot_says("服务时间：周一至周日 00:00–24:00")
    student.screenshot("handoff-1-student-queued")

    # A staff member on a phone logs in and finds the conversation waiting, with the question.
    console = new_context(PHONE).new_page()
    log_in(console, bot.url, console_texts)
    waiting = console.locator('section[data-status="waiting"]')
    expect(waiting.get_by_role("heading")).to_contain_text(console_texts["waiting"])
    expect(waiting.get_by_role("link")).to_have_count(1)
    expect(console.get_by_text(console_texts["signed_in_as"].format(staff=STAFF))).to_be_visible()
    shot(console, "2-console-list")
    waiting.get_by_role("link").click()
    transcript = console.locator("#hc-transcript")
    expect(transcript).to_contain_text(QUESTION)
    expect(transcript).to_contain_text("转人工")
    width = console.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"the console is wider than the phone: {width}px"

    # Staff reply: the student reads it at once, labelled 老师.
    console.get_by_label(console_texts["reply_label"]).fill(REPLY)
    console.get_by_role("button", name=console_texts["send"]).click()
    student.bot_says(texts["taken"])
    said = student.bot_says(REPLY)
    expect(said.locator(".hd-label")).to_have_text(texts["staff_label"])
    student.screenshot("handoff-3-student-reads-staff")

    # The student's answer reaches the console (refreshed by itself); the bot stays silent.
    before = student.bot_messages.count()
    student.input.fill(STUDENT_TO_STAFF)
    student.input.press("Enter")
    expect(transcript).to_contain_text(STUDENT_TO_STAFF, timeout=15_000)
    shot(console, "4-console-conversation")
    student.page.wait_for_timeout(3000)
    expect(student.bot_messages).to_have_count(before)

    # Handed back: the bot answers the next question.
    console.get_by_role("button", name=console_texts["hand_back"]).click()
    expect(console).to_have_url(re.compile(r"/staff/console/$"))
    expect(console.locator('section[data-status="taken"]').get_by_role("link")).to_have_count(0)
    student.bot_says(texts["handed_back"])
    student.input.fill(QUESTION)
    student.input.press("Enter")
    expect(student.bot_messages.filter(has_text=APP_STEPS)).to_have_count(2, timeout=60_000)
    student.screenshot("handoff-5-bot-again")


def console_shows_nothing(answer: requests.Response) -> None:
    for secret in (QUESTION, "转人工", "/staff/console/c/"):
        assert secret not in answer.text, answer.text[:500]


def test_without_a_valid_login_the_console_shows_nothing(bot, site, new_context, console_texts):
    student = WidgetClient(bot.url, origin=site.origin)
    try:
        student.say(QUESTION)
        student.say('/request_human{"handoff": "accept"}')
        ticket = waiting_ticket(bot)
        # No session: the login page (302) for a page, 401 for the rest, nothing of the conversation.
        anonymous = requests.Session()
        for path in ("/", f"/c/{ticket}"):
            answer = anonymous.get(bot.url + CONSOLE + path, allow_redirects=False)
            assert answer.status_code == 302 and answer.headers["location"].endswith("/staff/console/login")
            console_shows_nothing(answer)
        for path in ("/lists", f"/c/{ticket}/messages"):
            answer = anonymous.get(bot.url + CONSOLE + path)
            assert answer.status_code == 401 and not answer.text
        answer = anonymous.post(bot.url + CONSOLE + f"/c/{ticket}/reply", data={"text": "x", "csrf": "x"})
        assert answer.status_code == 401
        forged = requests.Session()
        forged.cookies.set("helpdesk_console", "made-up-session-token")
        assert forged.get(bot.url + CONSOLE + "/lists").status_code == 401

        # A wrong password in the browser: the login page again, nothing else.
        page = new_context(PHONE).new_page()
        log_in(page, bot.url, console_texts, password="wrong-password-123")
        expect(page.get_by_role("alert")).to_have_text(console_texts["login_failed"])
        expect(page).to_have_url(re.compile(r"/staff/console/login$"))
        expect(page.locator("body")).not_to_contain_text(console_texts["waiting"])
        shot(page, "6-wrong-password")

        # Logged in, a POST without the CSRF token (or with another) does nothing.
        staff = logged_in_session(bot)
        for data in ({"text": "没有令牌"}, {"text": "错误令牌", "csrf": "not-the-token"}):
            answer = staff.post(bot.url + CONSOLE + f"/c/{ticket}/reply", data=data, allow_redirects=False)
            assert answer.status_code == 403
        login = requests.post(
            bot.url + CONSOLE + "/login",
            data={"username": STAFF, "password": PASSWORD},
            allow_redirects=False,
        )
        assert login.status_code == 403 and "helpdesk_console=" not in login.headers.get("set-cookie", "")
        time.sleep(1)
        assert not any("令牌" in answer for answer in student.answers)
        messages = staff.get(bot.url + CONSOLE + f"/c/{ticket}/messages").text
        assert QUESTION in messages and "令牌" not in messages
        close(staff, bot, ticket)
    finally:
        student.close()


def test_a_students_socket_cannot_act_as_staff(bot, site, texts):
    student = WidgetClient(bot.url, origin=site.origin)
    try:
        student.say('/request_human{"handoff": "accept"}')
        ticket = waiting_ticket(bot)
        for event in ("reply", "staff_reply", "take", "handback", "close", "handoff"):
            student.client.emit(event, {"ticket": ticket, "text": "我是老师", "csrf": "x"})
        # Typed commands that look like staff actions are ordinary text, kept for staff.
        for typed in (
            '/request_human{"handoff": "handback"}',
            "/handback",
            '/request_human{"staff": "wang"}',
        ):
            student.say(typed, metadata={"handoff_staff": "wang", "staff": True})
        time.sleep(1)
        staff = logged_in_session(bot)
        page = staff.get(bot.url + CONSOLE + f"/c/{ticket}").text
        assert "hc-staff" not in page  # no message shown as a staff member's
        lists = staff.get(bot.url + CONSOLE + "/lists").text
        assert f"/c/{ticket}" in lists and 'data-status="waiting"' in lists
        assert texts["handed_back"] not in student.answers and "我是老师" not in student.answers
        assert all(texts["still_waiting"].split("，")[0] in a for a in student.answers[1:])
        close(staff, bot, ticket)
    finally:
        student.close()


def test_personal_data_written_to_a_person_is_masked_like_any_message(bot, site):
    """The desk writes the student's messages into the tracker; the store masks them there."""
    student = WidgetClient(bot.url, origin=site.origin)
    try:
        student.say('/request_human{"handoff": "accept"}')
        student.say("老师，我的手机号是13812345678，密码是abc12345")
        ticket = waiting_ticket(bot)
        staff = logged_in_session(bot)
        shown = staff.get(bot.url + CONSOLE + f"/c/{ticket}/messages").text
        assert "【手机号】" in shown and "13812345678" not in shown and "abc12345" not in shown
        with sqlite3.connect(f"file:{bot.tracker_db}?mode=ro", uri=True) as db:
            stored = " ".join(row[0] for row in db.execute("SELECT data FROM events"))
        assert "13812345678" not in stored and "abc12345" not in stored
        close(staff, bot, ticket)
    finally:
        student.close()


def test_a_person_is_offered_after_unhelpful_and_after_two_failed_understandings(bot, site, texts, knowledge):
    student = WidgetClient(bot.url, origin=site.origin)
    said = []

    def heard(message):
        student.answers.append(message.get("text", ""))
        said.append(message)

    student.client.on("bot_uttered", heard)

    def buttons_since(count):
        return [b["title"] for m in said[count:] for b in m.get("quick_replies") or m.get("buttons") or []]

    try:
        student.say(payload_for(knowledge, "icve_lost_device"))
        assert texts["accept_button"] not in buttons_since(0)  # not under an answer
        count = len(said)
        student.say(feedback_buttons(knowledge, "icve_lost_device")[1]["payload"])  # 👎 没帮助
        assert texts["accept_button"] in buttons_since(count)
        first = student.say("食堂几点开门")
        assert knowledge.presentation["out_of_scope"] in first and texts["offer_after_failures"] not in first
        count = len(said)
        second = student.say("图书馆怎么借书")
        assert texts["offer_after_failures"] in second
        assert buttons_since(count)[-2:] == [texts["accept_button"], texts["decline_button"]]
        assert student.say('/request_human{"handoff": "decline"}') == [texts["declined"]]
    finally:
        student.close()


def test_outside_hours_the_student_reads_the_hours_and_leaves_a_message(
    closed_bot, site, new_context, texts, console_texts
):
    student = goto(new_context(PHONE).new_page(), site.origin + f"/?server={closed_bot.url}")
    student.open(tap=True)
    student.wait_connected()
    ask_for_a_person(student, texts)
    closed = student.bot_says(texts["closed_hours"].split("（")[0])
    expect(closed).to_contain_text(re.compile(r"周[一二三四五六日] 08:00–09:00"))
    expect(closed).to_contain_text("留言")
    student.screenshot("handoff-7-outside-hours")
    student.ask(LEFT_MESSAGE, texts["message_kept"])
    student.ask(QUESTION, APP_STEPS)  # the bot answers again

    console = new_context(PHONE).new_page()
    log_in(console, closed_bot.url, console_texts)
    left = console.locator('section[data-status="message"]')
    expect(left.get_by_role("link")).to_have_count(1)
    left.get_by_role("link").click()
    expect(console.locator("#hc-transcript")).to_contain_text(LEFT_MESSAGE)
    shot(console, "8-left-message")
    console.get_by_role("button", name=console_texts["close"]).click()
    expect(console.locator('section[data-status="message"]').get_by_role("link")).to_have_count(0)

    # Sessions end: after HELPDESK_CONSOLE_SESSION_MINUTES (3 s here) the login page again.
    console.wait_for_timeout(3500)
    console.goto(closed_bot.url + CONSOLE + "/")
    expect(console).to_have_url(re.compile(r"/staff/console/login$"))


def test_wrong_passwords_are_limited(closed_bot, console_texts):
    """Last: it locks this address out of the closed bot's console for ten minutes."""
    statuses = [login_status(closed_bot, "wrong-password-123") for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    assert login_status(closed_bot, PASSWORD) == 429  # the right one too, for the window


# ---------- helpers ----------


def login_form(session: requests.Session, url: str) -> str:
    page = session.get(url + CONSOLE + "/login").text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def logged_in_session(bot) -> requests.Session:
    session = requests.Session()
    csrf = login_form(session, bot.url)
    answer = session.post(
        bot.url + CONSOLE + "/login",
        data={"username": STAFF, "password": PASSWORD, "csrf": csrf},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:300]
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/staff/console" in cookie
    return session


def login_status(bot, password: str) -> int:
    session = requests.Session()
    csrf = login_form(session, bot.url)
    data = {"username": STAFF, "password": password, "csrf": csrf}
    return session.post(bot.url + CONSOLE + "/login", data=data, allow_redirects=False).status_code


def waiting_ticket(bot) -> str:
    lists = logged_in_session(bot).get(bot.url + CONSOLE + "/lists").text
    waiting = lists.split('data-status="taken"')[0]
    found = re.findall(r"/staff/console/c/([\w-]+)", waiting)
    assert found, lists
    return found[-1]


def close(session: requests.Session, bot, ticket: str) -> None:
    page = session.get(bot.url + CONSOLE + f"/c/{ticket}").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    answer = session.post(
        bot.url + CONSOLE + f"/c/{ticket}/close", data={"csrf": csrf}, allow_redirects=False
    )
    assert answer.status_code == 302
