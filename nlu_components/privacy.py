"""The NLU component that masks personal data (see privacy/) before the rest of the NLU sees it.

Runs right after the normaliser: the classifier and the entity extractors only ever see 【身份证号】,
【手机号】, 【密码】. The message gets one `personal_data` entity per kind found whose value is the
kind of data, never the data itself, so the actions can warn the user without repeating what they
sent.

The detector is the one the tracker store and the logs use (privacy/). It reads its own canonical
view of the text (full-width, traditional, Chinese numerals, separators), which is the same for
the normalised text this component gets and for the raw text the store redacts: whatever the bot
warns about is also masked where the message is stored, and the other way round.
"""

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components import ConfiguredComponent
from privacy import mask

ENTITY = "personal_data"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class PersonalDataFilter(ConfiguredComponent):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            masked, kinds = mask(text)
            if kinds:
                message.set(TEXT, masked)
                found = [
                    {"entity": ENTITY, "value": kind, "extractor": type(self).__name__}
                    for kind in sorted(set(kinds))
                ]
                message.set(ENTITIES, (message.get(ENTITIES) or []) + found, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data  # the training data holds no personal data
