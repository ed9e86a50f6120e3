"""A long conversation costs no more per message than a short one: its session is trimmed.

Rasa loads the events of a conversation's latest session (since its last `session_started`) for
every message, replays them into a tracker, sends that tracker to the action server and counts them
again when it saves; a student who keeps asking all afternoon makes every message slower (message
200 took 8.7 times message 1). When the session has grown beyond `trim_after_events` events and
the conversation is at rest (see `at_rest`), the tracker store appends a fresh session start on
save, as Rasa's own `action_session_start` writes it (`action_session_start`, `session_started`,
`action_listen`), with a `slot` event for every slot whose value differs from its initial value, so
the next message finds exactly the state it would have found in the long session, in a few events.
Nothing is deleted: reports read every event, retention and `forget` apply as before.

The synthetic `session_started` carries `metadata: {"trimmed": {"last_user_at": <time>}}`, the time
of the last user message before it. Rasa starts a new session after `session_expiration_time` of
silence, measured from the last user message of the session it loads; the trimmed session has none,
so `expired_trim_session` tells the store when that time has passed, and the store then lets Rasa
start its new session as it would have (slots not carried over).
"""

from typing import Any, Collection, Dict, List, Optional, Sequence, Text

from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from knowledge.loader import built_once
from knowledge.render import refusals as refusal_texts

# Events in the latest session after which a conversation at rest starts a fresh one: about 5 to
# 10 messages (a knowledge answer is 6 to 9 events). Endpoints.yml: `trim_after_events` of the
# tracker store; 0 turns trimming off.
DEFAULT_TRIM_AFTER_EVENTS = 60
TRIM_MARK = "trimmed"
# The slots of a step-by-step conversation that the next message must find as they are, and the
# history it reads besides them (actions/slots.py `previous_message`, only with `pending_goal`):
# while one of these holds a value, the conversation is not at rest and is never trimmed.
IN_PROGRESS_SLOTS = ("walkthrough", "pending_goal", "rehearsal", "requested_slot")
# `session_started` this long after `action_session_start`, which belongs to the old session as in
# Rasa (its session query compares timestamps).
AFTER = 1e-6


def session_events(tracker: DialogueStateTracker) -> List[Event]:
    """The events of the tracker's latest session (all of them when it has no session start)."""
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], SessionStarted):
            return events[index:]
    return events


# What the bot says when it did not understand: after it, the next message reads the turn before
# (a second failure in a row offers a person, actions/handoff.py), so no trim follows one.
refusals = built_once(lambda knowledge: frozenset(refusal_texts(knowledge)))


def last_replies(tracker: DialogueStateTracker) -> List[Text]:
    """What the bot said since the user's last message."""
    said = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered) and event.text:
            said.append(event.text)
    return said


def at_rest(tracker: DialogueStateTracker, read_on_after: Collection[Text] = ()) -> bool:
    """True when nothing in the conversation waits on its history: the bot has answered and listens
    (last event `action_listen`, no follow-up action queued, not paused), no form is active (the
    rehearsal), no walkthrough, platform question or rehearsal is in progress, and the bot's last
    reply is none of `read_on_after` (replies the next message looks back at)."""
    events = tracker.events
    if not events:
        return False
    last = events[-1]
    if not isinstance(last, ActionExecuted) or last.action_name != ACTION_LISTEN_NAME:
        return False
    if tracker.active_loop_name or tracker.is_paused():
        return False
    if tracker.followup_action not in (None, ACTION_LISTEN_NAME):
        return False
    if any(text in read_on_after for text in last_replies(tracker)):
        return False
    return all(tracker.get_slot(name) is None for name in IN_PROGRESS_SLOTS if name in tracker.slots)


def should_trim(
    tracker: DialogueStateTracker, trim_after_events: int, read_on_after: Collection[Text] = ()
) -> bool:
    return (
        trim_after_events > 0
        and len(session_events(tracker)) > trim_after_events
        and at_rest(tracker, read_on_after)
    )


def whole_session(events: Sequence[Event]) -> List[Event]:
    """The events since the latest session start that is not a trim: the session as Rasa would
    have kept it (the staff console's transcript), with the trims' own events left out."""
    events = list(events)
    start = 0
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], SessionStarted) and trim_mark(events[index]) is None:
            start = index
            break
    kept, skip_carried = [], False
    for index, event in enumerate(events[start:], start):
        following = events[index + 1] if index + 1 < len(events) else None
        if (
            isinstance(event, ActionExecuted)
            and event.action_name == ACTION_SESSION_START_NAME
            and trim_mark(following)
        ):
            continue
        if trim_mark(event):
            skip_carried = True
            continue
        if skip_carried and isinstance(event, SlotSet):
            continue
        if skip_carried and isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN_NAME:
            skip_carried = False
            continue
        skip_carried = False
        kept.append(event)
    return kept


def carried_slots(tracker: DialogueStateTracker, timestamp: float) -> List[SlotSet]:
    """A SlotSet for every slot whose value is not its initial one: after `session_started` (which
    resets every slot), they give the new session the state the old one ended with."""
    return [
        SlotSet(name, slot.value, timestamp=timestamp)
        for name, slot in tracker.slots.items()
        if slot.value != slot.initial_value
    ]


def last_user_time(tracker: DialogueStateTracker) -> Optional[float]:
    """When the user last spoke in the latest session (or before it, for a trimmed session)."""
    for event in reversed(session_events(tracker)):
        if isinstance(event, UserUttered):
            return event.timestamp
    first = session_events(tracker)[0] if tracker.events else None
    mark = trim_mark(first)
    return mark.get("last_user_at") if mark else None


def trim_mark(event: Optional[Event]) -> Optional[Dict[str, Any]]:
    """The mark of a session start written by `trim_events`, or None."""
    if not isinstance(event, SessionStarted) or not isinstance(event.metadata, dict):
        return None
    mark = event.metadata.get(TRIM_MARK)
    return mark if isinstance(mark, dict) else None


def trim_events(tracker: DialogueStateTracker, now: float) -> List[Event]:
    """The events that start a fresh session with the state of the tracker's latest one."""
    # This replica's clock, as for Rasa's own events: never later than the events of the next message
    # it handles. An old event stamped later by a replica whose clock is ahead is loaded with the new
    # session, before its `session_started`, which resets what it set: harmless. (Stamping the new
    # session after it would hide the next messages of a replica whose clock is behind.)
    started = now
    at = started + AFTER
    mark = {TRIM_MARK: {"last_user_at": last_user_time(tracker)}}
    return [
        ActionExecuted(ACTION_SESSION_START_NAME, timestamp=started),
        SessionStarted(timestamp=at, metadata=mark),
        *carried_slots(tracker, at),
        ActionExecuted(ACTION_LISTEN_NAME, timestamp=at),
    ]


def expired_trim_session(tracker: DialogueStateTracker, expiration_minutes: float, now: float) -> bool:
    """True when the tracker is a trimmed session no one has spoken in since, and its conversation
    has been silent longer than the session expiration time (Rasa would start a new session)."""
    events = session_events(tracker)
    mark = trim_mark(events[0]) if events else None
    if mark is None or expiration_minutes <= 0 or any(isinstance(e, UserUttered) for e in events):
        return False
    last = mark.get("last_user_at")
    return isinstance(last, (int, float)) and (now - last) / 60 > expiration_minutes
