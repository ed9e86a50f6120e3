"""The protections of the servers, in force however they are started.

Rasa imports this project's own modules when it starts, whatever the command (`rasa run`, `python -m
server run`, a container's entry point): the channels named in credentials.yml (channels/), the
tracker store named in endpoints.yml (stores/) and, in the action server, the actions (actions/).
Those packages call `protect_rasa_server()` or `protect_action_server()` when imported, so the
protections below hold with plain `rasa run` too; each process logs once which are in force.
`python -m server ARGS` applies the same before Rasa starts.

- Log redaction (every process, the action server too): each log record's message, and the
  traceback logged with it, goes through `redact()` when it is created, so no log line carries an
  ID number, phone number, e-mail address, bank card number or password, whatever logged it and at
  whatever level (Rasa's JSON log lines at DEBUG included: their \\u escapes are read too); then
  through `scrub()` (server/log_scrub.py), so no log line carries what a student wrote or what the
  bot answered either, only a placeholder with its length (【消息 12字】).
- For the Rasa server only (not imported by `run actions`, which stays light):
  server/validation.py builds the action-response validator once (it was 60% of the CPU under
  load), server/classifier.py builds the intent classifier's input in half the time (a fifth of
  the NLU's), server/fallback.py answers from the knowledge when the action server is down or
  slow, server/events.py finds an event's class by its name once instead of for every event, and
  server/graph_runner.py runs the model's graphs node after node without dask's scheduler.
"""

import logging
from typing import Any, Optional, Sequence

from privacy import redact
from server.log_scrub import scrub

logger = logging.getLogger(__name__)
TRACEBACKS = logging.Formatter()  # formats an exception's traceback the way every handler does


def redact_log_records() -> None:
    """Personal data and message texts in a log record are masked before any handler sees the
    record: in its message, the traceback of an exception logged with it, and its stack. The
    message is read as written, so the JSON of Rasa's structured logs at DEBUG, which escapes
    Chinese (\\u5bc6\\u7801 for 密码), is masked like plain text (privacy/ and server/log_scrub.py
    read the escapes)."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "redacting", False):
        return

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message, unformatted = record.getMessage(), False
        except Exception:  # arguments that do not fit the format: the handler would print both
            message, unformatted = f"{record.msg} {record.args!r}", True
        redacted = scrub(redact(message))
        if redacted != message or unformatted:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(redact(TRACEBACKS.formatException(record.exc_info)))
        if record.stack_info:
            record.stack_info = scrub(redact(record.stack_info))
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
    return (
        "Refusing to start: --enable-api without --auth-token or --jwt-secret would open the "
        "management API to anyone who can reach the port (CVE-2024-49375)."
    )


def protect_action_server() -> None:
    """What the action server needs: log redaction (importing Rasa's core would cost 500 MB)."""
    if "rasa server" in _ANNOUNCED:
        return  # the Rasa server imports actions/ too (server/fallback.py): it has all of this
    if _announce_once("action server"):
        redact_log_records()
        logger.info("Protections in force (action server): log redaction.")


def protect_rasa_server(arguments: Sequence[str] = ()) -> None:
    """Log redaction, the action deadline with answers from the knowledge, the action-response
    validator built once, no Rasa version at GET /, and no management API without a token (the
    process stops here when `arguments`, the command line, would open one)."""
    refusal = unprotected_api_refusal(arguments)
    if refusal:
        raise SystemExit(refusal)
    if not _announce_once("rasa server"):
        return
    redact_log_records()
    from server.classifier import classify_from_sentence_features
    from server.events import resolve_event_types_once
    from server.fallback import answer_without_the_action_server
    from server.graph_runner import run_graphs_in_order
    from server.root_route import hide_the_version
    from server.validation import validate_action_results_once

    validate_action_results_once()
    resolve_event_types_once()
    classify_from_sentence_features()
    run_graphs_in_order()
    answer_without_the_action_server()
    hide_the_version()
    api = "with a token" if "--enable-api" in arguments else "off"
    logger.info(
        "Protections in force (Rasa server): log redaction, action deadline with answers "
        f"from the knowledge, GET / without the Rasa version, management API {api}."
    )


_ANNOUNCED: set = set()


def _announce_once(role: str) -> bool:
    """True the first time a role's protections are installed in this process."""
    if role in _ANNOUNCED:
        return False
    _ANNOUNCED.add(role)
    return True


def apply_fixes(arguments: Sequence[str] = ()) -> None:
    """`python -m server ARGS`: the protections of the process ARGS start."""
    from server.startup import rasa_server

    if rasa_server(arguments):
        protect_rasa_server(arguments)
    else:
        protect_action_server()
