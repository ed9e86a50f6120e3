"""The Rasa server, with a performance fix, log redaction and answers without the action server
(server/fallback.py) applied before Rasa's command line runs.

Log redaction: every log record's message goes through `redact()` when it is created, so no log
line of the Rasa server (or of an action server started through here) carries an ID number, phone
number, e-mail address, bank card number or password, whatever logged it and at whatever level.

Rasa 3.6 validates every action-server response with `jsonschema.validate`, which first checks
the schema itself against its meta-schema, on every call: under load that was 60% of the server's
CPU (py-spy; docs/benchmarks.md). Here the validator is built once. Valid responses pass as
before; an invalid one still goes through Rasa's own code, which raises its usual error.
"""

import functools
import logging
from typing import Any, Dict, Text

from jsonschema import validators
from rasa.core.actions.action import RemoteAction

from nlu_components.privacy import redact


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


def apply_fixes() -> None:
    from server.fallback import answer_without_the_action_server

    redact_log_records()
    answer_without_the_action_server()
    if not hasattr(RemoteAction, "_rasa_validate_action_result"):
        RemoteAction._rasa_validate_action_result = RemoteAction._validate_action_result
        RemoteAction._validate_action_result = validate_action_result


def redact_log_records() -> None:
    """Personal data in a log message is masked before any handler sees the record."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "redacting", False):
        return

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return record

    redacting_factory.redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting_factory)
