"""The chat widget's channel applies the same checks as REST (channels/limits.py) on the real bot:
long messages, control characters, flooding and malformed events."""

import time

import pytest

from harness.widget_client import WidgetClient

pytestmark = pytest.mark.e2e

APP_STEPS = "“账户与安全”→“退出登录”"


@pytest.fixture
def widget(bot):
    connected = WidgetClient(bot.url)
    yield connected
    connected.close()


def test_a_long_message_gets_the_polite_notice(widget):
    widget.send("请问" * 300)
    widget.wait_for("太长")


def test_control_characters_are_removed_and_the_question_answered(widget):
    widget.send("智慧职教\x00APP怎么\x07退出\x1b登录")
    widget.wait_for(APP_STEPS)


def test_malformed_events_are_dropped_and_the_channel_keeps_answering(widget):
    widget.client.emit("user_uttered", "不是一个对象")
    widget.client.emit("user_uttered", {"message": 12345, "session_id": widget.session})
    widget.client.emit("user_uttered", {"message": ["一个", "列表"]})
    widget.send("智慧职教APP怎么退出登录")
    widget.wait_for(APP_STEPS)
    assert len(widget.answers) == 1, widget.answers


def test_a_flooding_session_gets_the_rate_limit_notice(widget):
    for _ in range(31):
        widget.send("你好")
        time.sleep(0.05)  # long-polling packs what is queued into one request, up to 16 packets
    widget.wait_for("稍等")
