"""Back-ends over embedding sequences, multi-label mode, mixup and balanced batches."""

import itertools

import joblib
import numpy as np
import pytest
from sklearn.base import clone, is_classifier

from skaudio import (
    EmbeddingDNNClassifier,
    EmbeddingLSTMClassifier,
    MultiLevelAttentionClassifier,
    VGGLikeClassifier,
)
from skaudio._training_batches import TrainingBatches
from skaudio.networks import (
    build_embedding_dnn,
    build_embedding_lstm,
    build_multi_level_attention,
)

BACKENDS = {
    "dnn": lambda **kw: EmbeddingDNNClassifier(hidden_units=(16, 16, 16), **kw),
    "lstm": lambda **kw: EmbeddingLSTMClassifier(units=16, **kw),
    "attention": lambda **kw: MultiLevelAttentionClassifier(hidden_units=(16, 16, 16), **kw),
}
# Learning tests train longer; the quick API tests one epoch.
LEARN = {"epochs": 25, "batch_size": 16, "learning_rate": 0.01, "random_state": 0}
QUICK = {"epochs": 1, "batch_size": 16, "random_state": 0}


def make_sequences(n, *, n_classes=3, n_segments=4, dim=12, seed=0):
    """Noise sequences; a clip of class c has a bump in dimension c in one segment."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    X = rng.normal(size=(n, n_segments, dim)).astype(np.float32)
    segment = rng.integers(n_segments, size=n)
    X[np.arange(n), segment, y] += 6.0
    return X, y


def make_multilabel(n, *, n_labels=3, n_segments=4, dim=12, seed=0):
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, n_labels)) < 0.4).astype(int)
    X = rng.normal(size=(n, n_segments, dim)).astype(np.float32)
    segment = rng.integers(n_segments, size=n)
    X[np.arange(n), segment, :n_labels] += 4.0 * Y
    return X, Y


# ------------------------------------------------------------------ builders
def test_builders_follow_the_thesis_tables():
    dnn = build_embedding_dnn((10, 128), 527)
    assert [layer.units for layer in dnn.layers if layer.name.endswith("_dense")] == \
        [600, 600, 600]
    assert {layer.rate for layer in dnn.layers if "dropout" in layer.name} == {0.4}
    assert sum("_bn" in layer.name for layer in dnn.layers) == 3
    assert dnn.output_shape == (None, 527)
    lstm = build_embedding_lstm((None, 128), 41)
    assert lstm.get_layer("lstm").units == 600
    assert lstm.get_layer("lstm").return_sequences is False
    assert lstm.output_shape == (None, 41)


@pytest.mark.parametrize("levels", [subset for r in (1, 2, 3)
                                    for subset in itertools.combinations(("h1", "h2", "h3"), r)])
def test_attention_levels_any_subset(levels):
    model = build_multi_level_attention((6, 32), 5, levels=levels, hidden_units=(8, 8, 8))
    names = [layer.name for layer in model.layers]
    assert [n[:2] for n in names if n.endswith("_attention")] == list(levels)
    deepest = max(int(level[1]) for level in levels)
    assert sum(n.endswith("_dense") for n in names) == deepest   # built only as deep as needed
    assert model.output_shape == (None, 5)


def test_attention_pooling_is_a_softmax_weighted_mean():
    model = build_multi_level_attention((5, 8), 3, levels=("h2",), hidden_units=(4, 4, 4),
                                        dropout=0.0)
    X = np.random.default_rng(0).normal(size=(2, 5, 8)).astype(np.float32)
    import keras

    probe = keras.Model(model.input, [model.get_layer("h2_classifier").output,
                                       model.get_layer("h2_weights").output,
                                       model.get_layer("h2_attention").output])
    scores, weights, pooled = (keras.ops.convert_to_numpy(a)
                               for a in probe(X, training=False))
    w = np.exp(weights - weights.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(pooled, (scores * w).sum(axis=1), rtol=1e-5)


@pytest.mark.parametrize("levels", [(), ("h4",), ("h1", "h1"), "h5"])
def test_bad_levels_are_rejected(levels):
    X, y = make_sequences(16)
    with pytest.raises(ValueError, match="levels must be"):
        MultiLevelAttentionClassifier(levels=levels, **QUICK).fit(X, y)


# ------------------------------------------------------------------ learning
@pytest.mark.parametrize("name", BACKENDS)
def test_each_backend_learns_an_easy_task(name):
    X, y = make_sequences(240)
    clf = BACKENDS[name](**LEARN).fit(X[:180], y[:180])
    assert is_classifier(clf)
    assert clf.score(X[180:], y[180:]) >= 0.9


def test_multilabel_mode_learns_and_predicts_indicators():
    X, Y = make_multilabel(240)
    clf = BACKENDS["attention"](**LEARN).fit(X[:180], Y[:180])
    assert clf.model_.loss == "binary_crossentropy"
    pred, proba = clf.predict(X[180:]), clf.predict_proba(X[180:])
    assert pred.shape == proba.shape == (60, 3)
    assert set(np.unique(pred)) <= {0, 1}
    np.testing.assert_array_equal(pred, (proba >= 0.5).astype(int))
    assert not np.allclose(proba.sum(axis=1), 1.0)      # independent sigmoids
    assert (pred == Y[180:]).mean() >= 0.9
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])


@pytest.mark.parametrize("name", BACKENDS)
def test_multilabel_quick_for_every_backend(name):
    X, Y = make_multilabel(32)
    clf = BACKENDS[name](**QUICK).fit(X, Y)
    assert clf.predict(X).shape == Y.shape
    assert clf.__sklearn_tags__().classifier_tags.multi_label


def test_single_label_softmax_and_pooled_input():
    X, y = make_sequences(32)
    clf = BACKENDS["dnn"](**QUICK).fit(X.mean(axis=1), y)   # (n, dim): one segment
    proba = clf.predict_proba(X.mean(axis=1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert clf.model_.loss == "sparse_categorical_crossentropy"
    assert clf.model_.input_shape == (None, 1, 12)


def test_wrong_input_gets_clear_errors():
    X, y = make_sequences(32)
    clf = BACKENDS["dnn"](**QUICK)
    with pytest.raises(ValueError, match="embedding sequences"):
        clf.fit(X[..., None], y)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="fitted on samples of shape"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="indicator matrix of 0"):
        clone(clf).fit(X, np.column_stack([y, y]) * 2)
    with pytest.raises(ValueError, match="dropout"):
        EmbeddingDNNClassifier(dropout=1.0, **QUICK).fit(X, y)
    with pytest.raises(ValueError, match="mixup_alpha"):
        EmbeddingDNNClassifier(mixup_alpha=-1, **QUICK).fit(X, y)


def test_vgg_like_refuses_multilabel_y_clearly():
    X, Y = make_multilabel(16)
    with pytest.raises(ValueError, match="single-label"):
        VGGLikeClassifier(filters=(2,), dense_units=2, **QUICK).fit(X, Y)


def test_fitted_backend_pickles(tmp_path):
    X, y = make_sequences(32)
    clf = BACKENDS["attention"](**QUICK).fit(X, y)
    joblib.dump(clf, tmp_path / "clf.joblib")
    np.testing.assert_allclose(joblib.load(tmp_path / "clf.joblib").predict_proba(X),
                               clf.predict_proba(X), rtol=1e-6)


# ------------------------------------------------------- mixup and balancing
def _batches(y_onehot, *, mixup_alpha=0.0, pools=None, batch_size=10, seed=0):
    n = y_onehot.shape[0]
    X = np.eye(n, dtype=np.float32)          # row i marks sample i
    return TrainingBatches(X, y_onehot, None, batch_size=batch_size, pools=pools,
                            mixup_alpha=mixup_alpha, rng=np.random.default_rng(seed))


def test_mixup_mixes_inputs_and_targets_with_the_same_weight():
    labels = np.arange(40) % 4
    Y = np.eye(4, dtype=np.float32)[labels]
    batches = _batches(Y, mixup_alpha=0.4)
    for i in range(len(batches)):
        x, y = batches[i]
        assert np.all(x >= 0) and np.all((x > 0).sum(axis=1) <= 2)   # two samples at most
        np.testing.assert_allclose(x.sum(axis=1), 1.0, rtol=1e-6)    # a convex combination
        np.testing.assert_allclose(y, x @ Y, rtol=1e-5, atol=1e-6)   # targets mixed alike


@pytest.mark.parametrize("alpha, near_half", [(100.0, True), (0.05, False)])
def test_mixup_weights_follow_beta_alpha_alpha(alpha, near_half):
    Y = np.eye(2, dtype=np.float32)[np.arange(200) % 2]
    batches = _batches(Y, mixup_alpha=alpha, batch_size=50)
    lam = np.concatenate([batches[i][0].max(axis=1) for i in range(len(batches))])
    if near_half:
        assert np.median(lam) < 0.65
    else:
        assert np.median(lam) > 0.95


def test_balanced_batches_hold_classes_in_equal_numbers():
    labels = np.array([0] * 90 + [1] * 10)
    pools = [np.flatnonzero(labels == k) for k in (0, 1)]
    batches = _batches(np.eye(2)[labels], pools=pools)
    seen = set()
    for epoch in range(3):
        for i in range(len(batches)):
            x, _ = batches[i]
            idx = x.argmax(axis=1)
            assert np.bincount(labels[idx], minlength=2).tolist() == [5, 5]
            seen.update(idx.tolist())
        batches.on_epoch_end()
    assert seen == set(range(100))   # the majority class cycles through all of its clips


def test_balanced_batches_carry_the_remainder_over():
    labels = np.arange(60) % 3
    labels[:30] = 0                   # imbalanced: 40 / 10 / 10
    pools = [np.flatnonzero(labels == k) for k in range(3)]
    batches = _batches(np.eye(3)[labels], pools=pools, batch_size=10)
    counts = np.zeros(3, int)
    for i in range(len(batches)):
        x, _ = batches[i]
        batch_counts = np.bincount(labels[x.argmax(axis=1)], minlength=3)
        assert batch_counts.max() - batch_counts.min() <= 1
        counts += batch_counts
    assert counts.tolist() == [20, 20, 20]


def test_estimator_uses_mixup_and_balancing_only_in_training():
    X, y = make_sequences(48)
    plain = BACKENDS["dnn"](**QUICK).fit(X, y)
    mixed = BACKENDS["dnn"](mixup_alpha=0.2, balanced_batches=True, validation_split=0.25,
                            patience=2, **QUICK).fit(X, y)
    assert plain.model_.loss == "sparse_categorical_crossentropy"
    assert mixed.model_.loss == "categorical_crossentropy"     # soft targets
    assert "val_loss" in mixed.history_
    again = clone(mixed).fit(X, y)
    np.testing.assert_allclose(again.predict_proba(X), mixed.predict_proba(X), rtol=1e-5)
    np.testing.assert_array_equal(mixed.predict(X), mixed.predict(X))  # deterministic
