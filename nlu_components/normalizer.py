"""Normalises Chinese text before tokenisation, so the rest of the pipeline sees one spelling.

Students write in traditional characters (學信網帳號), with full-width letters (ＡＰＰ) and with
habitual typos (智慧职叫, 登陆). Converting all of these to one form here keeps the training data,
the lookup tables and the model small: they only need the simplified, correctly spelled form.
"""

import unicodedata
from typing import Any, Dict, List, Text

import zhconv
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_VALUE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components import ConfiguredComponent


# A blank message has no features at all, which makes the intent classifier raise; this stand-in
# has features the model knows nothing about, so the message ends in the fallback ("没看懂").
BLANK_MESSAGE = "。"


def normalize(text: Text, replacements: Dict[Text, Text]) -> Text:
    """Full-width -> half-width, traditional -> simplified, then known typos -> correct words."""
    text = unicodedata.normalize("NFKC", text)
    text = zhconv.convert(text, "zh-cn")
    for wrong, right in replacements.items():
        text = text.replace(wrong, right)
    return text.strip()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class ChineseTextNormalizer(ConfiguredComponent):
    """Rewrites the message text in place; must come first in the pipeline."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"replacements": {}}

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        # Longest first, so a long typo is not half-replaced by a shorter one it contains.
        self._replacements = dict(sorted(config["replacements"].items(), key=lambda kv: -len(kv[0])))

    def _normalize_message(self, message: Message) -> None:
        text = message.get(TEXT)
        if text is None:  # not a user message (e.g. an action name during core featurisation)
            return
        message.set(TEXT, normalize(text, self._replacements) or BLANK_MESSAGE)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._normalize_message(message)
            # Annotated values must change with the text, or EntitySynonymMapper would learn
            # "智慧职教 -> 智慧职叫" from an example annotated [智慧职叫](platform).
            for entity in message.get(ENTITIES) or []:
                value = entity.get(ENTITY_ATTRIBUTE_VALUE)
                if isinstance(value, str):
                    entity[ENTITY_ATTRIBUTE_VALUE] = normalize(value, self._replacements)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalize_message(message)
        return messages
