"""Guessing the staff token is limited (channels/staff.py `TokenGuard`): after MAX_WRONG_TOKENS wrong
tokens from one client address within WRONG_TOKEN_WINDOW_S, that address is refused, the right
token too, with TOKEN_LOCKED (the staff page shows its own text for it), until the window passes;
other addresses are not affected. On real servers: one behind a trusted proxy (SANIC_PROXIES_COUNT=1,
so X-Forwarded-For names the client), one not (a client's X-Forwarded-For changes nothing)."""

import asyncio

import pytest
import socketio
from playwright.sync_api import expect

from channels.shared_state import MemoryState, RedisState
from channels.staff import (
    MAX_WRONG_TOKENS,
    TOKEN_LOCKED,
    TOKEN_REFUSED,
    StaffToken,
    TokenGuard,
    client_address,
)
from harness.bot import ARTIFACTS, logged_count, running_bot, wait_until
from harness.browser import system_chromium
from harness.cluster import local_redis
from harness.widget_client import DEMO_ORIGIN, WidgetClient
from tests.test_widget import DESKTOP, Site, goto
from tests.test_widget_shared import staff_widget

TOKEN = "limit-test-staff-token-0123456789"
WRONG = [f"wrong-guess-{n:02d}-abcdefghijklmnop" for n in range(MAX_WRONG_TOKENS + 2)]


def start(trained_model, tmp_path_factory, name, env, allowed_origins=()):
    return running_bot(
        trained_model,
        tmp_path_factory.mktemp(name),
        allowed_origins=[DEMO_ORIGIN, *allowed_origins],
        log_prefix=f"{name}-",
        env={"HELPDESK_STAFF_TOKEN": TOKEN, **env},
    )


@pytest.fixture(scope="module")
def staff_site():
    """web/ (the staff page) served from an origin of its own."""
    site = Site()
    yield site
    site.close()


@pytest.fixture(scope="module")
def proxied_bot(trained_model, tmp_path_factory, staff_site):
    """Told that one proxy stands in front of it: the client is X-Forwarded-For's last address
    (without the header, the connection's own). The staff page of `staff_site` talks to it."""
    env = {"SANIC_PROXIES_COUNT": "1"}
    with start(trained_model, tmp_path_factory, "token-limit-proxied", env, [staff_site.origin]) as bot:
        staff_site.point_at(bot.url)
        yield bot


@pytest.fixture(scope="module")
def direct_bot(trained_model, tmp_path_factory):
    with start(trained_model, tmp_path_factory, "token-limit-direct", {}) as bot:
        yield bot


def attempt(url, token, forwarded_for=None):
    """Connects as the staff page does; None when accepted, else the server's refusal."""
    client, refusals = socketio.Client(), []
    client.on("connect_error", lambda data: refusals.append((data or {}).get("message")))
    headers = {"Origin": DEMO_ORIGIN}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    try:
        client.connect(
            url, headers=headers, transports=["polling"], auth={"staff_token": token}, wait_timeout=30
        )
    except socketio.exceptions.ConnectionError:
        assert refusals, "refused without a reason"
        return refusals[-1]
    client.eio.disconnect(abort=True)
    return None


@pytest.mark.e2e
def test_the_right_token_the_first_time_is_staff(proxied_bot, knowledge):
    assert attempt(proxied_bot.url, TOKEN, "203.0.113.1") is None
    staff = WidgetClient(proxied_bot.url, staff_token=TOKEN)
    try:
        assert knowledge.rehearsal["messages"]["ask_trainee"] in "\n".join(staff.say("培训演练"))
    finally:
        staff.close()


@pytest.mark.e2e
def test_wrong_guesses_lock_their_address_only(proxied_bot):
    guesser, colleague = "203.0.113.7", "198.51.100.23"
    refusals = [attempt(proxied_bot.url, wrong, guesser) for wrong in WRONG[:MAX_WRONG_TOKENS]]
    assert refusals == [TOKEN_REFUSED] * (MAX_WRONG_TOKENS - 1) + [TOKEN_LOCKED]
    assert attempt(proxied_bot.url, TOKEN, guesser) == TOKEN_LOCKED  # the right token too
    assert attempt(proxied_bot.url, WRONG[-1], guesser) == TOKEN_LOCKED
    assert attempt(proxied_bot.url, TOKEN, colleague) is None  # another address is not affected
    log_file = ARTIFACTS / "token-limit-proxied-rasa_server.log"
    wait_until(lambda: logged_count(log_file, "wrong tokens from") > 0, "the lock is logged")
    log = log_file.read_text(encoding="utf-8")
    locked = [line for line in log.splitlines() if "wrong tokens from" in line]
    assert len(locked) == 1 and guesser in locked[0], locked  # once, with the address
    assert not any(wrong in log for wrong in WRONG), "a guessed token is in the log"


@pytest.mark.e2e
def test_the_staff_page_says_that_its_address_is_refused(proxied_bot, staff_site):
    # The browser connects from 127.0.0.1 (no X-Forwarded-For): four wrong tokens from there first.
    assert [attempt(proxied_bot.url, w) for w in WRONG[: MAX_WRONG_TOKENS - 1]] == [TOKEN_REFUSED] * (
        MAX_WRONG_TOKENS - 1
    )
    with system_chromium() as browser:
        page = browser.new_context(locale="zh-CN", **DESKTOP).new_page()
        goto(page, staff_site.origin + "/staff.html")
        page_shows_the_refusal(staff_widget(page))


def page_shows_the_refusal(widget):
    widget.open()
    token = widget.panel.get_by_label("工作人员口令")
    for offered in (WRONG[-1], TOKEN):  # the fifth wrong one, then the right one: both refused
        token.fill(offered)
        token.press("Enter")
        # Submitting hides the token field; it is asked for again only when the server refused it.
        expect(token).to_be_visible(timeout=30_000)
        expect(widget.panel).to_contain_text("口令错误次数过多")
        expect(widget.panel).not_to_contain_text("口令不正确")
        expect(widget.input).to_be_hidden()
    widget.screenshot("staff-token-locked")


@pytest.mark.e2e
def test_an_untrusted_x_forwarded_for_does_not_make_a_new_address(direct_bot):
    for n, wrong in enumerate(WRONG[:MAX_WRONG_TOKENS]):
        attempt(direct_bot.url, wrong, f"192.0.2.{n}")
    # Without a proxy configured the header is the client's own word: the same address for all.
    assert attempt(direct_bot.url, TOKEN, "192.0.2.200") == TOKEN_LOCKED


@pytest.mark.e2e
def test_the_count_holds_across_replicas_sharing_redis():
    """Two replicas' guards on one real Redis (REDIS_HOST): wrong guesses at either count."""
    with local_redis() as port:

        async def scenario():
            replicas = [TokenGuard(StaffToken(TOKEN), RedisState("127.0.0.1", port)) for _ in range(2)]
            answers = []
            for n, wrong in enumerate(WRONG[:MAX_WRONG_TOKENS]):
                answers.append(await replicas[n % 2].refusal(wrong, "203.0.113.50"))
            answers.append(await replicas[0].refusal(TOKEN, "203.0.113.50"))
            answers.append(await replicas[1].refusal(TOKEN, "203.0.113.51"))
            return answers

        answers = asyncio.run(scenario())
    expected = [TOKEN_REFUSED] * (MAX_WRONG_TOKENS - 1) + [TOKEN_LOCKED, TOKEN_LOCKED, None]
    assert answers == expected


# ---- the guard itself: the window passes, every address counts alone ----
@pytest.mark.unit
def test_the_lock_ends_when_the_window_has_passed():
    guard = TokenGuard(StaffToken(TOKEN), MemoryState(), attempts=3, window_s=0.5)

    async def scenario():
        wrong = [await guard.refusal(w, "10.0.0.1") for w in WRONG[:3]]
        during = await guard.refusal(TOKEN, "10.0.0.1")
        other = await guard.refusal(TOKEN, "10.0.0.2")
        await asyncio.sleep(0.6)
        after = await guard.refusal(TOKEN, "10.0.0.1")
        return wrong, during, other, after

    wrong, during, other, after = asyncio.run(scenario())
    assert wrong == [TOKEN_REFUSED, TOKEN_REFUSED, TOKEN_LOCKED]
    assert during == TOKEN_LOCKED and other is None and after is None


@pytest.mark.unit
def test_a_right_token_does_not_reset_the_count_of_wrong_ones():
    guard = TokenGuard(StaffToken(TOKEN), MemoryState(), attempts=3, window_s=60)

    async def scenario():
        answers = []
        for offered in (WRONG[0], TOKEN, WRONG[1], TOKEN, WRONG[2], TOKEN):
            answers.append(await guard.refusal(offered, "10.0.0.3"))
        return answers

    assert asyncio.run(scenario()) == [TOKEN_REFUSED, None, TOKEN_REFUSED, None, TOKEN_LOCKED, TOKEN_LOCKED]


@pytest.mark.unit
def test_the_address_is_sanics_not_engineios_placeholder():
    class Request:
        remote_addr, ip = "", "198.51.100.9"

    assert client_address({"REMOTE_ADDR": "127.0.0.1", "sanic.request": Request()}) == "198.51.100.9"
    Request.remote_addr = "203.0.113.5"  # a forwarded address Sanic was told to trust
    assert client_address({"REMOTE_ADDR": "127.0.0.1", "sanic.request": Request()}) == "203.0.113.5"
