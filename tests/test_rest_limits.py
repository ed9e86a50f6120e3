"""Bad or abusive REST input gets a clean 4xx or a polite notice, never a 500 (channels/rest.py)."""

import asyncio
import secrets
import subprocess
import sys

import pytest
import requests

from channels.shared_state import MemoryState
from harness.bot import ROOT, answer_text, new_sender, running_bot, say

APP_STEPS = "“账户与安全”→“退出登录”"


def post_raw(webhook, body, content_type="application/json"):
    return requests.post(webhook, data=body, headers={"Content-Type": content_type}, timeout=30)


@pytest.mark.e2e
@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe\x00garbage",
        b'["a", "list"]',
        b'"just a string"',
        b'{"message": "no sender"}',
        b'{"sender": "", "message": "empty sender"}',
        b'{"sender": "s", "message": 12345}',
        b'{"sender": "s", "message": null}',
        b'{"sender": ["s"], "message": "hi"}',
    ],
)
def test_invalid_requests_get_400_with_a_reason(webhook, body):
    answer = post_raw(webhook, body)
    assert answer.status_code == 400
    assert answer.json()["error"]


@pytest.mark.e2e
def test_a_100_kb_message_gets_413(webhook):
    body = '{"sender": "s", "message": "%s"}' % ("啊" * 100_000)
    assert post_raw(webhook, body.encode()).status_code == 413


@pytest.mark.e2e
def test_a_long_message_gets_a_polite_notice_not_an_error(webhook):
    answer = requests.post(webhook, json={"sender": new_sender(), "message": "请问" * 300}, timeout=30)
    assert answer.status_code == 200
    assert "太长" in answer.json()[0]["text"]


@pytest.mark.e2e
def test_control_characters_are_removed_and_the_question_answered(webhook):
    text = "智慧职教\x00APP怎么\x07退出\x1b登录\u0085"
    assert APP_STEPS in answer_text(webhook, new_sender(), text)


@pytest.mark.e2e
def test_empty_and_blank_messages_get_a_polite_answer(webhook):
    for text in ["", "\x00\x01", "   "]:
        answer = requests.post(webhook, json={"sender": new_sender(), "message": text}, timeout=30)
        assert answer.status_code == 200 and answer.json(), text


@pytest.mark.e2e
def test_a_sender_over_the_rate_limit_gets_429_others_do_not(webhook):
    flooder = new_sender()
    statuses = [
        requests.post(webhook, json={"sender": flooder, "message": "你好"}, timeout=30).status_code
        for _ in range(35)
    ]
    assert statuses[:30] == [200] * 30
    assert set(statuses[30:]) == {429}
    refused = requests.post(webhook, json={"sender": flooder, "message": "你好"}, timeout=30)
    assert "稍等" in refused.json()[0]["text"]
    assert say(webhook, new_sender(), "你好")  # another student is not affected


@pytest.mark.unit
def test_rate_limit_window_slides():
    state = MemoryState()

    def allow(sender, now):
        return asyncio.run(state.allow(sender, count=2, seconds=10, now=now))

    assert allow("a", now=0) and allow("a", now=1)
    assert not allow("a", now=5)
    assert allow("a", now=10.5)  # the first message left the window
    assert allow("b", now=5)


@pytest.mark.e2e
def test_management_api_is_off(bot):
    for path in ["/status", "/model/parse", "/conversations/x/tracker", "/model"]:
        answer = requests.get(bot.url + path, timeout=10)
        assert answer.status_code in (403, 404, 405), path


@pytest.mark.e2e
def test_the_management_api_is_refused_without_a_token(trained_model):
    started = subprocess.run(
        [sys.executable, "-m", "server", "run", "--enable-api", "--model", str(trained_model)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 1 and "--auth-token" in started.stderr


@pytest.mark.e2e
def test_the_management_api_when_on_needs_the_token(trained_model, tmp_path):
    token = secrets.token_hex(16)
    with running_bot(
        trained_model, tmp_path, log_prefix="api-", rasa_args=["--enable-api", "--auth-token", token]
    ) as bot:
        assert requests.get(bot.url + "/status", timeout=10).status_code == 401
        assert requests.get(bot.url + "/conversations/x/tracker", timeout=10).status_code == 401
        assert requests.get(bot.url + "/status", params={"token": token}, timeout=10).ok


@pytest.mark.e2e
def test_rest_grants_no_cross_origin_access(webhook):
    answer = requests.post(
        webhook,
        json={"sender": new_sender(), "message": "你好"},
        headers={"Origin": "https://elsewhere.example"},
        timeout=30,
    )
    assert answer.status_code == 200
    assert "Access-Control-Allow-Origin" not in answer.headers
