"""Turns a knowledge topic into the text and buttons a user sees.

Layout strings come from data/knowledge/presentation.yml; facts from the other knowledge files.
"""

import json
from typing import Any, Dict, List, Optional, Sequence, Text

from knowledge.loader import DEFAULT_ROUTE, Knowledge

# "查看原文": the intent and entities of the sources button (domain.yml, actions/sources.py).
SOURCES_INTENT = "show_sources"
SOURCES_TOPIC = "topic"
SOURCES_MISCONCEPTION = "misconception"


def render_steps(knowledge: Knowledge, procedure_id: Text) -> List[Text]:
    layout = knowledge.presentation
    procedure = knowledge.procedures[procedure_id]
    lines = [layout["steps_heading"].format(title=procedure["title"])]
    for number, step in enumerate(knowledge.steps_of(procedure_id), start=1):
        template = layout["step_see"] if step.get("see") else layout["step"]
        lines.append(template.format(number=number, do=step["do"], see=step.get("see")))
    return lines


def render_point(knowledge: Knowledge, point: Text) -> Text:
    layout = knowledge.presentation
    if point.startswith(tuple(layout["marked_point_prefixes"])):
        return point
    return layout["point"].format(text=point)


def render_misconception(knowledge: Knowledge, misconception_id: Text) -> Text:
    correction = knowledge.misconceptions[misconception_id]["correction"]
    return knowledge.presentation["misconception"].format(correction=correction)


def citation(knowledge: Knowledge, source_id: Text) -> Text:
    return knowledge.citation.format(**knowledge.sources[source_id])


def topic_source(knowledge: Knowledge, topic: Dict[Text, Any]) -> Text:
    """A topic cites the source of its procedure or misconception, else its platform's document."""
    if "source" in topic:
        return topic["source"]
    if "procedure" in topic:
        return knowledge.procedures[topic["procedure"]]["source"]
    if "misconception" in topic:
        return knowledge.misconceptions[topic["misconception"]]["source"]
    return f"{topic['platform']}_doc"


def render_answer(knowledge: Knowledge, topic_id: Text, stated: Sequence[Text] = ()) -> Text:
    """A topic's answer. Beliefs the user `stated` come first, as "⚠️ 常见误区" corrections;
    the topic's own corrections are otherwise given plainly, without lecturing."""
    layout = knowledge.presentation
    topic = knowledge.topics[topic_id]
    lines = [render_misconception(knowledge, m) for m in stated]
    if topic.get("answer"):
        lines.append(topic["answer"].strip())
    if topic.get("misconception") and topic["misconception"] not in stated:
        lines.append(knowledge.misconceptions[topic["misconception"]]["correction"])
    lines.extend(render_point(knowledge, p) for p in topic.get("points", []))
    if topic.get("procedure"):
        lines.extend(render_steps(knowledge, topic["procedure"]))
    lines.extend(layout["warning"].format(text=w) for w in topic.get("warnings", []))
    lines.extend(
        layout["warning"].format(text=knowledge.misconceptions[m]["correction"])
        for m in topic.get("warn_misconceptions", [])
        if m not in stated
    )
    lines.append(citation(knowledge, topic_source(knowledge, topic)))
    return "\n".join(lines)


def payload_for(knowledge: Knowledge, topic_id: Text) -> Text:
    """The message a button sends to reach a topic: its own intent, or a routed generic intent."""
    route = knowledge.route_to(topic_id)
    if route is None:
        return f"/{topic_id}"
    entities = {"platform": route.platform}
    if route.device != DEFAULT_ROUTE:
        entities["device"] = route.device
    return f"/{route.goal}{json.dumps(entities, ensure_ascii=False)}"


def topic_buttons(knowledge: Knowledge, topic_ids: List[Text]) -> List[Dict[Text, Text]]:
    return [
        {"title": knowledge.topics[tid]["title"], "payload": payload_for(knowledge, tid)} for tid in topic_ids
    ]


def inform_platform_payload(platform: Text) -> Text:
    """The message that names a platform, as the platform buttons send it."""
    return f'/inform_platform{{"platform": "{platform}"}}'


def ask_platform_buttons(knowledge: Knowledge) -> List[Dict[Text, Text]]:
    """One button per platform the bot knows, and one for "another platform" (out of scope)."""
    buttons = [
        {"title": info["name"], "payload": inform_platform_payload(pid)}
        for pid, info in knowledge.platforms.items()
    ]
    buttons.append({"title": knowledge.presentation["ask_platform_other"], "payload": "/out_of_scope"})
    return buttons


def other_platform_buttons(knowledge: Knowledge, platform: Text) -> List[Dict[Text, Text]]:
    """ "我问的是学信网": the same question asked of each platform but `platform` (the payloads of
    ask_platform_buttons, which the bot's own question about the platform also sends)."""
    return [
        {
            "title": knowledge.presentation["ask_other_platform"].format(platform_name=info["name"]),
            "payload": inform_platform_payload(pid),
        }
        for pid, info in knowledge.platforms.items()
        if pid != platform
    ]


def capabilities_button(knowledge: Knowledge) -> Dict[Text, Text]:
    return {"title": knowledge.presentation["capabilities_button"], "payload": "/bot_capabilities"}


def walkthrough_start_payload(answers: Dict[Text, Text]) -> Text:
    """The message that starts (or answers a question of) a walkthrough with these answers."""
    return f"/walkthrough_start{json.dumps(answers, ensure_ascii=False)}"


def walkthrough_payload(knowledge: Knowledge, procedure_id: Text) -> Optional[Text]:
    """The message a button sends to start the walkthrough of a procedure (None: no walkthrough)."""
    choices = knowledge.walkthrough_choices(procedure_id)
    if choices is None:
        return None
    entities = {"platform": knowledge.procedures[procedure_id]["platform"], **choices}
    return walkthrough_start_payload(entities)


def sources_payload(knowledge: Knowledge, topic_id: Text, stated: Sequence[Text] = ()) -> Text:
    """The message the "查看原文" button of a topic's answer sends. It names the topic and, when the
    answer opened by correcting a stated belief (about the topic's platform) the topic does not
    correct itself, that belief (the first one: channels/payloads.py enumerates one per belief)."""
    topic = knowledge.topics[topic_id]
    own = [topic.get("misconception")] + topic.get("warn_misconceptions", [])
    entities = {SOURCES_TOPIC: topic_id}
    extra = [m for m in stated if m not in own and knowledge.same_platform(m, topic_id)]
    if extra:
        entities[SOURCES_MISCONCEPTION] = extra[0]
    return f"/{SOURCES_INTENT}{json.dumps(entities, ensure_ascii=False)}"


def sources_button(knowledge: Knowledge, topic_id: Text, stated: Sequence[Text] = ()) -> Dict[Text, Text]:
    """The "查看原文" button under a topic's answer."""
    return {
        "title": knowledge.presentation["sources_button"],
        "payload": sources_payload(knowledge, topic_id, stated),
    }


def render_sources(knowledge: Knowledge, topic_id: Text, stated: Sequence[Text] = ()) -> Optional[Text]:
    """The sentences of the documents a topic's answer rests on, verbatim and in the order the
    answer says them, grouped by document with its title and date; None when there are none."""
    layout = knowledge.presentation
    by_document: Dict[Text, List[Text]] = {}
    for source, quote in knowledge.quotes_of(topic_id, stated):
        by_document.setdefault(source, []).append(quote)
    if not by_document:
        return None
    lines = [layout["sources_heading"].format(title=knowledge.topics[topic_id]["title"])]
    for source, quotes in by_document.items():
        lines.append(layout["sources_document"].format(**knowledge.sources[source]))
        lines.extend(layout["sources_quote"].format(quote=quote) for quote in quotes)
    return "\n".join(lines)


def walkthrough_offer(knowledge: Knowledge, topic_id: Text) -> List[Dict[Text, Text]]:
    """The "需要我一步一步带你操作吗？" button of a topic that has a procedure."""
    payload = walkthrough_payload(knowledge, knowledge.topics[topic_id].get("procedure", ""))
    if payload is None:
        return []
    return [{"title": knowledge.walkthroughs["messages"]["offer_button"], "payload": payload}]


# "有帮助 / 没帮助" under every knowledge answer (actions/feedback.py). The payload names the topic,
# and whether it helped or why not: Rasa stores it as the user event, with no text typed by anyone.
FEEDBACK_INTENT = "feedback"
FEEDBACK_TOPIC = "topic"
FEEDBACK_HELPFUL = "helpful"
FEEDBACK_REASON = "reason"
FEEDBACK_VALUES = ("yes", "no")


def feedback_payload(topic_id: Text, helpful: Optional[Text] = None, reason: Optional[Text] = None) -> Text:
    """`/feedback{"topic": …, "helpful": "yes"|"no"}`, or with `"reason"` for the follow-up after 没帮助.
    The widget and the WeChat channel recognise a feedback button by this intent."""
    entities = {FEEDBACK_TOPIC: topic_id}
    if helpful is not None:
        entities[FEEDBACK_HELPFUL] = helpful
    if reason is not None:
        entities[FEEDBACK_REASON] = reason
    return f"/{FEEDBACK_INTENT}{json.dumps(entities, ensure_ascii=False)}"


def feedback_buttons(knowledge: Knowledge, topic_id: Text) -> List[Dict[Text, Text]]:
    """The two light buttons under a topic's answer: 👍 有帮助 / 👎 没帮助."""
    texts = knowledge.presentation["feedback"]
    return [
        {"title": texts["helpful_button"], "payload": feedback_payload(topic_id, helpful="yes")},
        {"title": texts["unhelpful_button"], "payload": feedback_payload(topic_id, helpful="no")},
    ]


def feedback_reason_buttons(knowledge: Knowledge, topic_id: Text) -> List[Dict[Text, Text]]:
    """After 没帮助: why not (答非所问 / 步骤不对 / 看不懂 / 其他), one optional tap."""
    reasons = knowledge.presentation["feedback"]["reasons"]
    return [
        {"title": title, "payload": feedback_payload(topic_id, reason=rid)} for rid, title in reasons.items()
    ]


# Handoff to a person (actions/handoff.py offers it, channels/handoff.py runs it in the widget).
HANDOFF_INTENT = "request_human"
HANDOFF_ANSWER = "handoff"
HANDOFF_ACCEPT, HANDOFF_DECLINE = "accept", "decline"


def handoff_payload(answer: Text) -> Text:
    """`/request_human{"handoff": "accept"|"decline"}`: the offer's buttons."""
    return f"/{HANDOFF_INTENT}{json.dumps({HANDOFF_ANSWER: answer})}"


def handoff_buttons(knowledge: Knowledge) -> List[Dict[Text, Text]]:
    """转人工 / 不用了: the offer of a person."""
    texts = knowledge.presentation["handoff"]
    return [
        {"title": texts["accept_button"], "payload": handoff_payload(HANDOFF_ACCEPT)},
        {"title": texts["decline_button"], "payload": handoff_payload(HANDOFF_DECLINE)},
    ]


def refusals(knowledge: Knowledge) -> List[Text]:
    """What the bot says when it did not understand (actions/answer.py): a second one in a row
    offers a person (actions/handoff.py), and no trim follows one (stores/trim.py)."""
    return [knowledge.presentation["not_understood"], knowledge.presentation["out_of_scope"]]
