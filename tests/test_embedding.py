"""VGGishEmbedder: the exact VGGish input, the published weights, post-processing, training."""

import importlib.util
import math

import librosa
import numpy as np
import pytest
import scipy.signal
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from skaudio.embedding import (
    VGGishEmbedder,
    load_vggish_weights,
    published_keys,
    samples_for_segments,
    vggish_log_mel,
    vggish_mel_matrix,
    vggish_postprocess,
    waveforms_to_patches,
)
from skaudio.networks import build_vggish

TINY = dict(conv_blocks=((4,), (8,)), fc_units=(16,), embedding_size=8, hidden_units=8,
            random_state=0)


# ------------------------------------------------------------------ front-end
def mel_matrix_by_hand(sr=16000, n_fft=512, n_mels=64, fmin=125.0, fmax=7500.0):
    """The VGGish filter bank written out bin by bin, band by band."""
    def mel(f):
        return 1127.0 * math.log(1.0 + f / 700.0)

    n_bins = n_fft // 2 + 1
    step = (mel(fmax) - mel(fmin)) / (n_mels + 1)
    W = np.zeros((n_bins, n_mels))
    for k in range(1, n_bins):  # the DC bin keeps weight 0
        m = mel(k * (sr / 2) / (n_bins - 1))
        for b in range(n_mels):
            left, centre, right = (mel(fmin) + (b + i) * step for i in range(3))
            if left < m <= centre:
                W[k, b] = (m - left) / (centre - left)
            elif centre < m < right:
                W[k, b] = (right - m) / (right - centre)
    return W


def test_mel_matrix_equals_the_formula_written_out():
    np.testing.assert_allclose(vggish_mel_matrix(), mel_matrix_by_hand(), atol=1e-12)


def log_mel_by_hand(y):
    """Frames by librosa, periodic Hann by scipy, FFT and log by numpy."""
    frames = librosa.util.frame(y, frame_length=400, hop_length=160, axis=0)
    window = scipy.signal.get_window("hann", 400, fftbins=True)
    magnitude = np.abs(np.fft.rfft(frames * window, n=512, axis=-1))
    return np.log(magnitude @ mel_matrix_by_hand() + 0.01)


def test_log_mel_equals_a_direct_librosa_numpy_computation(rng):
    y = rng.standard_normal((3, 21000)) * 0.1
    got = vggish_log_mel(y)
    assert got.shape == (3, 1 + (21000 - 400) // 160, 64)
    for clip, out in zip(y, got):
        np.testing.assert_allclose(out, log_mel_by_hand(clip), rtol=1e-10, atol=1e-12)


def test_a_tone_lands_in_the_band_centred_on_its_frequency():
    t = np.arange(16000) / 16000
    log_mel = vggish_log_mel(np.sin(2 * np.pi * 1000 * t)[None])[0]
    centres = 700 * np.expm1(np.linspace(1127 * np.log1p(125 / 700),
                                         1127 * np.log1p(7500 / 700), 66)[1:-1] / 1127)
    band = np.argmax(log_mel.mean(axis=0))
    assert abs(centres[band] - 1000) < (centres[band + 1] - centres[band - 1]) / 2


def test_silence_is_log_of_the_offset():
    np.testing.assert_array_equal(vggish_log_mel(np.zeros((1, 16000))), np.log(0.01))


@pytest.mark.parametrize("n_samples, sr, n_patches", [
    (15600, 16000, 1), (30959, 16000, 1), (30960, 16000, 2), (160000, 16000, 10),
    (24000, 8000, 3), (44100 * 2, 44100, 2),
])
def test_patch_count_follows_frames_of_the_clip(n_samples, sr, n_patches, rng):
    y = rng.standard_normal((2, n_samples)) * 0.1
    assert waveforms_to_patches(y, sr).shape == (2, n_patches, 96, 64)


def test_patches_are_consecutive_96_frame_blocks_of_the_log_mel(rng):
    y = rng.standard_normal((2, 16000 * 3)) * 0.1
    log_mel = vggish_log_mel(y)
    patches = waveforms_to_patches(y)
    assert patches.shape == (2, 3, 96, 64)  # 298 frames: 3 whole patches
    np.testing.assert_array_equal(patches.reshape(2, -1, 64), log_mel[:, :3 * 96])


def test_a_clip_shorter_than_a_patch_needs_n_segments(rng):
    with pytest.raises(ValueError, match="shorter than one 0.96 s VGGish patch"):
        waveforms_to_patches(rng.standard_normal((1, 15599)))


def test_n_segments_truncates_long_clips_and_repeats_short_ones(rng):
    long_clip = rng.standard_normal((2, 16000 * 5)) * 0.1
    np.testing.assert_array_equal(waveforms_to_patches(long_clip, n_segments=2),
                                  waveforms_to_patches(long_clip)[:, :2])
    short = rng.standard_normal((2, 5000)) * 0.1
    repeated = waveforms_to_patches(short, n_segments=3)
    expected = vggish_log_mel(np.stack([np.resize(c, samples_for_segments(3)) for c in short]))
    np.testing.assert_array_equal(repeated.reshape(2, -1, 64), expected)
    padded = waveforms_to_patches(short, n_segments=2, pad_mode="constant")
    silent_frames = padded.reshape(2, -1, 64)[:, -(-5000 // 160):]  # frames past the clip
    np.testing.assert_array_equal(silent_frames, np.log(0.01))


def test_resampling_keeps_a_tone_in_its_band(rng):
    """8 kHz input is resampled to 16 kHz: the same tone, the same band, same frames."""
    def tone(sr):
        return np.sin(2 * np.pi * 440 * np.arange(sr * 2) / sr)[None]

    at_8k, at_16k = waveforms_to_patches(tone(8000), 8000), waveforms_to_patches(tone(16000))
    assert at_8k.shape == at_16k.shape
    assert np.argmax(at_8k.mean(axis=(0, 1, 2))) == np.argmax(at_16k.mean(axis=(0, 1, 2)))
    np.testing.assert_allclose(at_8k[..., :20], at_16k[..., :20], atol=0.05)


# ------------------------------------------------------------------ published weights
def published_arrays(seed=0):
    """Random weights in the TF release's names and shapes, scaled to keep activations O(1)."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for key, shape in published_keys("tf").items():
        if key.endswith("/weights"):
            fan_in = int(np.prod(shape[:-1]))
            arrays[key] = (rng.standard_normal(shape, dtype=np.float32)
                           * np.float32(np.sqrt(2.0 / fan_in)))
        else:
            arrays[key] = 0.1 * rng.standard_normal(shape, dtype=np.float32)
    q, _ = np.linalg.qr(rng.standard_normal((128, 128)))
    return arrays, q, 0.1 * rng.standard_normal(128)


def to_torch_keys(arrays):
    """The same weights as torchvggish's state dict (NCHW kernels, (out, in) matrices)."""
    from skaudio.embedding._weights import TORCH_LAYER_NAMES
    from skaudio.networks.vggish import TF_LAYER_NAMES

    out = {}
    for layer, tf_name in TF_LAYER_NAMES.items():
        kernel = arrays[f"{tf_name}/weights"]
        out[f"{TORCH_LAYER_NAMES[layer]}.weight"] = \
            kernel.transpose(3, 2, 0, 1) if kernel.ndim == 4 else kernel.T
        out[f"{TORCH_LAYER_NAMES[layer]}.bias"] = arrays[f"{tf_name}/biases"]
    return out


def numpy_vggish(patches, arrays, *, final_relu=False):
    """An independent forward pass: patches (n, 96, 64) -> (n, 128), TF names, NHWC."""
    def conv(x, name):
        w, b = arrays[f"{name}/weights"], arrays[f"{name}/biases"]
        padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))
        return np.maximum(np.einsum("nhwcij,ijco->nhwo", windows, w, optimize=True) + b, 0)

    def pool(x):
        n, h, w, c = x.shape
        return x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))

    x = patches[..., None].astype(np.float64)
    for block in (["conv1"], ["conv2"], ["conv3/conv3_1", "conv3/conv3_2"],
                  ["conv4/conv4_1", "conv4/conv4_2"]):
        for name in block:
            x = conv(x, f"vggish/{name}")
        x = pool(x)
    x = x.reshape(len(x), -1)  # (6, 4, 512) row-major: TF's flatten
    for name in ("fc1/fc1_1", "fc1/fc1_2"):
        x = np.maximum(x @ arrays[f"vggish/{name}/weights"] + arrays[f"vggish/{name}/biases"], 0)
    x = x @ arrays["vggish/fc2/weights"] + arrays["vggish/fc2/biases"]
    return np.maximum(x, 0) if final_relu else x


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """Synthetic published weights as the TF (with PCA) and torchvggish .npz files."""
    d = tmp_path_factory.mktemp("vggish")
    arrays, eigen_vectors, means = published_arrays()
    np.savez(d / "vggish_tf.npz", **arrays, pca_eigen_vectors=eigen_vectors, pca_means=means)
    np.savez(d / "vggish_torch.npz", **to_torch_keys(arrays))
    np.savez(d / "vggish_pca_params.npz", pca_eigen_vectors=eigen_vectors,
             pca_means=means.reshape(-1, 1))  # torchvggish's column, accepted too
    y = np.random.default_rng(1).standard_normal((2, 16000 * 2)).astype(np.float32) * 0.1
    return dict(dir=d, arrays=arrays, pca=(eigen_vectors, means), y=y,
                reference=numpy_vggish(waveforms_to_patches(y).reshape(-1, 96, 64), arrays))


@pytest.fixture(scope="module")
def tf_embedder(published):
    """The TF-form file loaded once; tests set the transform-time parameters they need."""
    return VGGishEmbedder(published["dir"] / "vggish_tf.npz", batch_size=4).fit(published["y"])


def test_published_weights_match_an_independent_numpy_forward_pass(published, tf_embedder):
    raw = tf_embedder.set_params(postprocess=None, pooling=None).transform(published["y"])
    assert raw.shape == (2, 2, 128)
    np.testing.assert_allclose(raw.reshape(-1, 128), published["reference"],
                               rtol=2e-4, atol=2e-4)
    assert np.any(raw < 0), "the TF release's embedding is pre-activation"


def test_torchvggish_keys_and_behaviour_give_the_same_network(published, tf_embedder):
    d, y = published["dir"], published["y"]
    raw = tf_embedder.set_params(postprocess=None, pooling=None).transform(y)
    torch_like = VGGishEmbedder(d / "vggish_torch.npz", pca_params=d / "vggish_pca_params.npz",
                                final_relu=True, postprocess=None, batch_size=4).fit(y)
    relu = torch_like.transform(y)
    np.testing.assert_allclose(relu, np.maximum(raw, 0), rtol=1e-5, atol=1e-5)
    torch_like.set_params(postprocess="auto", quantization="round")
    expected = vggish_postprocess(relu, published["pca"], quantization="round")
    np.testing.assert_array_equal(torch_like.transform(y), expected)


def test_keras_weights_file_round_trip(published, tf_embedder, tmp_path):
    y = published["y"]
    tf_embedder.set_params(postprocess=None, pooling=None)
    tf_embedder.model_.save_weights(tmp_path / "vggish.weights.h5")
    keras_form = VGGishEmbedder(tmp_path / "vggish.weights.h5", postprocess=None,
                                batch_size=4).fit(y)
    np.testing.assert_array_equal(keras_form.transform(y), tf_embedder.transform(y))


def test_postprocessing_through_the_embedder(published, tf_embedder):
    y = published["y"]
    raw = tf_embedder.set_params(postprocess=None, pooling=None).transform(y)
    eigen_vectors, means = published["pca"]
    assert tf_embedder.pca_eigen_vectors_.shape == (128, 128)
    tf_embedder.set_params(postprocess="auto")  # read at transform: no refit needed
    full = tf_embedder.transform(y)
    by_hand = np.clip((raw.astype(np.float64) - means) @ eigen_vectors.T, -2, 2)
    np.testing.assert_array_equal(full, np.floor((by_hand + 2) * 255 / 4).astype(np.float32))
    tf_embedder.set_params(postprocess=("pca",))
    np.testing.assert_allclose(tf_embedder.transform(y) @ eigen_vectors + means, raw,
                               atol=1e-4)
    tf_embedder.set_params(postprocess=None, pooling="mean")
    np.testing.assert_allclose(tf_embedder.transform(y), raw.mean(axis=1), rtol=1e-6)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                    reason="PyTorch is not installed; the .npz form of torchvggish's "
                           "weights is tested instead")
def test_torchvggish_pth_loads_with_weights_only(published, tmp_path):
    import torch

    state = {k: torch.from_numpy(np.ascontiguousarray(v))
             for k, v in to_torch_keys(published["arrays"]).items()}
    torch.save(state, tmp_path / "vggish.pth")
    weights, pca = load_vggish_weights(tmp_path / "vggish.pth")
    assert pca is None
    np.testing.assert_array_equal(weights["conv1"][0],
                                  published["arrays"]["vggish/conv1/weights"])


def test_published_network_has_the_thesis_table_1_shapes():
    model = build_vggish(kernel_initializer="zeros")  # no random draw of 72 M weights
    assert model.count_params() == 72_141_184
    shapes = {layer.name: layer.output.shape[1:] for layer in model.layers}
    assert shapes["pool1"] == (48, 32, 64) and shapes["pool3"] == (12, 8, 256)
    assert shapes["pool4"] == (6, 4, 512) and shapes["flatten"] == (12288,)
    assert shapes["fc1_1"] == (4096,) and shapes["fc2"] == (128,)


# ------------------------------------------------------------------ post-processing math
def test_postprocess_steps_one_by_one(rng):
    e = rng.standard_normal((5, 128)) * 3
    q, _ = np.linalg.qr(rng.standard_normal((128, 128)))
    means = rng.standard_normal(128)
    pca = vggish_postprocess(e, (q, means), steps=("pca",))
    np.testing.assert_allclose(pca @ q + means, e, rtol=1e-5, atol=1e-5)  # a rotation
    clipped = vggish_postprocess(e, steps=("clip",))
    assert clipped.min() == -2 and clipped.max() == 2
    np.testing.assert_array_equal(clipped[np.abs(e) < 2], e[np.abs(e) < 2].astype(np.float32))
    quantized = vggish_postprocess(e, steps=("clip", "quantize"))
    assert set(np.unique(quantized)) <= set(range(256))
    # each level covers 4/255 of [-2, 2]: dequantising is within one step
    assert np.all(np.abs(quantized * 4 / 255 - 2 - clipped) <= 4 / 255 + 1e-6)
    no_clip = vggish_postprocess(e, steps=("quantize",))
    np.testing.assert_array_equal(no_clip, quantized)  # quantising saturates anyway


def test_truncate_and_round_differ_only_above_half_steps():
    level = np.arange(256)[:, None] + np.array([0.1, 0.25, 0.5, 0.75])
    x = (level.ravel()[:-3] * 4 / 255 - 2)[None]  # values whose scaled value is known
    truncated = vggish_postprocess(x, steps=("quantize",))
    rounded = vggish_postprocess(x, steps=("quantize",), quantization="round")
    frac = np.round(level.ravel()[:-3] % 1, 2)
    np.testing.assert_array_equal((rounded - truncated)[0][frac == 0.75], 1)
    np.testing.assert_array_equal((rounded - truncated)[0][frac <= 0.25], 0)


# ------------------------------------------------------------------ training
def tones(n, rng, sr=16000, seconds=1.0):
    """Class 0: a 300 Hz tone; class 1: a 2 kHz tone; random phase, level and noise."""
    t = np.arange(int(sr * seconds)) / sr
    y = np.arange(n) % 2
    freq = np.where(y == 0, 300.0, 2000.0)[:, None]
    X = rng.uniform(0.1, 0.5, (n, 1)) * np.sin(2 * np.pi * freq * t + rng.uniform(0, 6, (n, 1)))
    return (X + 0.02 * rng.standard_normal(X.shape)).astype(np.float32), y


def test_trained_from_scratch_embeddings_separate_an_easy_task(rng):
    X, y = tones(40, rng)
    X_test, y_test = tones(20, rng)
    pipe = make_pipeline(VGGishEmbedder(**TINY, epochs=3, pooling="mean"),
                         LogisticRegression(max_iter=1000))
    pipe.fit(X, y)
    emb = pipe[0]
    assert emb.history_["loss"][-1] < emb.history_["loss"][0]
    assert list(emb.classes_) == [0, 1]
    assert pipe.score(X_test, y_test) >= 0.9


def test_training_is_reproducible_and_labels_every_segment(rng):
    X, y = tones(12, rng, seconds=2.0)
    kwargs = dict(TINY, epochs=2, n_segments=2, validation_split=0.25, patience=1)
    a = VGGishEmbedder(**kwargs).fit(X, y)
    np.testing.assert_array_equal(VGGishEmbedder(**kwargs).fit_transform(X, y), a.transform(X))
    assert a.transform(X).shape == (12, 2, 8)
    assert "val_loss" in a.history_


def test_fit_without_labels_and_without_weights_is_an_error(rng):
    with pytest.raises(ValueError,
                       match=r"trains VGGish from scratch .*needs labels: call fit\(X, y\)"):
        VGGishEmbedder(**TINY).fit(rng.standard_normal((4, 16000)))


def _bad(name):
    return f"The '{name}' parameter of VGGishEmbedder must be"


@pytest.mark.parametrize("params, exc, pattern", [
    (dict(fine_tune=True), ValueError, "fine_tune=True fine-tunes loaded weights"),
    (dict(pca_params="pca.npz"), ValueError, "do not apply to a network trained here"),
    (dict(weights="w.npz", conv_blocks=((4,),)), ValueError, "fix the network's sizes"),
    (dict(postprocess="pca"), InvalidParameterError, _bad("postprocess")),
    (dict(postprocess=("pca", "whiten")), InvalidParameterError, _bad("postprocess")),
    (dict(postprocess=("pca",)), ValueError, "no PCA parameters were loaded"),
    (dict(pooling="max"), InvalidParameterError, _bad("pooling")),
    (dict(quantization="floor"), InvalidParameterError, _bad("quantization")),
    (dict(pad_mode="reflect"), InvalidParameterError, _bad("pad_mode")),
    (dict(n_segments=0), InvalidParameterError, _bad("n_segments")),
    (dict(sr=0), InvalidParameterError, _bad("sr")),
    (dict(final_relu="yes"), InvalidParameterError, _bad("final_relu")),
    (dict(conv_blocks=((4, 0),)), InvalidParameterError, _bad("conv_blocks")),
    (dict(conv_blocks=(4,)), InvalidParameterError, _bad("conv_blocks")),
    (dict(fc_units=(8, -1)), InvalidParameterError, _bad("fc_units")),
    (dict(validation_split=1.0), InvalidParameterError, _bad("validation_split")),
    (dict(validation_split=0.1), ValueError, "leaves no clips on one side"),
    (dict(optimizer="lbfgs"), InvalidParameterError, _bad("optimizer")),
    (dict(mixup_alpha=-1.0), InvalidParameterError, _bad("mixup_alpha")),
])
def test_bad_parameters_are_clear_errors(params, exc, pattern, rng):
    X, y = rng.standard_normal((4, 16000)), np.array([0, 1, 0, 1])
    with pytest.raises(exc, match=pattern):
        VGGishEmbedder(**{**TINY, **params}).fit(X, y)


def test_fine_tuning_without_labels_is_an_error(published):
    with pytest.raises(ValueError, match="it fine-tunes the loaded weights, which needs labels"):
        VGGishEmbedder(published["dir"] / "vggish_tf.npz", fine_tune=True).fit(published["y"])


def test_embedding_shapes_for_several_clip_lengths(rng):
    X, y = tones(8, rng)
    emb = VGGishEmbedder(**TINY, epochs=1).fit(X, y)
    for seconds, n_segments, expected in [(1.0, None, 1), (3.5, None, 3), (2.0, 1, 1),
                                          (0.3, 4, 4), (10.0, 2, 2)]:
        clips = tones(3, rng, seconds=seconds)[0]
        out = emb.set_params(n_segments=n_segments, pooling=None).transform(clips)
        assert out.shape == (3, expected, 8), seconds
        pooled = emb.set_params(pooling="mean").transform(clips)
        np.testing.assert_allclose(pooled, out.mean(axis=1), rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="Set n_segments to repeat or pad them"):
        emb.set_params(n_segments=None).transform(tones(3, rng, seconds=0.5)[0])
