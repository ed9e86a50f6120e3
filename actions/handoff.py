"""action_handoff: the offer of a person ("转人工", "找老师", …: intent request_human), and what the
bot says when the offer is declined or accepted where no person can take over.

In the chat widget the offer comes with two buttons, 转人工 / 不用了
(`/request_human{"handoff": "accept"|"decline"}`, knowledge/render.py). The socket.io channel takes
a tap on 转人工 itself (channels/handoff.py: the queue, the desk's hours, the staff console), so
this action sees it only from the other channels, where no person takes over: there it says where
a person helps. On WeChat the offer is made too when HELPDESK_WECHAT_HANDOFF is kf or queue
(staff/desk.py; by default queue when the console has accounts): the WeChat channel shows the
buttons as a numbered menu and takes the accepting reply itself (channels/wechat.py). The Chatwoot
connector (channels/chatwoot.py) does the same and hands the conversation to Chatwoot's agents. The same offer follows 没帮助 (actions/feedback.py) and a
second failed understanding in a row (`offer_after_repeated_failure`, called by actions/answer.py).
Every text is in data/knowledge/presentation.yml (handoff); the hours come from the desk's
configuration (staff/desk.py).
"""

from typing import List, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.slots import entity_values
from actions.student_action import Events, StudentAction
from knowledge.loader import Knowledge
from knowledge.render import HANDOFF_ACCEPT, HANDOFF_ANSWER, HANDOFF_DECLINE, handoff_buttons, refusals
from staff.desk import WECHAT_OFF, DeskConfig, wechat_handoff_mode

# The channel where a person can take over (channels/socketio.py: Rasa's name for it).
WIDGET_CHANNEL = "socketio"
WECHAT_CHANNEL = "wechat"
# The Chatwoot connector (channels/chatwoot.py): Chatwoot's own agents take over.
CHATWOOT_CHANNEL = "chatwoot"


def in_widget(tracker: Tracker) -> bool:
    return tracker.get_latest_input_channel() == WIDGET_CHANNEL


def person_available(tracker: Tracker) -> bool:
    """The widget, Chatwoot, or WeChat with its handoff on (kf or queue)."""
    if tracker.get_latest_input_channel() == CHATWOOT_CHANNEL:
        return True  # a message came in by it, so it is configured
    if tracker.get_latest_input_channel() == WECHAT_CHANNEL:
        return wechat_handoff_mode() != WECHAT_OFF
    return in_widget(tracker)


def offer_text(knowledge: Knowledge, key: Text = "offer") -> Text:
    texts = knowledge.presentation["handoff"]
    return texts[key].format(hours=DeskConfig.from_environment().hours_text(texts))


def bot_texts_before_latest(tracker: Tracker) -> List[Text]:
    """What the bot said between the student's message before the latest one and the latest one."""
    said: List[Text] = []
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                break
        elif event.get("event") == "bot" and users == 1:
            said.append(event.get("text") or "")
    return said


def offer_after_repeated_failure(
    dispatcher: CollectingDispatcher, knowledge: Knowledge, tracker: Tracker
) -> None:
    """After the bot said it did not understand, for the second time in a row: offer a person."""
    refused = refusals(knowledge)
    now = [m.get("text") for m in dispatcher.messages]
    if not person_available(tracker) or not any(text in refused for text in now):
        return
    if any(text in refused for text in bot_texts_before_latest(tracker)):
        dispatcher.utter_message(
            text=offer_text(knowledge, "offer_after_failures"), buttons=handoff_buttons(knowledge)
        )


class ActionHandoff(StudentAction):
    def name(self) -> Text:
        return "action_handoff"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, knowledge: Knowledge) -> Events:
        texts = knowledge.presentation["handoff"]
        answer = entity_values(tracker, HANDOFF_ANSWER)
        if answer and answer[0] == HANDOFF_DECLINE:
            dispatcher.utter_message(text=texts["declined"])
        elif not person_available(tracker) or (answer and answer[0] == HANDOFF_ACCEPT):
            # Accepted here only when the channel did not take it: say where a person helps.
            dispatcher.utter_message(text=texts["elsewhere"])
        else:
            dispatcher.utter_message(text=offer_text(knowledge), buttons=handoff_buttons(knowledge))
        return []
