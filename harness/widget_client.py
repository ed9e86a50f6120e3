"""A socket.io client that speaks the chat widget's protocol (tests and bench)."""

import time
from typing import List, Optional

import socketio

DEMO_ORIGIN = "http://localhost:8000"


class WidgetClient:
    """Connects like the widget on the demo page, asks for a session (resuming `session` when
    given) and collects the bot's answers."""

    def __init__(self, url: str, session: Optional[str] = None, origin: str = DEMO_ORIGIN,
                 socketio_path: str = "socket.io", transports=("polling",)) -> None:
        self.answers: List[str] = []
        self.session: Optional[str] = None
        self.client = socketio.Client()
        self.client.on("bot_uttered", lambda message: self.answers.append(message.get("text", "")))
        self.client.on("session_confirm", self._confirmed)
        self.client.connect(url, headers={"Origin": origin}, transports=list(transports),
                            socketio_path=socketio_path)
        self.client.emit("session_request", {"session_id": session})
        self.wait(lambda: self.session is not None, "no session_confirm")

    def _confirmed(self, session) -> None:
        self.session = session

    def send(self, text: str, **extra) -> None:
        self.client.emit("user_uttered", {"message": text, "session_id": self.session, **extra})

    def wait(self, condition, what: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, f"{what}; answers so far: {self.answers}"
            time.sleep(0.05)

    def wait_for(self, words: str, seconds: float = 30) -> str:
        """The first answer containing `words`."""
        self.wait(lambda: any(words in answer for answer in self.answers),
                  f"no answer with {words!r}", seconds)
        return next(answer for answer in self.answers if words in answer)

    def close(self) -> None:
        # Not waiting for the long-poll in progress to end (up to the 25 s ping interval).
        self.client.eio.disconnect(abort=True)
