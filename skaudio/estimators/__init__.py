"""Keras networks as scikit-learn classifiers (scikeras based)."""

from .._keras import enable_compilation_cache
from ._base import NetworkClassifier
from ._cab_cnn import CABCNNClassifier
from ._dcase import (
    FCNNClassifier,
    FsFCNNClassifier,
    MobileNetV2Classifier,
    ResNetClassifier,
)
from ._embedding import (
    EmbeddingDNNClassifier,
    EmbeddingLSTMClassifier,
    MultiLevelAttentionClassifier,
)
from ._raw_waveform import RawWaveformClassifier, RawWaveformEmbedding
from ._vgg_like import VGGLikeClassifier

__all__ = ["CABCNNClassifier", "EmbeddingDNNClassifier", "EmbeddingLSTMClassifier",
           "FCNNClassifier", "FsFCNNClassifier", "MobileNetV2Classifier",
           "MultiLevelAttentionClassifier", "NetworkClassifier", "RawWaveformClassifier",
           "RawWaveformEmbedding", "ResNetClassifier",
           "VGGLikeClassifier", "enable_compilation_cache"]
