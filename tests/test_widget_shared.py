"""The chat widget on shared computers and the staff page (issue 16), in Debian's headless Chromium
against a real Rasa server and action server (the helpers and fixtures of tests/test_widget.py).

A second person at the same browser (same profile: same context, same storage) must neither see
the earlier person's messages nor continue their conversation: after the tab is closed (the
default keeps the conversation in the tab's sessionStorage), after the idle expiry of a site that
keeps it in localStorage (data-history-minutes), after 清除对话, and on a shared-device page
(data-shared-device: nothing kept). "Cannot continue" is checked on the bot: the earlier person
stopped at step 1 of a walkthrough, and 下一步 does not bring step 2.

The staff page (web/staff.html) asks for the staff token; the rehearsal starts there only with the
right token, never on the students' page.
"""

from typing import Dict

import pytest
from playwright.sync_api import Page, expect

from harness.bot import running_bot
from tests import test_widget
from tests.test_widget import (
    APP_STEPS,
    BUNDLE,
    DESKTOP,
    NEXT,
    PHONE,
    QUESTION,
    ROOT,
    WALKTHROUGH_OFFER,
    WALKTHROUGH_STEP_1,
    WALKTHROUGH_STEP_2,
    Widget,
    goto,
)

pytestmark = pytest.mark.e2e

# The widget tests' Chromium, browser contexts and demo site, shared (pytest finds fixtures by name).
browser, new_context, site = test_widget.browser, test_widget.new_context, test_widget.site

STAFF_TOKEN = "widget-test-staff-token-0123456789"
CLEAR = "清除对话"
STAFF_TITLE = "服务台 · 员工培训演练"
STAFF_LAUNCHER = "培训演练"
STAFF_PLACEHOLDER = "输入“培训演练”开始，或输入你的回答"
EARLIER = "上一位同学的问题"
MINUTE_MS = 60_000


@pytest.fixture(scope="module")
def bot(trained_model, tmp_path_factory, site):
    if not BUNDLE.exists():
        pytest.fail(f"{BUNDLE.relative_to(ROOT)} is missing: `make test` builds it (make widget)")
    with running_bot(
        trained_model,
        tmp_path_factory.mktemp("widget-shared-bot"),
        allowed_origins=[site.origin],
        log_prefix="widget-shared-",
        env={"HELPDESK_STAFF_TOKEN": STAFF_TOKEN},
    ) as running:
        site.point_at(running.url)
        yield running


# ---------- what the browser keeps ----------


def kept(page: Page) -> Dict[str, Dict[str, object]]:
    """The widget's entries in localStorage and sessionStorage, by area, key without the prefix."""
    return page.evaluate("""() => {
        const read = area => Object.fromEntries(Object.keys(area)
            .filter(k => k.startsWith('helpdesk-widget:'))
            .map(k => [k.split(':').pop(), JSON.parse(area.getItem(k))]));
        return {local: read(localStorage), session: read(sessionStorage)};
    }""")


def session_id(page: Page, area: str) -> str:
    return kept(page)[area].get("session")


# ---------- what the people at the computer do ----------


def first_person_starts_a_walkthrough(widget: Widget) -> None:
    widget.open()
    widget.wait_connected()
    widget.input.fill(QUESTION)
    widget.input.press("Enter")
    widget.bot_says(APP_STEPS)
    widget.quick_reply(WALKTHROUGH_OFFER).click()
    widget.bot_says(WALKTHROUGH_STEP_1)


def next_person_sees_nothing_and_cannot_continue(widget: Widget) -> None:
    """No earlier message on screen, and 下一步 does not continue the earlier walkthrough."""
    if widget.panel.is_hidden():
        widget.open()
    widget.wait_connected()
    expect(widget.user_messages).to_have_count(0)
    expect(widget.bot_messages).to_have_count(1)  # the greeting only
    expect(widget.panel).not_to_contain_text(APP_STEPS)
    widget.input.fill(NEXT)
    widget.input.press("Enter")
    expect(widget.bot_messages.nth(1)).to_be_visible(timeout=60_000)  # the bot's answer to 下一步
    widget.page.wait_for_timeout(1000)  # all of it
    expect(widget.panel).not_to_contain_text(WALKTHROUGH_STEP_2)
    expect(widget.panel).not_to_contain_text(WALKTHROUGH_STEP_1)


# ---------- by default: the tab's sessionStorage ----------


def test_by_default_the_conversation_stays_in_its_tab(bot, site, new_context):
    context = new_context(DESKTOP)
    page = context.new_page()
    widget = goto(page, site.origin + "/")
    first_person_starts_a_walkthrough(widget)
    stored = kept(page)
    assert stored["local"] == {} and stored["session"]["session"] and stored["session"]["history"]
    page.reload()  # the same tab: the same conversation
    widget = Widget(page)
    expect(widget.user_messages).to_have_text([QUESTION, WALKTHROUGH_OFFER])

    page.close()  # the first person leaves; the next one opens the site in a new tab
    next_person_sees_nothing_and_cannot_continue(goto(context.new_page(), site.origin + "/"))


def test_a_conversation_an_earlier_version_left_in_local_storage_is_removed(bot, site, new_context):
    context = new_context(DESKTOP)
    page = context.new_page()
    page.goto(site.origin + "/")
    prefix = f"helpdesk-widget:{bot.url}:"
    page.evaluate(
        """([prefix, text]) => {
        localStorage.setItem(prefix + 'history', JSON.stringify([{from: 'user', text}]));
        localStorage.setItem(prefix + 'session', JSON.stringify('0123abcd.0123abcd'));
    }""",
        [prefix, EARLIER],
    )
    page.reload()
    widget = Widget(page)
    widget.open()
    expect(widget.panel).not_to_contain_text(EARLIER)
    assert kept(page)["local"] == {}


# ---------- opted in: localStorage, forgotten after the idle expiry ----------


def make_idle(page: Page, minutes: float) -> None:
    """As if the last message had been `minutes` ago."""
    page.evaluate(
        """([minutes, prefix]) => {
        const key = Object.keys(localStorage).find(k => k.startsWith(prefix) && k.endsWith(':active'));
        localStorage.setItem(key, JSON.stringify(Date.now() - minutes * 60000));
    }""",
        [minutes, "helpdesk-widget:"],
    )


def test_a_kept_conversation_is_forgotten_after_the_idle_expiry(bot, site, new_context):
    context = new_context(DESKTOP)
    page = context.new_page()
    url = site.origin + "/?history=30"
    widget = goto(page, url)
    first_person_starts_a_walkthrough(widget)
    earlier_session = session_id(page, "local")
    assert kept(page)["session"].get("session") is None and isinstance(kept(page)["local"]["active"], int)

    make_idle(page, 29)  # within the 30 minutes: still there after a reload
    page.reload()
    expect(Widget(page).user_messages).to_have_text([QUESTION, WALKTHROUGH_OFFER])
    assert session_id(page, "local") == earlier_session

    make_idle(page, 31)  # the first person left half an hour ago; the next one comes
    page.close()
    page = context.new_page()
    widget = goto(page, url)
    next_person_sees_nothing_and_cannot_continue(widget)
    assert session_id(page, "local") not in (None, earlier_session)


def test_a_page_left_open_forgets_the_conversation_after_the_idle_expiry(bot, site, new_context):
    context = new_context(DESKTOP)
    page = context.new_page()
    widget = goto(page, site.origin + "/?history=30")
    first_person_starts_a_walkthrough(widget)
    earlier_session = session_id(page, "local")
    make_idle(page, 31)  # nobody touched the open page for half an hour
    expect(widget.user_messages).to_have_count(0, timeout=30_000)
    next_person_sees_nothing_and_cannot_continue(widget)
    assert session_id(page, "local") not in (None, earlier_session)


# ---------- 清除对话 ----------


@pytest.mark.parametrize(
    "query, area", [("", "session"), ("?history=30", "local")], ids=["default", "kept-30-minutes"]
)
def test_clear_conversation_forgets_the_history_and_the_session(bot, site, new_context, query, area):
    context = new_context(PHONE)
    page = context.new_page()
    widget = goto(page, site.origin + "/" + query)
    first_person_starts_a_walkthrough(widget)
    earlier_session = session_id(page, area)
    clear = widget.panel.get_by_role("button", name=CLEAR)
    expect(clear).to_be_visible()
    expect(clear).to_have_text(CLEAR)
    clear.click()
    expect(widget.user_messages).to_have_count(0)
    stored = str(kept(page))  # gone from the browser at once, not only from the screen
    assert QUESTION not in stored and earlier_session not in stored, stored
    widget.screenshot("phone-cleared")
    next_person_sees_nothing_and_cannot_continue(widget)  # on the same page, the same connection
    assert session_id(page, area) not in (None, earlier_session)
    page.reload()  # and the earlier conversation does not come back
    widget = Widget(page)
    expect(widget.user_messages).to_have_text([NEXT])
    expect(widget.panel).not_to_contain_text(APP_STEPS)
    assert earlier_session not in str(kept(page)) and QUESTION not in str(kept(page))


# ---------- data-shared-device: nothing kept ----------


def test_a_shared_device_page_keeps_nothing(bot, site, new_context):
    context = new_context(DESKTOP)
    page = context.new_page()
    widget = goto(page, site.origin + "/?shared=true")
    first_person_starts_a_walkthrough(widget)
    assert kept(page) == {"local": {}, "session": {}}
    page.reload()  # not even a reload keeps it
    widget = Widget(page)
    expect(widget.panel).to_be_hidden()
    next_person_sees_nothing_and_cannot_continue(widget)
    assert kept(page) == {"local": {}, "session": {}}


# ---------- the staff page ----------


def staff_widget(page: Page) -> Widget:
    return Widget(page, title=STAFF_TITLE, launcher=STAFF_LAUNCHER, placeholder=STAFF_PLACEHOLDER)


def test_the_staff_page_asks_for_the_token_and_only_then_rehearses(bot, site, new_context, knowledge):
    messages = knowledge.rehearsal["messages"]
    page = new_context(DESKTOP).new_page()
    widget = goto(page, site.origin + "/staff.html")
    widget = staff_widget(page)
    widget.open()
    token = widget.panel.get_by_label("工作人员口令")
    expect(token).to_be_visible()
    expect(widget.input).to_be_hidden()  # nothing to send before the token

    token.fill("not-the-staff-token-at-all")
    token.press("Enter")
    expect(widget.panel).to_contain_text("口令不正确", timeout=30_000)
    expect(widget.input).to_be_hidden()
    widget.screenshot("desktop-staff-token-refused")

    token.fill(STAFF_TOKEN)
    widget.panel.get_by_role("button", name="进入").click()
    widget.wait_connected()
    for text, expected in (
        ("培训演练", messages["ask_trainee"]),
        ("页面学员", "【场景 1/5】"),
        ("结束演练", messages["summary_none"]),
    ):
        widget.input.fill(text)
        widget.input.press("Enter")
        widget.bot_says(expected)
    widget.screenshot("desktop-staff-rehearsal")
    assert STAFF_TOKEN not in str(kept(page))  # kept in memory only
    page.reload()  # so a reload asks again
    widget = staff_widget(page)
    expect(widget.panel.get_by_label("工作人员口令")).to_be_visible()


def test_the_students_page_does_not_rehearse(bot, site, new_context, knowledge):
    widget = goto(new_context(PHONE).new_page(), site.origin + "/")
    widget.open()
    widget.wait_connected()
    widget.input.fill("培训演练")
    widget.input.press("Enter")
    widget.bot_says(knowledge.rehearsal["messages"]["staff_only"])
    expect(widget.panel).not_to_contain_text(knowledge.rehearsal["messages"]["ask_trainee"])
