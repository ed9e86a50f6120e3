"""Two questions in one message: the first is understood and answered, the others are kept for
the student to ask with one tap.

"机房电脑上用职教云要注意啥？用完直接关浏览器算不算退出了？" — a classifier given both questions
picks one of the two topics, often the second, and the other is lost. Here a message with two or
more questions is cut after the first (what comes before it, a back-story, stays: it may hold the
platform or the device), and the other questions go into the message's `other_questions`, which
action_answer offers as buttons ("你还问了：…"). A question is a sentence ending in a question mark,
or a clause opened by "顺便问一下", "另外", "还有" and the like. A message with one question is left
as it is.
"""

import re
from typing import List, Text, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components import ConfiguredComponent

OTHER_QUESTIONS = "other_questions"
# Where a new question starts: after a question mark, or at a word that opens another question.
QUESTION_END = re.compile(r"[?？]+")
# "还有"/"另外" open a question only after a pause ("手机和电脑还有平板" is one question).
OPENS_ANOTHER = re.compile(
    r"[，,。；;\s]*(?:顺便问一下|顺便问下|顺便问|还想问一下|还想问|再问一下)"
    r"|[，,。；;\s]+(?:另外|还有就是|还有)"
)
# A piece shorter than this (after removing punctuation) is no question of its own ("嗯？").
MIN_QUESTION_CHARS = 4
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
    opened = [OPENS_ANOTHER.match(text, a, b) is not None for a, b in pieces]
    # A piece is a question when it ends in a question mark, opens another question, or is
    # followed by one that does ("…怎么办，顺便问下…").
    questions = [
        (a, b)
        for i, (a, b) in enumerate(pieces)
        if (opened[i] or QUESTION_END.search(text, a, b) or (i + 1 < len(pieces) and opened[i + 1]))
        and len(CONTENT.findall(text, a, b)) >= MIN_QUESTION_CHARS
    ]
    if len(questions) < 2:
        return text, []
    first_end = questions[0][1]
    others = [text[a:b].strip(" ，,。；;") for a, b in questions[1:]]
    return text[:first_end], others


def _opened_pieces(text: Text, start: int, end: int) -> List[Tuple[int, int]]:
    """The span split where a word opens another question ("…怎么办，顺便问下…")."""
    cuts = [m.start() for m in OPENS_ANOTHER.finditer(text, start, end) if m.start() > start]
    bounds = [start, *cuts, end]
    return list(zip(bounds, bounds[1:], strict=False))


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
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data  # each training example is one question
