"""Rasa 3.6 finds the class of an event by its name (`Event.resolve_by_type`) by listing every
subclass of Event, recursively, and checking each one for abstract methods, for every event it
reads: loading a tracker replays each event of the session through it, and so do the tracker
store's redaction and the reading of the action server's answer. It was a third of a tracker
load: in-process, a message's load took 1.8 ms before and 1.1 ms after (docs/benchmarks.md, "Per
message: the tracker store"). Here each name's class is looked up once, the first class Rasa's own
loop finds; a name no class has goes through Rasa's code as before (the default, None for "topic",
or its error).
"""

from typing import Dict, Optional, Text, Type

from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

_FOUND: Dict[Text, Type[Event]] = {}


def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    found = _FOUND.get(type_name)
    if found is None:
        found = next((cls for cls in all_subclasses(Event) if cls.type_name == type_name), None)
        if found is None:  # not cached: a class defined later may have it
            return Event._rasa_resolve_by_type(type_name, default)
        _FOUND[type_name] = found
    return found


def resolve_event_types_once() -> None:
    if not hasattr(Event, "_rasa_resolve_by_type"):
        Event._rasa_resolve_by_type = staticmethod(Event.resolve_by_type)
        Event.resolve_by_type = staticmethod(resolve_by_type)
