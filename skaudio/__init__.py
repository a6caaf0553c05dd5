"""skaudio: scikit-learn compatible audio classification.

Every front-end is a scikit-learn transformer and every network a scikeras
estimator, so a whole audio classifier is a :class:`sklearn.pipeline.Pipeline`:

>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.linear_model import LogisticRegression
>>> from skaudio import MelSpectrogram, PersaPlus, TemporalStatistics
>>> pipe = make_pipeline(MelSpectrogram(n_mels=64), PersaPlus(q=9, random_state=0),
...                      TemporalStatistics(), LogisticRegression())

skaudio runs Keras on the JAX backend unless ``KERAS_BACKEND`` is set before
Keras is first imported (see the README's "Keras backend").
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

from . import evaluation, expansion, metrics  # noqa: E402
from ._version import __version__  # noqa: E402
from .balance import pitch_shift_balance  # noqa: E402
from .caching import CachedTransformer  # noqa: E402
from .ensemble import GeometricMeanEnsemble, GeometricMeanVotingClassifier  # noqa: E402
from .features import Deltas, MelSpectrogram, MinMaxScale, melspectrogram  # noqa: E402
from .frontends import (  # noqa: E402
    PCEN,
    LogCompression,
    LogThreshold,
    PerSampleNorm,
    PersaPlus,
)
from .hierarchy import TwoStageClassifier  # noqa: E402
from .io import AudioLoader, load_audio  # noqa: E402
from .pooling import TemporalStatistics  # noqa: E402
from .preprocessing import PreEmphasis, TrimSilence  # noqa: E402
from .waveform import WaveformMaxPool  # noqa: E402

# The modules of the API reference; their ``__all__`` are the public names.
PUBLIC_MODULES = tuple("skaudio" + suffix for suffix in (
    "", ".augment", ".balance", ".base", ".caching", ".datasets", ".demo", ".diagnostics",
    ".discovery", ".embedding", ".ensemble", ".estimators", ".evaluation", ".expansion",
    ".export", ".features", ".frontends", ".hierarchy", ".io", ".metrics", ".networks",
    ".persistence", ".pooling", ".preprocessing", ".ragged", ".report", ".robustness",
    ".systems", ".waveform", ".windows"))

# Keras-backed parts load on first use, so that the front-ends import fast.
_LAZY = {
    "CABCNNClassifier": "skaudio.estimators",
    "VGGLikeClassifier": "skaudio.estimators",
    "RawWaveformClassifier": "skaudio.estimators",
    "RawWaveformEmbedding": "skaudio.estimators",
    "EmbeddingDNNClassifier": "skaudio.estimators",
    "EmbeddingLSTMClassifier": "skaudio.estimators",
    "MultiLevelAttentionClassifier": "skaudio.estimators",
    "FCNNClassifier": "skaudio.estimators",
    "FsFCNNClassifier": "skaudio.estimators",
    "ResNetClassifier": "skaudio.estimators",
    "MobileNetV2Classifier": "skaudio.estimators",
    "VGGishEmbedder": "skaudio.embedding",
    "make_frontend_pipeline": "skaudio.systems",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'skaudio' has no attribute {name!r}")


__all__ = [
    "__version__",
    "AudioLoader",
    "CABCNNClassifier",
    "CachedTransformer",
    "Deltas",
    "EmbeddingDNNClassifier",
    "EmbeddingLSTMClassifier",
    "FCNNClassifier",
    "FsFCNNClassifier",
    "GeometricMeanEnsemble",
    "GeometricMeanVotingClassifier",
    "MobileNetV2Classifier",
    "RawWaveformClassifier",
    "RawWaveformEmbedding",
    "ResNetClassifier",
    "MultiLevelAttentionClassifier",
    "TrimSilence",
    "TwoStageClassifier",
    "evaluation",
    "expansion",
    "metrics",
    "pitch_shift_balance",
    "LogCompression",
    "LogThreshold",
    "MelSpectrogram",
    "MinMaxScale",
    "PCEN",
    "PerSampleNorm",
    "PersaPlus",
    "PreEmphasis",
    "TemporalStatistics",
    "VGGLikeClassifier",
    "VGGishEmbedder",
    "WaveformMaxPool",
    "load_audio",
    "make_frontend_pipeline",
    "melspectrogram",
]
