"""Pooling of time-frequency arrays into fixed-size feature vectors."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ._validation import check_time_frequency
from .base import VersionedStateMixin

STATISTICS = ("mean", "std", "min", "max")

# Samples summarised at a time: about 1 MiB of float64, so that the passes of
# the mean and the standard deviation read from the processor's cache.
_CHUNK_ELEMENTS = 2**17


def temporal_statistics(X, statistics=("mean", "std")):
    """Statistics of every band (and channel) over the frame axis, concatenated.

    ``X`` of shape ``(n, frames, bands[, channels])`` gives ``(n, k * bands *
    channels)`` in ``X``'s dtype for ``k`` statistics, in the order given.
    Mean and standard deviation (population, ``ddof=0``) accumulate in float64
    (the squares of large float32 values overflow float32), as
    ``X.mean(axis=1, dtype=np.float64)`` and ``X.std(axis=1, dtype=np.float64)``
    and equal to them; they are computed on cache-sized chunks of samples.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(12.0).reshape(1, 3, 4)
    >>> temporal_statistics(X, ("mean", "max"))
    array([[ 4.,  5.,  6.,  7.,  8.,  9., 10., 11.]])
    """
    n, n_frames = X.shape[0], X.shape[1]
    width = int(np.prod(X.shape[2:]))
    out = {s: np.empty((n, width), dtype=np.float64 if s in ("mean", "std") else X.dtype)
           for s in statistics}
    per = max(1, _CHUNK_ELEMENTS // max(1, n_frames * width))
    for start in range(0, n, per):
        rows = slice(start, start + per)
        chunk = X[rows].reshape(-1, n_frames, width)
        if "mean" in out or "std" in out:
            C = chunk.astype(np.float64)  # a copy: the input is left alone
            mean = C.sum(axis=1)
            mean /= n_frames
            if "mean" in out:
                out["mean"][rows] = mean
            if "std" in out:
                C -= mean[:, np.newaxis]
                np.square(C, out=C)
                var = C.sum(axis=1)
                var /= n_frames
                np.sqrt(var, out=out["std"][rows])
        if "min" in out:
            np.min(chunk, axis=1, out=out["min"][rows])
        if "max" in out:
            np.max(chunk, axis=1, out=out["max"][rows])
    return np.concatenate([out[s] for s in statistics], axis=1).astype(X.dtype, copy=False)


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
        return temporal_statistics(X, tuple(self.statistics))

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
