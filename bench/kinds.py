"""Understanding where users see it: the held-out messages by kind (tests/understanding/, issue 13)
sent to a running bot over REST, each reply read back as the topic it answers.

A reply is read, not the NLU's intent: a message is right when the student gets the expected
topic's answer (or an honest refusal where one is expected), however the bot got there. A
*confident wrong answer* is a topic's answer given to a message that expected a refusal (near
misses, kind i, and non-questions, kind j): the worst outcome for a helpdesk.
"""

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "tests" / "understanding"
OUT_OF_SCOPE, CHEATING, ASK_PLATFORM = "out_of_scope", "request_cheating", "ask_platform"
REFUSALS = {OUT_OF_SCOPE, CHEATING}
# The bot's replies to greetings, thanks, goodbyes and "who are you": for a message that is not a
# question (kind j: "你好", "谢谢"; a conversation's closing "谢谢") as right as a refusal, and never a
# topic's answer.
SMALL_TALK = "small_talk"
SMALL_TALK_RESPONSES = (
    "utter_greet",
    "utter_goodbye",
    "utter_thank",
    "utter_bot_identity",
    "utter_bot_capabilities",
)
# Where a small-talk reply can be right: non-questions, and conversation turns such as a closing
# "谢谢" (the sets label them out_of_scope, having no label for thanks).
SMALL_TALK_KINDS = "hj"
KIND_NAMES = {
    "a": "back-story",
    "b": "voice-input errors",
    "c": "pinyin, English, abbreviations",
    "d": "emoji, slang, run-on",
    "e": "numbers asked indirectly",
    "f": "teachers and staff",
    "g": "two questions",
    "h": "conversation turns",
    "i": "near misses",
    "j": "not questions",
}
ANSWERABLE_KINDS = "abcdefgh"
REFUSAL_KINDS = "ij"
# Below this share of lines in common a reply is no topic's answer.
MIN_TOPIC_SIMILARITY = 0.4


def template_pattern(template: str) -> "re.Pattern":
    """A presentation string with {placeholders} as a pattern that matches it filled in."""
    parts = re.split(r"\{[a-z_]+\}", template.strip())
    return re.compile(".*?".join(re.escape(p) for p in parts), re.DOTALL)


class ReplyReader:
    """Names the topic (or refusal, or platform question) a reply of the bot gives."""

    def __init__(self) -> None:
        from knowledge.loader import load_knowledge
        from knowledge.render import render_answer

        knowledge = load_knowledge()
        layout = knowledge.presentation
        self.topic_lines = {topic: self._lines(render_answer(knowledge, topic)) for topic in knowledge.topics}
        self.refusals = [
            template_pattern(layout[key])
            for key in (
                "out_of_scope",
                "not_understood",
                "other_platform",
                "other_platform_unnamed",
                "not_covered",
                "covered_elsewhere",
                "unstated_fact",
            )
            if key in layout
        ]
        domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
        self.cheating = domain["responses"]["utter_request_cheating"][0]["text"].strip()
        self.small_talk = {
            variation["text"].strip()
            for response in SMALL_TALK_RESPONSES
            for variation in domain["responses"][response]
        }
        self.ask_platform = layout["ask_platform"].strip()
        # A walkthrough started for the question ("一步步告诉我在哪点") answers it with its procedure,
        # step by step: it counts as the topic whose procedure that is (the first in topics.yml).
        procedure_topics: Dict[str, str] = {}
        for topic_id, topic in knowledge.topics.items():
            procedure_topics.setdefault(topic.get("procedure"), topic_id)
        self.walkthrough_intro = template_pattern(knowledge.walkthroughs["messages"]["intro"])
        self.walkthrough_topics = {
            procedure["title"]: procedure_topics[procedure_id]
            for procedure_id, procedure in knowledge.procedures.items()
            if procedure_id in procedure_topics
        }
        # "以下是智慧职教（职教云）的说明：" before the answer to a question that named no platform.
        self.whose_answer = template_pattern(layout["answered_for_platform"])
        self.offer_of_more = (layout.get("other_questions") or "\0").strip()
        # Not answers: the warning about personal data, the offer of a message's other questions.
        self.skipped = {
            layout[key].strip()
            for key in ("personal_data_warning", "other_questions")
            if isinstance(layout.get(key), str)
        }

    @staticmethod
    def _lines(text: str) -> set:
        return {line.strip() for line in text.splitlines() if line.strip()}

    def labels(self, messages: Sequence[Dict[str, Any]]) -> List[str]:
        """One label per message of the reply (topic id, out_of_scope, request_cheating,
        ask_platform, or "other: <its start>")."""
        labels = []
        for message in messages:
            text = (message.get("text") or "").strip()
            if not text or text in self.skipped:
                continue
            labels.append(self.label(text))
        return labels

    def offers_more(self, messages: Sequence[Dict[str, Any]]) -> bool:
        return any((m.get("text") or "").strip() == self.offer_of_more for m in messages)

    def label(self, text: str) -> str:
        if text == self.cheating:
            return CHEATING
        if text in self.small_talk:
            return SMALL_TALK
        if any(pattern.fullmatch(text) for pattern in self.refusals):
            return OUT_OF_SCOPE
        if text.startswith(self.ask_platform):
            return ASK_PLATFORM
        opening = text.splitlines()[0]  # the walkthrough's opening, perhaps a belief's correction below
        if self.walkthrough_intro.fullmatch(opening):
            title = next((t for t in self.walkthrough_topics if f"「{t}」" in opening), None)
            if title:
                return self.walkthrough_topics[title]
        lines = {line for line in self._lines(text) if not self.whose_answer.fullmatch(line)}
        similarity = {topic: len(lines & own) / len(lines | own) for topic, own in self.topic_lines.items()}
        best = max(similarity, key=similarity.get)
        if similarity[best] >= MIN_TOPIC_SIMILARITY:
            return best
        return "other: " + text.splitlines()[0][:30]


@dataclass
class Outcome:
    kind: str
    text: str
    expected: str
    got: List[str]
    accepted: Sequence[str] = ()
    second: Optional[str] = None
    context: List[str] = field(default_factory=list)  # earlier turns of a conversation
    offered_more: bool = False  # the reply offered the message's other questions as buttons

    @property
    def right(self) -> bool:
        """The expected answer is what the student got (for two questions: the first one is
        answered; the second one is counted apart)."""
        if not self.got:
            return False
        if self.expected in REFUSALS:
            fitting = REFUSALS | {SMALL_TALK} if self.kind in SMALL_TALK_KINDS else REFUSALS
            return all(label in fitting for label in self.got)
        return any(label in self.accepted for label in self.got)

    @property
    def confidently_wrong(self) -> bool:
        """A topic's answer where only a refusal was right."""
        return self.expected in REFUSALS and any(
            label not in REFUSALS | {SMALL_TALK, ASK_PLATFORM} and not label.startswith("other")
            for label in self.got
        )


def send(webhook: str, sender: str, text: str) -> List[Dict[str, Any]]:
    reply = requests.post(webhook, json={"sender": sender, "message": text}, timeout=60)
    reply.raise_for_status()
    return reply.json()


def accepted_labels(item: Dict[str, Any]) -> List[str]:
    also = item.get("also") or []
    return [item["expected"], *(also if isinstance(also, list) else [also])]


def run_set(webhook: str, path: Path, reader: Optional[ReplyReader] = None) -> List[Outcome]:
    """Every message and conversation of one half, each conversation with its own sender."""
    reader = reader or ReplyReader()
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    outcomes = []
    for item in data.get("messages") or []:
        reply = send(webhook, f"kinds-{uuid.uuid4().hex}", item["text"])
        outcomes.append(
            Outcome(
                item["kind"],
                item["text"],
                item["expected"],
                reader.labels(reply),
                accepted_labels(item),
                item.get("second"),
                offered_more=reader.offers_more(reply),
            )
        )
    for conversation in data.get("conversations") or []:
        sender, context = f"kinds-{uuid.uuid4().hex}", []
        for turn in conversation["turns"]:
            got = reader.labels(send(webhook, sender, turn["text"]))
            outcomes.append(
                Outcome(
                    conversation["kind"],
                    turn["text"],
                    turn["expected"],
                    got,
                    accepted_labels(turn),
                    context=list(context),
                )
            )
            context.append(turn["text"])
    return outcomes


def share(outcomes: Iterable[Outcome], test) -> float:
    outcomes = list(outcomes)
    return sum(1 for o in outcomes if test(o)) / len(outcomes) if outcomes else float("nan")


def summary(outcomes: List[Outcome]) -> Dict[str, Any]:
    """Right share per kind and over a–h, confident wrong answers over i–j, second questions."""
    by_kind: Dict[str, List[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_kind[outcome.kind].append(outcome)
    answerable = [o for o in outcomes if o.kind in ANSWERABLE_KINDS]
    refusing = [o for o in outcomes if o.kind in REFUSAL_KINDS]
    seconds = [o for o in outcomes if o.second]
    return {
        "per_kind": {
            kind: (share(items, lambda o: o.right), len(items)) for kind, items in sorted(by_kind.items())
        },
        "right_a_to_h": share(answerable, lambda o: o.right),
        "right_i_j": share(refusing, lambda o: o.right),
        "confident_wrong_i_j": share(refusing, lambda o: o.confidently_wrong),
        "second_answered_or_offered": share(seconds, lambda o: o.second in o.got or o.offered_more),
        "count": len(outcomes),
    }


def mistakes_markdown(title: str, outcomes: List[Outcome]) -> str:
    """The wrong outcomes, grouped by the confused pair (expected -> got), for reading."""
    pairs: Dict[tuple, List[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        if not outcome.right:
            pairs[(outcome.expected, ", ".join(outcome.got) or "(nothing)")].append(outcome)
    lines = [f"# {title}", "", f"{sum(len(v) for v in pairs.values())} of {len(outcomes)} wrong.", ""]
    for (expected, got), items in sorted(pairs.items(), key=lambda p: -len(p[1])):
        lines.append(f"## {expected} -> {got} ({len(items)})")
        for o in items:
            before = f" (after: {' / '.join(o.context)})" if o.context else ""
            lines.append(f"- [{o.kind}] {o.text}{before}")
        lines.append("")
    return "\n".join(lines)


def summary_table(summaries: Dict[str, Dict[str, Any]]) -> str:
    """A markdown table: one column per measured bot or half, one row per kind."""
    names = list(summaries)
    rows = ["| kind | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for kind, title in KIND_NAMES.items():
        cells = []
        for name in names:
            right, count = summaries[name]["per_kind"].get(kind, (float("nan"), 0))
            cells.append(f"{right:.0%} of {count}")
        rows.append(f"| {kind}. {title} | " + " | ".join(cells) + " |")
    for key, title in (
        ("right_a_to_h", "right, kinds a–h"),
        ("confident_wrong_i_j", "confident wrong answers, kinds i–j"),
        ("second_answered_or_offered", "second question answered or offered as a button (kind g)"),
    ):
        rows.append(
            f"| **{title}** | " + " | ".join(f"**{summaries[name][key]:.1%}**" for name in names) + " |"
        )
    return "\n".join(rows)


# ---- the baselines: an intent classifier alone, each message on its own ----


def single_messages(path: Path) -> List[Dict[str, Any]]:
    """Every message of a half, a conversation's turns each on its own (a classifier alone has no
    conversation to follow)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = [dict(item) for item in data.get("messages") or []]
    for conversation in data.get("conversations") or []:
        items += [{"kind": conversation["kind"], **turn} for turn in conversation["turns"]]
    return items


def label_of_intent(knowledge: Any, intent: str, entities: Sequence[Dict[str, Any]]) -> str:
    """The label of the answer an intent leads to, read the simplest way: a topic is itself, a
    procedure is routed by the platform named in the message (else the bot would ask), refusals
    are refusals."""
    if intent in ("out_of_scope", "nlu_fallback"):
        return OUT_OF_SCOPE
    if intent == CHEATING or intent in knowledge.topics:
        return intent
    if knowledge.is_routed(intent):
        platforms = [e["value"] for e in entities if e.get("entity") == "platform"]
        if not platforms:
            return ASK_PLATFORM
        return knowledge.route(intent, platforms[0], None) or OUT_OF_SCOPE
    return "other: " + intent


def outcomes_of_intents(
    items: Sequence[Dict[str, Any]], intents: Sequence[str], entities: Sequence[Sequence[Dict[str, Any]]]
) -> List[Outcome]:
    from knowledge.loader import load_knowledge

    knowledge = load_knowledge()
    return [
        Outcome(
            item["kind"],
            item["text"],
            item["expected"],
            [label_of_intent(knowledge, intent, found)],
            accepted_labels(item),
            item.get("second"),
        )
        for item, intent, found in zip(items, intents, entities, strict=True)
    ]
