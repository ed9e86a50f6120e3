"""The text normaliser that runs before jieba: traditional characters, full-width letters, typos
(knowledge/text.py, with the typos of data/vocabulary.yml; the NLU component calls it)."""

import pytest

from knowledge.text import normalize
from knowledge.vocabulary import load_vocabulary

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def replacements():
    return load_vocabulary().typos


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("學信網帳號可以多人共用嗎", "学信网账号可以多人共用吗"),
        ("職教雲ＡＰＰ咋登出？", "职教云APP咋登出?"),
        ("智慧职叫怎么推出登录", "智慧职教怎么退出登录"),
        ("学信王的账号怎么注消", "学信网的账号怎么注销"),
        ("  登陆不上  ", "登录不上"),
        ("智慧职教怎么退出账号", "智慧职教怎么退出账号"),
        # A character typed three times or more is typed twice: 谢谢 stays a word.
        ("求求了 职教云怎么注销啊啊啊啊啊", "求求了 职教云怎么注销啊啊"),
        ("谢谢谢谢", "谢谢"),
        # Numerals stay: a phone number said by voice must reach the personal-data filter whole.
        ("手机号一三八零零零零一二三四", "手机号一三八零零零零一二三四"),
        # Pinyin with tone marks reads as pinyin without them; English names in any case.
        ("zhùxiāo zhīhòu shǒujīhào", "zhuxiao zhihou shoujihao"),
        ("icve vs TENCENT classroom", "icve vs 腾讯课堂"),
    ],
)
def test_normalize(replacements, raw, expected):
    assert normalize(raw, replacements) == expected


def test_the_vocabularys_typos_are_the_default():
    assert normalize("智慧职叫APP登陆不上") == "智慧职教APP登录不上"
    assert normalize("智慧职叫", {}) == "智慧职叫"


def test_a_longer_typo_wins_over_a_shorter_one_inside_it():
    assert normalize("推出登陆了", {"登陆": "登录", "推出登陆": "退出登录"}) == "退出登录了"


def test_the_normaliser_imports_no_rasa():
    """The grader and the reports use it without loading Rasa (seconds and hundreds of MB)."""
    import subprocess
    import sys

    code = "import sys, knowledge.text, knowledge.vocabulary; print(any(m.startswith('rasa') for m in sys.modules))"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
    )
