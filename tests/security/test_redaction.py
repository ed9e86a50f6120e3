"""Issue 15, findings 3 and 8 (logs): personal data in every form a student writes it is warned
about by the NLU and masked wherever it is stored or logged (privacy/, nlu_components/privacy.py,
stores/redacting.py, server/__init__.py). Finding 2 (time) is in test_redaction_timing.py, the
generated forms in test_redaction_properties.py, the real servers in test_privacy_e2e.py.

`revealed()` is the tests' own reading of a text, written apart from privacy/ so that it can judge
it: escapes decoded, NFKC, simplified characters, lower case, Chinese numerals read as digits,
separators removed. No secret may survive it.
"""

import json
import logging
import re
import unicodedata
from pathlib import Path

import pytest
import zhconv
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.nlu.training_data.message import Message

from nlu_components.normalizer import normalize
from nlu_components.privacy import PersonalDataFilter
from privacy import MASKS, WARNED_KINDS, find_personal_data, mask, redact
from server import redact_log_records
from stores.redacting import redacted

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]

# ---- the tests' own reading of a text ----
CHINESE_DIGITS = {
    character: str(digit)
    for digit, characters in enumerate(
        ("零〇○", "一幺壹", "二两贰", "三叁", "四肆", "五伍", "六陆", "七柒", "八捌", "九玖")
    )
    for character in characters
}
ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
SEPARATORS = re.compile(r"[\s\-._·/—–~]+")


def unescaped(text: str) -> str:
    """JSON and Python \\uXXXX escapes decoded (surrogate pairs joined)."""
    decoded = ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return decoded.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def revealed(text: str) -> str:
    """What a reader makes of a text."""
    text = zhconv.convert(unicodedata.normalize("NFKC", unescaped(text)), "zh-cn").lower()
    text = "".join(CHINESE_DIGITS.get(c, c) for c in text)
    return SEPARATORS.sub("", text)


def survivors(text: str, secrets) -> list:
    """The secrets a reader can still find in text."""
    seen = revealed(text)
    return [s for s in secrets if revealed(s) in seen]


def nlu_replacements():
    """The normaliser's typo list (data/vocabulary.yml)."""
    from knowledge.vocabulary import load_vocabulary

    return load_vocabulary().typos


def nlu_kinds(raw: str):
    """What the NLU warns about (normaliser, then the privacy filter), and the text it goes on
    with."""
    message = Message(data={"text": normalize(raw, nlu_replacements())})
    PersonalDataFilter({}).process([message])
    kinds = {e["value"] for e in message.get("entities") or [] if e["entity"] == "personal_data"}
    return kinds, message.get("text")


def strings_in(value) -> list:
    """Every string a stored value holds (keys too), numbers as text; not JSON, whose escaping of
    a backslash would hide a \\u escape from `revealed()`."""
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in strings_in(key) + strings_in(item)]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in strings_in(item)]
    return [] if value is None else [str(value)]


def dumped(event: Event) -> str:
    return "\n|\n".join(strings_in(event.as_dict()))  # "|": fields are not joined into a number


# ---- the forms of the probe ----
PHONE, PASSWORD, EMAIL = "13812345678", "Abc12345x", "name@qq.com"
VALID_ID = "11010519491231002X"

# (written form, the secret, the kind the NLU warns about: None for e-mail addresses, which are
# masked when stored but not warned about)
WARNED_BUT_STORED_RAW = [
    ("密码：Abc12345x", PASSWORD, "password"),
    ("密碼是Abc12345x", PASSWORD, "password"),
    ("１３８１２３４５６７８", PHONE, "phone"),
    ("138　1234　5678", PHONE, "phone"),
]
NEITHER_WARNED_NOR_MASKED = [
    ("密码 Abc12345x", PASSWORD, "password"),
    ("我的密码是：Abc12345x", PASSWORD, "password"),
    ("密码就是Abc12345x", PASSWORD, "password"),
    ("my password is Abc12345x", PASSWORD, "password"),
    ("138.1234.5678", PHONE, "phone"),
    ("1 3 8 1 2 3 4 5 6 7 8", PHONE, "phone"),
    ("一三八一二三四五六七八", PHONE, "phone"),
    ("幺三八幺二三四五六七八", PHONE, "phone"),
    ("name＠qq.com", EMAIL, None),
]
FORMS = WARNED_BUT_STORED_RAW + NEITHER_WARNED_NOR_MASKED
IN_A_SENTENCE = "老师好，{}，职教云怎么注销？"


@pytest.mark.parametrize("form, secret, kind", FORMS, ids=[f[0] for f in FORMS])
def test_the_nlu_warns_about_every_form(form, secret, kind):
    for text in (form, IN_A_SENTENCE.format(form)):
        kinds, seen_by_the_model = nlu_kinds(text)
        if kind:
            assert kind in kinds, text
            assert not survivors(seen_by_the_model, [secret]), seen_by_the_model


@pytest.mark.parametrize("form, secret, kind", FORMS, ids=[f[0] for f in FORMS])
def test_the_store_masks_every_form(form, secret, kind):
    for text in (form, IN_A_SENTENCE.format(form)):
        assert not survivors(redact(text), [secret]), redact(text)
        event = UserUttered(
            text,
            {"name": "icve_deregister", "confidence": 0.9},
            parse_data={"text": text, "intent": {"name": "icve_deregister"}, "entities": []},
        )
        assert not survivors(dumped(redacted(event)), [secret])


@pytest.mark.parametrize("form, secret, kind", FORMS, ids=[f[0] for f in FORMS])
def test_what_is_warned_about_is_what_is_masked(form, secret, kind):
    """One detector: the kinds found in the raw text (the store) and in the normalised text (the
    NLU) are the same, and every warned finding lies inside what the store masks."""
    text = IN_A_SENTENCE.format(form)
    raw_kinds = set(mask(text, WARNED_KINDS)[1])
    assert raw_kinds == nlu_kinds(text)[0]
    masked = find_personal_data(text, MASKS)
    for start, end, _ in find_personal_data(text, WARNED_KINDS):
        assert any(s <= start and end <= e for s, e, _ in masked)


# ---- every stored field of every event ----
METADATA = {
    "phone": PHONE,
    "nested": [{"mail": EMAIL}, "密码：Abc12345x"],
    PHONE: "as a key",
    "number": 13812345678,
}
SECRETS = [PHONE, EMAIL, PASSWORD]


def test_metadata_and_input_channel_of_a_user_message_are_redacted():
    event = UserUttered(
        "你好",
        {"name": "greet", "confidence": 0.98},
        parse_data={
            "text": "你好",
            "intent": {"name": "greet"},
            "entities": [],
            "metadata": METADATA,
            "message_id": "m1",
        },
        input_channel=f"rest {PHONE}",
        message_id="m1",
        metadata=METADATA,
    )
    stored = redacted(event)
    assert not survivors(dumped(stored), SECRETS), dumped(stored)


def test_session_started_metadata_is_redacted_wherever_rasa_copies_it():
    for event in (
        SessionStarted(metadata=METADATA),
        SlotSet("session_started_metadata", METADATA),
        ActionExecuted("action_session_start", metadata=METADATA),
    ):
        assert not survivors(dumped(redacted(event)), SECRETS), dumped(redacted(event))


def test_bot_messages_text_data_and_metadata_are_redacted():
    bot = BotUttered(
        f"你的手机号是{PHONE}吗？密码：Abc12345x",
        {"buttons": [{"title": EMAIL, "payload": "/inform"}], "custom": {"echo": "一三八一二三四五六七八"}},
        {"utter_action": "utter_x", "echo": PHONE},
    )
    assert not survivors(dumped(redacted(bot)), SECRETS), dumped(redacted(bot))


def test_an_echo_of_escaped_digits_is_redacted():
    escaped = "".join(f"\\u{ord(d):04x}" for d in PHONE)  # the text \u0031\u0033\u0038…
    for event in (BotUttered(f"你说的是：{escaped}"), UserUttered(escaped)):
        assert not survivors(dumped(redacted(event)), [PHONE]), dumped(redacted(event))


def test_entities_of_any_type_are_redacted():
    entities = [
        {"entity": "contact", "value": {"phone": PHONE, "mail": [EMAIL]}},
        {"entity": "numbers", "value": [PHONE]},
        {"entity": "number", "value": 13812345678},
        {"entity": "personal_data", "value": "phone"},
    ]
    event = UserUttered(
        "/inform",
        {"name": "inform", "confidence": 1.0},
        entities,
        parse_data={"text": "/inform", "intent": {"name": "inform"}, "entities": entities},
    )
    stored = redacted(event).as_dict()
    assert not survivors(dumped(redacted(event)), [PHONE, EMAIL])
    assert stored["parse_data"]["entities"][3] == {"entity": "personal_data", "value": "phone"}


def test_ids_names_and_times_are_kept():
    # A message id made of hex digits can look like a card or phone number: it is an id, not data.
    message_id = "13812345678901234abcdef012345678"
    event = UserUttered(
        f"手机{PHONE}",
        {"name": "icve_logout", "confidence": 0.93},
        parse_data={
            "text": f"手机{PHONE}",
            "message_id": message_id,
            "intent": {"name": "icve_logout", "confidence": 0.93},
            "intent_ranking": [{"name": "icve_logout", "confidence": 0.93}],
            "entities": [
                {
                    "entity": "platform",
                    "value": "icve",
                    "start": 0,
                    "end": 3,
                    "confidence_entity": 0.9,
                    "extractor": "RegexEntityExtractor",
                }
            ],
        },
        input_channel="rest",
        message_id=message_id,
        timestamp=1733012345.6789,
    )
    stored = redacted(event).as_dict()
    original = event.as_dict()
    assert stored["text"] == stored["parse_data"]["text"] == "手机【手机号】"
    for key in ("event", "timestamp", "message_id", "input_channel"):
        assert stored[key] == original[key]
    for key in ("intent", "intent_ranking", "entities", "message_id"):
        assert stored["parse_data"][key] == original["parse_data"][key]
    action = ActionExecuted(
        "action_answer", policy="policy_0_RulePolicy", confidence=0.99, timestamp=1733012345.5
    )
    assert redacted(action).as_dict() == action.as_dict()
    slot = SlotSet("platform", "icve", timestamp=1733012345.5)
    assert redacted(slot) is slot


# ---- logs at DEBUG, where Rasa writes JSON with \u escapes ----
def test_debug_log_lines_with_json_escaped_chinese_are_redacted(caplog):
    redact_log_records()
    parse = {"text": "我的密码是Abc12345x，手机一三八一二三四五六七八", "intent": {"name": "greet"}}
    with caplog.at_level(logging.DEBUG):
        logger = logging.getLogger("rasa.core.processor")
        logger.debug(json.dumps({"event": "processor.message.parse", "parse_data": parse}))
        logger.debug(
            "Received user message '%s' with intent '%s'", json.dumps(parse["text"]), parse["intent"]
        )
    assert "Abc12345x" not in caplog.text
    assert not survivors(caplog.text, [PASSWORD, PHONE]), caplog.text
    # The message itself is gone too (server/log_scrub.py), what the bot made of it stays.
    assert "\\u6211\\u7684" not in caplog.text and "我的" not in caplog.text
    assert '"parse_data": {"text": "【消息 ' in caplog.text and "greet" in caplog.text


def test_personal_data_outside_a_message_text_is_redacted_in_logs(caplog):
    # Ids and other words a log line keeps are still masked: a sender id that is a phone number.
    redact_log_records()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("rasa.core.lock_store").debug(f"Acquired lock for conversation '{PHONE}'.")
    assert "Acquired lock for conversation '【手机号】'." in caplog.text


def test_a_logged_exception_is_redacted(caplog):
    redact_log_records()
    with caplog.at_level(logging.DEBUG):
        try:
            raise ValueError(f"cannot parse '密码是Abc12345x' from {PHONE}")
        except ValueError:
            logging.getLogger("rasa.core.processor").exception("parse failed")
    assert "parse failed" in caplog.text
    assert not survivors(caplog.text, [PASSWORD, PHONE]), caplog.text


# ---- what must stay as it is ----
ORDINARY = [
    "密码是多少",
    "密码怎么改",
    "忘记密码了怎么办",
    "我的密码是什么",
    "密码是不是区分大小写",
    "密码为什么总是错误",
    "新密码要8-16位",
    "密码至少8位",
    "密码是6位数字吗",
    "密码：忘了",
    "password is wrong",
    "72小时后重新登录",
    "3个工作日",
    "注销后180天才能重新注册",
    "最多3个常用设备",
    "2小时内",
    "90天",
    "课程编号2023010203",
    "第一二三章",
    "一一对应",
    "我有两三个账号",
    "十一月十三日",
    "2024-09-01 12:30",
    "版本3.6.21",
    "我的学号是2023123456",
    "订单号1381234567890",
    "12345678901",
    "110105194912310021",
    "QQ群：12345678",
    "智慧职教APP怎么退出登录",
    "学信网账号能借给同学用吗",
    "一步一步教我退出智慧职教",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_questions_are_left_alone(text):
    assert mask(text) == (text, [])
    assert nlu_kinds(text)[0] == set()
    if not any(c.isdigit() for c in text) or len(re.sub(r"\D", "", text)) < 13:
        assert redact(text) == text


def test_the_store_remembers_only_strings_without_personal_data():
    """stores/redacting.py remembers the strings redact() found nothing in (a save's keys, names
    and the bot's answers come back every message): a string with personal data is never among
    them, a remembered string is stored as redact() would store it, and the memory is bounded."""
    from stores import redacting

    redacting._clean.clear()
    secrets = [form for form, _, _ in FORMS] + [IN_A_SENTENCE.format(form) for form, _, _ in FORMS]
    for text in secrets * 2:
        event = UserUttered(text, {"name": "icve_deregister"}, parse_data={"text": text, "entities": []})
        assert not survivors(dumped(redacted(event)), [text]), text
    remembered = set(redacting._clean)
    assert remembered and not any(find_personal_data(text, MASKS) for text in remembered)
    assert not set(secrets) & remembered
    for text in remembered:
        assert redacting.redacted_text(text) == redact(text) == text
    for k in range(redacting.CLEAN_STRINGS + 10):
        redacting.redacted_text(f"第{k}个问题")
    assert len(redacting._clean) == redacting.CLEAN_STRINGS
    assert (
        "第0个问题" not in redacting._clean and f"第{redacting.CLEAN_STRINGS + 9}个问题" in redacting._clean
    )
