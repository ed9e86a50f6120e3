"""Rasa 3.6 validates every action-server response with `jsonschema.validate`, which first checks
the schema itself against its meta-schema, on every call: under load that was 60% of the server's
CPU (py-spy; docs/benchmarks.md). Here the validator is built once. Valid responses pass as
before; an invalid one still goes through Rasa's own code, which raises its usual error.

Each event of a response is checked against the schema of its own kind only. Rasa's event schema
is a `oneOf` over 23 kinds, each of them `{"properties": {"event": {"const": <name>}}, ...}`, with
"event" required: jsonschema tries every kind for every event and builds an error for each of the
22 that fail, which was 0.7 ms of the Rasa server's CPU per message (bench/profile.py; "Per
message: the action call and the store's save" in docs/benchmarks.md). Since the names differ and
"event" must be there, exactly the kind named by the event's "event" can match, so the response
is valid when every event is valid against the schema without the `oneOf` and against its kind's
branch: the same answer (tests/test_server.py compares both on every kind and on broken events).
Should a later Rasa change the schema so that this no longer holds, the whole schema is used."""

import functools
from typing import Any, Callable, Dict, Optional, Text

from jsonschema import validators
from rasa.core.actions.action import RemoteAction


def _validator(schema: Dict[Text, Any]) -> Any:
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@functools.lru_cache(maxsize=1)
def action_response_validator():
    return _validator(RemoteAction.action_response_format_spec())


def by_event_name(schema: Dict[Text, Any]) -> Optional[Dict[Text, Any]]:
    """{event name: validator of one event of that kind}, or None when the response schema's
    events are not a `oneOf` of kinds told apart by a required "event" constant."""
    response = dict(schema)
    events = (response.get("properties") or {}).get("events") or {}
    event = events.get("items") or {}
    kinds = event.get("oneOf")
    if not isinstance(kinds, list) or "event" not in event.get("required", ()):
        return None
    names = [(kind.get("properties") or {}).get("event", {}).get("const") for kind in kinds]
    if not all(isinstance(name, str) for name in names) or len(set(names)) != len(names):
        return None
    if set(event) - {"type", "properties", "required", "oneOf"}:
        return None
    common = {key: value for key, value in event.items() if key != "oneOf"}
    return {name: _validator({**common, "allOf": [kind]}) for name, kind in zip(names, kinds, strict=True)}


@functools.lru_cache(maxsize=1)
def response_check() -> Callable[[Any], bool]:
    """is_valid for an action-server response, with each event checked against its kind only."""
    schema = RemoteAction.action_response_format_spec()
    whole = action_response_validator()
    kinds = by_event_name(schema)
    if kinds is None:
        return whole.is_valid
    without_events = {**schema, "properties": {**schema["properties"], "events": {"type": "array"}}}
    rest = _validator(without_events)

    def is_valid(result: Any) -> bool:
        if not rest.is_valid(result):
            return False
        events = result.get("events") if isinstance(result, dict) else None
        for event in events or ():
            name = event.get("event") if isinstance(event, dict) else None
            kind = kinds.get(name) if isinstance(name, str) else None
            if kind is None or not kind.is_valid(event):
                return False
        return True

    return is_valid


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    if response_check()(result):
        return True
    return RemoteAction._rasa_validate_action_result(self, result)


def validate_action_results_once() -> None:
    if not hasattr(RemoteAction, "_rasa_validate_action_result"):
        RemoteAction._rasa_validate_action_result = RemoteAction._validate_action_result
        RemoteAction._validate_action_result = validate_action_result
