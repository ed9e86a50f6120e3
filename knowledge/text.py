"""One spelling for what students write: the normaliser of the NLU, the grader and the reports.

Students write in traditional characters (學信網帳號), with full-width letters (ＡＰＰ) and with
habitual typos (智慧职叫, 登陆). Converting all of these to one form keeps the training data, the
lookup tables and the word classes small: they only need the simplified, correctly spelled form.
Imports no Rasa (the NLU component nlu_components/normalizer.py calls this).
"""

import re
import unicodedata
from typing import Dict, Optional, Text

import zhconv

# "怎么注销啊啊啊啊", "谢谢谢谢": a character typed three times or more is typed twice (as in
# 谢谢, 看看, 讲讲, words of their own).
# Numerals are left alone: a phone number said by voice ("一三零零零零…") must stay whole for the
# personal-data filter.
REPEATED_CHARACTER = re.compile(
    r"((?![零〇一二三四五六七八九十百千万亿两幺壹贰叁肆伍陆柒捌玖拾])[\u4e00-\u9fff])\1{2,}"
)


def longest_first(typos: Dict[Text, Text]) -> Dict[Text, Text]:
    """The typos ordered so that a long typo is not half-replaced by a shorter one it contains."""
    return dict(sorted(typos.items(), key=lambda kv: -len(kv[0])))


def normalize(text: Optional[Text], typos: Optional[Dict[Text, Text]] = None) -> Text:
    """Full-width -> half-width, traditional -> simplified, runs of one character cut to two, then known typos -> correct words
    (data/vocabulary.yml's when `typos` is None; pass {} for none), stripped."""
    if typos is None:
        from knowledge.vocabulary import load_vocabulary

        typos = load_vocabulary().typos
    text = unicodedata.normalize("NFKC", text or "")
    text = zhconv.convert(text, "zh-cn")
    text = REPEATED_CHARACTER.sub(r"\1\1", text)
    for wrong, right in longest_first(typos).items():
        text = text.replace(wrong, right)
    return text.strip()
