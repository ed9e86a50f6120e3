"""action_feedback: "有帮助 / 没帮助" under a knowledge answer, and the optional reason after 没帮助.

Every knowledge answer carries two feedback buttons (actions/answer.py, knowledge/render.py) whose
payloads name the topic: `/feedback{"topic": "icve_logout_app", "helpful": "no"}`. Rasa stores
that message as the user event in the tracker store, so the feedback is kept per topic, with no
text typed by anyone, in the same database, under the same redaction and retention as the
conversation; the unanswered report (staff/unanswered.py) counts it. This action only answers:
thanks; after 没帮助 the reasons as buttons (`"reason"` instead of `"helpful"`) and where a person
helps (where a person can take over — the chat widget, Chatwoot, WeChat with its handoff on — a
转人工 button, the offer of a person of actions/handoff.py). A typed "这个回答没用" names no topic: it gets the two buttons for the last answer, so that
one tap records the feedback. On WeChat the channel turns the reply "有用" / "没用" into the
payload for the last answer (channels/wechat.py).
"""

from typing import Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import person_available
from actions.slots import LAST_TOPIC, PLATFORM, entity_values, slot
from actions.student_action import Events, StudentAction
from actions.walkthrough import Walkthrough
from knowledge.loader import Knowledge, known
from knowledge.render import (
    FEEDBACK_HELPFUL,
    FEEDBACK_REASON,
    FEEDBACK_TOPIC,
    FEEDBACK_VALUES,
    capabilities_button,
    feedback_buttons,
    feedback_reason_buttons,
    handoff_buttons,
)


class ActionFeedback(StudentAction):
    def name(self) -> Text:
        return "action_feedback"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, knowledge: Knowledge) -> Events:
        texts = knowledge.presentation["feedback"]
        topics = entity_values(tracker, FEEDBACK_TOPIC)
        topic_id = known(topics[0], knowledge.topics) if topics else None
        helpful = entity_values(tracker, FEEDBACK_HELPFUL)
        reason = entity_values(tracker, FEEDBACK_REASON)
        if topic_id and reason and reason[0] in texts["reasons"]:
            dispatcher.utter_message(text=texts["reason_thanks"])
        elif topic_id and helpful and helpful[0] == "no":
            if person_available(tracker):  # where a person can take over: offer one (actions/handoff.py)
                dispatcher.utter_message(
                    text=texts["sorry_offer"],
                    buttons=feedback_reason_buttons(knowledge, topic_id) + handoff_buttons(knowledge)[:1],
                )
            else:
                dispatcher.utter_message(
                    text=texts["sorry"], buttons=feedback_reason_buttons(knowledge, topic_id)
                )
        elif topic_id and helpful and helpful[0] in FEEDBACK_VALUES:
            dispatcher.utter_message(text=texts["thanks"])
        else:  # typed: which answer, and did it help? One tap on the last answer's buttons says.
            last = slot(knowledge, tracker, LAST_TOPIC)
            if last and knowledge.topics[last]["platform"] == slot(knowledge, tracker, PLATFORM):
                dispatcher.utter_message(text=texts["typed"], buttons=feedback_buttons(knowledge, last))
            else:
                dispatcher.utter_message(
                    text=knowledge.presentation["not_understood"], buttons=[capabilities_button(knowledge)]
                )
        # Tapped under an answer given during a walkthrough: go on with it.
        return Walkthrough(knowledge, tracker, dispatcher).resume_if_active()
