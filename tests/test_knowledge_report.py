"""The content owner's report (`make knowledge-report`, staff/knowledge_report.py), rendered and
read in Debian's headless Chromium as the content owner reads it: every topic with its texts beside
their quotes, nothing flagged for the knowledge as it is, and a text that adds a number or a menu
name flagged and highlighted."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.browser import system_chromium
from knowledge.loader import Knowledge
from staff import knowledge_report

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "data" / "knowledge"
INVENTED = "注销后，原手机号需要间隔90天才能重新注册，在“账号注销中心”办理。"


@pytest.fixture(scope="module")
def page():
    with system_chromium() as browser:
        page = browser.new_page()
        errors = []
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.errors = errors
        yield page


def documents(knowledge):
    seeds = knowledge_report.SEEDS
    return knowledge_report.read_documents(knowledge, seeds) if seeds.is_dir() else None


def with_an_invented_fact():
    files = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(KNOWLEDGE.glob("*.yml"))}
    files = copy.deepcopy(files)
    files["topics"]["topics"]["icve_phone_reuse"]["answer"]["text"] = INVENTED
    return Knowledge(files)


@pytest.mark.unit
def test_make_knowledge_report_writes_only_the_page(tmp_path):
    out = tmp_path / "reports" / "knowledge.html"
    done = subprocess.run(
        [sys.executable, "-m", "staff.knowledge_report", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert [p.name for p in out.parent.iterdir()] == ["knowledge.html"]
    assert "0 flagged" in done.stdout


@pytest.mark.e2e
def test_every_topic_is_shown_beside_its_quotes_and_nothing_is_flagged(knowledge, page, tmp_path):
    out = tmp_path / "knowledge.html"
    report = knowledge_report.write(knowledge, documents(knowledge), knowledge_report.read_coverage(), out)
    assert report.flagged == 0
    page.goto(out.as_uri())
    assert page.title() == knowledge_report.read_coverage()["report"]["title"]
    assert page.locator("section.topic").count() == len(knowledge.topics)
    section = page.locator("section#icve_phone_reuse")
    assert "注销后原手机号需间隔180天才能重新注册" in section.locator("td.quote").first.inner_text()
    assert "《智慧职教怎么退出账号?详细操作步骤与常见问题解答》" in section.inner_text()
    assert page.locator("tr.flagged").count() == 0
    assert page.locator("#summary").get_attribute("data-flagged") == "0"
    assert page.locator("#summary").get_attribute("data-unstated") == "0"
    # Guidance is shown as such; contradictions and the checklist are there, linked to their topics.
    assert page.locator("tr.guidance").count() == sum(t.guidance for t in knowledge.texts.values())
    assert page.locator("#contradictions + table tbody tr").count() == len(
        knowledge_report.read_coverage()["contradictions"]
    )
    assert page.locator("#facts + table a[href='#icve_deregister_checklist']").count() >= 1
    assert not page.errors, page.errors


@pytest.mark.e2e
def test_a_text_adding_a_number_or_a_menu_name_is_flagged_and_highlighted(page, tmp_path):
    knowledge = with_an_invented_fact()
    out = tmp_path / "invented.html"
    report = knowledge_report.write(knowledge, documents(knowledge), knowledge_report.read_coverage(), out)
    assert report.flagged == 1
    page.goto(out.as_uri())
    flagged = page.locator("tr.flagged")
    assert flagged.count() == 2  # the text, and the checklist's fact no longer stated (180天)
    row = page.locator("section#icve_phone_reuse tr.flagged")
    assert row.get_attribute("data-key") == "topics.icve_phone_reuse.answer"
    assert row.locator("mark").all_inner_texts() == ["90天", "“账号注销中心”"]
    assert "原文里没有：90天、“账号注销中心”" in row.inner_text()
    assert page.locator("#summary").get_attribute("data-flagged") == "1"
