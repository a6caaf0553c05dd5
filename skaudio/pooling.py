"""Pooling of time-frequency arrays into fixed-size feature vectors."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ._validation import check_time_frequency
from .base import VersionedStateMixin

# Accumulate in float64: the squares of large float32 values overflow float32.
STATISTICS = {
    "mean": lambda X: X.mean(axis=1, dtype=np.float64),
    "std": lambda X: X.std(axis=1, dtype=np.float64),
    "min": lambda X: X.min(axis=1),
    "max": lambda X: X.max(axis=1),
}


class TemporalStatistics(VersionedStateMixin, TransformerMixin, BaseEstimator):
    """Summarise every band over time: ``(n, frames, bands[, ch])`` to 2-D.

    Computes the chosen statistics of each band (and channel) along the frame
    axis and concatenates them, so that a front-end's output feeds any
    scikit-learn classifier (``LogisticRegression``, ``SVC``, ...). Stateless.

    Parameters
    ----------
    statistics : tuple of {"mean", "std", "min", "max"}, default=("mean", "std")

    Examples
    --------
    >>> import numpy as np
    >>> TemporalStatistics().fit_transform(np.ones((2, 10, 8))).shape
    (2, 16)
    """

    def __init__(self, statistics=("mean", "std")):
        self.statistics = statistics

    def fit(self, X, y=None):
        """Check parameters and input; nothing is learned."""
        X = self._validate(X)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """Return ``(n, len(statistics) * bands * channels)`` features."""
        X = self._validate(X)
        if X.ndim == 2:  # each row one frame
            X = X[:, np.newaxis, :]
        parts = [STATISTICS[s](X).reshape(X.shape[0], -1) for s in self.statistics]
        return np.concatenate(parts, axis=1).astype(X.dtype, copy=False)

    def _validate(self, X):
        name = type(self).__name__
        stats = self.statistics
        if isinstance(stats, str) or not stats or any(s not in STATISTICS for s in stats):
            raise ValueError(
                f"{name}: statistics must be a non-empty tuple drawn from "
                f"{sorted(STATISTICS)}; got {stats!r}."
            )
        return check_time_frequency(X, name=name, non_negative=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
