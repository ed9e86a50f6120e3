"""No message text in a log record: what students wrote and what the bot answered is replaced by a
placeholder that says what was removed and how long it was (【消息 12字】), whatever logged it and
at whatever level. Intents, action names, slot names, ids and timings stay, so a DEBUG log still
tells what the bot did.

At DEBUG, Rasa logs the texts in a few shapes: JSON lines with \\u escapes ("parse_data_text": "…",
"current_states": "…user text: …", "rasa_events": ["BotUttered('…', …)"], "slot_values": "…", entities' "value": "…"), the
str() of events (UserUttered(text: …, intent: …), SlotSet(key: …, value: …)), dicts of slots and
events ('text': '…'). Each of these shapes is recognised and its text replaced, in English too;
anything left that is written in Chinese (or any non-ASCII script, raw or as \\uXXXX / \\xHH
escapes) is replaced wherever it stands.

Slot values are kept when they are the bot's own ids (icve, deregister, icve_logout_app: lower-case
ASCII), None, booleans or numbers; any other string is a placeholder (【槽值 5字】), and so is every
value of the slots that hold what someone typed (FREE_TEXT_SLOTS).

Time is linear in the length of the record (a 500 KB message must not stall logging, see
privacy/): every marker is found with str.find moving forwards, a text's end is found by one scan
from its start, markers inside a text already replaced are skipped, and a terminator's next
position is looked up again only once the scan has passed it.
"""

import re
from typing import Dict, List, Optional, Sequence, Text, Tuple

from privacy import MASKS

MESSAGE = "【消息 {}字】"
SLOT_VALUE = "【槽值 {}字】"
# Slots that hold what someone typed (domain.yml, actions/rehearsal.py): the trainee's name, their
# answers and the rehearsal's state with them. Any value of these is replaced.
FREE_TEXT_SLOTS = frozenset({"rehearsal_trainee", "rehearsal_answer", "rehearsal"})
# What the bot's own ids look like (a single character class: no backtracking).
BOT_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")
KEPT_WORDS = frozenset({"None", "True", "False", "null", "true", "false"})

# A quoted text follows these keys (in JSON, compact JSON as in socket.io packets, a Python dict,
# JSON inside a JSON string) and these words.
TEXT_KEYS = ("text", "parse_data_text", "message", "title")


def _keys(names: Sequence[Text]) -> Tuple[Text, ...]:
    return tuple(form for n in names for form in (f'"{n}":', f"'{n}':", f'\\"{n}\\":'))


QUOTED = (*_keys(TEXT_KEYS), "BotUttered(", "Received user message ")
# An unquoted text follows these, up to the first of their terminators.
UNQUOTED = {
    "UserUttered(text: ": (", intent: ",),
    "BotUttered(text: ": (", data: ",),
    # Rasa's states (the rule policy's "current_states"): the user's part comes first in a state.
    "user text: ": (" | previous action name: ", " | active loop: ", " | slots: ", "\\n[state ", '"'),
}
# A quoted value follows these (entities' values), kept when it is an id of the bot, like a slot's.
# The NLU's entities are words of the vocabulary (a typed slash command is read as text,
# channels/payloads.py), so a kept one-word lower-case value is the bot's, not someone's words.
VALUES = _keys(("value",))
SLOT_SET = "SlotSet(key: "
SLOT_SET_ENDS = (')"', ")'", ")\n", ")\\n", "), ", ").", ")]")
SLOT_VALUES = '"slot_values": "'
# From these to the end of the line: dicts of slot names and values.
SLOT_DICTS = ("Validating extracted slots: ", '"slot_candidates": ', '"prefilled_slots": ')
MARKERS = (*QUOTED, *UNQUOTED, *VALUES, SLOT_SET, SLOT_VALUES, *SLOT_DICTS)

Span = Tuple[int, int, Text]  # start, end, replacement


def scrub(message: Text) -> Text:
    """`message` with every message text in it replaced by a placeholder."""
    if message.isascii() and "\\" not in message and not any(m in message for m in MARKERS):
        return message
    spans = _shaped(message)
    out, at = [], 0
    for start, end, replacement in spans:
        out.append(_wide_runs(message, at, start))
        out.append(replacement)
        at = end
    out.append(_wide_runs(message, at, len(message)))
    return "".join(out)


class _Next:
    """Where a string next occurs at or after a position; positions asked for only grow, so each
    string is searched for once per occurrence."""

    def __init__(self, text: Text) -> None:
        self.text = text
        self.found: Dict[Text, int] = {}

    def at_or_after(self, needle: Text, position: int) -> int:
        known = self.found.get(needle)
        if known is None or (0 <= known < position):
            known = self.text.find(needle, position)
            self.found[needle] = known
        return known

    def first(self, needles: Sequence[Text], position: int) -> int:
        found = [i for i in (self.at_or_after(n, position) for n in needles) if i >= 0]
        return min(found) if found else -1


def _markers(message: Text) -> List[Tuple[int, Text]]:
    found = []
    for marker in MARKERS:
        i = message.find(marker)
        while i >= 0:
            found.append((i, marker))
            i = message.find(marker, i + len(marker))
    return sorted(found)


def _shaped(message: Text) -> List[Span]:
    """The texts in the known shapes, in order, not overlapping."""
    spans: List[Span] = []
    covered, nexts = 0, _Next(message)
    for position, marker in _markers(message):
        if position < covered:
            continue  # inside a text already replaced
        start = position + len(marker)
        if marker in QUOTED:
            span = _quoted(message, start)
        elif marker in VALUES:
            span = _value(message, start)
        elif marker in UNQUOTED:
            span = _unquoted(message, start, UNQUOTED[marker], nexts)
        elif marker == SLOT_SET:
            span = _slot_set(message, start, nexts)
        elif marker == SLOT_VALUES:
            span = _slot_values(message, start)
        else:
            end = nexts.at_or_after("\n", start)
            span = _slot_dict(message, start, len(message) if end < 0 else end)
        if span:
            spans.extend(span)
            covered = max(covered, span[-1][1])
    return spans


# ---- lengths and quoted strings -------------------------------------------------------------------


def _length(text: Text, start: int, end: int) -> int:
    """How many characters text[start:end] stands for: an escape (\\n, \\uXXXX, \\xHH) is one."""
    count, i = 0, start
    while i < end:
        width = _wide_at(text, i, end)
        if width:
            i += width
        elif text[i] == "\\" and i + 1 < end:
            i += 2
        else:
            i += 1
        count += 1
    return count


def _quote_at(text: Text, i: int) -> Optional[Text]:
    """The quote that opens a string at text[i]: ", ', or \\" (a string inside a JSON string)."""
    if text[i : i + 1] in ('"', "'"):
        return text[i]
    if text[i : i + 2] in ('\\"', "\\'"):
        return text[i : i + 2]
    return None


def _closing(text: Text, start: int, quote: Text) -> int:
    """Where the string whose content starts at `start` ends (its closing quote), or len(text)."""
    n, i = len(text), start
    if len(quote) == 1:
        while i < n:
            c = text[i]
            if c == "\\":
                i += 2
            elif c == quote:
                return i
            else:
                i += 1
        return n
    # Inside a JSON string: \\ is one backslash of the inner string, \" its quote.
    inner_escape = False
    while i < n:
        if text[i] == "\\" and i + 1 < n:
            char, width = text[i + 1], 2
        else:
            char, width = text[i], 1
        if inner_escape:
            inner_escape = False
        elif width == 2 and char == "\\":
            inner_escape = True
        elif width == 2 and char == quote[1]:
            return i
        i += width
    return n


def _quoted(text: Text, start: int) -> List[Span]:
    start += text.startswith(" ", start)  # "text": "…" or "text":"…"
    quote = _quote_at(text, start)
    if quote is None:
        return []
    begin = start + len(quote)
    end = _closing(text, begin, quote)
    return [(begin, end, MESSAGE.format(_length(text, begin, end)))]


def _value(text: Text, start: int) -> List[Span]:
    start += text.startswith(" ", start)
    quote = _quote_at(text, start)
    if quote is None:
        return []
    begin = start + len(quote)
    end = _closing(text, begin, quote)
    if BOT_ID.fullmatch(text[begin:end]):
        return [(end, end, "")]
    return [(begin, end, SLOT_VALUE.format(_length(text, begin, end)))]


def _unquoted(text: Text, start: int, ends: Sequence[Text], nexts: _Next) -> List[Span]:
    end = nexts.first(ends, start)
    while end > start and text[end] == '"' and text[end - 1] == "\\":  # a quote inside the text
        end = nexts.first(ends, end + 1)
    end = len(text) if end < 0 else end
    return [(start, end, MESSAGE.format(_length(text, start, end)))] if end > start else []


# ---- slots --------------------------------------------------------------------------------------


def _kept(value: Text) -> bool:
    """A slot value that is no one's words: an id of the bot, None, a boolean, a number."""
    if value in KEPT_WORDS or BOT_ID.fullmatch(value):
        return True
    try:
        float(value)
        return len(value) < 32
    except ValueError:
        return False


def _slot_value(text: Text, slot: Text, start: int, end: int) -> List[Span]:
    """The spans to replace in the value of `slot` at text[start:end]."""
    value = text[start:end].strip()
    if slot in FREE_TEXT_SLOTS and value not in KEPT_WORDS:
        return [(start, end, SLOT_VALUE.format(_length(text, start, end)))]
    if value[:1] in ("{", "[", "("):
        return _slot_dict(text, start, end)
    if _kept(value):
        return []
    return [(start, end, SLOT_VALUE.format(_length(text, start, end)))]


def _slot_set(text: Text, start: int, nexts: _Next) -> List[Span]:
    """SlotSet(key: K, value: V)"""
    separator = nexts.at_or_after(", value: ", start)
    if separator < 0:
        return []
    slot, begin = text[start:separator], separator + len(", value: ")
    end = nexts.first(SLOT_SET_ENDS, begin)
    end = (len(text) - 1 if text.endswith(")") else len(text)) if end < 0 else end
    return _slot_value(text, slot, begin, end) or [(begin, begin, "")]


def _slot_values(text: Text, start: int) -> List[Span]:
    """Rasa's "slot_values": "\\tplatform: icve\\n\\tlast_goal: None\\n…" (a JSON string)."""
    end = _closing(text, start, '"')
    spans: List[Span] = []
    i = start
    while i < end:
        line_end = text.find("\\n", i, end)
        line_end = end if line_end < 0 else line_end
        line = i + 2 if text.startswith("\\t", i) else i
        colon = text.find(": ", line, line_end)
        if colon >= 0:
            spans.extend(_slot_value(text, text[line:colon], colon + 2, line_end))
        i = line_end + 2
    return spans or [(end, end, "")]


def _slot_dict(text: Text, start: int, end: int) -> List[Span]:
    """Quoted strings in text[start:end], a dict (or list) of slots: keys and ids are kept, other
    strings and every value of a FREE_TEXT_SLOTS key are replaced."""
    spans: List[Span] = []
    i, key = start, ""
    while i < end:
        quote = _quote_at(text, i)
        if quote is None:
            i += 1
            continue
        begin = i + len(quote)
        close = min(_closing(text, begin, quote), end)
        after = close + len(quote)
        content = text[begin:close]
        is_key = text.startswith(":", after)
        if is_key:
            key = content
        if (not is_key and key in FREE_TEXT_SLOTS) or not BOT_ID.fullmatch(content):
            kind = MESSAGE if key in ("text", "message") else SLOT_VALUE
            spans.append((begin, close, kind.format(_length(text, begin, close))))
        i = after
    return spans or [(end, end, "")]


# ---- whatever is left: runs of Chinese (or any non-ASCII script) --------------------------------

GAP = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.?!-")
ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
HEX = frozenset("0123456789abcdefABCDEF")
# privacy/'s masks (【手机号】) stay where they stand outside a message text: they tell what was there.
KEPT_MASKS = tuple(MASKS.values())


def _wide_at(text: Text, i: int, end: int) -> int:
    """The width of a non-ASCII character at text[i], raw or escaped (\\uXXXX, \\xHH, and the
    same escaped again inside a JSON string: \\\\uXXXX), or 0."""
    c = text[i]
    if not c.isascii():
        return 0 if c.isspace() else 1
    if c != "\\":
        return 0
    j = i
    while j < end and text[j] == "\\" and j - i < 8:
        j += 1
    kind = text[j : j + 1]
    digits = text[j + 1 : j + (5 if kind == "u" else 3 if kind == "x" else 1)]
    if len(digits) in (2, 4) and all(d in HEX for d in digits) and int(digits, 16) >= 0x80:
        return j + 1 + len(digits) - i if j + 1 + len(digits) <= end else 0
    return 0


def _wide_runs(text: Text, start: int, end: int) -> Text:
    """text[start:end] with each run of non-ASCII writing replaced (with the Latin letters and
    digits inside it or attached to it: 职教云APP怎么注销)."""
    part = text[start:end]
    if part.isascii() and "\\" not in part:
        return part
    out, i, copied = [], start, start
    while i < end:
        width = _wide_at(text, i, end)
        if not width:
            i += 1
            continue
        mask = next((m for m in KEPT_MASKS if text.startswith(m, i)), None) if text[i] == "【" else None
        if mask:
            i += len(mask)
            continue
        run_start = i
        while run_start > copied and text[run_start - 1] in ALNUM:
            run_start -= 1
        if run_start > copied and text[run_start - 1] == "\\":
            run_start = i  # those letters belong to an escape (\n, \u0041)
        run_end, i = i + width, i + width
        while i < end:
            width = _wide_at(text, i, end)
            if width:
                i += width
                run_end = i
            elif text[i] in GAP:
                i += 1
            else:
                break
        while run_end < end and text[run_end] in ALNUM:
            run_end += 1
        out.append(text[copied:run_start])
        out.append(MESSAGE.format(_length(text, run_start, run_end)))
        copied = i = run_end
    out.append(text[copied:end])
    return "".join(out)
