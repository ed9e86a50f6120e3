"""spaCy misconception recognition (knowledge/misconceptions.py): every pattern, with sentences that
state a belief and sentences that only ask about it; and the independent sentence set."""

from pathlib import Path

import pytest
import yaml

from knowledge.loader import load_knowledge
from knowledge.misconceptions import load_recogniser
from nlu_components.normalizer import normalize

pytestmark = pytest.mark.unit

HERE = Path(__file__).resolve().parent
OWN = yaml.safe_load((HERE / "misconceptions" / "patterns.yml").read_text(encoding="utf-8"))
INDEPENDENT = yaml.safe_load((HERE / "misconceptions" / "sentences.yml").read_text(encoding="utf-8"))
REPORT = HERE / "artifacts" / "misconceptions.md"


def cases(sentences, kind):
    return [(b, s) for b, kinds in sentences["beliefs"].items() for s in kinds[kind]]


def topic_intent(belief_id):
    """The NLU intent a message about this belief gets: the belief's topic."""
    return load_knowledge().misconceptions[belief_id]["topic"]


@pytest.fixture(scope="module")
def recogniser():
    return load_recogniser()


def test_every_pattern_has_a_sentence_that_states_its_belief(recogniser):
    used = set()
    for _, sentence in cases(OWN, "states"):
        used |= {recogniser.nlp.vocab.strings[m] for m, _, _ in recogniser.matcher(recogniser.nlp(sentence))}
    assert set(recogniser.patterns) - used == set()


@pytest.mark.parametrize("belief,sentence", cases(OWN, "states"))
def test_stated_belief_is_recognised(recogniser, belief, sentence):
    assert belief in recogniser.beliefs(sentence, topic_intent(belief))


@pytest.mark.parametrize("belief,sentence", cases(OWN, "asks"))
def test_question_negation_or_truth_is_not_a_belief(recogniser, belief, sentence):
    assert recogniser.beliefs(sentence, topic_intent(belief)) == []


def test_belief_needs_an_intent_about_its_platform(recogniser):
    sentence = "我关掉APP就算退出了吧"
    assert recogniser.beliefs(sentence, "logout") == ["close_app_is_logout"]
    assert recogniser.beliefs(sentence, "chsi_account_share") == []
    assert recogniser.beliefs(sentence, "out_of_scope") == []
    assert recogniser.beliefs(sentence, "greet") == []


def test_a_message_naming_only_another_platform_states_no_belief_about_this_one(recogniser):
    # A goal intent fits every platform; the platform the message names decides.
    about_icve = "同学把号借给我登了职教云，我现在帮他退掉"
    assert recogniser.beliefs(about_icve, "logout") == []
    assert recogniser.beliefs(about_icve.replace("职教云", "学信网"), "logout") == ["chsi_account_shareable"]
    assert recogniser.beliefs("同学把号借给我登了一下，我现在帮他退掉", "logout") == [
        "chsi_account_shareable"
    ]


@pytest.mark.parametrize(
    "text, asks",
    [
        ("舍友说把APP从后台划掉就行，这样真的算退出了吗", True),
        ("我听说卸载了就等于注销，到底有啥区别", True),
        ("卸载了APP账号应该就注销了吧", False),
        ("我每次用完直接把APP关了，这样就算退出了吧", False),
        ("我把APP关了就没管了", False),
    ],
)
def test_a_message_asking_whether_a_belief_holds_is_told_from_one_seeking_agreement(recogniser, text, asks):
    assert recogniser.asks(text) is asks


def test_blank_text_states_nothing(recogniser):
    assert recogniser.beliefs("", "logout") == []


def test_independent_sentences(recogniser):
    """Sentences by a separate author, who never saw the patterns (recall >= 85%, <= 2 false)."""
    missed, false_alarms = [], []
    for belief, sentence in cases(INDEPENDENT, "states"):
        if belief not in recogniser.beliefs(normalize(sentence, {}), topic_intent(belief)):
            missed.append((belief, sentence))
    for belief, sentence in cases(INDEPENDENT, "asks"):
        found = recogniser.beliefs(normalize(sentence, {}), topic_intent(belief))
        if found:
            false_alarms.append((belief, sentence, found))
    stated = len(cases(INDEPENDENT, "states"))
    recall = 1 - len(missed) / stated
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(
        f"# Misconception recognition on tests/misconceptions/sentences.yml\n\n"
        f"recall {recall:.1%} ({stated - len(missed)}/{stated}), "
        f"false alarms {len(false_alarms)}/{len(cases(INDEPENDENT, 'asks'))}\n\n"
        + "".join(f"- missed {b}: {s}\n" for b, s in missed)
        + "".join(f"- false alarm {b}: {s} -> {f}\n" for b, s, f in false_alarms),
        encoding="utf-8",
    )
    assert recall >= 0.85, missed
    assert len(false_alarms) <= 2, false_alarms


@pytest.mark.parametrize(
    "sentence, intent, confidence, found",
    [
        # Said in words no pattern has, of a topic the classifier is sure of.
        ("app一关账号自然就下线了", "icve_close_app", 0.9, ["close_app_is_logout"]),
        ("卸了就等于销号了，省事", "icve_uninstall_vs_deregister", 0.9, ["uninstall_is_deregister"]),
        # The classifier unsure, or not asked.
        ("app一关账号自然就下线了", "icve_close_app", 0.3, []),
        ("app一关账号自然就下线了", "icve_close_app", None, []),
        # Asked, in the A-not-A form or by a closing 不/伐; said with the truth.
        ("这算退出了不", "icve_close_app", 0.9, []),
        ("暂停使用跟注销是一回事伐", "icve_pause_vs_deregister", 0.9, []),
        ("卸载了账号还在不在", "icve_uninstall_vs_deregister", 0.9, []),
        ("我知道关掉app不算退出", "icve_close_app", 0.9, []),
        ("主号注销了子号肯定也失效了", "icve_sub_account", 0.9, ["sub_accounts_forgotten"]),
        # News that names only the topic's people and platform states no belief.
        ("班主任在群里提醒大家上学信网查一下学籍", "chsi_teacher_password", 0.9, []),
        (
            "班主任说学信网的号都交给她统一保管",
            "chsi_teacher_password",
            0.9,
            ["chsi_teacher_manages_accounts"],
        ),
        # A topic that mostly tells of a situation, not of a belief.
        ("网页版老是自动登录，烦死了", "icve_web_auto_login", 0.9, []),
    ],
)
def test_a_belief_said_in_other_words_is_read_from_its_topic(recogniser, sentence, intent, confidence, found):
    assert recogniser.beliefs(sentence, intent, confidence) == found
