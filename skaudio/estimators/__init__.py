"""Keras networks as scikit-learn classifiers (scikeras based)."""

from ._base import NetworkClassifier
from ._vgg_like import VGGLikeClassifier

__all__ = ["NetworkClassifier", "VGGLikeClassifier"]
