"""The staff console's 报告 page and the bench's unhelpful section, without a server: the feedback
votes and their trend (staff/unanswered.py), the page read from an SQLite store shaped like Rasa's
(staff/console_reports.py), its charts and escaping, the store's URL, and bench/feedback.py."""

import json
import sqlite3
from datetime import datetime

import pytest
import sqlalchemy as sa

from bench import feedback as bench_feedback
from channels.console import HEADERS, style_allowed
from staff import console_reports, rehearsal_db
from staff.unanswered import Event, feedback_by_topic, feedback_trend, feedback_votes, period_of, sqlite_url

pytestmark = pytest.mark.unit

TOPIC, OTHER = "icve_lost_device", "chsi_account_share"
DAY = 86400


def tap(sender, when, **entities):
    values = [{"entity": k, "value": v} for k, v in entities.items()]
    text = "/feedback" + json.dumps(entities, ensure_ascii=False)
    data = {"text": text, "parse_data": {"intent": {"name": "feedback"}, "entities": values}}
    return Event(sender, "user", when, data)


def said(sender, when, text, intent):
    return Event(sender, "user", when, {"text": text, "parse_data": {"intent": {"name": intent}}})


def noon(day: str) -> float:
    return datetime.strptime(day + " 12:00", "%Y-%m-%d %H:%M").timestamp()


def test_votes_count_the_last_tap_per_conversation_and_keep_the_reason_of_a_no():
    events = [
        tap("a", noon("2026-11-02"), topic=TOPIC, helpful="yes"),
        tap("a", noon("2026-11-02") + 5, topic=TOPIC, helpful="no"),  # changed their mind
        tap("a", noon("2026-11-02") + 9, topic=TOPIC, reason="wrong_steps"),
        tap("b", noon("2026-11-03"), topic=TOPIC, helpful="yes"),
        tap("b", noon("2026-11-03"), topic=OTHER, helpful="no"),
    ]
    votes = feedback_votes(events)
    assert [(v.sender, v.topic, v.helpful, v.reason) for v in votes] == [
        ("a", TOPIC, False, "步骤不对"),
        ("b", TOPIC, True, None),
        ("b", OTHER, False, None),
    ]


def test_the_trend_counts_per_day_or_per_week_starting_on_monday():
    # 2026-11-02 is a Monday; the 8th a Sunday, the 9th the next Monday.
    events = [
        tap("a", noon("2026-11-02"), topic=TOPIC, helpful="yes"),
        tap("b", noon("2026-11-02"), topic=TOPIC, helpful="no"),
        tap("c", noon("2026-11-08"), topic=TOPIC, helpful="no"),
        tap("d", noon("2026-11-09"), topic=TOPIC, helpful="yes"),
    ]
    votes = feedback_votes(events)
    assert feedback_trend(votes) == [("2026-11-02", 1, 1), ("2026-11-08", 0, 1), ("2026-11-09", 1, 0)]
    assert feedback_trend(votes, weekly=True) == [("2026-11-02", 1, 2), ("2026-11-09", 1, 0)]
    assert period_of(noon("2026-11-08"), weekly=True) == "2026-11-02"


@pytest.fixture
def store(tmp_path):
    """An SQLite file with Rasa's events table, a week of feedback and questions in it."""
    path = tmp_path / "tracker.db"
    now = datetime.now().timestamp()
    events = [
        tap("web:a", now - 2 * DAY, topic=TOPIC, helpful="yes"),
        tap("web:b", now - DAY, topic=TOPIC, helpful="no"),
        tap("web:b", now - DAY + 3, topic=TOPIC, reason="unclear"),
        tap("web:c", now - DAY, topic=OTHER, helpful="no"),
        tap("web:old", now - 60 * DAY, topic=OTHER, helpful="yes"),  # outside 30 days
        said("web:d", now - DAY, "食堂<b>几点</b>开门，电话13812345678", "out_of_scope"),
        said("web:e", now - DAY, "食堂什么时候开门", "out_of_scope"),
        said("web:f", now - DAY, "智慧职教APP怎么退出登录", "icve_logout_app"),
    ]
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, "
            "timestamp REAL, intent_name TEXT, action_name TEXT, data TEXT)"
        )
        for e in events:
            db.execute(
                "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
                (e.sender, e.type, e.timestamp, json.dumps(e.data, ensure_ascii=False)),
            )
    rehearsals = tmp_path / "rehearsal.db"
    rehearsal_db.record("张老师", "s1", "app_logout", TOPIC, 80, ["第3步"], path=rehearsals)
    rehearsal_db.record("李老师", "s2", "app_logout", TOPIC, 40, [], path=rehearsals)
    return path, rehearsals


def test_the_page_counts_feedback_per_topic_with_charts_and_no_typed_text(store, knowledge):
    path, rehearsals = store
    reports = console_reports.gather(sqlite_url(path), 30, rehearsal_path=rehearsals)
    assert reports.readable and reports.source == "tracker.db"
    by_topic = {f.topic: (f.helpful, f.unhelpful, f.reason_text, f.rate) for f in reports.feedback}
    assert by_topic == {TOPIC: (1, 1, "看不懂 1", "50%"), OTHER: (0, 1, "—", "0%")}
    assert sum(h + u for _, h, u in reports.trend) == 3
    body = console_reports.page_body(
        knowledge.presentation["console"], knowledge, reports, "/staff/console/reports", "/k"
    )
    assert body.count('<svg class="hc-chart"') == 2  # per topic, the trend
    assert body.count('class="hc-bar hc-unhelpful"') >= 2
    assert "<svg" in body.split('id="rehearsal"')[1]  # the rehearsal's average scores
    title = knowledge.topics[TOPIC]["title"]
    worst = body.split('id="worst"')[1].split("</table>")[0]
    assert title in worst and knowledge.topics[OTHER]["title"] in worst
    # The unanswered questions: grouped, escaped, the phone number masked.
    unanswered = body.split('id="unanswered"')[1]
    assert "食堂&lt;b&gt;几点&lt;/b&gt;开门" in unanswered or "食堂什么时候开门" in unanswered
    assert "<b>" not in body and "13812345678" not in body
    assert "张老师" in body and "李老师" in body and 'href="/k"' in body


def test_an_unreadable_store_is_said_and_the_rest_still_shown(tmp_path, knowledge):
    reports = console_reports.gather(sqlite_url(tmp_path / "missing.db"), 7, rehearsal_path=tmp_path / "r.db")
    assert not reports.readable and reports.feedback == []
    body = console_reports.page_body(knowledge.presentation["console"], knowledge, reports, "/r", None)
    assert "missing.db" in body and 'role="alert"' in body and 'id="knowledge"' not in body


def test_the_store_url_is_the_servers_store_read_only_and_shown_without_its_password(tmp_path):
    class Wrapper:  # Rasa's FailSafeTrackerStore keeps the store as _tracker_store
        def __init__(self, inner):
            self._tracker_store = inner

    class Store:
        def __init__(self, url):
            self.engine = sa.create_engine(url)

    url = console_reports.store_url(Wrapper(Store(f"sqlite:///{tmp_path / 'tracker.db'}")))
    assert url.startswith("sqlite:///file:") and "mode=ro" in url
    postgres = console_reports.store_url(Store("postgresql://rasa:s3cret@db:5432/rasa"))
    assert "s3cret" in postgres  # to connect with
    assert "s3cret" not in console_reports.shown_source(postgres)
    assert console_reports.store_url(Wrapper(object())) is None


def test_the_knowledge_report_is_allowed_its_own_style_only():
    policy = style_allowed("body{margin:0}")["Content-Security-Policy"]
    assert "style-src 'self' 'sha256-" in policy and "unsafe-inline" not in policy
    assert HEADERS["Content-Security-Policy"].count("sha256") == 0


def test_the_bench_reports_unhelpful_answers_only_when_there_are_some(store, tmp_path, monkeypatch):
    path, _ = store
    monkeypatch.delenv(bench_feedback.STORE_ENV, raising=False)
    assert bench_feedback.measured(None) == []
    lines = bench_feedback.measured(str(path))
    assert lines[0] == "## What students marked unhelpful"
    rows = [line for line in lines if line.startswith("| ") and "`" in line]
    assert len(rows) == 2 and any("| 1 | 1 | 50% | 看不懂 1 |" in r for r in rows)
    assert str(tmp_path) not in "\n".join(lines)  # the file's name, not where it is
    monkeypatch.setenv(bench_feedback.STORE_ENV, str(path))
    assert bench_feedback.measured(None) == lines
    helpful_only = [tap("x", 1.0, topic=TOPIC, helpful="yes")]
    assert bench_feedback.section(feedback_by_topic(helpful_only), "x") == []
