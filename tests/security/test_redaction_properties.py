"""Issue 15, finding 3, property-based: generated mainland mobile numbers, ID numbers with valid
check characters (GB 11643), e-mail addresses and passwords, written in full-width, traditional,
spaced, dotted, Chinese-numeral, escaped and mixed forms inside Chinese sentences, never survive
`redact()` nor any stored field of any event, and the NLU warns about exactly what the store masks.
"""

import asyncio
import datetime
import sqlite3
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from privacy import ID_CHECK_CHARACTERS, ID_WEIGHTS, MASKS, WARNED_KINDS, find_personal_data, mask, redact
from stores.redacting import RedactingSQLTrackerStore, redacted
from tests.security.test_redaction import dumped, nlu_kinds, survivors

pytestmark = pytest.mark.unit

SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

# ---- the data ----
digit = st.sampled_from("0123456789")


@st.composite
def phone_numbers(draw):
    return "1" + draw(st.sampled_from("3456789")) + "".join(draw(st.lists(digit, min_size=9, max_size=9)))


@st.composite
def id_numbers(draw):
    region = "".join(draw(st.lists(digit, min_size=6, max_size=6)))
    born = draw(st.dates(min_value=datetime.date(1930, 1, 1), max_value=datetime.date(2012, 12, 31)))
    serial = "".join(draw(st.lists(digit, min_size=3, max_size=3)))
    first = region + born.strftime("%Y%m%d") + serial
    check = ID_CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first, ID_WEIGHTS, strict=True)) % 11]
    return first + check


ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
email_addresses = st.builds(
    lambda local, sep, tail, domain, tld: f"{local}{sep}{tail}@{domain}.{tld}",
    st.text(ALNUM, min_size=1, max_size=12),
    st.sampled_from(["", ".", "_", "-", "+"]),
    st.text(ALNUM, min_size=1, max_size=8),
    st.text(ALNUM, min_size=1, max_size=12),
    st.sampled_from(["com", "cn", "edu.cn", "net", "org", "com.cn"]),
)


@st.composite
def passwords(draw):
    letters = draw(st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8))
    digits = "".join(draw(st.lists(digit, min_size=1, max_size=8)))
    symbols = draw(st.text("!@#$%^&*_+", max_size=2))
    chars = list(letters + digits + symbols)
    order = draw(st.permutations(chars))
    value = "".join(order)
    if len(value) < 6:
        value += "x1y2z3"[: 6 - len(value)]
    return value


# ---- how they are written ----
FULL_WIDTH = {
    c: chr(ord(c) + 0xFEE0)
    for c in "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ@.!#$%&*+-_:"
}
CHINESE = {
    "0": ["零", "〇"],
    "1": ["一", "幺", "壹"],
    "2": ["二", "两", "贰", "貳"],
    "3": ["三", "叁"],
    "4": ["四", "肆"],
    "5": ["五", "伍"],
    "6": ["六", "陆", "陸"],
    "7": ["七", "柒"],
    "8": ["八", "捌"],
    "9": ["九", "玖"],
    "X": ["X", "x", "Ｘ"],
}
SEPARATORS = [" ", "\u3000", "-", ".", "－", "．", " - "]


@st.composite
def written_digits(draw, number: str, groups):
    """A number written as a student might: ASCII, full-width, Chinese numerals, escaped, or a mix,
    all in one piece, in groups or one digit at a time."""
    style = draw(st.sampled_from(["ascii", "full-width", "chinese", "escaped", "mixed"]))

    def one(c):
        chosen = style if style != "mixed" else draw(st.sampled_from(["ascii", "full-width", "chinese"]))
        if chosen == "full-width":
            return FULL_WIDTH.get(c, c)
        if chosen == "chinese":
            return draw(st.sampled_from(CHINESE.get(c, [c])))
        if chosen == "escaped":
            return f"\\u{ord(c):04x}"
        return c

    chars = [one(c) for c in number]
    spacing = draw(st.sampled_from(["none", "groups", "each"]))
    if spacing == "none":
        return "".join(chars)
    separator = draw(st.sampled_from(SEPARATORS))
    if spacing == "each":
        return separator.join(chars)
    parts, at = [], 0
    for size in groups:
        parts.append("".join(chars[at : at + size]))
        at += size
    return separator.join(parts)


def full_width_maybe(draw, text):
    return "".join(FULL_WIDTH.get(c, c) for c in text) if draw(st.booleans()) else text


KEYWORDS = [
    "密码",
    "密碼",
    "口令",
    "password",
    "Password",
    "PASSWORD",
    "pwd",
    "passwd",
    "我的密码",
    "登录密码",
    "my password",
]
CONNECTORS = [
    "是",
    "：",
    ":",
    " ",
    "　",
    "就是",
    "是：",
    "为",
    "=",
    " is ",
    "是 ",
    ": ",
    "设置成",
    "改成了",
    "就是：",
    " = ",
    "是“",
]
PREFIXES = [
    "",
    "你好，",
    "老师，我的",
    "帮我看看，",
    "職教雲帳號",
    "学信网账号",
    "第一",
    "统一",
    "我有两个问题：",
    "72小时后，",
]
SUFFIXES = [
    "",
    "，职教云怎么注销？",
    "一直收不到验证码",
    "。谢谢",
    " 72小时后还能登录吗",
    "是我的",
    "，3个工作日",
    "！！",
    "\n下一步",
    "吗",
]


@st.composite
def personal_data(draw):
    """(the secret, its kind, the secret as written)."""
    kind = draw(st.sampled_from(["phone", "id_number", "email", "password"]))
    if kind == "phone":
        number = draw(phone_numbers())
        written = draw(written_digits(number, [3, 4, 4]))
        if draw(st.integers(0, 5)) == 0:
            written = draw(st.sampled_from(["+86 ", "+86-", "86", "0086 "])) + written
        return number, kind, written
    if kind == "id_number":
        number = draw(id_numbers())
        return number, kind, draw(written_digits(number, [6, 8, 4]))
    if kind == "email":
        address = draw(email_addresses)
        if draw(st.booleans()):
            address = address.replace("@", "＠")
        if draw(st.booleans()):
            address = address.upper()
        return address.replace("＠", "@").lower(), kind, full_width_maybe(draw, address)
    value = draw(passwords())
    statement = draw(st.sampled_from(KEYWORDS)) + draw(st.sampled_from(CONNECTORS))
    return value, kind, full_width_maybe(draw, statement + value)


@st.composite
def messages(draw):
    """A Chinese sentence with one to three pieces of personal data in it."""
    found = draw(st.lists(personal_data(), min_size=1, max_size=3))
    text = draw(st.sampled_from(PREFIXES))
    for i, (_, _, written) in enumerate(found):
        # Two numbers glued together are one longer number: something lies between them.
        last = i == len(found) - 1
        text += written + draw(st.sampled_from(SUFFIXES if last else SUFFIXES[1:]))
    return text, found


# ---- the properties ----
@SETTINGS
@given(messages())
def test_no_generated_personal_datum_survives_redact(message):
    text, found = message
    secrets = [secret for secret, _, _ in found]
    assert not survivors(redact(text), secrets), (text, redact(text))


@SETTINGS
@given(messages())
def test_the_nlu_warns_about_what_the_store_masks(message):
    text, found = message
    kinds, seen_by_the_model = nlu_kinds(text)
    warned = {kind for _, kind, _ in found if kind in WARNED_KINDS}
    assert warned <= kinds, (text, kinds)
    assert set(mask(text)[1]) == kinds, text
    assert not survivors(seen_by_the_model, [s for s, k, _ in found if k in WARNED_KINDS])
    masked = find_personal_data(text, MASKS)
    for start, end, _ in find_personal_data(text, WARNED_KINDS):
        assert any(s <= start and end <= e for s, e, _ in masked), text


def events_carrying(text: str):
    """Every kind of event Rasa stores, each carrying the text in every field a user can reach."""
    metadata = {"customData": {"note": text}, "list": [text], text: 1}
    parse_data = {
        "text": text,
        "intent": {"name": "greet", "confidence": 0.9},
        "entities": [
            {"entity": "note", "value": text},
            {"entity": "contact", "value": {"text": text, "list": [text]}},
        ],
        "metadata": metadata,
    }
    return [
        SessionStarted(metadata=metadata),
        ActionExecuted("action_session_start", metadata=metadata),
        SlotSet("session_started_metadata", metadata),
        UserUttered(
            text,
            {"name": "greet", "confidence": 0.9},
            parse_data["entities"],
            parse_data=parse_data,
            input_channel=text,
            metadata=metadata,
        ),
        SlotSet("rehearsal_answer", text),
        BotUttered(
            text,
            {"buttons": [{"title": text, "payload": "/next"}], "custom": {"echo": [text]}},
            {"echo": text},
        ),
    ]


@SETTINGS
@given(messages())
def test_no_generated_personal_datum_survives_in_a_stored_event(message):
    text, found = message
    secrets = [secret for secret, _, _ in found]
    for event in events_carrying(text):
        stored = dumped(redacted(event))
        assert not survivors(stored, secrets), (type(event).__name__, stored)


def test_no_generated_personal_datum_reaches_the_database(tmp_path):
    database = tmp_path / "tracker.db"
    store = RedactingSQLTrackerStore(dialect="sqlite", db=str(database))

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(messages())
    def check(message):
        text, found = message
        sender = uuid.uuid4().hex
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, events_carrying(text))))
        with sqlite3.connect(database) as db:
            rows = db.execute("select * from events where sender_id = ?", (sender,)).fetchall()
        assert rows
        stored = "\n|\n".join(str(column) for row in rows for column in row)
        assert not survivors(stored, [secret for secret, _, _ in found]), (text, stored)

    check()


ORDINARY_PIECES = [
    "职教云",
    "怎么",
    "注销",
    "退出登录",
    "密码",
    "是",
    "多少",
    "怎么改",
    "忘记",
    "了",
    "72小时",
    "3个工作日",
    "180天",
    "2小时",
    "90天",
    "最多3个",
    "常用设备",
    "第一步",
    "一步一步",
    "学信网",
    "账号",
    "，",
    "。",
    "？",
    "2024年",
    "9月1日",
    "版本3.6",
    "密码是什么",
    "为什么",
    "十一月",
    "两三个",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(ORDINARY_PIECES), min_size=1, max_size=12))
def test_ordinary_sentences_are_left_alone(pieces):
    text = "".join(pieces)
    assert redact(text) == text
    assert nlu_kinds(text)[0] == set()
