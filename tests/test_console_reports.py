"""The staff console's 报告 and 培训演练 pages end to end (issue 18): a student in the chat widget
(the demo page in Debian's headless Chromium, a phone's screen) marks one answer 有帮助 and another
没帮助 with a reason; a staff member logs in to /staff/console and reads both in 报告, with the
chart; the tracker store holds the feedback as button payloads only. Without a login the pages show
nothing. A logged-in staff member starts the training rehearsal from the console without the staff
token and gets the first student; a student who asks for it in the widget is refused.

Real parts only: a Rasa server and action server started for this module (harness/bot.py) with a
staff account in HELPDESK_STAFF_ACCOUNTS and no HELPDESK_STAFF_TOKEN. Screenshots:
tests/artifacts/console-*.png.
"""

import json
import sqlite3
from typing import Iterator

import pytest
import requests
from playwright.sync_api import Page, expect

import tests.test_widget as test_widget
from harness.bot import running_bot
from harness.browser import screenshot
from staff import knowledge_report, rehearsal_db
from staff.accounts import hash_password
from tests.test_handoff import log_in as log_in_to_the_console
from tests.test_widget import APP_STEPS, BUNDLE, PHONE, QUESTION, ROOT, open_on_phone

pytestmark = pytest.mark.e2e

browser, new_context, site = test_widget.browser, test_widget.new_context, test_widget.site

STAFF, PASSWORD = "li", "another-correct-horse-2"
ACCOUNTS = f"{STAFF}:{hash_password(PASSWORD, iterations=100_000)}"
CONSOLE = "/staff/console"
HELPFUL_TOPIC, UNHELPFUL_TOPIC = "icve_logout_app", "chsi_account_share"
SHARE_QUESTION = "学信网账号可以借给同学用吗"
TRAINEE = "李老师"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("console-reports-")


@pytest.fixture(scope="module")
def bot(trained_model, workdir, site) -> Iterator:
    """No staff token: the console's login is the only way to be staff on the web here."""
    if not BUNDLE.exists():
        pytest.fail(f"{BUNDLE.relative_to(ROOT)} is missing: `make test` builds it (make widget)")
    env = {"HELPDESK_STAFF_ACCOUNTS": ACCOUNTS, "HELPDESK_STAFF_TOKEN": ""}
    with running_bot(
        trained_model,
        workdir,
        allowed_origins=[site.origin],
        log_prefix="console-reports-",
        env=env,
    ) as running:
        site.point_at(running.url)
        yield running


@pytest.fixture(scope="module")
def t(console_texts):
    return console_texts


def shot(page: Page, name: str) -> None:
    screenshot(page, f"console-{name}")


def log_in(page: Page, url: str, t) -> None:
    log_in_to_the_console(page, url, t, password=PASSWORD, staff=STAFF)
    expect(page.get_by_role("link", name=t["nav_reports"])).to_be_visible()


def feedback_events(tracker_db: str):
    with sqlite3.connect(f"file:{tracker_db}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT data FROM events WHERE type_name = 'user' ORDER BY id").fetchall()
    found = []
    for (data,) in rows:
        event = json.loads(data)
        if ((event.get("parse_data") or {}).get("intent") or {}).get("name") == "feedback":
            found.append(event)
    return found


def test_feedback_given_in_the_widget_appears_in_the_console_report_with_a_chart(
    bot, site, new_context, knowledge, t
):
    feedback = knowledge.presentation["feedback"]
    student = open_on_phone(new_context, site)
    student.ask(QUESTION, APP_STEPS)
    rating = student.panel.get_by_role("group", name="这条回答有帮助吗")
    rating.get_by_role("button", name=feedback["helpful_button"]).tap()
    student.bot_says(feedback["thanks"])
    answered = student.bot_messages.count()
    student.input.fill(SHARE_QUESTION)
    student.input.press("Enter")
    expect(student.bot_messages.nth(answered)).to_be_visible(timeout=60_000)
    rating.get_by_role("button", name=feedback["unhelpful_button"]).tap()
    student.bot_says(feedback["sorry_offer"][:6])
    student.quick_reply(feedback["reasons"]["wrong_steps"]).tap()
    student.bot_says(feedback["reason_thanks"][:6])

    # Stored as the buttons' payloads: the topic and the vote, no text anyone typed.
    stored = feedback_events(bot.tracker_db)
    assert len(stored) == 3, stored
    for event in stored:
        assert event["text"].startswith("/feedback{"), event["text"]
        assert QUESTION not in json.dumps(event, ensure_ascii=False)
        assert SHARE_QUESTION not in json.dumps(event, ensure_ascii=False)

    staff = new_context(PHONE).new_page()
    log_in(staff, bot.url, t)
    staff.get_by_role("link", name=t["nav_reports"]).click()
    expect(staff.get_by_role("heading", name=t["feedback_heading"])).to_be_visible(timeout=60_000)
    rows = staff.locator("table.hc-feedback tbody tr")
    expect(rows).to_have_count(2)
    share = rows.filter(has_text=knowledge.topics[UNHELPFUL_TOPIC]["title"])
    expect(share.locator("td")).to_have_text(
        [knowledge.topics[UNHELPFUL_TOPIC]["title"], "0", "1", "0%", "步骤不对 1"]
    )
    logout = rows.filter(has_text=knowledge.topics[HELPFUL_TOPIC]["title"])
    expect(logout.locator("td")).to_have_text(
        [knowledge.topics[HELPFUL_TOPIC]["title"], "1", "0", "100%", "—"]
    )
    expect(staff.locator("svg.hc-chart").first).to_be_visible()
    expect(staff.locator("svg.hc-chart rect.hc-unhelpful")).not_to_have_count(0)
    expect(staff.locator("svg.hc-chart rect.hc-helpful")).not_to_have_count(0)
    worst = staff.locator("table.hc-worst tbody tr")
    expect(worst).to_have_count(1)
    expect(worst).to_contain_text(knowledge.topics[UNHELPFUL_TOPIC]["title"])
    # The page fits a phone: nothing wider than the screen but the tables' own scroll boxes.
    width = staff.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], width
    shot(staff, "reports")
    # The student's questions are not in the feedback section (the titles are the knowledge's).
    section = staff.locator("#feedback").inner_text()
    assert SHARE_QUESTION not in section
    # The content owner's sign-off report, behind the same login, with its own style allowed.
    staff.get_by_role("link", name=t["knowledge_link"]).click()
    labels = knowledge_report.read_coverage()["report"]
    expect(staff).to_have_title(labels["title"])
    collapse = staff.evaluate("() => getComputedStyle(document.querySelector('table')).borderCollapse")
    assert collapse == "collapse"


def test_the_reports_and_rehearsal_pages_show_nothing_without_a_login(bot, t):
    for path in ("/reports", "/reports?days=7&by=week", "/reports/knowledge", "/rehearsal"):
        answer = requests.get(bot.url + CONSOLE + path, allow_redirects=False, timeout=30)
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/staff/console/login")
        assert t["feedback_heading"] not in answer.text and "svg" not in answer.text
    forged = requests.get(
        bot.url + CONSOLE + "/reports",
        cookies={"helpdesk_console": "x" * 40},
        allow_redirects=False,
        timeout=30,
    )
    assert forged.status_code == 302
    said = requests.post(bot.url + CONSOLE + "/rehearsal", data={"text": "培训演练"}, timeout=30)
    assert said.status_code == 401 and said.text == ""


def test_a_staff_member_starts_a_rehearsal_from_the_console_and_a_student_cannot(
    bot, workdir, site, new_context, knowledge, t
):
    messages = knowledge.rehearsal["messages"]
    staff = new_context(PHONE).new_page()
    log_in(staff, bot.url, t)
    staff.get_by_role("link", name=t["nav_rehearsal"]).click()
    expect(staff.get_by_role("heading", name=t["rehearsal_heading"])).to_be_visible()
    # Before a rehearsal only 开始演练; during one the answer box and 结束演练, and no 开始演练 to be
    # graded as an answer.
    expect(staff.get_by_role("button", name=t["rehearsal_end"])).to_have_count(0)
    expect(staff.get_by_label(t["rehearsal_label"])).to_have_count(0)
    staff.get_by_role("button", name=t["rehearsal_start"]).click()
    transcript = staff.locator("#hc-rehearsal")
    expect(transcript).to_contain_text(messages["ask_trainee"][:8], timeout=60_000)
    expect(staff.get_by_role("button", name=t["rehearsal_start"])).to_have_count(0)
    staff.get_by_label(t["rehearsal_label"]).fill(TRAINEE)
    staff.get_by_role("button", name=t["rehearsal_send"], exact=True).click()
    expect(transcript).to_contain_text("【场景 1/", timeout=60_000)
    scenario = transcript.locator(".hd-bot").filter(has_text="【场景 1/").last.inner_text()
    students = [s["student"] for s in knowledge.rehearsal["scenarios"].values()]
    assert any(student in scenario for student in students), scenario
    shot(staff, "rehearsal")
    # Through the message gate of every channel: an answer over the length limit is refused with the
    # notice, kept in the answer box, and neither graded nor sent to the bot.
    too_long = "我会先" + "核对学生身份" * 100
    staff.get_by_label(t["rehearsal_label"]).fill(too_long)
    staff.get_by_role("button", name=t["rehearsal_send"], exact=True).click()
    expect(staff.get_by_role("alert")).to_contain_text(
        knowledge.presentation["limits"]["message_too_long"][:8]
    )
    expect(staff.get_by_label(t["rehearsal_label"])).to_have_value(too_long)
    expect(transcript).not_to_contain_text("【场景 2/")
    # An answer is graded and recorded under the trainee; 结束演练 gives the summary.
    staff.get_by_label(t["rehearsal_label"]).fill("我不知道")
    staff.get_by_role("button", name=t["rehearsal_send"], exact=True).click()
    expect(transcript).to_contain_text("【场景 2/", timeout=60_000)
    staff.get_by_role("button", name=t["rehearsal_end"]).click()
    summary = messages["summary"].format(trainee=TRAINEE, count=1, average=0)
    expect(transcript).to_contain_text(summary, timeout=60_000)
    expect(staff.get_by_role("button", name=t["rehearsal_start"])).to_be_visible()
    rows = rehearsal_db.read_all(workdir / "rehearsal.db")
    assert [(r["trainee"], r["score"]) for r in rows] == [(TRAINEE, 0)]

    # A student asking for it in the widget gets the staff-only sentence, and nothing more.
    student = open_on_phone(new_context, site)
    student.ask(t["rehearsal_start_text"], messages["staff_only"][:10])
    expect(student.bot_messages.filter(has_text="【场景")).to_have_count(0)
    # Nor can a REST client name the console's conversations.
    refused = requests.post(
        bot.webhook, json={"sender": "console:abc", "message": t["rehearsal_start_text"]}, timeout=30
    )
    assert refused.status_code == 400
