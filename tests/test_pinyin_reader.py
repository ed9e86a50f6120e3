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


def test_a_span_across_a_word_students_often_use_stays_as_written():
    # 和室 sounds like 合适, but 室友 is a word of the students' messages (jieba's own dictionary finds
    # it rare): "我和室友都查不到学籍" is about a roommate.
    index = SoundIndex({"合适": 5, "室友": 5, "学籍": 5})
    assert index.rewrite("我和室友都查不到学籍") == "我和室友都查不到学籍"
    assert SoundIndex({"合适": 5}).rewrite("我和室友都查不到学籍") == "我合适友都查不到学籍"


def test_a_questions_closing_particle_stays_as_written():
    # 号吗 sounds like 号码, but 吗 closes the question: "这还是我的账号吗？" asks about the account.
    index = SoundIndex({"号码": 5, "账号": 5})
    assert index.rewrite("这还是我的号吗？") == "这还是我的号吗？"
    assert index.rewrite("这还是我的号吗") == "这还是我的号吗"
    # Inside a clause it is no closing particle: a slip is still read.
    assert index.rewrite("手机号吗后四位") == "手机号码后四位"


def test_a_span_cutting_two_words_at_once_stays_as_written():
    # 钟过 sounds like 中国, across 几分钟 and 过期 (words, though not common ones); a voice error
    # cut into pieces at one end only is still read ("住/销账/号" above).
    index = SoundIndex({"中国": 5, "验证码": 5})
    assert index.rewrite("验证码几分钟过期") == "验证码几分钟过期"


def test_an_odd_piece_of_a_training_line_does_not_keep_the_same_slip_from_being_read():
    # "直教云网夜版怎么推出" in the training data gave jieba's piece 直教云网, seen twice: kept as
    # written it stopped 直教云 being read as 职教云 in a student's "直教云网夜版要怎么腿出登录".
    index = SoundIndex({"职教云": 5, "直教云网": 2, "网页版": 5})
    assert index.rewrite("直教云网夜版要怎么退") == "职教云网页版要怎么退"


def test_examples_marked_out_of_the_vocabulary_give_no_words_to_read_others_as():
    # data/nlu/back_stories.yml repeats a few stories; 我爸 seen there must not turn 我把 into 我爸.
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlu_components.pinyin import vocabulary_of

    def example(text, metadata=None):
        return Message(data={"text": text, "intent": "x", **({"metadata": metadata} if metadata else {})})

    told = ["我爸让我问职教云怎么退出", "我爸想知道怎么注销", "我爸也不懂怎么退出"]
    marked = [example(text, {"intent": {"pinyin_vocabulary": False}}) for text in told]
    vocabulary = vocabulary_of(TrainingData([*marked, example("职教云怎么退出")]))
    assert "我爸" not in vocabulary and vocabulary["退出"] == 1
    assert SoundIndex(vocabulary).rewrite("一步一步教我把职教云退出") == "一步一步教我把职教云退出"
    # Counted, the same stories would make 我爸 a word to read others as.
    counted = vocabulary_of(TrainingData([example(text) for text in told]))
    assert SoundIndex(counted).rewrite("一步一步教我把职教云退出") == "一步一步教我爸职教云退出"


@pytest.mark.parametrize(
    "heard, read",
    [
        # zh heard as z over three syllables or more: read as the word.
        ("职教云展厅使用算注销吗", "职教云暂停使用算注销吗"),
        ("智慧职教站停使用", "智慧职教暂停使用"),
        # Over two syllables the blur is too loose ("怎么帮他" is no 怎么办); exact sounds still are read.
        ("职教云展厅算注销吗", "职教云展厅算注销吗"),
    ],
)
def test_an_accent_blurring_zh_ch_sh_is_read_over_three_syllables_or_more(heard, read):
    assert SoundIndex({"暂停使用": 5, "注销": 5, "暂停": 5, "智慧职教": 5}).rewrite(heard) == read


def test_a_message_typed_in_pinyin_reads_its_lone_syllables_as_the_likeliest_characters():
    # 丢, 了, 吗 are seen alone in the training data; "diu le" and "ma" are no word of two sounds.
    index = SoundIndex({"手机": 5, "怎么办": 5, "注销": 5, "丢": 5, "了": 9, "吗": 9, "啦": 3})
    assert index.rewrite("zjy shouji diu le zenme ban") == "zjy 手机 丢 了 怎么办"
    # Pinyin typed with tone marks reads the same.
    assert index.rewrite("zhùxiāo le ma") == "注销 了 吗"
    # English has too few pinyin words to be read as pinyin: "data" and "le" stay as typed.
    assert index.rewrite("can I get my data back, le") == "can I get my data back, le"
    assert index.rewrite("Müller 手机丢了") == "Müller 手机丢了"


def test_a_latin_run_of_thousands_of_letters_is_read_without_recursing():
    # Read syllable by syllable from the end: no RecursionError past Python's limit of 1,000 frames.
    assert SoundIndex({"注销": 5}).rewrite("zhuxiao" * 1_500).startswith("注销注销")
