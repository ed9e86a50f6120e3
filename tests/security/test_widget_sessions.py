"""Widget sessions cannot be taken over (issue 15, finding 7), on the real servers: the server
issues and signs session ids, a client resumes only an id it was given, a socket is in one
session's room, and REST senders cannot reach a widget's conversation."""

import pytest
import requests

from harness.bot import new_sender, say
from harness.widget_client import WidgetClient

pytestmark = pytest.mark.e2e

APP_STEPS = "“账户与安全”→“退出登录”"
QUESTION = "智慧职教APP怎么退出登录"
# Answers that must not come are waited for with a fence, not a pause: the intruder's message is
# acknowledged once the bot has answered it (WidgetClient.say, client.call), so whatever it sent to
# a wrong room was already queued for that socket; a round trip of the watched socket's own comes
# after it, in order.


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
        assert any(APP_STEPS in answer for answer in attacker.say(QUESTION))
    victim.say("你好")  # the fence
    assert victim.answers and not any(APP_STEPS in answer for answer in victim.answers), victim.answers


def test_a_message_naming_another_session_stays_in_the_senders_own(widgets):
    victim, attacker = widgets(), widgets()
    victim.send("一步一步教我退出智慧职教")
    victim.wait_for("你是在哪里登录的")
    attacker.client.call("user_uttered", {"message": "退出引导", "session_id": victim.session}, timeout=60)
    attacker.wait(lambda: attacker.answers, "the attacker's message was not answered in its own session")
    own = victim.say("手机APP")  # the fence, and the victim's walkthrough was not ended by the attacker
    assert any("第1/5步" in answer for answer in own), own
    # Nothing the attacker sent or was told reached the victim.
    assert victim.answers == victim.answers[:1] + own and not set(attacker.answers) & set(victim.answers)


def test_a_socket_is_in_one_sessions_room_only(widgets):
    owner = widgets()
    collector = widgets()
    # The collector asks for a second session on the same socket, then for the owner's own id
    # (as if it had learnt it): it ends up in that one session's room, and no other.
    first_session = collector.session
    collector.client.emit("session_request", {"session_id": None})
    collector.wait(lambda: collector.session != first_session, "no second session")
    resumer = widgets(session=first_session)
    assert any(APP_STEPS in answer for answer in resumer.say(QUESTION))
    assert any(APP_STEPS in answer for answer in owner.say(QUESTION))
    collector.say("你好")  # the fence
    assert collector.answers and not any(APP_STEPS in answer for answer in collector.answers)


def test_rest_cannot_use_a_widget_session_id(bot, widgets):
    widget = widgets()
    widget.send("一步一步教我退出智慧职教")
    widget.wait_for("你是在哪里登录的")
    raw = widget.session.split(".")[0]
    for sender in (f"web:{raw}", f"WEB:{raw}", f"wechat:{raw}"):
        reply = requests.post(bot.webhook, json={"sender": sender, "message": "退出引导"}, timeout=30)
        assert reply.status_code == 400, sender
    # The widget's own id as a REST sender is a REST conversation of its own.
    assert say(bot.webhook, widget.session, "退出引导")  # answered: whatever it emitted is queued
    own = widget.say("手机APP")  # the fence, and the widget's walkthrough goes on
    assert any("第1/5步" in answer for answer in own), own
    assert widget.answers == widget.answers[:1] + own, widget.answers
    widget.send("手机APP")
    widget.wait_for("第1/5步")
