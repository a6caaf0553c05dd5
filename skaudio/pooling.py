"""Pooling of time-frequency arrays into fixed-size feature vectors."""

import numba
import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._params import invalid_parameter
from ._stateless import StatelessTransformer
from ._validation import check_time_frequency

__all__ = [
    "TemporalStatistics",
    "temporal_statistics",
]


STATISTICS = ("mean", "std", "min", "max")


@numba.njit(nogil=True, cache=True)
def _moments(X, mean, std):
    """Each band's mean and standard deviation over the frames of each sample.

    ``X`` is ``(n, frames, bands)``; ``mean`` and ``std`` are float64 ``(n,
    bands)`` outputs. The sums run over the frames in order, in float64, a
    sample at a time while it is in the cache: the additions numpy makes for
    ``X.mean(axis=1, dtype=np.float64)`` and ``X.std(axis=1,
    dtype=np.float64)``, so the results are equal to theirs (the bands are
    summed side by side, which vectorises).
    """
    n, n_frames, width = X.shape
    total = np.empty(width)
    for i in range(n):
        total[:] = 0.0
        for t in range(n_frames):
            for b in range(width):
                total[b] += X[i, t, b]
        for b in range(width):
            mean[i, b] = total[b] / n_frames
        total[:] = 0.0
        for t in range(n_frames):
            for b in range(width):
                d = X[i, t, b] - mean[i, b]
                total[b] += d * d
        for b in range(width):
            std[i, b] = np.sqrt(total[b] / n_frames)


def _known_statistics(statistics):
    """Whether ``statistics`` is a non-empty sequence (not a string) of names in STATISTICS."""
    return not isinstance(statistics, str) and len(statistics) > 0 \
        and all(s in STATISTICS for s in statistics)


def temporal_statistics(X, statistics=("mean", "std")):
    """Statistics of every band (and channel) over the frame axis, concatenated.

    ``X`` of shape ``(n, frames, bands[, channels])`` gives ``(n, k * bands *
    channels)`` in ``X``'s dtype for ``k`` statistics, in the order given.
    Mean and standard deviation (population, ``ddof=0``) accumulate in float64
    (the squares of large float32 values overflow float32), as
    ``X.mean(axis=1, dtype=np.float64)`` and ``X.std(axis=1, dtype=np.float64)``
    do, and equal to them where there is more than one band (with one, numpy
    sums pairwise and may differ in the last bit).

    Parameters
    ----------
    X : ndarray of shape (n, n_frames, n_bands[, n_channels])
        Time-frequency arrays, time on axis 1.
    statistics : sequence of {"mean", "std", "min", "max"}, default=("mean", "std")
        The statistics, in the order of the output's blocks.

    Returns
    -------
    ndarray of shape (n, len(statistics) * n_bands * n_channels)
        For each statistic, a block of ``n_bands * n_channels`` features
        (bands and channels in C order), in ``X``'s dtype.

    See Also
    --------
    skaudio.pooling.TemporalStatistics : the same as a scikit-learn transformer.

    References
    ----------
    .. [1] V. Abrol and P. Sharma, "Learning hierarchy aware embedding from raw audio
       for acoustic scene classification," IEEE/ACM Transactions on Audio, Speech,
       and Language Processing, 2020, section III-B (statistics pooling: the mean
       and standard deviation over time, concatenated).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(12.0).reshape(1, 3, 4)
    >>> temporal_statistics(X, ("mean", "max"))
    array([[ 4.,  5.,  6.,  7.,  8.,  9., 10., 11.]])
    """
    if not _known_statistics(statistics):
        raise ValueError(f"statistics must be a non-empty sequence drawn from {STATISTICS}; "
                         f"got {statistics!r}.")
    X = np.asarray(X)
    if X.ndim not in (3, 4) or X.shape[1] == 0:
        raise ValueError(
            "temporal_statistics expects X of shape (n, frames, bands[, channels]) with at "
            f"least one frame; got shape {X.shape}. Summarise single frames with "
            "TemporalStatistics, which takes (n, bands).")
    flat = np.ascontiguousarray(X).reshape(X.shape[0], X.shape[1], -1)
    out = {}
    if "mean" in statistics or "std" in statistics:
        out["mean"] = np.empty((flat.shape[0], flat.shape[2]))
        out["std"] = np.empty_like(out["mean"])
        _moments(flat, out["mean"], out["std"])
    if "min" in statistics:
        out["min"] = flat.min(axis=1)
    if "max" in statistics:
        out["max"] = flat.max(axis=1)
    return np.concatenate([out[s] for s in statistics], axis=1).astype(X.dtype, copy=False)


class TemporalStatistics(StatelessTransformer):
    """Summarise every band over time: ``(n, frames, bands[, ch])`` to 2-D.

    Computes the chosen statistics of each band (and channel) along the frame
    axis and concatenates them, so that a front-end's output feeds any
    scikit-learn classifier (``LogisticRegression``, ``SVC``, ...). Stateless.

    Its output is a table: it names its features (:meth:`get_feature_names_out`,
    after the bands and channels seen in ``fit``), so ``ColumnTransformer``,
    ``FeatureUnion`` and ``set_output(transform="pandas")`` work.

    Parameters
    ----------
    statistics : tuple or list of {"mean", "std", "min", "max"}, \
default=("mean", "std")
        The statistics, in the order of the output's blocks of features; the
        standard deviation is the population one (``ddof=0``).

    See Also
    --------
    skaudio.pooling.temporal_statistics : the function this transformer applies.

    References
    ----------
    .. [1] V. Abrol and P. Sharma, "Learning hierarchy aware embedding from raw audio
       for acoustic scene classification," IEEE/ACM Transactions on Audio, Speech,
       and Language Processing, 2020, section III-B (statistics pooling: the mean
       and standard deviation over time, concatenated).

    Examples
    --------
    >>> import numpy as np
    >>> TemporalStatistics().fit_transform(np.ones((2, 10, 8))).shape
    (2, 16)
    >>> TemporalStatistics(("mean", "max")).fit(np.ones((2, 10, 2))).get_feature_names_out()
    array(['mean_band0', 'mean_band1', 'max_band0', 'max_band1'], dtype=object)
    """

    _parameter_constraints = {"statistics": [tuple, list]}

    def __init__(self, statistics=("mean", "std")):
        self.statistics = statistics

    @classmethod
    def _get_test_params(cls):
        """Cheap configurations for the common tests (see :mod:`skaudio.discovery`)."""
        return [{"statistics": ("mean", "std", "max")}]

    def _check_params(self):
        params = super()._check_params()
        stats = params["statistics"]
        if not _known_statistics(stats):
            raise invalid_parameter(
                type(self).__name__,
                f"statistics must be a non-empty tuple drawn from {sorted(STATISTICS)}; "
                f"got {stats!r}.")
        return params

    def _check_input(self, X):
        return check_time_frequency(X, name=type(self).__name__, non_negative=False)

    def get_feature_names_out(self, input_features=None):
        """Names of the output features: ``"{statistic}_{feature}"``.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Names of the features of one input frame, bands (and channels) in
            C order, as the step in front of it names them (``mel0``, ...);
            by default ``band0``, ``band1``, ... (``band0_ch0``, ... with channels).

        Returns
        -------
        ndarray of str objects
        """
        check_is_fitted(self)
        features = self._frame_feature_names(input_features)
        return np.asarray([f"{s}_{f}" for s in self.statistics for f in features],
                          dtype=object)

    def transform(self, X):
        """Return ``(n, len(statistics) * bands * channels)`` features.

        Parameters
        ----------
        X : array-like of shape (n, n_frames, n_bands[, n_channels]) or (n, n_bands)
            2-D input is one frame per row.

        Returns
        -------
        ndarray of shape (n, len(statistics) * n_bands * n_channels)
        """
        self._check_params()
        X = self._check_input(X)
        if X.ndim == 2:  # each row one frame
            X = X[:, np.newaxis, :]
        return temporal_statistics(X, tuple(self.statistics))
