"""Grades a trainee's answer in the training rehearsal against the key points of a scenario.

Plain Python (no Rasa import), so it is cheap to unit-test. The key points come from the knowledge:
the scenario's procedure steps that have `keywords` (procedures.yml), the topic points the scenario
names, the correction of the misconception the student holds, and the scenario's security
reminders (rehearsal.yml). Matching is on words, not strings: the answer is normalised like the NLU
does it, cut into jieba tokens (with the project's user dictionary), and every run of tokens that
spells a word of a synonym class stands for that class. A key point is covered when one of its
alternatives (a class, or several classes all present) is in the answer. The classes and the
typos are data/vocabulary.yml's (`grading`).

The score (0-100) is the weighted share of the parts a scenario has (weights in rehearsal.yml):
key points covered; the steps named in the procedure's order, over all key steps (so an empty
answer gets no credit for order); the misconception corrected, and not stated;
the security reminders given. An answer that itself states a false belief (recognised by
knowledge/misconceptions.py, the same detector the bot uses on students) is capped.
"""

import re
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Set, Text, Union

from knowledge.loader import Knowledge
from knowledge.text import normalize
from knowledge.vocabulary import load_vocabulary

# jieba frequency given to synonym words, high enough to win over rare words they overlap.
SYNONYM_FREQUENCY = 5000
SENTENCE_END = re.compile(r"[。！？!?；;\n]+")

# A keyword alternative: one word, or several words that must all be present.
Alternative = Union[Text, List[Text]]
# (text, topic id) -> ids of the beliefs the text states.
BeliefFinder = Callable[[Text, Text], List[Text]]


@dataclass
class KeyPoint:
    kind: Text  # "step", "point", "correction" or "security"
    text: Text  # what the trainee is told when it is missing
    alternatives: List[Alternative]
    number: int = 0  # a step's number in the procedure


@dataclass
class Grade:
    score: int
    covered: List[Text] = field(default_factory=list)  # the parts done right (rehearsal.yml names)
    missed: List[Text] = field(default_factory=list)  # what to tell the trainee, from the knowledge
    stated: List[Text] = field(default_factory=list)  # ids of the beliefs the answer states


class Grader:
    def __init__(self, knowledge: Knowledge, beliefs: Optional[BeliefFinder] = None) -> None:
        import jieba

        jieba.setLogLevel(jieba.logging.WARNING)
        self.knowledge = knowledge
        self.config = knowledge.rehearsal
        self.messages = self.config["messages"]
        vocabulary = load_vocabulary()
        self.typos = vocabulary.typos  # the NLU's, so grading reads text as the NLU does
        self._beliefs = beliefs or _recognised_beliefs
        # Word -> the classes it stands for; every class stands for itself too.
        self.classes: Dict[Text, Set[Text]] = {}
        for name, words in vocabulary.classes["grading"].items():
            for word in [name, *words]:
                self.classes.setdefault(self.norm(word), set()).add(name)
        self.quoting_words = [self.norm(w) for w in self.config["quoting_words"]]
        # A tokenizer of its own that knows the synonyms as words ("先导出" is 先/导出, not 先导/出);
        # jieba's shared one stays as the misconception recogniser expects it.
        self.tokenizer = jieba.Tokenizer()
        vocabulary.add_to_jieba(self.tokenizer)
        for word in self.classes:
            self.tokenizer.add_word(word, freq=SYNONYM_FREQUENCY)

    def norm(self, text: Text) -> Text:
        """Simplified, half-width, typos fixed (knowledge/text.py) and lower case."""
        return normalize(str(text), self.typos).lower()

    # ---- the key points of a scenario ----
    def key_points(self, scenario_id: Text) -> List[KeyPoint]:
        scenario = self.config["scenarios"][scenario_id]
        topic = self.knowledge.topics[scenario["topic"]]
        messages = self.messages
        points: List[KeyPoint] = []
        procedure = scenario.get("procedure", topic.get("procedure"))
        if procedure:
            for number, step in enumerate(self.knowledge.steps_of(procedure), start=1):
                if step.get("keywords"):
                    text = messages["missed_step"].format(number=number, do=step["do"])
                    points.append(KeyPoint("step", text, step["keywords"], number))
        for point in scenario.get("points", []):
            text = messages["missed_point"].format(text=topic["points"][point["point"]])
            points.append(KeyPoint("point", text, point["keywords"]))
        belief = scenario.get("misconception")
        if belief:
            correction = self.knowledge.misconceptions[belief]["correction"]
            text = messages["missed_correction"].format(correction=correction)
            points.append(KeyPoint("correction", text, self.config["corrections"][belief]))
        for reminder in scenario.get("security", []):
            security = self.config["security"][reminder]
            text = messages["missed_security"].format(text=security["text"])
            points.append(KeyPoint("security", text, security["keywords"]))
        return points

    # ---- reading the answer ----
    def concepts(self, text: Text) -> Dict[Text, List[int]]:
        """Each class the text names, with the token indexes where it is named."""
        # No HMM guessing of unknown words: it glues "出结课" together and hides "导出".
        tokens = [t for t in self.tokenizer.lcut(self.norm(text), HMM=False) if t.strip()]
        longest = max(len(w) for w in self.classes)
        found: Dict[Text, List[int]] = {}
        for start, first in enumerate(tokens):
            # A run of whole tokens spells a word ("登录"+"页"), or a word is inside one token
            # ("微信授权" names 微信 and 授权).
            words = {first[i:j] for i in range(len(first)) for j in range(i + 2, len(first) + 1)}
            run = first
            for token in tokens[start + 1 :]:
                run += token
                if len(run) > longest:
                    break
                words.add(run)
            for word in words | {first}:
                for name in self.classes.get(word, ()):
                    found.setdefault(name, []).append(start)
        return found

    @staticmethod
    def _positions(alternatives: Sequence[Alternative], found: Dict[Text, List[int]]) -> List[int]:
        """Where the alternatives fully present are named in the answer (empty: not covered)."""
        positions: Set[int] = set()
        for alternative in alternatives:
            words = [alternative] if isinstance(alternative, str) else alternative
            if all(w in found for w in words):
                positions.update(p for w in words for p in found[w])
        return sorted(positions)

    def stated_beliefs(self, text: Text, topic_id: Text) -> List[Text]:
        """Beliefs the answer states, sentence by sentence, skipping sentences that argue against one."""
        stated: List[Text] = []
        for sentence in SENTENCE_END.split(self.norm(text)):
            if not sentence or any(w in sentence for w in self.quoting_words):
                continue
            stated += [b for b in self._beliefs(sentence, topic_id) if b not in stated]
        return stated

    # ---- the grade ----
    def grade(self, scenario_id: Text, answer: Text) -> Grade:
        scenario = self.config["scenarios"][scenario_id]
        weights = self.config["weights"]
        names = self.messages["covered_names"]
        points = self.key_points(scenario_id)
        found = self.concepts(answer) if answer and answer.strip() else {}
        stated = self.stated_beliefs(answer, scenario["topic"]) if answer and answer.strip() else []
        positions = {id(p): self._positions(p.alternatives, found) for p in points}
        done = {id(p) for p in points if positions[id(p)]}
        missed = [p.text for p in points if id(p) not in done and p.kind in ("step", "point")]

        parts: Dict[Text, float] = {}  # share of each part done, for the parts this scenario has
        key = [p for p in points if p.kind in ("step", "point")]
        if key:
            parts["key_points"] = sum(id(p) in done for p in key) / len(key)
        steps = [p for p in points if p.kind == "step"]
        if len(steps) >= 2:
            covered_steps = [positions[id(p)] for p in steps if id(p) in done]
            in_order = steps_in_order(covered_steps)
            parts["order"] = in_order / len(steps)
            if in_order < len(covered_steps):
                missed.append(self.messages["missed_order"])
        for point in points:
            if point.kind == "correction":
                corrected = id(point) in done and scenario["misconception"] not in stated
                parts["misconception"] = float(corrected)
                if not corrected and scenario["misconception"] not in stated:
                    missed.append(point.text)
        security = [p for p in points if p.kind == "security"]
        if security:
            parts["security"] = sum(id(p) in done for p in security) / len(security)
            missed += [p.text for p in security if id(p) not in done]
        for belief in stated:
            info = self.knowledge.misconceptions[belief]
            missed.append(
                self.messages["stated_belief"].format(
                    belief=info["belief"], cap=self.config["stated_belief_cap"], correction=info["correction"]
                )
            )

        total = sum(weights[p] for p in parts)
        score = round(100 * sum(weights[p] * share for p, share in parts.items()) / total)
        if stated:
            score = min(score, self.config["stated_belief_cap"])
        covered = [names[p] for p, share in parts.items() if share == 1]
        return Grade(score=score, covered=covered, missed=missed, stated=stated)


def steps_in_order(positions: Sequence[Sequence[int]]) -> int:
    """How many covered steps are named in the procedure's order: each step takes the first place
    it is named after the step before it ("不算退出……点退出登录" puts 退出登录 at its second place)."""
    count, last = 0, -1
    for places in positions:
        later = [p for p in places if p >= last]
        if later:
            count, last = count + 1, later[0]
    return count


def _recognised_beliefs(text: Text, topic_id: Text) -> List[Text]:
    from knowledge.misconceptions import load_recogniser  # spaCy: built once, on first use

    return load_recogniser().beliefs(text, topic_id)
