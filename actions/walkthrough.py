"""Guided walkthroughs: asks what it does not know yet, then one step at a time.

The questions and the goal -> procedure table live in data/knowledge/walkthroughs.yml, the steps in
data/knowledge/procedures.yml (the same steps the FAQ answers list). The state of a walkthrough is
one slot, `walkthrough`: {"answers": {...}, "asking": question or None, "procedure": id or None,
"step": index}. `action_walkthrough` handles the walkthrough intents; `action_answer` hands over
answers to a pending question and resumes the walkthrough after answering an interruption.
"""

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.refusals import (
    asks_nothing_of_the_documents,
    refuse,
    refuses_an_unstated_fact,
    refuses_to_cheat,
    thanks_only,
    typed_questions,
)
from actions.slots import PLATFORM, WALKTHROUGH, entity_values, slot
from actions.student_action import Events, StudentAction
from knowledge.loader import Knowledge
from knowledge.render import (
    citation,
    render_misconception,
    topic_buttons,
    walkthrough_payload,
    walkthrough_start_payload,
)
from knowledge.vocabulary import load_vocabulary

STATE_SLOT = WALKTHROUGH


def said_answers(knowledge: Knowledge, tracker: Tracker) -> Dict[Text, Text]:
    """Answers to walkthrough questions carried by the latest message (its entities)."""
    values: Dict[Text, List[Text]] = {}
    for entity in tracker.latest_message.get("entities", []):
        if isinstance(entity.get("value"), str):  # never a dict or a list a user typed
            values.setdefault(entity.get("entity"), []).append(entity["value"])
    answers = {}
    vocabulary = load_vocabulary()
    for question in knowledge.walkthroughs["questions"]:
        # Several values for one question: the most specific wins, the first in data/vocabulary.yml
        # ("强制下线" also contains "下线"; "学校分配的子账号" is a sub-account).
        chosen = vocabulary.most_specific(question, values.get(question, []))
        if chosen:
            answers[question] = chosen
    return answers


class Walkthrough:
    """One user's walkthrough: reads the state slot, says what comes next, returns the events."""

    def __init__(self, knowledge: Knowledge, tracker: Tracker, dispatcher: CollectingDispatcher) -> None:
        self.knowledge = knowledge
        self.config = knowledge.walkthroughs
        self.messages = knowledge.walkthroughs["messages"]
        self.dispatcher = dispatcher
        self.tracker = tracker
        # A state the walkthrough could not have saved counts as none (actions/slots.py).
        self.state: Optional[Dict[Text, Any]] = slot(knowledge, tracker, STATE_SLOT) or None

    # ---- what the conversation is in ----
    @property
    def collecting(self) -> bool:
        return bool(self.state and self.state.get("asking"))

    @property
    def guiding(self) -> bool:
        return bool(self.state and self.state.get("procedure"))

    @property
    def active(self) -> bool:
        return self.collecting or self.guiding

    def takes(self, answers: Dict[Text, Text]) -> bool:
        """True when the message answers the question the walkthrough is waiting for."""
        return self.collecting and self.state["asking"] in answers

    # ---- entry points ----
    def start(self, answers: Dict[Text, Text]) -> List[Dict[Text, Any]]:
        """A new walkthrough, or more answers to the one being set up."""
        known = dict(self.state["answers"]) if self.collecting else {}
        known.update(answers)
        return self._collect(known)

    def navigate(self, move: Text) -> List[Dict[Text, Any]]:
        if move == "exit":
            return self._exit()
        if not self.guiding:
            if self.collecting:
                return self.resume()
            if move != "back" and (self._acknowledges() or thanks_only(self.knowledge, self._text())):
                self.dispatcher.utter_message(response="utter_thank")
                return []
            return self._offer_goals(self.messages["none_active"])
        step = self.state["step"]
        last = len(self._steps()) - 1
        if move == "back":
            if step == 0:
                self.dispatcher.utter_message(text=self.messages["first_step"])
            return self._show_step(max(step - 1, 0))
        if move == "stuck":
            return self._hint()
        if step >= last:  # "下一步" or "完成了" on the last step
            return self._finish()
        return self._show_step(step + 1)

    def resume_if_active(self) -> List[Dict[Text, Any]]:
        """After an answer given in the middle of a walkthrough (查看原文, feedback, a question): go
        on with it; nothing when none is in progress."""
        return self.resume() if self.active else []

    def resume(self) -> List[Dict[Text, Any]]:
        """After an interruption: the pending question or the current step again."""
        self.dispatcher.utter_message(text=self.messages["resume"])
        if self.guiding:
            return self._show_step(self.state["step"])
        return self._collect(self.state["answers"])

    # ---- setting up ----
    def _collect(self, answers: Dict[Text, Text]) -> List[Dict[Text, Any]]:
        platform = answers.get("platform")
        if not platform:
            # A platform remembered from earlier is used only if it has procedures; else ask.
            remembered = slot(self.knowledge, self.tracker, PLATFORM)
            if not remembered or not self._has_procedures(remembered):
                return self._ask("platform", answers, self._platform_buttons(answers))
            platform = answers["platform"] = remembered
        if not self._has_procedures(platform):
            return self._not_covered(platform)
        if "goal" not in answers:
            return self._ask("goal", answers, self._option_buttons("goal", answers))
        choice = self.config["choose"][answers["goal"]]
        if isinstance(choice, dict):
            question = choice["by"]
            if question not in answers:
                return self._ask(question, answers, self._option_buttons(question, answers))
            choice = choice[answers[question]]
        return self._begin(choice, answers)

    def _ask(
        self, question: Text, answers: Dict[Text, Text], buttons: List[Dict[Text, Text]]
    ) -> List[Dict[Text, Any]]:
        self.dispatcher.utter_message(
            text=self.config["questions"][question]["ask"], buttons=buttons + [self._exit_button()]
        )
        return self._save({"answers": answers, "asking": question, "procedure": None, "step": 0})

    def _option_buttons(self, question: Text, answers: Dict[Text, Text]) -> List[Dict[Text, Text]]:
        options = self.config["questions"][question]["options"]
        return [
            {"title": title, "payload": walkthrough_start_payload({**answers, question: option})}
            for option, title in options.items()
        ]

    def _platform_buttons(self, answers: Dict[Text, Text]) -> List[Dict[Text, Text]]:
        return [
            {"title": info["name"], "payload": walkthrough_start_payload({**answers, "platform": pid})}
            for pid, info in self.knowledge.platforms.items()
        ]

    def _has_procedures(self, platform: Text) -> bool:
        return any(p["platform"] == platform for p in self.knowledge.procedures.values())

    def _not_covered(self, platform: Text) -> List[Dict[Text, Any]]:
        info = self.knowledge.platforms[platform]
        self.dispatcher.utter_message(
            text=self.messages["not_covered"].format(platform_name=info["name"], platform_help=info["help"]),
            buttons=topic_buttons(self.knowledge, info["menu"]),
        )
        return [SlotSet(STATE_SLOT, None), SlotSet("platform", platform)]

    def _begin(self, procedure_id: Text, answers: Dict[Text, Text]) -> List[Dict[Text, Any]]:
        procedure = self.knowledge.procedures[procedure_id]
        lines = [
            self.messages["intro"].format(
                title=procedure["title"], total=len(self.knowledge.steps_of(procedure_id))
            )
        ]
        if procedure.get("misconception"):  # mentioned once, when the walkthrough starts
            lines.append(render_misconception(self.knowledge, procedure["misconception"]))
        self.dispatcher.utter_message(text="\n".join(lines))
        self.state = {"answers": answers, "asking": None, "procedure": procedure_id, "step": 0}
        return self._show_step(0) + [SlotSet("platform", procedure["platform"])]

    # ---- guiding ----
    def _steps(self) -> List[Dict[Text, Text]]:
        return self.knowledge.steps_of(self.state["procedure"])

    def _show_step(self, index: int) -> List[Dict[Text, Any]]:
        steps = self._steps()
        step = steps[index]
        lines = [self.messages["step"].format(number=index + 1, total=len(steps), do=step["do"])]
        if step.get("see"):
            lines.append(self.messages["step_see"].format(see=step["see"]))
        self.dispatcher.utter_message(text="\n".join(lines), buttons=self._step_buttons(index))
        return self._save({**self.state, "step": index})

    def _step_buttons(self, index: int) -> List[Dict[Text, Text]]:
        labels = self.messages["buttons"]
        moves = ["back"] if index > 0 else []
        moves.append("done" if index == len(self._steps()) - 1 else "next")
        moves += ["stuck", "exit"]
        intents = {move: intent for intent, move in self.knowledge.walkthroughs["navigation"].items()}
        return [{"title": labels[m], "payload": f"/{intents[m]}"} for m in moves]

    def _hint(self) -> List[Dict[Text, Any]]:
        step = self._steps()[self.state["step"]]
        if step.get("hint"):
            text = self.messages["hint"].format(hint=step["hint"])
        else:
            platform = self.knowledge.procedures[self.state["procedure"]]["platform"]
            text = self.messages["no_hint"].format(platform_help=self.knowledge.platforms[platform]["help"])
        self.dispatcher.utter_message(text=text, buttons=self._step_buttons(self.state["step"]))
        return []

    def _finish(self) -> List[Dict[Text, Any]]:
        procedure = self.knowledge.procedures[self.state["procedure"]]
        self.dispatcher.utter_message(
            text="\n".join(
                [
                    self.messages["done"].format(title=procedure["title"], check=procedure["check"]),
                    citation(self.knowledge, procedure["source"]),
                ]
            )
        )
        offers = [
            {
                "title": self.messages["start_button"].format(title=self.knowledge.procedures[p]["title"]),
                "payload": walkthrough_payload(self.knowledge, p),
            }
            for p in procedure.get("next_walkthroughs", [])
        ] + topic_buttons(self.knowledge, procedure.get("next_topics", []))
        if offers:
            self.dispatcher.utter_message(text=self.messages["next_offer"], buttons=offers)
        return [SlotSet(STATE_SLOT, None)]

    def _acknowledges(self) -> bool:
        """The message is only an acknowledgement: made of acknowledgement words, any number of
        times, besides punctuation and emoji ("嗯嗯好的～", "OK👌")."""
        text = "".join(c for c in self._text().lower() if c.isalnum())
        words = sorted(self.config["acknowledgements"], key=len, reverse=True)
        return bool(text) and re.fullmatch("(?:" + "|".join(map(re.escape, words)) + ")+", text) is not None

    def _text(self) -> Text:
        return self.tracker.latest_message.get("text") or ""

    # ---- leaving ----
    def _exit(self) -> List[Dict[Text, Any]]:
        if not self.active:
            return self._offer_goals(self.messages["none_active"])
        self.dispatcher.utter_message(text=self.messages["exited"])
        return [SlotSet(STATE_SLOT, None)]

    def _offer_goals(self, text: Text) -> List[Dict[Text, Any]]:
        self.dispatcher.utter_message(text=text, buttons=self._option_buttons("goal", {}))
        return []

    def _exit_button(self) -> Dict[Text, Text]:
        return {"title": self.messages["buttons"]["exit"], "payload": "/walkthrough_exit"}

    def _save(self, state: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        self.state = state
        return [SlotSet(STATE_SLOT, state)]


class ActionWalkthrough(StudentAction):
    def name(self) -> Text:
        return "action_walkthrough"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, knowledge: Knowledge) -> Events:
        walkthrough = Walkthrough(knowledge, tracker, dispatcher)
        intent = tracker.latest_message.get("intent", {}).get("name")
        navigation = knowledge.walkthroughs["navigation"]  # intent -> move (walkthroughs.yml)
        if intent in navigation:
            if navigation[intent] == "stuck" and not walkthrough.active and entity_values(tracker, "goal"):
                # "注销按钮找不到啊" with no walkthrough going: a question of that goal, answered as one.
                from actions.answer import ActionAnswer  # imported here: actions.answer imports this module

                return ActionAnswer().respond(dispatcher, tracker, knowledge)
            return walkthrough.navigate(navigation[intent])
        # "一步一步教我怎么代刷网课", "帮我一步步写一篇注销的作文": refused as action_answer would.
        questions = typed_questions(tracker)
        if refuses_to_cheat(dispatcher, knowledge, questions):
            return []
        if asks_nothing_of_the_documents(knowledge, " ".join(questions)):
            refuse(dispatcher, knowledge, knowledge.presentation["out_of_scope"])
            return []
        if refuses_an_unstated_fact(dispatcher, knowledge, tracker, intent):  # "注销的网址发我一下"
            return []
        if not walkthrough.active and thanks_only(knowledge, " ".join(questions)):
            # "注销办完了，告诉你一下，再见": news that it is done, not a walkthrough to start.
            dispatcher.utter_message(response="utter_thank")
            return []
        return walkthrough.start(said_answers(knowledge, tracker))
