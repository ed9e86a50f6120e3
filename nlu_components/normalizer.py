"""Normalises Chinese text before tokenisation, so the rest of the pipeline sees one spelling.

The normalising itself (full-width -> half-width, traditional -> simplified, known typos) is
knowledge/text.py, shared with the grader and the reports. The typos come from data/vocabulary.yml
(config `vocabulary_path`): read when the model is trained and kept in the model, so a model
answers as it was trained and `make train` retrains when the vocabulary changes.
"""

import json
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_VALUE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge.text import longest_first, normalize
from knowledge.vocabulary import read_vocabulary

__all__ = ["ChineseTextNormalizer", "normalize"]

# A blank message has no features at all, which makes the intent classifier raise; this stand-in
# has features the model knows nothing about, so the message ends in the fallback ("没看懂").
BLANK_MESSAGE = "。"
TYPOS_FILE = "typos.json"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class ChineseTextNormalizer(GraphComponent):
    """Rewrites the message text in place; must come first in the pipeline."""

    def __init__(
        self,
        config: Dict[Text, Any],
        typos: Dict[Text, Text],
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        self.config = config
        self._typos = longest_first(typos)
        self._model_storage, self._resource = model_storage, resource

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"vocabulary_path": "data/vocabulary.yml"}

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        # The typos are not training data: without this, Rasa's training cache would keep a model's
        # old typos when only they change.
        typos = read_vocabulary(config.get("vocabulary_path") or "data/vocabulary.yml").typos
        return json.dumps(typos, ensure_ascii=False, sort_keys=True)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ChineseTextNormalizer":
        return cls(config, read_vocabulary(config["vocabulary_path"]).typos, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "ChineseTextNormalizer":
        try:
            with model_storage.read_from(resource) as directory:
                typos = json.loads((directory / TYPOS_FILE).read_text(encoding="utf-8"))
        except ValueError:  # a model trained before the typos were kept in it
            return cls.create(config, model_storage, resource, execution_context)
        return cls(config, typos, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        with self._model_storage.write_to(self._resource) as directory:
            (directory / TYPOS_FILE).write_text(json.dumps(self._typos, ensure_ascii=False), encoding="utf-8")
        return self._resource

    def _normalize_message(self, message: Message) -> None:
        text = message.get(TEXT)
        if text is None:  # not a user message (e.g. an action name during core featurisation)
            return
        message.set(TEXT, normalize(text, self._typos) or BLANK_MESSAGE)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._normalize_message(message)
            # Annotated values must change with the text, or EntitySynonymMapper would learn
            # "智慧职教 -> 智慧职叫" from an example annotated [智慧职叫](platform).
            for entity in message.get(ENTITIES) or []:
                value = entity.get(ENTITY_ATTRIBUTE_VALUE)
                if isinstance(value, str):
                    entity[ENTITY_ATTRIBUTE_VALUE] = normalize(value, self._typos)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalize_message(message)
        return messages
