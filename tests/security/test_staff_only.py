"""The training rehearsal is for staff only (issue 16, point 2), on a real bot with every channel:

- REST is never staff, also with a client's own {"staff": true} metadata;
- socket.io is staff with the staff token in its `auth` (the staff page, `make rehearse`), a student
  without it, also with {"staff": true} in a message's metadata; a wrong token is refused;
- WeChat is staff for the OpenIDs in STAFF_OPENIDS only.

A refused start gets the one sentence from the knowledge, and nothing reaches the results
database. The role is checked by the action server on every message the rehearsal takes, so a
student who resumes a staff member's widget session cannot answer in their rehearsal either.
(`make rehearse` as staff: tests/test_rehearsal.py.)
"""

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
import requests
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from socketio.exceptions import ConnectionError as SocketConnectionError

from actions.rehearsal import STAFF_METADATA_KEY, ValidateRehearsalForm, is_staff
from channels.staff import AUTH_KEY, StaffToken, staff_openids, with_role
from harness.bot import new_sender, running_bot
from harness.widget_client import WidgetClient
from staff import rehearse
from staff.rehearsal_db import read_all
from tests.test_wechat import WeChatApi, new_user, wechat_env
from tests.test_wechat import say as wechat_say

TOKEN = "role-test-staff-token-0123456789"
STAFF_OPENID = "o_staff_" + "a1b2c3d4e5f6"


@pytest.fixture(scope="module")
def roles_bot(trained_model, tmp_path_factory):
    """A bot with a staff token, a staff OpenID and the WeChat channel; its own results database."""
    api = WeChatApi()
    workdir = tmp_path_factory.mktemp("roles")
    env = {
        **wechat_env(api),
        "WECHAT_REPLY_SECONDS": "30",
        "WECHAT_REPLY_MAX_BYTES": "1800",
        "HELPDESK_STAFF_TOKEN": TOKEN,
        "STAFF_OPENIDS": f" someone-else ,{STAFF_OPENID}",
    }
    with running_bot(trained_model, workdir, env=env, log_prefix="roles-") as bot:
        yield bot, workdir / "rehearsal.db"
    api.server.shutdown()


@pytest.fixture
def bot(roles_bot):
    return roles_bot[0]


@pytest.fixture
def results(roles_bot):
    """The rows of the bot's rehearsal results database."""
    return lambda: read_all(roles_bot[1])


@pytest.fixture
def sockets(bot):
    opened = []

    def connect(**options):
        opened.append(WidgetClient(bot.url, **options))
        return opened[-1]

    yield connect
    for client in opened:
        client.close()


def text(replies):
    return "\n".join(reply.get("text", "") if isinstance(reply, dict) else reply for reply in replies)


def rest(bot, sender, message, **extra):
    answer = requests.post(bot.webhook, json={"sender": sender, "message": message, **extra}, timeout=60)
    answer.raise_for_status()
    return text(answer.json())


def a_refused_start(knowledge, results, send, trainee):
    """Starts as a student would and goes on as if it had started: refused, nothing recorded."""
    messages = knowledge.rehearsal["messages"]
    before = len(results())
    reply = send("培训演练")
    assert reply == messages["staff_only"], reply
    assert messages["ask_trainee"] not in reply
    for later in (trainee, "我不知道", "结束演练"):
        reply = send(later)
        assert "【场景" not in reply and "得分" not in reply, reply
    assert len(results()) == before and not [r for r in results() if r["trainee"] == trainee]


# ---------- REST: never staff ----------


@pytest.mark.e2e
def test_a_student_over_rest_is_refused_and_nothing_is_recorded(bot, knowledge, results):
    sender = new_sender()
    a_refused_start(knowledge, results, lambda m: rest(bot, sender, m), "REST学生")


@pytest.mark.e2e
def test_rest_metadata_saying_staff_is_dropped(bot, knowledge, results):
    sender = new_sender()
    forged = {"metadata": {STAFF_METADATA_KEY: True}, "input_channel": "socketio"}
    a_refused_start(knowledge, results, lambda m: rest(bot, sender, m, **forged), "REST冒充")
    # Nor is the client's mark stored with the conversation.
    with sqlite3.connect(bot.tracker_db) as db:
        events = [
            json.loads(row[0])
            for row in db.execute(
                "select data from events where sender_id = ? and type_name = 'user'", (sender,)
            )
        ]
    assert events and all(STAFF_METADATA_KEY not in (e.get("metadata") or {}) for e in events)
    assert all(e.get("input_channel") == "rest" for e in events)


# ---------- socket.io: staff with the token only ----------


@pytest.mark.e2e
def test_a_widget_without_the_token_is_refused(sockets, knowledge, results):
    student = sockets()
    a_refused_start(knowledge, results, lambda m: text(student.say(m)), "网页学生")


@pytest.mark.e2e
def test_a_widget_saying_staff_in_its_metadata_is_refused(sockets, knowledge, results):
    student = sockets()
    forged = {"metadata": {STAFF_METADATA_KEY: True}}
    a_refused_start(knowledge, results, lambda m: text(student.say(m, **forged)), "网页冒充")


@pytest.mark.e2e
def test_a_wrong_token_is_refused_at_connection(sockets):
    for wrong in (TOKEN[:-1], TOKEN + "x", TOKEN.upper(), "x" * 200):
        with pytest.raises(SocketConnectionError):
            sockets(staff_token=wrong)


@pytest.mark.e2e
def test_the_staff_token_starts_it_and_the_answers_are_recorded(sockets, knowledge, results):
    staff = sockets(staff_token=TOKEN)
    assert knowledge.rehearsal["messages"]["ask_trainee"] in text(staff.say("培训演练"))
    assert "【场景 1/5】" in text(staff.say("网页老师"))
    assert "得分：" in text(staff.say("我不知道"))
    assert "网页老师完成了1个场景" in text(staff.say("结束演练"))
    assert [r["score"] for r in results() if r["trainee"] == "网页老师"] == [0]


@pytest.mark.e2e
def test_a_student_resuming_a_staff_session_cannot_answer_in_the_rehearsal(sockets, knowledge, results):
    staff = sockets(staff_token=TOKEN)
    staff.say("培训演练")
    assert "【场景 1/5】" in text(staff.say("被接管的老师"))
    # The same session id (a shared computer), without the token.
    student = sockets(session=staff.session)
    assert student.session == staff.session
    assert text(student.say("我不知道")) == knowledge.rehearsal["messages"]["staff_only"]
    assert not any(r["trainee"] == "被接管的老师" for r in results())
    # The rehearsal has ended: the summary is nobody's, the staff member starts again.
    assert "得分" not in text(staff.say("我不知道"))


# ---------- WeChat: the OpenIDs on STAFF_OPENIDS ----------


@pytest.mark.e2e
def test_a_wechat_user_not_on_the_staff_list_is_refused(bot, knowledge, results):
    url, user = bot.url + "/webhooks/wechat/webhook", new_user()
    a_refused_start(knowledge, results, lambda m: wechat_say(url, user, m), "微信学生")


@pytest.mark.e2e
def test_a_wechat_openid_on_the_staff_list_starts_it(bot, knowledge, results):
    url = bot.url + "/webhooks/wechat/webhook"
    assert knowledge.rehearsal["messages"]["ask_trainee"] in wechat_say(url, STAFF_OPENID, "培训演练")
    assert "【场景 1/5】" in wechat_say(url, STAFF_OPENID, "微信老师")
    wechat_say(url, STAFF_OPENID, "我不知道")
    wechat_say(url, STAFF_OPENID, "结束演练")
    assert [r["score"] for r in results() if r["trainee"] == "微信老师"] == [0]


# ---------- the parts, each on its own ----------


@pytest.mark.unit
def test_no_staff_token_configured_means_nobody_is_staff():
    nobody = StaffToken.from_environment({})
    assert not nobody.configured
    assert not any(nobody.accepts(offered) for offered in ("", None, TOKEN, "x" * 16))
    with pytest.raises(ValueError):
        StaffToken("too-short")  # a guessable token is refused at start-up


@pytest.mark.unit
def test_the_staff_token_is_compared_exactly():
    token = StaffToken.from_environment({"HELPDESK_STAFF_TOKEN": TOKEN})
    assert token.accepts(TOKEN)
    assert not any(
        token.accepts(offered)
        for offered in (TOKEN[:-1], TOKEN + " ", TOKEN.upper(), "", None, 1, [TOKEN], {"token": TOKEN})
    )


@pytest.mark.unit
def test_the_staff_openids_and_the_metadata_mark():
    assert staff_openids({"STAFF_OPENIDS": " a ,b,,  "}) == {"a", "b"}
    assert staff_openids({}) == frozenset()
    assert with_role({"staff": True, "x": 1}, staff=False) == {"x": 1}
    assert with_role({"staff": "yes"}, staff=True) == {"staff": True}
    assert with_role(None, staff=False) == {}


@pytest.mark.unit
def test_the_terminal_client_sends_the_token_the_channel_reads():
    assert rehearse.STAFF_TOKEN_ENV == "HELPDESK_STAFF_TOKEN" and AUTH_KEY == "staff_token"


def tracker_from(channel, metadata):
    return Tracker(
        "someone",
        {},
        {"intent": {"name": "rehearsal_start"}, "metadata": metadata},
        [{"event": "user", "text": "培训演练", "input_channel": channel, "metadata": metadata}],
        False,
        None,
        {},
        "action_listen",
    )


@pytest.mark.unit
@pytest.mark.parametrize(
    "channel, metadata, staff",
    [
        ("socketio", {"staff": True}, True),
        ("wechat", {"staff": True}, True),
        ("rest", {"staff": True}, False),  # a REST client writes its own metadata
        ("cmdline", {"staff": True}, False),
        ("socketio", {"staff": "true"}, False),
        ("socketio", {}, False),
        ("wechat", None, False),
    ],
)
def test_the_action_trusts_the_mark_only_from_the_channels_that_set_it(channel, metadata, staff):
    assert is_staff(tracker_from(channel, metadata)) is staff


@pytest.mark.unit
def test_the_form_ends_before_grading_for_a_student(domain, tmp_path, monkeypatch):
    monkeypatch.setenv("REHEARSAL_DB", str(tmp_path / "rehearsal.db"))
    dispatcher = CollectingDispatcher()
    tracker = tracker_from("rest", {"staff": True})
    tracker.slots.update(
        {
            "requested_slot": "rehearsal_answer",
            "rehearsal": {"session": "s", "trainee": "t", "scenarios": ["x"], "index": 0, "results": []},
        }
    )
    events = asyncio.run(ValidateRehearsalForm().run(dispatcher, tracker, domain))
    assert {"event": "slot", "name": "requested_slot", "value": None} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]
    assert dispatcher.messages == [] and not Path(tmp_path / "rehearsal.db").exists()
