"""The schema of data/knowledge (knowledge/schema.py), checked when the knowledge is loaded.

Each mistake below is one a content editor makes in the YAML: it is made in a copy of data/ (the
loader reads $KNOWLEDGE_DIR), and loading must fail with one line that names the file, the key
and what is wrong, instead of a wrong answer or a KeyError deep in an action later.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.bot import action_server_command, free_port, server_environment
from knowledge.loader import Knowledge, load_knowledge
from knowledge.provenance import KnowledgeError

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


@pytest.fixture
def copy_of_data(tmp_path, monkeypatch):
    """A copy of data/knowledge (and the vocabulary beside it) that the loader reads instead."""
    data = tmp_path / "data"
    shutil.copytree(DATA / "knowledge", data / "knowledge")
    if (DATA / "vocabulary.yml").is_file():
        shutil.copy(DATA / "vocabulary.yml", data / "vocabulary.yml")
    monkeypatch.setenv("KNOWLEDGE_DIR", str(data / "knowledge"))
    load_knowledge.cache_clear()
    yield data / "knowledge"
    load_knowledge.cache_clear()  # the next reader loads data/knowledge again


def edit(folder: Path, file: str, old: str, new: str) -> None:
    """Replaces the one occurrence of `old` in a knowledge file, as an editor would."""
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {file}: the test needs updating"
    path.write_text(text.replace(old, new), encoding="utf-8")


def load_error() -> str:
    with pytest.raises(KnowledgeError) as error:
        load_knowledge()
    message = str(error.value)
    assert "\n" not in message, message  # one line
    return message


def test_the_real_knowledge_validates_into_typed_objects(knowledge):
    topic = knowledge.topic("icve_logout_web")
    assert topic.platform == "icve" and topic.procedure == "icve_logout_web"
    assert topic.related == knowledge.topics["icve_logout_web"]["related"]
    procedure = knowledge.procedure("icve_logout_app")
    assert procedure.steps[0].keywords == ["我的"] and procedure.check.quote
    # The typed objects keep the texts as written, the dicts the plain text readers show.
    assert knowledge.topics["icve_phone_reuse"]["answer"] == knowledge.topic("icve_phone_reuse").answer.text
    assert knowledge.topics_of("chsi") == [t for t, v in knowledge.topics.items() if v["platform"] == "chsi"]


def test_python_m_knowledge_schema_checks_the_real_files():
    done = subprocess.run(
        [sys.executable, "-m", "knowledge.schema"],
        cwd=ROOT,
        env=server_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize(
    "file, old, new, expected",
    [
        # a misspelt key
        (
            "procedures.yml",
            "    title: 智慧职教网页端退出登录\n    platform: icve\n    source: icve_doc\n"
            "    misconception: web_auto_login_ignored\n    steps:",
            "    title: 智慧职教网页端退出登录\n    platform: icve\n    source: icve_doc\n"
            "    misconception: web_auto_login_ignored\n    stpes:",
            "data/knowledge/procedures.yml: procedures.icve_logout_web: unknown key `stpes`",
        ),
        (
            "walkthroughs.yml",
            "  walkthrough_stuck: stuck",
            "  walkthrough_stuck: stuk",
            "data/knowledge/walkthroughs.yml: navigation.walkthrough_stuck: unknown move `stuk` of "
            "messages.buttons (did you mean `stuck`?)",
        ),
        # a missing required key
        (
            "procedures.yml",
            "    title: 智慧职教网页端退出登录\n",
            "",
            "data/knowledge/procedures.yml: procedures.icve_logout_web: missing required key `title`",
        ),
        (
            "platforms.yml",
            "    help: 学信网客服\n",
            "",
            "data/knowledge/platforms.yml: platforms.chsi: missing required key `help`",
        ),
        # a text where a list is expected
        (
            "topics.yml",
            "    related: [icve_public_computer, icve_logout_app]\n",
            "    related: icve_public_computer\n",
            "data/knowledge/topics.yml: topics.icve_web_auto_login.related: expected a list, "
            "found a text 'icve_public_computer'",
        ),
        (
            "rehearsal.yml",
            "    security: [device_verification]",
            "    security: device_verification",
            "data/knowledge/rehearsal.yml: scenarios.multi_device.security: expected a list",
        ),
        # a topic's `related` (its "see also" buttons) naming a topic that does not exist
        (
            "topics.yml",
            "    related: [icve_public_computer, icve_logout_app, icve_multi_device]\n",
            "    related: [icve_public_computer, icve_logut_app, icve_multi_device]\n",
            "data/knowledge/topics.yml: topics.icve_logout_web.related[1]: unknown topic `icve_logut_app` "
            "(did you mean `icve_logout_app`?)",
        ),
        # a route to a topic that does not exist
        (
            "topics.yml",
            "web: icve_logout_web, public: icve_public_computer}",
            "web: icve_logout_website, public: icve_public_computer}",
            "data/knowledge/topics.yml: routes.logout.icve.web: unknown topic `icve_logout_website`",
        ),
        # a route by a kind of account the walkthrough does not know
        (
            "topics.yml",
            "{school: icve_school_account, sub: icve_sub_account}",
            "{schools: icve_school_account, sub: icve_sub_account}",
            "data/knowledge/topics.yml: account_routes.deregister.icve.schools: unknown kind of account `schools`",
        ),
        # a text resting on a document that sources.yml does not have
        (
            "topics.yml",
            "      - text: 资料同时提醒：",
            "      - source: chsi_docs\n        text: 资料同时提醒：",
            "data/knowledge/topics.yml: topics.icve_right_to_delete.points[0]: unknown or missing `source` "
            "'chsi_docs'",
        ),
        (
            "misconceptions.yml",
            "    source: chsi_doc\n    topic: chsi_account_share\n",
            "    source: chsi_doc\n    topic: chsi_acount_share\n",
            "data/knowledge/misconceptions.yml: misconceptions.chsi_account_shareable.topic: unknown topic "
            "`chsi_acount_share` (did you mean `chsi_account_share`?)",
        ),
        # a walkthrough leading to a procedure that does not exist
        (
            "walkthroughs.yml",
            "  unbind: icve_unbind\n",
            "  unbind: icve_unbinding\n",
            "data/knowledge/walkthroughs.yml: choose.unbind: unknown procedure `icve_unbinding`",
        ),
        # a rehearsal scenario about a topic that does not exist, or a point the topic lacks
        (
            "rehearsal.yml",
            "    topic: icve_public_computer\n",
            "    topic: icve_public_computers\n",
            "data/knowledge/rehearsal.yml: scenarios.public_computer.topic: unknown topic `icve_public_computers`",
        ),
        (
            "rehearsal.yml",
            "      - {point: 2, keywords: [强制下线]}",
            "      - {point: 3, keywords: [强制下线]}",
            "data/knowledge/rehearsal.yml: scenarios.multi_device.points[1].point: topic `icve_multi_device` "
            "has no point 3",
        ),
        # a follow-up and a near-miss rule about topics that do not exist
        (
            "followups.yml",
            "  icve_school_account: {chsi: chsi_teacher_password}",
            "  icve_school_account: {chsi: chsi_teacher_passwd}",
            "data/knowledge/followups.yml: same_question_on.icve_school_account.chsi: unknown topic "
            "`chsi_teacher_passwd`",
        ),
        (
            "answerability.yml",
            "  goals: [logout, deregister]",
            "  goals: [logout, deregistration]",
            "data/knowledge/answerability.yml: other_objects.goals[1]: unknown goal",
        ),
        # a coverage fact credited to a topic that does not exist
        (
            "coverage.yml",
            "    topic: chsi_batch_problem\n",
            "    topic: chsi_batch_problems\n",
            "data/knowledge/coverage.yml: facts[",
        ),
        # a tab or a missing quote mark: not YAML at all
        (
            "sources.yml",
            "citation: \"📄",
            "citation: \"📄\"\"",
            "data/knowledge/sources.yml: line 14: not valid YAML",
        ),
    ],
)
def test_a_mistake_in_the_knowledge_fails_the_load_naming_file_and_key(
    copy_of_data, file, old, new, expected
):
    edit(copy_of_data, file, old, new)
    message = load_error()
    assert message.startswith(expected), message


def test_a_procedure_including_itself_through_another_is_named(copy_of_data):
    edit(
        copy_of_data,
        "procedures.yml",
        "    steps:\n      - do: 登录网页端管理后台（移动端功能不完整）",
        "    steps:\n      - include: icve_deregister\n      - do: 登录网页端管理后台（移动端功能不完整）",
    )
    message = load_error()
    assert "`include` goes round in a circle" in message and "icve_unbind" in message, message


def test_a_platform_offers_only_its_own_topics(copy_of_data):
    edit(
        copy_of_data,
        "platforms.yml",
        "    menu: [chsi_account_share,",
        "    menu: [icve_deregister, chsi_account_share,",
    )
    assert load_error() == (
        "data/knowledge/platforms.yml: platforms.chsi.menu[0]: topic `icve_deregister` is about `icve`, not `chsi`"
    )


def test_python_m_knowledge_schema_fails_on_a_broken_copy_saying_what_to_fix(copy_of_data):
    edit(
        copy_of_data,
        "procedures.yml",
        "    next_topics: [icve_public_computer, icve_multi_device]",
        "    next_topics: [icve_public_computer, icve_multi_devices]",
    )
    done = subprocess.run(
        [sys.executable, "-m", "knowledge.schema"],
        cwd=ROOT,
        env=server_environment({"KNOWLEDGE_DIR": str(copy_of_data)}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "data/knowledge/procedures.yml: procedures.icve_logout_web.next_topics[1]: unknown topic "
        "`icve_multi_devices` (did you mean `icve_multi_device`?)"
    )


def test_a_grading_keyword_must_name_a_word_class(copy_of_data):
    edit(copy_of_data, "procedures.yml", "        keywords: [访客模式]", "        keywords: [访客模试]")
    message = load_error()
    assert message.startswith(
        "data/knowledge/procedures.yml: procedures.icve_logout_public.steps[1].keywords: "
        "unknown word class `访客模试` of data/vocabulary.yml `grading`"
    ), message


def test_a_misconception_pattern_must_name_word_classes_of_the_vocabulary(copy_of_data):
    edit(
        copy_of_data,
        "misconceptions.yml",
        "      - [pause, so, deregister]",
        "      - [pause, so, deregistre]",
    )
    message = load_error()
    assert message.startswith(
        "data/knowledge/misconceptions.yml: misconceptions.pause_is_deregister.patterns[0][2]: "
        "unknown word class `deregistre` of data/vocabulary.yml `recogniser` (did you mean `deregister`?)"
    ), message


def test_a_next_walkthrough_must_be_one_a_walkthrough_leads_to(copy_of_data):
    edit(
        copy_of_data,
        "procedures.yml",
        "    next_walkthroughs: [icve_deregister]",
        "    next_walkthroughs: [icve_deregister_school_x]",
    )
    message = load_error()
    assert message.startswith(
        "data/knowledge/procedures.yml: procedures.icve_unbind.next_walkthroughs[0]: unknown procedure"
    ), message


def test_the_problem_is_logged_in_one_line_for_whatever_process_loads_it(copy_of_data, caplog):
    edit(copy_of_data, "platforms.yml", "    menu: [chsi_account_share,", "    menus: [chsi_account_share,")
    message = load_error()
    assert message.startswith("data/knowledge/platforms.yml: platforms.chsi: unknown key `menus`"), message
    assert any(message in record.getMessage() and record.levelname == "ERROR" for record in caplog.records)


def test_the_action_server_refuses_to_start_saying_what_to_fix(copy_of_data, tmp_path):
    """A real action server (as harness/bot.py starts it) on broken knowledge: it stops at once,
    with the one-line problem in its log, rather than answering with errors later."""
    edit(
        copy_of_data,
        "topics.yml",
        "    procedure: icve_force_offline\n",
        "    procedure: icve_force_ofline\n",
    )
    done = subprocess.run(
        action_server_command(free_port()),
        cwd=ROOT,
        env=server_environment({"KNOWLEDGE_DIR": str(copy_of_data)}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert (
        "data/knowledge/topics.yml: topics.icve_lost_device.procedure: unknown procedure `icve_force_ofline` "
        "(did you mean `icve_force_offline`?)"
    ) in done.stdout + done.stderr


def test_knowledge_built_from_files_directly_is_checked_too():
    files = {
        p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((DATA / "knowledge").glob("*.yml"))
    }
    del files["topics"]["topics"]["icve_mnemonic"]  # still named by icve_pre_logout_checklist's related
    with pytest.raises(KnowledgeError) as error:
        Knowledge(files)
    assert "data/knowledge/topics.yml: topics.icve_pre_logout_checklist.related[2]: unknown topic" in str(
        error.value
    )


def test_a_file_of_the_wrong_shape_is_named_not_a_key_error():
    files = {
        p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((DATA / "knowledge").glob("*.yml"))
    }
    files["procedures"]["procedures"]["icve_unbind"].pop("steps")
    with pytest.raises(KnowledgeError) as error:
        Knowledge(files)
    assert (
        str(error.value)
        == "data/knowledge/procedures.yml: procedures.icve_unbind: missing required key `steps`"
    )
