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


def test_weights_by_column_give_the_same_probabilities_to_the_last_bit():
    from scipy.sparse import random as sparse_random
    from sklearn.linear_model import LogisticRegression

    from server.classifier import weights_by_column

    rng = np.random.default_rng(19)
    X_train = sparse_random(200, 400, density=0.02, format="csr", random_state=19)
    y = rng.integers(0, 6, size=200)
    clf = LogisticRegression(max_iter=200).fit(X_train, y)
    X = sparse_random(40, 400, density=0.01, format="csr", random_state=7)
    clf.coef_ = np.ascontiguousarray(clf.coef_)  # as skops loads it
    before = clf.predict_proba(X)
    weights_by_column(clf)
    assert clf.coef_.flags.f_contiguous and clf.coef_.T.flags.c_contiguous
    assert np.array_equal(clf.predict_proba(X), before)
    weights_by_column(LogisticRegression())  # not fitted: nothing to do


def test_the_loaded_classifier_keeps_its_weights_by_column(tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from server import apply_fixes

    apply_fixes()
    storage = LocalModelStorage(tmp_path)
    resource = Resource("classifier")
    context = ExecutionContext(GraphSchema({}), node_name="classifier")
    config = {**LogisticRegressionClassifier.get_default_config(), "random_state": 19}
    trained = LogisticRegressionClassifier.create(config, storage, resource, context)
    messages = []
    for seed, intent in enumerate(["icve_logout", "chsi_account_share", "icve_logout", "greet"] * 3):
        message = _message(seed, 3, False)
        message.set("intent", intent)
        messages.append(message)
    trained.train(TrainingData(messages))
    loaded = LogisticRegressionClassifier.load(config, storage, resource, context)
    assert loaded.clf.coef_.flags.f_contiguous
    X = sentence_features_only(None, messages)
    assert np.array_equal(loaded.clf.predict_proba(X), trained.clf.predict_proba(X))
