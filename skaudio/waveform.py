"""Raw-waveform front-ends: the waveform itself, reduced for a 1-D network.

CAB-CNN (Lu et al., section 4) feeds its network neither a spectrogram nor
every sample: each clip is z-normalised, then each second is cut into
``points_per_second`` sub-intervals (4,000 in the paper) and each keeps its
maximum. Clips keep their own lengths (:mod:`skaudio.ragged`).
"""

from numbers import Integral, Real

import numpy as np

from ._params import Interval
from ._stateless import StatelessTransformer
from .base import ArrayOutputMixin
from .ragged import check_clips, pad_clips, unpad

__all__ = ["WaveformMaxPool", "max_pool_waveform"]

_CONSTRAINTS = {
    "sr": [Interval(Integral, 1, None, closed="left")],
    "points_per_second": [Interval(Integral, 1, None, closed="left")],
    "max_seconds": [Interval(Real, 0, None, closed="neither"), None],
}


def _check_rates(sr, points_per_second, name):
    if points_per_second > sr:
        raise ValueError(
            f"{name}: points_per_second={points_per_second} exceeds sr={sr}: each point "
            "is the maximum of a sub-interval of at least one sample. Lower "
            "points_per_second or resample to a higher rate."
        )


def max_pool_waveform(y, sr, *, points_per_second=4000, max_seconds=None):
    """Z-normalise a clip, then keep the maximum of every sub-interval of each second.

    Second ``k`` (samples ``k*sr`` to ``(k+1)*sr``) is cut into
    ``points_per_second`` sub-intervals, point ``j`` of the clip covering
    samples ``floor(j*sr/pps)`` to ``floor((j+1)*sr/pps)``; a last, partial
    second keeps the points its samples reach, so a clip of ``n`` samples gives
    ``ceil(n * pps / sr)`` points. The mean and standard deviation come from the
    samples kept (the first ``max_seconds``); a constant clip becomes zeros.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        One finite clip, at least one sample.
    sr : int
        Its sample rate in Hz.
    points_per_second : int, default=4000
        Sub-intervals per second (the paper's 4,000); at most ``sr``.
    max_seconds : float or None, default=None
        Keep at most the first ``max_seconds`` of the clip (the paper's T =
        5, 10, 30 or 60 s); None keeps all of it.

    Returns
    -------
    ndarray of shape (ceil(n_kept * points_per_second / sr),)
        In ``y``'s floating dtype.

    References
    ----------
    .. [1] H. Lu, H. Zhang and A. Nayak, "A deep neural network for audio
       classification with a classifier attention mechanism" (preprint), section 4
       (preprocessing of the audio file).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0.0, 4.0, 1.0, 3.0, 2.0])
    >>> max_pool_waveform(y, sr=4, points_per_second=2)
    array([1.41421356, 0.70710678, 0.        ])
    """
    _check_rates(sr, points_per_second, "max_pool_waveform")
    if max_seconds is not None:
        y = y[:max(int(round(max_seconds * sr)), 1)]
    std = y.std()
    y = (y - y.mean()) / (std if std > 0 else 1)
    n_points = -(-y.shape[0] * points_per_second // sr)
    starts = np.arange(n_points) * sr // points_per_second
    return np.maximum.reduceat(y, starts)


class WaveformMaxPool(ArrayOutputMixin, StatelessTransformer):
    """CAB-CNN's front-end: z-normalise each clip, max-pool every second.

    A stateless transformer over clips of any lengths: each clip becomes
    :func:`max_pool_waveform` of itself, at its own length, and the clips are
    returned NaN-padded to the longest (:mod:`skaudio.ragged`), the input of
    :class:`~skaudio.estimators.CABCNNClassifier`.

    Parameters
    ----------
    sr : int, default=16000
        Sample rate of the clips in Hz.
    points_per_second : int, default=4000
        Sub-intervals (output values) per second of audio; at most ``sr``.
    max_seconds : float or None, default=None
        Keep at most the first ``max_seconds`` of every clip (the paper's T);
        None keeps whole clips.

    See Also
    --------
    skaudio.AudioLoader : ``pad_mode="nan"`` decodes files at their own lengths.
    skaudio.estimators.CABCNNClassifier : the network this front-end feeds.

    References
    ----------
    .. [1] H. Lu, H. Zhang and A. Nayak, "A deep neural network for audio
       classification with a classifier attention mechanism" (preprint), section 4.

    Examples
    --------
    >>> import numpy as np
    >>> clips = [np.sin(np.arange(8000) / 5.0), np.sin(np.arange(2000) / 5.0)]
    >>> Z = WaveformMaxPool(sr=8000, points_per_second=1000).fit_transform(clips)
    >>> Z.shape, np.isnan(Z[1]).sum()
    ((2, 1000), np.int64(750))
    """

    _parameter_constraints = _CONSTRAINTS
    _three_d_input = False

    def __init__(self, sr=16000, points_per_second=4000, max_seconds=None):
        self.sr = sr
        self.points_per_second = points_per_second
        self.max_seconds = max_seconds

    @classmethod
    def _get_test_params(cls):
        return [dict(sr=8, points_per_second=2), dict(sr=4, points_per_second=3,
                                                      max_seconds=1.5)]

    def _check_params(self):
        params = super()._check_params()
        _check_rates(self.sr, self.points_per_second, type(self).__name__)
        return params

    def _check_input(self, X):
        return check_clips(X, name=type(self).__name__)[0]

    def fit(self, X, y=None):
        """Check the parameters and the clips; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples), or list of 1-D arrays
            Clips; NaN after a clip's end marks a shorter one.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        return super().fit(X, y)

    def transform(self, X):
        """Max-pool every clip at its own length.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples), or list of 1-D arrays
            Clips; NaN after a clip's end marks a shorter one.

        Returns
        -------
        ndarray of shape (n_clips, n_points)
            The pooled clips, NaN after each one's end; float32 or float64 as
            the input.
        """
        self._check_params()
        X = self._check_input(X)
        return pad_clips([self._pool(clip) for clip in unpad(X)], name=type(self).__name__)

    def _pool(self, clip):
        return max_pool_waveform(clip, self.sr, points_per_second=self.points_per_second,
                                 max_seconds=self.max_seconds)

    def _feature_names_out(self, input_features):
        # The output of a batch as long as the longest clip seen in fit.
        n_points = self._pool(np.zeros(self.n_features_in_)).size
        return [f"point{i}" for i in range(n_points)]
