"""The training rehearsal over REST on the real bot (Rasa server + action server), its results in
the database, and the supervisors' report made from them.

The bot picks the scenarios at random: each test reads the student's message it was given, finds
the scenario in data/knowledge/rehearsal.yml and answers it from tests/rehearsal/answers.yml.
"""

import csv
import json
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
import socketio
import yaml

from actions.grading import Grader
from actions.rehearsal_db import read_all
from harness.bot import ROOT, answer_text, new_sender
from staff import rehearsal_report

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


def start(webhook, rehearsal, trainee):
    sender = new_sender()
    assert rehearsal["messages"]["ask_trainee"] in answer_text(webhook, sender, "培训演练")
    reply = answer_text(webhook, sender, trainee)
    assert trainee in reply and "【场景 1/5】" in reply
    return sender, reply


def rows_of(db, trainee):
    return [r for r in read_all(db) if r["trainee"] == trainee]


def knowledge_texts(knowledge):
    """Every text a missed point can be."""
    grader = Grader(knowledge)
    messages = knowledge.rehearsal["messages"]
    texts = {p.text for sid in knowledge.rehearsal["scenarios"] for p in grader.key_points(sid)}
    texts.add(messages["missed_order"])
    texts.update(messages["stated_belief"].format(cap=knowledge.rehearsal["stated_belief_cap"], **b)
                 for b in knowledge.misconceptions.values())
    return texts


def test_a_full_rehearsal_grades_five_answers_and_ends_with_a_summary(webhook, rehearsal, rehearsal_db, knowledge):
    trainee = "测试员甲"
    sender, reply = start(webhook, rehearsal, trainee)
    # Good, "你好" (small talk anywhere else), partial, a FAQ question (answered anywhere else), good.
    kinds = ["good", "你好", "partial", "智慧职教APP怎么退出登录", "good"]
    scores, seen = [], []
    for number, kind in enumerate(kinds, start=1):
        scenario = scenario_in(rehearsal, reply)
        seen.append(scenario)
        answer = ANSWERS["answers"][scenario].get(kind, kind)
        reply = answer_text(webhook, sender, answer)
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
    assert "“账户与安全”→“退出登录”" in answer_text(webhook, sender, "智慧职教APP怎么退出登录")


def test_ending_early_gives_the_summary_and_the_faq_works_again(webhook, rehearsal, rehearsal_db):
    trainee = "测试员乙"
    sender, reply = start(webhook, rehearsal, trainee)
    reply = answer_text(webhook, sender, ANSWERS["answers"][scenario_in(rehearsal, reply)]["good"])
    assert "【场景 2/5】" in reply
    reply = answer_text(webhook, sender, "结束演练！")
    assert f"{trainee}完成了1个场景" in reply and "【场景" not in reply, reply
    assert len(rows_of(rehearsal_db, trainee)) == 1
    assert "Ctrl+Shift+Delete" in answer_text(webhook, sender, "智慧职教网页版怎么退出登录")
    assert "不可以" in answer_text(webhook, sender, "学信网账号可以借给同学吗")
    assert rehearsal["messages"]["not_running"] in answer_text(webhook, sender, "结束演练")


def test_ending_before_giving_a_name(webhook, rehearsal):
    sender = new_sender()
    answer_text(webhook, sender, "开始演练")
    assert rehearsal["messages"]["summary_none"] in answer_text(webhook, sender, "退出演练")
    assert "“账户与安全”→“退出登录”" in answer_text(webhook, sender, "职教云app咋登出")


def test_a_phone_number_in_an_answer_is_warned_about_and_never_stored(webhook, bot, rehearsal, rehearsal_db):
    trainee = "测试员丙"
    sender, reply = start(webhook, rehearsal, trainee)
    answer = ANSWERS["answers"][scenario_in(rehearsal, reply)]["good"] + f"有问题打我电话{PHONE}。"
    reply = answer_text(webhook, sender, answer)
    assert "⚠️ 请不要把身份证号、手机号、密码发给任何人" in reply and PHONE not in reply
    assert int(SCORE.search(reply).group(1)) >= 80
    answer_text(webhook, sender, "结束演练")
    assert len(rows_of(rehearsal_db, trainee)) == 1
    for database in (rehearsal_db, bot.tracker_db):
        assert PHONE.encode() not in Path(database).read_bytes(), database
    # Nor in the slots of the stored conversation.
    with sqlite3.connect(bot.tracker_db) as connection:
        events = [json.loads(row[0]) for row in connection.execute("SELECT data FROM events")]
    assert not any(PHONE in json.dumps(event, ensure_ascii=False) for event in events)
    assert any("【手机号】" in (e.get("text") or "") for e in events if e["event"] == "user")


def test_the_report_shows_each_trainee_and_topic_with_charts(webhook, rehearsal, rehearsal_db, knowledge, tmp_path):
    trainee = "测试员丁"
    sender, reply = start(webhook, rehearsal, trainee)
    scenario = scenario_in(rehearsal, reply)
    answer_text(webhook, sender, "我不知道")
    answer_text(webhook, sender, "结束演练")

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


def test_the_report_of_an_empty_database(tmp_path, knowledge):
    out = tmp_path / "empty.html"
    rehearsal_report.main(["--db", str(tmp_path / "none.db"), "--out", str(out)])
    assert knowledge.rehearsal["report"]["empty"] in out.read_text(encoding="utf-8")
    assert (tmp_path / "empty.csv").read_text(encoding="utf-8-sig").count("\n") == 1


def test_the_terminal_rehearsal_presents_grades_and_sums_up(webhook, rehearsal, rehearsal_db):
    """`make rehearse` (python -m staff.rehearse) against the running bot, typed on its stdin."""
    finished = subprocess.run(
        [sys.executable, "-m", "staff.rehearse", "--webhook", webhook, "--trainee", "终端学员"],
        input="我不知道\n", capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # one answer, then end of input: the rehearsal ends as with 结束演练
    assert finished.returncode == 0, finished.stderr[-2000:]
    out = finished.stdout
    assert "【场景 1/5】" in out and "得分：0/100" in out and "【场景 2/5】" in out, out
    assert "终端学员完成了1个场景，平均0分" in out, out
    assert [r["score"] for r in rows_of(rehearsal_db, "终端学员")] == [0]


def test_the_chat_widget_starts_a_rehearsal(bot, rehearsal):
    """The widget's socket.io channel: the same intent and form as over REST."""
    client, answers, session = socketio.Client(), [], new_sender()
    client.on("bot_uttered", lambda message: answers.append(message.get("text", "")))
    client.connect(bot.url, headers={"Origin": "http://localhost:8000"}, transports=["polling"])
    try:
        client.emit("session_request", {"session_id": session})
        for text, expected in [("培训演练", rehearsal["messages"]["ask_trainee"]),
                               ("网页学员", "【场景 1/5】"), ("结束演练", rehearsal["messages"]["summary_none"])]:
            client.emit("user_uttered", {"message": text, "session_id": session})
            deadline = time.monotonic() + 30
            while not any(expected in answer for answer in answers):
                assert time.monotonic() < deadline, answers
                time.sleep(0.1)
    finally:
        client.eio.disconnect(abort=True)  # not waiting for the long-poll in progress
