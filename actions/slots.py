"""Slot and entity values as the actions may use them: known ids only.

A slot or an entity can hold what a user typed (Rasa reads `/intent{"platform": …}` without the
NLU; channels/payloads.py lets only the buttons' payloads through, this is the second line). A
value of the wrong type or an id data/knowledge does not define counts as unset, and a slot
holding one is reset (SlotSet None, first among the action's events), so that one bad value
cannot wedge a conversation.
"""

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from knowledge.loader import Knowledge, known

PLATFORM = "platform"
PENDING_GOAL = "pending_goal"
LAST_GOAL = "last_goal"
LAST_TOPIC = "last_topic"
WALKTHROUGH = "walkthrough"
CHECKED_SLOTS = (PLATFORM, PENDING_GOAL, LAST_GOAL, LAST_TOPIC, WALKTHROUGH)


def placed_entity_spans(
    tracker: Tracker, entity: Text, message: Optional[Dict[Text, Any]] = None
) -> List[Tuple[int, int, Text]]:
    """(start, end, value) of each value of `entity` in the latest message (or the given parse of an
    earlier one) that is text (never a dict or a list), in the order the message names them; a
    missing start counts as 0, a missing end as the start."""
    parse = tracker.latest_message if message is None else message
    found = []
    for e in parse.get("entities") or []:
        if isinstance(e, dict) and e.get("entity") == entity and isinstance(e.get("value"), str):
            start = e["start"] if isinstance(e.get("start"), int) else 0
            found.append((start, e["end"] if isinstance(e.get("end"), int) else start, e["value"]))
    return sorted(found, key=lambda placed: placed[0])


def placed_entity_values(
    tracker: Tracker, entity: Text, message: Optional[Dict[Text, Any]] = None
) -> List[Tuple[int, Text]]:
    """(start, value) of each value of `entity` (see `placed_entity_spans`)."""
    return [(start, value) for start, _, value in placed_entity_spans(tracker, entity, message)]


def entity_values(tracker: Tracker, entity: Text, message: Optional[Dict[Text, Any]] = None) -> List[Text]:
    """The values of `entity` in the latest message (or the given parse of an earlier one) that are
    text (never a dict or a list), in the order the message names them."""
    return [value for _, value in placed_entity_values(tracker, entity, message)]


def previous_message(tracker: Tracker) -> Dict[Text, Any]:
    """The parse of the user's message before the latest one (empty when there is none)."""
    said = [e for e in tracker.events if e.get("event") == "user"]
    return (said[-2].get("parse_data") or {}) if len(said) > 1 else {}


def walkthrough_state(knowledge: Knowledge, state: Any) -> Optional[Dict[Text, Any]]:
    """The walkthrough slot's state when it is one the walkthrough could have saved, else None:
    {"answers": {question: known option}, "asking": question or None, "procedure": id or None,
    "step": an index of that procedure's steps}."""
    if not isinstance(state, dict):
        return None
    questions = knowledge.walkthroughs["questions"]
    answers = state.get("answers")
    if not isinstance(answers, dict) or not all(
        question in questions and known(value, options(knowledge, question))
        for question, value in answers.items()
    ):
        return None
    asking, procedure, step = state.get("asking"), state.get("procedure"), state.get("step")
    if asking is not None and known(asking, questions) is None:
        return None
    if procedure is not None and known(procedure, knowledge.procedures) is None:
        return None
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        return None
    if procedure is not None and step >= len(knowledge.steps_of(procedure)):
        return None
    return state


def options(knowledge: Knowledge, question: Text) -> List[Text]:
    """The answers a walkthrough question can have."""
    if question == PLATFORM:
        return list(knowledge.platforms)
    return list(knowledge.walkthroughs["questions"][question].get("options", {}))


def slot(knowledge: Knowledge, tracker: Tracker, name: Text) -> Any:
    """The value of a checked slot, or None when it is unset or not a value it can hold."""
    value = tracker.get_slot(name)
    if name == PLATFORM:
        return known(value, knowledge.platforms)
    if name in (PENDING_GOAL, LAST_GOAL):
        return known(value, knowledge.routes)
    if name == LAST_TOPIC:
        return known(value, knowledge.topics)
    if name == WALKTHROUGH:
        return walkthrough_state(knowledge, value)
    return value


def bad_slot_resets(knowledge: Knowledge, tracker: Tracker) -> List[Dict[Text, Any]]:
    """SlotSet(None) for each checked slot that holds a value it cannot hold."""
    return [
        SlotSet(name, None)
        for name in CHECKED_SLOTS
        if tracker.get_slot(name) is not None and slot(knowledge, tracker, name) is None
    ]
