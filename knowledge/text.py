"""One spelling for what students write: the normaliser of the NLU, the grader and the reports.

Students write in traditional characters (學信網帳號), with full-width letters (ＡＰＰ) and with
habitual typos (智慧职叫, 登陆). Converting all of these to one form keeps the training data, the
lookup tables and the word classes small: they only need the simplified, correctly spelled form.
Imports no Rasa (the NLU component nlu_components/normalizer.py calls this).
"""

import unicodedata
from typing import Dict, Optional, Text

import zhconv


def longest_first(typos: Dict[Text, Text]) -> Dict[Text, Text]:
    """The typos ordered so that a long typo is not half-replaced by a shorter one it contains."""
    return dict(sorted(typos.items(), key=lambda kv: -len(kv[0])))


def normalize(text: Optional[Text], typos: Optional[Dict[Text, Text]] = None) -> Text:
    """Full-width -> half-width, traditional -> simplified, then known typos -> correct words
    (data/vocabulary.yml's when `typos` is None; pass {} for none), stripped."""
    if typos is None:
        from knowledge.vocabulary import load_vocabulary

        typos = load_vocabulary().typos
    text = unicodedata.normalize("NFKC", text or "")
    text = zhconv.convert(text, "zh-cn")
    for wrong, right in longest_first(typos).items():
        text = text.replace(wrong, right)
    return text.strip()
