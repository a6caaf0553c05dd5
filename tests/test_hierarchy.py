"""Two-stage classification over a class hierarchy (Hu et al., section 2.1)."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import StackingClassifier, VotingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.validation import check_is_fitted

from skaudio import (
    MelSpectrogram,
    PersaPlus,
    TemporalStatistics,
    TwoStageClassifier,
    VGGLikeClassifier,
)
from skaudio.datasets import make_audio_classification
from skaudio.hierarchy import check_hierarchy, coarse_labels, two_stage_proba

ANIMALS = {"cat": "animal", "dog": "animal", "car": "vehicle", "bus": "vehicle",
           "tram": "vehicle"}


@pytest.fixture(scope="module")
def task():
    X, y = make_classification(n_samples=200, n_classes=5, n_informative=6,
                               n_clusters_per_class=1, class_sep=2.0, random_state=0)
    return X, np.array(sorted(ANIMALS))[y]  # bus, car, cat, dog, tram


def test_fusion_against_a_hand_computation():
    coarse = np.array([[0.7, 0.3], [0.1, 0.9]])          # P1(animal), P1(vehicle)
    fine = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])  # cat, dog (animal); car
    fused = two_stage_proba(coarse, fine, [0, 0, 1])
    raw = np.array([[0.7 * 0.2, 0.7 * 0.5, 0.3 * 0.3], [0.1 * 0.6, 0.1 * 0.1, 0.9 * 0.3]])
    np.testing.assert_allclose(fused, raw / raw.sum(axis=1, keepdims=True))
    # Certain disagreement: the fine stage decides.
    np.testing.assert_allclose(two_stage_proba([[1.0, 0.0]], [[0.0, 0.0, 1.0]], [0, 0, 1]),
                               [[0.0, 0.0, 1.0]])


def test_classifier_fuses_its_stages_probabilities(task):
    X, y = task
    # Dummy stages predict the class priors, so the fusion is known by hand.
    clf = TwoStageClassifier(DummyClassifier(strategy="prior"),
                             DummyClassifier(strategy="prior"), ANIMALS).fit(X, y)
    fine_prior = np.array([np.mean(y == c) for c in clf.classes_])
    coarse = coarse_labels(y, ANIMALS)
    coarse_prior = {c: np.mean(coarse == c) for c in ("animal", "vehicle")}
    expected = fine_prior * np.array([coarse_prior[ANIMALS[c]] for c in clf.classes_])
    np.testing.assert_allclose(clf.predict_proba(X[:3]),
                               np.tile(expected / expected.sum(), (3, 1)))
    assert clf.classes_.tolist() == ["bus", "car", "cat", "dog", "tram"]
    assert clf.coarse_classes_.tolist() == ["animal", "vehicle"]
    assert clf.fine_to_coarse_.tolist() == [1, 1, 0, 0, 1]


def test_logistic_stages_learn_and_the_users_estimators_stay_unfitted(task):
    X, y = task
    coarse, fine = LogisticRegression(max_iter=500), LogisticRegression(max_iter=500)
    clf = TwoStageClassifier(coarse, fine, ANIMALS).fit(X[:150], y[:150])
    assert clf.score(X[150:], y[150:]) > 0.8  # chance: 0.2
    assert set(clf.predict(X[150:])) <= set(ANIMALS)
    assert set(clf.predict_coarse(X[150:])) <= {"animal", "vehicle"}
    for estimator in (coarse, fine):
        with pytest.raises(NotFittedError):
            check_is_fitted(estimator)


def test_grid_search_reaches_both_stages(task):
    X, y = task
    search = GridSearchCV(
        TwoStageClassifier(LogisticRegression(max_iter=500), LogisticRegression(max_iter=500),
                           ANIMALS),
        {"coarse__C": [0.1, 1.0], "fine__C": [0.1, 1.0]}, cv=3).fit(X, y)
    assert set(search.best_params_) == {"coarse__C", "fine__C"}
    assert search.best_estimator_.coarse_.C == search.best_params_["coarse__C"]


def test_a_function_can_give_the_hierarchy():
    # General MIDI: program p belongs to family p // 8.
    X, programs = make_classification(n_samples=120, n_classes=4, n_informative=5,
                                      random_state=1)
    programs = np.array([0, 1, 8, 9])[programs]
    clf = TwoStageClassifier(LogisticRegression(), LogisticRegression(),
                             hierarchy=lambda p: p // 8).fit(X, programs)
    assert clf.coarse_classes_.tolist() == [0, 1]
    assert check_hierarchy(lambda p: p // 8, [0, 9]).tolist() == [0, 1]


@pytest.mark.parametrize("hierarchy, match", [
    ({"cat": "animal", "dog": "animal", "car": "vehicle", "bus": "vehicle"},
     r"no coarse class for the fine class\(es\) \['tram'\]"),
    ({**ANIMALS, "boat": "ship"}, r"coarse class\(es\) \['ship'\] have no fine class in y"),
    (dict.fromkeys(ANIMALS, "thing"), "needs at least two coarse classes"),
    (lambda label: None, "one coarse label"),
])
def test_hierarchy_is_validated(task, hierarchy, match):
    X, y = task
    with pytest.raises(ValueError, match=match):
        TwoStageClassifier(LogisticRegression(), LogisticRegression(), hierarchy).fit(X, y)


def test_skaudio_networks_as_stages():
    data = make_audio_classification(n_samples=48, n_classes=4, duration=0.25, sr=8000,
                                     random_state=0)
    hierarchy = {c: c % 2 for c in range(4)}

    def network():
        return make_pipeline(MelSpectrogram(sr=8000, n_fft=256, hop_length=128, n_mels=16),
                             PersaPlus(random_state=0),
                             VGGLikeClassifier(filters=(4,), dense_units=4, epochs=2,
                                               random_state=0))

    clf = TwoStageClassifier(network(), network(), hierarchy).fit(data.data, data.target)
    proba = clf.predict_proba(data.data[:5])
    assert proba.shape == (5, 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1)


def test_scikit_learn_ensembles_fuse_skaudio_pipelines():
    data = make_audio_classification(n_samples=60, n_classes=3, duration=0.25, sr=8000,
                                     random_state=0)

    def features():
        return [MelSpectrogram(sr=8000, n_fft=256, hop_length=128, n_mels=16),
                PersaPlus(random_state=0), TemporalStatistics()]

    members = [("lr", make_pipeline(*features(), LogisticRegression(max_iter=1000))),
               ("lr_strong", make_pipeline(*features(), LogisticRegression(C=0.01)))]
    average = VotingClassifier(members, voting="soft").fit(data.data, data.target)
    manual = np.mean([m.predict_proba(data.data) for m in average.estimators_], axis=0)
    np.testing.assert_allclose(average.predict_proba(data.data), manual)
    stacked = StackingClassifier(members, final_estimator=LogisticRegression(), cv=3)
    assert cross_val_score(stacked, data.data, data.target, cv=2).mean() > 0.5


def test_geometric_voting_fuses_different_models_as_a_hand_computation():
    from sklearn.naive_bayes import GaussianNB

    from skaudio import GeometricMeanVotingClassifier

    X, y = make_classification(n_samples=80, random_state=0)
    vote = GeometricMeanVotingClassifier([("lr", LogisticRegression()), ("nb", GaussianNB())],
                                         weights=[3, 1]).fit(X, y)
    p_lr, p_nb = (m.predict_proba(X) for m in vote.estimators_)
    fused = np.exp((3 * np.log(p_lr) + np.log(p_nb)) / 4)
    np.testing.assert_allclose(vote.predict_proba(X), fused / fused.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(vote.predict(X), np.argmax(fused, axis=1))
    search = GridSearchCV(vote, {"lr__C": [0.1, 1.0]}, cv=3).fit(X, y)
    assert search.best_params_["lr__C"] in (0.1, 1.0)
