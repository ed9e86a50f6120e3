"""Recognises false beliefs a user states or acts on ("我关了APP就算退出了吧"), with spaCy.

A blank Chinese spaCy pipeline with the jieba segmenter (no model to download) and one Matcher
built from the patterns of data/knowledge/misconceptions.yml and the word classes of
data/vocabulary.yml. A belief counts only when its pattern matches, the clause the match ends in
neither negates it ("关了APP不等于退出") nor asks about it ("关掉APP算退出吗"), and the NLU intent is
about the belief's platform: questions get an answer, not a lecture.

Building the pipeline takes about 3 s: `load_recogniser()` builds it once per process, and
`warm_up()` does so in the background when the action server registers the actions.
"""

import re
import sys
import threading
from typing import Any, Dict, List, Optional, Set, Text, Tuple

from knowledge.loader import Knowledge, built_once
from knowledge.vocabulary import load_vocabulary

# "在不在", "要不要", "该不该": a question in the A-not-A form; "这算退出了不", "是一回事伐": one asked
# by a closing 不/没/伐/否.
A_NOT_A = re.compile(r"(\w)[不没]\1|[不没伐否](?=[\W_]*(?:$|[，,。；;\s]))")
# Intents about no single topic, after which a stated belief is still worth correcting.
OPEN_INTENTS = {"logout", "deregister", "followup_device", "walkthrough_start", "nlu_fallback"}


def _import_spacy_without_tensorflow() -> Any:
    """thinc, spaCy's machine-learning library, imports TensorFlow whenever it is installed (Rasa
    installs it) just to offer TensorFlow layers, which a blank pipeline never uses. Hiding it during
    the import cuts building the recogniser from 8.4 s to 3.0 s and the process from 541 to 178 MB."""
    if "tensorflow" in sys.modules:  # already loaded by someone else in this process: nothing to save
        import spacy

        return spacy
    sys.modules["tensorflow"] = None  # type: ignore[assignment]  # makes `import tensorflow` fail
    try:
        import spacy
    finally:
        del sys.modules["tensorflow"]
    return spacy


class Recogniser:
    def __init__(self, knowledge: Knowledge) -> None:
        import jieba

        spacy = _import_spacy_without_tensorflow()
        from spacy.matcher import Matcher

        jieba.setLogLevel(jieba.logging.WARNING)
        vocabulary = load_vocabulary()
        vocabulary.add_to_jieba(jieba)
        self.nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
        self.knowledge = knowledge
        recognition = knowledge.recognition
        # Word classes (data/vocabulary.yml `recogniser`), some shared with the NLU and the grader.
        self.words = {c: [w.lower() for w in ws] for c, ws in vocabulary.classes["recogniser"].items()}
        self.platform_names = {
            p: [w.lower() for w in vocabulary.words("platform", p)] for p in vocabulary.ids("platform")
        }
        # One matcher key per pattern, so that a match tells which word classes it went through.
        self.patterns: Dict[Text, Tuple[Text, List[Text]]] = {}
        self.matcher = Matcher(self.nlp.vocab)
        for belief_id, belief in knowledge.misconceptions.items():
            for number, sequence in enumerate(belief["patterns"]):
                key = f"{belief_id}#{number}"
                self.patterns[key] = (belief_id, sequence)
                self.matcher.add(key, [self._token_pattern(sequence)])
        self.negations: Set[Text] = set(recognition["negations"])
        self.negation_prefixes = tuple(recognition["negation_prefixes"])
        self.question_words: Set[Text] = {w.lower() for w in recognition["question_words"]}
        self.agreement_words: Set[Text] = {w.lower() for w in recognition["agreement_words"]}

    def _token_pattern(self, sequence: List[Text]) -> List[Dict[Text, Any]]:
        """Word, any tokens, word, ...: words at even positions, gaps at odd ones."""
        pattern: List[Dict[Text, Any]] = []
        for word_class in sequence:
            if pattern:
                pattern.append({"OP": "*"})
            pattern.append({"LOWER": {"IN": self.words[word_class]}})
        return pattern

    def beliefs(self, text: Text, intent: Optional[Text], confidence: Optional[float] = None) -> List[Text]:
        """The beliefs `text` states, in the order of data/knowledge/misconceptions.yml; with the
        classifier's `confidence` in `intent`, also a belief said in words no pattern has."""
        if not text:
            return []
        doc = self.nlp(text)
        found = set()
        by_topic = self._stated_by_topic(text, intent, confidence)
        if by_topic:
            found.add(by_topic)
        named = {p for p, names in self.platform_names.items() if any(n in text.lower() for n in names)}
        for match_id, start, end, alignment in self.matcher(doc, with_alignments=True):
            belief_id, sequence = self.patterns[self.nlp.vocab.strings[match_id]]
            if belief_id in found or not self._fits_intent(belief_id, intent, named):
                continue
            if self._negated(doc[start:end], sequence, alignment):
                continue
            if not self._is_question(self._clause_around(doc, end - 1)):
                found.add(belief_id)
        return [b for b in self.knowledge.misconceptions if b in found]

    def _stated_by_topic(
        self, text: Text, intent: Optional[Text], confidence: Optional[float]
    ) -> Optional[Text]:
        """The belief of the intent's topic, when the classifier is sure of it and the message asks
        nothing and says nothing of the truth (misconceptions.yml `by_topic`)."""
        rule = self.knowledge.recognition.get("by_topic")
        belief = self.knowledge.topics.get(intent or "", {}).get("misconception")
        if (
            not rule
            or belief not in rule["beliefs"]
            or confidence is None
            or confidence < rule["min_confidence"]
        ):
            return None
        if len(self._classes_said(text, belief)) < rule["min_word_classes"]:
            return None  # news that only names the topic ("班主任在群里提醒大家查学籍") states no belief
        lowered = text.lower()
        for word in sorted(self.agreement_words, key=len, reverse=True):  # "…就算退出了吧？" still states
            lowered = lowered.replace(word + "?", "").replace(word + "？", "")
        if any(w in lowered for w in rule["asking"]) or A_NOT_A.search(lowered):
            return None
        return None if any(w in lowered for w in rule["truth_words"]) else belief

    def _classes_said(self, text: Text, belief: Text) -> Set[Text]:
        """The word classes of the belief's patterns that a token of `text` belongs to, the platform's
        own name ("学信网", a word for the account too) not counted."""
        names = {name for names in self.platform_names.values() for name in names}
        tokens = {token.lower_ for token in self.nlp(text)} - names
        classes = {c for sequence in self.knowledge.misconceptions[belief]["patterns"] for c in sequence}
        return {c for c in classes if tokens & set(self.words[c])}

    def asks(self, text: Text) -> bool:
        """Whether a clause of `text` asks a question, not merely seeks agreement: "室友说划掉就行，
        这样真算退出了吗" asks whether the belief holds; "卸载了账号应该就注销了吧" states it."""
        clause: List[Text] = []
        for token in self.nlp(text):
            clause.append(token.lower_)
            if token.is_punct:
                if self._is_question(clause):
                    return True
                clause = []
        return bool(clause) and self._is_question(clause)

    def seeks_agreement(self, text: Text) -> bool:
        """Whether the message seeks agreement with what it says ("卸载了就算注销了吧")."""
        return any(t.lower_ in self.agreement_words or t.lower_.startswith("吧") for t in self.nlp(text))

    def _fits_intent(self, belief_id: Text, intent: Optional[Text], named: Set[Text]) -> bool:
        """The intent is about the belief's platform; with an intent of any platform, the platforms
        the message names (`named`) must include it ("室友借我手机登了他的职教云" states no belief
        about 学信网 accounts)."""
        source = self.knowledge.misconceptions[belief_id]["source"]
        if intent in OPEN_INTENTS:
            return not named or source in {f"{p}_doc" for p in named}
        topic = self.knowledge.topics.get(intent or "")
        return topic is not None and source == f"{topic['platform']}_doc"

    def _negated(self, span: Any, sequence: List[Text], alignment: List[int]) -> bool:
        """True when a negation between two words of the pattern is followed, in its clause, by
        a word the pattern still needs: "关了APP不等于退出", but not "我不想用了，自己注销就行"."""
        for i, token in enumerate(span):
            is_gap = alignment[i] % 2 == 1  # patterns alternate word, gap, word, ...
            if not is_gap or not self._is_negation(token.text):
                continue
            later_words = {w for c in sequence[alignment[i] // 2 + 1 :] for w in self.words[c]}
            for following in span[i + 1 :]:
                if following.is_punct:
                    break
                if following.lower_ in later_words:
                    return True
        return False

    def _is_negation(self, word: Text) -> bool:
        return word in self.negations or word.startswith(self.negation_prefixes)

    @staticmethod
    def _clause_around(doc: Any, index: int) -> List[Text]:
        """The tokens of the clause holding token `index`, with the punctuation that ends it."""
        start = index
        while start > 0 and not doc[start - 1].is_punct:
            start -= 1
        end = index + 1
        while end < len(doc) and not doc[end - 1].is_punct:
            end += 1
        return [t.lower_ for t in doc[start:end]]

    def _is_question(self, clause: List[Text]) -> bool:
        if any(t in self.agreement_words or t.startswith("吧") for t in clause):
            return False
        return any(q in t for t in clause for q in self.question_words)


load_recogniser = built_once(Recogniser)


def warm_up() -> None:
    """Build the recogniser in the background, so the first user does not wait for spaCy."""
    threading.Thread(target=load_recogniser, name="misconceptions-warm-up", daemon=True).start()
