"""action_answer: answers every knowledge question (and out-of-scope ones) from data/knowledge.

Decides, in order: is the question about a platform we do not cover (point to its support)? is it
out of scope? does the user state a false belief (correct it, then the right procedure)? which
platform is meant (ask with buttons when unknown)? do the documents cover it for that platform (else
say so honestly)? — and then renders the topic. A message that carried personal data first gets a
warning never to send such data to anyone. During a walkthrough, an answer to its pending question
goes to the walkthrough; any other question is answered and the walkthrough resumes.
"""

import re
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import offer_after_repeated_failure
from actions.refusals import (
    asks_nothing_of_the_documents,
    facts_asked_in,
    other_questions,
    question_asked,
    refuse,
    refuses_an_unstated_fact,
    refuses_to_cheat,
    thanks_only,
    typed_questions,
)
from actions.slots import (
    LAST_GOAL,
    LAST_TOPIC,
    PENDING_GOAL,
    PLATFORM,
    entity_values,
    placed_entity_spans,
    placed_entity_values,
    previous_message,
    slot,
)
from actions.student_action import Events, StudentAction
from actions.walkthrough import Walkthrough, said_answers
from knowledge.answerability import load_object_reader, other_object
from knowledge.loader import Knowledge, most_specific_device
from knowledge.misconceptions import load_recogniser, warm_up
from knowledge.render import (
    ask_platform_buttons,
    feedback_buttons,
    other_platform_buttons,
    render_answer,
    sources_button,
    topic_buttons,
    walkthrough_offer,
)
from knowledge.vocabulary import load_vocabulary

OUT_OF_SCOPE = "out_of_scope"
INFORM_PLATFORM = "inform_platform"
FOLLOWUP_DEVICE = "followup_device"
WALKTHROUGH_STUCK = "walkthrough_stuck"
# A device follow-up without an earlier procedure in the conversation is about logging out.
DEFAULT_GOAL = "logout"
# Another platform's name is repeated in the answer only when it looks like one: short, letters and
# digits (雨课堂, 中国大学MOOC, B站), no web address, markup or brackets.
ECHO_MAX_CHARS = 12
PLAIN_NAME = re.compile(r"[^\W_]+(?:[ ·][^\W_]+)*")
WEB_ADDRESS = re.compile(r"https?|www", re.IGNORECASE)
# The other questions of a message (set by nlu_components/questions.py, which the action server
# does not import: it imports Rasa) are offered as buttons; a button shows this much of one.
OTHER_QUESTION_TITLE_CHARS = 40
# Two-stage fallback: when the classifier is unsure and its two best intents are topics each at
# least this likely, the student is asked which one was meant ("都不是" refuses honestly).
NLU_FALLBACK = "nlu_fallback"
CONFIRM_CANDIDATES = 2
CONFIRM_MIN_CONFIDENCE = 0.15
# A device follow-up after an answer no device changes asks the topic ranked next, when it is at
# least this likely (ranked under followup_device, a topic's own words score low: "那手机号呢").
NEXT_TOPIC_MIN_CONFIDENCE = 0.05
# A follow-up ("那…", "要是…") the classifier is unsure of is answered with its best topic when that
# topic is at least this likely and on the platform of the conversation's last answer.
FOLLOW_UP = re.compile(r"(?:那|那么|那要是|那如果|要是|如果)")
FOLLOW_UP_MIN_CONFIDENCE = 0.25
# A follow-up that names no topic of its own ("那能保持多久") goes on with the last topic when the
# classifier still ranks it this high among its first few.
LAST_TOPIC_RANKS = 3
LAST_TOPIC_MIN_CONFIDENCE = 0.1
# A message that states a belief and asks something else the classifier is this sure of ("学籍显示
# 异常，可能是之前把账号借给别人了，该怎么办") gets that answer, opened by the belief's correction.
ASKED_TOPIC_MIN_CONFIDENCE = 0.8
# "腾讯课堂也是这样吗", "那腾讯课堂的呢", "换到腾讯课堂上面呢": with the platform's name taken out,
# nothing but "the same?" is left, so the message asks the last question again of that platform.
SAME_AGAIN = re.compile(
    r"(?:那|那么)?(?:换成|换到|换)?(?:那边|这边|上面|里面)?(?:的话)?(?:也|又)?(?:是|要|会)?(?:这样|这么样|一样|同样|如此)?(?:的)?(?:话)?"
    r"(?:吗|嘛|么|呢|吧|不|没)?"
)
# "腾讯课堂也必须先解吗" after "注销前必须先解除微信授权吗": a few words after 也, the last question
# asked again of the platform named.
ALSO_SO = re.compile(r"(?:那|那么)?(?:也|又)\w{0,6}?(?:吗|嘛|么|呢|吧|不)")
NOT_WORDS = re.compile(r"[\W_]+")
# "那腾讯课堂又要多久" after "职教云销号后记录存几天" in the same message: the first question asked again.
HOW_LONG_AGAIN = re.compile(
    r"(?:那|那么)?(?:也|又)?(?:是|要)?(?:多久|多长时间|几天|怎样|怎么样|咋样|如何)(?:呢|啊|呀)?"
)
# A question whether it is the same on our platform as on another named before it.
ASKS_IF_THE_SAME = re.compile(
    r"也是这样|也这样|也是这么|也能这样|也可以这样|也一样|一样吗|一样不|一样么|同样吗|相同吗"
    r"|一样的(?:流程|步骤|操作|办法)|同样的(?:流程|步骤)|(?:流程|步骤)(?:也)?一样"
)
# The second topic answers a message its best topic does not fit when it is at least this likely.
RUNNER_UP_MIN_CONFIDENCE = 0.2
# "我想注销账号": a goal's words with at most this many others ("我想", "账号") say only that goal,
# not counting words that ask how or where ("退出在哪啊 找不到", "注销在哪弄").
GOAL_ALONE_MAX_OTHER_CHARS = 4
ASKING_HOW = re.compile(r"怎么|怎样|如何|咋|在哪里?|在哪儿?|哪里|找不到|弄|操作|[啊呀呢吗嘛呗啦]")
# "不是职教云，是学信网": in a correction the platform named last is the one meant.
CORRECTION = re.compile(r"不是|不对|搞错|说错")
# ... and the one said to be wrong follows its word within this many characters ("不是说职教云").
NEGATED_WITHIN = 4
# A kind of account said not to be the one meant comes right after these words ("号不是学校发的").
ACCOUNT_DENIED = re.compile(r"(?:不是|并非|非)说?$")
# "学信网也像职教云一样能开设备验证吗", "学信网怎么注销，跟职教云一个流程吗": a platform named as what
# the other is measured against is not the one asked about ("学信网和职教云都要注销吗" names two).
COMPARED_WITH_BEFORE = re.compile(r"(?:像|跟|和|同|与|比)$")
COMPARED_WITH_AFTER = re.compile(
    r"[^，,。；;！!？?]{0,6}?(?:一样|一个样|那样|那种|这样|似的|类似|相同|同样|一个流程|差不多)"
)
QUESTION_MARK = re.compile(r"[?？]")
CLAUSE_END = re.compile(r"[，,。；;！!？?\s]+")


def intent_confidence(tracker: Tracker) -> float:
    """How sure the classifier is of the latest message's intent."""
    return float(tracker.latest_message.get("intent", {}).get("confidence") or 0.0)


def clause_of(text: Text, start: int) -> int:
    """The number of the clause that position `start` of `text` is in (0 for the first)."""
    return len(CLAUSE_END.findall(text, 0, start))


def platforms_as_asked(knowledge: Knowledge, tracker: Tracker) -> List[Text]:
    """The platforms the latest message names, the one it asks about first: the first named in the
    last clause naming one, since a back-story comes before the question ("在学信网查完学籍，职教云
    怎么退出"); in a correction, the one not said to be wrong ("不是职教云是学信网", "学信网的，不是
    职教云"), else the one named last. Named only as what the other is measured against ("像职教云
    那样"), or after the question's mark ("学信网改密码后别的电脑会下线吗？职教云好像是2小时"), a
    platform comes after the others."""
    text = tracker.latest_message.get("text") or ""
    named = [span for span in placed_entity_spans(tracker, "platform") if span[2] in knowledge.platforms]
    several = len({value for _, _, value in named}) > 1
    last_mark = max((m.start() for m in QUESTION_MARK.finditer(text)), default=len(text))
    correction = bool(CORRECTION.search(text))

    def order(placed: Tuple[int, int, Text]) -> Tuple[bool, int, int]:
        start, end, _ = placed
        if correction:  # the platform said to be wrong ("不是职教云") last, else the one named last first
            return (bool(CORRECTION.search(text, max(0, start - NEGATED_WITHIN), start)), -start, 0)
        aside = several and (
            start > last_mark
            or bool(
                COMPARED_WITH_BEFORE.search(text, max(0, start - 1), start)
                and COMPARED_WITH_AFTER.match(text, end)
            )
        )
        return (aside, -clause_of(text, start), start)

    return list(dict.fromkeys(value for _, _, value in sorted(named, key=order)))


def other_platform_asked(knowledge: Knowledge, tracker: Tracker) -> Optional[Text]:
    """Another platform named in the message's question clause when none of ours is named there: ours
    was only the back-story ("职教云注销完了，钉钉的号又怎么注销")."""
    text = tracker.latest_message.get("text") or ""
    asked = facts_asked_in(tracker)
    start = text.rfind(asked) if asked else -1
    if start <= 0:
        return None
    if any(
        s >= start and value in knowledge.platforms
        for s, _, value in placed_entity_spans(tracker, "platform")
    ):
        return None
    return next((value for s, _, value in placed_entity_spans(tracker, "other_platform") if s >= start), None)


def device_as_asked(tracker: Tracker) -> Optional[Text]:
    """The device the latest message asks about: the most specific of those named in the last
    clause naming one, since a back-story comes before the question ("在网吧用过职教云，网页版怎么
    退干净" asks about the web version; "机房电脑的网页版怎么退" about the public computer)."""
    text = tracker.latest_message.get("text") or ""
    placed = [(clause_of(text, start), value) for start, value in placed_entity_values(tracker, "device")]
    last = max((clause for clause, _ in placed), default=0)
    return most_specific_device([value for clause, value in placed if clause == last])


def words_besides(tracker: Tracker, entities: Sequence[Text]) -> Text:
    """The latest message without the spans of these entities, its punctuation and emoji."""
    text = tracker.latest_message.get("text") or ""
    placed = [
        e
        for e in tracker.latest_message.get("entities") or []
        if e.get("entity") in entities and isinstance(e.get("start"), int) and isinstance(e.get("end"), int)
    ]
    for entity in sorted(placed, key=lambda e: -e["start"]):
        text = text[: entity["start"]] + text[entity["end"] :]
    return NOT_WORDS.sub("", text)


def asks_the_same_again(tracker: Tracker) -> bool:
    """Whether the latest message is only a platform's name and "the same?" ("腾讯课堂也是这样吗",
    "腾讯课堂也要先解吗")."""
    rest = words_besides(tracker, ("platform", "other_platform"))
    return bool(SAME_AGAIN.fullmatch(rest) or ALSO_SO.fullmatch(rest))


def compared_again(knowledge: Knowledge, intent: Optional[Text], question: Text) -> Optional[Text]:
    """The comparison that answers `intent` on another platform, when `question` (a later question of
    the same message) only asks it again of that platform ("职教云销号后记录存几天？那腾讯课堂又要多久")."""
    lowered = question.lower()
    for name in load_vocabulary().words("other_platform"):
        if intent and name.lower() in lowered:
            rest = NOT_WORDS.sub("", lowered.replace(name.lower(), ""))
            if any(p.fullmatch(rest) for p in (SAME_AGAIN, ALSO_SO, HOW_LONG_AGAIN)):
                return knowledge.same_question_on(intent, name)
    return None


def goal_named_when_unsure(knowledge: Knowledge, tracker: Tracker) -> Optional[Text]:
    """ "注销", "我要注销": too short for the classifier to pass its fallback, yet it ranks a goal first
    and the message is little but that goal's words (entity `goal`): no guess. ("手机恢复出厂设置前
    要退出什么账号" says more than the goal, and stays a doubt.)"""
    best = ranking(tracker)[:1]
    if (
        best
        and knowledge.is_routed(best[0][0])
        and best[0][0] in entity_values(tracker, "goal")
        and len(ASKING_HOW.sub("", words_besides(tracker, ("goal", "platform"))))
        <= GOAL_ALONE_MAX_OTHER_CHARS
    ):
        return best[0][0]
    return None


def answerable(knowledge: Knowledge, intent: Optional[Text], text: Text) -> bool:
    """Whether the message asks what the intent's topic or procedure is about (answerability.yml)."""
    return knowledge.answers(intent, text) and not other_object(knowledge, intent, text)


def asked_of_another_platform(knowledge: Knowledge, topic_id: Text, said_platforms: List[Text]) -> bool:
    """Whether the platform asked about first is not the topic's: its document's rule is not
    applied to the other platform."""
    return bool(said_platforms) and knowledge.topics[topic_id]["platform"] != said_platforms[0]


def is_topic_question(knowledge: Knowledge, intent: Optional[Text]) -> bool:
    """Whether the intent asks a topic's question or a goal's procedure (not small talk, not a refusal)."""
    return intent in knowledge.topics or knowledge.is_routed(intent)


def answerable_runner_up(knowledge: Knowledge, tracker: Tracker, text: Text) -> Optional[Text]:
    """The classifier's second topic or goal, when the message asks what it is about and it is
    likely enough: the answerability check then decides between two close readings."""
    ranked = ranking(tracker)[1:2]
    if not ranked:
        return None
    name, confidence = ranked[0]
    if (
        is_topic_question(knowledge, name)
        and confidence >= RUNNER_UP_MIN_CONFIDENCE
        and answerable(knowledge, name, text)
    ):
        return name
    return None


def ranking(tracker: Tracker) -> List[Tuple[Text, float]]:
    """The classifier's intents for the latest message, most likely first, as (name, confidence),
    without the fallback it adds when unsure."""
    return [
        (r["name"], r.get("confidence") or 0.0)
        for r in tracker.latest_message.get("intent_ranking") or []
        if isinstance(r, dict) and isinstance(r.get("name"), str) and r["name"] != NLU_FALLBACK
    ]


def ranked_as_answered(
    knowledge: Knowledge, tracker: Tracker, platform: Optional[Text], device: Optional[Text]
) -> List[Tuple[Text, Text, float]]:
    """The classifier's intents, most likely first, as (as ranked, as answered, confidence): a goal
    (退出登录, 注销) stands for its topic on the message's platform and device ("机房电脑上网页版的职教云
    怎么退干净": 公共电脑怎么安全使用, or 网页版怎么退出登录?)."""
    return [
        (
            asked,
            (knowledge.route(asked, platform, device) if knowledge.is_routed(asked) and platform else None)
            or asked,
            confidence,
        )
        for asked, confidence in ranking(tracker)
    ]


def echoable(name: Text) -> bool:
    return (
        len(name) <= ECHO_MAX_CHARS
        and PLAIN_NAME.fullmatch(name) is not None
        and not WEB_ADDRESS.search(name)
    )


class ActionAnswer(StudentAction):
    def __init__(self) -> None:
        # The action server registers (instantiates) its actions at start: check the knowledge
        # files then (broken ones stop it, saying what to fix), and build spaCy.
        from knowledge.loader import load_at_start

        load_at_start()
        warm_up()
        load_object_reader()  # jieba's dictionary, read once now rather than on a question

    def name(self) -> Text:
        return "action_answer"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, knowledge: Knowledge) -> Events:
        walkthrough = Walkthrough(knowledge, tracker, dispatcher)
        # Help to cheat asked first is refused; asked after an account question ("职教云怎么注销？顺便
        # 找个人帮我代刷网课"), the account question is still answered and the rest refused after it,
        # unless the first speaks of the course work the cheat is for (answerability.yml).
        questions = typed_questions(tracker)
        first = questions[:1]
        if refuses_to_cheat(
            dispatcher, knowledge, questions if knowledge.speaks_of_course_work(" ".join(first)) else first
        ):
            return [SlotSet("pending_goal", None)] + walkthrough.resume_if_active()
        answers = said_answers(knowledge, tracker)
        if walkthrough.takes(answers):
            return walkthrough.start(answers)
        events = self._answer(dispatcher, knowledge, tracker)
        offer_after_repeated_failure(dispatcher, knowledge, tracker)  # not understood twice: a person?
        intent = tracker.latest_message.get("intent", {}).get("name")
        # A platform asked again is answered by the comparison, not offered apart (_compared_in_question).
        others = [q for q in other_questions(tracker) if not compared_again(knowledge, intent, q)]
        self._offer_other_questions(
            dispatcher, knowledge, [q for q in others if not knowledge.asks_to_cheat(q)]
        )
        refuses_to_cheat(dispatcher, knowledge, others)
        return events + walkthrough.resume_if_active()

    @staticmethod
    def _offer_other_questions(
        dispatcher: CollectingDispatcher, knowledge: Knowledge, others: List[Text]
    ) -> None:
        """The other questions of a message (nlu_components/questions.py), one tap each."""
        if others:
            dispatcher.utter_message(
                text=knowledge.presentation["other_questions"],
                buttons=[{"title": q[:OTHER_QUESTION_TITLE_CHARS], "payload": q} for q in others],
            )

    def _answer(
        self, dispatcher: CollectingDispatcher, knowledge: Knowledge, tracker: Tracker
    ) -> List[Dict[Text, Any]]:
        intent = tracker.latest_message.get("intent", {}).get("name")
        if intent == NLU_FALLBACK:
            intent = goal_named_when_unsure(knowledge, tracker) or intent
        elif intent == WALKTHROUGH_STUCK:
            # "退出按钮找不到啊" with no walkthrough going (actions/walkthrough.py): the goal it names.
            intent = next((g for g in entity_values(tracker, "goal") if knowledge.is_routed(g)), intent)
        said_platforms = platforms_as_asked(knowledge, tracker)
        other_platforms = entity_values(tracker, "other_platform")
        device = device_as_asked(tracker)
        platform = said_platforms[0] if said_platforms else slot(knowledge, tracker, PLATFORM)
        text = tracker.latest_message.get("text") or ""
        typed = text and not text.startswith("/")  # a button's payload names its topic itself
        if typed and (timed := self._duration_topic(knowledge, tracker, intent, said_platforms)):
            intent = timed  # "职教云注销了，学习记录会存几天": the topic giving the length of time named
        if typed and asks_nothing_of_the_documents(knowledge, text):
            intent = OUT_OF_SCOPE  # a poem to write, a part to play, an insult to the bot
        elif typed and (corrected := self._account_corrected(knowledge, tracker, intent, text)):
            # "不是，我说的是自己注册的号" after the school account's answer: the same goal, that account.
            return self._answer_topic(dispatcher, knowledge, corrected)
        elif intent != OUT_OF_SCOPE and refuses_an_unstated_fact(
            dispatcher,
            knowledge,
            tracker,
            intent,
            lambda: self._covered_topic(
                knowledge, ranked_as_answered(knowledge, tracker, platform, device), text
            ),
        ):
            return [SlotSet("pending_goal", None)]  # a fee, a hotline: said to be in neither document
        elif typed and knowledge.asks_past_what_it_knows(text) and is_topic_question(knowledge, intent):
            intent = OUT_OF_SCOPE  # "学信网不能共用我懂了，那学历报告能发给HR吗": past what the answer says
        elif said_platforms and (compared := self._compared_in_question(knowledge, tracker, intent)):
            # "智慧职教注销后数据保留多久，腾讯课堂又是多久": the comparison answers both.
            return self._answer_topic(dispatcher, knowledge, compared)
        elif (
            typed
            and not answerable(knowledge, intent, text)
            and not self._asked_again_of_a_compared_platform(knowledge, tracker, other_platforms)
        ):
            # A topic's words without its subject, or about something else: out of scope, unless
            # the runner-up is what it asks ("…同一个身份证号能注册两个学信网账号吗", read first as
            # lending the account, is about a second account).
            intent = answerable_runner_up(knowledge, tracker, text) or OUT_OF_SCOPE

        asked_of_other = other_platform_asked(knowledge, tracker) if other_platforms else None
        if other_platforms and (not said_platforms or asked_of_other):
            # "雨课堂怎么退出" is a near miss, unless the topic itself is about that platform
            # (解除微信授权, 和腾讯课堂比较) or the documents compare that platform on the question
            # ("腾讯课堂怎么注销", "那腾讯课堂呢" after a question about deregistering). So is a
            # question of another platform after a back-story of ours ("职教云注销好了，钉钉的号呢").
            other = asked_of_other or other_platforms[0]
            mentions = knowledge.topics.get(intent, {}).get("mentions", [])
            if not set(other_platforms) & set(mentions):
                asks_again = intent == INFORM_PLATFORM or asks_the_same_again(tracker)
                pending = slot(knowledge, tracker, PENDING_GOAL) if intent == INFORM_PLATFORM else None
                # A bare "腾讯课堂" answers the bot's own "哪个平台？" before it asks anything again.
                asked = pending or (self._last_question(knowledge, tracker) if asks_again else intent)
                compared = knowledge.same_question_on(asked, other) if asked else None
                if compared:
                    return self._answer_topic(dispatcher, knowledge, compared)
                return self._other_platform(dispatcher, knowledge, other, asked)

        if intent == OUT_OF_SCOPE:
            refuse(dispatcher, knowledge, knowledge.presentation["out_of_scope"])
            return [SlotSet("pending_goal", None)]

        recogniser = load_recogniser()
        # A button's payload ("/icve_close_app") says nothing in other words: only typed text is read
        # for a belief through its topic.
        confidence = dict(ranking(tracker)).get(intent or "") if typed else None
        stated = recogniser.beliefs(text, intent, confidence)
        if typed and not stated and thanks_only(knowledge, text):
            # "职教云退出登录搞定了，谢谢": thanks, not the question again.
            dispatcher.utter_message(response="utter_thank")
            return [SlotSet("pending_goal", None)]
        if typed and not stated and knowledge.reports_what_is_done(text):
            # "机房的电脑已经都装好还原卡了": news, asking nothing (a belief said so is corrected above).
            refuse(dispatcher, knowledge, knowledge.presentation["out_of_scope"])
            return [SlotSet("pending_goal", None)]
        if stated:
            # Correct the belief first, with the topic that holds the right procedure ("我把APP卸载了，
            # 账号也就注销了" gets the deregistration), unless the message asks a question of the
            # topic the classifier is sure of: whether the belief holds, in its own topic ("室友说划掉
            # APP就行，这样真算退出了吗": 关掉APP算退出吗; said seeking agreement, "卸了APP就算注销了吧",
            # it asks that too), or something else the belief is only part of.
            topic = knowledge.topics.get(intent, {})
            own_belief = topic.get("misconception") in stated
            asks_its_topic = (
                recogniser.asks(text)
                and (own_belief or intent_confidence(tracker) >= ASKED_TOPIC_MIN_CONFIDENCE)
                or own_belief
                and recogniser.seeks_agreement(text)
            )
            # Of two beliefs a statement fits ("辅导员让我们把学信网密码发给她": lending the account,
            # a teacher collecting passwords), the one of the topic the classifier chose comes first.
            stated.sort(key=lambda belief: knowledge.misconceptions[belief]["topic"] != intent)
            topic_id = intent if topic and asks_its_topic else knowledge.misconceptions[stated[0]]["topic"]
            if asked_of_another_platform(knowledge, topic_id, said_platforms):
                # "老师要收我们智慧职教的密码，要给吗": 学信网's rule, asked of the other platform.
                return self._not_covered(dispatcher, knowledge, said_platforms[0], topic_id)
            return self._answer_topic(dispatcher, knowledge, topic_id, stated=stated)

        if intent == INFORM_PLATFORM:
            goal = slot(knowledge, tracker, PENDING_GOAL)
            if goal:
                # "网页版怎么退出登录" → which platform? → "智慧职教": the device was in the question.
                device = device or most_specific_device(
                    entity_values(tracker, "device", previous_message(tracker))
                )
                return self._answer_goal(dispatcher, knowledge, goal, platform, device, True)
            asked = self._last_question(knowledge, tracker)
            if asked and platform in knowledge.platforms:
                return self._ask_again(dispatcher, knowledge, asked, platform, device)
            return self._platform_menu(dispatcher, knowledge, platform)

        if (
            intent == NLU_FALLBACK
            and FOLLOW_UP.match(text)
            and [n for n, _ in ranking(tracker)[:1]] == [FOLLOWUP_DEVICE]
        ):
            intent = FOLLOWUP_DEVICE  # "那要是手机丢了呢": a follow-up the classifier only doubted
        if intent == FOLLOWUP_DEVICE:
            asked = self._last_question(knowledge, tracker)
            asked_platform = knowledge.topics.get(asked or "", {}).get("platform")
            if said_platforms and asked_platform and asked_platform not in said_platforms:
                # "职教云呢，也不能借吗" after a 学信网 answer: the last question, of the platform named.
                return self._ask_again(dispatcher, knowledge, asked, said_platforms[0], device)
            also_logged_in = knowledge.also_logged_in_topic(text)
            if also_logged_in:
                return self._answer_topic(dispatcher, knowledge, also_logged_in)
            if asked and not knowledge.is_routed(asked):
                # The last answer was no procedure a device changes ("改密码后别的设备会掉线吗" →
                # "那要是手机丢了呢", "注销后数据能恢复吗" → "那手机号呢"): the message asks a topic
                # of its own, the one the classifier ranks next.
                topic = self._next_topic(knowledge, tracker)
                if topic:
                    return self._answer_topic(dispatcher, knowledge, topic)
            goal = slot(knowledge, tracker, LAST_GOAL) or DEFAULT_GOAL
            return self._answer_goal(dispatcher, knowledge, goal, platform, device, bool(said_platforms))

        if knowledge.is_routed(intent):
            account = load_vocabulary().most_specific("account", entity_values(tracker, "account"))
            by_account = knowledge.route(intent, platform, device, account) if platform and account else None
            if by_account and not knowledge.answers(by_account, text):
                account = None  # "号是我自己开的，不是学校给的": named to say it is not that account
            return self._answer_goal(
                dispatcher, knowledge, intent, platform, device, bool(said_platforms), account
            )

        if intent not in knowledge.topics:  # nlu_fallback, or Rasa's core fallback
            intent = self._follow_up_topic(knowledge, tracker, text) or intent
        if intent not in knowledge.topics:
            close = self._close_topics(
                knowledge, ranked_as_answered(knowledge, tracker, platform, device), text
            )
            if close:  # unsure between two topics: ask which one, rather than guess or give up
                dispatcher.utter_message(
                    text=knowledge.presentation["confirm_topic"],
                    buttons=topic_buttons(knowledge, close)
                    + [{"title": knowledge.presentation["confirm_none"], "payload": "/out_of_scope"}],
                )
                return []
            refuse(dispatcher, knowledge, knowledge.presentation["not_understood"])
            return []
        if asked_of_another_platform(knowledge, intent, said_platforms):
            # "学信网有没有像智慧职教那样的设备验证": the platform asked about is not the topic's.
            return self._not_covered(dispatcher, knowledge, said_platforms[0], intent)
        # "注销前要准备什么" with no platform in the conversation yet: answered for the platform whose
        # document answers it, saying so, with a button that asks it of the other one.
        return self._answer_topic(dispatcher, knowledge, intent, platform_unnamed=typed and not platform)

    def _answer_goal(
        self,
        dispatcher: CollectingDispatcher,
        knowledge: Knowledge,
        goal: Text,
        platform: Optional[Text],
        device: Optional[Text],
        platform_was_said: bool,
        account: Optional[Text] = None,
    ) -> List[Dict[Text, Any]]:
        topic_id = knowledge.route(goal, platform, device, account) if platform else None
        if topic_id:
            return self._answer_topic(dispatcher, knowledge, topic_id, goal)
        if platform and platform_was_said:
            return self._not_covered(dispatcher, knowledge, platform, goal)
        # Platform unknown, or only remembered from earlier and not fitting: ask.
        self._ask_platform(dispatcher, knowledge)
        return [SlotSet("pending_goal", goal)]

    def _answer_topic(
        self,
        dispatcher: CollectingDispatcher,
        knowledge: Knowledge,
        topic_id: Text,
        goal: Optional[Text] = None,
        stated: Sequence[Text] = (),
        platform_unnamed: bool = False,
    ) -> List[Dict[Text, Any]]:
        topic = knowledge.topics[topic_id]
        text, switch = render_answer(knowledge, topic_id, stated), []
        if platform_unnamed:
            name = knowledge.platforms[topic["platform"]]["name"]
            text = knowledge.presentation["answered_for_platform"].format(platform_name=name) + "\n" + text
            switch = other_platform_buttons(knowledge, topic["platform"])
        dispatcher.utter_message(
            text=text,
            buttons=switch
            + walkthrough_offer(knowledge, topic_id)
            + topic_buttons(knowledge, topic.get("related", []))
            + feedback_buttons(knowledge, topic_id)  # 有帮助 / 没帮助: light, apart from the others
            + [sources_button(knowledge, topic_id, stated)],
        )
        events = [
            SlotSet("platform", topic["platform"]),
            SlotSet("pending_goal", None),
            SlotSet(LAST_TOPIC, topic_id),
        ]
        goal = goal or knowledge.goal_of(topic_id)
        if goal:
            events.append(SlotSet("last_goal", goal))
        return events

    @staticmethod
    def _close_topics(knowledge: Knowledge, ranked: List[Tuple[Text, Text, float]], text: Text) -> List[Text]:
        """The two topics the classifier found most likely when it was too unsure to answer (as
        answered on the message's platform and device: `ranked_as_answered`), when both are likely
        enough to offer and no refusal ranks above them; of those, the ones that fit the message
        (answerability.yml: "职教云注册新账号要填哪些信息" is offered no deregistration)."""
        candidates = ranked[:CONFIRM_CANDIDATES]
        if len(candidates) < CONFIRM_CANDIDATES or any(
            name not in knowledge.topics or confidence < CONFIRM_MIN_CONFIDENCE
            for _, name, confidence in candidates
        ):
            return []
        fitting = [
            name
            for asked, name, _ in candidates
            if answerable(knowledge, asked, text) and (name == asked or answerable(knowledge, name, text))
        ]
        return list(dict.fromkeys(fitting))

    @staticmethod
    def _compared_in_question(
        knowledge: Knowledge, tracker: Tracker, intent: Optional[Text]
    ) -> Optional[Text]:
        """The topic that answers the question of our platform and of another one the documents
        compare it with, when the question itself names that other platform (not only a back-story:
        "腾讯课堂早注销了，职教云怎么注销"), or asks whether ours is the same ("…腾讯课堂在设置里自己就
        能注销，职教云也是这样吗")."""
        text = tracker.latest_message.get("text") or ""
        question = question_asked(tracker)
        question_from = len(text) - len(question)
        for start, name in placed_entity_values(tracker, "other_platform"):
            asked_of_both = start >= question_from or ASKS_IF_THE_SAME.search(question)
            compared = knowledge.same_question_on(intent, name) if intent and asked_of_both else None
            if compared:
                return compared
        return next(
            filter(None, (compared_again(knowledge, intent, q) for q in other_questions(tracker))), None
        )

    @staticmethod
    def _covered_topic(
        knowledge: Knowledge, ranked: List[Tuple[Text, Text, float]], text: Text
    ) -> List[Text]:
        """The topic the classifier ranks first (as answered: `ranked_as_answered`), when likely
        enough to offer and the message asks what it is about: "注销职教云要交钱吗" is offered how to
        deregister."""
        return [
            name
            for asked, name, confidence in ranked[:1]
            if name in knowledge.topics
            and confidence >= CONFIRM_MIN_CONFIDENCE
            and answerable(knowledge, asked, text)
        ]

    @staticmethod
    def _follow_up_topic(knowledge: Knowledge, tracker: Tracker, text: Text) -> Optional[Text]:
        """ "那能借给别人用吗" after a 学信网 answer: a short follow-up leaves the classifier unsure, but
        the conversation's platform makes its best topic likely enough to answer; "那能保持多久" after
        "关掉APP算退出吗" asks on about the last topic, which the classifier still ranks near the top."""
        last_topic = slot(knowledge, tracker, LAST_TOPIC)
        if not last_topic or not FOLLOW_UP.match(text):
            return None
        ranked = ranking(tracker)
        topic, confidence = (ranked or [(None, 0.0)])[0]
        if (
            topic in knowledge.topics
            and confidence >= FOLLOW_UP_MIN_CONFIDENCE
            and knowledge.topics[topic]["platform"] == knowledge.topics[last_topic]["platform"]
            and knowledge.answers(topic, text)
            and not other_object(knowledge, topic, text)
        ):
            return topic
        near_the_top = dict(ranked[:LAST_TOPIC_RANKS])
        if (
            near_the_top.get(last_topic, 0.0) >= LAST_TOPIC_MIN_CONFIDENCE
            and knowledge.answers(last_topic, text)
            and not other_object(knowledge, last_topic, text)
        ):
            return last_topic
        return None

    @staticmethod
    def _next_topic(knowledge: Knowledge, tracker: Tracker) -> Optional[Text]:
        """The topic the classifier ranks highest, when it is likely enough to answer."""
        for name, confidence in ranking(tracker):
            if name in knowledge.topics:
                return name if confidence >= NEXT_TOPIC_MIN_CONFIDENCE else None
        return None

    def _asked_again_of_a_compared_platform(
        self, knowledge: Knowledge, tracker: Tracker, other_platforms: List[Text]
    ) -> bool:
        """ "腾讯课堂也要先解吗" after a question the document compares 腾讯课堂 on: the last question
        again, however few of its topic's words the message repeats."""
        last = self._last_question(knowledge, tracker)
        return bool(
            other_platforms
            and last
            and asks_the_same_again(tracker)
            and knowledge.same_question_on(last, other_platforms[0])
        )

    @staticmethod
    def _duration_topic(
        knowledge: Knowledge, tracker: Tracker, intent: Optional[Text], said_platforms: List[Text]
    ) -> Optional[Text]:
        """The topic giving the length of time a question names, of the platform asked about, when the
        topic classified gives another one, or the classifier is unsure between it and another.
        Another platform's ("钉钉的号销掉得几天") is none of the documents' lengths of time."""
        if entity_values(tracker, "other_platform"):
            return None
        text, question = tracker.latest_message.get("text") or "", facts_asked_in(tracker)
        if intent == NLU_FALLBACK:
            named = knowledge.duration_asked(question, text)
            unsure_between = [name for name, _ in ranking(tracker)[:2]]
            topic = named["topic"] if named and named["topic"] in unsure_between else None
        elif intent in knowledge.topics:
            topic = knowledge.duration_topic(intent, question, text, lambda: render_answer(knowledge, intent))
        else:
            return None
        platform = knowledge.topics.get(topic or "", {}).get("platform")
        return topic if topic and (not said_platforms or platform in said_platforms) else None

    @staticmethod
    def _account_corrected(
        knowledge: Knowledge, tracker: Tracker, intent: Optional[Text], text: Text
    ) -> Optional[Text]:
        """The topic answering a goal for the kind of account a message says is meant, or not meant,
        when it is not the topic classified or, that failing, answered last: "不是学校发的号怎么注销",
        or "不是，我说的是自己注册的" after the school account's answer."""
        if not CORRECTION.search(text):
            return None
        named = placed_entity_values(tracker, "account")
        meant = [value for start, value in named if not ACCOUNT_DENIED.search(text, 0, start)]
        said = intent if intent in knowledge.topics else slot(knowledge, tracker, LAST_TOPIC)
        route = knowledge.account_route_of(said) if named and said else None
        if not route:
            return None
        goal, platform = route
        topic = knowledge.route(goal, platform, None, meant[-1] if meant else None)
        return topic if topic != said else None

    @staticmethod
    def _last_question(knowledge: Knowledge, tracker: Tracker) -> Optional[Text]:
        """What the user asked last: a goal (logout, deregister) when the last topic answers one,
        else that topic; the goal alone when it was found not covered."""
        topic = slot(knowledge, tracker, LAST_TOPIC)
        if topic:
            return knowledge.goal_of(topic) or topic
        return slot(knowledge, tracker, LAST_GOAL)

    def _ask_again(
        self,
        dispatcher: CollectingDispatcher,
        knowledge: Knowledge,
        asked: Text,
        platform: Text,
        device: Optional[Text],
    ) -> List[Dict[Text, Any]]:
        """ "那学信网呢": the last question again, for `platform`."""
        if knowledge.is_routed(asked):
            return self._answer_goal(dispatcher, knowledge, asked, platform, device, True)
        same = knowledge.same_question_on(asked, platform)
        if same:
            return self._answer_topic(dispatcher, knowledge, same)
        return self._not_covered(dispatcher, knowledge, platform, asked)

    def _platform_menu(
        self,
        dispatcher: CollectingDispatcher,
        knowledge: Knowledge,
        platform: Optional[Text],
    ) -> List[Dict[Text, Any]]:
        if platform not in knowledge.platforms:
            self._ask_platform(dispatcher, knowledge)
            return []
        info = knowledge.platforms[platform]
        dispatcher.utter_message(
            text=knowledge.presentation["platform_menu"].format(platform_name=info["name"]),
            buttons=topic_buttons(knowledge, info["menu"]),
        )
        return [SlotSet("platform", platform)]

    def _not_covered(
        self,
        dispatcher: CollectingDispatcher,
        knowledge: Knowledge,
        platform: Text,
        asked: Text,
    ) -> List[Dict[Text, Any]]:
        """Honest answer when the documents say nothing about `asked` for `platform`."""
        info = knowledge.platforms[platform]
        title = knowledge.goal_titles.get(asked) or knowledge.topics[asked]["title"]
        answered_on = knowledge.topics.get(asked, {}).get("platform", platform)
        layout = "not_covered" if answered_on == platform else "covered_elsewhere"
        dispatcher.utter_message(
            text=knowledge.presentation[layout].format(
                platform_name=info["name"],
                platform_help=info["help"],
                topic_title=title,
                topic_platform_name=knowledge.platforms[answered_on]["name"],
            ),
            buttons=topic_buttons(knowledge, info["menu"]),
        )
        # Remembered, so that "那智慧职教呢" asks the same question of the other platform.
        if knowledge.is_routed(asked):
            remembered = [SlotSet(LAST_GOAL, asked), SlotSet(LAST_TOPIC, None)]
        else:
            remembered = [SlotSet(LAST_TOPIC, asked)]
        return [SlotSet("platform", platform), SlotSet("pending_goal", None), *remembered]

    def _ask_platform(self, dispatcher: CollectingDispatcher, knowledge: Knowledge) -> None:
        dispatcher.utter_message(
            text=knowledge.presentation["ask_platform"],
            buttons=ask_platform_buttons(knowledge),
        )

    def _other_platform(
        self,
        dispatcher: CollectingDispatcher,
        knowledge: Knowledge,
        other_platform: Text,
        asked: Optional[Text] = None,
    ) -> List[Dict[Text, Any]]:
        if echoable(other_platform):
            text = knowledge.presentation["other_platform"].format(other_platform=other_platform)
        else:  # not something to repeat to the user (a link, markup, a paragraph)
            text = knowledge.presentation["other_platform_unnamed"]
        refuse(dispatcher, knowledge, text)
        if asked and knowledge.is_routed(asked):  # "雨课堂怎么退出" then "那职教云呢"
            return [SlotSet("pending_goal", None), SlotSet(LAST_GOAL, asked), SlotSet(LAST_TOPIC, None)]
        return [SlotSet("pending_goal", None)]
