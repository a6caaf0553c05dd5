"""CAB-CNN (Lu et al.): ragged clips, the max-pooling front-end, the network, the protocol."""

import pickle

import keras
import numpy as np
import pytest
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from skaudio import AudioLoader, CABCNNClassifier, WaveformMaxPool
from skaudio.estimators._cab_cnn import clips_to_network_input
from skaudio.networks import build_cab_cnn
from skaudio.networks._masked import MaskedMaxPooling1D
from skaudio.ragged import check_clips, clip_lengths, pad_clips, unpad
from skaudio.waveform import max_pool_waveform

TINY = dict(filters=(4, 8), kernel_sizes=(3, 3), pool_sizes=(3, 2), pool_strides=(2, 2),
            dropout=(0.0, 0.0), n_classifiers=5, classifier_units=(4,),
            attention_units=(8,), batch_size=16, random_state=0)


def clips_of(rng, lengths, scale=1.0):
    return [scale * rng.normal(size=n).astype(np.float32) for n in lengths]


# ------------------------------------------------------------------ ragged clips
def test_pad_clips_round_trips_clips_of_any_lengths(rng):
    clips = clips_of(rng, [5, 1, 3])
    X = pad_clips(clips)
    assert X.shape == (3, 5) and X.dtype == np.float32
    assert clip_lengths(X).tolist() == [5, 1, 3]
    for clip, back in zip(clips, unpad(X)):
        np.testing.assert_array_equal(clip, back)
    np.testing.assert_array_equal(pad_clips([np.array([0, 16384], np.int16)]),
                                  [[0.0, 0.5]])  # integer PCM is scaled


@pytest.mark.parametrize("X, match", [
    ([np.ones(3), np.array([])], "clip 1 is empty"),
    ([np.ones(3), np.array([1.0, np.inf])], "clip 1 holds NaN or infinite"),
    (np.array([[1.0, np.nan, 2.0]]), "NaN before its last finite sample"),
    (np.array([[1.0, 2.0], [np.nan, np.nan]]), "clip 1 is all NaN"),
    (np.array([[1.0, np.inf]]), "infinity"),
    (np.ones((2, 3, 4)), "got a 3-D array"),
    (np.ones(4), "got a 1-D array"),
])
def test_check_clips_explains_bad_clips(X, match):
    with pytest.raises(ValueError, match=match):
        check_clips(X, name="T")


def test_audio_loader_nan_padding_keeps_each_clip_length(wav_files):
    X = AudioLoader(sr=8000, pad_mode="nan").fit_transform(wav_files)
    assert clip_lengths(X).tolist() == [2000, 4000, 6000]


def test_fixed_length_steps_explain_nan_padding(wav_files):
    from skaudio import MelSpectrogram

    X = AudioLoader(sr=8000, pad_mode="nan").fit_transform(wav_files)
    with pytest.raises(ValueError, match="pad_mode='constant'"):
        MelSpectrogram(sr=8000).fit_transform(X)


# ------------------------------------------------------------------ front-end
def test_max_pool_against_a_hand_computation():
    # 10 samples at sr=4: two whole seconds and a half; 2 points per second.
    y = np.array([3.0, 1.0, 0.0, 2.0, 5.0, 4.0, 1.0, 1.0, 2.0, 6.0])
    z = (y - y.mean()) / y.std()
    # sub-intervals [0,2) [2,4) | [4,6) [6,8) | [8,10): a half second, one point
    expected = [max(z[0:2]), max(z[2:4]), max(z[4:6]), max(z[6:8]), max(z[8:10])]
    np.testing.assert_allclose(max_pool_waveform(y, 4, points_per_second=2), expected)


def test_max_pool_of_a_clip_shorter_than_a_second_and_uneven_intervals():
    # sr=5, 2 points per second: sub-intervals of 2 and 3 samples
    # (floor(j * 5 / 2) = 0, 2, 5, 7, ...); a 3-sample clip reaches 2 points.
    y = np.array([1.0, 3.0, 2.0])
    z = (y - y.mean()) / y.std()
    np.testing.assert_allclose(max_pool_waveform(y, 5, points_per_second=2),
                               [max(z[0:2]), z[2]])
    y = np.arange(12.0)  # 2.4 s: points at 0, 2, 5, 7, 10 -> ceil(12 * 2 / 5) = 5
    z = (y - y.mean()) / y.std()
    np.testing.assert_allclose(max_pool_waveform(y, 5, points_per_second=2),
                               [z[1], z[4], z[6], z[9], z[11]])


def test_max_seconds_keeps_the_start_and_normalises_what_it_keeps():
    y = np.array([0.0, 2.0, 100.0, -100.0])
    out = max_pool_waveform(y, 2, points_per_second=2, max_seconds=1.0)
    np.testing.assert_allclose(out, [-1.0, 1.0])  # [0, 2] z-normalised
    assert max_pool_waveform(np.full(6, 0.3), 2, points_per_second=1).tolist() == [0, 0, 0]


def test_front_end_keeps_each_clip_length(rng):
    clips = clips_of(rng, [16000, 4000, 9000])  # 1 s, 0.25 s, 0.5625 s at 16 kHz
    front = WaveformMaxPool(sr=16000, points_per_second=4000)
    Z = front.fit_transform(clips)
    assert Z.shape == (3, 4000) and clip_lengths(Z).tolist() == [4000, 1000, 2250]
    # The same from the NaN-padded array, and clip by clip.
    np.testing.assert_array_equal(front.transform(pad_clips(clips)), Z)
    for clip, row in zip(clips, unpad(Z)):
        np.testing.assert_allclose(row, max_pool_waveform(clip, 16000), rtol=1e-5)
    assert WaveformMaxPool(sr=16000, max_seconds=0.5).transform(clips).shape == (3, 2000)
    assert front.transform(pad_clips(clips).astype(np.float64)).dtype == np.float64


def test_front_end_explains_its_parameters(rng):
    with pytest.raises(ValueError, match="points_per_second=8000 exceeds sr=4000"):
        WaveformMaxPool(sr=4000, points_per_second=8000).fit_transform(clips_of(rng, [9]))


# ------------------------------------------------------------------ network
def test_masked_pooling_windows_start_at_every_stride():
    # pool 3, stride 2 over 5 valid steps of a batch 8 long: windows [0,3) [2,5)
    # [4,5) (the padding ignored)
    x = np.array([[1, 5, 2, 0, 3, 9, 9, 9]], np.float32)[..., None]
    mask = np.array([[1, 1, 1, 1, 1, 0, 0, 0]], np.float32)
    pooled, out_mask = MaskedMaxPooling1D(3, 2)([x, mask])
    assert np.asarray(out_mask).tolist() == [[1, 1, 1, 0]]
    assert np.asarray(pooled)[0, :, 0].tolist() == [5, 3, 3, 0]


def test_network_counts_the_papers_layers():
    model = build_cab_cnn((None, 2), 3, seed=0)
    assert model.count_params() == 134112
    assert model.get_layer("attention").output.shape[-1] == 40
    assert model.get_layer("classifiers_output").output.shape[-2:] == (40, 3)


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(1)
    lengths = rng.integers(20, 90, size=64)
    y = np.array(["soft", "loud"] * 32)
    clips = [rng.normal(size=n) * (4.0 if label == "loud" else 1.0)
             for n, label in zip(lengths, y)]
    clf = CABCNNClassifier(**TINY, epochs=12, learning_rate=1e-2).fit(clips[:48], y[:48])
    return clf, clips, y


def test_tiny_cab_cnn_learns_an_easy_task(fitted):
    clf, clips, y = fitted
    assert clf.score(clips[48:], y[48:]) >= 0.9


def test_prediction_does_not_depend_on_the_batch(fitted, rng):
    clf, clips, _ = fitted
    alone = clf.predict_proba([clips[0]])
    for others in ([200], [3], [5, 300, 41]):
        batch = [*clips_of(rng, others), clips[0]]
        np.testing.assert_allclose(clf.predict_proba(batch)[-1], alone[0], atol=1e-6)


def test_probabilities_and_attention_are_distributions(fitted):
    clf, clips, _ = fitted
    np.testing.assert_allclose(clf.predict_proba(clips).sum(axis=1), 1, rtol=1e-5)
    weights = clf.attention_weights(clips[:5])
    for clip, alpha in zip(clips, weights):
        # one step per ceil(n / 2) / 2 after the two stride-2 poolings
        assert alpha.shape == (-(-(-(-clip.size // 2)) // 2), 5)
        np.testing.assert_allclose(alpha.sum(axis=1), 1, rtol=1e-5)
        assert (alpha >= 0).all()


def test_fitted_estimator_survives_pickle_and_keras_format(fitted, tmp_path):
    clf, clips, _ = fitted
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(again.predict_proba(clips), clf.predict_proba(clips),
                               atol=1e-6)
    path = tmp_path / "cab.keras"
    clf.model_.save(path)
    model = keras.saving.load_model(path, safe_mode=True)
    Z = clips_to_network_input(*check_clips(clips[:4], name="t"))
    np.testing.assert_allclose(model.predict_on_batch(Z), clf.predict_proba(clips[:4]),
                               atol=1e-6)


@pytest.mark.parametrize("param", sorted(CABCNNClassifier._unsupported_training_parameters))
def test_refuses_training_parameters_that_break_padded_clips(param, rng):
    value = {"random_crop_frames": 4, "input_normalization": True}.get(param, 0.2)
    clf = CABCNNClassifier(**TINY, epochs=1, **{param: value})
    with pytest.raises(ValueError, match=f"{param}=.*does not apply to this network"):
        clf.fit(clips_of(rng, [30, 40]), [0, 1])


def test_explains_blocks_of_different_lengths(rng):
    clf = CABCNNClassifier(filters=(4, 8), epochs=1)
    with pytest.raises(ValueError, match="one entry per block"):
        clf.fit(clips_of(rng, [30, 40]), [0, 1])


def test_pipeline_from_files_through_cross_validation(tmp_path, rng):
    import soundfile as sf

    paths, y = [], []
    for i in range(16):
        label = i % 2
        clip = rng.normal(size=int(rng.integers(600, 1400))) * (0.5 if label else 0.05)
        paths.append(str(tmp_path / f"{i}.wav"))
        sf.write(paths[-1], clip.astype(np.float32), 4000)
        y.append(label)
    pipe = make_pipeline(AudioLoader(sr=4000, pad_mode="nan"),
                         WaveformMaxPool(sr=4000, points_per_second=1000),
                         CABCNNClassifier(**{**TINY, "batch_size": 8}, epochs=2))
    scores = cross_val_score(pipe, paths, y, cv=2)
    assert scores.shape == (2,) and np.isfinite(scores).all()
