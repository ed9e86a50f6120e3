"""Two questions in one message, as students type them (nlu_components/questions.py): the first is
kept for the classifier, the others are offered as buttons; one question with a back-story, a
rhetorical why or a clause hanging on the one before stays whole."""

import time

import pytest

from nlu_components.questions import question_start, split_questions

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text, first, others",
    [
        # Question marks.
        ("职教云APP在哪退出？网页版又在哪退出？", "职教云APP在哪退出？", ["网页版又在哪退出？"]),
        # The second question without its question mark.
        (
            "学信网的学籍能自己改吗？身份证号填错了找谁改",
            "学信网的学籍能自己改吗？",
            ["身份证号填错了找谁改"],
        ),
        # "另外" right after the question mark.
        ("设备验证怎么开？另外改密码要多久生效", "设备验证怎么开？", ["另外改密码要多久生效"]),
        # A word that opens another question, cut before the pause in front of it.
        (
            "职教云网页版怎么退出，，顺便问下学信网账号能借给室友吗",
            "职教云网页版怎么退出",
            ["顺便问下学信网账号能借给室友吗"],
        ),
        ("改密码后别的设备会掉线吗 还有设备验证在哪开", "改密码后别的设备会掉线吗", ["还有设备验证在哪开"]),
        # Commas or spaces only, each clause asking.
        ("职教云账号怎么注销，注销完微信授权还在吗", "职教云账号怎么注销，", ["注销完微信授权还在吗"]),
        ("网页版怎么退出登录 手机丢了又该怎么处理", "网页版怎么退出登录 ", ["手机丢了又该怎么处理"]),
        # A later clause asking how long or when, the question word a few characters before its end.
        ("学信网账号能借给别人吗，借了多久会被发现", "学信网账号能借给别人吗，", ["借了多久会被发现"]),
        ("设备验证怎么开 啥时候去注销比较好", "设备验证怎么开 ", ["啥时候去注销比较好"]),
        # A count after a verb asks, however long the noun after it.
        (
            "一个身份证能有几个学信网号，资料填错了找谁改",
            "一个身份证能有几个学信网号，",
            ["资料填错了找谁改"],
        ),
        # A second question with a condition of its own ("能的话…" hangs on the first: below).
        ("职教云怎么注销？注销不了的话该找谁", "职教云怎么注销？", ["注销不了的话该找谁"]),
        # The same question of another thing, and a comparison that says what it asks.
        ("删掉APP等于注销职教云吗，那退出登录呢", "删掉APP等于注销职教云吗，", ["那退出登录呢"]),
        # Short: a name and 呢, after a question mark, a comma or a space.
        ("智慧职教的号怎么注销？钉钉呢", "智慧职教的号怎么注销？", ["钉钉呢"]),
        ("职教云手机端在哪退出，电脑上呢", "职教云手机端在哪退出，", ["电脑上呢"]),
        ("学信网能几个人合用一个号吗 那智慧职教呢", "学信网能几个人合用一个号吗 ", ["那智慧职教呢"]),
        (
            "职教云注销要走哪几步？跟腾讯课堂比哪个省事",
            "职教云注销要走哪几步？",
            ["跟腾讯课堂比哪个省事"],
        ),
        # A back-story before two questions stays with the first.
        (
            "我下周要换手机了，旧手机上的职教云怎么退，新手机要不要开设备验证",
            "我下周要换手机了，旧手机上的职教云怎么退，",
            ["新手机要不要开设备验证"],
        ),
    ],
)
def test_two_questions_are_cut_after_the_first(text, first, others):
    assert split_questions(text) == (first, others)


@pytest.mark.parametrize(
    "text",
    [
        "我在图书馆电脑上登了职教云，走的时候忘了退，现在怎么办",
        "我也不知道怎么回事，职教云一直显示已登录，怎么退出",
        "就想注销个职教云账号，为啥要拍照验证，注销流程到底是怎样的",
        "学信网账号可以借给同学吗 可以的话要注意什么",
        "手机、平板还有电脑都登着职教云怎么一次退完",
        "职教云 网页版 怎么 退出",
        "icve app logout 在哪",
        "注销了吗？？？这也太难找了吧",
        # An exclamation, a time ("前几天") and a clause hanging on the one before ask nothing.
        "救命谁懂啊 职教云网页版一直退不出去怎么办",
        "前几天有人登了我的职教云，密码也被改了，现在先做什么",
        # What one wants to teach others is no question of its own; the question follows it.
        "我是班主任，打算教学生怎么注销职教云，有没有注销前的清单",
        "要给新生讲怎么安全退出职教云，有没有好记的口诀",
        # A story before "顺便问下" is no question of its own.
        "在学信网上查完学籍了，顺便问下职教云怎么退出",
        # "还有几个" says there are some; it asks nothing.
        "我要调走了，教师账号下面还有几个子账号，要单独处理吗",
        # 几 after 着/了/好 says "a few" too ("挂着几个", "换了几台", "好几次").
        "我名下挂着几个班级的子账号，调岗前子账号要不要另外注销",
        "这学期换了几台手机，旧手机上的职教云怎么退出",
        "机房电脑好几次一打开就是别人的号，在机房该怎么用才安全",
        # A count after a noun or a number in a back-story tells of several; it asks after a verb.
        "我们宿舍几个人都是同一个班的，学信网上都查不到学籍该找谁？",
        "系里三十几个老师的账号都是学校统一开的，现在要怎么处理？",
        # The same question compared with another platform hangs on it.
        "腾讯课堂注销完数据留几天？和职教云比起来呢",
        "腾讯课堂注销后能马上再注册吗？职教云注销后也一样吗",
        # "那…呢" asking how long or how, after a question, hangs on it.
        "职教云怎么注销，那得等多久呢",
        # A short clause with 呢 that names nothing asks nothing: "then?", a feeling.
        "职教云网页版要怎么退，然后呢",
        "职教云到底怎么退出啊，烦死了呢",
    ],
)
def test_one_question_stays_whole(text):
    assert split_questions(text) == (text, [])


@pytest.mark.parametrize(
    "hostile",
    [
        "，" * 20_000,
        " " * 20_000 + "x",
        "，" * 10_000 + "怎么" + "，" * 10_000,
        "还有，" * 7_000,
        "职教云怎么注销" + "!" * 20_000 + "吗",
        "。 " * 20_000,
    ],
    ids=["commas", "spaces", "word-between-commas", "openers", "marks-then-word", "sentence-ends"],
)
def test_long_runs_of_marks_take_linear_time(hostile):
    # A quadratic scan took about 8 s on 20,000 commas; linear is a few milliseconds. The channels
    # cut messages to 500 characters, but the component must not rely on it.
    started = time.monotonic()
    split_questions(hostile)
    question_start(hostile)
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    "text, question",
    [
        # The last clause with a question word, after a back-story of two sentences.
        (
            "刚换了新手机，旧的那台打算给我妈用，上面还登着智慧职教。想先退掉，APP里退出登录是在哪个菜单里？",
            "APP里退出登录是在哪个菜单里？",
        ),
        # Too short to say what it asks about: with the clause before it.
        ("我手机丢了，职教云还登着，怎么办", "职教云还登着，怎么办"),
        # Asking only what to do: with the clause that says about what.
        ("电脑被偷了，职教云没退出怎么办", "电脑被偷了，职教云没退出怎么办"),
        ("昨天去了网吧。电脑被偷了，职教云没退出咋整", "电脑被偷了，职教云没退出咋整"),
        # No question word: the last sentence.
        ("昨天借了同学电脑。职教云网页版关了浏览器还登着", "职教云网页版关了浏览器还登着"),
        # One clause: the whole message.
        ("职教云怎么注销", "职教云怎么注销"),
    ],
)
def test_the_question_of_a_message_starts_after_its_back_story(text, question):
    assert text[question_start(text) :] == question


@pytest.mark.parametrize(
    "text, question",
    [
        # After a back-story, what is asked is kept apart for the answer's checks.
        ("我申请过退款，现在职教云怎么注销", "现在职教云怎么注销"),
        # One clause: no question apart from the message.
        ("注销职教云要交钱吗", None),
    ],
)
def test_the_splitter_keeps_the_question_after_a_back_story(text, question):
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message

    from nlu_components.questions import QUESTION, QuestionSplitter

    message = Message(data={TEXT: text})
    QuestionSplitter({}).process([message])
    assert message.get(QUESTION) == question
    assert (QUESTION in message.as_dict(only_output_properties=True)) is (question is not None)


@pytest.mark.parametrize(
    "text, asked",
    [
        # From the first clause that asks: every fact asked for is read, not the story before it.
        ("学信网的密码想不起来了，号码也换了，咋找回", "咋找回"),
        ("我申请过退款，现在职教云怎么注销", "现在职教云怎么注销"),
        ("老师发了通知，邮件要写啥，有没有模板可以参考", "邮件要写啥，有没有模板可以参考"),
        # No clause asks: the whole message.
        ("职教云网页版关了浏览器还登着", "职教云网页版关了浏览器还登着"),
    ],
)
def test_what_a_message_asks_starts_at_its_first_asking_clause(text, asked):
    from nlu_components.questions import asking_start

    assert text[asking_start(text) :] == asked
