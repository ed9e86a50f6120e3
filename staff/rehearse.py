"""`make rehearse`: the training rehearsal in a terminal, for helpdesk trainees.

Starts the bot (its own action server and Rasa server on free ports, with a throwaway tracker
store; results go where the action server keeps them: var/rehearsal.db or REHEARSAL_DB), or talks
to a bot that is already running, over REST. It says "培训演练", answers the name question with
--trainee when given, then passes what the trainee types until the summary comes (Ctrl-D ends the
rehearsal early, as "结束演练" does).

    python -m staff.rehearse [--trainee 张老师] [--webhook http://localhost:5005/webhooks/rest/webhook]
"""

import argparse
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional, Sequence, Text

from actions import rehearsal_db
from actions.knowledge import load_knowledge
from harness.bot import running_bot, say

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "helpdesk.tar.gz"
START = "培训演练"
STOP = "结束演练"


@contextmanager
def webhook_of(url: Optional[Text], model: Path, starting: Text) -> Iterator[Text]:
    if url:
        yield url
        return
    print(starting, flush=True)
    with tempfile.TemporaryDirectory() as workdir:
        # The results are the trainee's, kept where the report reads them.
        with running_bot(model, Path(workdir), log_prefix="rehearse-",
                         env={"REHEARSAL_DB": str(rehearsal_db.db_path())}) as bot:
            yield bot.webhook


def rehearse(webhook: Text, trainee: Optional[Text]) -> None:
    config = load_knowledge().rehearsal
    texts, last_words = config["terminal"], config["messages"]["again"]
    sender = f"rehearse-{uuid.uuid4().hex[:12]}"

    def turn(message: Text) -> bool:
        """Sends a message and prints the replies; True once the rehearsal has ended."""
        replies = [m.get("text", "") for m in say(webhook, sender, message)]
        for reply in replies:
            print(f"\n{texts['bot']}\n{reply}", flush=True)
        return any(last_words in reply for reply in replies)

    turn(START)
    if trainee:
        print(f"\n{texts['prompt']}{trainee}")
        turn(trainee)
    while True:
        try:
            message = input(f"\n{texts['prompt']}").strip()
        except EOFError:
            message = STOP
        if message and turn(message):
            break
    print(f"\n{texts['stopped']}")


def main(argv: Sequence[Text] = ()) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainee", default="", help="name or staff number (asked when not given)")
    parser.add_argument("--webhook", default="", help="REST webhook of a running bot (default: start one)")
    parser.add_argument("--model", type=Path, default=MODEL)
    args = parser.parse_args(list(argv) or None)
    config = load_knowledge().rehearsal
    with webhook_of(args.webhook, args.model, config["terminal"]["starting"]) as webhook:
        rehearse(webhook, args.trainee.strip() or None)


if __name__ == "__main__":
    main()
