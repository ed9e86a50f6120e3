"""What a question to log out of, deregister or unbind something is about: its object.

"智慧职教里的班级怎么退出", "退出课程", "注销电脑用户" use the verbs of the documents' procedures on
things the documents never speak about. The object of the verb is read from the message's jieba
tokens (the bot's dictionary, data/vocabulary.yml): the noun phrase right after the verb ("退出班级")
or right before it, past question words and adverbs ("班级怎么退出", "把班级退出"). When an object is
found and none of the message's objects is a known one, the question is a near miss.

Known objects come from data, not from a list of the near misses seen so far: the platforms,
devices and accounts of data/vocabulary.yml, and whatever the knowledge texts themselves (answers,
steps, their verbatim quotes of the documents) log out of, deregister or unbind, found by the same
reading. A list fitted to the mistakes of one test set misses the next set's objects (the sealed
half showed it); the documents' own objects are a closed set, so everything else is refused.
Imports no Rasa.
"""

import functools
import re
from typing import Any, FrozenSet, Iterable, List, Optional, Sequence, Set, Text, Tuple

from knowledge.loader import built_once
from knowledge.vocabulary import load_vocabulary

# Part-of-speech tags (jieba) of a noun phrase's words: nouns, names, English, abbreviations.
NOUN_TAGS = ("n", "nr", "ns", "nt", "nz", "ng", "eng", "j")
# Skipped between the verb and its object before it: "班级怎么才能退出", "课程要怎么退出".
SKIP_TAGS = ("d", "r", "c", "y", "u", "ul", "uj", "uz", "ug", "ud", "e", "o", "m", "q")
SKIP_WORDS = {
    "怎么",
    "怎样",
    "如何",
    "咋",
    "咋样",
    "要",
    "想",
    "想要",
    "能",
    "能不能",
    "可以",
    "可不可以",
    "该",
    "应该",
    "得",
    "再",
    "就",
    "都",
    "也",
    "才",
    "还",
    "已经",
    "会",
    "去",
    "来",
    "把",
    "将",
    "给",
    "进行",
    "申请",
    "一下",
    "不",
    "没",
    "没有",
    "不能",
    "不了",
    "直接",
    "彻底",
    "完全",
    "自己",
    "帮",
    "我",
    "我们",
    "请问",
    "到底",
    "了",
    "掉",
    "的",
    "在",
    "里",
    "里面",
    "中",
    "上",
    "吗",
    "呢",
    "啊",
    "吧",
    "哪里",
    "哪儿",
    "怎么样",
    "是",
    "了吗",
}
# Between the verb and its object after it: "退出了班级", "注销掉这个号", "退出其中一个班级".
AFTER_SKIP = {"了", "掉", "一下", "下", "这个", "那个", "我的", "自己的", "整个", "这些", "其中"}
# Between the nouns of one phrase: 电脑[上的]用户, 学校[的]组织.
LINKS = {"的", "上", "里", "中", "里面", "上面"}
Phrase = Tuple[Text, ...]
# How far from the verb an object may be, in tokens.
WINDOW = 4
# An object's own words are read this way: a clause ends at punctuation.
CLAUSE_END = re.compile(r"[，,。.!！?？;；、\s]")


# The grader's classes (data/vocabulary.yml `grading`) that name the account, its login and the
# menus and things the documents' steps use; not 学籍 or 课程, which the documents only mention.
KNOWN_GRADING_CLASSES = (
    "账号",
    "密码",
    "登录界面",
    "其他设备",
    "关联设备",
    "账户与安全",
    "账号安全",
    "设置",
    "第三方",
)
# "退" alone, as students say it ("课程群怎么退", "把号退掉"): leaving, whatever is left.
LEAVE = ("退", "退掉")
# Logging in is no goal of the documents, but what one logs in to is still their platform or not
# ("教务系统怎么登录"); "QQ登录" is a way to log in to ours, not QQ's own question.
LOGIN = "登录"


# Words of two to four Chinese characters: long enough that a shared sound is no accident, short
# enough that their readings stay few.
HAN_WORD = re.compile(r"[\u4e00-\u9fff]{2,4}")


@functools.lru_cache(maxsize=4096)
def readings(word: Text) -> FrozenSet[Text]:
    """Every toneless reading of `word`, one per combination of its characters' readings; kept for
    words met again (each costs pypinyin a lookup per character and reading)."""
    from pypinyin import Style, pinyin

    combinations = [""]
    for character in word:  # one by one: for a whole word pypinyin gives the word's usual reading
        syllables = set(pinyin(character, style=Style.NORMAL, heteronym=True)[0])
        combinations = [f"{before} {syllable}".strip() for before in combinations for syllable in syllables]
    return frozenset(combinations)


def goal_verbs(vocabulary: Any) -> List[Text]:
    """The verbs whose object is checked: every goal word of data/vocabulary.yml, the grader's words
    for undoing (解除, 取消, 删除, 移除), 退 and 登录; longest first ("退出登录" before "退出")."""
    words = {w.lower() for w in vocabulary.words("goal")} | {LOGIN}
    words |= {w.lower() for w in vocabulary.classes["grading"]["解除"]} | set(LEAVE)
    return sorted(words, key=len, reverse=True)


class ObjectReader:
    """Finds the objects of the goal verbs in a message, and which of them the documents know."""

    def __init__(
        self,
        known_texts: Iterable[Text],
        not_objects: Iterable[Text] = (),
        non_noun_endings: Iterable[Text] = (),
        negated_starts: Iterable[Text] = (),
    ) -> None:
        import jieba
        import jieba.posseg

        jieba.setLogLevel(jieba.logging.WARNING)
        vocabulary = load_vocabulary()
        # A tokenizer of its own: the words added here must not change how the misconception
        # recogniser (the shared jieba) cuts a message.
        tokenizer = jieba.Tokenizer()
        vocabulary.add_to_jieba(tokenizer)
        self.cut = jieba.posseg.POSTokenizer(tokenizer).cut
        self.verbs = goal_verbs(vocabulary)
        for verb in self.verbs:  # kept whole, so that a verb is one token
            tokenizer.add_word(verb, freq=50, tag="v")
        # Every platform name is one token, ours and others' ("钉钉", not 钉/钉): a new alias of ours
        # in data/vocabulary.yml ("职教小云") must read as a known object, not as 职教/小/云.
        for name in (*vocabulary.words("platform"), *vocabulary.words("other_platform")):
            tokenizer.add_word(name, freq=50, tag="nz")
        self.not_objects = {w.lower() for w in not_objects}
        self.non_noun_endings = tuple(non_noun_endings)
        self.negated_starts = tuple(negated_starts)
        self.platforms = [w.lower() for w in vocabulary.words("platform")]
        self.other_platforms = {w.lower() for w in vocabulary.words("other_platform")}
        grading = vocabulary.classes["grading"]
        vocabulary_words = [
            *vocabulary.words("platform"),
            *vocabulary.words("device"),
            *vocabulary.words("account"),
            *(w for c in KNOWN_GRADING_CLASSES for w in grading[c]),
            *(w for c in ("device", "others", "web") for w in vocabulary.classes["recogniser"][c]),
        ]
        # People ask, they are not what is logged out of: "有老师想自己注销", "替学生登录".
        self.agents = {
            w.lower() for c in ("person", "teacher", "self") for w in vocabulary.classes["recogniser"][c]
        } | {w.lower() for w in grading["信息化办公室"]}
        # The goal words name the account's state ("退出登录"); the rest is read from the texts.
        known: Set[Text] = {w.lower() for w in vocabulary_words} | set(self.verbs)
        for text in known_texts:
            known |= {w for phrase in self.objects(text) for w in phrase}
        self.known = known
        # Sounds only of the vocabulary's words: the texts' words hold odd ones ("前导" sounds like 签到).
        self.known_sounds = {
            sound for word in vocabulary_words if HAN_WORD.fullmatch(word) for sound in readings(word)
        }

    def tokens(self, text: Text) -> List[Tuple[Text, Text]]:
        return [(t.word.lower(), t.flag) for t in self.cut(text)]

    def _is_verb(self, word: Text) -> bool:
        return word in self.verbs

    def _nounish(self, word: Text, flag: Text) -> bool:
        return (
            flag.startswith(NOUN_TAGS)
            and word not in SKIP_WORDS
            and word not in self.not_objects
            and not (len(word) > 1 and word.endswith(self.non_noun_endings))
            and not (len(word) > 1 and word.startswith(self.negated_starts))
            and not CLAUSE_END.fullmatch(word)
        )

    def _nominalised(self, tokens: Sequence[Tuple[Text, Text]], j: int) -> bool:
        """A verb after 的 and before a question word is a thing: 职教云的[签到]怎么取消 (right
        before the verb it is more often jieba's mistake: "的号能注销" cut as 的/号能/注销)."""
        word, flag = tokens[j]
        return (
            flag.startswith("v")
            and j > 0
            and tokens[j - 1][0] == "的"
            and not self._is_verb(word)
            and word not in self.not_objects
        )

    def _vn_head(self, phrase: Sequence[Text], word: Text, flag: Text) -> bool:
        """A verbal noun ends a phrase begun by a noun: 职教云的[考试], 学校的[组织]."""
        return bool(phrase) and flag == "vn" and word not in self.not_objects

    def objects(self, text: Text) -> List[Phrase]:
        """The object of each goal verb in `text`: the nouns of the phrase right after the verb
        ("退出[职教云的班级]"), or when there is none, of the phrase right before it ("[班级]怎么退出")."""
        tokens = self.tokens(text)
        found: List[Phrase] = []
        for i, (word, _) in enumerate(tokens):
            if self._is_verb(word):
                phrase = self._after(tokens, i) or self._before(tokens, i)
                if phrase:
                    found.append(phrase)
        return found

    def _after(self, tokens: Sequence[Tuple[Text, Text]], i: int) -> Phrase:
        """退出[智慧职教班级], 注销[电脑上的用户], 退出[一门课程]."""
        j = i + 1
        while (
            j < len(tokens)
            and j <= i + WINDOW
            and (tokens[j][0] in AFTER_SKIP or tokens[j][1].startswith(("m", "q")))
        ):
            j += 1
        phrase: List[Text] = []
        while j < len(tokens):
            word, flag = tokens[j]
            if self._nounish(word, flag) or self._vn_head(phrase, word, flag):
                phrase.append(word)
                j += 1
                continue
            # A noun phrase goes on past 的 (上的, 里的) to its head: 退出[学校的组织].
            k = j
            while phrase and k < len(tokens) and tokens[k][0] in LINKS:
                k += 1
            if (
                k > j
                and k < len(tokens)
                and tokens[k - 1][0] == "的"
                and (self._nounish(*tokens[k]) or self._vn_head(phrase, *tokens[k]))
            ):
                j = k
                continue
            break
        return tuple(phrase)

    def _before(self, tokens: Sequence[Tuple[Text, Text]], i: int) -> Phrase:
        """[班级]怎么退出, [校园网账号]怎么注销: the noun phrase nearest before the verb, past
        question words and adverbs, unless it names the one who asks ("老师想注销")."""
        j = i - 1
        while j >= 0 and j >= i - WINDOW:
            word, flag = tokens[j]
            if CLAUSE_END.fullmatch(word) or self._is_verb(word) or word in self.agents:
                return ()
            if self._nounish(word, flag) or j < i - 1 and self._nominalised(tokens, j):
                phrase = [word]
                while j > 0 and self._nounish(*tokens[j - 1]) and tokens[j - 1][0] not in self.agents:
                    j -= 1
                    phrase.insert(0, tokens[j][0])
                # "在网页端账号安全里解除": where it is done, not what is undone.
                return () if j > 0 and tokens[j - 1][0] == "在" else tuple(phrase)
            if word in SKIP_WORDS or flag.startswith(SKIP_TAGS):
                j -= 1
                continue
            return ()
        return ()

    def is_known(self, word: Text) -> bool:
        """A known word, a compound ending in one (head last: "学信网账号", "职教云app", but not
        "手机卡"), or the first part of one, said short ("关联" of "关联设备")."""
        return (
            word in self.known
            or any(
                len(k) > 1 and word.endswith(k) or len(word) > 1 and k.startswith(word) for k in self.known
            )
            or self.sounds_known(word)
        )

    def sounds_known(self, word: Text) -> bool:
        """Said like a known word in one of its readings: voice input writes 账号 as 长号 (zhǎng hào),
        a reading the NLU's pinyin reader, which takes each character's usual one, does not try."""
        return bool(HAN_WORD.fullmatch(word)) and not readings(word).isdisjoint(self.known_sounds)

    def phrase_known(self, phrase: Phrase) -> bool:
        """Every noun of the phrase is known: "校园网账号" is not the account of the documents. Words
        in Latin letters are the student's gloss of a known thing far more often than a near miss
        ("sub-account"); other platforms' names are caught before (actions/answer.py)."""
        # One-character modifiers are too often a voice-input slip ("紫账号") to judge by.
        *modifiers, head = phrase
        return all(self.is_known(w) or w.isascii() for w in [head, *(m for m in modifiers if len(m) > 1)])

    def near_miss(self, text: Text) -> bool:
        """True when the goal verbs of `text` have objects and none of them is known, or when what
        is unbound or left is another platform itself ("QQ怎么解除授权": QQ's own settings) and none
        of ours is named. "解除QQ授权" (the platform after the verb) is the documents' own question."""
        phrases = self.objects(text)
        if phrases and not any(self.phrase_known(p) for p in phrases):
            return True
        if any(w in text.lower() for w in self.platforms):
            return False
        return any(p in self._subjects(text) for p in self.other_platforms)

    def _subjects(self, text: Text) -> List[Text]:
        """The nouns before a goal verb that has no object after it, a question word or adverb
        between them: "[QQ]怎么解除" (next to it, "QQ授权", the noun says whose authorisation)."""
        tokens = self.tokens(text)
        return [
            w
            for i, (word, _) in enumerate(tokens)
            if self._is_verb(word)
            and word != LOGIN
            and i > 0
            and not self._after(tokens, i)
            and not self._nounish(*tokens[i - 1])
            and tokens[i - 1][0] != "的"  # "微信的授权怎么解": the verb used as a noun, the platform's
            for w in self._before(tokens, i)
        ]


def knowledge_texts(knowledge: Any) -> List[Text]:
    """Every text of data/knowledge the bot says, with the verbatim quotes it rests on."""
    texts: List[Text] = []
    for provenance in knowledge.texts.values():
        texts.append(provenance.text)
        texts += list(provenance.quotes)
    return texts


def build_object_reader(knowledge: Any) -> ObjectReader:
    """The reader for these knowledge files (data/knowledge/answerability.yml `objects`)."""
    rules = knowledge.answerability.get("objects") or {}
    return ObjectReader(
        knowledge_texts(knowledge),
        rules.get("not_objects") or (),
        rules.get("non_noun_endings") or (),
        rules.get("negated_starts") or (),
    )


# Built once per process (jieba's dictionary: ~1 s), like the misconception recogniser.
load_object_reader = built_once(build_object_reader)


def checked_intents(knowledge: Any) -> Set[Text]:
    """The intents whose objects are checked (answerability.yml `objects`)."""
    rules = knowledge.answerability.get("objects")
    if not rules:
        return set()
    procedures = {t for t, topic in knowledge.topics.items() if topic.get("procedure")}
    return set(rules["goals"]) | (procedures if rules.get("procedures") else set())


def other_object(knowledge: Any, intent: Optional[Text], text: Text) -> bool:
    """True when `text`, classified as `intent`, logs out of (deregisters, unbinds …) something the
    documents do not speak of: a near miss to answer with the honest not-covered reply."""
    from knowledge.text import normalize

    if intent not in checked_intents(knowledge):
        return False
    return load_object_reader().near_miss(normalize(text))
