"""Training rehearsal: the bot plays a student, a new helpdesk trainee answers, the answer is graded.

Started by the `rehearsal_start` intent ("培训演练"), it runs as the Rasa form `rehearsal_form`:
while a form is active it takes every message, so every answer reaches the rehearsal, whatever
the NLU makes of it. The form asks for the trainee's name (`rehearsal_trainee`), then for an
answer (`rehearsal_answer`) once per scenario: `action_ask_rehearsal_answer` presents the next
student's message, `validate_rehearsal_form` grades the answer (staff/grading.py), says the
score, what was missed and the model answer, records the result (staff/rehearsal_db.py) and
empties the slot so that the form asks again. After the last scenario, or "结束演练", the slot is
filled, the form ends and `action_rehearsal_end` gives the summary.

The form's slots have custom mappings filled here from the NLU's text (personal data already
masked, and redacted again): a verbatim answer never becomes a slot, so it is never stored. The
state of a rehearsal is the `rehearsal` slot: {"session", "trainee", "scenarios", "index",
"results": [{"scenario", "topic", "score"}]}. Texts and scenarios: data/knowledge/rehearsal.yml.

The rehearsal is for staff only, and this is where that is enforced: every message the form would
take (the start as much as each answer) must carry the staff mark a channel puts into its metadata
(channels/staff.py: a socket.io connection with the staff token, a WeChat OpenID on the staff
list, a logged-in session of the staff console), and only those three channels' marks count.
Anyone else is told once that it is a staff training tool; the form ends at once and nothing is
written to the results database.
"""

import random
import re
import uuid
from statistics import mean
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.privacy import warn_about_personal_data
from knowledge.loader import Knowledge, built_once, load_knowledge
from knowledge.render import render_answer
from privacy import redact
from staff import rehearsal_db
from staff.grading import Grade, Grader
from staff.roles import STAFF_METADATA_KEY

STATE_SLOT = "rehearsal"
TRAINEE_SLOT = "rehearsal_trainee"
ANSWER_SLOT = "rehearsal_answer"
REQUESTED_SLOT = "requested_slot"
# The value that fills the answer slot when the rehearsal is over, which ends the form.
ENDED = "ended"
# An end command counts in a short message only ("结束演练吧", not an answer that mentions it).
END_COMMAND_MAX_CHARS = 12
NAME_MAX_CHARS = 20
NOT_WORD = re.compile(r"[\W_]+")
# The channels that can put the staff mark (staff/roles.py) into a message's metadata
# (channels/staff.py; the staff console's rehearsal page, channels/console.py, for a logged-in
# staff member): a REST client chooses its own metadata.
STAFF_CHANNELS = ("socketio", "wechat", "staff_console")

load_grader = built_once(Grader)


def latest_text(tracker: Tracker) -> Text:
    """The latest message as the student wrote it (normalised, personal data masked, but not
    read for homophones nor cut at its first question: nlu_components/pinyin.py), redacted."""
    message = tracker.latest_message
    return redact(message.get("text_as_written") or message.get("text") or "")


def is_end_command(knowledge: Knowledge, text: Text) -> bool:
    compact = NOT_WORD.sub("", load_grader().norm(text))
    return len(compact) <= END_COMMAND_MAX_CHARS and any(
        command in compact for command in knowledge.rehearsal["end_commands"]
    )


def is_staff(tracker: Tracker) -> bool:
    """True when the latest message came from staff: marked so by a channel that can know."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata") or {}
            return (
                event.get("input_channel") in STAFF_CHANNELS
                and isinstance(metadata, dict)
                and metadata.get(STAFF_METADATA_KEY) is True
            )
    return False


class ValidateRehearsalForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_rehearsal_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        """Runs for every message the form takes, its start included: not from staff, the form
        ends before anything is graded or recorded (action_rehearsal_end says why)."""
        if not is_staff(tracker):
            return [
                SlotSet(REQUESTED_SLOT, None),
                SlotSet(STATE_SLOT, None),
                SlotSet(TRAINEE_SLOT, None),
                SlotSet(ANSWER_SLOT, None),
            ]
        return await super().run(dispatcher, tracker, domain)

    # ---- the slots are filled from the text of the message that answers them ----
    async def extract_rehearsal_trainee(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot(REQUESTED_SLOT) != TRAINEE_SLOT:
            return {}
        return {TRAINEE_SLOT: latest_text(tracker)}

    async def extract_rehearsal_answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot(REQUESTED_SLOT) != ANSWER_SLOT:
            return {}
        return {ANSWER_SLOT: latest_text(tracker)}

    # ---- and checked ----
    def validate_rehearsal_trainee(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        knowledge = load_knowledge()
        config = knowledge.rehearsal
        warn_about_personal_data(dispatcher, knowledge, tracker)
        if is_end_command(knowledge, value or ""):
            return {TRAINEE_SLOT: ENDED, ANSWER_SLOT: ENDED}
        trainee = (value or "").strip()[:NAME_MAX_CHARS] or config["messages"]["trainee_unknown"]
        count = min(config["scenarios_per_session"], len(config["scenarios"]))
        state = {
            "session": uuid.uuid4().hex[:12],
            "trainee": trainee,
            "scenarios": random.sample(list(config["scenarios"]), count),
            "index": 0,
            "results": [],
        }
        dispatcher.utter_message(text=config["messages"]["start"].format(trainee=trainee, total=count))
        return {TRAINEE_SLOT: trainee, STATE_SLOT: state}

    def validate_rehearsal_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        knowledge = load_knowledge()
        warn_about_personal_data(dispatcher, knowledge, tracker)
        state = tracker.get_slot(STATE_SLOT)
        if not state or is_end_command(knowledge, value or ""):
            return {ANSWER_SLOT: ENDED}
        scenario_id = state["scenarios"][state["index"]]
        topic = knowledge.rehearsal["scenarios"][scenario_id]["topic"]
        grade = load_grader().grade(scenario_id, value or "")
        rehearsal_db.record(state["trainee"], state["session"], scenario_id, topic, grade.score, grade.missed)
        dispatcher.utter_message(text=feedback(knowledge, scenario_id, grade))
        state = {
            **state,
            "index": state["index"] + 1,
            "results": state["results"] + [{"scenario": scenario_id, "topic": topic, "score": grade.score}],
        }
        finished = state["index"] >= len(state["scenarios"])
        return {ANSWER_SLOT: ENDED if finished else None, STATE_SLOT: state}


def feedback(knowledge: Knowledge, scenario_id: Text, grade: Grade) -> Text:
    """Score, what was done right, what was missed, then the model answer."""
    config = knowledge.rehearsal
    messages = config["messages"]
    band = next(b["label"] for b in config["bands"] if grade.score >= b["min"])
    lines = [messages["score"].format(score=grade.score, band=band)]
    if grade.covered:
        lines.append(messages["covered"].format(points=messages["point_separator"].join(grade.covered)))
    if grade.missed:
        lines.append(messages["missed_heading"])
        lines.extend(messages["missed_item"].format(text=m) for m in grade.missed)
    lines.append(messages["model_answer"].format(answer=model_answer(knowledge, scenario_id)))
    return "\n".join(lines)


def model_answer(knowledge: Knowledge, scenario_id: Text) -> Text:
    """What the bot itself answers this student (correcting the belief they hold), and the
    scenario's security reminders."""
    config = knowledge.rehearsal
    scenario = config["scenarios"][scenario_id]
    belief = scenario.get("misconception")
    lines = [render_answer(knowledge, scenario["topic"], stated=[belief] if belief else [])]
    lines.extend(
        config["messages"]["model_security"].format(text=config["security"][s]["text"])
        for s in scenario.get("security", [])
    )
    return "\n".join(lines)


class ActionAskRehearsalTrainee(Action):
    def name(self) -> Text:
        return "action_ask_rehearsal_trainee"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        load_grader()  # jieba's dictionary, before the first answer comes
        dispatcher.utter_message(text=load_knowledge().rehearsal["messages"]["ask_trainee"])
        return []


class ActionAskRehearsalAnswer(Action):
    """Presents the next student: the scenario's message, as a student writes it."""

    def name(self) -> Text:
        return "action_ask_rehearsal_answer"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        config = load_knowledge().rehearsal
        state = tracker.get_slot(STATE_SLOT)
        scenario = config["scenarios"][state["scenarios"][state["index"]]]
        dispatcher.utter_message(
            text=config["messages"]["scenario"].format(
                number=state["index"] + 1, total=len(state["scenarios"]), student=scenario["student"]
            )
        )
        return []


class ActionRehearsalEnd(Action):
    """The summary when a rehearsal ends (or a note that none is running), then a clean slate;
    to anyone but staff, that the rehearsal is a staff training tool."""

    def name(self) -> Text:
        return "action_rehearsal_end"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        knowledge = load_knowledge()
        messages = knowledge.rehearsal["messages"]
        if not is_staff(tracker):
            dispatcher.utter_message(text=messages["staff_only"])
            return [SlotSet(STATE_SLOT, None), SlotSet(TRAINEE_SLOT, None), SlotSet(ANSWER_SLOT, None)]
        state: Optional[Dict[Text, Any]] = tracker.get_slot(STATE_SLOT)
        if tracker.get_slot(ANSWER_SLOT) is None and not state:
            dispatcher.utter_message(text=messages["not_running"])
            return []
        dispatcher.utter_message(text=summary(knowledge, state))
        return [SlotSet(STATE_SLOT, None), SlotSet(TRAINEE_SLOT, None), SlotSet(ANSWER_SLOT, None)]


def summary(knowledge: Knowledge, state: Optional[Dict[Text, Any]]) -> Text:
    """Average score, each scenario's score, and the weakest topics."""
    config = knowledge.rehearsal
    messages = config["messages"]
    results = (state or {}).get("results", [])
    if not results:
        return "\n".join([messages["summary_none"], messages["again"]])
    lines = [
        messages["summary"].format(
            trainee=state["trainee"], count=len(results), average=round(mean(r["score"] for r in results))
        )
    ]
    for number, result in enumerate(results, start=1):
        title = knowledge.topics[result["topic"]]["title"]
        lines.append(messages["summary_item"].format(number=number, topic=title, score=result["score"]))
    by_topic: Dict[Text, List[int]] = {}
    for result in results:
        by_topic.setdefault(result["topic"], []).append(result["score"])
    weak = sorted((mean(s), t) for t, s in by_topic.items() if mean(s) < config["pass_score"])
    if weak:
        names = messages["point_separator"].join(knowledge.topics[t]["title"] for _, t in weak)
        lines.append(messages["weakest"].format(topics=names))
    else:
        lines.append(messages["all_passed"].format(pass_score=config["pass_score"]))
    lines.append(messages["again"])
    return "\n".join(lines)
