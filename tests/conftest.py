import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import skaudio  # noqa: F401  (selects skaudio's Keras backend before a test imports keras)

FSDD_PATH = Path(os.environ.get(
    "SKAUDIO_FSDD", Path(__file__).resolve().parents[2] / "shared" / "data" / "fsdd"
))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def fsdd_path():
    if not (FSDD_PATH / "recordings").is_dir():
        pytest.skip(reason=f"FSDD recordings not found at {FSDD_PATH} (set SKAUDIO_FSDD)")
    return FSDD_PATH


def write_tone(path, *, sr=8000, seconds=0.5, freq=440.0, channels=1, fmt=None):
    """Write a sine tone (amplitude 0.5) and return the samples written."""
    t = np.arange(int(sr * seconds)) / sr
    y = 0.5 * np.sin(2 * np.pi * freq * t).astype(np.float32)
    data = np.stack([y] * channels, axis=1) if channels > 1 else y
    sf.write(path, data, sr, format=fmt)
    return data


@pytest.fixture
def wav_files(tmp_path):
    """Three mono 8 kHz WAV files of 0.25, 0.5 and 0.75 s."""
    paths = []
    for i, seconds in enumerate([0.25, 0.5, 0.75]):
        path = tmp_path / f"clip{i}.wav"
        write_tone(path, seconds=seconds, freq=300.0 * (i + 1))
        paths.append(str(path))
    return paths
