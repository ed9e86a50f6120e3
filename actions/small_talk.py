"""action_small_talk: greetings, thanks, who-are-you, what-can-you-do and refusals to cheat.

Each intent's reply is the domain response `utter_<intent>`; the action exists so that these
messages, too, get the personal-data warning first ("你好，我手机号是…").
"""

from typing import Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.student_action import Events, StudentAction
from knowledge.loader import Knowledge


class ActionSmallTalk(StudentAction):
    def name(self) -> Text:
        return "action_small_talk"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, knowledge: Knowledge) -> Events:
        intent = tracker.latest_message.get("intent", {}).get("name")
        dispatcher.utter_message(response=f"utter_{intent}")
        return []
