"""Grading of trainee answers in the training rehearsal (staff/grading.py), without Rasa.

The answers in tests/rehearsal/answers.yml are written as trainees answer: complete ones in their
own words, paraphrases with other words and traditional characters, partial ones, answers that
state the student's false belief, and empty, off-topic and wrong ones. Each assertion is about
something a supervisor would notice: the score band, and which point is named as missed.
"""

from pathlib import Path

import pytest
import yaml

from actions.rehearsal import model_answer
from knowledge.misconceptions import load_recogniser
from knowledge.vocabulary import load_vocabulary
from staff.grading import Grader

pytestmark = pytest.mark.unit

ANSWERS = yaml.safe_load((Path(__file__).parent / "rehearsal" / "answers.yml").read_text(encoding="utf-8"))
GOOD = 80  # a complete answer scores at least this
LOW = 30  # an empty, off-topic or wrong answer scores below this


def answers_of(kind):
    return [pytest.param(sid, a[kind], id=sid) for sid, a in ANSWERS["answers"].items() if kind in a]


@pytest.fixture(scope="module")
def grader(knowledge):
    return Grader(knowledge)


@pytest.mark.parametrize("scenario, answer", answers_of("good"))
def test_a_complete_answer_scores_high_and_misses_nothing(grader, scenario, answer):
    grade = grader.grade(scenario, answer)
    assert grade.score >= GOOD and not grade.missed and not grade.stated, grade


@pytest.mark.parametrize("scenario, answer", answers_of("paraphrased"))
def test_a_paraphrased_answer_scores_high(grader, scenario, answer):
    grade = grader.grade(scenario, answer)
    assert grade.score >= GOOD, grade


@pytest.mark.parametrize("scenario", [s for s, a in ANSWERS["answers"].items() if "partial" in a])
def test_a_partial_answer_scores_in_between_and_names_what_it_missed(grader, scenario):
    case = ANSWERS["answers"][scenario]
    grade = grader.grade(scenario, case["partial"])
    assert LOW <= grade.score < GOOD, grade
    assert grade.score < grader.grade(scenario, case["good"]).score
    for point in case["missed"]:
        assert any(point in missed for missed in grade.missed), (point, grade.missed)


def test_every_scenario_has_off_topic_answers_of_its_kind(knowledge):
    kinds = [s for kind in ANSWERS["off_topic"].values() for s in kind["scenarios"]]
    assert sorted(kinds) == sorted(knowledge.rehearsal["scenarios"])


@pytest.mark.parametrize(
    "scenarios, answer",
    [
        pytest.param(
            kind["scenarios"],
            answer,
            id=f"{name}-{number}",
        )
        for name, kind in ANSWERS["off_topic"].items()
        for number, answer in enumerate(kind["answers"])
    ],
)
def test_an_off_topic_answer_scores_nothing(grader, scenarios, answer):
    """Naming the platform or the subject ("注销的事我不太懂") is not covering a key point."""
    grades = {scenario: grader.grade(scenario, answer) for scenario in scenarios}
    assert all(grade.score == 0 for grade in grades.values()), grades


@pytest.mark.parametrize("scenario, answer", ANSWERS["wrong"].items(), ids=list(ANSWERS["wrong"]))
def test_wrong_answers_score_low(grader, scenario, answer):
    grade = grader.grade(scenario, answer)
    assert grade.score < LOW, grade


@pytest.mark.parametrize("scenario, answer", answers_of("stating"))
def test_an_answer_stating_the_belief_is_capped_and_told_so(grader, knowledge, scenario, answer):
    belief = knowledge.rehearsal["scenarios"][scenario]["misconception"]
    grade = grader.grade(scenario, answer)
    assert grade.stated == [belief]
    assert grade.score <= knowledge.rehearsal["stated_belief_cap"]
    assert any(knowledge.misconceptions[belief]["belief"] in m for m in grade.missed)


def test_a_wrong_answer_confirming_the_belief_is_named(grader, knowledge):
    grade = grader.grade("close_app", ANSWERS["wrong"]["close_app"])
    assert grade.stated == ["close_app_is_logout"]
    assert any("直接关闭APP就等于退出账号" in m for m in grade.missed)


def test_correcting_a_belief_by_quoting_it_is_not_stating_it(grader):
    answer = (
        "很多同学以为关掉APP就算退出了，其实并没有退出，登录状态会保持72小时。要在“我的”-“设置”-"
        "“账户与安全”里点退出登录并确认，回到登录界面才行，其他设备也要分别退出登录。"
    )
    grade = grader.grade("close_app", answer)
    assert not grade.stated and grade.score >= GOOD, grade


def test_steps_out_of_order_lose_points_and_are_named(grader, knowledge):
    good = ANSWERS["answers"]["lost_phone"]["good"]
    reversed_steps = "开启设备验证，再看登录记录有没有异常IP，然后修改密码，最后强制下线所有设备。只改密码的话没退出的设备还会登录2小时。"
    grade = grader.grade("lost_phone", reversed_steps)
    assert grade.score < grader.grade("lost_phone", good).score
    assert knowledge.rehearsal["messages"]["missed_order"] in grade.missed


def test_a_missing_security_reminder_is_named(grader, knowledge):
    answer = ANSWERS["answers"]["close_app"]["good"].replace("另外电脑、平板等其他设备也要分别退出登录。", "")
    grade = grader.grade("close_app", answer)
    assert knowledge.rehearsal["security"]["other_devices"]["text"] in grade.missed
    assert GOOD <= grade.score < 100


# ---- the scenarios themselves ----
def test_scenarios_cover_the_knowledge_and_often_hold_a_misconception(knowledge):
    scenarios = knowledge.rehearsal["scenarios"]
    assert len(scenarios) >= 8
    assert sum(bool(s.get("misconception")) for s in scenarios.values()) * 2 >= len(scenarios)
    topics = {s["topic"] for s in scenarios.values()}
    for needed in [
        "icve_logout_app",
        "icve_logout_web",
        "icve_public_computer",
        "icve_deregister",
        "icve_third_party_unbind",
        "chsi_account_share",
    ]:
        procedure = knowledge.topics[needed].get("procedure")
        assert needed in topics or any(
            knowledge.topics[t].get("procedure") == procedure and procedure for t in topics
        ), needed
    assert 0 < knowledge.rehearsal["scenarios_per_session"] <= len(scenarios)


def test_every_reference_resolves_and_every_keyword_names_a_synonym_class(knowledge, grader):
    config = knowledge.rehearsal
    classes = set(load_vocabulary().classes["grading"])
    for scenario_id, scenario in config["scenarios"].items():
        assert scenario["topic"] in knowledge.topics, scenario_id
        assert scenario.get("misconception") in {None, *knowledge.misconceptions}
        assert set(scenario.get("security", [])) <= set(config["security"])
        points = grader.key_points(scenario_id)  # resolves procedures, topic points, corrections
        assert any(p.kind in ("step", "point") for p in points), scenario_id
        for point in points:
            for alternative in point.alternatives:
                words = [alternative] if isinstance(alternative, str) else alternative
                assert set(words) <= classes, (scenario_id, point.text, words)
    assert set(config["corrections"]) <= set(knowledge.misconceptions)


@pytest.mark.parametrize("scenario", ANSWERS["answers"])
def test_a_student_holding_a_belief_states_it_as_the_bot_would_recognise_it(knowledge, scenario):
    """The student's message is written as students write it: the bot's own detector hears the belief."""
    info = knowledge.rehearsal["scenarios"][scenario]
    if info.get("misconception"):
        assert info["misconception"] in load_recogniser().beliefs(info["student"], info["topic"])


def test_the_model_answer_is_the_bots_answer_with_the_correction_first(knowledge):
    text = model_answer(knowledge, "uninstall")
    assert text.startswith("⚠️ 常见误区：" + knowledge.misconceptions["uninstall_is_deregister"]["correction"])
    assert "“隐私设置”提交注销申请" in text and "📄 来源" in text
    assert knowledge.rehearsal["security"]["data_lost"]["text"] in text
