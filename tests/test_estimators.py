"""VGGLikeClassifier and the paper's systems inside scikit-learn's machinery."""

import subprocess
import sys
import textwrap

import joblib
import keras  # conftest.py imports skaudio first, which selects the backend
import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.ensemble import StackingClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    StratifiedKFold,
    check_cv,
    cross_validate,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from skaudio import (
    PCEN,
    MelSpectrogram,
    PerSampleNorm,
    PersaPlus,
    VGGLikeClassifier,
    make_frontend_pipeline,
)
from skaudio._keras import LR_REDUCTION_FACTOR
from skaudio.augment import RandomGain
from skaudio.datasets import make_audio_classification
from skaudio.networks import build_vgg_like

TINY = dict(filters=(4, 8), dense_units=8, epochs=3, batch_size=16, random_state=0)
MEL = dict(sr=8000, n_fft=256, hop_length=128, n_mels=16)


@pytest.fixture(scope="module")
def audio():
    return make_audio_classification(n_samples=48, n_classes=3, duration=0.5, sr=8000,
                                     clips_per_group=2, random_state=0)


@pytest.fixture(scope="module")
def spectra(audio):
    """PERSA-normalised mel spectrograms, (48, 32, 16)."""
    return PerSampleNorm().fit_transform(MelSpectrogram(**MEL).fit_transform(audio.data))


def tiny_pipeline(frontend, **params):
    return make_pipeline(MelSpectrogram(**MEL), frontend, VGGLikeClassifier(**{**TINY, **params}))


def test_builder_has_about_100k_parameters_for_128_bands():
    model = build_vgg_like((128, 128, 1), 3)
    assert abs(model.count_params() - 100_000) / 100_000 < 0.05
    assert [layer.filters for layer in model.layers if hasattr(layer, "filters")] == \
        [16, 32, 64, 128]
    assert model.output_shape == (None, 3)


def test_builder_valid_padding_follows_the_paper_sizes():
    model = build_vgg_like((128, 128, 1), 10, padding="valid")
    assert model.get_layer("pool4").output.shape[1:3] == (6, 6)
    assert model.output_shape == (None, 10)


def test_is_a_classifier_so_cv_is_stratified(spectra, audio):
    clf = VGGLikeClassifier()
    assert is_classifier(clf)
    assert isinstance(check_cv(3, audio.target, classifier=is_classifier(clf)), StratifiedKFold)
    assert is_classifier(make_pipeline(PerSampleNorm(), clf))


@pytest.mark.parametrize("labels", ["ints", "strings"])
def test_fit_predict_shapes_and_classes(spectra, audio, labels):
    y = audio.target if labels == "ints" else np.array(audio.target_names)[audio.target]
    clf = VGGLikeClassifier(**TINY).fit(spectra, y)
    assert list(clf.classes_) == sorted(set(y))
    proba = clf.predict_proba(spectra)
    assert proba.shape == (48, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert clf.predict_proba(spectra[:1]).shape == (1, 3)  # scikeras squeezed this
    pred = clf.predict(spectra)
    assert pred.shape == (48,) and set(pred) <= set(y) and pred.dtype == np.asarray(y).dtype


def test_channels_and_flat_inputs(spectra, audio):
    with_channels = np.stack([spectra, spectra], axis=-1)
    clf = VGGLikeClassifier(**TINY).fit(with_channels, audio.target)
    assert clf.model_.input_shape == (None, 32, 16, 2)
    flat = spectra.reshape(48, -1)
    clf = VGGLikeClassifier(**TINY).fit(flat, audio.target)
    assert clf.model_.input_shape == (None, 512, 1, 1)
    assert clf.predict(flat).shape == (48,)


def test_clone_and_set_params_keep_every_parameter():
    clf = VGGLikeClassifier(filters=(8, 16, 32), dropout=0.3, gain_augment_db=3.0,
                            learning_rate=3e-4, validation_split=0.2, patience=2,
                            class_weight="balanced", random_state=7)
    params = clf.get_params()
    assert params == clone(clf).get_params()
    assert "model" not in params and "build_fn" not in params
    clf.set_params(dense_units=64, epochs=5)
    assert clf.get_params()["dense_units"] == 64 and clf.epochs == 5
    assert repr(VGGLikeClassifier(epochs=5)) == "VGGLikeClassifier(epochs=5)"


def test_fit_mutates_neither_parameters_nor_inputs(spectra, audio):
    clf = VGGLikeClassifier(**TINY, class_weight="balanced")
    before = clf.get_params()
    X, y, w = spectra.copy(), audio.target.copy(), np.linspace(0.5, 1.5, 48)
    w_before = w.copy()
    clf.fit(X, y, sample_weight=w)
    assert clf.get_params() == before
    np.testing.assert_array_equal(X, spectra)
    np.testing.assert_array_equal(w, w_before)


def test_random_state_makes_training_reproducible(spectra, audio):
    a = VGGLikeClassifier(**TINY).fit(spectra, audio.target).predict_proba(spectra)
    b = VGGLikeClassifier(**TINY).fit(spectra, audio.target).predict_proba(spectra)
    np.testing.assert_array_equal(a, b)
    c = VGGLikeClassifier(**{**TINY, "random_state": 1}).fit(spectra, audio.target)
    assert not np.allclose(a, c.predict_proba(spectra))


def test_random_gain_layer_acts_only_in_training():
    x = np.zeros((64, 4, 3, 1), dtype="float32")
    layer = RandomGain(max_db=30.0, seed=0)
    trained = keras.ops.convert_to_numpy(layer(x, training=True))
    # one offset per sample, uniform within ±3 bels (30 dB)
    per_sample = trained.reshape(64, -1)
    assert np.all(per_sample == per_sample[:, :1])
    assert np.abs(per_sample).max() <= 3.0 and per_sample.std() > 0.5
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x, training=False)), x)


def test_gain_augmentation_changes_training_but_not_prediction(spectra, audio):
    plain = VGGLikeClassifier(**TINY).fit(spectra, audio.target)
    augmented = VGGLikeClassifier(**TINY, gain_augment_db=30.0).fit(spectra, audio.target)
    assert augmented.model_.get_layer("random_gain").max_db == 30.0
    # training saw other batches: other weights, other losses
    assert augmented.history_["loss"] != plain.history_["loss"]
    # prediction is deterministic and equals the network without augmentation
    p1, p2 = augmented.predict_proba(spectra), augmented.predict_proba(spectra)
    np.testing.assert_array_equal(p1, p2)
    body = augmented.model_.layers[-1]
    np.testing.assert_allclose(p1, keras.ops.convert_to_numpy(body(spectra[..., None],
                                                                    training=False)),
                               rtol=1e-5, atol=1e-6)


def padded_log_spectrograms(n=240, n_classes=4, n_frames=40, n_bands=20, seed=0):
    """LOG-like input of padded recordings: speech around -7 bels, padding at -10.

    As FSDD digits padded to 1 s look to the LOG front-end (log10 power of a
    mel spectrogram, floor 1e-10): over half the bins are the floor's constant.
    """
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    X = np.full((n, n_frames, n_bands), -10.0, dtype=np.float32)
    for i in range(n):
        length = rng.integers(n_frames * 3 // 10, n_frames * 6 // 10)
        X[i, :length] = -7.0 + 0.5 * rng.standard_normal((length, n_bands))
        X[i, :length, 2 + 4 * y[i]:5 + 4 * y[i]] += 0.5
    return X, y


def test_log_spectrograms_of_padded_recordings_train_by_default():
    # Regression: without batch normalisation the paper's network stalls on
    # this input (every seed: the training loss stays at ln 4 and the dense
    # ReLUs are dead), as it did on LOG, LOG-AU, LOG-T and PERSA of FSDD.
    X, y = padded_log_spectrograms()
    chance = np.log(4)
    for seed in (0, 1):
        clf = VGGLikeClassifier(random_state=seed).fit(X, y)
        assert clf.history_["loss"][-1] < 0.5 * chance
        assert clf.score(X, y) > 0.9
    paper = VGGLikeClassifier(batch_norm=False, epochs=10, random_state=0).fit(X, y)
    assert paper.history_["loss"][-1] > 0.99 * chance  # the data does reproduce the stall


def test_batch_normalisation_keeps_an_invariant_pipeline_invariant(audio):
    # at prediction batch normalisation is a fixed affine map per channel
    pipe = tiny_pipeline(PersaPlus(q=6, random_state=0), epochs=2)
    pipe.fit(audio.data, audio.target)
    assert any(isinstance(layer, keras.layers.BatchNormalization)
               for layer in pipe[-1].model_.layers[-1].layers)
    np.testing.assert_allclose(pipe.predict_proba(0.01 * audio.data[:8]),
                               pipe.predict_proba(audio.data[:8]), atol=1e-5)


@pytest.mark.parametrize("run_eagerly", [True, False])  # compiled: another code path on JAX
def test_batch_normalisation_predicts_with_the_trained_weights_statistics(spectra, audio,
                                                                         run_eagerly):
    # after training, the moving statistics are recomputed over the training
    # batches (48 samples: three full batches of 16) with the final weights
    clf = VGGLikeClassifier(**{**TINY, "run_eagerly": run_eagerly}).fit(spectra, audio.target)
    network = clf.model_.layers[-1]
    conv = keras.Model(network.input, network.get_layer("conv1").output)
    outputs = keras.ops.convert_to_numpy(conv(spectra[..., None]))
    moving_mean = keras.ops.convert_to_numpy(network.get_layer("batch_norm1").moving_mean)
    np.testing.assert_allclose(moving_mean, outputs.mean(axis=(0, 1, 2)), rtol=1e-4,
                               atol=1e-5)


def test_validation_split_with_early_stopping(spectra, audio):
    # (without batch normalisation, whose moving statistics change the
    # validation loss while they converge, whatever the learning rate)
    clf = VGGLikeClassifier(**{**TINY, "epochs": 30}, validation_split=0.25, patience=1,
                            learning_rate=1e-10, batch_norm=False)
    clf.fit(spectra, audio.target)
    assert "val_loss" in clf.history_
    # with a negligible learning rate the validation loss stops improving at once
    assert len(clf.history_["loss"]) <= 5


def learning_rate_of(clf):
    """The fitted network's current learning rate (a Keras variable)."""
    return float(keras.ops.convert_to_numpy(clf.model_.optimizer.learning_rate))


def test_without_validation_split_the_training_loss_is_monitored(spectra, audio):
    # with a negligible learning rate the training loss has plateaued at once
    # (it moves only with the batches' statistics)
    params = {**TINY, "epochs": 30, "dropout": 0.0, "learning_rate": 1e-10}
    stopped = VGGLikeClassifier(**params, patience=2).fit(spectra, audio.target)
    assert "val_loss" not in stopped.history_
    assert len(stopped.history_["loss"]) < 15
    scheduled = VGGLikeClassifier(**{**params, "epochs": 4}, reduce_lr_patience=1)
    scheduled.fit(spectra, audio.target)
    assert len(scheduled.history_["loss"]) == 4
    assert learning_rate_of(scheduled) < 1e-10 * LR_REDUCTION_FACTOR


def test_reduce_lr_patience_monitors_the_validation_loss(spectra, audio):
    clf = VGGLikeClassifier(**{**TINY, "epochs": 3}, learning_rate=1e-10,
                            validation_split=0.25, reduce_lr_patience=0, batch_norm=False)
    clf.fit(spectra, audio.target)
    assert learning_rate_of(clf) < 1e-10 * LR_REDUCTION_FACTOR


def test_grid_search_over_q_and_a_network_parameter(audio):
    pipe = tiny_pipeline(PersaPlus(random_state=0))
    search = GridSearchCV(pipe, {"persaplus__q": [3.0, 12.0],
                                 "vgglikeclassifier__dense_units": [4, 8]}, cv=2)
    search.fit(audio.data, audio.target)
    assert len(search.cv_results_["params"]) == 4
    scores = search.cv_results_["mean_test_score"]
    assert search.best_params_ == search.cv_results_["params"][int(np.argmax(scores))]
    # The refitted system is built with the chosen values, down to the Keras layer.
    best = search.best_estimator_

    def layers(layer):
        return [layer] + [inner for child in getattr(layer, "layers", [])
                          for inner in layers(child)]

    assert best.named_steps["persaplus"].q == search.best_params_["persaplus__q"]
    assert [layer.units for layer in layers(best.named_steps["vgglikeclassifier"].model_)
            if layer.name == "dense"] == [search.best_params_["vgglikeclassifier__dense_units"]]
    assert search.predict(audio.data[:4]).shape == (4,)


def test_cross_val_score_with_group_kfold(audio):
    """Each fold's network saw the other sources only, and is the network that
    the pipeline trains on that fold by hand (a seeded fit is reproducible)."""
    pipe = tiny_pipeline(PCEN(sr=8000, hop_length=128))
    cv = cross_validate(pipe, audio.data, audio.target, groups=audio.groups,
                        cv=GroupKFold(n_splits=2), return_estimator=True,
                        return_indices=True)
    folds = zip(cv["estimator"], cv["indices"]["train"], cv["indices"]["test"],
                cv["test_score"])
    for fitted, train, test, score in folds:
        assert not set(audio.groups[train]) & set(audio.groups[test])
        by_hand = clone(pipe).fit(audio.data[train], audio.target[train])
        np.testing.assert_allclose(fitted.predict_proba(audio.data[test]),
                                   by_hand.predict_proba(audio.data[test]), rtol=1e-5)
        assert by_hand.score(audio.data[test], audio.target[test]) == score


def test_stacking_and_soft_voting_over_two_systems(audio):
    estimators = [("persa+", tiny_pipeline(PersaPlus(random_state=0))),
                  ("pcen", tiny_pipeline(PCEN(sr=8000, hop_length=128)))]
    stack = StackingClassifier(estimators, final_estimator=LogisticRegression(), cv=2)
    stack.fit(audio.data, audio.target)
    assert stack.predict_proba(audio.data[:5]).shape == (5, 3)
    vote = VotingClassifier(estimators, voting="soft").fit(audio.data, audio.target)
    members = [est.predict_proba(audio.data) for est in vote.estimators_]
    np.testing.assert_allclose(vote.predict_proba(audio.data), np.mean(members, axis=0),
                               rtol=1e-5)


def test_learns_an_easy_task():
    """A broken network fails this: 4 classes, chance 25 %, expected >= 90 %."""
    data = make_audio_classification(n_samples=160, n_classes=4, duration=0.5, sr=8000,
                                     snr_db=20, gain_db=(-20, 0), random_state=1)
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.25, stratify=data.target, random_state=0)
    pipe = make_frontend_pipeline("persa+", sr=8000, n_fft=256, hop_length=128, n_mels=32,
                                  random_state=0, filters=(8, 16, 32), dense_units=16,
                                  epochs=25, learning_rate=3e-3, batch_size=16)
    pipe.fit(X_train, y_train)
    assert pipe.score(X_test, y_test) >= 0.9


def test_the_six_systems():
    expected = {"log": ("logcompression", 0.0), "log-au": ("logcompression", 30.0),
                "log-t": ("logthreshold", 0.0), "persa": ("persamplenorm", 0.0),
                "persa+": ("persaplus", 3.0), "pcen": ("pcen", 0.0)}
    for system, (frontend, gain) in expected.items():
        pipe = make_frontend_pipeline(system, q=6, c=20)
        assert [name for name, _ in pipe.steps] == ["melspectrogram", frontend,
                                                    "vgglikeclassifier"]
        assert pipe[-1].gain_augment_db == gain
    assert make_frontend_pipeline("persa+", q=6)[1].q == 6
    assert make_frontend_pipeline("log-t", c=20)[1].c == 20
    assert make_frontend_pipeline("persa+", gain_augment_db=0)[-1].gain_augment_db == 0
    with pytest.raises(ValueError, match="Unknown system 'mfcc'"):
        make_frontend_pipeline("mfcc")


def test_joblib_round_trip_in_a_fresh_process(audio, tmp_path):
    pipe = tiny_pipeline(PersaPlus(random_state=0)).fit(audio.data, audio.target)
    path = tmp_path / "pipe.joblib"
    joblib.dump(pipe, path)
    np.save(tmp_path / "X.npy", audio.data)
    script = textwrap.dedent(f"""
        import joblib, numpy as np
        pipe = joblib.load({str(path)!r})
        X = np.load({str(tmp_path / "X.npy")!r})
        np.save({str(tmp_path / "proba.npy")!r}, pipe.predict_proba(X))
    """)
    subprocess.run([sys.executable, "-c", script], check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "proba.npy"), pipe.predict_proba(audio.data))


@pytest.mark.parametrize("params", [
    {"validation_split": 1.0}, {"optimizer": "adamax2"}, {"epochs": 0},
    {"learning_rate": -1.0}, {"gain_augment_db": -3.0}, {"mixup_alpha": -0.1},
    {"balanced_batches": "yes"}, {"class_weight": "even"},
    # the architecture's parameters too (a bad one used to fail deep in Keras)
    {"filters": 8}, {"filters": (8, 0)}, {"filters": ()}, {"kernel_size": 0},
    {"pool_size": 1.5}, {"dropout": 1.0}, {"dense_units": -4}, {"padding": "full"},
])
def test_bad_parameters_raise_before_training(spectra, audio, params):
    (name, value), = params.items()
    clf = VGGLikeClassifier(**{**TINY, **params})
    with pytest.raises(InvalidParameterError,
                       match=f"The '{name}' parameter of VGGLikeClassifier must be"):
        clf.fit(spectra, audio.target)
    assert not hasattr(clf, "model_")


def test_a_validation_split_too_small_is_explained(spectra, audio):
    with pytest.raises(ValueError, match="leaves no samples on one side"):
        VGGLikeClassifier(**{**TINY, "validation_split": 0.01}).fit(spectra, audio.target)


def test_bad_inputs_raise_clear_errors(spectra, audio):
    clf = VGGLikeClassifier(**TINY)
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(np.full_like(spectra, np.nan), audio.target)
    with pytest.raises(ValueError, match="two classes"):
        clf.fit(spectra, np.zeros(48))
    with pytest.raises(ValueError, match="different lengths"):
        clf.fit(spectra, audio.target[:10])
    with pytest.raises(ValueError, match="y is None"):
        clf.fit(spectra, None)
    clf.fit(spectra, audio.target)
    with pytest.raises(ValueError, match="fitted on samples of shape \\(32, 16\\)"):
        clf.predict(spectra[:, :20])
