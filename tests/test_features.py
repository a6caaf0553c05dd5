"""MelSpectrogram against librosa, the Deltas channels and MinMaxScale."""

import warnings

import librosa
import numpy as np
import pytest

from skaudio import Deltas, MelSpectrogram, MinMaxScale

SETTINGS = [
    {},
    {"n_fft": 512, "hop_length": 160, "win_length": 400, "n_mels": 64, "fmin": 125.0,
     "fmax": 7500.0, "htk": True},
    {"n_fft": 1024, "hop_length": 256, "center": False, "power": 1.0, "window": "hamming"},
    {"n_fft": 256, "hop_length": 64, "pad_mode": "reflect", "norm": None, "n_mels": 32},
]


@pytest.fixture
def waves(rng):
    return rng.standard_normal((5, 8000)).astype(np.float32)


@pytest.mark.parametrize("params", SETTINGS)
def test_equals_librosa_per_clip(waves, params):
    out = MelSpectrogram(sr=16000, **params).fit_transform(waves)
    expected = np.stack([
        librosa.feature.melspectrogram(y=w, sr=16000, **params).T for w in waves
    ])
    assert out.shape == expected.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=2e-5, atol=1e-6 * expected.max())


def test_float64_in_float64_out_and_equal(waves):
    w64 = waves.astype(np.float64)
    out = MelSpectrogram(n_fft=512).fit_transform(w64)
    assert out.dtype == np.float64
    expected = librosa.feature.melspectrogram(y=w64, sr=16000, n_fft=512)
    # librosa's filter bank is float32 even for float64 audio; skaudio's is not.
    np.testing.assert_allclose(out, np.moveaxis(expected, -1, -2), rtol=1e-6)


@pytest.mark.parametrize("gain", [0.01, 3.0])
def test_power_scales_with_gain_squared(waves, gain):
    mel = MelSpectrogram(n_fft=512)
    np.testing.assert_allclose(mel.fit_transform(gain * waves.astype(np.float64)),
                               gain**2 * mel.fit_transform(waves.astype(np.float64)),
                               rtol=1e-10)


def test_integer_and_bool_waveforms_become_float32(waves):
    ints = (waves * 1000).astype(np.int16)
    out = MelSpectrogram(n_fft=256).fit_transform(ints)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, MelSpectrogram(n_fft=256).fit_transform(  # PCM
        ints.astype(np.float32) / 32768))
    assert MelSpectrogram(n_fft=256).fit_transform(ints > 0).dtype == np.float32


def test_large_batches_are_chunked_without_changing_results(rng, monkeypatch):
    from skaudio import _chunks

    y = rng.standard_normal((7, 4000)).astype(np.float32)
    whole = MelSpectrogram(n_fft=512).fit_transform(y)
    monkeypatch.setattr(_chunks, "CHUNK_BYTES", 1)  # one clip a chunk
    np.testing.assert_array_equal(MelSpectrogram(n_fft=512).fit_transform(y), whole)


@pytest.mark.parametrize("bad, exc, message", [
    (np.zeros(100), ValueError, "got a 1-D array"),
    (np.zeros((2, 3, 100)), ValueError, "got a 3-D array"),
    (np.full((2, 100), np.nan), ValueError, "NaN"),
    (np.full((2, 100), np.inf), ValueError, "infinity"),
    (np.zeros((0, 100)), ValueError, "0 sample"),
    ([[0.0] * 10, [0.0] * 5], ValueError, "ragged"),
])
def test_bad_waveforms_raise(bad, exc, message):
    with pytest.raises(exc, match=message):
        MelSpectrogram().fit_transform(bad)


def test_clip_shorter_than_n_fft_without_centring_raises():
    with pytest.raises(ValueError, match="shorter than n_fft"):
        MelSpectrogram(n_fft=512, center=False).fit_transform(np.zeros((1, 100)))


@pytest.mark.parametrize("params, message", [
    ({"n_fft": 0}, "The 'n_fft' parameter of MelSpectrogram must be an int in the range"),
    ({"hop_length": 1.5}, "The 'hop_length' parameter of MelSpectrogram must be an int"),
    ({"pad_mode": "mirror"}, "The 'pad_mode' parameter of MelSpectrogram must be a str among"),
    ({"win_length": 4096}, "MelSpectrogram: win_length=4096 must be <= n_fft"),
    ({"fmax": 9000.0}, "MelSpectrogram: need 0 <= fmin < fmax <= sr / 2"),
    ({"sr": -1}, "The 'sr' parameter of MelSpectrogram must be a float in the range"),
    ({"power": 0}, "The 'power' parameter of MelSpectrogram must be a float in the range"),
])
def test_bad_parameters_raise(params, message):
    """In fit and in transform (which runs without fit), and in the function."""
    from skaudio._params import InvalidParameterError
    from skaudio.features import melspectrogram

    X = np.zeros((1, 4000))
    with pytest.raises(InvalidParameterError, match=message):
        MelSpectrogram(**params).fit(X)
    with pytest.raises(InvalidParameterError, match=message):
        MelSpectrogram(**params).transform(X)
    with pytest.raises(InvalidParameterError,
                       match=message.replace("MelSpectrogram", "melspectrogram")):
        melspectrogram(X, **params)


def test_input_is_not_modified(waves):
    before = waves.copy()
    MelSpectrogram(pad_mode="reflect").fit_transform(waves)
    np.testing.assert_array_equal(waves, before)


def test_deltas_equal_librosa_and_stack_as_channels(rng):
    S = rng.standard_normal((3, 20, 8))
    out = Deltas(width=5).fit_transform(S)
    assert out.shape == (3, 20, 8, 3)
    np.testing.assert_array_equal(out[..., 0], S)
    for order in (1, 2):
        np.testing.assert_allclose(
            out[..., order], librosa.feature.delta(S, width=5, order=order, axis=1))


def test_deltas_of_a_linear_ramp_are_its_slope_and_zero():
    S = np.broadcast_to(np.arange(30.0)[None, :, None] * 2.0, (1, 30, 4))
    out = Deltas(width=9).fit_transform(S)
    np.testing.assert_allclose(out[..., 1], 2.0, atol=1e-10)
    np.testing.assert_allclose(out[..., 2], 0.0, atol=1e-10)


@pytest.mark.parametrize("params, X, message", [
    ({"width": 4}, np.zeros((1, 20, 3)), "Deltas: width must be an odd integer >= 3"),
    ({"width": 1}, np.zeros((1, 20, 3)), "The 'width' parameter of Deltas must be an int"),
    ({"mode": "edge"}, np.zeros((1, 20, 3)), "The 'mode' parameter of Deltas must be a str"),
    ({"width": 9}, np.zeros((1, 5, 3)), "at least width=9 frames"),
    ({}, np.zeros((2, 20)), "got a 2-D array"),
])
def test_deltas_bad_input(params, X, message):
    with pytest.raises(ValueError, match=message):
        Deltas(**params).fit_transform(X)


# ---------------------------------------------- Deltas without padding (Hu et al. 5.1)
def _papers_deltas(X):
    """The DCASE 2020 authors' code, time on axis 1: a width-5 delta in valid mode."""
    out = (X[:, 2:] - X[:, :-2]) / 10.0
    return out[:, 1:-1] + (X[:, 4:] - X[:, :-4]) / 5.0


def test_deltas_without_padding_give_the_papers_431_to_423_frames(rng):
    S = rng.standard_normal((2, 431, 16)).astype(np.float32)  # 10 s at 44.1 kHz, hop 1024
    out = Deltas(width=5, padding=False).fit_transform(S)
    assert out.shape == (2, 423, 16, 3) and out.dtype == np.float32


@pytest.mark.parametrize("width", [3, 5, 9])
def test_deltas_without_padding_drop_width_minus_one_frames_at_each_end(rng, width):
    S = rng.standard_normal((2, 40, 4))
    assert Deltas(width=width, padding=False).fit_transform(S).shape == (
        2, 40 - 2 * (width - 1), 4, 3)
    assert Deltas(width=width).fit_transform(S).shape == (2, 40, 4, 3)  # default: same


def test_deltas_without_padding_are_the_authors_computation(rng):
    """delta = their deltas(); delta-delta = deltas(deltas()); static and delta cut to
    the delta-delta's frames, as their concatenate(X[4:-4], D[2:-2], DD)."""
    S = rng.standard_normal((3, 30, 8))
    out = Deltas(width=5, padding=False).fit_transform(S)
    delta = _papers_deltas(S)
    np.testing.assert_array_equal(out[..., 0], S[:, 4:-4])
    np.testing.assert_allclose(out[..., 1], delta[:, 2:-2], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out[..., 2], _papers_deltas(delta), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("width", [3, 5, 9])
@pytest.mark.parametrize("mode", ["interp", "nearest", "constant"])
def test_deltas_without_padding_are_the_interior_of_padded_ones(rng, width, mode):
    """The exact relation, h = (width - 1) / 2: the delta is the padded delta's frames
    [2h, n - 2h), whatever the padding mode; the delta-delta is the same interior of
    the delta applied twice, not of the padded (second Savitzky-Golay) delta-delta."""
    S = rng.standard_normal((2, 40, 4))
    h = width // 2
    inner = slice(2 * h, 40 - 2 * h)
    out = Deltas(width=width, padding=False).fit_transform(S)
    padded = Deltas(width=width, mode=mode).fit_transform(S)
    np.testing.assert_array_equal(out[..., 0], padded[:, inner, :, 0])
    np.testing.assert_allclose(out[..., 1], padded[:, inner, :, 1], atol=1e-12)
    twice = librosa.feature.delta(padded[..., 1], width=width, order=1, axis=1, mode=mode)
    np.testing.assert_allclose(out[..., 2], twice[:, inner], atol=1e-12)
    assert not np.allclose(out[..., 2], padded[:, inner, :, 2])


def test_deltas_without_padding_of_a_parabola_are_its_derivatives():
    # x = t**2: the regression delta over a symmetric window is exactly 2t, its delta 2.
    t = np.arange(25.0)
    S = np.broadcast_to((t**2)[None, :, None], (1, 25, 3))
    out = Deltas(width=5, padding=False).fit_transform(S)
    np.testing.assert_allclose(out[0, :, 0, 1], 2 * t[4:-4], rtol=1e-12)
    np.testing.assert_allclose(out[..., 2], 2.0, rtol=1e-12)


def test_deltas_without_padding_need_2_width_minus_1_frames():
    with pytest.raises(ValueError, match=r"Deltas\(padding=False\) needs at least "
                       r"2 \* width - 1 = 9 frames .*got 8\. Use longer clips"):
        Deltas(width=5, padding=False).fit_transform(np.zeros((1, 8, 3)))
    assert Deltas(width=5, padding=False).fit_transform(np.zeros((1, 9, 3))).shape == (
        1, 1, 3, 3)


def test_deltas_without_padding_say_when_float32_overflows():
    S = np.zeros((1, 9, 2), dtype=np.float32)
    S[0, :5] = -3e38  # a step: differences of 6e38 overflow float32
    S[0, 5:] = 3e38
    with pytest.raises(ValueError, match="Deltas overflowed float32 .* pass float64"):
        Deltas(width=5, padding=False).fit_transform(S)
    assert np.isfinite(Deltas(width=5, padding=False).fit_transform(
        S.astype(np.float64))).all()


# ------------------------------------------------------------------ MinMaxScale
@pytest.mark.parametrize("shape", [(4, 30), (4, 20, 8), (4, 20, 8, 3)])
def test_minmax_scale_maps_every_sample_onto_0_1(rng, shape):
    X = rng.normal(-50, 20, size=shape)
    out = MinMaxScale().fit_transform(X)
    assert out.shape == X.shape
    flat = out.reshape(len(X), -1)
    np.testing.assert_array_equal(flat.min(axis=1), 0.0)  # exactly
    np.testing.assert_array_equal(flat.max(axis=1), 1.0)
    lo = X.reshape(len(X), -1).min(axis=1)
    hi = X.reshape(len(X), -1).max(axis=1)
    expected = (X.reshape(len(X), -1) - lo[:, None]) / (hi - lo)[:, None]
    np.testing.assert_allclose(flat, expected, rtol=1e-12)


def test_minmax_scale_per_channel_scales_each_channel_of_a_sample(rng):
    X = rng.normal(size=(3, 20, 8, 3)) * np.array([1.0, 0.1, 0.01])  # deltas are smaller
    whole = MinMaxScale().fit_transform(X)
    per_channel = MinMaxScale(per_channel=True).fit_transform(X)
    by_channel = per_channel.reshape(3, -1, 3)
    np.testing.assert_array_equal(by_channel.min(axis=1), 0.0)
    np.testing.assert_array_equal(by_channel.max(axis=1), 1.0)
    for c in range(3):  # each channel alone, as a 3-D sample
        np.testing.assert_allclose(per_channel[..., c],
                                   MinMaxScale().fit_transform(X[..., c]), rtol=1e-12)
    assert whole[..., 2].max() < 0.6  # one range for the sample: small channels stay small
    # 2-D and 3-D samples are one channel.
    np.testing.assert_array_equal(MinMaxScale(per_channel=True).fit_transform(X[..., 0]),
                                  MinMaxScale().fit_transform(X[..., 0]))


@pytest.mark.parametrize("per_channel", [False, True])
def test_minmax_scale_is_invariant_to_an_affine_change_of_a_sample(rng, per_channel):
    X = rng.normal(size=(4, 20, 8, 3))
    a = rng.uniform(0.01, 100, size=(4, 1, 1, 1))  # one a > 0 and b per sample
    b = rng.uniform(-100, 100, size=(4, 1, 1, 1))
    scale = MinMaxScale(per_channel=per_channel)
    np.testing.assert_allclose(scale.fit_transform(a * X + b), scale.fit_transform(X),
                               atol=1e-12)


def test_minmax_scale_samples_do_not_depend_on_their_batch(rng):
    X = rng.normal(size=(5, 12, 4)).astype(np.float32)
    whole = MinMaxScale().fit(X[:1]).transform(X)
    for i in range(len(X)):
        np.testing.assert_array_equal(MinMaxScale().fit_transform(X[i:i + 1]), whole[i:i + 1])


def test_minmax_scale_maps_constant_samples_and_channels_to_zero(rng):
    X = rng.normal(size=(3, 10, 4, 2))
    X[1] = -7.5  # a constant sample
    X[2, ..., 1] = 42.0  # a constant channel
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division-by-zero warning either
        out = MinMaxScale().fit_transform(X)
        per_channel = MinMaxScale(per_channel=True).fit_transform(X)
    assert np.isfinite(out).all() and np.isfinite(per_channel).all()
    np.testing.assert_array_equal(out[1], 0.0)
    np.testing.assert_array_equal(per_channel[1], 0.0)
    np.testing.assert_array_equal(per_channel[2, ..., 1], 0.0)
    assert per_channel[2, ..., 0].max() == 1.0
    np.testing.assert_array_equal(MinMaxScale().fit_transform(np.zeros((2, 5))), 0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_minmax_scale_keeps_the_dtype_and_never_modifies_its_input(rng, dtype):
    X = rng.normal(size=(3, 10, 4)).astype(dtype)
    before = X.copy()
    X.setflags(write=False)
    out = MinMaxScale().fit_transform(X)
    assert out.dtype == dtype and out is not X
    np.testing.assert_array_equal(X, before)
    # Other dtypes become float32, as in every time-frequency component.
    assert MinMaxScale().fit_transform(np.arange(6).reshape(2, 3)).dtype == np.float32


def test_the_papers_inputs_log_mel_scaled_then_deltas_without_padding(rng):
    """Hu et al. 5.1: 431 x 128 log-mels, scaled to [0, 1], deltas without padding."""
    log_mel = rng.normal(-5, 2, size=(2, 431, 128)).astype(np.float32)
    out = Deltas(width=5, padding=False).fit_transform(MinMaxScale().fit_transform(log_mel))
    assert out.shape == (2, 423, 128, 3)
    assert out[..., 0].min() >= 0 and out[..., 0].max() <= 1


@pytest.mark.parametrize("params, X, exc, message", [
    ({}, np.zeros(5), ValueError, "MinMaxScale expects a time-frequency array .* got a 1-D"),
    ({}, np.zeros((1, 2, 3, 4, 5)), ValueError, "got a 5-D array"),
    ({}, np.array([[0.0, np.nan]]), ValueError, "NaN"),
    ({}, np.array([[0.0, np.inf]]), ValueError, "infinity"),
    ({}, np.zeros((0, 4)), ValueError, "0 sample"),
    ({}, np.array([[-3e38, 3e38]], dtype=np.float32), ValueError,
     "MinMaxScale: a sample's range .* overflowed float32; pass float64"),
    ({"per_channel": "yes"}, np.zeros((1, 4)), ValueError,
     "The 'per_channel' parameter of MinMaxScale must be an instance of 'bool'"),
])
def test_minmax_scale_bad_input(params, X, exc, message):
    with pytest.raises(exc, match=message):
        MinMaxScale(**params).fit_transform(X)
    with pytest.raises(exc, match=message):
        MinMaxScale(**params).transform(X)  # transform runs without fit


@pytest.mark.parametrize("params", SETTINGS + [
    {"n_fft": 64, "hop_length": 16, "n_mels": 40},  # empty filters: bands without bins
    {"n_fft": 512, "hop_length": 128, "power": 1.5, "fmin": 300.0, "fmax": 3000.0},
])
def test_batched_call_equals_librosa_batched_call(rng, params):
    """The whole 2-D batch at once, as librosa's batched call computes it."""
    y = rng.standard_normal((9, 6000)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # librosa: empty mel filters
        out = MelSpectrogram(sr=16000, **params).fit_transform(y)
        expected = np.moveaxis(librosa.feature.melspectrogram(y=y, sr=16000, **params),
                               -1, -2)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=2e-5, atol=1e-5 * expected.max())


def test_block_sparse_filter_bank_holds_every_nonzero_weight():
    from skaudio import features

    for kwargs in ({"sr": 16000, "n_fft": 2048}, {"sr": 8000, "n_fft": 64, "n_mels": 40},
                   {"sr": 22050, "n_fft": 512, "htk": True, "norm": None}):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            basis = librosa.filters.mel(**kwargs)
        for interleave in (1, 2):
            dense = np.zeros((basis.shape[1] * interleave, basis.shape[0]), basis.dtype)
            for b0, b1, lo, hi, weights in features._mel_blocks(basis, interleave):
                assert weights.flags.c_contiguous
                dense[lo:hi, b0:b1] = weights
            np.testing.assert_array_equal(dense[::interleave].T, basis)
            if interleave == 2:  # real and imaginary squares get the same weight
                np.testing.assert_array_equal(dense[1::2], dense[::2])


@pytest.mark.parametrize("n_jobs", [None, 1, 2, -1])
def test_threads_do_not_change_the_result(rng, monkeypatch, n_jobs):
    from skaudio import _chunks

    y = rng.standard_normal((11, 4000)).astype(np.float32)
    serial = MelSpectrogram(n_fft=512, n_jobs=1).fit_transform(y)
    monkeypatch.setattr(_chunks, "CHUNK_BYTES", 1)  # one clip a chunk
    np.testing.assert_array_equal(MelSpectrogram(n_fft=512, n_jobs=n_jobs).fit_transform(y),
                                  serial)


@pytest.mark.parametrize("n_jobs", [0, 1.5, "2"])
def test_bad_n_jobs_raises(n_jobs):
    with pytest.raises(ValueError, match="The 'n_jobs' parameter of MelSpectrogram must be"):
        MelSpectrogram(n_jobs=n_jobs).fit(np.zeros((1, 4000)))


def test_concurrent_calls_leave_blas_threads_as_they_were(rng):
    """The BLAS limit of the threaded path is shared and restored by the last caller."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_info

    before = [(p["filepath"], p["num_threads"]) for p in threadpool_info()
              if p["user_api"] == "blas"]
    y = rng.standard_normal((40, 4000)).astype(np.float32)
    mel = MelSpectrogram(n_fft=512, n_jobs=2)
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda _: mel.fit_transform(y), range(8)))
    for out in outs[1:]:
        np.testing.assert_array_equal(out, outs[0])
    after = [(p["filepath"], p["num_threads"]) for p in threadpool_info()
             if p["user_api"] == "blas"]
    assert after == before
