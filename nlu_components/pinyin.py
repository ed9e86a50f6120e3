"""Reads homophones and pinyin as the words they sound like, so that the rest of the pipeline sees
the characters it was trained on.

Students type by voice and with pinyin keyboards: "智慧直教app怎么推出灯路" (the phone's voice
input picked characters that sound right), "zhihuizhijiao zenme tuichu denglu" (pinyin typed
without choosing characters). Both sound exactly like "智慧职教app怎么退出登录". This component
learns the vocabulary of the training data (jieba's words of two or more characters, and the
lookup tables' entries) with each word's toneless pinyin, and rewrites a span of a message that
sounds like a vocabulary word but is spelled otherwise — in characters, in pinyin letters (with or
without spaces between syllables), or mixed — into that word. No list of typos is needed: any
homophone of a known word is found.

Only spans of two syllables or more are rewritten (single syllables are far too ambiguous), a
span that already is a vocabulary word is left alone, and the longest match wins. Placed after
the normaliser (which has made the text simplified and half-width) and the personal-data filter.
"""

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text, Tuple

import jieba
from pypinyin import lazy_pinyin
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import METADATA, METADATA_EXAMPLE, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

CJK = re.compile(r"[\u4e00-\u9fff]")
CJK_WORD = re.compile(r"[\u4e00-\u9fff]{2,8}")
LATIN_RUN = re.compile(r"[a-z]+")
MIN_SYLLABLES, MAX_SYLLABLES = 2, 8
# How often a training word must occur to be a word that others are read as (see SoundIndex).
TARGET_MIN_COUNT = 3
# A span is not rewritten when it would cut a common word of the message in two: "调去别的学校"
# sounds like "调区别的学校" at 去别, but 别的 is a word (jieba's frequency 4354); a voice error
# sits in pieces jieba cannot read as words ("推出/灯路", "住/销账/号": 销账 is rare).
COMMON_WORD_FREQUENCY = 500
# Nor when it would cut two words at once, one at each end: "验证码几分钟过期" sounds like 中国 at
# 钟过, across 几分钟 and 过期, words of their own though not common ones; a voice error is read
# into pieces at most at one end ("住/销账/号").
STRADDLED_WORD_FREQUENCY = 20
# Nor a span ending on a question's closing particle ("还是我的号吗？" is no 号码): a voice error
# does not end a clause on 吗.
CLOSING_PARTICLE = re.compile(r"[吗呢吧嘛](?:[^\w]|$)")
VOCABULARY_FILE = "vocabulary.json"
TEXT_AS_WRITTEN = "text_as_written"
# Training data metadata (data/nlu/back_stories.yml): `pinyin_vocabulary: false` keeps its words out.
IN_VOCABULARY = "pinyin_vocabulary"

# Accents and voice input blur zh/z, ch/c and sh/s ("智慧职教站停使用", "展厅使用" for 暂停使用). Tried
# only where the exact sound finds no word, on spans of three syllables or more and never on a
# common word of its own: over two syllables, and with -ng/-n or a character's other readings too,
# it rewrote common words ("怎么帮他" as 怎么办他, "有什么" as 为什么) in the development sets.
BLURS = ((re.compile(r"^([zcs])h"), r"\1"),)
MIN_BLURRED_SYLLABLES = 3
# A message typed in pinyin ("zjy shouji diu le zenme ban": most of its latin words with a vowel are
# pinyin) keeps syllables no word of two or more sounds like ("diu le"); each is then read as the
# character the training data most often has alone for that sound (丢, 了). English ("can I get
# data back") has too few pinyin words to be read so.
PINYIN_SHARE = 0.75
MIN_PINYIN_WORDS = 2
VOWEL = re.compile(r"[aeiouv]")
# Pinyin typed with its tone marks ("zhì huì zhí jiào") is read without them, ü as v; one letter for
# one letter, so that every span keeps its place in the message.
TONE_MARKED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿĀÁǍÀĒÉĚÈĪÍǏÌŌÓǑÒŪÚǓÙǕǗǙǛÜ"
TONELESS = str.maketrans(TONE_MARKED, "aaaaeeeeiiiioooouuuuvvvvvnnnmAAAAEEEEIIIIOOOOUUUUVVVVV")
PINYIN_WORD = re.compile(f"[A-Za-z{TONE_MARKED}]+")

Unit = Tuple[Text, int, int]  # a syllable and the span of the text it was read from


@lru_cache(maxsize=1)
def pinyin_syllables() -> frozenset:
    """Every toneless syllable of Mandarin (about 400), read from pypinyin's own table."""
    return frozenset(s for s in lazy_pinyin("".join(chr(c) for c in range(0x4E00, 0x9FA6))) if s.isalpha())


def split_syllables(run: Text) -> Optional[List[Tuple[Text, int, int]]]:
    """A run of latin letters as pinyin syllables (longest first, backtracking), with each
    syllable's offsets in the run; None when it is not pinyin ("phone", "logout")."""
    syllables = pinyin_syllables()
    # From the end backwards: where the longest syllable starting at each position ends, when the
    # rest of the run from there reads as pinyin too. Iterative, so that a run of thousands of
    # letters neither recurses past Python's limit nor copies its tail at every step.
    ends: List[Optional[int]] = [None] * len(run) + [len(run)]
    for start in range(len(run) - 1, -1, -1):
        ends[start] = next(
            (
                end
                for end in range(min(len(run), start + 6), start, -1)
                if ends[end] is not None and run[start:end] in syllables
            ),
            None,
        )
    if ends[0] is None:
        return None
    found, start = [], 0
    while start < len(run):
        end = ends[start]
        found.append((run[start:end], start, end))
        start = end
    return found


def sound_units(text: Text) -> List[Unit]:
    """The text as a sequence of syllables: each Chinese character one, each run of latin letters
    that reads as pinyin one per syllable; anything else is not a unit (and separates nothing:
    "zhihui zhijiao" is four syllables in a row)."""
    lowered = text.lower()
    readings = lazy_pinyin(lowered, errors=lambda chars: list(chars))
    units: List[Unit] = [(readings[i], i, i + 1) for i, ch in enumerate(lowered) if CJK.match(ch)]
    for run in LATIN_RUN.finditer(lowered):
        for syllable, start, end in split_syllables(run.group()) or []:
            units.append((syllable, run.start() + start, run.start() + end))
    return sorted(units, key=lambda unit: unit[1])


def blurred(syllable: Text) -> Text:
    for pattern, replacement in BLURS:
        syllable = pattern.sub(replacement, syllable)
    return syllable


def contiguous(text: Text, units: Sequence[Unit]) -> bool:
    """True when nothing but spaces lies between consecutive units."""
    return all(not text[a[2] : b[1]].strip() for a, b in zip(units, units[1:], strict=False))


def word_insides(text: Text, known: Iterable[Text], *frequencies: int) -> List[set]:
    """For each frequency, the offsets strictly inside a word of the text (as jieba cuts it) that
    jieba's dictionary counts at least that often, or inside a word the students' own messages use
    often (`known`: "我和室友" is not "我合适友", though jieba's general dictionary finds 室友 rare)."""
    insides: List[set] = [set() for _ in frequencies]
    position = 0
    for word in jieba.cut(text):
        if len(word) > 1:
            frequency = jieba.dt.FREQ.get(word, 0)
            for inside, least in zip(insides, frequencies, strict=True):
                if frequency >= least or word in known:
                    inside.update(range(position + 1, position + len(word)))
        position += len(word)
    return insides


class SoundIndex:
    """Vocabulary words by the toneless pinyin they sound like (the most frequent word wins).

    Every vocabulary word is kept as written, but only words seen at least TARGET_MIN_COUNT times
    (and the dictionary's and lookup tables' entries) are rewritten into: jieba also cuts odd
    pieces out of the training sentences ("算退"), and a word seen once ("除了") is no evidence that
    a student meant it ("算退出了吧" must not become "算退除了吧")."""

    def __init__(self, words: Dict[Text, int]) -> None:
        self.words = set(words)
        self.frequent = {word for word, count in words.items() if count >= TARGET_MIN_COUNT}
        # Kept as written: words seen often, or that jieba's dictionary knows. Not an odd piece jieba
        # cut from a voice-input training line ("直教云网" of "直教云网夜版怎么推出"), which would keep
        # the same slip in a student's message from being read.
        jieba.dt.check_initialized()
        self.kept = self.frequent | {word for word in self.words if jieba.dt.FREQ.get(word, 0) > 0}
        self.by_sound: Dict[Tuple[Text, ...], Text] = {}
        self.by_blurred_sound: Dict[Tuple[Text, ...], Text] = {}
        self.by_syllable: Dict[Text, Text] = {}  # a sound -> the character most often alone for it
        for word in sorted(self.frequent, key=lambda word: (-words[word], word)):
            sound = lazy_pinyin(word)
            if len(word) == 1:
                self.by_syllable.setdefault(sound[0], word)
                continue
            self.by_sound.setdefault(tuple(sound), word)
            self.by_blurred_sound.setdefault(tuple(blurred(s) for s in sound), word)

    def _blurred_match(self, text: Text, span: Sequence[Unit]) -> Optional[Text]:
        """The word a span sounds like once accents are allowed for (see BLURS)."""
        written = text[span[0][1] : span[-1][2]]
        if len(span) < MIN_BLURRED_SYLLABLES or jieba.dt.FREQ.get(written, 0) >= COMMON_WORD_FREQUENCY:
            return None
        return self.by_blurred_sound.get(tuple(blurred(unit[0]) for unit in span))

    def rewrite(self, text: Text) -> Text:
        units = sound_units(text.translate(TONELESS))
        inside_common_word, inside_a_word = word_insides(
            text, self.frequent, COMMON_WORD_FREQUENCY, STRADDLED_WORD_FREQUENCY
        )
        pieces, position, i = [], 0, 0
        while i < len(units):
            replaced = False
            for length in range(min(MAX_SYLLABLES, len(units) - i), MIN_SYLLABLES - 1, -1):
                span = units[i : i + length]
                start, end = span[0][1], span[-1][2]
                if (
                    not contiguous(text, span)
                    or start in inside_common_word
                    or end in inside_common_word
                    or (start in inside_a_word and end in inside_a_word)
                    or CLOSING_PARTICLE.match(text, end - 1)
                ):
                    continue
                written = text[start:end]
                if written in self.kept:
                    i, replaced = i + length, True  # already a known word: keep it as it is
                    break
                word = self.by_sound.get(tuple(unit[0] for unit in span)) or self._blurred_match(text, span)
                if word is not None:
                    pieces.append(text[position:start])
                    pieces.append(word)
                    position, i, replaced = end, i + length, True
                    break
            if not replaced:
                i += 1
        pieces.append(text[position:])
        rewritten = "".join(pieces)
        return self._spell_out_syllables(rewritten) if typed_in_pinyin(text) else rewritten

    def _spell_out_syllables(self, text: Text) -> Text:
        """Latin words left in a message typed in pinyin, each syllable as its likeliest character."""

        def characters(word: "re.Match") -> Text:
            syllables = split_syllables(word.group().translate(TONELESS).lower()) or []
            spelt = [self.by_syllable.get(syllable) for syllable, _, _ in syllables]
            return "".join(spelt) if spelt and all(spelt) else word.group()

        return PINYIN_WORD.sub(characters, text)


def typed_in_pinyin(text: Text) -> bool:
    """Whether most latin words of the message that have a vowel are pinyin (see PINYIN_SHARE)."""
    words = [word for word in LATIN_RUN.findall(text.translate(TONELESS).lower()) if VOWEL.search(word)]
    pinyin_words = [word for word in words if split_syllables(word) is not None]
    return len(pinyin_words) >= MIN_PINYIN_WORDS and len(pinyin_words) >= PINYIN_SHARE * len(words)


def in_vocabulary(message: Message) -> bool:
    """Whether a training example's words count: not when its intent's block (or the example) says
    `pinyin_vocabulary: false` in its metadata, as examples made by repeating a few stories do."""
    metadata = message.get(METADATA) or {}
    return all(
        (metadata.get(level) or {}).get(IN_VOCABULARY, True) is not False
        for level in (METADATA_INTENT, METADATA_EXAMPLE)
        if isinstance(metadata.get(level), dict)
    )


def vocabulary_of(training_data: TrainingData, dictionary: Iterable[Text] = ()) -> Dict[Text, int]:
    """Words of Chinese characters in the training data (as jieba cuts them, and the entries of the
    lookup tables), each with how often it occurs."""
    counts: Counter = Counter()
    for message in training_data.training_examples:
        if not in_vocabulary(message):
            continue
        text = message.get(TEXT) or ""
        # Single characters too: what a lone pinyin syllable is read as (SoundIndex.by_syllable).
        counts.update(w for w in jieba.lcut(text) if CJK_WORD.fullmatch(w) or CJK.fullmatch(w))
    # The lookup tables and the dictionary name the domain's words: always words to read others as.
    for table in training_data.lookup_tables:
        for element in table.get("elements") or []:
            if isinstance(element, str) and CJK_WORD.fullmatch(element):
                counts[element] += TARGET_MIN_COUNT
    for word in dictionary:
        if CJK_WORD.fullmatch(word):
            counts[word] += TARGET_MIN_COUNT
    return dict(counts)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class PinyinNormalizer(GraphComponent):
    """Rewrites homophones and pinyin into the training data's own words (see the module)."""

    def __init__(
        self,
        config: Dict[Text, Any],
        vocabulary: Dict[Text, int],
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        self.config = config
        self.vocabulary = vocabulary
        self.index = SoundIndex(vocabulary) if vocabulary else None
        self._model_storage, self._resource = model_storage, resource
        if vocabulary:
            pinyin_syllables()  # built when the model loads, not on the first student's message

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "PinyinNormalizer":
        return cls(config, {}, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "PinyinNormalizer":
        try:
            with model_storage.read_from(resource) as directory:
                vocabulary = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except ValueError:  # no vocabulary persisted (a model trained without training data)
            vocabulary = {}
        return cls(config, vocabulary, model_storage, resource)

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"dictionary_path": None}

    def _dictionary_words(self) -> List[Text]:
        """The words of the jieba user dictionary (config `dictionary_path`), given to jieba here
        too: the vocabulary must not depend on whether the tokenizer has loaded them yet."""
        folder = self.config.get("dictionary_path")
        words = []
        for path in sorted(Path(folder).glob("*")) if folder else []:
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    words.append(line.split()[0])
        for word in words:
            jieba.add_word(word)
        return words

    def train(self, training_data: TrainingData) -> Resource:
        self.vocabulary = vocabulary_of(training_data, self._dictionary_words())
        self.index = SoundIndex(self.vocabulary)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps(self.vocabulary, ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    def _rewrite(self, message: Message) -> None:
        text = message.get(TEXT)
        if self.index and text:
            # What the student wrote stays available where words are not questions to classify:
            # a trainee's name and answers in the rehearsal (normalised, personal data masked).
            message.set(TEXT_AS_WRITTEN, text, add_to_output=True)
            message.set(TEXT, self.index.rewrite(text))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # The training data is the vocabulary: rewriting it would only swap homophones within it.
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._rewrite(message)
        return messages
