"""One spelling for what students write: the normaliser of the NLU, the grader and the reports.

Students write in traditional characters (學信網帳號), with full-width letters (ＡＰＰ) and with
habitual typos (智慧职叫, 登陆). Converting all of these to one form keeps the training data, the
lookup tables and the word classes small: they only need the simplified, correctly spelled form.
Imports no Rasa (the NLU component nlu_components/normalizer.py calls this).
"""

import functools
import re
import unicodedata
from typing import Dict, List, Optional, Text, Tuple

import zhconv

# "怎么注销啊啊啊啊", "谢谢谢谢": a character typed three times or more is typed twice (as in
# 谢谢, 看看, 讲讲, words of their own).
# Numerals are left alone: a phone number said by voice ("一三零零零零…") must stay whole for the
# personal-data filter.
REPEATED_CHARACTER = re.compile(
    r"((?![零〇一二三四五六七八九十百千万亿两幺壹贰叁肆伍陆柒捌玖拾])[\u4e00-\u9fff])\1{2,}"
)


# Pinyin typed with tone marks ("zhùxiāo"): the marks go, so it reads as pinyin typed without them.
LATIN_WITH_MARKS = re.compile(r"[À-ɏ]")


def longest_first(typos: Dict[Text, Text]) -> Dict[Text, Text]:
    """The typos ordered so that a long typo is not half-replaced by a shorter one it contains."""
    return dict(sorted(typos.items(), key=lambda kv: -len(kv[0])))


def without_tone_marks(text: Text) -> Text:
    """Latin letters without their accents (ù → u, ǚ → u); Chinese characters are left alone."""
    return LATIN_WITH_MARKS.sub(
        lambda m: "".join(c for c in unicodedata.normalize("NFD", m.group()) if not unicodedata.combining(c)),
        text,
    )


@functools.lru_cache(maxsize=8)
def _typo_patterns(typos: Tuple[Tuple[Text, Text], ...]) -> List[Tuple["re.Pattern", Text]]:
    """The typos as patterns in any letter case, longest first; built once per set of typos (every
    message is normalised with the same few)."""
    ordered = longest_first(dict(typos)).items()
    return [(re.compile(re.escape(wrong), re.IGNORECASE), right) for wrong, right in ordered]


def replace_any_case(text: Text, typos: Dict[Text, Text]) -> Text:
    """Each typo replaced by its right spelling, longest first; letters in any case
    ("Tencent classroom", "TENCENT CLASSROOM")."""
    for pattern, right in _typo_patterns(tuple(typos.items())):
        text = pattern.sub(lambda _, right=right: right, text)
    return text


def normalize(text: Optional[Text], typos: Optional[Dict[Text, Text]] = None) -> Text:
    """Full-width -> half-width, traditional -> simplified, tone marks dropped, runs of one character
    cut to two, then known typos and English names -> the one spelling (data/vocabulary.yml's when
    `typos` is None; pass {} for none), stripped."""
    if typos is None:
        from knowledge.vocabulary import load_vocabulary

        typos = load_vocabulary().typos
    text = unicodedata.normalize("NFKC", text or "")
    text = zhconv.convert(text, "zh-cn")
    text = without_tone_marks(text)
    text = REPEATED_CHARACTER.sub(r"\1\1", text)
    return replace_any_case(text, typos).strip()
