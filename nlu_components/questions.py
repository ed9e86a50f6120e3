"""Two questions in one message: the first is understood and answered, the others are kept for
the student to ask with one tap; after a back-story, the first's question clause is kept apart.

"机房电脑上用职教云要注意啥？用完直接关浏览器算不算退出了？" — a classifier given both questions
picks one of the two topics, often the second, and the other is lost. Here a message with two or
more questions is cut after the first (what comes before it, a back-story, stays: it may hold the
platform or the device), and the other questions go into the message's `other_questions`, which
action_answer offers as buttons ("你还问了：…"). A question is a sentence ending in a question mark,
a clause opened by "顺便问一下", "另外", "还有" and the like, or — as students type two questions
without question marks ("职教云怎么注销，注销后手机号还能用吗") — a clause that asks (a question word
such as 怎么/吗/几/哪) when another clause of the message asks too. A clause saying what one does not
know ("不知道怎么办") or a rhetorical why ("为啥这么麻烦") asks nothing. A message with one question
is left as it is.
"""

import re
from typing import List, Text, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components import ConfiguredComponent

OTHER_QUESTIONS = "other_questions"
# The question of the first, after its back-story (`question_start`), when a back-story comes first:
# what the message asks for is read there ("我申请过退款，现在职教云怎么注销" asks for no refund).
QUESTION = "question"
# Where a new question starts: after a question mark, or at a word that opens another question.
QUESTION_END = re.compile(r"[?？]+")
# "还有"/"另外" open a question only after a pause ("手机和电脑还有平板" is one question).
OPENS_ANYWHERE = re.compile(r"顺便问一下|顺便问下|顺便问|还想问一下|还想问|再问一下")
OPENS_AFTER_PAUSE = re.compile(r"另外|还有就是|还有")
OPENING_WORD = re.compile(OPENS_ANYWHERE.pattern + "|" + OPENS_AFTER_PAUSE.pattern)
PAUSE = re.compile(r"[，,。；;\s]")
# "还有"/"另外" right after a question mark open the next question too ("…共用吗？另外…").
OPENS_AFTER_MARK = re.compile(r"\s*(?:另外|还有)")
# A piece shorter than this (after removing punctuation) is no question of its own ("嗯？").
MIN_QUESTION_CHARS = 4
# Clauses of a sentence without question marks. The first question asks anywhere in its clause
# ("职教云怎么注销"); a later one must end asking ("…还能用吗", "…怎么办", "…找谁改") or ask yes or
# no ("要不要…"), so that a clause merely holding a question word ("前几天被人动过") is not cut off.
CLAUSE_END = re.compile(r"[，,；;]+|\s+")
YES_OR_NO = re.compile(r"能不能|可不可以|是不是|算不算|会不会|要不要|有没有|还用不用|行不行")
# 几 after 着/了/好 says "a few", not "how many" ("下面挂着几个子账号", "换了几台手机", "好几次").
COUNT = r"(?<![前着了好])(?<!还有)几[个台次步种]"
ASKS = re.compile(r"怎么|怎样|咋|啥|什么|多少|多久|多长|哪|谁|吗|呢|嘛|" + COUNT + "|" + YES_OR_NO.pattern)
# In a first clause a count asks after a verb ("能有几个学信网账号", "要走几个步骤"), not after a
# noun or a number ("隔壁几个宿舍都是一个专业的", "二十几个老师的账号"), which tell of several.
FIRST_ASKS = re.compile(
    r"怎么|怎样|咋|啥|什么|多少|多久|多长|哪|谁|吗|呢|嘛|(?<=[有能要得需是册录走过用证绑开退销])"
    + COUNT
    + "|"
    + YES_OR_NO.pattern
)
ENDS_ASKING = re.compile(
    r"(?:吗|么|嘛|呢|谁\w{0,2}|多久\w{0,4}|多长时间\w{0,4}|(?:什么|啥)时候\w{0,6}|怎么\w{0,3}|咋\w{0,2}|如何\w{0,2}|啥\w{0,3}|什么\w{0,3}"
    r"|" + COUNT + r"\w{0,2}|多少\w{0,2}|哪[里儿个]?\w{0,2})$"
)
# Particles, emoji and marks after the question itself: "…还能用吗啊🙏🙏".
TRAILING = re.compile(r"[啊呀哇啦哈了~～\W_]")
# Nor does a clause saying what one does not know ("不知道怎么办"), a rhetorical why ("为啥这么麻烦"),
# an exclamation ("谁懂啊") or a clause hanging on the one before ("能的话怎么弄", "那要多久", "跟智慧
# 职教比呢", "智慧职教注销后也是这样吗": the same question, compared); a clause with a condition of
# its own asks ("注销不了的话该找谁"), and so do the same question of another thing ("…，那子账号呢")
# and a comparison that says what it asks ("和腾讯课堂相比谁的注销快").
ASKS_NOTHING = re.compile(
    r"^(?:我|俺)?(?:也|还|都)?(?:不知道|不清楚|不懂|不会|想知道)|为啥|为什么|干嘛|谁懂|^\w{0,3}的话"
    r"|^(?:那(?![^怎么咋啥什多几哪谁]{2,8}呢$)|如果|要是)"
    r"|^(?:跟|和|与|同)\w{1,8}?(?:比|相比|对比)(?:起来|一下)?\w{0,3}$|也是这样|也这样|也是一样|也一样"
    # ... nor what others ask ("好多人都在问怎么注销，我想问的是…").
    r"|都在问|有人问|别人问|大家问"
    # ... nor what one wants to tell others ("想给学生讲讲怎么安全退出，有没有顺口溜"): an embedded question.
    r"|(?:讲|说说|说一下|教教|教一下|告诉|(?<!职)教(?:学生|大家|他们|同学))\w{0,6}(?:怎么|如何|怎样)"
)
# A clause shorter than this is part of its neighbour ("那怎么办"), not a question of its own.
MIN_CLAUSE_CHARS = 6
# ... except the same question of another thing, after a question ("职教云怎么退出？雨课堂呢", "…，
# 网页版呢"): a name and 呢, not "then?" ("然后呢") nor a feeling ("急死了呢").
SAME_OF_ANOTHER = re.compile(r"^(?:那|那么)?(?!然后|之后|后来|接下来|结果|怎么说)\w{2,6}(?<!了)呢$")
SAME_OF_ANOTHER_MIN_CHARS = 3
CONTENT = re.compile(r"[\w\u4e00-\u9fff]")


def split_questions(text: Text) -> Tuple[Text, List[Text]]:
    """The text up to the end of its first question, and the other questions (empty when the
    message holds only one)."""
    pieces: List[Tuple[int, int]] = []  # spans of the text, each ending a question or the text
    start = 0
    for end_mark in QUESTION_END.finditer(text):
        pieces.extend(_opened_pieces(text, start, end_mark.end()))
        start = end_mark.end()
    if start < len(text):
        pieces.extend(_opened_pieces(text, start, len(text)))
    pieces = [clause for a, b in pieces for clause in _asking_clauses(text, a, b)]
    opened = [
        _opening_at(text, a) or (a > 0 and OPENS_AFTER_MARK.match(text, a, b) is not None) for a, b in pieces
    ]
    # A piece is a question when it ends in a question mark, opens another question, asks before one
    # that does ("…怎么办，顺便问下…"; not a story: "用学信网查完了，顺便问下…"), or, without a
    # mark, asks (see ENDS_ASKING).
    questions: List[Tuple[int, int]] = []
    for i, (a, b) in enumerate(pieces):
        asks = _asks(text[a:b], first=not questions)
        before_opened = i + 1 < len(pieces) and opened[i + 1] and ASKS.search(text, a, b) is not None
        marked = opened[i] or QUESTION_END.search(text, a, b) or before_opened
        if asks or marked and len(CONTENT.findall(text, a, b)) >= MIN_QUESTION_CHARS:
            questions.append((a, b))
    if len(questions) < 2:
        return text, []
    first_end = questions[0][1]
    others = [text[a:b].strip(" ，,。；;") for a, b in questions[1:]]
    return text[:first_end], others


# What the first question asks, from its first clause holding a question word on (`asking_start`):
# facts asked for are read there ("那封邮件写什么 有没有范文可以抄" asks for a model text too,
# "申请过退款，现在怎么注销" asks for no refund).
ASKED = "asked"
# Where a message's sentences and clauses end, for finding its question (question_start).
SENTENCE_END = re.compile(r"[。！!；;?？]+")
ANY_CLAUSE_END = re.compile(SENTENCE_END.pattern + "|" + CLAUSE_END.pattern)


# A clause asking only what to do ("职教云没退出怎么办") takes what it is about from the clause before.
WHAT_TO_DO = re.compile(r"怎么办|咋办|怎么整|咋整|怎么弄|咋弄|怎么处理|咋处理|如何是好|如何处理")


def question_start(text: Text) -> int:
    """Where the question of a message starts, after its back-story: at the last clause holding a
    question word ("…上面还登着智慧职教。想先退掉，APP里退出登录在哪个菜单里？": "APP里…"), with the
    clause before it when it is too short to say what it asks about ("…还登着，怎么办") or asks only
    what to do ("电脑被偷了，职教云没退出怎么办"); without a question word, at its last sentence. 0 for
    a message of one clause."""
    clauses = [(a, b) for a, b in _clause_spans(text) if CONTENT.search(text, a, b)]
    if not clauses:
        return 0
    asking = [i for i, (a, b) in enumerate(clauses) if ASKS.search(text, a, b)]
    if not asking:
        last_content = [m.start() for m in CONTENT.finditer(text, *clauses[-1])][-1]
        sentence_ends = [m.end() for m in SENTENCE_END.finditer(text, 0, last_content)]
        return sentence_ends[-1] if sentence_ends else 0
    first = asking[-1]
    a, b = clauses[first]
    if first > 0 and not ASKS.search(WHAT_TO_DO.sub("", text[a:b])):
        first -= 1
    # Counted clause by clause, walking back, so that a long run of marks stays linear.
    content_after = sum(len(CONTENT.findall(text, a, b)) for a, b in clauses[first:])
    while first > 0 and content_after < MIN_CLAUSE_CHARS:
        first -= 1
        content_after += len(CONTENT.findall(text, *clauses[first]))
    return clauses[first][0]


def asking_start(text: Text) -> int:
    """Where the first clause holding a question word starts (0 when none does, or the first)."""
    return next((a for a, b in _clause_spans(text) if ASKS.search(text, a, b)), 0)


def _clause_spans(text: Text) -> List[Tuple[int, int]]:
    """(start, end) of each clause of the text, cut after sentence and clause marks."""
    bounds = [0, *(m.end() for m in ANY_CLAUSE_END.finditer(text) if 0 < m.end() < len(text)), len(text)]
    return list(zip(bounds, bounds[1:], strict=False))


def _asks(piece: Text, first: bool) -> bool:
    """Whether a clause without a question mark is a question of its own (the first of a message,
    or a later one)."""
    clause = _without_trailing(piece.strip())
    asking = FIRST_ASKS.search(clause) if first else ENDS_ASKING.search(clause) or YES_OR_NO.search(clause)
    return (
        asking is not None
        and ASKS_NOTHING.search(clause) is None
        and len(CONTENT.findall(clause)) >= _min_clause_chars(clause, first)
    )


def _min_clause_chars(clause: Text, first: bool) -> int:
    """How long a clause must be to ask a question of its own."""
    if not first and SAME_OF_ANOTHER.match(clause):
        return SAME_OF_ANOTHER_MIN_CHARS
    return MIN_CLAUSE_CHARS


def _without_trailing(clause: Text) -> Text:
    """The clause without the particles and marks after it, walked back by hand: `[…]+$` is
    quadratic on a long run of marks followed by a word."""
    end = len(clause)
    while end > 0 and TRAILING.match(clause, end - 1):
        end -= 1
    return clause[:end]


def _asking_clauses(text: Text, start: int, end: int) -> List[Tuple[int, int]]:
    """The span, cut at commas and spaces only when at least two of its clauses ask: the end of
    each asking clause ends a question, with the clauses before it (a back-story) in front."""
    bounds = [
        start,
        *(m.end() for m in CLAUSE_END.finditer(text, start, end) if start < m.start() < end),
        end,
    ]
    clauses = list(zip(bounds, bounds[1:], strict=False))
    asking: List[int] = []
    for a, b in clauses:
        if _asks(text[a:b], first=not asking):
            asking.append(b)
    if len(asking) < 2:
        return [(start, end)]
    cuts = [start, *asking[:-1], end]
    return list(zip(cuts, cuts[1:], strict=False))


def _opened_pieces(text: Text, start: int, end: int) -> List[Tuple[int, int]]:
    """The span split where a word opens another question ("…怎么办，顺便问下…"), each cut
    before the pause in front of the word."""
    cuts = []
    for word in OPENING_WORD.finditer(text, start, end):
        pause_start = word.start()
        # Walked back by hand: a regex with a leading [，…]* is quadratic on long runs of marks.
        while pause_start > start and PAUSE.match(text, pause_start - 1):
            pause_start -= 1
        opens = OPENS_ANYWHERE.fullmatch(word.group()) or pause_start < word.start()
        if opens and pause_start > start and (not cuts or pause_start > cuts[-1]):
            cuts.append(pause_start)
    bounds = [start, *cuts, end]
    return list(zip(bounds, bounds[1:], strict=False))


def _opening_at(text: Text, at: int) -> bool:
    """Whether the piece starting at `at` opens with a word that opens another question (after the
    pause the cut left in front of it)."""
    word_start = at
    while word_start < len(text) and PAUSE.match(text, word_start):
        word_start += 1
    word = OPENING_WORD.match(text, word_start)
    return word is not None and (OPENS_ANYWHERE.fullmatch(word.group()) is not None or word_start > at)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class QuestionSplitter(ConfiguredComponent):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            first, others = split_questions(text)
            if others:
                message.set(TEXT, first)
                message.set(OTHER_QUESTIONS, others, add_to_output=True)
            start = question_start(first)
            if start > 0:
                message.set(QUESTION, first[start:], add_to_output=True)
                message.set(ASKED, first[asking_start(first) :], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data  # each training example is one question
