"""What every action that answers a student does first, in one place: slots holding values the
knowledge does not know are reset (a client may have set them), and a message carrying personal data
gets its warning before anything else is said."""

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.privacy import warn_about_personal_data
from actions.slots import bad_slot_resets
from knowledge.loader import Knowledge, load_knowledge

Events = List[Dict[Text, Any]]


class StudentAction(Action, ABC):
    """A Rasa SDK action that answers from data/knowledge; subclasses say what in `respond`
    (abstract, so the action server does not register this class as an action itself)."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> Events:
        knowledge = load_knowledge()
        resets = bad_slot_resets(knowledge, tracker)  # first, so that later events win
        warn_about_personal_data(dispatcher, knowledge, tracker)
        return resets + self.respond(dispatcher, tracker, knowledge)

    @abstractmethod
    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, knowledge: Knowledge) -> Events: ...
