"""Loads data/knowledge/ — the one place where the bot's facts live — and answers look-ups on it.

Nothing is read at import time: `load_knowledge()` reads the YAML files on first use and caches them.
They are checked then, before anything uses them: the texts against knowledge/provenance.py, every
file against the schema of knowledge/schema.py (keys, types, the ids one file gives for another).
A broken file raises one `KnowledgeError` naming the file, the key and the problem, also logged.
"""

import copy
import functools
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Text, Tuple, TypeVar

import yaml

from knowledge.provenance import KnowledgeError, Place, Provenance, read_texts
from knowledge.schema import KnowledgeBase, Procedure, Topic, parse

logger = logging.getLogger(__name__)

DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "data" / "knowledge"
DEFAULT_ROUTE = "default"


def known(value: Any, ids: Iterable[Text]) -> Optional[Text]:
    """`value` when it is one of the ids `ids`, else None. Entity and slot values may come from
    what a user typed (a dict, a list, an id nobody defined): anything else counts as unset."""
    return value if isinstance(value, str) and value in ids else None


def most_specific_device(devices: List[Text]) -> Optional[Text]:
    """When a message names several devices ("机房电脑"), the most specific one decides: the first
    in data/vocabulary.yml's order."""
    from knowledge.vocabulary import load_vocabulary  # it finds data/ through knowledge_dir()

    return load_vocabulary().most_specific("device", devices)


@dataclass(frozen=True)
class Route:
    """A generic intent (logout, deregister) answered for one platform and device."""

    goal: Text
    platform: Text
    device: Text


@functools.lru_cache(maxsize=1)
def platform_names() -> Tuple[Text, ...]:
    """Every name of ours and other platforms (data/vocabulary.yml), lower case, longest first."""
    from knowledge.vocabulary import load_vocabulary

    vocabulary = load_vocabulary()
    names = {w.lower() for kind in ("platform", "other_platform") for w in vocabulary.words(kind)}
    return tuple(sorted(names, key=len, reverse=True))


# A clause, between marks or spaces; what it states, and the question after it, have at least this
# many letters ("我知道了，那…" states nothing).
CLAUSE = re.compile(r"[^，,。；;！!？?\s]+")
KNOWN_MIN_CHARS = 4
SENTENCE_ENDS = "。！？!?"


def content_chars(text: Text) -> int:
    return len(re.sub(r"[\W_]", "", text))


def has_words_unless(rule: Dict[Text, Any], text: Text, context: Optional[Text] = None) -> bool:
    """Whether `text` holds a word of an answerability.yml rule's `words` (and, when it has them, one
    of its `with_any`, which may also stand in `context`: "提交了注销，还能撤回吗" says what is taken
    back before the question) and none of its `unless`."""
    text = text.lower()

    def has_any(key: Text, where: Text = text) -> bool:
        return any(w in where for w in rule.get(key) or ())

    with_any = not rule.get("with_any") or has_any("with_any", (context or text).lower())
    return has_any("words") and with_any and not has_any("unless")


def answer_states(pattern: Text, answer: Optional[Text]) -> bool:
    """Whether a topic's answer states what `pattern` finds (no topic: a goal's answer comes later)."""
    return answer is None or re.search(pattern, answer) is not None


def answer_states_it(
    rule: Dict[Text, Any],
    answer: Callable[[], Optional[Text]],
    question: Text,
    text: Text,
    durations: List[Dict[Text, Any]],
) -> bool:
    """Whether the answer states the fact the `question` of a message `text` asks for
    (`unless_answer_has`, or `unless_answer_gives_duration`: the length of time the message names,
    or, naming none, one whose other things the message does not name)."""
    has, timed = rule.get("unless_answer_has"), rule.get("unless_answer_gives_duration")
    if not (has or timed):
        return False
    said = answer()
    if said is None or has and answer_states(has, said):
        return True
    if not timed:
        return False
    named = duration_named(durations, question, text)
    if named:
        return answer_states(named["pattern"], said)
    text = text.lower()
    return any(
        answer_states(d["pattern"], said) and not any(word in text for word in d.get("unless") or ())
        for d in durations
    )


def duration_named(durations: List[Dict[Text, Any]], question: Text, text: Text) -> Optional[Dict[Text, Any]]:
    """The first of the documents' lengths of time whose words the message `text` names (in its
    back-story too: "销户申请已提交，凭证图也存好了，几天生效"), its question naming none of its other things."""
    question = question.lower()
    for duration in durations:
        named = has_words_unless({"words": duration["words"], "with_any": duration.get("with_any")}, text)
        if named and not any(word in question for word in duration.get("unless") or ()):
            return duration
    return None


class Knowledge:
    def __init__(self, files: Dict[Text, Dict[Text, Any]]) -> None:
        raw = copy.deepcopy(files)  # read_texts makes the texts plain strings in `files`
        # Every text the bot states, checked and made plain; where it comes from, by its place
        # (knowledge/provenance.py).
        try:
            self.texts: Dict[Place, Provenance] = read_texts(files)
        except (KeyError, IndexError, TypeError, AttributeError):
            parse(raw)  # a file of the wrong shape: the schema says where
            raise
        # The same files as typed objects, checked against the schema (knowledge/schema.py).
        self.typed: KnowledgeBase = parse(raw)
        self.sources: Dict[Text, Dict[Text, Any]] = files["sources"]["sources"]
        self.citation: Text = files["sources"]["citation"]
        self.platforms: Dict[Text, Dict[Text, Any]] = files["platforms"]["platforms"]
        self.procedures: Dict[Text, Dict[Text, Any]] = files["procedures"]["procedures"]
        self.misconceptions: Dict[Text, Dict[Text, Any]] = files["misconceptions"]["misconceptions"]
        self.recognition: Dict[Text, Any] = files["misconceptions"]["recognition"]
        self.walkthroughs: Dict[Text, Any] = files["walkthroughs"]
        self.topics: Dict[Text, Dict[Text, Any]] = files["topics"]["topics"]
        self.routes: Dict[Text, Dict[Text, Dict[Text, Text]]] = files["topics"]["routes"]
        self.account_routes: Dict[Text, Dict[Text, Dict[Text, Text]]] = (
            files["topics"].get("account_routes") or {}
        )
        self.goal_titles: Dict[Text, Text] = files["topics"]["goals"]
        self.presentation: Dict[Text, Any] = files["presentation"]
        # The staff training rehearsal: scenarios, grading words and its texts.
        self.rehearsal: Dict[Text, Any] = files["rehearsal"]
        # "那X呢": the same question on another platform (followups.yml).
        self.followups: Dict[Text, Any] = files["followups"]
        # When a message is a near miss of a topic or procedure (answerability.yml).
        self.answerability: Dict[Text, Any] = files["answerability"]
        self.durations: List[Dict[Text, Any]] = self.answerability.get("durations") or []

    def topic(self, topic_id: Text) -> Topic:
        """A topic as a typed object (its texts as written, with their quotes)."""
        return self.typed.topics.topics[topic_id]

    def procedure(self, procedure_id: Text) -> Procedure:
        """A procedure as a typed object (its texts as written, with their quotes)."""
        return self.typed.procedures.procedures[procedure_id]

    def is_routed(self, intent: Text) -> bool:
        """True for generic intents whose topic depends on platform and device."""
        return intent in self.routes

    def route(
        self, goal: Text, platform: Text, device: Optional[Text], account: Optional[Text] = None
    ) -> Optional[Text]:
        """The topic answering `goal` on `platform`, or None when the documents do not cover it: the
        kind of account decides when the routes name it ("学校发的号怎么注销"), else the device."""
        by_device = self.routes.get(goal, {}).get(platform)
        if not by_device:
            return None
        by_account = self.account_routes.get(goal, {}).get(platform, {})
        return by_account.get(account or "") or by_device.get(
            device or DEFAULT_ROUTE, by_device[DEFAULT_ROUTE]
        )

    def route_to(self, topic_id: Text) -> Optional[Route]:
        """The route that leads to a topic, preferring the default device."""
        found = [
            Route(goal, platform, device)
            for goal, by_platform in self.routes.items()
            for platform, by_device in by_platform.items()
            for device, target in by_device.items()
            if target == topic_id
        ]
        found.sort(key=lambda r: r.device != DEFAULT_ROUTE)
        return found[0] if found else None

    def account_route_of(self, topic_id: Text) -> Optional[Tuple[Text, Text]]:
        """(goal, platform) of a goal whose answer on a platform the kind of account decides, when
        `topic_id` is one of its answers ("学校发的号怎么注销" or "职教云怎么注销")."""
        for goal, by_platform in self.account_routes.items():
            for platform, by_account in by_platform.items():
                if topic_id in by_account.values() or topic_id == self.route(goal, platform, None):
                    return goal, platform
        return None

    def goal_of(self, topic_id: Text) -> Optional[Text]:
        route = self.route_to(topic_id)
        return route.goal if route else None

    def same_question_on(self, asked: Text, platform: Text) -> Optional[Text]:
        """The topic that answers the question `asked` (a topic id or a goal) on `platform` (a
        platform id or another platform's name), or None when the documents do not cover it."""
        if asked in self.routes:
            by_platform = self.followups["goal_on_other_platform"].get(asked, {})
            return by_platform.get(platform) or self.route(asked, platform, None)
        same = self.followups["same_question_on"].get(asked, {}).get(platform)
        if same is None and self.topics.get(asked, {}).get("platform") == platform:
            return asked
        return same

    def also_logged_in_topic(self, text: Text) -> Optional[Text]:
        """The topic a device follow-up asks when it says the account is logged in there too."""
        rule = self.followups["also_logged_in"]
        return rule["topic"] if any(word in text for word in rule["words"]) else None

    def answers(self, intent: Text, text: Text) -> bool:
        """False when the message does not ask what the topic or procedure is about (a near
        miss): a topic without any of its words or with words of something else, a procedure of
        something not the account."""
        rules, text = self.answerability, text.lower()
        words = rules["requires_any"].get(intent)
        if words and not any(word in text for word in words):
            return False
        if any(word in text for word in (rules.get("excluded_by") or {}).get(intent, ())):
            return False
        other = rules["other_objects"]
        if intent not in other["goals"]:
            return True
        # A platform's name is no object: "腾讯课堂" holds 课堂 ("腾讯课堂注销过了，职教云怎么注销").
        for name in platform_names():
            text = text.replace(name, " ")
        return not (
            any(word in text for word in other["words"]) and not any(word in text for word in other["unless"])
        )

    def _has_word_of(self, list_name: Text, text: Text) -> bool:
        """Whether `text` holds, anywhere, a word of answerability.yml's list `list_name`."""
        text = text.lower()
        return any(word in text for word in self.answerability.get(list_name) or ())

    def asks_no_question(self, text: Text) -> bool:
        """Whether the message asks for writing, a part played or the rules dropped, not a topic's
        answer (answerability.yml `not_questions`)."""
        return self._has_word_of("not_questions", text)

    def duration_asked(self, question: Text, text: Text) -> Optional[Dict[Text, Any]]:
        """The documents' length of time (`durations`) a how-long question names, if any."""
        facts = (self.answerability.get("unstated_facts") or {}).values()
        asks_how_long = any(
            rule.get("unless_answer_gives_duration") and has_words_unless(rule, question, text)
            for rule in facts
        )
        return duration_named(self.durations, question, text) if asks_how_long else None

    def duration_topic(
        self, topic_id: Text, question: Text, text: Text, answer: Callable[[], Optional[Text]]
    ) -> Optional[Text]:
        """ "职教云注销了，学习记录会存几天", read as when a deregistration takes effect: the topic whose
        answer gives the length of time a how-long question names, when `topic_id`'s answer (`answer`)
        gives another one and not that one."""
        named = self.duration_asked(question, text)
        if not named or named["topic"] == topic_id:
            return None
        said = answer()
        if said is None or answer_states(named["pattern"], said):
            return None
        gives_another = any(answer_states(d["pattern"], said) for d in self.durations)
        return named["topic"] if gives_another else None

    def unstated_fact(
        self,
        question: Text,
        text: Optional[Text] = None,
        answer: Callable[[], Optional[Text]] = lambda: None,
    ) -> Optional[Text]:
        """The fact neither document states that the question (of the message `text`, read as a
        topic whose answer `answer` renders) asks for (answerability.yml `unstated_facts`), as the
        bot names it; None when it asks for none. The answer is rendered only for a fact whose words
        are there and that an answer may state (`unless_answer_has`)."""
        facts = self.answerability.get("unstated_facts") or {}
        return next(
            (
                fact
                for fact, rule in facts.items()
                if has_words_unless(rule, text if rule.get("in_back_story") and text else question, text)
                and not answer_states_it(rule, answer, question, text or question, self.durations)
            ),
            None,
        )

    def _has_words_unless(self, list_name: Text, text: Text) -> bool:
        """Whether `text` holds a word of answerability.yml's `list_name` and none of its `unless`."""
        return has_words_unless(self.answerability.get(list_name) or {}, text)

    def insults_the_bot(self, text: Text) -> bool:
        """Whether the message insults the bot and asks nothing of how (answerability.yml `insults`)."""
        return self._has_words_unless("insults", text)

    def makes_a_remark(self, text: Text) -> bool:
        """Whether the message is a joke or a piece of news that asks nothing (`remarks`)."""
        return self._has_words_unless("remarks", text)

    def reports_what_is_done(self, text: Text) -> bool:
        """Whether the message tells of something done and asks nothing (`reports`)."""
        return self._has_words_unless("reports", text)

    def asks_past_what_it_knows(self, text: Text) -> bool:
        """Whether a clause says the student already knows what it states (answerability.yml
        `known_then_asked`) and a question follows it."""
        rule = self.answerability.get("known_then_asked")
        if not rule:
            return False
        for clause in re.finditer(CLAUSE, text):
            marker = re.search(rule["pattern"], clause.group())
            if marker:
                # What is known is stated in the marker's clause or before it in its sentence
                # ("…得找学院办，这点我了解。").
                sentence_start = max(text.rfind(mark, 0, clause.start()) for mark in SENTENCE_ENDS) + 1
                before = text[sentence_start : clause.start() + marker.start()]
                after_marker = clause.group()[marker.end() :]
                if any(word in after_marker for word in rule.get("must_after") or ()):
                    return False
                return (
                    content_chars(before + after_marker) >= KNOWN_MIN_CHARS
                    and content_chars(text[clause.end() :]) >= KNOWN_MIN_CHARS
                )
        return False

    def says_thanks(self, text: Text) -> bool:
        """Whether the message thanks or says it worked, with no problem after (`thanks`)."""
        return self._has_words_unless("thanks", text)

    def asks_to_cheat(self, text: Text) -> bool:
        """Whether the message asks for help to cheat anywhere in it (answerability.yml `cheating`)."""
        return self._has_word_of("cheating", text)

    def speaks_of_course_work(self, text: Text) -> bool:
        """Whether the question speaks of the course work a cheat is for (`cheating_context`)."""
        return self._has_word_of("cheating_context", text)

    def topics_of(self, platform: Text) -> List[Text]:
        return [tid for tid, t in self.typed.topics.topics.items() if t.platform == platform]

    def steps_of(self, procedure_id: Text) -> List[Dict[Text, Text]]:
        """The steps of a procedure, with `include`d procedures expanded in place."""
        steps: List[Dict[Text, Text]] = []
        for step in self.procedures[procedure_id]["steps"]:
            if "include" in step:
                steps.extend(self.steps_of(step["include"]))
            else:
                steps.append(step)
        return steps

    def step_places(self, procedure_id: Text) -> List[Place]:
        """The places of a procedure's steps (as in `texts`), `include`d procedures expanded."""
        places: List[Place] = []
        for index, step in enumerate(self.procedures[procedure_id]["steps"]):
            if "include" in step:
                places.extend(self.step_places(step["include"]))
            else:
                places.append(("procedures", procedure_id, "steps", index))
        return places

    def topic_texts(self, topic_id: Text, stated: Sequence[Text] = ()) -> List[Provenance]:
        """The texts of a topic's answer with their quotes, in the order knowledge/render.py says
        them (corrections of `stated` beliefs first): what a "查看原文" button can show."""
        topic = self.topics[topic_id]
        places: List[Place] = [("misconceptions", m, "correction") for m in stated]
        if "answer" in topic:
            places.append(("topics", topic_id, "answer"))
        if topic.get("misconception") and topic["misconception"] not in stated:
            places.append(("misconceptions", topic["misconception"], "correction"))
        places += [("topics", topic_id, "points", i) for i in range(len(topic.get("points", [])))]
        if topic.get("procedure"):
            for step in self.step_places(topic["procedure"]):
                places += [p for p in [(*step, "do"), (*step, "see")] if p in self.texts]
        places += [("topics", topic_id, "warnings", i) for i in range(len(topic.get("warnings", [])))]
        places += [
            ("misconceptions", m, "correction")
            for m in topic.get("warn_misconceptions", [])
            if m not in stated
        ]
        return [self.texts[p] for p in places]

    def same_platform(self, misconception_id: Text, topic_id: Text) -> bool:
        """Whether a belief is about the platform of a topic (the topic its correction belongs to)."""
        belief_topic = self.topics[self.misconceptions[misconception_id]["topic"]]
        return belief_topic["platform"] == self.topics[topic_id]["platform"]

    def quotes_of(self, topic_id: Text, stated: Sequence[Text] = ()) -> List[Tuple[Text, Text]]:
        """(document id, quote) for every sentence a topic's answer rests on (with the corrections
        of `stated` beliefs first), once each, in order; the document's title and date are in
        `sources`."""
        found: Dict[Tuple[Text, Text], None] = {}
        for text in self.topic_texts(topic_id, stated):
            for quote in text.quotes:
                found.setdefault((text.source, quote), None)
        return list(found)

    def walkthrough_choices(self, procedure_id: Text) -> Optional[Dict[Text, Text]]:
        """The walkthrough answers (goal, device/account) that lead to a procedure."""
        for goal, choice in self.typed.walkthroughs.choose.items():
            if choice == procedure_id:
                return {"goal": goal}
            if isinstance(choice, dict):
                for option, target in choice.items():
                    if target == procedure_id and option != "by":
                        return {"goal": goal, choice["by"]: option}
        return None


def knowledge_dir() -> Path:
    return Path(os.environ.get("KNOWLEDGE_DIR", DEFAULT_KNOWLEDGE_DIR))


@functools.lru_cache(maxsize=1)
def load_knowledge(directory: Optional[Text] = None) -> Knowledge:
    try:
        return read_knowledge(Path(directory) if directory else knowledge_dir())
    except KnowledgeError as error:
        # Whatever process loads it (action server, Rasa server's channels, a staff tool) says
        # what to fix in one line, before its traceback.
        logger.error(f"The knowledge files are broken: {error}")
        raise


def read_knowledge(folder: Path) -> Knowledge:
    """The knowledge files of `folder`, read and checked (not cached, not logged)."""
    return Knowledge({path.stem: _read_yaml(path) for path in sorted(folder.glob("*.yml"))})


def load_at_start() -> Knowledge:
    """`load_knowledge()` for a server starting: with broken knowledge files it stops the process
    (exit status 1) after logging what to fix, rather than failing every answer later."""
    try:
        return load_knowledge()
    except KnowledgeError:
        raise SystemExit(1) from None


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise KnowledgeError(f"data/knowledge/{path.name}: {line}not valid YAML ({problem})") from None


Built = TypeVar("Built")


def built_once(build: Callable[[Knowledge], Built]) -> Callable[[], Built]:
    """A loader of `build(load_knowledge())`, built once per process and shared: for what is
    slow to build (spaCy, jieba dictionaries). Locked, as a warm-up thread and the first request
    may ask at the same time."""
    lock = threading.Lock()
    cached = functools.lru_cache(maxsize=1)(build)

    def load() -> Built:
        with lock:
            return cached(load_knowledge())

    return load
