"""Issue 15, finding 6: CSV formula injection in the reports staff open in Excel.

A cell starting with "=", "+", "-", "@", a tab or a carriage return is a formula to Excel
(=HYPERLINK(...) sends the reader to a phishing page, =cmd|... starts a program). Both reports
(staff/rehearsal_report.py, staff/unanswered.py) write such cells with a leading "'", which Excel
shows as text; the csv module still reads every row back, with the text after the quote intact.
"""

import csv
import re

import pytest

from harness.bot import answer_text, new_sender
from harness.widget_client import WidgetClient
from staff import rehearsal_report, unanswered
from staff.unanswered import Abandoned, Group, Question, StepGroup

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
FORMULAS = ['=HYPERLINK("x","y")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)"]


def read_csv(path):
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def assert_no_formula(rows):
    for row in rows:
        for cell in row:
            if NUMBER.fullmatch(cell):  # a number, negative or not, is not a formula
                continue
            assert not cell.startswith(DANGEROUS), (cell, row)


# ---- the reports of the real bot ----
@pytest.mark.e2e
def test_rehearsal_report_neutralises_formula_trainee_names(
    bot, staff_token, rehearsal_db, knowledge, tmp_path
):
    messages = knowledge.rehearsal["messages"]
    for name in FORMULAS:  # each a trainee on the staff page (the rehearsal is for staff only)
        staff = WidgetClient(bot.url, staff_token=staff_token)
        try:
            for said, expected in (
                ("培训演练", messages["ask_trainee"]),
                (name, "【场景 1/5】"),
                ("我不知道", None),
                ("结束演练", None),
            ):
                answered = len(staff.answers)
                staff.send(said)
                staff.wait(
                    lambda staff=staff, answered=answered: len(staff.answers) > answered,
                    f"no answer to {said}",
                )
                if expected:
                    staff.wait_for(expected)
        finally:
            staff.close()

    out = tmp_path / "rehearsal.html"
    rehearsal_report.main(["--db", str(rehearsal_db), "--out", str(out)])
    rows = read_csv(out.with_suffix(".csv"))
    assert_no_formula(rows)
    trainees = {row[1] for row in rows[1:]}
    for name in FORMULAS:
        assert "'" + name in trainees, trainees


@pytest.mark.e2e
def test_unanswered_report_neutralises_formula_questions(webhook, bot, tmp_path):
    questions = [
        '=HYPERLINK("http://evil.example","宿舍热水器坏了找谁修")',
        "=cmd|' /C calc'!A0 操场晚上几点关门",
        "+1 打印店在哪里",
        "-1 快递点几点开门",
        "@所有人 校车时刻表在哪看",
    ]
    for question in questions:
        answer_text(webhook, new_sender(), question)
    out = tmp_path / "unanswered.md"
    unanswered.main(["--tracker-db", bot.tracker_db, "--out", str(out), "--idle-minutes", "0"])
    rows = read_csv(out.with_suffix(".csv"))
    assert_no_formula(rows)
    cells = [cell for row in rows for cell in row]
    assert any(cell.startswith("'=HYPERLINK(") for cell in cells), rows


# ---- every dangerous first character, in both reports ----
@pytest.mark.unit
def test_rehearsal_csv_quotes_each_dangerous_first_character(knowledge, tmp_path):
    names = [f"{c}evil" for c in DANGEROUS] + ["普通学员", "'already quoted"]
    results = [
        {
            "created_at": "2025-01-01T00:00:00+00:00",
            "trainee": name,
            "session": "s1",
            "scenario": "-scenario",
            "topic": "icve_close_app",
            "score": -1,
            "missed": ["=A1", "ok"],
        }
        for name in names
    ]
    out = tmp_path / "r.csv"
    rehearsal_report.write_csv(knowledge, results, out)
    rows = read_csv(out)
    assert_no_formula(rows)
    assert [row[1] for row in rows[1:]] == ["'" + n for n in names[:6]] + ["普通学员", "'already quoted"]
    assert rows[1][3] == "'-scenario" and rows[1][5] == "-1"  # a number stays a number
    assert rows[1][6] == "'=A1；ok"


@pytest.mark.unit
def test_unanswered_csv_quotes_each_dangerous_first_character(tmp_path):
    texts = [f"{c}evil question" for c in DANGEROUS] + ["食堂几点开门"]
    groups = [
        Group(
            [
                (t, [Question(t, "没看懂", 1_700_000_000.0)]),
                ("=other wording", [Question("=other wording", "没看懂", 1_700_000_000.0)]),
            ]
        )
        for t in texts
    ]
    steps = [StepGroup("=p", "@title", 0, "-第1步", [Abandoned("=p", 0, 1_700_000_000.0)])]
    out = tmp_path / "u.csv"
    unanswered.write_csv(out, groups, steps)
    rows = read_csv(out)
    assert_no_formula(rows)
    assert [row[4] for row in rows[1 : len(texts) + 1]] == ["'" + t for t in texts[:6]] + ["食堂几点开门"]
    assert rows[1][7] == "'=other wording"
    assert rows[-1][4].startswith("'@title") and rows[-1][5] == "'-第1步"
    # Read back by the csv module as written: the quote is the only change, "\r" and all.
    assert [row[4][1:] for row in rows[1 : len(texts)]] == texts[:6]
