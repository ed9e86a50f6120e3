"""Widget sessions cannot be taken over (issue 15, finding 7), on the real servers: the server
issues and signs session ids, a client resumes only an id it was given, a socket is in one
session's room, and REST senders cannot reach a widget's conversation."""

import time

import pytest
import requests

from harness.bot import new_sender, say
from harness.widget_client import WidgetClient

pytestmark = pytest.mark.e2e

APP_STEPS = "“账户与安全”→“退出登录”"
QUESTION = "智慧职教APP怎么退出登录"
# How long a socket listens for answers that must not come: the bot answers in well under a second.
QUIET_S = 3


@pytest.fixture
def widgets(bot):
    opened = []

    def open_widget(**options):
        opened.append(WidgetClient(bot.url, **options))
        return opened[-1]

    yield open_widget
    for widget in opened:
        widget.close()


def test_the_server_issues_a_new_session_for_an_id_it_did_not_give(widgets):
    made_up = new_sender()
    widget = widgets(session=made_up)
    assert widget.session != made_up and "." in widget.session


def test_a_session_given_by_the_server_can_be_resumed(widgets):
    first = widgets()
    first.send("一步一步教我退出智慧职教")
    first.wait_for("你是在哪里登录的")
    first.close()
    again = widgets(session=first.session)
    assert again.session == first.session
    again.send("手机APP")
    again.wait_for("第1/5步")


def test_a_forged_or_guessed_session_id_does_not_reach_the_victim(widgets):
    victim = widgets()
    raw, signature = victim.session.split(".")
    forged = [raw, f"{raw}.{'0' * len(signature)}", f"{raw}.{signature[:-1]}x", victim.session + "x"]
    attackers = [widgets(session=token) for token in forged]
    assert all(a.session != victim.session for a in attackers)
    for attacker in attackers:
        attacker.send(QUESTION)
        attacker.wait_for(APP_STEPS)
    time.sleep(QUIET_S)
    assert victim.answers == []


def test_a_message_naming_another_session_stays_in_the_senders_own(widgets):
    victim, attacker = widgets(), widgets()
    victim.send("一步一步教我退出智慧职教")
    victim.wait_for("你是在哪里登录的")
    attacker.client.emit("user_uttered", {"message": "退出引导", "session_id": victim.session})
    attacker.wait(lambda: attacker.answers, "the attacker's message was not answered in its own session")
    time.sleep(QUIET_S)
    assert len(victim.answers) == 1  # nothing the attacker sent or was told reached the victim
    victim.send("手机APP")
    victim.wait_for("第1/5步")  # the victim's walkthrough was not ended by the attacker


def test_a_socket_is_in_one_sessions_room_only(widgets):
    owner = widgets()
    collector = widgets()
    # The collector asks for a second session on the same socket, then for the owner's own id
    # (as if it had learnt it): it ends up in that one session's room, and no other.
    first_session = collector.session
    collector.client.emit("session_request", {"session_id": None})
    collector.wait(lambda: collector.session != first_session, "no second session")
    resumer = widgets(session=first_session)
    resumer.send(QUESTION)
    resumer.wait_for(APP_STEPS)
    owner.send(QUESTION)
    owner.wait_for(APP_STEPS)
    time.sleep(QUIET_S)
    assert collector.answers == []


def test_rest_cannot_use_a_widget_session_id(bot, widgets):
    widget = widgets()
    widget.send("一步一步教我退出智慧职教")
    widget.wait_for("你是在哪里登录的")
    raw = widget.session.split(".")[0]
    for sender in (f"web:{raw}", f"WEB:{raw}", f"wechat:{raw}"):
        reply = requests.post(bot.webhook, json={"sender": sender, "message": "退出引导"}, timeout=30)
        assert reply.status_code == 400, sender
    # The widget's own id as a REST sender is a REST conversation of its own.
    assert say(bot.webhook, widget.session, "退出引导")
    time.sleep(QUIET_S)
    assert len(widget.answers) == 1
    widget.send("手机APP")
    widget.wait_for("第1/5步")
