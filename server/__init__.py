"""`python -m server ARGS` is `rasa ARGS` with these applied first:

- Log redaction (every process, the action server too): each log record's message, and the
  traceback logged with it, goes through `redact()` when it is created, so no log line carries an
  ID number, phone number, e-mail address, bank card number or password, whatever logged it and at
  whatever level (Rasa's JSON log lines at DEBUG included: their \\u escapes are read too).
- For the Rasa server only (not imported by `run actions`, which stays light):
  server/validation.py builds the action-response validator once (it was 60% of the CPU under
  load), and server/fallback.py answers from the knowledge when the action server is down or slow.
"""

import logging
from typing import Any, Optional, Sequence

from privacy import redact

TRACEBACKS = logging.Formatter()  # formats an exception's traceback the way every handler does


def redact_log_records() -> None:
    """Personal data in a log record is masked before any handler sees the record: its message,
    the traceback of an exception logged with it, and its stack. The message is read as written,
    so the JSON of Rasa's structured logs at DEBUG, which escapes Chinese (\\u5bc6\\u7801 for
    密码), is masked like plain text (privacy/ decodes the escapes)."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "redacting", False):
        return

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message, unformatted = record.getMessage(), False
        except Exception:  # arguments that do not fit the format: the handler would print both
            message, unformatted = f"{record.msg} {record.args!r}", True
        redacted = redact(message)
        if redacted != message or unformatted:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(TRACEBACKS.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    redacting_factory.redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting_factory)


def unprotected_api_refusal(arguments: Sequence[str]) -> Optional[str]:
    """Why these `rasa` arguments must not run, or None: the management API (`--enable-api`) lets
    anyone who reaches it replace the model or read every conversation unless it requires a token
    (`--auth-token`) or a JWT (`--jwt-secret`)."""
    if "--enable-api" not in arguments:
        return None
    if any(a.split("=")[0] in ("--auth-token", "-t", "--jwt-secret") for a in arguments):
        return None
    return ("Refusing to start: --enable-api without --auth-token or --jwt-secret would open the "
            "management API to anyone who can reach the port (CVE-2024-49375).")


def apply_fixes(arguments: Sequence[str] = ()) -> None:
    redact_log_records()
    if list(arguments[:2]) == ["run", "actions"]:
        return  # the action server needs neither fix, and importing Rasa's core costs 500 MB
    from server.fallback import answer_without_the_action_server
    from server.validation import validate_action_results_once

    validate_action_results_once()
    answer_without_the_action_server()
