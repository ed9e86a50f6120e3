"""`make rehearse`: the training rehearsal in a terminal, for helpdesk trainees.

The rehearsal is for staff only (actions/rehearsal.py), and a terminal client is staff the way the
staff page is: it connects to the bot's socket.io channel with the staff token (channels/staff.py).
REST is never staff. By default it starts the bot itself (its own action server and Rasa server on
free ports, with a throwaway tracker store and a staff token made for this run; results go where
the action server keeps them: var/rehearsal.db or REHEARSAL_DB). With --server it rehearses on a
bot that is already running, with the token in HELPDESK_STAFF_TOKEN.

It says "培训演练", answers the name question with --trainee when given, then passes what the
trainee types until the summary comes (Ctrl-D ends the rehearsal early, as "结束演练" does). Each
message waits for its whole answer (the channel acknowledges a message once it is answered).

    python -m staff.rehearse [--trainee 张老师] [--server http://localhost:5005]
"""

import argparse
import os
import secrets
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional, Sequence, Text, Tuple

from socketio.exceptions import ConnectionError as SocketConnectionError

from harness.bot import running_bot
from harness.widget_client import WidgetClient
from knowledge.loader import load_knowledge
from staff import rehearsal_db

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "helpdesk.tar.gz"
START = "培训演练"
STOP = "结束演练"
# channels/staff.py reads it on the server (not imported: channels/ loads Rasa's server, seconds).
STAFF_TOKEN_ENV = "HELPDESK_STAFF_TOKEN"


@contextmanager
def bot_of(url: Optional[Text], model: Path, texts: dict) -> Iterator[Tuple[Text, Text]]:
    """The Rasa server's URL and its staff token: the running bot's (token from the environment),
    or a bot started here with a token made for this run."""
    if url:
        token = os.environ.get(STAFF_TOKEN_ENV, "")
        if not token:
            sys.exit(texts["no_token"])
        yield url.rstrip("/"), token
        return
    print(texts["starting"], flush=True)
    token = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory() as workdir:
        # The results are the trainee's, kept where the report reads them.
        env = {"REHEARSAL_DB": str(rehearsal_db.db_path()), STAFF_TOKEN_ENV: token}
        with running_bot(model, Path(workdir), log_prefix="rehearse-", env=env) as bot:
            yield bot.url, token


def rehearse(url: Text, token: Text, trainee: Optional[Text]) -> None:
    config = load_knowledge().rehearsal
    texts, last_words = config["terminal"], config["messages"]["again"]
    try:
        # Not a browser: no Origin header (the origin check is for web pages).
        client = WidgetClient(url, origin=None, staff_token=token)
    except SocketConnectionError:
        sys.exit(texts["token_refused"])

    def turn(message: Text) -> bool:
        """Sends a message and prints the replies; True once the rehearsal has ended."""
        replies = client.say(message)
        for reply in replies:
            print(f"\n{texts['bot']}\n{reply}", flush=True)
        return any(last_words in reply for reply in replies)

    try:
        turn(START)
        if trainee:
            print(f"\n{texts['prompt']}{trainee}")
            turn(trainee)
        while True:
            try:
                message = input(f"\n{texts['prompt']}").strip()
            except EOFError:  # Ctrl-D: the rehearsal ends as with 结束演练
                turn(STOP)
                break
            if message and turn(message):
                break
    finally:
        client.close()
    print(f"\n{texts['stopped']}")


def main(argv: Sequence[Text] = ()) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainee", default="", help="name or staff number (asked when not given)")
    parser.add_argument(
        "--server",
        default="",
        help=f"URL of a running Rasa server, e.g. http://localhost:5005 (staff token "
        f"in {STAFF_TOKEN_ENV}; default: start a bot)",
    )
    parser.add_argument("--model", type=Path, default=MODEL)
    args = parser.parse_args(list(argv) or None)
    texts = load_knowledge().rehearsal["terminal"]
    with bot_of(args.server, args.model, texts) as (url, token):
        rehearse(url, token, args.trainee.strip() or None)


if __name__ == "__main__":
    main()
