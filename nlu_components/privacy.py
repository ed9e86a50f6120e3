"""Finds personal data in a message (ID numbers, mobile numbers, passwords) and masks it.

Runs right after the normaliser, before anything else of the NLU sees the text: the classifier
and the entity extractors only ever see 【身份证号】, 【手机号】, 【密码】. The message gets one
`personal_data` entity per finding whose value is the kind of data, never the data itself, so
action_answer can warn the user without repeating what they sent.
"""

import re
from typing import List, Text, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components import ConfiguredComponent

ENTITY = "personal_data"
ID_NUMBER, PHONE, PASSWORD = "id_number", "phone", "password"
MASKS = {ID_NUMBER: "【身份证号】", PHONE: "【手机号】", PASSWORD: "【密码】"}

# Resident ID: 17 digits and a check character (GB 11643).
ID_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK_CHARACTERS = "10X98765432"
# Mainland mobile number, also written 138-1234-5678 or 138 1234 5678.
PHONE_NUMBER = re.compile(r"(?<!\d)1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")
# "密码是abc123", "password: ..." — the value must look like a password (letters, digits, symbols),
# so "密码是多少" or "密码怎么改" are not taken for one.
PASSWORD_VALUE = re.compile(
    r"(?:密码|口令|password|pwd)\s*(?:是|为|:|=)\s*([A-Za-z0-9!@#$%^&*._+-]{4,})", re.IGNORECASE
)


def valid_id_number(candidate: Text) -> bool:
    total = sum(int(d) * w for d, w in zip(candidate[:17], ID_WEIGHTS))
    return ID_CHECK_CHARACTERS[total % 11] == candidate[17].upper()


def find_personal_data(text: Text) -> List[Tuple[int, int, Text]]:
    """(start, end, kind) of every finding, in text order, not overlapping."""
    found = [(m.start(), m.end(), ID_NUMBER) for m in ID_CANDIDATE.finditer(text)
             if valid_id_number(m.group())]
    found += [(m.start(), m.end(), PHONE) for m in PHONE_NUMBER.finditer(text)]
    found += [(m.start(1), m.end(1), PASSWORD) for m in PASSWORD_VALUE.finditer(text)]
    found.sort()
    kept: List[Tuple[int, int, Text]] = []
    for start, end, kind in found:
        if not kept or start >= kept[-1][1]:
            kept.append((start, end, kind))
    return kept


def mask(text: Text) -> Tuple[Text, List[Text]]:
    """The text with every finding replaced by its mask, and the kinds found."""
    findings = find_personal_data(text)
    for start, end, kind in reversed(findings):
        text = text[:start] + MASKS[kind] + text[end:]
    return text, [kind for _, _, kind in findings]


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class PersonalDataFilter(ConfiguredComponent):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            masked, kinds = mask(text)
            if kinds:
                message.set(TEXT, masked)
                found = [{"entity": ENTITY, "value": kind, "extractor": type(self).__name__}
                         for kind in sorted(set(kinds))]
                message.set(ENTITIES, (message.get(ENTITIES) or []) + found, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data  # the training data holds no personal data
