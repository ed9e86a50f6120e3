"""The question of a back-story message counted apart (nlu_components/question_features.py): its
sentence features hold the question's n-grams only, its sequence features every token's, so that
Rasa can combine them with the other featurizers' token by token."""

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.question_features import QuestionCountVectorsFeaturizer

pytestmark = pytest.mark.unit


def tokenized(text, tmp_path):
    message = Message(data={TEXT: text})
    config = JiebaTokenizer.get_default_config()
    JiebaTokenizer(config, LocalModelStorage(tmp_path), Resource("tokenizer")).process([message])
    return message


def test_sentence_features_count_the_question_alone_and_sequence_features_every_token(tmp_path):
    storage, resource = LocalModelStorage(tmp_path), Resource("question_features")
    context = ExecutionContext(GraphSchema({}), node_name="question_features")
    config = {**QuestionCountVectorsFeaturizer.get_default_config(), "weight": 0.5}
    featurizer = QuestionCountVectorsFeaturizer.create(config, storage, resource, context)
    story = "手机昨天被偷了，职教云怎么退出"
    featurizer.train(TrainingData([tokenized(story, tmp_path), tokenized("职教云怎么注销", tmp_path)]))

    message = tokenized(story, tmp_path)
    featurizer.process([message])
    sequence, sentence = message.get_sparse_features(TEXT)
    tokens = message.get("text_tokens")
    assert sequence.features.shape[0] == len(tokens)  # every token, the story's too
    counts = sentence.features.toarray()[0]
    counted = {word for word, column in featurizer.vectorizers[TEXT].vocabulary_.items() if counts[column]}
    question = {t.text for t in tokens if t.start >= story.index("职教云")}
    assert counted and counted <= question and "手机" not in counted
    # Weighed by config.yml's weight beside the whole message's block.
    assert set(counts[counts > 0]) == {0.5}
