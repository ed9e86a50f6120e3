"""What both answering actions refuse the same way: help to cheat, messages that are no question for
the documents (writing, a part to play, orders to drop the rules, an insult, a joke or news), and
questions for a fact neither document states (a fee, a hotline, a web address). A
walkthrough is started by its own intent ("一步一步教我…"), so such a request could reach it as well as
the answer."""

from typing import Callable, List, Optional, Sequence, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from knowledge.loader import Knowledge
from knowledge.misconceptions import load_recogniser
from knowledge.render import capabilities_button, render_answer, topic_buttons

OTHER_QUESTIONS = "other_questions"
# The latest message's question after its back-story (nlu_components/questions.py), when it has one,
# and what it asks from its first clause holding a question word on.
QUESTION = "question"
ASKED = "asked"


def other_questions(tracker: Tracker) -> List[Text]:
    """The questions of the message after its first (nlu_components/questions.py)."""
    return [q for q in tracker.latest_message.get(OTHER_QUESTIONS) or [] if isinstance(q, str)]


def typed_questions(tracker: Tracker) -> List[Text]:
    """Every question of a typed message (the NLU keeps the first as its text); none for a button."""
    text = tracker.latest_message.get("text") or ""
    return [text, *other_questions(tracker)] if text and not text.startswith("/") else []


def question_asked(tracker: Tracker) -> Text:
    """What the latest message asks: its question clause after a back-story, else all of it."""
    message = tracker.latest_message
    question = message.get(QUESTION)
    return question if isinstance(question, str) and question else message.get("text") or ""


def facts_asked_in(tracker: Tracker) -> Text:
    """Where the latest message asks for facts: from its first asking clause on ("那封邮件写什么 有没有
    范文可以抄"), without the back-story before it."""
    asked = tracker.latest_message.get(ASKED)
    return asked if isinstance(asked, str) and asked else question_asked(tracker)


def refuses_an_unstated_fact(
    dispatcher: CollectingDispatcher,
    knowledge: Knowledge,
    tracker: Tracker,
    topic: Optional[Text],
    offered: Callable[[], Sequence[Text]] = tuple,
) -> bool:
    """ "注销职教云要交钱吗": says which fact the documents leave out, rather than answer the topic
    (as `topic`, the classified one or the one giving the length of time asked) as if it said it,
    and offers the topics they do cover (`offered`, asked only then)."""
    text = tracker.latest_message.get("text") or ""
    if text.startswith("/"):
        return False
    fact = knowledge.unstated_fact(
        facts_asked_in(tracker),
        text,
        lambda: render_answer(knowledge, topic) if topic in knowledge.topics else None,
    )
    if not fact:
        return False
    dispatcher.utter_message(
        text=knowledge.presentation["unstated_fact"].format(fact=fact),
        buttons=topic_buttons(knowledge, list(offered())) + [capabilities_button(knowledge)],
    )
    return True


def refuse(dispatcher: CollectingDispatcher, knowledge: Knowledge, text: Text) -> None:
    """An honest "I cannot answer this", with a button to what the bot can do."""
    dispatcher.utter_message(text=text, buttons=[capabilities_button(knowledge)])


def refuses_to_cheat(
    dispatcher: CollectingDispatcher, knowledge: Knowledge, questions: Sequence[Text]
) -> bool:
    """Refuses when one of `questions` asks help to cheat anywhere in it."""
    if knowledge.asks_to_cheat(" ".join(questions)):
        dispatcher.utter_message(response="utter_request_cheating")
        return True
    return False


def thanks_only(knowledge: Knowledge, text: Text) -> bool:
    """Thanks or news that it worked, asking nothing ("网页版退好了，谢谢啦"): thanked back, not
    answered again nor walked through."""
    return knowledge.says_thanks(text) and not load_recogniser().asks(text)


def asks_nothing_of_the_documents(knowledge: Knowledge, text: Text) -> bool:
    """A poem to write, a part to play, the rules to drop, an insult, a joke or news (not thanks,
    which are thanked back): no topic answers it."""
    return (
        knowledge.asks_no_question(text)
        or knowledge.insults_the_bot(text)
        or knowledge.makes_a_remark(text)
        and not knowledge.says_thanks(text)
    )
