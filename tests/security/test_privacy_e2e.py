"""Issue 15, findings 3 and 8 (logs), on the real servers: a bot started at DEBUG (its own, so the
shared one keeps its log level) is sent personal data in every form of the probe over REST, in the
message, in `metadata` and in `input_channel`; no row of its tracker database and no line of its
logs (Rasa server and action server) may carry any of it."""

import json
import secrets
import sqlite3

import pytest
import requests

from harness.bot import ARTIFACTS, new_sender, running_bot
from harness.widget_client import WidgetClient
from tests.security.test_redaction import (
    EMAIL,
    FORMS,
    IN_A_SENTENCE,
    PASSWORD,
    PHONE,
    VALID_ID,
    revealed,
    survivors,
)

pytestmark = pytest.mark.e2e

LOG_PREFIX = "privacy-debug-"
STAFF_TOKEN = secrets.token_hex(16)  # the rehearsal is for staff: the staff page's token
SECRETS = [PHONE, PASSWORD, EMAIL, VALID_ID]
ESCAPED_PHONE = "".join(f"\\u{ord(d):04x}" for d in PHONE)
MESSAGES = [IN_A_SENTENCE.format(form) for form, _, _ in FORMS] + [
    f"我的身份证号是{' '.join([VALID_ID[:6], VALID_ID[6:14], VALID_ID[14:]])}，注册不了",
    f"你好，我的邮箱是{EMAIL}，密码是{PASSWORD}",
    ESCAPED_PHONE,
    "/logout" + json.dumps({"other_platform": PHONE}),
]
METADATA = {
    "phone": PHONE,
    "contact": {"mail": EMAIL, "note": f"密码：{PASSWORD}"},
    "list": ["一三八一二三四五六七八"],
    PHONE: 13812345678,
}


@pytest.fixture(scope="module")
def debug_bot(trained_model, tmp_path_factory):
    """A bot of its own whose Rasa server and action server log at DEBUG."""
    with running_bot(
        trained_model,
        tmp_path_factory.mktemp("privacy-debug"),
        log_prefix=LOG_PREFIX,
        env={"LOG_LEVEL": "DEBUG", "COLOREDLOGS_LOG_LEVEL": "DEBUG", "HELPDESK_STAFF_TOKEN": STAFF_TOKEN},
        rasa_args=["--debug"],
    ) as running:
        yield running


def post(webhook, body):
    return requests.post(webhook, json=body, timeout=60)


def stored_rows(tracker_db):
    with sqlite3.connect(tracker_db) as db:
        return db.execute("select * from events").fetchall()


def test_no_form_of_personal_data_is_stored_or_logged_at_debug(debug_bot):
    sender = new_sender()
    for message in MESSAGES:
        assert post(debug_bot.webhook, {"sender": sender, "message": message}).status_code == 200
    # A rehearsal, on the staff page's channel: the trainee's name and an answer carrying a phone
    # number.
    staff = WidgetClient(debug_bot.url, staff_token=STAFF_TOKEN)
    try:
        for message in ("培训演练", f"我是张老师，电话{PHONE}", f"先退出登录，我的手机是{PHONE}", "结束演练"):
            answered = len(staff.answers)
            staff.send(message)
            staff.wait(lambda answered=answered: len(staff.answers) > answered, f"no answer to {message}")
    finally:
        staff.close()
    assert "演练" in "".join(staff.answers), staff.answers  # the rehearsal did run
    # Metadata and input_channel over REST (a channel may refuse them: then nothing is stored).
    for body in (
        {"sender": new_sender(), "message": "你好", "metadata": METADATA},
        {
            "sender": new_sender(),
            "message": "职教云怎么注销",
            "input_channel": PHONE,
            "metadata": {"customData": {"phone": f"138　1234　5678 {EMAIL}"}},
        },
    ):
        assert post(debug_bot.webhook, body).status_code in (200, 400, 413)

    rows = stored_rows(debug_bot.tracker_db)
    assert len({row[1] for row in rows}) >= 2 and any("user" in map(str, row) for row in rows)
    for row in rows:
        text = " | ".join(str(column) for column in row)
        assert not survivors(text, SECRETS), text
    readable = " | ".join(" | ".join(map(str, row)) for row in rows)
    assert "【手机号】" in revealed(readable) and "【密码】" in revealed(readable)

    logs = {
        name: (ARTIFACTS / f"{LOG_PREFIX}{name}.log").read_text(encoding="utf-8", errors="replace")
        for name in ("rasa_server", "action_server")
    }
    assert "DEBUG" in logs["rasa_server"] and "DEBUG" in logs["action_server"]
    # The message as the NLU read it is logged as a placeholder with its length (server/log_scrub.py),
    # here with `python -m server` (tests/security/test_debug_logs.py: plain `rasa run`).
    assert '"parse_data_text": "【消息 ' in logs["rasa_server"]
    for name, log in logs.items():
        for line in log.splitlines():
            assert not survivors(line, SECRETS), f"{name}: {line}"
