"""The warning a message carrying personal data gets, before anything else is said.

The data itself never reaches the actions: nlu_components/privacy.py masks it before NLU (privacy/ defines it) and
leaves only `personal_data` entities whose value is the kind of data (id_number, phone, password).
"""

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from knowledge.loader import Knowledge

PERSONAL_DATA = "personal_data"


def warn_about_personal_data(
    dispatcher: CollectingDispatcher, knowledge: Knowledge, tracker: Tracker
) -> None:
    entities = tracker.latest_message.get("entities", [])
    if any(e.get("entity") == PERSONAL_DATA for e in entities):
        dispatcher.utter_message(text=knowledge.presentation["personal_data_warning"])
