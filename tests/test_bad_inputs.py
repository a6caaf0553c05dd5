"""The bad-input matrix: every public component against every kind of bad input.

Each case either works -- finite output of the documented shape, the caller's
array untouched -- or raises ValueError/TypeError with a message that names the
problem. Nothing may return NaN silently or fail deep inside numpy, librosa or
Keras with an unrelated message. ``CASES`` is the table.
"""

from functools import partial

import numpy as np
import pytest
from sklearn.preprocessing import FunctionTransformer

from skaudio import (
    PCEN,
    AudioLoader,
    Deltas,
    EmbeddingDNNClassifier,
    EmbeddingLSTMClassifier,
    LogCompression,
    LogThreshold,
    MelSpectrogram,
    MinMaxScale,
    MultiLevelAttentionClassifier,
    PerSampleNorm,
    PersaPlus,
    TemporalStatistics,
    TrimSilence,
    VGGLikeClassifier,
)
from skaudio.embedding import VGGishEmbedder, load_vggish_weights
from skaudio.embedding._weights import published_keys
from skaudio.frontends import (
    log_compression,
    log_threshold,
    pcen,
    per_sample_norm,
    persa_plus,
)

from .conftest import write_tone

OK = "ok"


def raises(exc, pattern):
    return (exc, pattern)


def _read_only(X):
    X = np.array(X)
    X.setflags(write=False)
    return X


def _ragged(width):
    return [[0.5] * width, [0.5] * (width - 1)]


# ----------------------------------------------------------------- waveforms
RNG = np.random.default_rng(0)
WAVE = (0.1 * RNG.standard_normal((3, 2048))).astype(np.float32)

WAVEFORM_CASES = {
    "NaN sample": (np.where(np.arange(2048) == 7, np.nan, WAVE), raises(ValueError, "NaN")),
    "+inf sample": (np.where(np.arange(2048) == 7, np.inf, WAVE), raises(ValueError, "infinity")),
    "-inf sample": (np.where(np.arange(2048) == 7, -np.inf, WAVE), raises(ValueError, "infinity")),
    "all-zero clips": (np.zeros((3, 2048), np.float32), OK),
    "DC offset": (WAVE + 0.5, OK),
    "clipped audio": (np.clip(WAVE * 50, -1, 1), OK),
    "1-sample clips": (WAVE[:, :1], OK),
    "no clips": (np.zeros((0, 2048), np.float32), raises(ValueError, "0 sample")),
    "clips of 0 samples": (np.zeros((3, 0), np.float32), raises(ValueError, "0 feature")),
    "1-D array": (WAVE[0], raises(ValueError, "got a 1-D array")),
    "3-D array": (WAVE[:, None], raises(ValueError, "got a 3-D array")),
    "float64": (WAVE.astype(np.float64), OK),
    "int16 PCM": ((WAVE * 32767).astype(np.int16), OK),
    "bool": (WAVE > 0, OK),
    "ragged list": (_ragged(2048), raises(ValueError, "ragged")),
    "read-only array": (_read_only(WAVE), OK),
    "non-contiguous array": (np.repeat(WAVE, 2, axis=1)[:, ::2], OK),
    "huge amplitudes float64": (WAVE.astype(np.float64) * 1e30, OK),
    "huge amplitudes float32": (WAVE * np.float32(1e30), raises(ValueError, "overflow")),
    "complex": (WAVE.astype(np.complex64), raises(ValueError, "[Cc]omplex")),
    "strings": (np.full((3, 4), "a"), raises(ValueError, "could not convert")),
}

# ------------------------------------------------------------ time-frequency
POWER = (10 ** RNG.uniform(-6, 0, size=(3, 12, 8))).astype(np.float32)

TF_CASES = {
    "NaN bin": (np.where(POWER == POWER.max(), np.nan, POWER), raises(ValueError, "NaN")),
    "+inf bin": (np.where(POWER == POWER.max(), np.inf, POWER), raises(ValueError, "infinity")),
    "-inf bin": (np.where(POWER == POWER.max(), -np.inf, POWER), raises(ValueError, "infinity")),
    "all-zero samples": (np.zeros_like(POWER), OK),
    "negative power": (POWER - 0.5, "non-negative"),
    "1-frame samples": (POWER[:, :1], "frames"),
    "no samples": (POWER[:0], raises(ValueError, "0 sample")),
    "samples of 0 frames": (POWER[:, :0], raises(ValueError, "empty|0 feature")),
    "1-D array": (POWER[0, 0], raises(ValueError, "got a 1-D array")),
    "5-D array": (POWER[:, :, :, None, None], raises(ValueError, "got a 5-D array")),
    "float64": (POWER.astype(np.float64), OK),
    "int16": ((POWER * 1000).astype(np.int16), OK),
    "bool": (POWER > 0.1, OK),
    "ragged list": (_ragged(8), raises(ValueError, "ragged")),
    "read-only array": (_read_only(POWER), OK),
    "non-contiguous array": (np.repeat(POWER, 2, axis=2)[:, :, ::2], OK),
    "huge values float64": (POWER.astype(np.float64) * 1e30, OK),
    "huge values float32": (POWER * np.float32(1e30), "huge"),
    "complex": (POWER.astype(np.complex64), raises(ValueError, "[Cc]omplex")),
}

NON_NEGATIVE_ERROR = raises(ValueError, "Negative values")
OVERFLOW_ERROR = raises(ValueError, "overflow")


def tf_expectation(component, expected):
    """Resolve the component-dependent expectations of ``TF_CASES``."""
    name = type(component).__name__
    if expected == "non-negative":
        return NON_NEGATIVE_ERROR if name not in ("TemporalStatistics", "Deltas",
                                                   "MinMaxScale", "VGGLikeClassifier",
                                                   *EMBEDDING_NAMES) else OK
    if expected == "frames":
        if name != "Deltas":
            return OK
        return raises(ValueError, "at least width=3 frames" if component.padding
                      else r"at least 2 \* width - 1 = 5 frames")
    if expected == "huge":  # PCEN scales by 2**31: beyond float32
        return OVERFLOW_ERROR if name == "PCEN" else OK
    return expected


TF_COMPONENTS = [LogCompression(), PerSampleNorm(), PerSampleNorm(method="divide"),
                 PersaPlus(random_state=0), LogThreshold(), PCEN(), TemporalStatistics(),
                 Deltas(width=3), Deltas(width=3, padding=False), MinMaxScale(),
                 MinMaxScale(per_channel=True)]
# The plain functions behind the front-ends, and the transformer whose
# expectations each shares.
FRONT_END_FUNCTIONS = {
    "log_compression": (log_compression, LogCompression()),
    "per_sample_norm": (per_sample_norm, PerSampleNorm()),
    "persa_plus": (partial(persa_plus, random_state=0), PersaPlus()),
    "log_threshold": (log_threshold, LogThreshold()),
    "pcen": (pcen, PCEN()),
}
NETWORK = VGGLikeClassifier(filters=(4,), dense_units=4, epochs=1, batch_size=8,
                            random_state=0)


def _run(component, X):
    """fit_transform, or fit + predict_proba for a classifier."""
    if hasattr(component, "predict_proba"):
        y = np.arange(len(X)) % 2
        return component.fit(X, y).predict_proba(X)
    return component.fit_transform(X)


def _check(component, X, expected):
    before = None if isinstance(X, list) else np.array(X, copy=True)
    if expected == OK:
        out = _run(component, X)
        assert np.all(np.isfinite(out)), f"{component!r} returned non-finite values"
        assert out.shape[0] == len(X)
    else:
        exc, pattern = expected
        with pytest.raises(exc, match=pattern):
            _run(component, X)
    if before is not None:
        np.testing.assert_array_equal(np.asarray(X), before)  # never modified


@pytest.mark.parametrize("case", WAVEFORM_CASES)
def test_melspectrogram(case):
    X, expected = WAVEFORM_CASES[case]
    _check(MelSpectrogram(n_fft=256, hop_length=128, n_mels=16), X, expected)


@pytest.mark.parametrize("component", TF_COMPONENTS, ids=repr)
@pytest.mark.parametrize("case", TF_CASES)
def test_time_frequency_components(component, case):
    X, expected = TF_CASES[case]
    _check(component, X, tf_expectation(component, expected))


@pytest.mark.parametrize("function", FRONT_END_FUNCTIONS)
@pytest.mark.parametrize("case", TF_CASES)
def test_front_end_functions(function, case):
    """Called directly, the functions answer bad input as their transformers do."""
    X, expected = TF_CASES[case]
    func, transformer = FRONT_END_FUNCTIONS[function]
    _check(FunctionTransformer(func), X, tf_expectation(transformer, expected))


@pytest.mark.parametrize("case", TF_CASES)
def test_network_classifier(case):
    X, expected = TF_CASES[case]
    _check(NETWORK, X, tf_expectation(NETWORK, expected))


# The embedding back-ends take TF_CASES' (3, 12, 8) arrays as 3 clips of 12
# segments of 8-D embeddings.
EMBEDDING_NETWORKS = [
    EmbeddingDNNClassifier(hidden_units=(2, 2, 2), epochs=1, batch_size=8,
                           random_state=0),
    EmbeddingLSTMClassifier(units=2, epochs=1, batch_size=8, random_state=0),
    MultiLevelAttentionClassifier(hidden_units=(2, 2, 2), epochs=1, batch_size=8,
                                  random_state=0),
]
EMBEDDING_NAMES = [type(e).__name__ for e in EMBEDDING_NETWORKS]


@pytest.mark.parametrize("component", EMBEDDING_NETWORKS, ids=EMBEDDING_NAMES)
@pytest.mark.parametrize("case", TF_CASES)
def test_embedding_classifiers(component, case):
    X, expected = TF_CASES[case]
    _check(component, X, tf_expectation(component, expected))


# TrimSilence scales each clip by its peak before measuring energy, so float32
# audio at 1e30 works instead of overflowing.
TRIM_CASES = {**WAVEFORM_CASES, "huge amplitudes float32": (WAVEFORM_CASES[
    "huge amplitudes float32"][0], OK)}


@pytest.mark.parametrize("case", TRIM_CASES)
def test_trim_silence(case):
    X, expected = TRIM_CASES[case]
    _check(TrimSilence(), X, expected)


# ------------------------------------------------------------------- VGGish
# The embedder computes its spectrogram in float64, so float32 audio at 1e30 works.
VGGISH_CASES = {**WAVEFORM_CASES, "huge amplitudes float32": (WAVEFORM_CASES[
    "huge amplitudes float32"][0], OK)}
VGGISH = VGGishEmbedder(n_segments=1, pooling="mean", conv_blocks=((2,),), fc_units=(2,),
                        embedding_size=2, hidden_units=2, epochs=1, batch_size=8,
                        random_state=0)


@pytest.mark.parametrize("case", VGGISH_CASES)
def test_vggish_embedder(case):
    """Trained from scratch (tiny): fit(X, y) then transform, as _check does."""
    X, expected = VGGISH_CASES[case]
    before = None if isinstance(X, list) else np.array(X, copy=True)
    y = np.arange(len(X)) % 2
    if expected == OK:
        out = VGGISH.fit(X, y).transform(X)
        assert np.all(np.isfinite(out)) and out.shape == (len(X), 2)
    else:
        with pytest.raises(expected[0], match=expected[1]):
            VGGISH.fit(X, y).transform(X)
    if before is not None:
        np.testing.assert_array_equal(np.asarray(X), before)


def _weight_files(d):
    """Bad VGGish weight files: (weights, pca_params, expectation) per case."""
    tf_keys = published_keys("tf")
    tiny = {k: np.zeros(1, np.float32) for k in tf_keys}  # shapes checked after keys

    def npz(name, **arrays):
        np.savez(d / name, **arrays)
        return d / name

    (d / "text.npz").write_text("not an archive")
    full = npz("full.npz", **tiny)
    (d / "truncated.npz").write_bytes(full.read_bytes()[:200])
    with open(d / "single.npz", "wb") as f:
        np.save(f, np.zeros(3))
    (d / "vggish_model.ckpt").write_bytes(b"\0" * 64)
    (d / "garbage.pth").write_bytes(b"PK\x03\x04 not really a zip")
    (d / "truncated.weights.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 40)
    missing = dict(tiny)
    del missing["vggish/fc2/biases"]
    nan_conv = np.full(tf_keys["vggish/conv1/weights"], np.nan, np.float32)
    good_pca = dict(pca_eigen_vectors=np.eye(128), pca_means=np.zeros(128))
    return {
        "missing path": (d / "missing.npz", None, raises(ValueError, "no such file")),
        "directory": (d, None, raises(ValueError, "is a directory")),
        "path as a number": (3.0, None, raises(TypeError, "path to a file")),
        "TF checkpoint not converted": (d / "vggish_model.ckpt", None,
                                        raises(ValueError, "converted to .npz")),
        "text file named .npz": (d / "text.npz", None, raises(ValueError, "not an .npz")),
        "truncated .npz": (d / "truncated.npz", None, raises(ValueError, "not a readable")),
        "one array (.npy) named .npz": (d / "single.npz", None, raises(ValueError, "one array")),
        "neither TF nor torch keys": (npz("neither.npz", w=np.zeros(3)), None,
                                      raises(ValueError, "neither")),
        "both TF and torch keys": (npz("both.npz", **tiny, **{"features.0.weight": np.zeros(1)}),
                                   None, raises(ValueError, "both")),
        "a key missing": (npz("missing_key.npz", **missing), None,
                          raises(ValueError, r"missing \['vggish/fc2/biases'\]")),
        "an unexpected key": (npz("extra.npz", **tiny, **{"vggish/fc3/weights": np.zeros(1)}),
                              None, raises(ValueError, r"unexpected \['vggish/fc3/weights'\]")),
        "wrong shape": (npz("shape.npz", **{**tiny, "vggish/conv1/weights": np.zeros(
            (3, 3, 1, 32))}), None, raises(ValueError, r"has shape \(3, 3, 1, 32\)")),
        "NaN weights": (npz("nan.npz", **{**tiny, "vggish/conv1/weights": nan_conv}), None,
                        raises(ValueError, "NaN or infinite")),
        "text weights": (npz("text_w.npz", **{**tiny, "vggish/conv1/weights": np.full(
            nan_conv.shape, "a")}), None, raises(ValueError, "not numbers")),
        "pickled object array": (npz("object.npz", **{**tiny, "vggish/conv1/weights": np.array(
            [None, 1], dtype=object)}), None, raises(ValueError, "pickled object array")),
        "PCA file without PCA keys": (full, npz("pca_none.npz", w=np.zeros(3)),
                                      raises(ValueError, "holds neither")),
        "PCA of wrong shape": (full, npz("pca_shape.npz", **{**good_pca, "pca_eigen_vectors":
                                                             np.eye(64, 128)}),
                               raises(ValueError, r"has shape \(64, 128\)")),
        "one PCA parameter only": (full, npz("pca_one.npz", pca_means=np.zeros(128)),
                                   raises(ValueError, "only one of the PCA")),
        "PyTorch file": (d / "garbage.pth", None, raises(ValueError, "PyTorch|torch.load")),
        "truncated .weights.h5": (d / "truncated.weights.h5", None,
                                  raises(ValueError, "not a readable Keras .weights.h5")),
    }


WEIGHT_FILE_CASE_NAMES = [
    "missing path", "directory", "path as a number", "TF checkpoint not converted",
    "text file named .npz", "truncated .npz", "one array (.npy) named .npz",
    "neither TF nor torch keys", "both TF and torch keys", "a key missing",
    "an unexpected key", "wrong shape", "NaN weights", "text weights",
    "pickled object array", "PCA file without PCA keys", "PCA of wrong shape",
    "one PCA parameter only", "PyTorch file", "truncated .weights.h5",
]


@pytest.mark.parametrize("case", WEIGHT_FILE_CASE_NAMES)
def test_vggish_weight_files(case, tmp_path):
    weights, pca_params, (exc, pattern) = _weight_files(tmp_path)[case]
    with pytest.raises(exc, match=pattern):
        load_vggish_weights(weights, pca_params=pca_params)


# ------------------------------------------------------------------- files
def _write_cases(d):
    good = d / "good.wav"
    write_tone(good, seconds=0.2)
    truncated = d / "truncated.wav"
    truncated.write_bytes(good.read_bytes()[:30])
    text = d / "text.wav"
    text.write_text("not audio at all")
    empty = d / "empty.wav"
    write_tone(empty, seconds=0.0)
    nan_wav = d / "nan.wav"
    import soundfile as sf

    sf.write(nan_wav, np.full(100, np.nan, np.float32), 8000, subtype="FLOAT")
    return {
        "truncated WAV": ([str(truncated)], raises(ValueError, "could not decode")),
        "text file named .wav": ([str(text)], raises(ValueError, "could not decode")),
        "missing path": ([str(d / "missing.wav")], raises(ValueError, "no such file")),
        "directory": ([str(d)], raises(ValueError, "is a directory")),
        "WAV of NaN samples": ([str(nan_wav)], raises(ValueError, "NaN or infinite")),
        "WAV of 0 frames": ([str(empty), str(good)], OK),
        "single path string": (str(good), raises(TypeError, "single path")),
        "empty list": ([], raises(ValueError, "empty list")),
        "non-path item": ([str(good), 3.0], raises(TypeError, "expects file paths")),
        "2-D array of paths": (np.array([[str(good)] * 2]), raises(ValueError, "1-D list")),
        "pathlib paths": ([good, good], OK),
    }


FILE_CASE_NAMES = ["truncated WAV", "text file named .wav", "missing path", "directory",
                   "WAV of NaN samples", "WAV of 0 frames", "single path string",
                   "empty list", "non-path item", "2-D array of paths", "pathlib paths"]


@pytest.mark.parametrize("case", FILE_CASE_NAMES)
def test_audio_loader(case, tmp_path):
    X, expected = _write_cases(tmp_path)[case]
    loader = AudioLoader(sr=8000, duration=0.25)
    if expected == OK:
        out = loader.fit_transform(X)
        assert out.shape == (len(X), 2000) and np.all(np.isfinite(out))
    else:
        exc, pattern = expected
        with pytest.raises(exc, match=pattern):
            loader.fit_transform(X)


# scikit-learn's parameter validation ("The 'sr' parameter of AudioLoader must
# be ... Got 0 instead."): an InvalidParameterError, both ValueError and TypeError.
_BAD_SR = r"The 'sr' parameter of \w+ must be .* Got .* instead"
SAMPLE_RATE_CASES = {
    "negative sr": (-8000, raises(ValueError, _BAD_SR)),
    "zero sr": (0, raises(ValueError, _BAD_SR)),
    "missing sr (None)": (None, raises(TypeError, _BAD_SR)),
    "sr as text": ("16k", raises(TypeError, _BAD_SR)),
}


@pytest.mark.parametrize("case", SAMPLE_RATE_CASES)
@pytest.mark.parametrize("make", [lambda sr: MelSpectrogram(sr=sr),
                                  lambda sr: AudioLoader(sr=sr)],
                         ids=["MelSpectrogram", "AudioLoader"])
def test_wrong_or_missing_sample_rate(case, make, tmp_path):
    sr, (exc, pattern) = SAMPLE_RATE_CASES[case]
    component = make(sr)
    X = WAVE if isinstance(component, MelSpectrogram) else [str(tmp_path / "x.wav")]
    with pytest.raises(exc, match=pattern):
        component.fit(X)
