"""server/events.py: an event's class found by its name once gives what Rasa's own lookup gives,
for every event Rasa knows, and a name no class has goes through Rasa's code as before."""

import pytest
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

from server.events import resolve_by_type, resolve_event_types_once

pytestmark = pytest.mark.unit


def test_every_event_name_resolves_as_in_rasa():
    resolve_event_types_once()
    rasas = Event._rasa_resolve_by_type
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert len(names) > 20
    for name in sorted(names):
        assert resolve_by_type(name) is rasas(name), name
        assert Event.resolve_by_type(name) is rasas(name), name


def test_unknown_names_as_in_rasa():
    resolve_event_types_once()
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")


def test_events_read_from_their_dicts_as_before():
    resolve_event_types_once()
    event = UserUttered("职教云怎么退出", {"name": "icve_logout_app", "confidence": 0.9}, timestamp=1.0)
    assert Event.from_parameters(event.as_dict()) == event
    assert Event.from_parameters({"event": "slot", "name": "platform", "value": "icve"}) == SlotSet(
        "platform", "icve"
    )
