"""Rasa 3.6's LogisticRegressionClassifier builds each message's input from
`Message.get_sparse_features(TEXT)`, which combines the sequence features (one row per token, every
featurizer's columns, deep-copied and stacked) and the sentence features, and then uses only the
sentence features; and it combines them pairwise, deep-copying the first. Here the sentence
features of every featurizer are stacked side by side in one step, in the same order, so the
classifier gets the same matrix (tests/test_classifier_input.py) in about half the time
(docs/benchmarks.md, "Cold start, memory and the classifier").

And its weights are kept column by column once loaded. scikit-learn computes the scores as
`X @ coef_.T` with X sparse, and scipy copies a dense operand that is not in C order into one
first: coef_ as loaded is in C order (intents × features, 51 × 10152 here), so its transpose was
copied, about 4 MB, for every message: 0.65 of the 0.69 ms of `predict_proba` (in-process). In
Fortran order the transpose is in C order and used as it is; the arithmetic is the same, in the
same order, so the probabilities are the same to the last bit (tests/test_classifier_input.py).
"""

from typing import Any, List

import numpy as np
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


def weights_by_column(clf: Any) -> None:
    """A fitted linear model's coef_ in Fortran order (see above); an unfitted one is left as it is."""
    coef = getattr(clf, "coef_", None)
    if isinstance(coef, np.ndarray) and coef.ndim == 2 and not coef.flags.f_contiguous:
        clf.coef_ = np.asfortranarray(coef)


def load_with_weights_by_column(cls: Any, *args: Any, **kwargs: Any) -> LogisticRegressionClassifier:
    """LogisticRegressionClassifier.load, then weights_by_column."""
    component = LogisticRegressionClassifier._rasa_load.__get__(None, cls)(*args, **kwargs)
    weights_by_column(getattr(component, "clf", None))
    return component


def classify_from_sentence_features() -> None:
    if not hasattr(LogisticRegressionClassifier, "_rasa_create_X"):
        LogisticRegressionClassifier._rasa_create_X = LogisticRegressionClassifier._create_X
        LogisticRegressionClassifier._create_X = sentence_features_only
    if not hasattr(LogisticRegressionClassifier, "_rasa_load"):
        LogisticRegressionClassifier._rasa_load = LogisticRegressionClassifier.__dict__["load"]
        LogisticRegressionClassifier.load = classmethod(load_with_weights_by_column)
