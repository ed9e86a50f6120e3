"""The chat widget's channel applies the same checks as REST (channels/limits.py) on the real bot:
long messages, control characters, flooding and malformed events."""

import time

import pytest
import socketio

from harness.bot import new_sender

ORIGIN = "http://localhost:8000"
APP_STEPS = "“账户与安全”→“退出登录”"


class Widget:
    """A socket.io client speaking the widget's protocol (session persistence on)."""

    def __init__(self, url):
        self.answers, self.session = [], new_sender()
        self.client = socketio.Client()
        self.client.on("bot_uttered", lambda message: self.answers.append(message.get("text", "")))
        self.client.connect(url, headers={"Origin": ORIGIN}, transports=["polling"])
        self.client.emit("session_request", {"session_id": self.session})

    def send(self, text):
        self.client.emit("user_uttered", {"message": text, "session_id": self.session})

    def close(self):
        # Not waiting for the long-poll in progress to end (up to the 25 s ping interval).
        self.client.eio.disconnect(abort=True)

    def wait_for(self, words, seconds=30):
        deadline = time.monotonic() + seconds
        while not any(words in answer for answer in self.answers):
            assert time.monotonic() < deadline, self.answers
            time.sleep(0.1)


@pytest.fixture
def widget(bot):
    connected = Widget(bot.url)
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
    widget.client.emit("user_uttered", {"message": "你好"})  # no session id
    widget.send("智慧职教APP怎么退出登录")
    widget.wait_for(APP_STEPS)
    assert not any("你好" in answer for answer in widget.answers[:-1])


def test_a_flooding_session_gets_the_rate_limit_notice(widget):
    for _ in range(31):
        widget.send("你好")
        time.sleep(0.05)  # long-polling packs what is queued into one request, up to 16 packets
    widget.wait_for("稍等")
