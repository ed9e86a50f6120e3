"""Homophones are read as the words they sound like (nlu_components/pinyin.py), but never by
cutting a common word of the message in two."""

import pytest

from nlu_components.pinyin import SoundIndex

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def index():
    return SoundIndex({"区别": 5, "退出": 5, "登录": 5, "注销": 5, "智慧职教": 5})


@pytest.mark.parametrize(
    "heard, meant",
    [
        ("智慧直教怎么推出灯路", "智慧职教怎么退出登录"),
        ("我想住销账号", "我想注销账号"),
        ("zhihuizhijiao zenme tuichu denglu", "智慧职教 zenme 退出 登录"),
    ],
)
def test_homophones_and_pinyin_become_the_words_they_sound_like(index, heard, meant):
    assert index.rewrite(heard) == meant


def test_a_span_across_a_common_word_stays_as_written(index):
    # 去别 sounds like 区别, but 别的 is a word: "调去别的学校" is about moving to another school.
    assert index.rewrite("我马上调去别的学校了") == "我马上调去别的学校了"
