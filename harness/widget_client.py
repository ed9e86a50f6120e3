"""A socket.io client that speaks the chat widget's protocol (tests, bench and `make rehearse`)."""

import time
from typing import Any, Dict, List, Optional

import socketio

DEMO_ORIGIN = "http://localhost:8000"
ANSWER_SETTLE_S = 0.2


class WidgetClient:
    """Connects like the widget on the demo page, asks for a session (resuming `session` when
    given) and collects the bot's answers. `staff_token`: connect as the widget on the staff page
    does (socket.io `auth`); a wrong one makes the connection fail (socketio.exceptions.
    ConnectionError). `origin=None` sends no Origin header (not a browser: `make rehearse`)."""

    def __init__(
        self,
        url: str,
        session: Optional[str] = None,
        origin: Optional[str] = DEMO_ORIGIN,
        socketio_path: str = "socket.io",
        transports=("polling",),
        staff_token: Optional[str] = None,
    ) -> None:
        self.answers: List[str] = []
        self.session: Optional[str] = None
        self.client = socketio.Client()
        self.client.on("bot_uttered", lambda message: self.answers.append(message.get("text", "")))
        self.client.on("session_confirm", self._confirmed)
        auth: Optional[Dict[str, Any]] = {"staff_token": staff_token} if staff_token else None
        self.client.connect(
            url,
            headers={"Origin": origin} if origin else {},
            transports=list(transports),
            socketio_path=socketio_path,
            auth=auth,
            wait_timeout=30,
        )
        self.client.emit("session_request", {"session_id": session})
        self.wait(lambda: self.session is not None, "no session_confirm")

    def _confirmed(self, session) -> None:
        self.session = session

    def send(self, text: str, **extra) -> None:
        self.client.emit("user_uttered", {"message": text, "session_id": self.session, **extra})

    def say(self, text: str, seconds: float = 120, **extra) -> List[str]:
        """Sends a message and returns the bot's answers to it: the channel acknowledges a
        message once the bot has answered it (channels/socketio.py)."""
        before = len(self.answers)
        self.client.call(
            "user_uttered", {"message": text, "session_id": self.session, **extra}, timeout=seconds
        )
        # The client hands each packet to a thread of its own: let the answers' threads, started
        # before the ack's, append them.
        count = -1
        while count != len(self.answers):
            count = len(self.answers)
            time.sleep(ANSWER_SETTLE_S)
        return self.answers[before:]

    def wait(self, condition, what: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, f"{what}; answers so far: {self.answers}"
            time.sleep(0.05)

    def wait_for(self, words: str, seconds: float = 30) -> str:
        """The first answer containing `words`."""
        self.wait(
            lambda: any(words in answer for answer in self.answers), f"no answer with {words!r}", seconds
        )
        return next(answer for answer in self.answers if words in answer)

    def close(self) -> None:
        # Not waiting for the long-poll in progress to end (up to the 25 s ping interval).
        self.client.eio.disconnect(abort=True)
