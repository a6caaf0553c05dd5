"""Keras networks as scikit-learn classifiers (scikeras based)."""

from .._keras import enable_compilation_cache
from ._base import NetworkClassifier
from ._embedding import (
    EmbeddingDNNClassifier,
    EmbeddingLSTMClassifier,
    MultiLevelAttentionClassifier,
)
from ._vgg_like import VGGLikeClassifier

__all__ = ["EmbeddingDNNClassifier", "EmbeddingLSTMClassifier",
           "MultiLevelAttentionClassifier", "NetworkClassifier", "VGGLikeClassifier",
           "enable_compilation_cache"]
