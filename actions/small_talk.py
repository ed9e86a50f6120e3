"""action_small_talk: greetings, thanks, who-are-you, what-can-you-do and refusals to cheat.

Each intent's reply is the domain response `utter_<intent>`; the action exists so that these
messages, too, get the personal-data warning first ("你好，我手机号是…").
"""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.privacy import warn_about_personal_data
from knowledge.loader import load_knowledge


class ActionSmallTalk(Action):
    def name(self) -> Text:
        return "action_small_talk"

    def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[Text, Any],
    ) -> List[Dict[Text, Any]]:
        warn_about_personal_data(dispatcher, load_knowledge(), tracker)
        intent = tracker.latest_message.get("intent", {}).get("name")
        dispatcher.utter_message(response=f"utter_{intent}")
        return []
