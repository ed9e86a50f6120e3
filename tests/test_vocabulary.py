"""data/vocabulary.yml, the one place of the bot's words (knowledge/vocabulary.py): the files made
from it are up to date, every reader sees the same words, and its order is the priority."""

import shutil
from pathlib import Path

import pytest
import yaml

from actions.walkthrough import said_answers
from knowledge.loader import most_specific_device
from knowledge.vocabulary import (
    KINDS,
    Vocabulary,
    generated_files,
    load_vocabulary,
    main,
    read_vocabulary,
    stale_files,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return load_vocabulary()


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A data/ folder holding the project's vocabulary.yml and nothing generated yet."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(DATA / "vocabulary.yml", data / "vocabulary.yml")
    return data


def test_the_generated_files_are_up_to_date(data_copy):
    """Regenerated into a temporary folder, each generated file equals the project's: run `make data`
    after editing data/vocabulary.yml, and never edit a generated file by hand."""
    assert main(["--data", str(data_copy)]) == 0
    for path in generated_files(load_vocabulary()):
        regenerated = (data_copy / path).read_text(encoding="utf-8")
        assert (DATA / path).read_text(encoding="utf-8") == regenerated, (
            f"data/{path} is stale: run `make data`"
        )


def test_an_edited_vocabulary_makes_the_generated_files_stale(data_copy):
    main(["--data", str(data_copy)])
    assert stale_files(data_copy) == []
    vocabulary = data_copy / "vocabulary.yml"
    vocabulary.write_text(
        vocabulary.read_text(encoding="utf-8").replace("  icve: [", "  icve: [职教小云, ", 1),
        encoding="utf-8",
    )
    assert [str(p) for p in stale_files(data_copy)] == ["nlu/vocabulary.yml"]
    assert main(["--data", str(data_copy), "--check"]) == 1


def test_every_word_is_a_lookup_entry_mapped_to_its_id(vocabulary):
    nlu = yaml.safe_load((DATA / "nlu" / "vocabulary.yml").read_text(encoding="utf-8"))["nlu"]
    lookups = {e["lookup"]: e["examples"].split("\n") for e in nlu if "lookup" in e}
    synonyms = {}
    for entry in (e for e in nlu if "synonym" in e):
        for line in entry["examples"].splitlines():
            synonyms[line.removeprefix("- ").lower()] = entry["synonym"]
    for kind in KINDS:
        entries = {line.removeprefix("- ") for line in lookups[kind] if line}
        for id_ in vocabulary.ids(kind):
            for word in vocabulary.words(kind, id_):
                assert word in entries and synonyms[word.lower()] == id_, (kind, id_, word)
    assert {line.removeprefix("- ") for line in lookups["other_platform"] if line} == set(
        vocabulary.words("other_platform")
    )


def test_a_longer_word_comes_before_the_shorter_one_it_contains(vocabulary):
    """The extractor takes the first lookup entry that matches: "退出登录", not "退出" + "登录"."""
    nlu = yaml.safe_load((DATA / "nlu" / "vocabulary.yml").read_text(encoding="utf-8"))["nlu"]
    for entry in (e for e in nlu if "lookup" in e):
        words = [line.removeprefix("- ") for line in entry["examples"].splitlines()]
        for i, word in enumerate(words):
            assert not any(word in later and word != later for later in words[i + 1 :]), (
                entry["lookup"],
                word,
            )


def test_the_jieba_dictionary_is_the_vocabularys(vocabulary):
    lines = (DATA / "dict" / "userdict.txt").read_text(encoding="utf-8").splitlines()
    assert {line.split()[0]: " ".join(line.split()[1:]) for line in lines} == vocabulary.dictionary
    assert all(not line.startswith("#") for line in lines)  # jieba would take a comment for a word


def test_the_ids_are_those_the_knowledge_and_the_domain_use(vocabulary, knowledge, domain):
    """A goal, device, account or platform added on one side only would be silently ignored."""
    for question, spec in knowledge.walkthroughs["questions"].items():
        assert question in KINDS, question
        options = spec.get("options") or knowledge.platforms
        assert set(options) == set(vocabulary.ids(question)), question
    assert set(knowledge.walkthroughs["choose"]) == set(vocabulary.ids("goal"))
    assert vocabulary.ids("platform") == list(knowledge.platforms)
    assert domain["slots"]["platform"]["values"] == vocabulary.ids("platform")
    assert set(KINDS) | {"other_platform"} <= set(domain["entities"])


def test_included_words_are_written_once_and_read_everywhere(vocabulary):
    """A concept the NLU, the recogniser and the grader share is one list: the goal "logout"'s
    words are the recogniser's logout words and the grader's 退出登录 words."""
    logout = set(vocabulary.words("goal", "logout"))
    assert logout <= set(vocabulary.classes["recogniser"]["logout"])
    assert logout <= set(vocabulary.classes["grading"]["退出登录"])
    assert set(vocabulary.classes["grading"]["密码"]) == set(vocabulary.classes["recogniser"]["password"])
    raw = yaml.safe_load((DATA / "vocabulary.yml").read_text(encoding="utf-8"))
    raw["goal"]["logout"].append("登出去")
    edited = Vocabulary(raw)
    assert (
        "登出去" in edited.classes["recogniser"]["logout"]
        and "登出去" in edited.classes["grading"]["退出登录"]
    )


def test_a_class_including_itself_or_nothing_known_is_refused():
    raw = yaml.safe_load((DATA / "vocabulary.yml").read_text(encoding="utf-8"))
    raw["grading"]["密码"] = {"includes": ["recogniser.password"]}
    with pytest.raises(ValueError, match="includes itself"):
        Vocabulary(raw)
    raw = yaml.safe_load((DATA / "vocabulary.yml").read_text(encoding="utf-8"))
    raw["recogniser"]["logout"]["includes"] = ["goals.logout"]
    with pytest.raises(ValueError, match="unknown"):
        Vocabulary(raw)


def test_the_readers_no_longer_keep_copies():
    misconceptions = yaml.safe_load((DATA / "knowledge" / "misconceptions.yml").read_text(encoding="utf-8"))
    rehearsal = yaml.safe_load((DATA / "knowledge" / "rehearsal.yml").read_text(encoding="utf-8"))
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    assert "words" not in misconceptions["recognition"] and "synonyms" not in rehearsal
    assert all("replacements" not in step for step in config["pipeline"])


# ---- order = priority ----
def test_the_most_specific_value_wins_in_the_vocabularys_order(tracker_for, knowledge):
    assert most_specific_device(["app", "web", "public"]) == "public"  # "机房电脑"
    assert most_specific_device(["app", "web"]) == "web"
    assert most_specific_device(["someone's dict"]) is None
    tracker = tracker_for(
        "walkthrough_start",
        [
            {"entity": "goal", "value": "logout"},
            {"entity": "goal", "value": "force_offline"},  # "强制下线" also contains "下线"
            {"entity": "account", "value": "school"},
            {"entity": "account", "value": "sub"},  # "学校分配的子账号"
        ],
    )
    assert said_answers(knowledge, tracker) == {"goal": "force_offline", "account": "sub"}


def test_reordering_the_vocabulary_reorders_the_priority(tmp_path):
    """The order is read, not kept in a list in Python: swapping two ids swaps which one wins."""
    text = (DATA / "vocabulary.yml").read_text(encoding="utf-8")
    public = next(line for line in text.splitlines() if line.startswith("  public: "))
    app = next(line for line in text.splitlines() if line.startswith("  app: "))
    swapped = text.replace(public, "@@").replace(app, public).replace("@@", app)
    (tmp_path / "vocabulary.yml").write_text(swapped, encoding="utf-8")
    vocabulary = read_vocabulary(tmp_path / "vocabulary.yml")
    assert vocabulary.ids("device") == ["app", "web", "public"]
    assert vocabulary.most_specific("device", ["public", "app"]) == "app"
