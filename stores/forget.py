"""`python -m stores.forget SENDER [--endpoints endpoints.yml]` (make forget SENDER=…): deletes all
conversations of one sender from the tracker store configured in endpoints.yml, as 个人信息保护法
第47条 gives everyone the right to have their personal information deleted."""

import argparse
import sys

from rasa.core.tracker_store import TrackerStore
from rasa.utils.endpoints import read_endpoint_config

from stores.redacting import RedactingSQLTrackerStore


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sender", help="the sender id (REST sender, socket.io session, WeChat OpenID)")
    parser.add_argument("--endpoints", default="endpoints.yml")
    args = parser.parse_args()
    config = read_endpoint_config(args.endpoints, "tracker_store")
    store = TrackerStore.create(config)
    if not isinstance(store, RedactingSQLTrackerStore):
        print(f"{args.endpoints}: the tracker store is not a RedactingSQLTrackerStore", file=sys.stderr)
        return 2
    deleted = store.forget(args.sender)
    print(f"Deleted {deleted} events of sender {args.sender!r}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
