"""Waveform preprocessing: silence trimming and peak normalisation (Xu's thesis,
5.2.1), pre-emphasis and mean normalisation (Abrol and Sharma, IV-C)."""

from numbers import Integral, Real

import librosa
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from ._params import BOOL, POSITIVE_INT, check_params
from ._stateless import StatelessTransformer
from ._validation import check_waveforms
from .base import ArrayOutputMixin, VersionedStateMixin
from .io import PAD_MODES, fit_length

__all__ = [
    "PreEmphasis",
    "TrimSilence",
    "pre_emphasis",
    "trim_silence",
]



def trim_silence(y, *, top_db=60.0, normalize=True, length=None, pad_mode="repeat",
                 frame_length=2048, hop_length=512):
    """Trim a clip's leading and trailing silence, peak-normalise it, fit its length.

    Frames more than ``top_db`` below the clip's loudest frame (RMS energy,
    ``librosa.effects.trim``) are cut at the start and the end; silences
    inside the clip stay, as they carry the sound's dynamics (Xu, 5.2.1).
    With ``normalize`` the clip is scaled so that its peak is 1 (librosa's
    ``normalize``, the thesis's "[-1, 1]"). The result is trimmed or padded to
    ``length`` samples (default: the input's), repeating the clip with
    ``pad_mode="repeat"`` (5.2.3) or appending zeros with ``"constant"``.
    A silent clip stays silent.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        One floating waveform.
    top_db : float, default=60.0
        Threshold below the clip's loudest frame, in dB, of what is silence.
    normalize : bool, default=True
        Scale the clip to a peak amplitude of 1.
    length : int or None, default=None
        Output length in samples; ``None`` keeps ``n_samples``.
    pad_mode : {"repeat", "constant"}, default="repeat"
        How a trimmed clip gets back to ``length``: repeated, or followed by
        zeros (see :func:`skaudio.io.fit_length`).
    frame_length, hop_length : int, default=2048, 512
        Frames of the RMS energy that decides what is silent, in samples.

    Returns
    -------
    ndarray of shape (length,), the dtype of ``y``
        The trimmed clip, peak-normalised with ``normalize``, fitted to
        ``length``; all zeros for a silent clip.

    See Also
    --------
    skaudio.preprocessing.TrimSilence : the same on a batch, as a transformer.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo, 2018,
       section 5.2.1 (leading and trailing silence trimmed with librosa,
       amplitudes normalised to [-1, 1]) and section 5.2.3 (repeating to length).
    .. [2] B. McFee et al., "librosa: Audio and music signal analysis in python,"
       Proc. 14th Python in Science Conference, 2015 (``librosa.effects.trim``,
       which finds the silent frames).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.concatenate([np.zeros(4096), 0.5 * np.ones(2048), np.zeros(4096)])
    >>> out = trim_silence(y, length=4096, frame_length=512, hop_length=128)
    >>> float(out.max()), out.shape
    (1.0, (4096,))
    """
    length = y.shape[0] if length is None else length
    peak = np.max(np.abs(y)) if y.size else 0.0
    if peak == 0:
        return np.zeros(length, dtype=y.dtype)
    # Trimming is relative to the loudest frame, so it is the same on y / peak,
    # which cannot overflow the energy computation.
    scaled = (y / peak).astype(y.dtype, copy=False)
    _, (start, end) = librosa.effects.trim(scaled, top_db=top_db,
                                           frame_length=frame_length,
                                           hop_length=hop_length)
    out = scaled[start:end] if normalize else y[start:end]
    return fit_length(out, length, pad_mode)


class TrimSilence(VersionedStateMixin, ArrayOutputMixin, TransformerMixin, BaseEstimator):
    """Silence trimming and peak normalisation of waveforms (Xu, 5.2.1), per clip.

    Waveforms ``(n_clips, n_samples)`` -> waveforms ``(n_clips, length)``:
    each clip's leading and trailing silence (frames ``top_db`` below its
    loudest) is cut, the clip is scaled to a peak of 1, and repeated (or
    zero-padded) back to a common length, ready for a fixed-length front-end
    such as :class:`skaudio.embedding.VGGishEmbedder` or
    :class:`skaudio.features.MelSpectrogram`. See
    :func:`skaudio.preprocessing.trim_silence`.
    Stateless: ``fit`` learns nothing, so it cannot leak test data.

    Parameters
    ----------
    top_db : float, default=60.0
        Threshold below the clip's loudest frame, in dB, of what is silence.
    normalize : bool, default=True
        Scale every clip to a peak amplitude of 1.
    length : int or None, default=None
        Output length in samples; None keeps the input's.
    pad_mode : {"repeat", "constant"}, default="repeat"
        How a trimmed clip gets back to ``length``: repeated (Xu, 5.2.3) or
        followed by zeros.
    frame_length : int, default=2048
        Frame length, in samples, of the RMS energy that decides what is silent.
    hop_length : int, default=512
        Samples between those frames.

    See Also
    --------
    skaudio.preprocessing.trim_silence : the function applied to every clip.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo, 2018,
       section 5.2.1 (leading and trailing silence trimmed with librosa,
       amplitudes normalised to [-1, 1]) and section 5.2.3 (repeating to length).
    .. [2] B. McFee et al., "librosa: Audio and music signal analysis in python,"
       Proc. 14th Python in Science Conference, 2015 (``librosa.effects.trim``,
       which finds the silent frames).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(8000) / 8000
    >>> tone = 0.01 * np.sin(2 * np.pi * 440 * t)
    >>> X = np.stack([np.concatenate([np.zeros(8000), tone]),      # silence first
    ...               np.concatenate([tone, np.zeros(8000)])])     # silence last
    >>> out = TrimSilence(length=8000).fit_transform(X)
    >>> out.shape, np.abs(out).max(axis=1).tolist()                # peaks now 1
    ((2, 8000), [1.0, 1.0])
    """

    _parameter_constraints = {
        "top_db": [Interval(Real, 0, np.inf, closed="neither")],
        "normalize": BOOL,
        "length": [Interval(Integral, 1, None, closed="left"), None],
        "pad_mode": [StrOptions(set(PAD_MODES))],
        "frame_length": POSITIVE_INT,
        "hop_length": POSITIVE_INT,
    }

    def __init__(self, top_db=60.0, normalize=True, length=None, pad_mode="repeat",
                 frame_length=2048, hop_length=512):
        self.top_db = top_db
        self.normalize = normalize
        self.length = length
        self.pad_mode = pad_mode
        self.frame_length = frame_length
        self.hop_length = hop_length

    @classmethod
    def _get_test_params(cls):
        """Cheap configurations for the common tests (see :mod:`skaudio.discovery`)."""
        return [{"frame_length": 8, "hop_length": 2}]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and input; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples)
        y : ignored

        Returns
        -------
        self
        """
        X = check_waveforms(X, name=type(self).__name__)
        self.n_features_in_ = X.shape[1]
        return self

    def _feature_names_out(self, input_features):
        return [f"sample{i}" for i in range(self.length or self.n_features_in_)]

    def transform(self, X):
        """Trim, normalise and fit every clip to the output length.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples)

        Returns
        -------
        ndarray of shape (n_clips, length), float
        """
        # Stateless: the parameters are checked on every call (memoised).
        check_params(self._parameter_constraints,
                     {name: getattr(self, name) for name in self._parameter_constraints},
                     type(self).__name__)
        X = check_waveforms(X, name=type(self).__name__)
        length = self.length or X.shape[1]
        out = np.empty((X.shape[0], length), dtype=X.dtype)
        for i, clip in enumerate(X):
            out[i] = trim_silence(clip, top_db=self.top_db, normalize=self.normalize,
                                  length=length, pad_mode=self.pad_mode,
                                  frame_length=self.frame_length,
                                  hop_length=self.hop_length)
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def pre_emphasis(y, coef=0.97, *, center=True):
    """Pre-emphasise waveforms, then subtract each one's mean.

    ``out[t] = y[t] - coef * y[t - 1]`` along the last axis, the first sample
    kept as it is (``out[0] = y[0]``, the filter starting from rest); with
    ``center`` each waveform's mean (of the pre-emphasised samples) is then
    subtracted. Nothing is divided: the paper names mean normalisation only.

    Parameters
    ----------
    y : ndarray of shape (..., n_samples)
        Floating waveforms.
    coef : float, default=0.97
        The pre-emphasis coefficient; 0 leaves the waveform as it is.
    center : bool, default=True
        Subtract each waveform's mean afterwards.

    Returns
    -------
    ndarray of the shape and dtype of ``y``
        A new array; ``y`` is not modified.

    See Also
    --------
    skaudio.preprocessing.PreEmphasis : the same as a scikit-learn transformer.

    References
    ----------
    .. [1] V. Abrol and P. Sharma, "Learning hierarchy aware embedding from raw audio
       for acoustic scene classification," IEEE/ACM Transactions on Audio, Speech,
       and Language Processing, 2020, section IV-C ("A pre-emphasis step followed
       by mean normalization prior to feeding the raw input to network").

    Examples
    --------
    >>> import numpy as np
    >>> pre_emphasis(np.array([1.0, 2.0, 3.0]), coef=0.5, center=False)
    array([1. , 1.5, 2. ])
    >>> pre_emphasis(np.array([1.0, 2.0, 3.0]), coef=0.5)     # minus the mean 1.5
    array([-0.5,  0. ,  0.5])
    """
    out = y.copy()
    out[..., 1:] -= np.asarray(coef, dtype=y.dtype) * y[..., :-1]
    if center:
        out -= out.mean(axis=-1, keepdims=True)
    return out


class PreEmphasis(ArrayOutputMixin, StatelessTransformer):
    """Pre-emphasis then per-clip mean normalisation of raw waveforms (Abrol and Sharma).

    Waveforms ``(n_clips, n_samples)`` -> waveforms of the same shape: each
    clip is filtered by ``y[t] = x[t] - coef * x[t - 1]`` (first sample kept),
    which lifts the high frequencies, and its mean is subtracted. This is the
    input conditioning of Abrol and Sharma's raw-waveform network: "A
    pre-emphasis step followed by mean normalization prior to feeding the raw
    input to network was observed to be helpful for the overall training
    convergence" (section IV-C). The paper gives no coefficient (0.97 is the
    usual one, librosa's default) and normalises the mean only, so the clips
    are not divided by their standard deviation; each clip's own mean is
    subtracted (a statistic of that clip alone), so the transformer is
    stateless and cannot leak test data. See :func:`pre_emphasis`.

    Parameters
    ----------
    coef : float, default=0.97
        Pre-emphasis coefficient, in [0, 1]; 0 only removes the mean.
    center : bool, default=True
        Subtract each clip's mean (after the pre-emphasis).

    See Also
    --------
    skaudio.networks.build_raw_waveform_network : the network this feeds.

    References
    ----------
    .. [1] Abrol and Sharma, "Learning hierarchy aware embedding from raw
       audio for acoustic scene classification", IEEE/ACM TASLP 28, 2020,
       section IV-C.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0, 2.0]])
    >>> PreEmphasis(coef=0.5).fit_transform(X)
    array([[-0.75, -0.25,  0.25,  0.75],
           [ 0.75, -0.25, -0.25, -0.25]])
    """

    _parameter_constraints = {
        "coef": [Interval(Real, 0, 1, closed="both")],
        "center": BOOL,
    }
    _three_d_input = False

    def __init__(self, coef=0.97, center=True):
        self.coef = coef
        self.center = center

    @classmethod
    def _get_test_params(cls):
        """Cheap configurations for the common tests (see :mod:`skaudio.discovery`)."""
        return [{}, {"coef": 0.5, "center": False}]

    def _check_input(self, X):
        return check_waveforms(X, name=type(self).__name__)

    def fit(self, X, y=None):
        """Check the parameters and the waveforms; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples)
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        return super().fit(X, y)

    def transform(self, X):
        """Pre-emphasise every clip and subtract its mean.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples)

        Returns
        -------
        ndarray of shape (n_clips, n_samples)
            float32 or float64 as the input (integer PCM becomes float32).
        """
        self._check_params()
        X = self._check_input(X)
        return pre_emphasis(X, self.coef, center=self.center)

    def _feature_names_out(self, input_features):
        # Sample t of the output comes from samples t and t - 1 of the input.
        if input_features is None:
            return [f"sample{i}" for i in range(self.n_features_in_)]
        names = [str(name) for name in input_features]
        if len(names) != self.n_features_in_:
            raise ValueError(
                f"{type(self).__name__}: input_features should have {self.n_features_in_} "
                f"names, one per sample seen in fit; got {len(names)}."
            )
        return names
