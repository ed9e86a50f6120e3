"""action_show_sources: "查看原文", the sentences of the documents an answer rests on.

Every knowledge answer carries a "查看原文" button (actions/answer.py) whose payload names its topic,
`/show_sources{"topic": "icve_logout_app"}` (and the belief it opened by correcting, when the topic
does not correct it itself). Typed requests ("原文在哪", "出处是什么") name no topic: they get the
sources of the last answer (the `last_topic` slot). The reply lists the quotes behind the answer
(data/knowledge: every fact's `quote`), grouped by document with its title and date, so that
anyone can check an answer against its source. A topic nobody defined, or no answer to show the
sources of, gets a short polite answer.
"""

from typing import List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.slots import LAST_TOPIC, PLATFORM, entity_values, slot
from actions.student_action import Events, StudentAction
from actions.walkthrough import Walkthrough
from knowledge.loader import Knowledge, known
from knowledge.render import (
    SOURCES_MISCONCEPTION,
    SOURCES_TOPIC,
    capabilities_button,
    render_sources,
)


def asked_topic(knowledge: Knowledge, tracker: Tracker) -> Tuple[Optional[Text], List[Text]]:
    """The topic whose sources are asked for and the stated belief its answer opened with:
    the button's entities, else the last answer. (None, []) when there is none to show."""
    named = entity_values(tracker, SOURCES_TOPIC)
    if named:  # a button: its topic, or nothing when no topic has that id (any more)
        topic_id = known(named[0], knowledge.topics)
        if topic_id is None:
            return None, []
        stated = [
            m
            for m in entity_values(tracker, SOURCES_MISCONCEPTION)
            if m in knowledge.misconceptions and knowledge.same_platform(m, topic_id)
        ][:1]
        return topic_id, stated
    topic_id = slot(knowledge, tracker, LAST_TOPIC)
    # A topic found not covered for another platform ("学信网能不能…" about an 智慧职教 topic) is
    # remembered too, with the platform asked about: that answer has no sources.
    if topic_id is None or knowledge.topics[topic_id]["platform"] != slot(knowledge, tracker, PLATFORM):
        return None, []
    return topic_id, []


class ActionShowSources(StudentAction):
    def name(self) -> Text:
        return "action_show_sources"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, knowledge: Knowledge) -> Events:
        topic_id, stated = asked_topic(knowledge, tracker)
        text = render_sources(knowledge, topic_id, stated) if topic_id else None
        if text:
            dispatcher.utter_message(text=text)
        else:
            dispatcher.utter_message(
                text=knowledge.presentation["sources_unknown"], buttons=[capabilities_button(knowledge)]
            )
        # Tapped under an answer given during a walkthrough: go on with it.
        return Walkthrough(knowledge, tracker, dispatcher).resume_if_active()
