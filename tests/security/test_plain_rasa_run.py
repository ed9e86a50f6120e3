"""The servers' protections hold however they are started (issue 16, point 3): here with Rasa's own
`rasa run` and `rasa run actions`, as a deployment (the official image, a Helm chart) starts them,
both at DEBUG level, where Rasa logs every message text (Chinese escaped in JSON): no personal data
and no message text in either log (tests/security/test_debug_logs.py for every shape of it)."""

import json
import sqlite3
import subprocess
import time

import pytest
import requests

from harness.bot import (
    ARTIFACTS,
    ROOT,
    SlowProxy,
    answer_text,
    every_action_call_answered,
    free_port,
    launcher,
    new_sender,
    running_bot,
    server_environment,
    wait_until,
)

pytestmark = pytest.mark.e2e

PRIVATE = {"密码": "Qz7xK2mP9w", "手机": "13912345678", "身份证": "11010519491231002X"}
MESSAGE = f"我的密码是{PRIVATE['密码']}，手机{PRIVATE['手机']}，身份证{PRIVATE['身份证']}，职教云怎么注销"
ACTION_DELAY_S, DEADLINE_S = 8, 2
APP_STEPS = "“账户与安全”→“退出登录”"


@pytest.fixture(scope="module")
def plain_bot(trained_model, tmp_path_factory):
    """Both servers started with `rasa`, at DEBUG, the action server behind a proxy that answers
    only after ACTION_DELAY_S (the Rasa server's deadline is DEADLINE_S)."""
    proxy = SlowProxy(delay_s=ACTION_DELAY_S)
    with running_bot(
        trained_model,
        tmp_path_factory.mktemp("plain"),
        log_prefix="plain-rasa-",
        action_url_for=proxy.in_front_of,
        action_deadline_s=DEADLINE_S,
        rasa_args=["--debug"],
        action_args=["--debug"],
        plain_rasa=True,
    ) as bot:
        yield bot
    proxy.server.shutdown()


def logs():
    return "".join(
        (ARTIFACTS / f"plain-rasa-{name}.log").read_text(encoding="utf-8")
        for name in ("rasa_server", "action_server")
    )


def every_action_call_reached_the_action_server():
    """The proxy passes each call on ACTION_DELAY_S after the Rasa server made it (and gave up on
    it); the action server logs the request, tracker and all, when it finally gets it."""
    rasa_log, action_log = (ARTIFACTS / f"plain-rasa-{name}.log" for name in ("rasa_server", "action_server"))
    wait_until(
        lambda: every_action_call_answered(rasa_log, action_log),
        "every action call reached the action server",
        seconds=ACTION_DELAY_S + 60,
    )


def test_each_server_says_which_protections_are_in_force(plain_bot):
    text = logs()
    assert "Protections in force (Rasa server): log redaction, action deadline" in text
    assert "Protections in force (action server): log redaction." in text


def test_the_action_deadline_holds(plain_bot):
    started = time.monotonic()
    answer = answer_text(plain_bot.webhook, new_sender(), "智慧职教APP怎么退出登录")
    assert APP_STEPS in answer, answer  # the Rasa server's own answer from the knowledge
    assert time.monotonic() - started < ACTION_DELAY_S


def test_no_personal_data_in_debug_logs_or_the_database(plain_bot):
    answer_text(plain_bot.webhook, new_sender(), MESSAGE)
    every_action_call_reached_the_action_server()  # its DEBUG log of the late request is read too
    text = logs()
    question = "职教云怎么注销"
    # The message was logged (as the placeholder with its length), its words were not.
    assert '"parse_data_text": "【消息 ' in text
    assert question not in text and json.dumps(question)[1:-1] not in text
    escaped = {value: json.dumps(value)[1:-1] for value in PRIVATE.values()}
    for value, in_json in escaped.items():
        assert value not in text and in_json not in text, value
    with sqlite3.connect(plain_bot.tracker_db) as db:
        rows = " ".join(data for (data,) in db.execute("select data from events"))
    assert rows and not any(value in rows for value in PRIVATE.values())


def test_get_root_does_not_name_rasa(plain_bot):
    assert "rasa" not in requests.get(plain_bot.url + "/", timeout=10).text.lower()


def test_rasa_run_refuses_an_open_management_api(trained_model):
    # From the project folder, with its credentials.yml and endpoints.yml, as a deployment runs it.
    result = subprocess.run(
        [
            *launcher(plain_rasa=True),
            "run",
            "--model",
            str(trained_model),
            "--enable-api",
            "--port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        env=server_environment(),
    )
    assert result.returncode != 0
    assert "Refusing to start: --enable-api without --auth-token" in result.stdout + result.stderr
