"""server/classifier.py gives the intent classifier the same input as Rasa's own code, faster."""

import numpy as np
import pytest
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import coo_matrix

from server.classifier import sentence_features_only

pytestmark = pytest.mark.unit


def _message(seed: int, tokens: int, with_dense: bool) -> Message:
    """Features as Rasa's featurizers leave them: sequence and sentence, sparse from three
    featurizers of different widths (one with integer counts), dense from one."""
    rng = np.random.default_rng(seed)
    message = Message(data={TEXT: "智慧职教怎么退出账号"})
    for origin, width, dtype in (
        ("regex", 7, np.float64),
        ("lexical", 40, np.float64),
        ("counts", 300, np.int64),
    ):
        for kind, rows in (("sequence", tokens), ("sentence", 1)):
            dense = rng.integers(0, 3, size=(rows, width)) * (rng.random((rows, width)) < 0.05)
            message.add_features(Features(coo_matrix(dense.astype(dtype)), kind, TEXT, origin))
    if with_dense:
        for kind, rows in (("sequence", tokens), ("sentence", 1)):
            message.add_features(Features(rng.random((rows, 5)), kind, TEXT, "dense"))
    return message


@pytest.mark.parametrize("with_dense", [False, True])
def test_the_classifier_gets_the_same_matrix_as_from_rasas_own_code(with_dense):
    messages = [_message(seed, tokens, with_dense) for seed, tokens in enumerate((1, 4, 12, 30))]
    ours = sentence_features_only(None, messages)
    theirs = LogisticRegressionClassifier._create_X(None, messages)
    if hasattr(LogisticRegressionClassifier, "_rasa_create_X"):  # patched in this process already
        theirs = LogisticRegressionClassifier._rasa_create_X(None, messages)
    assert ours.shape == theirs.shape == (4, 347 + (5 if with_dense else 0))
    assert ours.dtype == theirs.dtype
    assert (ours != theirs).nnz == 0
