"""Personal data: the one place where it is defined, found and masked. Plain Python, no Rasa
import, so that every process (NLU, tracker store, logs, reports) can use it cheaply.

`mask()` with the default kinds is what the NLU applies (nlu_components/privacy.py): the classifier
only sees 【身份证号】, 【手机号】, 【密码】, and the bot warns about those. `redact()` masks every kind,
e-mail addresses and bank card numbers too: it is applied to whatever is stored or logged
(stores/redacting.py, server/), and to the staff reports.
"""

import re
from typing import Iterable, List, Text, Tuple


ID_NUMBER, PHONE, PASSWORD = "id_number", "phone", "password"
EMAIL, BANK_CARD = "email", "bank_card"
MASKS = {
    ID_NUMBER: "【身份证号】", PHONE: "【手机号】", PASSWORD: "【密码】",
    EMAIL: "【邮箱】", BANK_CARD: "【银行卡号】",
}
# What the bot warns about in a message; storage and logs redact every kind in MASKS.
WARNED_KINDS = (ID_NUMBER, PHONE, PASSWORD)

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
EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Bank cards: 13 to 19 digits, maybe in groups of four. No Luhn check: a mistyped card number is
# still somebody's card number, and numbers that long are nothing else here (ID numbers go first).
CARD_NUMBER = re.compile(r"(?<![0-9])\d(?:[ -]?\d){12,18}(?![0-9])")


def valid_id_number(candidate: Text) -> bool:
    total = sum(int(d) * w for d, w in zip(candidate[:17], ID_WEIGHTS))
    return ID_CHECK_CHARACTERS[total % 11] == candidate[17].upper()


def find_personal_data(
    text: Text, kinds: Iterable[Text] = WARNED_KINDS
) -> List[Tuple[int, int, Text]]:
    """(start, end, kind) of every finding of `kinds`, in text order, not overlapping (an ID
    number wins over a bank card number it also looks like)."""
    kinds = set(kinds)
    found = [(m.start(), m.end(), ID_NUMBER) for m in ID_CANDIDATE.finditer(text)
             if ID_NUMBER in kinds and valid_id_number(m.group())]
    if PHONE in kinds:
        found += [(m.start(), m.end(), PHONE) for m in PHONE_NUMBER.finditer(text)]
    if PASSWORD in kinds:
        found += [(m.start(1), m.end(1), PASSWORD) for m in PASSWORD_VALUE.finditer(text)]
    if EMAIL in kinds:
        found += [(m.start(), m.end(), EMAIL) for m in EMAIL_ADDRESS.finditer(text)]
    if BANK_CARD in kinds:
        found += [(m.start(), m.end(), BANK_CARD) for m in CARD_NUMBER.finditer(text)]
    # At one position the longest finding wins (an e-mail address made of a phone number goes
    # whole), then the order of MASKS (an ID number over a bank card number of the same length).
    found.sort(key=lambda f: (f[0], f[0] - f[1], list(MASKS).index(f[2])))
    kept: List[Tuple[int, int, Text]] = []
    for start, end, kind in found:
        if not kept or start >= kept[-1][1]:
            kept.append((start, end, kind))
    return kept


def mask(text: Text, kinds: Iterable[Text] = WARNED_KINDS) -> Tuple[Text, List[Text]]:
    """The text with every finding replaced by its mask, and the kinds found."""
    findings = find_personal_data(text, kinds)
    for start, end, kind in reversed(findings):
        text = text[:start] + MASKS[kind] + text[end:]
    return text, [kind for _, _, kind in findings]


def redact(text: Text) -> Text:
    """The text as it may be stored, logged or reported: every kind of personal data masked."""
    return mask(text, MASKS)[0] if text else text
