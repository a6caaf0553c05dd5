"""skaudio.evaluation: the paper's scores, repeated runs, accuracy per group."""

import numpy as np
import pytest
import sklearn
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import balanced_accuracy_score, f1_score
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skaudio import WaveformMaxPool
from skaudio.evaluation import (
    PAPER_SCORING,
    accuracy_per_group,
    group_accuracy_scorers,
    repeated_runs,
    seeded,
)


def test_paper_scores_are_scikit_learns_balanced_accuracy_and_macro_f1():
    # Table 6, CAB-CNN-30s (rows: actual AU, US, UK): Table 4 reports accuracy
    # 0.9599, unweighted recall 0.9424 and F1 0.9523.
    confusion = np.array([[226, 4, 0], [2, 191, 1], [8, 6, 86]])
    y_true = np.repeat(np.arange(3), confusion.sum(axis=1))
    y_pred = np.concatenate([np.repeat(np.arange(3), row) for row in confusion])
    assert round(float(np.mean(y_true == y_pred)), 4) == 0.9599
    assert round(balanced_accuracy_score(y_true, y_pred), 4) == 0.9424
    assert round(f1_score(y_true, y_pred, average="macro"), 4) == 0.9523
    assert PAPER_SCORING["unweighted_recall"] == "balanced_accuracy"


def test_repeated_runs_statistics_against_numpy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5))
    y = (X[:, 0] + rng.normal(size=120) > 0).astype(int)
    model = make_pipeline(StandardScaler(), SGDClassifier(max_iter=5, tol=None))
    runs = repeated_runs(model, X[:80], y[:80], X[80:], y[80:], seeds=[3, 1, 4, 1, 5])
    acc = np.array([seeded(model, s).fit(X[:80], y[:80]).score(X[80:], y[80:])
                    for s in [3, 1, 4, 1, 5]])
    np.testing.assert_allclose(runs.scores["accuracy"], acc)
    assert runs.mean["accuracy"] == pytest.approx(acc.mean())
    assert runs.std["accuracy"] == pytest.approx(acc.std(ddof=1))
    best = int(np.argmax(acc))
    assert runs.best_seed == [3, 1, 4, 1, 5][best]
    assert runs.best["macro_f1"] == runs.scores["macro_f1"][best]
    assert acc.std() > 0  # the seeds do change the model


def test_seeded_sets_every_nested_random_state():
    from sklearn.ensemble import RandomForestClassifier

    model = make_pipeline(WaveformMaxPool(), RandomForestClassifier(random_state=None))
    a, b = seeded(model, 7), seeded(model, 7)
    state = a.get_params()["randomforestclassifier__random_state"]
    assert isinstance(state, int) and state == b.get_params()[
        "randomforestclassifier__random_state"]
    assert model.get_params()["randomforestclassifier__random_state"] is None


def test_repeated_runs_explains_bad_arguments():
    X, y = np.zeros((4, 2)), [0, 1, 0, 1]
    with pytest.raises(ValueError, match="select='auc'"):
        repeated_runs(LogisticRegression(), X, y, X, y, seeds=2, select="auc")
    with pytest.raises(ValueError, match="seeds must be"):
        repeated_runs(LogisticRegression(), X, y, X, y, seeds=[0.5])


def test_accuracy_per_group_against_a_hand_computation():
    y_true = np.array([0, 1, 1, 0, 1, 1])
    y_pred = np.array([0, 1, 0, 0, 0, 0])
    devices = np.array(["A", "A", "s1", "s1", "s4", "s4"])
    assert accuracy_per_group(y_true, y_pred, devices) == {"A": 1.0, "s1": 0.5, "s4": 0.0}
    with pytest.raises(ValueError, match="one entry per sample"):
        accuracy_per_group(y_true, y_pred, devices[:5])


def test_group_scorers_in_cross_validate_match_the_function():
    X, y = make_classification(90, random_state=0)
    devices = np.array(["A", "s1", "s4"] * 30)
    sources = np.arange(90) // 10  # a group-aware split by source, scored by device
    with sklearn.config_context(enable_metadata_routing=True):
        scores = cross_validate(LogisticRegression(), X, y, cv=GroupKFold(3),
                                scoring=group_accuracy_scorers(["A", "s4"]),
                                params={"groups": sources, "score_groups": devices},
                                return_estimator=True, return_indices=True)
    for k, (model, test) in enumerate(zip(scores["estimator"], scores["indices"]["test"])):
        assert not set(sources[test]) & set(np.delete(sources, test))
        expected = accuracy_per_group(y[test], model.predict(X[test]), devices[test])
        assert scores["test_accuracy_A"][k] == pytest.approx(expected["A"])
        assert scores["test_accuracy_s4"][k] == pytest.approx(expected["s4"])


def test_group_scorers_need_metadata_routing():
    with pytest.raises(RuntimeError, match="enable_metadata_routing=True"):
        group_accuracy_scorers(["A"])
