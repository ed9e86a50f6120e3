"""The benchmark report's "What students marked unhelpful" section, when the bench is pointed at a
tracker store that real students used (`python -m bench.run --tracker-store URL`, or the
BENCH_TRACKER_STORE environment variable): per topic the 没帮助 count, the helpful rate and the
most given reasons, counted by staff/unanswered.py (`read_events`, `feedback_by_topic`: the same
numbers as `make unanswered-report` and the staff console's 报告). The bench's own bot, started
for the run, has no student feedback: without a store, or with a store without feedback, the
report has no such section.

    python -m bench.feedback URL   # prints the section
"""

import os
import sys
from pathlib import Path
from typing import List, Optional, Sequence

from staff import unanswered
from staff.console_reports import shown_source
from staff.unanswered import TopicFeedback

STORE_ENV = "BENCH_TRACKER_STORE"
TOP_REASONS = 3


def store_url(option: Optional[str]) -> Optional[str]:
    """The tracker store to read: the option, else BENCH_TRACKER_STORE; a path is an SQLite file
    (read-only), anything with "://" an SQLAlchemy URL (e.g. postgresql://user:password@host/rasa)."""
    value = option or os.environ.get(STORE_ENV) or None
    if value and "://" not in value:
        return unanswered.sqlite_url(Path(value))
    return value


def read_feedback(url: Optional[str]) -> List[TopicFeedback]:
    if not url:
        return []
    return unanswered.feedback_by_topic(unanswered.read_events(url))


def measured(option: Optional[str]) -> List[str]:
    """The section for the store named by the option or BENCH_TRACKER_STORE; none without one."""
    url = store_url(option)
    return section(read_feedback(url), shown_source(url)) if url else []


def section(feedback: Sequence[TopicFeedback], source: str) -> List[str]:
    """The report's lines; none when no topic was marked 没帮助."""
    marked = [f for f in feedback if f.unhelpful]
    if not marked:
        return []
    lines = [
        "## What students marked unhelpful",
        "",
        f"Read from the tracker store {source}: the 有帮助 / 没帮助 buttons under the answers, one vote "
        "per conversation and topic (staff/unanswered.py, as `make unanswered-report` counts them); no "
        "text anyone typed.",
        "",
        "| topic | 没帮助 | 有帮助 | helpful rate | top reasons |",
        "|---|---|---|---|---|",
    ]
    for f in marked:
        reasons = "、".join(f"{label} {n}" for label, n in f.reasons.most_common(TOP_REASONS)) or "—"
        lines.append(f"| {f.title} (`{f.topic}`) | {f.unhelpful} | {f.helpful} | {f.rate} | {reasons} |")
    return lines + [""]


if __name__ == "__main__":
    print("\n".join(measured(sys.argv[1] if len(sys.argv) > 1 else None)) or "no 没帮助 feedback")
