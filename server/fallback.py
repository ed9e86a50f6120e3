"""When the action server is down or slow, the bot still answers.

Rasa waits up to 300 s for a custom action and then answers nothing (RasaHQ/rasa #7630). Here a
custom action gets `deadline_seconds` (action_endpoint in endpoints.yml, default 10); when it fails
or runs out of time, the Rasa server answers by itself: a knowledge question with its static answer
from data/knowledge (the same rendering the action server uses), small talk with its domain
response, anything else with a short apology, each after the personal-data warning when the
message carried personal data. The failure is logged in one line, without the message.
"""

import asyncio
import logging
from typing import Any, Dict, List, Optional, Text

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.events import BotUttered, Event
from rasa.shared.exceptions import RasaException

from knowledge.loader import Knowledge, known, load_knowledge, most_specific_device
from knowledge.render import render_answer

logger = logging.getLogger(__name__)

DEFAULT_DEADLINE_SECONDS = 10.0


def deadline_of(action: RemoteAction) -> float:
    options = action.action_endpoint.kwargs if action.action_endpoint else {}
    return float(options.get("deadline_seconds", DEFAULT_DEADLINE_SECONDS))


def static_topic(
    knowledge: Knowledge, intent: Text, entities: List[Dict], platform: Optional[Text]
) -> Optional[Text]:
    """The knowledge topic that answers `intent` without the action server, if there is one.
    Entity and slot values that are not known ids (a dict or an unknown id a user typed) are
    ignored, as the actions do (actions/slots.py)."""
    if intent in knowledge.topics:
        return intent
    if knowledge.is_routed(intent):
        said = [e.get("value") for e in entities if e.get("entity") == "platform"]
        said = [p for p in said if known(p, knowledge.platforms)]
        devices = [e.get("value") for e in entities if e.get("entity") == "device"]
        devices = [d for d in devices if isinstance(d, str)]
        chosen = said[0] if said else known(platform, knowledge.platforms)
        if chosen:
            return knowledge.route(intent, chosen, most_specific_device(devices))
    return None


async def static_answers(nlg: Any, tracker: Any, output_channel: Any, domain: Any) -> List[Event]:
    knowledge = load_knowledge()
    message = tracker.latest_message
    intent = (message.intent or {}).get("name") or ""
    entities = message.entities or []
    answers: List[Event] = []
    if any(e.get("entity") == "personal_data" for e in entities):
        answers.append(BotUttered(knowledge.presentation["personal_data_warning"]))
    topic = static_topic(knowledge, intent, entities, tracker.get_slot("platform"))
    response = f"utter_{intent}"
    if topic:
        answers.append(BotUttered(render_answer(knowledge, topic)))
    elif response in domain.responses:
        generated = await nlg.generate(response, tracker, output_channel.name())
        answers.append(BotUttered(generated.get("text"), data={"buttons": generated.get("buttons")}))
    else:
        answers.append(BotUttered(knowledge.presentation["action_server_down"]))
    return answers


async def run_within_deadline(
    self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any
) -> List[Event]:
    try:
        return await asyncio.wait_for(
            RemoteAction._rasa_run(self, output_channel, nlg, tracker, domain), deadline_of(self)
        )
    except ActionExecutionRejection:
        raise
    except (asyncio.TimeoutError, RasaException) as error:
        reason = "timed out" if isinstance(error, asyncio.TimeoutError) else "failed"
        logger.error(
            f"Custom action '{self.name()}' {reason} (deadline {deadline_of(self):.0f} s): "
            "answered by the Rasa server from the knowledge instead."
        )
        return await static_answers(nlg, tracker, output_channel, domain)


def answer_without_the_action_server() -> None:
    if not hasattr(RemoteAction, "_rasa_run"):
        RemoteAction._rasa_run = RemoteAction.run
        RemoteAction.run = run_within_deadline
