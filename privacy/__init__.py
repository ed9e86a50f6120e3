"""Personal data: the one place where it is defined, found and masked. Plain Python (and zhconv),
no Rasa import, so that every process (NLU, tracker store, logs, reports) can use it cheaply.

`mask()` with the default kinds is what the NLU applies (nlu_components/privacy.py): the classifier
only sees 【身份证号】, 【手机号】, 【密码】, and the bot warns about those. `redact()` masks every kind,
e-mail addresses and bank card numbers too: it is applied to whatever is stored or logged
(stores/redacting.py, server/), and to the staff reports.

One detector for all of them. It reads a canonical view of the text, the same whether it gets what
the student typed (the store, the logs) or what the NLU's normaliser made of it: \\uXXXX and \\xHH
escapes decoded (JSON logs, an echo), NFKC (full-width letters, digits, colons, ＠, ideographic
spaces), traditional characters simplified (密碼), ASCII lower case, Chinese numerals read as digits
(一三八…, 幺, 〇). Every finding is mapped back to the characters of the text it came from, so what
the NLU warns about is exactly what the store masks.

- Numbers: runs of digits joined by at most three separators (spaces, - . _ / ·), or written one
  digit at a time, or in Chinese numerals mixed with digits. A mobile number is 11 digits starting
  1[3-9] (or with 86 / 0086 in front); an ID number 17 digits and a check character that fits
  (GB 11643); a bank card 13 to 19 digits in one piece or in equal groups.
- E-mail addresses are found from their '@', reading at most 64 characters to the left and 253 to
  the right.
- Passwords: 密码 / 口令 / password / passwd / pwd, then a connector (是, 就是, 为, 设置成, :, =,
  is, …) and a value that looks like one; with only a space in between ("密码 Abc12345") the
  value needs a digit. "密码是多少", "密码怎么改", "忘记密码了怎么办" are questions, not passwords.

Time is linear in the length of the text: one pass to build the canonical view, and every finding
is looked at within a bounded window (19 digits, 64 + 253 characters around an '@', 16 characters
of connector). The only regular expression is a single character class.
"""

import re
import unicodedata
from bisect import bisect_right
from typing import Dict, Iterable, List, Optional, Text, Tuple

ID_NUMBER, PHONE, PASSWORD = "id_number", "phone", "password"
EMAIL, BANK_CARD = "email", "bank_card"
MASKS = {
    ID_NUMBER: "【身份证号】",
    PHONE: "【手机号】",
    PASSWORD: "【密码】",
    EMAIL: "【邮箱】",
    BANK_CARD: "【银行卡号】",
}
# What the bot warns about in a message; storage and logs redact every kind in MASKS.
WARNED_KINDS = (ID_NUMBER, PHONE, PASSWORD)
KIND_ORDER = {kind: order for order, kind in enumerate(MASKS)}

# Resident ID: 17 digits and a check character (GB 11643).
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK_CHARACTERS = "10X98765432"

Finding = Tuple[int, int, Text]


def valid_id_number(candidate: Text) -> bool:
    if len(candidate) != 18 or not all(c in DIGITS for c in candidate[:17]):
        return False
    total = sum(int(d) * w for d, w in zip(candidate[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARACTERS[total % 11] == candidate[17].upper()


# ---- the canonical view -------------------------------------------------------------------------

DIGITS = frozenset("0123456789")
HEX = frozenset("0123456789abcdefABCDEF")
CHINESE_NUMERALS = {
    character: str(digit)
    for digit, characters in enumerate(
        ("零〇○", "一幺壹", "二两贰", "三叁", "四肆", "五伍", "六陆", "七柒", "八捌", "九玖")
    )
    for character in characters
}
MAX_CACHED_CHARACTERS = 50_000
_canonical_characters: Dict[Text, Tuple[Text, bool]] = {}


def _simplified(text: Text) -> Optional[Text]:
    """Traditional characters as simplified ones, or None while zhconv cannot be used yet (a log
    record made while it is being imported)."""
    try:
        import zhconv  # imported on first use: no work at import time

        return zhconv.convert(text, "zh-cn")
    except (ImportError, AttributeError):
        return None


def _canonical_character(char: Text) -> Tuple[Text, bool]:
    """What one character reads as, and whether it is a Chinese numeral."""
    known = _canonical_characters.get(char)
    if known is not None:
        return known
    text, cache = unicodedata.normalize("NFKC", char), True
    if not text.isascii():
        simplified = _simplified(text)
        text, cache = (text, False) if simplified is None else (simplified, True)
    if text in CHINESE_NUMERALS:
        known = (CHINESE_NUMERALS[text], True)
    else:
        out = []
        for c in text:
            if "A" <= c <= "Z":
                c = c.lower()
            elif not c.isascii() and c.isdecimal():
                c = str(unicodedata.decimal(c))
            out.append(c)
        known = ("".join(out), False)
    if cache and len(_canonical_characters) < MAX_CACHED_CHARACTERS:
        _canonical_characters[char] = known
    return known


def _hex_at(text: Text, start: int, count: int) -> Optional[int]:
    digits = text[start : start + count]
    if len(digits) != count or not all(c in HEX for c in digits):
        return None
    return int(digits, 16)


def _escape_at(text: Text, i: int) -> Optional[Tuple[Text, int]]:
    """The character an escape at text[i] (a backslash) stands for, and the escape's length:
    \\uXXXX (with a surrogate pair joined), \\UXXXXXXXX, \\xHH (UTF-8 bytes joined)."""
    kind = text[i + 1 : i + 2]
    if kind == "u":
        code = _hex_at(text, i + 2, 4)
        if code is None:
            return None
        if 0xD800 <= code < 0xDC00 and text[i + 6 : i + 8] == "\\u":
            low = _hex_at(text, i + 8, 4)
            if low is not None and 0xDC00 <= low < 0xE000:
                return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), 12
        return chr(code), 6
    if kind == "U":
        code = _hex_at(text, i + 2, 8)
        return (chr(code), 10) if code is not None and code <= 0x10FFFF else None
    if kind == "x":
        first = _hex_at(text, i + 2, 2)
        if first is None:
            return None
        length = (
            2 if 0xC0 <= first < 0xE0 else 3 if 0xE0 <= first < 0xF0 else 4 if 0xF0 <= first < 0xF8 else 1
        )
        data, at = [first], i + 4
        while len(data) < length and text[at : at + 2] == "\\x":
            byte = _hex_at(text, at + 2, 2)
            if byte is None:
                break
            data.append(byte)
            at += 4
        if len(data) == length and length > 1:
            try:
                return bytes(data).decode("utf-8"), at - i
            except UnicodeDecodeError:
                pass
        return chr(first), 4
    return None


class _View:
    """The canonical text, where each of its characters came from in the original text, and which
    of them are Chinese numerals. `starts`/`ends` are None when they are the identity."""

    __slots__ = ("text", "starts", "ends", "numerals")

    def __init__(
        self,
        text: Text,
        starts: Optional[List[int]] = None,
        ends: Optional[List[int]] = None,
        numerals: Optional[bytearray] = None,
    ) -> None:
        self.text, self.starts, self.ends, self.numerals = text, starts, ends, numerals

    def original(self, start: int, end: int) -> Tuple[int, int]:
        if self.starts is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def _canonical(text: Text) -> _View:
    if text.isascii() and "\\" not in text:
        return _View(text.lower())
    if "\\" not in text:  # no escapes: one character at a time, often one for one
        known = _canonical_characters.get
        read = [known(c) or _canonical_character(c) for c in text]
        canonical = "".join([r[0] for r in read])
        if len(canonical) == len(text):
            numerals = bytearray([r[1] for r in read])
            return _View(canonical, numerals=numerals if 1 in numerals else None)
    chars: List[Text] = []
    starts: List[int] = []
    ends: List[int] = []
    numerals = bytearray()
    i, n = 0, len(text)
    while i < n:
        char, width = text[i], 1
        if char == "\\":
            escape = _escape_at(text, i)
            if escape is not None:
                char, width = escape
        canonical, numeral = _canonical_character(char)
        for c in canonical:
            chars.append(c)
            starts.append(i)
            ends.append(i + width)
            numerals.append(numeral)
        i += width
    return _View("".join(chars), starts, ends, numerals)


# ---- numbers ------------------------------------------------------------------------------------

DIGIT_RUN = re.compile(r"[0-9]+")  # one character class: linear
SEPARATORS = frozenset(" \t-._/·—–~")
MAX_SEPARATORS = 3  # "138 - 1234 - 5678"
MAX_DIGITS = 19
MOBILE_SECOND_DIGITS = frozenset("3456789")
# A bank card in groups: 4 (6222 0213 4567 8901 234) up to 6 digits a group.
MIN_CARD_GROUP, MAX_CARD_GROUP = 3, 6
# GB 11643: six digits of region, then the year of birth.
BIRTH_CENTURIES = frozenset({"18", "19", "20"})


def _segments(view: _View) -> List[Tuple[int, int, Text]]:
    """Runs of digits; a Chinese numeral is a run of its own, so that 一直 after a number or 统一
    before it does not hide it."""
    text, numerals = view.text, view.numerals
    segments = []
    for match in DIGIT_RUN.finditer(text):
        start, end = match.span()
        if numerals is None or numerals.find(1, start, end) == -1:
            segments.append((start, end, match.group()))
            continue
        at = start
        for position in range(start, end):
            if numerals[position]:
                if at < position:
                    segments.append((at, position, text[at:position]))
                segments.append((position, position + 1, text[position]))
                at = position + 1
        if at < end:
            segments.append((at, end, text[at:end]))
    return segments


def _joined(text: Text, end: int, start: int) -> Optional[bool]:
    """How two runs of digits are joined: False (nothing between: digits and Chinese numerals),
    True (by separators: a new group), or None (they are not one number)."""
    if end == start:
        return False
    if start - end == 1:
        return True if text[end] in SEPARATORS else None
    if start - end > MAX_SEPARATORS:
        return None
    return True if SEPARATORS.issuperset(text[end:start]) else None


def _fraction(text: Text, start: int) -> bool:
    """Whether the digits at `start` are the decimals of a number (0.7836730406817504: a
    confidence in a log line, not a bank card)."""
    return start >= 2 and text[start - 1] == "." and text[start - 2] in DIGITS


def _check_character_end(text: Text, end: int) -> Optional[int]:
    """Where an X after 17 digits (maybe after a separator or two) ends, if there is one."""
    at = end
    while at < len(text) and at - end < MAX_SEPARATORS and text[at] in SEPARATORS:
        at += 1
    return at + 1 if text[at : at + 1] == "x" else None


class _Chain:
    """Runs of digits joined into one number-like piece: their digits one after the other, where
    each run starts in them, and where a new group starts (after separators)."""

    def __init__(self, segments: List[Tuple[int, int, Text]], groups: List[int]) -> None:
        self.segments = segments
        self.digits = "".join(run for _, _, run in segments)
        self.boundary: Dict[int, int] = {}  # offset in digits -> index of the run ending there
        offset = 0
        for index, (_, _, run) in enumerate(segments):
            offset += len(run)
            self.boundary[offset] = index
        self.groups = groups  # offsets where a new group starts (after separators), ascending
        self.boundaries = groups + [len(self.digits)]  # ... and where the last one ends

    def end_of(self, offset: int) -> Optional[int]:
        """Where (in the canonical text) the run ending at this offset of the digits ends."""
        index = self.boundary.get(offset)
        return None if index is None else self.segments[index][1]

    def group_sizes(self, start: int, end: int) -> List[int]:
        """The sizes of the groups the digits from `start` to `end` are written in."""
        cuts, g = [start], bisect_right(self.groups, start)
        while g < len(self.groups) and self.groups[g] < end:
            cuts.append(self.groups[g])
            g += 1
        cuts.append(end)
        return [b - a for a, b in zip(cuts, cuts[1:], strict=False)]

    def written_as_phone(self, start: int, end: int) -> bool:
        """In one piece, in groups of at most four (138 1234 5678, 1 3 8 …), or 3 + 8 or 7 + 4;
        not a time stamp (1733012345.5)."""
        sizes = self.group_sizes(start, end)
        return len(sizes) == 1 or max(sizes) <= 4 or sizes in ([3, 8], [7, 4])

    def card_end(self, start: int) -> Optional[int]:
        """The longest bank card number (13 to 19 digits) from this offset: one piece, or groups
        of equal length, the last one maybe shorter."""
        digits, boundaries = len(self.digits), self.boundaries
        g = bisect_right(self.groups, start)
        first = boundaries[g] - start
        if first >= 13:  # one piece
            for size in range(min(first, MAX_DIGITS), 12, -1):
                if start + size in self.boundary:
                    return self.end_of(start + size)
            return None
        if not MIN_CARD_GROUP <= first <= MAX_CARD_GROUP:
            return None
        total, at, best = first, boundaries[g], None
        while at < digits:
            following = boundaries[g + 1] - at
            size = min(following, first, MAX_DIGITS - total)
            while size > 0 and at + size not in self.boundary:
                size -= 1
            if size <= 0:
                break
            total, at = total + size, at + size
            if total >= 13:
                best = at
            if size < first or size < following:
                break  # a shorter group ends the number
            g += 1
        return None if best is None else self.end_of(best)


def _chains(view: _View) -> List[_Chain]:
    segments, text = _segments(view), view.text
    chains, at, count = [], 0, len(segments)
    while at < count:
        members, groups, offset = [segments[at]], [], len(segments[at][2])
        while at + 1 < count:
            end, start = segments[at][1], segments[at + 1][0]
            if start - end == 1:  # the usual case: one character between
                if text[end] not in SEPARATORS:
                    break
                groups.append(offset)
            elif start != end:
                joined = _joined(text, end, start)
                if joined is None:
                    break
                groups.append(offset)
            at += 1
            members.append(segments[at])
            offset += len(segments[at][2])
        at += 1
        if offset >= 11:  # shorter than a mobile number: nothing
            chains.append(_Chain(members, groups))
    return chains


PHONE_PREFIX_BY_FIRST_DIGIT = {"1": "", "8": "86", "0": "0086"}


def _numbers(view: _View, kinds: Iterable[Text]) -> List[Finding]:
    """ID, mobile and bank card numbers. Each start of a run of digits is tried once, with a
    fixed number of checks (digits are looked up by their offset, not read again)."""
    want_id, want_phone, want_card = (k in kinds for k in (ID_NUMBER, PHONE, BANK_CARD))
    text, found = view.text, []
    for chain in _chains(view):
        digits, offset, boundary = chain.digits, 0, chain.boundary
        groups, g = chain.boundaries, 0
        for start_segment, _, run in chain.segments:
            start, offset = offset, offset + len(run)
            if len(digits) - start < 11:
                break
            while groups[g] <= start:
                g += 1
            end, kind = None, None
            if want_id and digits[start + 6 : start + 8] in BIRTH_CENTURIES:
                if start + 18 in boundary and valid_id_number(digits[start : start + 18]):
                    end, kind = chain.end_of(start + 18), ID_NUMBER
                elif start + 17 in boundary:
                    check = _check_character_end(text, chain.end_of(start + 17))
                    if check is not None and valid_id_number(digits[start : start + 17] + "x"):
                        end, kind = check, ID_NUMBER
            prefix = PHONE_PREFIX_BY_FIRST_DIGIT.get(digits[start]) if want_phone else None
            if end is None and prefix is not None:
                at = start + len(prefix)
                if (
                    at + 11 in boundary
                    and digits.startswith(prefix, start)
                    and digits[at] == "1"
                    and digits[at + 1] in MOBILE_SECOND_DIGITS
                    and chain.written_as_phone(at, at + 11)
                ):
                    end, kind = chain.end_of(at + 11), PHONE
            first_group = groups[g] - start  # a card starts with a group of 3 to 6, or 13+
            if (
                end is None
                and want_card
                and (MIN_CARD_GROUP <= first_group <= MAX_CARD_GROUP or first_group >= 13)
                and not _fraction(text, start_segment)
            ):
                end, kind = chain.card_end(start), BANK_CARD
            if end is not None:
                found.append((start_segment, end, kind))
    return found


# ---- e-mail addresses ---------------------------------------------------------------------------

LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
LOCAL_PART = LETTERS | DIGITS | frozenset("._%+-")
DOMAIN = LETTERS | DIGITS | frozenset(".-")
MAX_LOCAL_PART, MAX_DOMAIN = 64, 253


def _domain_end(text: Text, start: int, stop: int) -> Optional[int]:
    """Where a domain name starting at text[start] ends (after a dot and two or more letters)."""
    end = None
    dot = text.find(".", start, stop)
    while dot != -1:
        after = dot + 1
        while after < stop and text[after] in LETTERS:
            after += 1
        if dot > start and after - dot > 2:
            end = after
        dot = text.find(".", dot + 1, stop)
    return end


def _emails(view: _View) -> List[Finding]:
    text, found = view.text, []
    at = text.find("@")
    while at != -1:
        left = at
        while left > 0 and at - left < MAX_LOCAL_PART and text[left - 1] in LOCAL_PART:
            left -= 1
        right = at + 1
        while right < len(text) and right - at <= MAX_DOMAIN and text[right] in DOMAIN:
            right += 1
        end = _domain_end(text, at + 1, right)
        if left < at and end is not None:
            found.append((left, end, EMAIL))
        at = text.find("@", at + 1)
    return found


# ---- passwords ----------------------------------------------------------------------------------

PASSWORD_WORDS = ("密码", "口令", "password", "passwd", "passcode", "pwd")
# After the word: what says "the password is" (simplified and lower case: the canonical view).
CONNECTORS = sorted(
    [
        "是",
        "为",
        "叫",
        "就是",
        "也是",
        "都是",
        "还是",
        "就",
        "其实是",
        "应该是",
        "一直是",
        "是这个",
        "设置为",
        "设置成",
        "设置的是",
        "设定为",
        "设为",
        "设成",
        "设的是",
        "改成了",
        "改成",
        "改为",
        "改了",
        "换成了",
        "换成",
        "修改为",
        "变成了",
        "变成",
        "如下",
        "发给你",
        "给你",
        "is",
        "was",
        "are",
        "->",
        "=>",
        "→",
        ":",
        "=",
    ],
    key=len,
    reverse=True,
)
CONNECTORS_BY_FIRST_CHARACTER: Dict[Text, List[Text]] = {}
for _word in CONNECTORS:
    CONNECTORS_BY_FIRST_CHARACTER.setdefault(_word[0], []).append(_word)
CONNECTOR_SPAN = 16
SKIPPED = frozenset(" \t\"'“”‘’「」『』《》<>()[]")
VALUE_CHARACTERS = LETTERS | DIGITS | frozenset("!@#$%^&*._+-~")
MIN_VALUE, MAX_VALUE_SCAN = 4, 128
# After a number, these make it a rule about passwords, not one: "密码是6位", "密码为8-16位".
UNITS = frozenset("位个天小时次分秒年月日号元字周岁")
# "password is wrong" is not a password.
NOT_A_VALUE = frozenset(
    """wrong incorrect invalid expired correct right what same weak strong
empty none null reset changed forgotten forgot locked required missing needed still also just only
this that here there please help again okay same different secret unknown blank hidden""".split()
)


def _connector_end(text: Text, at: int) -> Tuple[int, bool]:
    """Where the value after a password word may start, and whether a connector ("是", ":") was
    seen (True) or only spaces (False)."""
    limit, strong = min(len(text), at + CONNECTOR_SPAN), False
    while at < limit:
        char = text[at]
        if char in SKIPPED:
            at += 1
            continue
        for word in CONNECTORS_BY_FIRST_CHARACTER.get(char, ()):
            if text.startswith(word, at):
                after = at + len(word)
                if word.isalpha() and word.isascii() and text[after : after + 1] in VALUE_CHARACTERS:
                    continue  # "is" must be a word of its own: "isabc1" is a value
                at, strong = after, True
                break
        else:
            break
    return at, strong


def _password_value(text: Text, start: int, strong: bool, covered: int) -> Optional[int]:
    """Where the password value starting at text[start] ends, or None if it is no password.
    `covered`: up to where earlier findings already reach (a long value is read on from there)."""
    end = start
    while end < len(text) and end - start < MAX_VALUE_SCAN and text[end] in VALUE_CHARACTERS:
        end += 1
    long_value = end - start == MAX_VALUE_SCAN
    while end > start and text[end - 1] == ".":
        end -= 1
    value = text[start:end]
    if len(value) < MIN_VALUE or value in NOT_A_VALUE:
        return None
    has_digit = any(c in DIGITS for c in value)
    has_letter = any(c in LETTERS for c in value)
    if not has_letter and text[end : end + 1] in UNITS and all(c in DIGITS or c in "-~" for c in value):
        return None
    if not strong and not (has_digit and (has_letter or len(value) >= 6)):
        return None
    if long_value:  # all of a very long value goes, read once
        end = max(end, covered)
        while end < len(text) and text[end] in VALUE_CHARACTERS:
            end += 1
    return end


def _passwords(view: _View) -> List[Finding]:
    """Each password word is read on its own, even inside the value of the one before it
    ("密码是abc123!password是xyz789"): a bounded window each, and a long value read only once."""
    text, found = view.text, []
    for word in PASSWORD_WORDS:
        covered = 0
        at = text.find(word)
        while at != -1:
            value_start, strong = _connector_end(text, at + len(word))
            value_end = _password_value(text, value_start, strong, covered)
            if value_end is not None:
                found.append((value_start, value_end, PASSWORD))
                covered = max(covered, value_end)
            at = text.find(word, at + 1)
    return found


# ---- the API ------------------------------------------------------------------------------------


def _regions(text: Text, kinds: Iterable[Text]) -> List[Tuple[int, int, List[Text]]]:
    """(start, end, kinds) of the text's personal data, in text order, findings that overlap
    joined into one region; the first kind names it (at one position the longest finding: an
    e-mail address made of a phone number goes whole; then the order of MASKS: an ID number wins
    over a bank card number of the same length)."""
    kinds = set(kinds)
    if not text:
        return []
    view = _canonical(text)
    found: List[Finding] = []
    if kinds & {ID_NUMBER, PHONE, BANK_CARD}:
        found += _numbers(view, kinds)
    if EMAIL in kinds:
        found += _emails(view)
    if PASSWORD in kinds:
        found += _passwords(view)
    found = [(*view.original(start, end), kind) for start, end, kind in found]
    found.sort(key=lambda f: (f[0], f[0] - f[1], KIND_ORDER[f[2]]))
    regions: List[Tuple[int, int, List[Text]]] = []
    for start, end, kind in found:
        if regions and start < regions[-1][1]:
            last_start, last_end, last_kinds = regions[-1]
            if kind not in last_kinds:
                last_kinds.append(kind)
            regions[-1] = (last_start, max(last_end, end), last_kinds)
        else:
            regions.append((start, end, [kind]))
    return regions


def find_personal_data(text: Text, kinds: Iterable[Text] = WARNED_KINDS) -> List[Finding]:
    """(start, end, kind) of every finding of `kinds` in `text`, in text order, not overlapping
    (findings that overlap are one, named by the longest)."""
    return [(start, end, found[0]) for start, end, found in _regions(text, kinds)]


def mask(text: Text, kinds: Iterable[Text] = WARNED_KINDS) -> Tuple[Text, List[Text]]:
    """The text with every finding replaced by its mask, and the kinds found (all of them, also
    those inside a longer finding: a phone number inside a password)."""
    regions = _regions(text, kinds)
    if not regions:
        return text, []
    pieces, at, found = [], 0, []
    for start, end, region_kinds in regions:
        pieces += [text[at:start], MASKS[region_kinds[0]]]
        found += region_kinds
        at = end
    pieces.append(text[at:])
    return "".join(pieces), found


def redact(text: Text) -> Text:
    """The text as it may be stored, logged or reported: every kind of personal data masked."""
    return mask(text, MASKS)[0] if text else text
