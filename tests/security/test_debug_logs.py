"""No message text in any log at DEBUG level (issue 16, "Done when"): a real Rasa server and action
server started with Rasa's own `rasa run` / `rasa run actions` at --debug are sent a conversation of
every kind (Chinese, English, traditional characters, a phone number, a password, button payloads,
a walkthrough, socket.io, a staff rehearsal whose free-text answers go into slots). Neither log may
carry any of the students' texts or the bot's replies, in any form (raw, \\u escaped, escaped twice
inside JSON, simplified), while the logs still show what the bot did: intents, actions, slot names.
The scrubber's shapes and its linear time are checked directly below (server/log_scrub.py)."""

import json
import logging
import time

import pytest
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered

from harness.bot import ARTIFACTS, every_action_call_answered, new_sender, running_bot, say, wait_until
from harness.widget_client import WidgetClient
from server import redact_log_records
from server.log_scrub import scrub
from tests.security.test_redaction import revealed

LOG_PREFIX = "debug-logs-"
SERVERS = ("rasa_server", "action_server")
STAFF_TOKEN = "debug-logs-staff-token-0123456789"
PHONE, PASSWORD = "13912345678", "Qz7xK2mP9w"
# Made-up English words: if one is in a log, a student's English text is.
NONCES = ["flibbertigrok", "quxwobbleton", "snorkwhistle", "blorptastic", "wibblefrotz"]
REST_MESSAGES = [
    "职教云账号到底怎么注销呢",
    f"how do I sign out of the app {NONCES[0]} please",
    "學信網帳號可以借給同學用嗎",
    f"我的手机号是{PHONE}，换了手机号账号怎么办",
    f"我的密码是{PASSWORD}，智慧职教网页版怎么退出登录",
    '/logout{"other_platform": "%s"}' % NONCES[4],  # a slash command typed by hand
]
SOCKET_MESSAGES = ["学信网账号能不能给室友代为登录", f"{NONCES[1]} need help with my account"]
TRAINEE = f"Teacher {NONCES[2].capitalize()}"
REHEARSAL_ANSWER = f"先在网页端解除所有绑定然后提交注销申请 {NONCES[3]}"
WINDOW = 6  # characters of a text (as a reader reads it) that must not be found in a log


def press(reply, title):
    buttons = {b["title"]: b["payload"] for m in reply for b in m.get("buttons", [])}
    assert title in buttons, f"no button {title!r} in {list(buttons)}"
    return buttons[title]


@pytest.fixture(scope="module")
def conversation(trained_model, tmp_path_factory):
    """What was said (students and bot) and the two logs, of a bot started with plain `rasa` at
    --debug."""
    said, answers, payloads = [], [], []
    with running_bot(
        trained_model,
        tmp_path_factory.mktemp("debug-logs"),
        log_prefix=LOG_PREFIX,
        env={"HELPDESK_STAFF_TOKEN": STAFF_TOKEN},
        rasa_args=["--debug"],
        action_args=["--debug"],
        plain_rasa=True,
    ) as bot:
        sender = new_sender()
        for message in REST_MESSAGES:
            reply = say(bot.webhook, sender, message)
            said.append(message)
            answers.extend(m.get("text", "") for m in reply)
        answer = latest = say(bot.webhook, sender, REST_MESSAGES[0])
        # The buttons of an answer: 查看原文, and the walkthrough, then its 下一步.
        for reply, title in ((answer, "查看原文"), (answer, "需要我一步一步带你操作吗？"), (None, "下一步")):
            payloads.append(press(reply or latest, title))
            latest = say(bot.webhook, sender, payloads[-1])
            answers.extend(m.get("text", "") for m in latest)
        student = WidgetClient(bot.url)
        for message in SOCKET_MESSAGES:
            answers.extend(student.say(message))
            said.append(message)
        student.close()
        staff = WidgetClient(bot.url, staff_token=STAFF_TOKEN)
        for message in ("培训演练", TRAINEE, REHEARSAL_ANSWER, "结束演练"):
            answers.extend(staff.say(message))
            said.append(message)
        staff.close()
        wait_until(
            lambda: every_action_call_answered(*(ARTIFACTS / f"{LOG_PREFIX}{n}.log" for n in SERVERS)),
            "the action server's log has every action the Rasa server called",
        )
    logs = {
        name: (ARTIFACTS / f"{LOG_PREFIX}{name}.log").read_text(encoding="utf-8", errors="replace")
        for name in SERVERS
    }
    return said, [a for a in answers if a], payloads, logs


def windows(text):
    """Every WINDOW characters of a text as a reader reads it (escapes decoded, simplified, digits)
    that are not all ASCII (English words: NONCES; a URL of a reply is in many a log line)."""
    seen = revealed(text)
    every = {seen[i : i + WINDOW] for i in range(max(1, len(seen) - WINDOW + 1))}
    return {w for w in every if not w.isascii()}


def reader_view(log):
    """A log as a reader reads it: escapes decoded, also those escaped again inside JSON strings."""
    return revealed(log.replace("\\\\u", "\\u"))


@pytest.mark.e2e
def test_no_message_text_in_either_log_at_debug(conversation):
    said, answers, payloads, logs = conversation
    assert len(answers) >= len(said)  # the bot answered
    for name, log in logs.items():
        view = reader_view(log)
        for text in [*said, *answers]:
            found = sorted(w for w in windows(text) if w in view)
            assert not found, f"{name} log carries {text[:40]!r}: {found[:3]}"
        # A button's payload stays where the bot offers it (intent and entity names, like those the
        # log keeps); what the student sent by pressing it is not logged.
        for payload in payloads:
            for form in (payload, json.dumps(payload)[1:-1]):
                assert f'"parse_data_text": "{form}' not in log and f"user text: {form}" not in log
        for word in [*NONCES, PHONE, PASSWORD]:
            assert word.lower() not in view, (name, word)


@pytest.mark.e2e
def test_the_debug_logs_still_show_what_the_bot_did(conversation):
    _, _, _, logs = conversation
    rasa, actions = logs["rasa_server"], logs["action_server"]
    assert "Protections in force (Rasa server): log redaction" in rasa
    assert "Protections in force (action server): log redaction." in actions
    assert rasa.count('"parse_data_text": "【消息 ') >= len(REST_MESSAGES) + len(SOCKET_MESSAGES)
    for intent in (
        "deregister",
        "chsi_account_share",
        "show_sources",
        "walkthrough_start",
        "rehearsal_start",
    ):
        assert f'"name": "{intent}"' in rasa, intent
    for action in ("action_answer", "action_show_sources", "action_walkthrough", "rehearsal_form"):
        assert f"Predicted next action '{action}'" in rasa, action
    assert "user text: 【消息 " in rasa and "BotUttered('【消息 " in rasa
    assert "\\tplatform: icve\\n" in rasa and "rehearsal_trainee: 【槽值 " in rasa
    assert "Received request to run 'action_answer'" in actions


# ---- the shapes, one by one, and the time it takes ----
@pytest.mark.unit
def test_rasa_events_lose_their_texts_and_keep_the_rest():
    user = UserUttered(f"怎么注销 {NONCES[0]}", {"name": "deregister", "confidence": 0.9})
    bot = BotUttered(
        "好的，我一步一步带你", {"buttons": [{"title": "下一步", "payload": "/walkthrough_next"}]}
    )
    answer = SlotSet("rehearsal_answer", NONCES[1])
    for line in (
        f"events: {user}\n{bot!r}\n{bot}\n{answer!r}",
        json.dumps({"rasa_events": [repr(bot), str(user), repr(answer)]}),
        json.dumps({"rasa_events": [repr(SlotSet("rehearsal_trainee", "Li Lei"))]}),
    ):
        out = scrub(line)
        assert not any(w in out for w in [*NONCES, "注销", "Li Lei", "下一步"]) and "\\u" not in out, out
        assert "【消息 " in out or "【槽值 " in out
    assert ", intent: deregister," in scrub(str(user))
    assert "/walkthrough_next" in scrub(repr(bot))
    assert scrub(repr(SlotSet("platform", "icve"))) == "SlotSet(key: platform, value: icve)"


@pytest.mark.unit
def test_socketio_packets_and_event_dicts_lose_their_texts():
    # python-engineio's packet dump (compact JSON) and an event as the action server has it.
    packet = '2["user_uttered",{"message":"%s 怎么注销","session_id":"abc"}]' % NONCES[0]
    out = scrub(f"Received packet MESSAGE data {packet}")
    assert NONCES[0] not in out and '"session_id":"abc"' in out
    entities = [{"entity": "platform", "value": "icve"}, {"entity": "x", "value": f"{NONCES[2]} Wang"}]
    event = {"event": "user", "text": NONCES[1], "parse_data": {"entities": entities}}
    out = scrub(f"Contents of ignored event: '{event}'")
    assert not any(w in out for w in NONCES) and "'event': 'user'" in out
    assert "'value': 'icve'" in out  # an id of the bot's vocabulary stays


@pytest.mark.unit
def test_a_text_of_several_lines_in_the_rule_policys_states_is_removed_whole():
    text = f"first line\nsecond {NONCES[0]} | third \"quoted\" line"
    states = f"\n[state 1] user text: {text} | previous action name: action_listen\n[state 2] user intent: x"
    out = scrub(json.dumps({"current_states": states}))
    assert NONCES[0] not in out and "line" not in out, out
    assert "| previous action name: action_listen" in out and "user intent: x" in out


@pytest.mark.unit
def test_slots_keep_the_bots_ids_and_lose_what_people_typed():
    values = (
        "\tplatform: icve\n\trehearsal_trainee: lilei\n\tlast_goal: Some Words\n\twalkthrough: {'step': 1}"
    )
    out = scrub(json.dumps({"slot_values": values}))
    assert "platform: icve" in out and "walkthrough: {'step': 1}" in out
    assert "rehearsal_trainee: 【槽值 5字】" in out and "last_goal: 【槽值 10字】" in out
    out = scrub("Validating extracted slots: {'rehearsal_answer': \"I don't know\", 'platform': 'chsi'}")
    assert "know" not in out and "'platform': 'chsi'" in out


@pytest.mark.unit
def test_personal_data_then_text_are_masked_in_a_record(caplog):
    redact_log_records()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("rasa.core.processor").debug(
            "Received user message '%s' from '%s'", f"My password is {PASSWORD}", PHONE
        )
    assert (
        f"Received user message '【消息 {len('My password is 【密码】')}字】' from '【手机号】'"
        in caplog.text
    )


@pytest.mark.unit
@pytest.mark.parametrize(
    "hostile",
    [
        "user text: " * 50_000,
        '"text": "' + "a" * 500_000,
        "'text': '\\" * 50_000,
        "\\u804c" * 80_000,
        "\\\\u804c \\" * 50_000,
        "SlotSet(key: a, value: " * 20_000,
        '"slot_values": "' + "\\tk: v" * 80_000,
        "Validating extracted slots: " + "{'a': '" * 60_000,
        "职" * 250_000 + "a " * 125_000,
    ],
    ids=lambda hostile: repr(hostile[:16]),
)
def test_a_hostile_500_kb_record_is_scrubbed_in_linear_time(hostile):
    started = time.perf_counter()
    scrub(hostile)
    assert time.perf_counter() - started < 2.0
