"""Rasa 3.6's LogisticRegressionClassifier builds each message's input from
`Message.get_sparse_features(TEXT)`, which combines the sequence features (one row per token, every
featurizer's columns, deep-copied and stacked) and the sentence features, and then uses only the
sentence features; and it combines them pairwise, deep-copying the first. Here the sentence
features of every featurizer are stacked side by side in one step, in the same order, so the
classifier gets the same matrix (tests/test_classifier_input.py) in about half the time
(docs/benchmarks.md, "Cold start, memory and the classifier").
"""

from typing import List

from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix, hstack, vstack


def sentence_features_only(self: LogisticRegressionClassifier, messages: List[Message]) -> csr_matrix:
    """LogisticRegressionClassifier._create_X without the combined sequence features it discards."""
    rows = []
    for message in messages:
        _, sentence = message._filter_sparse_features(TEXT, [])
        dense_features = message.get_dense_features(attribute=TEXT)[1]
        rows.append(
            hstack(
                [
                    csr_matrix(hstack([f.features for f in sentence]) if sentence else []),
                    csr_matrix(dense_features.features if dense_features else []),
                ]
            )
        )
    return vstack(rows)


def classify_from_sentence_features() -> None:
    if not hasattr(LogisticRegressionClassifier, "_rasa_create_X"):
        LogisticRegressionClassifier._rasa_create_X = LogisticRegressionClassifier._create_X
        LogisticRegressionClassifier._create_X = sentence_features_only
