"""Which slash commands a student may send: only those the bot's own buttons send.

Rasa reads a message such as `/inform_platform{"platform": "icve"}` as an intent with entities,
without the NLU: that is how buttons talk to the bot. Typed by a student, the same syntax would set
any intent and any entity value (an unknown platform id, a dict, 500 characters of text to echo).
`user_text()`, applied by the message gate of every channel (channels/limits.py), lets through the
payloads the buttons send and turns any other message starting with "/" into ordinary text for
the NLU, by removing its leading slashes.

The allow-list is built once, from the buttons of domain.yml's responses and from everything the
actions generate from data/knowledge (knowledge/render.py, walkthroughs.yml): topic buttons,
every answer's "查看原文" and 有帮助 / 没帮助 (and the reasons after 没帮助), the offer of a person (转人工), the platform question, the capabilities button, walkthrough offers, the
walkthrough's questions (their answers so far in any order) and its step buttons. WeChat's number
menus send the payloads of the last answer's buttons; they do not pass through the gate. Payloads
are compared as intent plus entities, so that the order of the entities and the spaces in the JSON
do not matter.
"""

import functools
import itertools
import json
import logging
import re
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterator, Optional, Sequence, Set, Text, Tuple

import yaml

from knowledge.loader import Knowledge, load_knowledge

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
INTENT_PREFIX = "/"
# Rasa's own pattern (YAMLStoryReader._regex_message_pattern): /intent@confidence{entities}rest.
COMMAND = re.compile(
    r"^/(?P<intent>[^{@]+)(?P<confidence>@[0-9.]+)?(?P<entities>{.+})?(?P<rest>.*)$", re.DOTALL
)

Command = Tuple[Text, FrozenSet[Tuple[Text, Text]]]

# Number menus (WeChat, Chatwoot): an answer's buttons listed as "回复 1：…"; a reply with a number
# chooses that button. ASCII digits only ("²" and "①" are digits to Python, not to int()); a Chinese
# keyboard in full-width mode types １２３, which are mapped first.
MENU_NUMBER = re.compile(r"[0-9]{1,3}")
FULL_WIDTH_DIGITS = {0xFF10 + digit: str(digit) for digit in range(10)}


def menu_choice(text: Text, menu: Sequence[Text]) -> Text:
    """The payload of the last answer's button whose number the reply is, or the reply itself."""
    number = text.strip().translate(FULL_WIDTH_DIGITS)
    if MENU_NUMBER.fullmatch(number) and 1 <= int(number) <= len(menu):
        return menu[int(number) - 1]
    return text


def parse_command(payload: Text) -> Optional[Command]:
    """A slash command as (intent, entities), or None when it is not one a button could send
    (a confidence, trailing text, entities that are not a flat object of strings)."""
    match = COMMAND.match(payload.strip())
    if not match or match.group("confidence") or match.group("rest"):
        return None
    entities: Dict[Any, Any] = {}
    if match.group("entities"):
        try:
            entities = json.loads(match.group("entities"))
        except ValueError:
            return None
        if not isinstance(entities, dict) or not all(isinstance(value, str) for value in entities.values()):
            return None
    return match.group("intent"), frozenset(entities.items())


def domain_payloads() -> Iterator[Text]:
    """The payloads of the buttons in domain.yml's responses (or a domain/ folder's files)."""
    files = [ROOT / "domain.yml"] + sorted((ROOT / "domain").glob("**/*.yml"))
    for path in files:
        if not path.is_file():
            continue
        domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for variations in (domain.get("responses") or {}).values():
            for variation in variations or []:
                for button in variation.get("buttons") or []:
                    # Rasa fills {slot} placeholders in responses; {{ and }} are literal braces.
                    yield str(button["payload"]).replace("{{", "{").replace("}}", "}")


def knowledge_payloads(knowledge: Knowledge) -> Iterator[Text]:
    """Every payload the actions put on a button, generated as the actions generate them."""
    from knowledge.render import (
        ask_platform_buttons,
        capabilities_button,
        feedback_buttons,
        feedback_reason_buttons,
        handoff_buttons,
        payload_for,
        sources_payload,
        walkthrough_payload,
        walkthrough_start_payload,
    )

    for topic_id in knowledge.topics:
        yield payload_for(knowledge, topic_id)
        yield sources_payload(knowledge, topic_id)  # "查看原文"
        # 有帮助 / 没帮助, and the reasons after 没帮助
        yield from (b["payload"] for b in feedback_buttons(knowledge, topic_id))
        yield from (b["payload"] for b in feedback_reason_buttons(knowledge, topic_id))
    for misconception_id in knowledge.misconceptions:
        # "查看原文" under an answer that opened by correcting this belief: the belief's own topic's,
        # or that of the question asked beside it (actions/answer.py)
        for topic_id in knowledge.topics:  # another platform's topic names no belief (render.py)
            yield sources_payload(knowledge, topic_id, [misconception_id])
    for button in ask_platform_buttons(knowledge):
        yield button["payload"]
    yield capabilities_button(knowledge)["payload"]
    yield from (b["payload"] for b in handoff_buttons(knowledge))  # 转人工 / 不用了
    for procedure_id in knowledge.procedures:
        payload = walkthrough_payload(knowledge, procedure_id)
        if payload:
            yield payload
    for intent in knowledge.walkthroughs["navigation"]:  # the walkthrough's step buttons
        yield f"/{intent}"
    # The walkthrough's question buttons carry every answer given so far: any combination.
    options = {
        question: list(knowledge.platforms) if question == "platform" else list(config["options"])
        for question, config in knowledge.walkthroughs["questions"].items()
    }
    choices = [[None] + values for values in options.values()]
    for combination in itertools.product(*choices):
        answers = {q: v for q, v in zip(options, combination, strict=True) if v is not None}
        if answers:  # without answers the button is domain.yml's plain /walkthrough_start
            yield walkthrough_start_payload(answers)


@functools.lru_cache(maxsize=1)
def allowed_commands() -> Set[Command]:
    knowledge = load_knowledge()
    allowed = set()
    for payload in itertools.chain(domain_payloads(), knowledge_payloads(knowledge)):
        command = parse_command(payload)
        if command is None:  # cannot be matched: its button would be read as text
            logger.warning(f"A button payload that is not a slash command: {payload!r}")
            continue
        allowed.add(command)
    return allowed


def user_text(message: Text) -> Text:
    """`message` as Rasa may see it: unchanged unless it starts with "/" and is not a payload of
    one of the bot's buttons; then without its leading slashes (and spaces), as ordinary text."""
    if not message.strip().startswith(INTENT_PREFIX):
        return message
    if parse_command(message) in allowed_commands():
        return message
    text = message
    while True:  # Rasa strips a message before it looks for the "/": so do we, again and again
        stripped = text.lstrip().lstrip(INTENT_PREFIX)
        if stripped == text:
            return text
        text = stripped
