"""`make rehearsal-report`: training rehearsal results for supervisors.

Reads the results the action server keeps (var/rehearsal.db, or REHEARSAL_DB; see
staff/rehearsal_db.py) and writes a self-contained HTML page (inline SVG bar charts of the
average score per trainee and per topic, tables, the most often missed points; no CDN, no script)
and a CSV file of every graded answer (UTF-8 with BOM, so Excel opens it; no cell is read as a
formula, see staff/spreadsheet.py). Labels come from
data/knowledge/rehearsal.yml (`report`), topic titles from topics.yml.

    python -m staff.rehearsal_report [--db var/rehearsal.db] [--out reports/rehearsal.html] [--csv reports/rehearsal.csv]
"""

import argparse
import csv
import html
from collections import Counter
from datetime import datetime
from pathlib import Path
from statistics import mean
from typing import Any, Dict, List, Sequence, Text, Tuple

from knowledge.loader import Knowledge, load_knowledge
from staff import rehearsal_db
from staff.spreadsheet import safe_row

BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, BAR_WIDTH = 22, 8, 220, 400
MOST_MISSED = 10


def bar_chart(title: Text, bars: Sequence[Tuple[Text, float]]) -> Text:
    """A horizontal bar chart (scores 0-100) as inline SVG."""
    height = len(bars) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
    width = LABEL_WIDTH + BAR_WIDTH + 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}">'
    ]
    for i, (label, value) in enumerate(bars):
        y = BAR_GAP + i * (BAR_HEIGHT + BAR_GAP)
        length = BAR_WIDTH * max(0.0, min(value, 100)) / 100
        colour = "#2e7d32" if value >= 80 else "#f9a825" if value >= 60 else "#c62828"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT - 6}" text-anchor="end" '
            f'font-size="14">{html.escape(label)}</text>'
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{colour}"><title>{html.escape(label)}: {value:.0f}</title></rect>'
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + BAR_HEIGHT - 6}" font-size="14">'
            f'{value:.0f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def table(headers: Sequence[Text], rows: Sequence[Sequence[Any]]) -> Text:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def local_time(stored: Text) -> Text:
    """A stored time (UTC) as this machine's local time, to the minute."""
    return datetime.fromisoformat(stored).astimezone().strftime("%Y-%m-%d %H:%M")


def topic_title(knowledge: Knowledge, topic_id: Text) -> Text:
    return knowledge.topics.get(topic_id, {}).get("title", topic_id)


def by_trainee(results: List[Dict[Text, Any]]) -> List[List[Any]]:
    rows = []
    for trainee in sorted({r["trainee"] for r in results}):
        mine = [r for r in results if r["trainee"] == trainee]
        scores = [r["score"] for r in mine]
        rows.append(
            [
                trainee,
                len({r["session"] for r in mine}),
                len(mine),
                round(mean(scores)),
                min(scores),
                local_time(mine[-1]["created_at"]),
            ]
        )
    return sorted(rows, key=lambda row: -row[3])


def by_topic(knowledge: Knowledge, results: List[Dict[Text, Any]]) -> List[List[Any]]:
    scores: Dict[Text, List[int]] = {}
    for result in results:
        scores.setdefault(result["topic"], []).append(result["score"])
    rows = [[topic_title(knowledge, t), len(s), round(mean(s))] for t, s in scores.items()]
    return sorted(rows, key=lambda row: row[2])


def write_html(knowledge: Knowledge, results: List[Dict[Text, Any]], out: Path) -> None:
    labels = knowledge.rehearsal["report"]
    columns = labels["columns"]
    body = [f"<h1>{html.escape(labels['title'])}</h1>"]
    body.append(
        "<p>"
        + html.escape(
            labels["generated"].format(
                time=datetime.now().strftime("%Y-%m-%d %H:%M"),
                answers=len(results),
                trainees=len({r["trainee"] for r in results}),
                sessions=len({r["session"] for r in results}),
            )
        )
        + "</p>"
    )
    if not results:
        body.append(f"<p>{html.escape(labels['empty'])}</p>")
    else:
        trainees, topics = by_trainee(results), by_topic(knowledge, results)
        missed = Counter(point for r in results for point in r["missed"]).most_common(MOST_MISSED)
        body += [
            f"<h2>{html.escape(labels['by_trainee'])}</h2>",
            bar_chart(labels["by_trainee"], [(row[0], row[3]) for row in trainees]),
            table(
                [columns[c] for c in ("trainee", "sessions", "answers", "average", "lowest", "last")],
                trainees,
            ),
            f"<h2>{html.escape(labels['by_topic'])}</h2>",
            bar_chart(labels["by_topic"], [(row[0], row[2]) for row in topics]),
            table([columns[c] for c in ("topic", "answers", "average")], topics),
            f"<h2>{html.escape(labels['most_missed'])}</h2>",
            table([columns["point"], columns["count"]], missed),
        ]
    page = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(labels['title'])}</title><style>"
        "body{font-family:sans-serif;margin:2em;max-width:60em}"
        "table{border-collapse:collapse;margin:1em 0}"
        "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}"
        "</style></head><body>" + "\n".join(body) + "</body></html>\n"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")


def write_csv(knowledge: Knowledge, results: List[Dict[Text, Any]], out: Path) -> None:
    columns = knowledge.rehearsal["report"]["csv_columns"]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            safe_row(
                columns[c] for c in ("time", "trainee", "session", "scenario", "topic", "score", "missed")
            )
        )
        for r in results:  # trainee names are typed by whoever starts a rehearsal
            writer.writerow(
                safe_row(
                    [
                        r["created_at"],
                        r["trainee"],
                        r["session"],
                        r["scenario"],
                        topic_title(knowledge, r["topic"]),
                        r["score"],
                        "；".join(r["missed"]),
                    ]
                )
            )


def main(argv: Sequence[Text] = ()) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None, help="default: REHEARSAL_DB or var/rehearsal.db")
    parser.add_argument("--out", type=Path, default=Path("reports") / "rehearsal.html")
    parser.add_argument("--csv", type=Path, default=None, help="default: --out with .csv")
    args = parser.parse_args(list(argv) or None)
    knowledge = load_knowledge()
    results = rehearsal_db.read_all(args.db)
    write_html(knowledge, results, args.out)
    write_csv(knowledge, results, args.csv or args.out.with_suffix(".csv"))
    print(f"{len(results)} graded answers -> {args.out}, {args.csv or args.out.with_suffix('.csv')}")


if __name__ == "__main__":
    main()
