"""Silence trimming, pitch-shift class balancing and geometric-mean fold ensembles."""

import librosa
import numpy as np
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.neural_network import MLPClassifier

from skaudio import GeometricMeanEnsemble, TrimSilence, pitch_shift_balance
from skaudio.ensemble import geometric_mean_proba
from skaudio.io import fit_length

SR = 8000


def tone(freq, seconds=0.5, amp=0.5):
    t = np.arange(int(SR * seconds)) / SR
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def padded(clip, before, after):
    return np.concatenate([np.zeros(before, np.float32), clip, np.zeros(after, np.float32)])


# --------------------------------------------------------------- TrimSilence
def test_trim_silence_equals_librosa_trim_and_normalize():
    X = np.stack([padded(tone(440), 3000, 1000), padded(tone(880, amp=0.05), 500, 3500)])
    out = TrimSilence(top_db=40, frame_length=256, hop_length=64).fit_transform(X)
    for clip, got in zip(X, out):
        trimmed, _ = librosa.effects.trim(clip, top_db=40, frame_length=256, hop_length=64)
        expected = fit_length(librosa.util.normalize(trimmed), X.shape[1], "repeat")
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert out.shape == X.shape and out.dtype == np.float32


def test_trim_silence_removes_the_edges_only_and_is_gain_invariant():
    gap = np.zeros(800, np.float32)
    clip = padded(np.concatenate([tone(440, 0.2), gap, tone(440, 0.2)]), 2000, 2000)
    X = clip[np.newaxis]
    out = TrimSilence(length=4000, pad_mode="constant", frame_length=256,
                      hop_length=64).fit_transform(X)[0]
    leading = np.argmax(np.abs(out) > 1e-3)
    assert leading < 256                           # 2000 silent samples cut to < a frame
    gap_start = leading + 1600
    assert np.abs(out[gap_start + 100:gap_start + 700]).max() < 1e-3   # inner gap stays
    np.testing.assert_allclose(TrimSilence().fit_transform(1000 * X),
                               TrimSilence().fit_transform(X), rtol=1e-4, atol=1e-6)
    kept = TrimSilence(normalize=False, frame_length=256, hop_length=64).fit_transform(X)
    assert np.abs(kept).max() == pytest.approx(0.5, rel=1e-3)


def test_trim_silence_lengths_silence_and_input_safety():
    X = np.stack([padded(tone(440, 0.1), 1000, 1000), np.zeros(2800, np.float32)])
    before = X.copy()
    repeat = TrimSilence(length=5000, frame_length=256, hop_length=64).fit_transform(X)
    constant = TrimSilence(length=5000, pad_mode="constant", frame_length=256,
                           hop_length=64).fit_transform(X)
    assert repeat.shape == constant.shape == (2, 5000)
    assert np.abs(repeat[0, -500:]).max() > 0.5    # repeated
    assert np.all(constant[0, -500:] == 0)         # zero-padded
    assert np.all(repeat[1] == 0) and np.all(np.isfinite(repeat))   # silent stays silent
    np.testing.assert_array_equal(X, before)


@pytest.mark.parametrize("params, match", [
    ({"top_db": 0}, "top_db"), ({"length": 0}, "length"),
    ({"pad_mode": "reflect"}, "pad_mode"), ({"hop_length": 1.5}, "hop_length")])
def test_trim_silence_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        TrimSilence(**params).fit(np.zeros((1, 100)))


# ------------------------------------------------------- pitch_shift_balance
def _dominant_hz(clip):
    spectrum = np.abs(np.fft.rfft(clip * np.hanning(clip.size)))
    return np.fft.rfftfreq(clip.size, 1 / SR)[spectrum.argmax()]


def test_pitch_shift_balance_equalises_classes_with_shifted_copies():
    X = np.stack([tone(400)] * 4 + [tone(300), tone(500)])
    y = np.array(["a", "a", "a", "a", "b", "c"])
    groups = np.array([0, 1, 2, 3, 4, 5])
    before = X.copy()
    Xb, yb, gb = pitch_shift_balance(X, y, sr=SR, groups=groups, random_state=0)
    np.testing.assert_array_equal(X, before)
    np.testing.assert_array_equal(Xb[:6], X)               # originals first, unchanged
    assert dict(zip(*np.unique(yb, return_counts=True))) == {"a": 4, "b": 4, "c": 4}
    assert gb[6:].tolist() == [4] * 3 + [5] * 3            # copies keep the source group
    for clip, label in zip(Xb[6:], yb[6:]):
        ratio = _dominant_hz(clip) / {"b": 300, "c": 500}[label]
        semitones = 12 * np.log2(ratio)
        assert abs(semitones - round(semitones)) < 0.3     # whole semitones
        assert 1 <= abs(round(semitones)) <= 12            # never 0, at most 12


def test_pitch_shift_balance_target_and_determinism():
    X = np.stack([tone(400), tone(400), tone(300)])
    y = np.array([0, 0, 1])
    Xb, yb = pitch_shift_balance(X, y, sr=SR, n_per_class=3, max_semitones=2, random_state=1)
    assert np.bincount(yb).tolist() == [3, 3]
    again, _ = pitch_shift_balance(X, y, sr=SR, n_per_class=3, max_semitones=2, random_state=1)
    np.testing.assert_array_equal(Xb, again)
    same, ys = pitch_shift_balance(X[:2], y[:2], sr=SR)
    assert same.shape == (2, X.shape[1]) and ys.tolist() == [0, 0]
    with pytest.raises(ValueError, match="one label per clip"):
        pitch_shift_balance(X, y[:2], sr=SR)
    with pytest.raises(ValueError, match="sr"):
        pitch_shift_balance(X, y, sr=0)


# --------------------------------------------------------- geometric means
def test_geometric_mean_proba_by_hand():
    p1 = np.array([[0.9, 0.1], [0.0, 1.0]])
    p2 = np.array([[0.4, 0.6], [0.5, 0.5]])
    raw = geometric_mean_proba([p1, p2], normalize=False)
    np.testing.assert_allclose(raw[0], [np.sqrt(0.36), np.sqrt(0.06)])
    assert 0 < raw[1, 0] < 1e-5                          # a zero vetoes, without log(0)
    norm = geometric_mean_proba([p1, p2])
    np.testing.assert_allclose(norm.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="one shape"):
        geometric_mean_proba([p1, p2[:1]])


def test_ensemble_is_the_geometric_mean_of_its_fold_models():
    X, y = make_classification(n_samples=90, n_classes=3, n_informative=4, random_state=0)
    ens = GeometricMeanEnsemble(LogisticRegression(max_iter=500), cv=3).fit(X, y)
    assert len(ens.estimators_) == 3
    fold_probas = [m.predict_proba(X) for m in ens.estimators_]
    expected = np.exp(np.mean(np.log(fold_probas), axis=0))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(ens.predict_proba(X), expected, rtol=1e-10)
    np.testing.assert_array_equal(ens.predict(X), ens.classes_[expected.argmax(axis=1)])
    assert np.isfinite(ens.oof_proba_).all()
    assert ens.score(X, y) > 0.7


def test_ensemble_respects_groups_and_multilabel():
    X, Y = make_multilabel_classification(n_samples=60, n_classes=3, random_state=0)
    groups = np.arange(60) // 10
    ens = GeometricMeanEnsemble(MLPClassifier(hidden_layer_sizes=(8,), max_iter=300,
                                              random_state=0), cv=GroupKFold(3))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                  # MLP's convergence warning
        ens.fit(X, Y, groups=groups)
    for model, (train, _) in zip(ens.estimators_, GroupKFold(3).split(X, Y, groups)):
        assert model.n_iter_ > 0
    proba = ens.predict_proba(X)
    raw = np.exp(np.mean(np.log([m.predict_proba(X) for m in ens.estimators_]), axis=0))
    np.testing.assert_allclose(proba, raw, rtol=1e-10)   # per label, not renormalised
    assert ens.predict(X).shape == Y.shape
