"""RawWaveformClassifier: windows, the hierarchy's heads, persistence, errors."""

import joblib
import numpy as np
import pytest

from skaudio import PreEmphasis, RawWaveformClassifier
from skaudio.datasets import make_audio_classification
from skaudio.windows import average_per_clip, cut_windows

SR = 1000
# The short-kernel pipeline only, a few filters: one fit in seconds.
TINY = dict(sr=SR, window_s=2.0, window_overlap_s=1.0, frame_s=2.0, segmental=False,
            filters=(4, 4, 4, 4, 4, 4), hidden_units=8, attention_units=4, embedding_dim=8,
            learning_rate=3e-3, random_state=0)
HIERARCHY = {0: "tonal", 1: "tonal", 2: "noisy", 3: "noisy"}


@pytest.fixture(scope="module")
def data():
    d = make_audio_classification(n_samples=40, n_classes=4, duration=3.0, sr=SR,
                                  random_state=0)
    return PreEmphasis().fit_transform(d.data), d.target


@pytest.fixture(scope="module")
def hierarchical(data):
    X, y = data
    return RawWaveformClassifier(hierarchy=HIERARCHY, epochs=40, **TINY).fit(X, y)


def test_learns_an_easy_task_with_and_without_hierarchy(data, hierarchical):
    X, y = data
    flat = RawWaveformClassifier(epochs=40, **TINY).fit(X, y)
    assert flat.score(X, y) >= 0.7
    assert hierarchical.score(X, y) >= 0.5  # twice chance (0.25)
    coarse = np.array([HIERARCHY[c] for c in y])
    assert np.mean(hierarchical.predict_coarse(X) == coarse) >= 0.7
    assert set(hierarchical.coarse_classes_) == {"tonal", "noisy"}
    with pytest.raises(AttributeError, match="without a hierarchy"):
        flat.predict_coarse(X)


def test_a_clip_is_the_mean_of_its_windows_even_when_shorter(hierarchical, data):
    X, _ = data
    clips = np.vstack([X[:2], ])
    windows, index = cut_windows(clips, 2000, 1000)  # 3-s clips: windows at 0 and 1 s
    assert index.tolist() == [0, 0, 1, 1]
    heads = np.asarray(hierarchical.model_.predict(windows, verbose=0))[:, :4]
    np.testing.assert_allclose(hierarchical.predict_proba(clips),
                               average_per_clip(heads, index, 2), rtol=1e-5, atol=1e-6)
    short = X[:1, :1500]  # shorter than a window: zero-padded to one window
    padded = np.pad(short, ((0, 0), (0, 500)))
    np.testing.assert_allclose(hierarchical.predict_proba(short),
                               np.asarray(hierarchical.model_.predict(padded, verbose=0))[:, :4],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hierarchical.predict_proba(X).sum(axis=1), 1.0, rtol=1e-5)


def test_same_random_state_same_network_and_joblib_round_trip(data, hierarchical, tmp_path):
    X, y = data
    again = RawWaveformClassifier(hierarchy=HIERARCHY, epochs=40, **TINY).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), hierarchical.predict_proba(X))
    joblib.dump(hierarchical, tmp_path / "raw.joblib")
    loaded = joblib.load(tmp_path / "raw.joblib")
    np.testing.assert_allclose(loaded.predict_proba(X), hierarchical.predict_proba(X),
                               rtol=1e-6)
    np.testing.assert_array_equal(loaded.predict_coarse(X), hierarchical.predict_coarse(X))


def test_the_validation_split_keeps_a_clip_s_windows_together(data):
    X, y = data
    clf = RawWaveformClassifier(epochs=2, validation_split=0.25, **TINY).fit(X, y)
    assert len(clf.history_["val_loss"]) == 2


@pytest.mark.parametrize("params, error, match", [
    ({"hierarchy": {0: "a", 1: "a"}}, ValueError, "no coarse class for the fine"),
    ({"hierarchy": {c: "all" for c in range(4)}}, ValueError, "one coarse class"),
    ({"window_overlap_s": 2.0}, ValueError, "overlap must be shorter"),
    ({"frame_s": 3.0}, ValueError, "longer than window_s"),
    ({"sub_segmental": False}, ValueError, "at least one of"),
    ({"recurrent": "gru"}, ValueError, "set attention=False"),
    ({"mixup_alpha": 0.4}, ValueError, "does not apply"),
])
def test_clear_errors(params, error, match, data):
    X, y = data
    with pytest.raises(error, match=match):
        RawWaveformClassifier(**{**TINY, "epochs": 1, **params}).fit(X, y)


def test_the_gru_variant_trains(data):
    X, y = data
    clf = RawWaveformClassifier(attention=False, recurrent="gru", epochs=2,
                                **TINY).fit(X, y)
    assert clf.predict_proba(X[:3]).shape == (3, 4)


def test_the_embedding_transformer_and_the_transfer_recipe(data, tmp_path):
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import SVC

    from skaudio import RawWaveformEmbedding

    X, y = data
    embedding = RawWaveformEmbedding(RawWaveformClassifier(epochs=5, **TINY)).fit(X, y)
    Z = embedding.transform(X)
    assert Z.shape == (len(X), 8) and np.isfinite(Z).all()
    np.testing.assert_allclose(Z, embedding.classifier_.embed(X))
    assert list(embedding.get_feature_names_out())[:2] == ["embedding0", "embedding1"]
    again = RawWaveformEmbedding(RawWaveformClassifier(epochs=5, **TINY)).fit(X, y)
    np.testing.assert_array_equal(again.transform(X), Z)  # int random_state
    joblib.dump(embedding, tmp_path / "embedding.joblib")
    np.testing.assert_allclose(joblib.load(tmp_path / "embedding.joblib").transform(X), Z,
                               rtol=1e-6)
    # The paper's transfer recipe: a polynomial SVM on the embeddings.
    recipe = make_pipeline(RawWaveformEmbedding(RawWaveformClassifier(epochs=5, **TINY)),
                           SVC(kernel="poly", degree=3)).fit(X, y)
    np.testing.assert_array_equal(recipe[0].transform(X), Z)
    assert recipe.score(X, y) > 0.25


def test_fine_tune_starts_from_the_fitted_network_on_new_labels(data):
    from skaudio import RawWaveformEmbedding

    X, y = data
    embedding = RawWaveformEmbedding(RawWaveformClassifier(epochs=5, **TINY)).fit(X, y)
    new_labels = np.where(y < 2, "low", "high")  # two new classes
    tuned = embedding.fine_tune(X, new_labels, epochs=1, learning_rate=1e-9)
    assert list(tuned.classifier_.classes_) == ["high", "low"]
    old = embedding.classifier_._heads_model().get_layer("fc2").get_weights()[0]
    new = tuned.classifier_._heads_model().get_layer("fc2").get_weights()[0]
    np.testing.assert_allclose(new, old, atol=1e-5)  # started from it, barely moved
    assert embedding.classifier_.classes_.size == 4  # the original is untouched
