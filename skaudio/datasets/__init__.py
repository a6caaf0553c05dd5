"""Datasets: a synthetic generator and loaders for audio kept on disk."""

from ._loaders import (
    load_audio_csv,
    load_audio_folder,
    load_esc50,
    load_fsdd,
    load_urbansound8k,
)
from ._synthetic import SOUND_CLASSES, make_audio_classification

__all__ = [
    "SOUND_CLASSES",
    "load_audio_csv",
    "load_audio_folder",
    "load_esc50",
    "load_fsdd",
    "load_urbansound8k",
    "make_audio_classification",
]
