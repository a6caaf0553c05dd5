"""The bad-input matrix: every public component against every kind of bad input.

Each case either works -- finite output of the documented shape, the caller's
array untouched -- or raises ValueError/TypeError with a message that names the
problem. Nothing may return NaN silently or fail deep inside numpy, librosa or
Keras with an unrelated message. ``CASES`` is the table; the README's
reliability section states how many cases each component faces, and
``test_readme_states_the_case_counts`` keeps that figure true.
"""

import re
from pathlib import Path

import numpy as np
import pytest

from skaudio import (
    PCEN,
    AudioLoader,
    Deltas,
    LogCompression,
    LogThreshold,
    MelSpectrogram,
    PersaPlus,
    PerSampleNorm,
    TemporalStatistics,
    VGGLikeClassifier,
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
                                                   "VGGLikeClassifier") else OK
    if expected == "frames":
        return raises(ValueError, "at least width=3 frames") if name == "Deltas" else OK
    if expected == "huge":  # PCEN scales by 2**31: beyond float32
        return OVERFLOW_ERROR if name == "PCEN" else OK
    return expected


TF_COMPONENTS = [LogCompression(), PerSampleNorm(), PerSampleNorm(method="divide"),
                 PersaPlus(random_state=0), LogThreshold(), PCEN(), TemporalStatistics(),
                 Deltas(width=3)]
NETWORK = VGGLikeClassifier(filters=(4,), dense_units=4, epochs=1, batch_size=8,
                            run_eagerly=True, random_state=0)


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


@pytest.mark.parametrize("case", TF_CASES)
def test_network_classifier(case):
    X, expected = TF_CASES[case]
    _check(NETWORK, X, tf_expectation(NETWORK, expected))


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


SAMPLE_RATE_CASES = {
    "negative sr": (-8000, raises(ValueError, "sr must be > 0")),
    "zero sr": (0, raises(ValueError, "sr must be > 0")),
    "missing sr (None)": (None, raises(TypeError, "sr must be a real number")),
    "sr as text": ("16k", raises(TypeError, "sr must be a real number")),
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


def case_counts():
    """Number of bad-input cases each component faces in this module."""
    counts = {"MelSpectrogram": len(WAVEFORM_CASES) + len(SAMPLE_RATE_CASES),
              "AudioLoader": len(FILE_CASE_NAMES) + len(SAMPLE_RATE_CASES),
              "VGGLikeClassifier": len(TF_CASES)}
    for component in TF_COMPONENTS:
        name = type(component).__name__
        counts[name] = len(TF_CASES)
    return counts


def test_readme_states_the_case_counts():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for name, count in case_counts().items():
        assert re.search(rf"\| `{name}` \| {count} \|", readme), \
            f"README's reliability table should say {name} faces {count} cases"
