"""The question of a message apart from its back-story, as features of its own.

"刚换了新手机，旧的那台打算给我妈用，上面还登着智慧职教。想先把旧手机上的退掉，APP里退出登录是在哪
个菜单里？": over the whole message, the story's words (新手机, 旧的那台, 还登着) outweigh the question's and
the classifier answers "several devices". This featurizer counts the n-grams of the question alone
(nlu_components/questions.py `question_start`) as a sentence feature block beside the whole message's,
so the classifier learns from the training examples how much what is asked weighs against what
happened, while the story's words still count and still give the entities (which device, whose
account). A message of one clause has the same n-grams in both blocks.
"""

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.questions import question_start


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class QuestionCountVectorsFeaturizer(CountVectorsFeaturizer):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # `weight`: how much a question n-gram counts beside the whole message's block.
        return {**CountVectorsFeaturizer.get_default_config(), "weight": 1.0}

    def _get_processed_message_tokens_by_attribute(
        self, message: Message, attribute: Text = TEXT
    ) -> List[Text]:
        """The question's tokens: the vocabulary is learnt from these."""
        return self._question_of(message, attribute, self._all_tokens(message, attribute))

    def _all_tokens(self, message: Message, attribute: Text) -> List[Text]:
        return super()._get_processed_message_tokens_by_attribute(message, attribute)

    @staticmethod
    def _question_of(message: Message, attribute: Text, tokens: List[Text]) -> List[Text]:
        """Of a message's processed tokens, those of its question; all of them when the message is
        one clause."""
        if attribute != TEXT or not tokens:
            return tokens
        start = question_start(message.get(TEXT) or "")
        placed = message.get(TOKENS_NAMES[TEXT]) or []
        question = [token for token, place in zip(tokens, placed, strict=True) if place.start >= start]
        return question or tokens

    def process(self, messages: List[Message]) -> List[Message]:
        """Sequence features over every token, as the other featurizers give them (Rasa combines
        them token by token); sentence features of the question alone."""
        if self.vectorizers is None:
            return super().process(messages)  # logs that it was not trained
        for message in messages:
            for attribute in self._attributes:
                tokens = self._all_tokens(message, attribute)
                sequence, _ = self._create_features(attribute, [tokens])
                _, sentence = self._create_features(
                    attribute, [self._question_of(message, attribute, tokens)]
                )
                if sentence[0] is not None:
                    sentence[0].data = sentence[0].data * float(self._config["weight"])
                self.add_features_to_message(sequence[0], sentence[0], attribute, message)
        return messages
