"""Complete systems as scikit-learn pipelines: grid search, CV, files, persistence."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    StratifiedGroupKFold,
    cross_val_score,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skaudio import (
    AudioLoader,
    LogThreshold,
    MelSpectrogram,
    PersaPlus,
    TemporalStatistics,
)
from skaudio.datasets import make_audio_classification

from .conftest import write_tone


@pytest.fixture(scope="module")
def data():
    return make_audio_classification(n_samples=96, n_classes=4, duration=0.5, sr=8000,
                                     snr_db=10, gain_db=(-30, 0), random_state=0)


def pipeline(frontend):
    return Pipeline([
        ("mel", MelSpectrogram(sr=8000, n_fft=512, hop_length=128, n_mels=32)),
        ("frontend", frontend),
        ("pool", TemporalStatistics()),
        ("scale", StandardScaler()),
        ("clf", LogisticRegression(max_iter=1000)),
    ])


CV = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0)


def _check_search_against_fresh_pipelines(search, make_frontend, name, data):
    """Every candidate's score is that of a pipeline built with the value (so
    ``set_params`` on a clone reaches the front-end), the value changes the
    scores, and the search picked the candidate of the best mean score."""
    values = [params[f"frontend__{name}"] for params in search.cv_results_["params"]]
    fresh = [cross_val_score(pipeline(make_frontend(**{name: value})), data.data,
                             data.target, groups=data.groups, cv=CV).mean()
             for value in values]
    scores = search.cv_results_["mean_test_score"]
    np.testing.assert_allclose(scores, fresh)
    assert np.ptp(scores) > 0, f"{name} does not change the scores: {scores}"
    assert search.best_params_ == {f"frontend__{name}": values[np.argmax(scores)]}
    assert getattr(search.best_estimator_.named_steps["frontend"], name) == \
        values[np.argmax(scores)]


def test_grid_search_over_persaplus_q(data):
    search = GridSearchCV(pipeline(PersaPlus(random_state=0)),
                          {"frontend__q": [3.0, 9.0, 30.0]}, cv=CV)
    search.fit(data.data, data.target, groups=data.groups)
    _check_search_against_fresh_pipelines(
        search, lambda q: PersaPlus(q=q, random_state=0), "q", data)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(scores > 0.5)  # chance is 0.25
    assert search.predict(data.data[:5]).shape == (5,)


def test_grid_search_over_logthreshold_c(data):
    search = GridSearchCV(pipeline(LogThreshold()), {"frontend__c": [10.0, 30.0, 60.0]},
                          cv=CV)
    search.fit(data.data, data.target, groups=data.groups)
    _check_search_against_fresh_pipelines(search, lambda c: LogThreshold(c=c), "c", data)
    assert search.best_score_ > 0.5


def test_group_kfold_over_the_sources_removes_the_leak(data):
    """The generator's groups are sources whose clips resemble each other: give
    every source a random label, unrelated to its kind of sound, and a split
    that puts clips of one source on both sides learns the sources (well above
    chance), while GroupKFold over ``groups`` keeps every source on one side
    and scores chance."""
    labels = np.random.default_rng(0).permutation(np.arange(data.groups.max() + 1) % 2)
    y = labels[data.groups]
    grouped = GroupKFold(n_splits=3)
    for train, test in grouped.split(data.data, y, data.groups):
        assert not set(data.groups[train]) & set(data.groups[test])
    leaky = cross_val_score(pipeline(PersaPlus(random_state=0)), data.data, y,
                            cv=KFold(n_splits=3, shuffle=True, random_state=0))
    honest = cross_val_score(pipeline(PersaPlus(random_state=0)), data.data, y,
                             groups=data.groups, cv=grouped)
    assert leaky.mean() > 0.7 and honest.mean() < 0.6, (leaky, honest)  # chance is 0.5


def test_file_pipeline_predicts_from_paths(tmp_path):
    paths, labels = [], []
    for i in range(12):
        freq = 300.0 if i % 2 else 1500.0
        path = tmp_path / f"{i}.wav"
        write_tone(path, freq=freq * (1 + 0.01 * i), seconds=0.3 + 0.02 * i)
        paths.append(str(path))
        labels.append("low" if i % 2 else "high")
    pipe = make_pipeline(AudioLoader(sr=8000, duration=0.4),
                         MelSpectrogram(sr=8000, n_fft=256, hop_length=128, n_mels=24),
                         PersaPlus(random_state=0), TemporalStatistics(),
                         LogisticRegression(max_iter=1000))
    pipe.fit(paths, labels)
    assert pipe.score(paths, labels) == 1.0
    assert set(pipe.predict(paths[:2])) <= {"low", "high"}


def test_fitted_pipeline_pickles_and_clones(data):
    pipe = pipeline(PersaPlus(q=6, random_state=0)).fit(data.data, data.target)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict_proba(data.data),
                                  pipe.predict_proba(data.data))
    fresh = clone(pipe)
    assert fresh.get_params()["frontend__q"] == 6
    assert not hasattr(fresh.named_steps["clf"], "coef_")


def test_pipeline_cache_computes_features_once(data, tmp_path, monkeypatch):
    """With ``Pipeline(memory=...)`` the mel spectrograms of a training fold are
    computed once for all candidates of q (a later step), and a second search
    computes none: skaudio's transformers hash the same after cloning."""
    fits = []
    original = MelSpectrogram.fit_transform

    def counting_fit_transform(self, X, y=None, **params):
        fits.append(len(X))
        return original(self, X, y, **params)

    monkeypatch.setattr(MelSpectrogram, "fit_transform", counting_fit_transform)
    grid = {"frontend__q": [3.0, 9.0]}
    n_folds = CV.get_n_splits()

    uncached = GridSearchCV(pipeline(PersaPlus(random_state=0)), grid, cv=CV)
    uncached.fit(data.data, data.target, groups=data.groups)
    assert len(fits) == 2 * n_folds + 1  # every candidate on every fold, and the refit

    fits.clear()
    pipe = pipeline(PersaPlus(random_state=0)).set_params(memory=str(tmp_path))
    search = GridSearchCV(pipe, grid, cv=CV).fit(data.data, data.target, groups=data.groups)
    assert len(fits) == n_folds + 1  # once per training set
    np.testing.assert_allclose(search.cv_results_["mean_test_score"],
                               uncached.cv_results_["mean_test_score"])

    fits.clear()
    again = GridSearchCV(clone(pipe), grid, cv=CV).fit(data.data, data.target,
                                                       groups=data.groups)
    assert fits == []
    np.testing.assert_array_equal(again.cv_results_["mean_test_score"],
                                  search.cv_results_["mean_test_score"])
