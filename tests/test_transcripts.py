"""`make transcripts` (staff/transcripts.py): the conversation tests replayed on the real bot and
written as readable Markdown."""

from pathlib import Path

import pytest

from staff.transcripts import generate, typed_text

ROOT = Path(__file__).resolve().parent.parent
STORIES = sorted((ROOT / "tests" / "conversations").glob("*.yml"))


@pytest.fixture(scope="module")
def transcripts(webhook, tmp_path_factory):
    out = tmp_path_factory.mktemp("transcripts")
    written = generate(out, webhook, ROOT / "models" / "helpdesk.tar.gz")
    return out, {p.name: p.read_text(encoding="utf-8") for p in written}


@pytest.mark.e2e
def test_one_file_per_source_and_an_index(transcripts):
    out, files = transcripts
    expected = [f"conversations-{p.stem}.md" for p in STORIES] + ["walkthroughs-conversations.md"]
    assert sorted(files) == sorted(expected + ["index.md"])
    assert sorted(p.name for p in out.iterdir()) == sorted(files)
    for name in expected:
        assert f"({name})" in files["index.md"]
        assert "**学生：**" in files[name] and "**助手：**" in files[name]


@pytest.mark.e2e
def test_answers_come_from_the_live_bot(transcripts):
    _, files = transcripts
    icve = files["conversations-icve.md"]
    # The student's words without annotations, then the bot's real steps, one per line.
    assert "**学生：** 智慧职教APP怎么退出登录" in icve
    assert "“账户与安全”→“退出登录”" in icve
    assert "\\\n> 2\\. 滑动到页面底部" in icve
    assert "【按钮】需要我一步一步带你操作吗？" in icve
    walkthroughs = files["walkthroughs-conversations.md"]
    assert "第1/5步" in walkthroughs and "第1/7步" in walkthroughs


@pytest.mark.e2e
def test_pressed_buttons_are_shown_as_taps(transcripts):
    _, files = transcripts
    walkthroughs = files["walkthroughs-conversations.md"]
    assert "**学生：**（点按【下一步】）" in walkthroughs
    assert "**学生：**（点按【智慧职教（职教云）】）" in walkthroughs


@pytest.mark.e2e
def test_no_annotations_no_absolute_paths_and_a_header(transcripts):
    out, files = transcripts
    for text in files.values():
        assert "](platform)" not in text and "](device)" not in text and "](goal)" not in text
        assert str(ROOT) not in text and str(out) not in text
        assert "生成" in text.split("\n")[2] and "models/helpdesk.tar.gz" in text
    assert "`tests/conversations/icve.yml`（sha256 " in files["conversations-icve.md"]


@pytest.mark.unit
def test_typed_text_strips_entity_annotations():
    assert typed_text("[智慧职教](platform)[APP](device)怎么退出登录\n") == "智慧职教APP怎么退出登录"
    assert typed_text('[职教云]{"entity": "platform", "value": "icve"}的') == "职教云的"
    assert typed_text("[职教云](platform:icve)的") == "职教云的"
