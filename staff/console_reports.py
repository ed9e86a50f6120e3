"""The staff console's 报告 page (channels/console.py, /staff/console/reports): what students made of
the answers and what the bot could not answer, and the training rehearsal's results.

Nothing is counted here that the command-line reports do not count: the tracker store is read by
staff/unanswered.py (`read_events`, the same SQL on the store the Rasa server is configured with:
SQLite by default, PostgreSQL when scaled out), the feedback is its `feedback_votes` /
`feedback_by_topic` / `feedback_trend`, the unanswered questions its `group_questions` and
`group_walkthroughs`, the rehearsal results staff/rehearsal_db.py's with staff/rehearsal_report.py's
tables. This module only lays them out: HTML fragments with every text escaped and the charts as
inline SVG drawn here (no script, no download), sized by their viewBox so that they fit a phone.
Labels: data/knowledge/presentation.yml (`console`), the rehearsal's from rehearsal.yml (`report`).

Feedback carries no text anyone typed (a button's payload names the topic and the vote); the
unanswered questions are redacted by staff/unanswered.py before they are grouped.
"""

import html
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

import sqlalchemy as sa

from knowledge.loader import Knowledge
from staff import rehearsal_db, rehearsal_report, unanswered
from staff.unanswered import Group, Stats, StepGroup, TopicFeedback, day, helpful_rate

PERIODS = (7, 30, 90, 365)  # days the page offers
DEFAULT_DAYS = 30
WORST = 10  # answers listed under the most 没帮助
HELPFUL_COLOUR, UNHELPFUL_COLOUR = "#2e7d32", "#c62828"


def esc(value: Any) -> Text:
    return html.escape(str(value), quote=True)


# ---- where the tracker store is ----


def store_url(tracker_store: Any) -> Optional[Text]:
    """The SQLAlchemy URL to read `tracker_store` with (Rasa's wrapper around it, or the store):
    read-only for SQLite; None when it is not an SQL store."""
    inner = tracker_store
    while not hasattr(inner, "engine") and hasattr(inner, "_tracker_store"):
        inner = inner._tracker_store
    engine = getattr(inner, "engine", None)
    if engine is None:
        return None
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return unanswered.sqlite_url(Path(url.database)) if url.database else None
    return url.render_as_string(hide_password=False)


def shown_source(url: Text) -> Text:
    """The store as staff may read it: no password, for SQLite the file's name."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Path((parsed.database or "").split("?")[0].replace("file:", "")).name or "SQLite"
    return parsed.set(password=None, query={}).render_as_string(hide_password=True)


# ---- what the page shows ----


@dataclass
class Reports:
    days: int
    weekly: bool
    since: float
    source: Text
    readable: bool = True
    stats: Stats = field(default_factory=Stats)
    feedback: List[TopicFeedback] = field(default_factory=list)
    trend: List[Tuple[Text, int, int]] = field(default_factory=list)
    groups: List[Group] = field(default_factory=list)
    steps: List[StepGroup] = field(default_factory=list)
    rehearsal: List[Dict[Text, Any]] = field(default_factory=list)


def gather(
    url: Optional[Text],
    days: int = DEFAULT_DAYS,
    weekly: bool = False,
    now: Optional[float] = None,
    rehearsal_path: Optional[Path] = None,
) -> Reports:
    """Everything the page shows, from the tracker store at `url` (since `days` ago) and the
    rehearsal results (blocking: the console runs it in a thread)."""
    now = time.time() if now is None else now
    since = now - days * 86400
    reports = Reports(days, weekly, since, shown_source(url) if url else "—")
    try:
        if url is None:
            raise sa.exc.ArgumentError("not an SQL tracker store")
        events = list(unanswered.read_events(url, since))
    except sa.exc.SQLAlchemyError:
        reports.readable = False
        events = []
    votes = unanswered.feedback_votes(events)
    reports.stats = unanswered.statistics(events)
    reports.feedback = unanswered.feedback_by_topic(events)
    reports.trend = unanswered.feedback_trend(votes, weekly)
    reports.groups = unanswered.group_questions(unanswered.unanswered_questions(events))
    reports.steps = unanswered.group_walkthroughs(unanswered.abandoned_walkthroughs(events, now))
    reports.rehearsal = [
        r for r in rehearsal_db.read_all(rehearsal_path) if _stored_time(r["created_at"]) >= since
    ]
    return reports


def _stored_time(stored: Text) -> float:
    return datetime.fromisoformat(stored).timestamp()


# ---- charts (inline SVG) ----


def _svg(width: float, height: float, label: Text, parts: Sequence[Text]) -> Text:
    return (
        f'<svg class="hc-chart" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" '
        f'role="img" aria-label="{esc(label)}"><title>{esc(label)}</title>{"".join(parts)}</svg>'
    )


def feedback_chart(label: Text, rows: Sequence[Tuple[Text, int, int]], legend: Tuple[Text, Text]) -> Text:
    """Horizontal stacked bars, one per topic: 有帮助 (green) then 没帮助 (red), with the counts."""
    bar, gap, label_w, bar_w, top = 22, 10, 140, 170, 30
    most = max((h + u for _, h, u in rows), default=0) or 1
    parts = _legend(legend, 10)
    for i, (name, helpful, unhelpful) in enumerate(rows):
        y = top + i * (bar + gap)
        short = name if len(name) <= 9 else name[:8] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar - 6}" text-anchor="end" font-size="13">{esc(short)}</text>'
        )
        x = float(label_w)
        for count, colour, kind in (
            (helpful, HELPFUL_COLOUR, "helpful"),
            (unhelpful, UNHELPFUL_COLOUR, "unhelpful"),
        ):
            width = bar_w * count / most
            if count:
                parts.append(
                    f'<rect class="hc-bar hc-{kind}" x="{x:.1f}" y="{y}" width="{width:.1f}" height="{bar}" '
                    f'fill="{colour}"><title>{esc(name)}: {esc(legend[0 if kind == "helpful" else 1])} {count}</title></rect>'
                )
            x += width
        parts.append(f'<text x="{x + 6:.1f}" y="{y + bar - 6}" font-size="13">{helpful} / {unhelpful}</text>')
    return _svg(label_w + bar_w + 50, top + len(rows) * (bar + gap) + gap, label, parts)


def trend_chart(label: Text, rows: Sequence[Tuple[Text, int, int]], legend: Tuple[Text, Text]) -> Text:
    """Vertical stacked bars, one per day or week, oldest left: 有帮助 below, 没帮助 above."""
    col, gap, height, top, left = 26, 8, 110, 42, 10
    most = max((h + u for _, h, u in rows), default=0) or 1
    parts = _legend(legend, left)
    base = top + height
    for i, (period, helpful, unhelpful) in enumerate(rows):
        x = left + i * (col + gap)
        y = float(base)
        for count, colour, kind in (
            (helpful, HELPFUL_COLOUR, "helpful"),
            (unhelpful, UNHELPFUL_COLOUR, "unhelpful"),
        ):
            h = height * count / most
            y -= h
            if count:
                parts.append(
                    f'<rect class="hc-bar hc-{kind}" x="{x}" y="{y:.1f}" width="{col}" height="{h:.1f}" '
                    f'fill="{colour}"><title>{esc(period)}: {esc(legend[0 if kind == "helpful" else 1])} {count}</title></rect>'
                )
        parts.append(
            f'<text x="{x + col / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="12">{helpful + unhelpful}</text>'
            f'<text x="{x + col / 2:.1f}" y="{base + 16}" text-anchor="middle" font-size="11">{esc(period[5:])}</text>'
        )
    width = max(left * 2 + len(rows) * (col + gap), 240)
    return _svg(width, base + 24, label, parts)


def _legend(legend: Tuple[Text, Text], x: float) -> List[Text]:
    return [
        f'<rect x="{x}" y="4" width="14" height="14" fill="{HELPFUL_COLOUR}"></rect>'
        f'<text x="{x + 20}" y="16" font-size="13">{esc(legend[0])}</text>'
        f'<rect x="{x + 90}" y="4" width="14" height="14" fill="{UNHELPFUL_COLOUR}"></rect>'
        f'<text x="{x + 110}" y="16" font-size="13">{esc(legend[1])}</text>'
    ]


# ---- the page's sections ----


def table(headers: Sequence[Text], rows: Sequence[Sequence[Any]], css: Text = "") -> Text:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<div class="hc-table-wrap"><table class="hc-table {css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def feedback_section(t: Dict[Text, Text], reports: Reports) -> Text:
    legend = (t["legend_helpful"], t["legend_unhelpful"])
    out = [f'<section class="hc-report" id="feedback"><h2>{esc(t["feedback_heading"])}</h2>']
    out.append(f'<p class="hc-note">{esc(t["feedback_note"])}</p>')
    feedback = reports.feedback
    if not feedback:
        out.append(f'<p class="hc-empty">{esc(t["feedback_empty"])}</p></section>')
        return "".join(out)
    helpful = sum(f.helpful for f in feedback)
    unhelpful = sum(f.unhelpful for f in feedback)
    out.append(
        f'<p class="hc-totals">{esc(t["feedback_totals"].format(helpful=helpful, unhelpful=unhelpful, rate=helpful_rate(helpful, unhelpful)))}</p>'
    )
    out.append(
        feedback_chart(t["feedback_chart"], [(f.title, f.helpful, f.unhelpful) for f in feedback], legend)
    )
    out.append(
        table(
            [
                t[c]
                for c in (
                    "column_topic",
                    "column_helpful",
                    "column_unhelpful",
                    "column_rate",
                    "column_reasons",
                )
            ],
            [[f.title, f.helpful, f.unhelpful, f.rate, f.reason_text] for f in feedback],
            "hc-feedback",
        )
    )
    period = t["trend_week"] if reports.weekly else t["trend_day"]
    out.append(f'<h3>{esc(t["trend_heading"])}</h3>')
    out.append(trend_chart(t["trend_chart"].format(period=period), reports.trend, legend))
    out.append(
        table(
            [t["column_period"], t["column_helpful"], t["column_unhelpful"], t["column_rate"]],
            [[p, h, u, helpful_rate(h, u)] for p, h, u in reports.trend],
            "hc-trend",
        )
    )
    worst = [f for f in feedback if f.unhelpful][:WORST]
    out.append(f'<h3 id="worst">{esc(t["worst_heading"])}</h3>')
    if worst:
        out.append(
            table(
                [
                    t[c]
                    for c in (
                        "column_topic",
                        "column_unhelpful",
                        "column_reasons",
                        "column_rate",
                        "column_last",
                    )
                ],
                [[f.title, f.unhelpful, f.reason_text, f.rate, day(f.last)] for f in worst],
                "hc-worst",
            )
        )
    else:
        out.append(f'<p class="hc-empty">{esc(t["worst_empty"])}</p>')
    out.append("</section>")
    return "".join(out)


def unanswered_section(t: Dict[Text, Text], reports: Reports) -> Text:
    groups, steps, stats = reports.groups, reports.steps, reports.stats
    out = [f'<section class="hc-report" id="unanswered"><h2>{esc(t["unanswered_heading"])}</h2>']
    out.append(
        '<p class="hc-totals">'
        + esc(
            t["unanswered_summary"].format(
                messages=stats.messages,
                conversations=stats.conversations,
                unanswered=sum(g.count for g in groups),
                groups=len(groups),
            )
        )
        + "</p>"
    )
    if groups:
        out.append(
            table(
                [
                    t[c]
                    for c in (
                        "column_count",
                        "column_question",
                        "column_kind",
                        "column_examples",
                        "column_last",
                    )
                ],
                [
                    [g.count, g.representative, g.kinds, "；".join(g.examples) or "—", day(g.last)]
                    for g in groups
                ],
                "hc-unanswered",
            )
        )
    else:
        out.append(f'<p class="hc-empty">{esc(t["unanswered_empty"])}</p>')
    out.append(f'<h3>{esc(t["abandoned_heading"])}</h3>')
    if steps:
        out.append(
            table(
                [t[c] for c in ("column_count", "column_walkthrough", "column_step", "column_last")],
                [[s.count, s.title, s.step, day(s.last)] for s in steps],
                "hc-abandoned",
            )
        )
    else:
        out.append(f'<p class="hc-empty">{esc(t["abandoned_empty"])}</p>')
    out.append("</section>")
    return "".join(out)


def rehearsal_section(t: Dict[Text, Text], knowledge: Knowledge, results: List[Dict[Text, Any]]) -> Text:
    labels = knowledge.rehearsal["report"]
    columns = labels["columns"]
    out = [f'<section class="hc-report" id="rehearsal"><h2>{esc(t["rehearsal_results_heading"])}</h2>']
    if not results:
        out.append(f'<p class="hc-empty">{esc(labels["empty"])}</p></section>')
        return "".join(out)
    trainees = rehearsal_report.by_trainee(results)
    topics = rehearsal_report.by_topic(knowledge, results)
    out += [
        f"<h3>{esc(labels['by_trainee'])}</h3>",
        rehearsal_report.bar_chart(labels["by_trainee"], [(row[0], row[3]) for row in trainees]),
        table(
            [columns[c] for c in ("trainee", "sessions", "answers", "average", "lowest", "last")],
            trainees,
            "hc-trainees",
        ),
        f"<h3>{esc(labels['by_topic'])}</h3>",
        rehearsal_report.bar_chart(labels["by_topic"], [(row[0], row[2]) for row in topics]),
        table([columns[c] for c in ("topic", "answers", "average")], topics, "hc-rehearsal-topics"),
        "</section>",
    ]
    return "".join(out)


def page_body(
    t: Dict[Text, Text], knowledge: Knowledge, reports: Reports, path: Text, knowledge_href: Optional[Text]
) -> Text:
    """The whole 报告 page below the console's header: period and grouping links, then sections."""
    by = "week" if reports.weekly else "day"
    periods = " ".join(
        f'<a href="{esc(path)}?days={d}&amp;by={by}"'
        + (' aria-current="page"' if d == reports.days else "")
        + f">{esc(t['reports_days'].format(days=d))}</a>"
        for d in PERIODS
    )
    groupings = " ".join(
        f'<a href="{esc(path)}?days={reports.days}&amp;by={key}"'
        + (' aria-current="page"' if key == by else "")
        + f">{esc(t[label])}</a>"
        for key, label in (("day", "reports_by_day"), ("week", "reports_by_week"))
    )
    out = [
        f'<h1>{esc(t["reports_heading"])}</h1>',
        f'<p class="hc-note">{esc(t["reports_period"].format(days=reports.days, since=day(reports.since)))}</p>',
        f'<nav class="hc-filters">{periods}<span class="hc-sep"></span>{groupings}</nav>',
        f'<p class="hc-note">{esc(t["reports_source"].format(source=reports.source))}</p>',
    ]
    if not reports.readable:
        out.append(
            f'<p class="hc-notice" role="alert">{esc(t["reports_unreadable"].format(source=reports.source))}</p>'
        )
    out += [
        feedback_section(t, reports),
        unanswered_section(t, reports),
        rehearsal_section(t, knowledge, reports.rehearsal),
    ]
    if knowledge_href:
        out.append(
            f'<section class="hc-report" id="knowledge"><h2>{esc(t["knowledge_heading"])}</h2>'
            f'<p><a href="{esc(knowledge_href)}">{esc(t["knowledge_link"])}</a></p></section>'
        )
    return "".join(out)
