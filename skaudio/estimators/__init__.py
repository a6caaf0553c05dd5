"""Keras networks as scikit-learn classifiers (scikeras based)."""

from ._base import NetworkClassifier, enable_compilation_cache
from ._vgg_like import VGGLikeClassifier

__all__ = ["NetworkClassifier", "VGGLikeClassifier", "enable_compilation_cache"]
