"""`make unanswered-report` (staff/unanswered.py) on the tracker store of a real bot: unanswered
questions grouped and counted, walkthroughs abandoned half-way, no personal data in the report."""

import csv
import json
import sqlite3

import pytest

from harness.bot import answer_text, new_sender, running_bot
from staff import unanswered
from staff.unanswered import Event, abandoned_walkthroughs, redact

PHONE, EMAIL = "13812345678", "zhang.san@example.com"
ANSWERED = "智慧职教APP怎么退出登录"


@pytest.fixture(scope="module")
def report(trained_model, tmp_path_factory):
    """The report's Markdown and CSV rows after a morning of test conversations."""
    workdir = tmp_path_factory.mktemp("report-bot")
    with running_bot(trained_model, workdir, log_prefix="report-") as bot:

        def talk(*messages):
            sender = new_sender()
            return [answer_text(bot.webhook, sender, m) for m in messages]

        # Out of scope: two wordings of one question from two students, and another question.
        assert "回答不了" in talk("食堂几点开门")[0]
        assert "回答不了" in talk("食堂什么时候开门", "图书馆怎么借书")[0]
        talk("asdfghjkl")
        talk(f"奖学金什么时候发，有消息请发到{EMAIL}或者打{PHONE}")
        # Abandoned at step 2 of 5.
        started, moved = talk("一步一步教我退出智慧职教APP", "下一步")
        assert "第1/5步" in started and "第2/5步" in moved
        # Exited at step 1, and completed: neither is abandoned.
        assert "已退出引导" in talk("一步一步教我退出智慧职教APP", "退出引导")[1]
        completed = talk("一步一步教我退出智慧职教APP", "下一步", "下一步", "下一步", "下一步", "完成了")
        assert "步骤都完成了" in completed[-1]
        assert "账户与安全" in talk(ANSWERED)[0]
    # The bot has stopped: every event is in the tracker store.

    out = workdir / "reports" / "unanswered.md"
    unanswered.main(["--tracker-db", str(workdir / "tracker.db"), "--out", str(out), "--idle-minutes", "0"])
    csv_text = out.with_suffix(".csv").read_text(encoding="utf-8-sig")
    return out.read_text(encoding="utf-8"), csv_text, list(csv.DictReader(csv_text.splitlines()))


def question_rows(rows):
    return [r for r in rows if r["类别"] == "未能回答的问题"]


@pytest.mark.e2e
def test_similar_questions_are_grouped_and_counted(report):
    markdown, _, rows = report
    assert "## 未能回答的问题" in markdown and "统计时段" in markdown
    canteen = [r for r in question_rows(rows) if "食堂" in r["代表问题或引导"]]
    assert len(canteen) == 1, canteen
    assert canteen[0]["次数"] == "2"
    assert {canteen[0]["代表问题或引导"], canteen[0]["其他问法"]} == {"食堂几点开门", "食堂什么时候开门"}
    library = [r for r in question_rows(rows) if r["代表问题或引导"] == "图书馆怎么借书"]
    assert len(library) == 1 and library[0]["次数"] == "1"
    assert any("asdfghjkl" in r["代表问题或引导"] for r in question_rows(rows))
    # Sorted by count.
    counts = [int(r["次数"]) for r in question_rows(rows)]
    assert counts == sorted(counts, reverse=True) and counts[0] == 2


@pytest.mark.e2e
def test_answered_questions_and_walkthrough_commands_are_not_reported(report):
    markdown, csv_text, rows = report
    assert ANSWERED not in markdown and ANSWERED not in csv_text
    texts = " ".join(r["代表问题或引导"] + r["其他问法"] for r in question_rows(rows))
    for said in ("下一步", "退出引导", "完成了", "一步一步教我"):
        assert said not in texts
    assert len(question_rows(rows)) == 4  # 食堂, 图书馆, gibberish, 奖学金


@pytest.mark.e2e
def test_abandoned_walkthrough_with_its_step_exited_and_completed_ones_absent(report):
    markdown, _, rows = report
    assert "## 中途放弃的引导" in markdown
    abandoned = [r for r in rows if r["类别"] == "中途放弃的引导"]
    assert len(abandoned) == 1, abandoned
    assert "icve_logout_app" in abandoned[0]["代表问题或引导"]
    assert "智慧职教APP退出登录" in abandoned[0]["代表问题或引导"]
    assert abandoned[0]["停在步骤"].startswith("第2/5步")
    assert abandoned[0]["次数"] == "1"
    assert "第2/5步" in markdown and "第1/5步" not in markdown and "第5/5步" not in markdown


@pytest.mark.e2e
def test_no_personal_data_in_the_report(report):
    markdown, csv_text, rows = report
    for output in (markdown, csv_text):
        assert PHONE not in output and EMAIL not in output
        assert "example.com" not in output and "12345678" not in output
    scholarship = [r for r in question_rows(rows) if "奖学金" in r["代表问题或引导"]]
    assert scholarship and "【手机号】" in scholarship[0]["代表问题或引导"]
    assert "【邮箱】" in scholarship[0]["代表问题或引导"]


@pytest.mark.unit
def test_redact_masks_every_kind_of_personal_data():
    text = (
        "身份证11010519491231002X，手机138-1234-5678，密码是abc12345，"
        "邮箱13812345678@qq.com，卡号6222 0212 3456 7890 123，QQ 123456789"
    )
    redacted = redact(text)
    assert redacted == (
        "身份证【身份证号】，手机【手机号】，密码是【密码】，邮箱【邮箱】，卡号【银行卡号】，QQ 【号码】"
    )


def slot(sender, value, t):
    return Event(sender, "slot", t, {"name": "walkthrough", "value": value})


def step(procedure, n):
    return {"answers": {}, "asking": None, "procedure": procedure, "step": n}


@pytest.mark.unit
def test_walkthrough_left_for_a_new_session_or_another_walkthrough_is_abandoned():
    events = [
        slot("a", step("icve_logout_app", 2), 1.0),
        Event("a", "session_started", 5000.0, {}),  # slots are not carried over
        slot("b", step("icve_logout_app", 0), 1.0),
        slot("b", step("icve_deregister", 1), 2.0),
        slot("b", None, 3.0),  # the second one exited
        slot("c", step("icve_logout_web", 1), 1.0),  # still going on
    ]
    found = abandoned_walkthroughs(events, now=60.0, idle_minutes=60)
    assert [(w.procedure, w.step) for w in found] == [
        ("icve_logout_app", 2),  # a: the new session
        ("icve_logout_app", 0),  # b: left for another walkthrough
    ]
    later = abandoned_walkthroughs(events, now=1e9)  # c has been silent for long
    assert ("icve_logout_web", 1) in [(w.procedure, w.step) for w in later]


@pytest.mark.unit
def test_report_redacts_a_store_that_holds_raw_text(tmp_path):
    """Whatever the tracker store keeps, the report is redacted (an older store kept raw text)."""
    db = tmp_path / "tracker.db"
    with sqlite3.connect(db) as connection:
        connection.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), type_name "
            "VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), "
            "data TEXT)"
        )
        raw = f"奖学金什么时候发，有消息请发到{EMAIL}或者打{PHONE}，卡号6222021234567890123"
        for n, (intent, text) in enumerate(
            [("out_of_scope", raw), ("nlu_fallback", raw), ("request_cheating", "帮我代刷网课")]
        ):
            data = {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}
            connection.execute(
                "INSERT INTO events (sender_id, type_name, timestamp, intent_name, data) "
                "VALUES (?, 'user', ?, ?, ?)",
                (f"s{n}", 1_700_000_000 + n, intent, json.dumps(data, ensure_ascii=False)),
            )
    out = tmp_path / "unanswered.md"
    unanswered.main(["--tracker-db", str(db), "--out", str(out)])
    markdown = out.read_text(encoding="utf-8")
    csv_text = out.with_suffix(".csv").read_text(encoding="utf-8-sig")
    for output in (markdown, csv_text):
        assert PHONE not in output and EMAIL not in output and "6222021234567890123" not in output
        assert "【手机号】" in output and "【邮箱】" in output and "【银行卡号】" in output
        assert "代刷网课" not in output  # requests to cheat are not knowledge gaps
    assert "| 1 | 2 | 2023-11-1" in markdown  # one group of two, with its date
