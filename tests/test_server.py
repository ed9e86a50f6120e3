"""The server's performance fix must not change what Rasa accepts or rejects from the action server."""

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from server import apply_fixes

pytestmark = pytest.mark.unit

VALID = {
    "events": [{"event": "slot", "name": "platform", "value": "icve"}],
    "responses": [{"text": "你好", "buttons": [{"title": "学信网", "payload": "/chsi_account_share"}]}],
}
INVALID = {"events": [{"name": "platform"}], "responses": "not a list"}


@pytest.fixture(scope="module")
def action():
    apply_fixes()
    return RemoteAction("action_answer", action_endpoint=None)


def test_valid_action_response_is_accepted(action):
    assert action._validate_action_result(VALID) is True


def test_invalid_action_response_raises_rasas_own_error(action):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(INVALID)


def test_fixes_are_applied_once(action):
    apply_fixes()
    assert RemoteAction._rasa_validate_action_result is not RemoteAction._validate_action_result


# Responses whose events are checked one kind at a time (server/validation.py): each must get the
# answer Rasa's whole schema gives.
EVENTS = [
    {
        "event": "user",
        "text": "智慧职教怎么退出",
        "parse_data": {"intent": {"name": "icve_logout", "confidence": 0.9}},
    },
    {"event": "user", "text": None, "parse_data": {"intent": {"name": 3}}},
    {"event": "user", "parse_data": {"entities": [{"entity": "platform"}]}},
    {"event": "user", "parse_data": {"response_selector": {"all_retrieval_intents": []}}},
    {"event": "user", "parse_data": {"response_selector": {"faq": {"response": {"confidence": "high"}}}}},
    {"event": "action", "name": "action_answer", "policy": None, "confidence": 1.0},
    {"event": "action", "hide_rule_turn": "yes"},
    {"event": "slot", "name": "platform", "value": "icve"},
    {"event": "slot", "name": "platform"},
    {"event": "slot", "name": 5, "value": None},
    {"event": "entities", "entities": [{"entity": "device", "value": "手机"}]},
    {"event": "entities"},
    {"event": "bot", "text": "你好", "data": {"buttons": []}, "metadata": {"utter_action": "utter_greet"}},
    {"event": "bot", "metadata": "not an object"},
    {"event": "bot", "timestamp": "now"},
    {"event": "active_loop", "name": None},
    {"event": "followup", "name": "action_listen"},
    {"event": "session_started", "timestamp": 1.5},
    {"event": "reset_slots"},
    {"event": "no_such_event"},
    {"event": 7},
    {"name": "platform", "value": "icve"},
    "slot",
    None,
    [],
]
RESPONSES = (
    [{"events": [event], "responses": []} for event in EVENTS]
    + [{"events": EVENTS[:2]}, {"events": [EVENTS[0], EVENTS[9]]}, {"responses": [{"text": "好"}]}, {}]
    + [{"events": {"event": "bot"}}, {"events": None}, {"responses": ["text"]}, [], "events", None]
)


@pytest.mark.parametrize("response", RESPONSES, ids=range(len(RESPONSES)))
def test_events_checked_by_kind_as_the_whole_schema_checks_them(response):
    from server.validation import action_response_validator, response_check

    assert response_check()(response) is action_response_validator().is_valid(response)


def test_every_kind_of_event_has_its_own_check():
    from server.validation import by_event_name

    kinds = by_event_name(RemoteAction.action_response_format_spec())
    assert kinds is not None and {"user", "action", "slot", "bot", "session_started"} <= set(kinds)
    assert len(kinds) == len(
        RemoteAction.action_response_format_spec()["properties"]["events"]["items"]["oneOf"]
    )


def test_a_schema_not_split_by_event_name_is_used_whole():
    from server.validation import by_event_name

    assert by_event_name({"type": "object", "properties": {"events": {"type": "array"}}}) is None
    no_name = {"properties": {"events": {"items": {"required": ["event"], "oneOf": [{"properties": {}}]}}}}
    assert by_event_name(no_name) is None
