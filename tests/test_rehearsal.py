"""The training rehearsal on the real bot (Rasa server + action server) as staff do it: over the
socket.io channel with the staff token (the staff page, `make rehearse`); its results in the
database, and the supervisors' report made from them. Who may start it: tests/security/test_staff_only.py.

The bot picks the scenarios at random: each test reads the student's message it was given, finds
the scenario in data/knowledge/rehearsal.yml and answers it from tests/rehearsal/answers.yml.
"""

import csv
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.bot import ROOT
from harness.widget_client import WidgetClient
from staff import rehearsal_report
from staff.grading import Grader
from staff.rehearsal_db import read_all

ANSWERS = yaml.safe_load((Path(__file__).parent / "rehearsal" / "answers.yml").read_text(encoding="utf-8"))
SCORE = re.compile(r"得分：(\d+)/100")
PHONE = "13912345678"


@pytest.fixture(scope="module")
def rehearsal(knowledge):
    return knowledge.rehearsal


def scenario_in(rehearsal, reply):
    """The scenario whose student message the bot just presented."""
    found = [sid for sid, s in rehearsal["scenarios"].items() if f"“{s['student']}”" in reply]
    assert len(found) == 1, reply
    return found[0]


@pytest.fixture
def staff(bot, staff_token):
    """Opens staff connections: the socket.io channel with the staff token."""
    opened = []

    def connect():
        opened.append(WidgetClient(bot.url, staff_token=staff_token))
        return opened[-1]

    yield connect
    for client in opened:
        client.close()


def answer_text(client, text):
    """Everything the bot says in reply to `text`, as one string."""
    return "\n".join(client.say(text))


def start(staff, rehearsal, trainee):
    client = staff()
    assert rehearsal["messages"]["ask_trainee"] in answer_text(client, "培训演练")
    reply = answer_text(client, trainee)
    assert trainee in reply and "【场景 1/5】" in reply
    return client, reply


def rows_of(db, trainee):
    return [r for r in read_all(db) if r["trainee"] == trainee]


def knowledge_texts(knowledge):
    """Every text a missed point can be."""
    grader = Grader(knowledge)
    messages = knowledge.rehearsal["messages"]
    texts = {p.text for sid in knowledge.rehearsal["scenarios"] for p in grader.key_points(sid)}
    texts.add(messages["missed_order"])
    texts.update(
        messages["stated_belief"].format(cap=knowledge.rehearsal["stated_belief_cap"], **b)
        for b in knowledge.misconceptions.values()
    )
    return texts


@pytest.mark.e2e
def test_a_full_rehearsal_grades_five_answers_and_ends_with_a_summary(
    staff, rehearsal, rehearsal_db, knowledge
):
    trainee = "测试员甲"
    client, reply = start(staff, rehearsal, trainee)
    # Good, "你好" (small talk anywhere else), partial, a FAQ question (answered anywhere else), good.
    kinds = ["good", "你好", "partial", "智慧职教APP怎么退出登录", "good"]
    scores, seen = [], []
    for number, kind in enumerate(kinds, start=1):
        scenario = scenario_in(rehearsal, reply)
        seen.append(scenario)
        answer = ANSWERS["answers"][scenario].get(kind, kind)
        reply = answer_text(client, answer)
        score = int(SCORE.search(reply).group(1))
        scores.append(score)
        assert "📘 参考答案" in reply and "📄 来源" in reply, reply  # the model answer, cited
        if kind == "good":
            assert score >= 80, reply
        elif kind != "partial":
            assert score < 30 and "❌ 还差" in reply, reply
            assert "我是学校帮助台" not in reply and not reply.startswith("智慧职教APP退出登录步骤")
        if number < len(kinds):
            assert f"【场景 {number + 1}/5】" in reply, reply
    assert len(set(seen)) == 5  # five different students
    average = round(statistics.mean(scores))
    assert f"{trainee}完成了5个场景，平均{average}分" in reply, reply
    assert "最需要加强" in reply  # two answers scored below the pass mark

    rows = rows_of(rehearsal_db, trainee)
    assert [r["scenario"] for r in rows] == seen and [r["score"] for r in rows] == scores
    assert len({r["session"] for r in rows}) == 1
    assert all(r["topic"] == rehearsal["scenarios"][r["scenario"]]["topic"] for r in rows)
    # What is kept of an answer is its score and the missed points, texts from the knowledge only.
    assert all(point in knowledge_texts(knowledge) for row in rows for point in row["missed"])

    # Afterwards the bot answers questions again.
    assert "“账户与安全”→“退出登录”" in answer_text(client, "智慧职教APP怎么退出登录")


@pytest.mark.e2e
def test_ending_early_gives_the_summary_and_the_faq_works_again(staff, rehearsal, rehearsal_db):
    trainee = "测试员乙"
    client, reply = start(staff, rehearsal, trainee)
    reply = answer_text(client, ANSWERS["answers"][scenario_in(rehearsal, reply)]["good"])
    assert "【场景 2/5】" in reply
    reply = answer_text(client, "结束演练！")
    assert f"{trainee}完成了1个场景" in reply and "【场景" not in reply, reply
    assert len(rows_of(rehearsal_db, trainee)) == 1
    assert "Ctrl+Shift+Delete" in answer_text(client, "智慧职教网页版怎么退出登录")
    assert "不可以" in answer_text(client, "学信网账号可以借给同学吗")
    assert rehearsal["messages"]["not_running"] in answer_text(client, "结束演练")


@pytest.mark.e2e
def test_ending_before_giving_a_name(staff, rehearsal):
    client = staff()
    answer_text(client, "开始演练")
    assert rehearsal["messages"]["summary_none"] in answer_text(client, "退出演练")
    assert "“账户与安全”→“退出登录”" in answer_text(client, "职教云app咋登出")


@pytest.mark.e2e
def test_a_phone_number_in_an_answer_is_warned_about_and_never_stored(staff, bot, rehearsal, rehearsal_db):
    trainee = "测试员丙"
    client, reply = start(staff, rehearsal, trainee)
    answer = ANSWERS["answers"][scenario_in(rehearsal, reply)]["good"] + f"有问题打我电话{PHONE}。"
    reply = answer_text(client, answer)
    assert "⚠️ 请不要把身份证号、手机号、密码发给任何人" in reply and PHONE not in reply
    assert int(SCORE.search(reply).group(1)) >= 80
    answer_text(client, "结束演练")
    assert len(rows_of(rehearsal_db, trainee)) == 1
    for database in (rehearsal_db, bot.tracker_db):
        assert PHONE.encode() not in Path(database).read_bytes(), database
    # Nor in the slots of the stored conversation.
    with sqlite3.connect(bot.tracker_db) as connection:
        events = [json.loads(row[0]) for row in connection.execute("SELECT data FROM events")]
    assert not any(PHONE in json.dumps(event, ensure_ascii=False) for event in events)
    assert any("【手机号】" in (e.get("text") or "") for e in events if e["event"] == "user")


@pytest.mark.e2e
def test_the_report_shows_each_trainee_and_topic_with_charts(
    staff, rehearsal, rehearsal_db, knowledge, tmp_path
):
    trainee = "测试员丁"
    client, reply = start(staff, rehearsal, trainee)
    scenario = scenario_in(rehearsal, reply)
    answer_text(client, "我不知道")
    answer_text(client, "结束演练")

    out = tmp_path / "rehearsal.html"
    rehearsal_report.main(["--db", str(rehearsal_db), "--out", str(out)])
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") == 2 and '<rect class="bar"' in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no CDN
    assert trainee in page and rehearsal["report"]["by_trainee"] in page
    assert knowledge.topics[rehearsal["scenarios"][scenario]["topic"]]["title"] in page

    with (tmp_path / "rehearsal.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    columns = rehearsal["report"]["csv_columns"]
    mine = [r for r in rows if r[columns["trainee"]] == trainee]
    assert len(mine) == 1 and mine[0][columns["scenario"]] == scenario
    assert int(mine[0][columns["score"]]) < 30 and mine[0][columns["missed"]]
    assert len(rows) == len(read_all(rehearsal_db))


@pytest.mark.unit
def test_the_report_of_an_empty_database(tmp_path, knowledge):
    out = tmp_path / "empty.html"
    rehearsal_report.main(["--db", str(tmp_path / "none.db"), "--out", str(out)])
    assert knowledge.rehearsal["report"]["empty"] in out.read_text(encoding="utf-8")
    assert (tmp_path / "empty.csv").read_text(encoding="utf-8-sig").count("\n") == 1


def rehearse_in_terminal(*args, stdin="", token=None):
    """`make rehearse` (python -m staff.rehearse), typed on its standard input."""
    env = {key: value for key, value in os.environ.items() if key != "HELPDESK_STAFF_TOKEN"}
    if token is not None:
        env["HELPDESK_STAFF_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "staff.rehearse", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )


@pytest.mark.e2e
def test_the_terminal_rehearsal_presents_grades_and_sums_up(bot, staff_token, rehearsal_db):
    """Against the running bot, with its staff token: one answer, then end of input (the
    rehearsal ends as with 结束演练)."""
    finished = rehearse_in_terminal(
        "--server", bot.url, "--trainee", "终端学员", stdin="我不知道\n", token=staff_token
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    out = finished.stdout
    assert "【场景 1/5】" in out and "得分：0/100" in out and "【场景 2/5】" in out, out
    assert "终端学员完成了1个场景，平均0分" in out, out
    assert [r["score"] for r in rows_of(rehearsal_db, "终端学员")] == [0]


@pytest.mark.e2e
def test_the_terminal_rehearsal_needs_the_staff_token_of_a_running_bot(bot, rehearsal, rehearsal_db):
    texts = rehearsal["terminal"]
    for token, refusal in ((None, texts["no_token"]), ("not-the-staff-token-" * 2, texts["token_refused"])):
        finished = rehearse_in_terminal(
            "--server", bot.url, "--trainee", "无口令学员", stdin="我不知道\n", token=token
        )
        assert finished.returncode != 0 and refusal in finished.stderr, finished.stderr[-2000:]
        assert rehearsal["messages"]["ask_trainee"] not in finished.stdout
    assert rows_of(rehearsal_db, "无口令学员") == []


@pytest.mark.e2e
def test_the_staff_page_channel_starts_a_rehearsal(staff, rehearsal):
    """The widget on the staff page: socket.io with the staff token, the same intent and form."""
    client = staff()
    for text, expected in [
        ("培训演练", rehearsal["messages"]["ask_trainee"]),
        ("网页学员", "【场景 1/5】"),
        ("结束演练", rehearsal["messages"]["summary_none"]),
    ]:
        assert expected in answer_text(client, text)
