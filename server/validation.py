"""Rasa 3.6 validates every action-server response with `jsonschema.validate`, which first checks
the schema itself against its meta-schema, on every call: under load that was 60% of the server's
CPU (py-spy; docs/benchmarks.md). Here the validator is built once. Valid responses pass as
before; an invalid one still goes through Rasa's own code, which raises its usual error."""

import functools
from typing import Any, Dict, Text

from jsonschema import validators
from rasa.core.actions.action import RemoteAction


@functools.lru_cache(maxsize=1)
def action_response_validator():
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    if action_response_validator().is_valid(result):
        return True
    return RemoteAction._rasa_validate_action_result(self, result)


def validate_action_results_once() -> None:
    if not hasattr(RemoteAction, "_rasa_validate_action_result"):
        RemoteAction._rasa_validate_action_result = RemoteAction._validate_action_result
        RemoteAction._validate_action_result = validate_action_result
