"""The bot answers when the action server is down or slow (server/fallback.py), within the deadline
set in endpoints.yml, and says clearly when its tracker database cannot be opened."""

import subprocess
import sys
import time

import pytest

from harness.bot import ARTIFACTS, ROOT, SlowProxy, answer_text, free_port, new_sender, running_bot

pytestmark = pytest.mark.e2e

APP_STEPS = "“账户与安全”→“退出登录”"
BUSY = "系统暂时有点忙"


@pytest.fixture(scope="module")
def without_action_server(trained_model, tmp_path_factory):
    nowhere = f"http://127.0.0.1:{free_port()}/webhook"  # nothing listens there
    with running_bot(
        trained_model, tmp_path_factory.mktemp("down"), action_url_for=lambda _: nowhere, log_prefix="down-"
    ) as bot:
        yield bot


def test_faq_is_answered_from_the_knowledge_when_the_action_server_is_down(without_action_server):
    started = time.monotonic()
    answer = answer_text(without_action_server.webhook, new_sender(), "智慧职教APP怎么退出登录")
    assert APP_STEPS in answer and "72小时" in answer
    assert time.monotonic() - started < 5


def test_generic_question_with_a_platform_is_routed_statically(without_action_server):
    answer = answer_text(without_action_server.webhook, new_sender(), "智慧职教网页版怎么退出")
    assert "Ctrl+Shift+Delete" in answer


def test_small_talk_still_gets_its_response(without_action_server):
    assert "智慧职教" in answer_text(without_action_server.webhook, new_sender(), "你好")


def test_anything_else_gets_a_short_apology(without_action_server):
    assert BUSY in answer_text(without_action_server.webhook, new_sender(), "一步一步教我退出智慧职教APP")


def test_personal_data_is_still_warned_about(without_action_server):
    answer = answer_text(
        without_action_server.webhook, new_sender(), "我手机号13812345678，职教云APP怎么退出"
    )
    assert "请不要把身份证号、手机号、密码发给任何人" in answer and "13812345678" not in answer


def test_the_failure_is_logged_in_one_clear_line(without_action_server):
    answer_text(without_action_server.webhook, new_sender(), "学信网账号可以借给同学吗")
    log = (ARTIFACTS / "down-rasa_server.log").read_text(encoding="utf-8", errors="ignore")
    assert "answered by the Rasa server from the knowledge instead" in log


def test_slow_action_server_is_answered_for_within_the_deadline(trained_model, tmp_path_factory):
    proxy = SlowProxy(delay_s=8)
    with running_bot(
        trained_model,
        tmp_path_factory.mktemp("slow"),
        action_url_for=proxy.in_front_of,
        action_deadline_s=2,
        log_prefix="slow-",
    ) as bot:
        started = time.monotonic()
        answer = answer_text(bot.webhook, new_sender(), "学信网账号可以借给同学吗")
        took = time.monotonic() - started
    proxy.server.shutdown()
    assert "不可以" in answer
    assert took < 4, f"answered after {took:.1f} s with a 2 s deadline"


def test_unreachable_tracker_database_at_start_is_a_clear_error(trained_model, tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: stores.redacting.RedactingSQLTrackerStore\n"
        "  dialect: postgresql\n  url: 127.0.0.1\n"
        f"  port: {free_port()}\n  db: helpdesk\n  username: rasa\n  password: wrong\n",
        encoding="utf-8",
    )
    started = subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "run",
            "--model",
            str(trained_model),
            "--port",
            str(free_port()),
            "--endpoints",
            str(endpoints),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = started.stdout + started.stderr
    assert started.returncode != 0
    assert "Cannot open the tracker database (postgresql at 127.0.0.1" in output
    assert "Connection refused" in output
