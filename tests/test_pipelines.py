"""Complete systems as scikit-learn pipelines: grid search, CV, files, persistence."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
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


def test_grid_search_over_persaplus_q(data):
    search = GridSearchCV(pipeline(PersaPlus(random_state=0)),
                          {"frontend__q": [3.0, 9.0, 30.0]}, cv=CV)
    search.fit(data.data, data.target, groups=data.groups)
    assert search.best_params_["frontend__q"] in (3.0, 9.0, 30.0)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(scores > 0.5)  # chance is 0.25
    assert search.predict(data.data[:5]).shape == (5,)


def test_grid_search_over_logthreshold_c(data):
    search = GridSearchCV(pipeline(LogThreshold()), {"frontend__c": [10.0, 30.0, 60.0]},
                          cv=CV)
    search.fit(data.data, data.target, groups=data.groups)
    assert search.best_params_["frontend__c"] in (10.0, 30.0, 60.0)
    assert search.best_score_ > 0.5


def test_cross_val_score_with_group_kfold_keeps_groups_apart(data):
    cv = GroupKFold(n_splits=3)
    for train, test in cv.split(data.data, data.target, data.groups):
        assert not set(data.groups[train]) & set(data.groups[test])
    scores = cross_val_score(pipeline(PersaPlus(random_state=0)), data.data, data.target,
                             groups=data.groups, cv=cv)
    assert scores.shape == (3,) and np.all((0 <= scores) & (scores <= 1))


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


def test_pipeline_cache_computes_features_once(data, tmp_path):
    pipe = pipeline(PersaPlus(random_state=0))
    pipe.set_params(memory=str(tmp_path))
    search = GridSearchCV(pipe, {"frontend__q": [3.0, 9.0]}, cv=CV)
    search.fit(data.data, data.target, groups=data.groups)
    uncached = GridSearchCV(pipeline(PersaPlus(random_state=0)), {"frontend__q": [3.0, 9.0]},
                            cv=CV).fit(data.data, data.target, groups=data.groups)
    np.testing.assert_allclose(search.cv_results_["mean_test_score"],
                               uncached.cv_results_["mean_test_score"])
