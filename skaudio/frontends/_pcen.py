"""PCEN: per-channel energy normalisation, librosa's algorithm on batches."""

from numbers import Real

import numpy as np
import scipy.ndimage
import scipy.signal

from .._docs import fill_doc
from .._params import N_JOBS_CONSTRAINT, NON_NEGATIVE_REAL, POSITIVE_INT, POSITIVE_REAL, Interval
from ._base import FrontEnd, apply_frontend, run_kernel

_PCEN_PARAMS = {
    "sr": POSITIVE_REAL,
    "hop_length": POSITIVE_REAL,
    "gain": NON_NEGATIVE_REAL,
    "bias": NON_NEGATIVE_REAL,
    "power": NON_NEGATIVE_REAL,
    "time_constant": POSITIVE_REAL,
    "eps": POSITIVE_REAL,
    "b": [Interval(Real, 0, 1, closed="both"), None],
    "max_size": POSITIVE_INT,
    "input_scale": POSITIVE_REAL,
    "n_jobs": N_JOBS_CONSTRAINT,
}


def _pcen_kernel(sr, hop_length, gain, bias, power, time_constant, eps, b, max_size,
                 input_scale, dtype):
    """PCEN on a chunk ``(m, frames, bands[, channels])``: librosa's steps, in place."""
    if b is None:
        t_frames = time_constant * sr / float(hop_length)
        b = (np.sqrt(1 + 4 * t_frames**2) - 1) / (2 * t_frames**2)
    # librosa's initial filter state: the steady state for an input of 1.
    zi = dtype.type(scipy.signal.lfilter_zi([b], [1, b - 1])[0])
    f = dtype.type
    b, decay = f(b), -(f(b) - f(1))

    def kernel(S, out, lowest):
        X = S * f(input_scale)
        ref = X if max_size == 1 else scipy.ndimage.maximum_filter1d(X, max_size, axis=2)
        # Temporal integration, M[t] = b ref[t] + (1 - b) M[t-1], vectorised over
        # every sample, band and channel of the chunk.
        M = ref * b
        M[:, 0] += zi
        step = np.empty_like(M[:, 0])
        for t in range(1, M.shape[1]):
            np.multiply(M[:, t - 1], decay, out=step)
            M[:, t] += step
        # Adaptive gain control, as librosa: exp(-gain (log eps + log1p(M / eps)))
        M /= f(eps)
        np.log1p(M, out=M)
        np.add(f(np.log(eps)), M, out=M)
        M *= f(-gain)
        np.exp(M, out=M)
        # Dynamic range compression
        np.multiply(X, M, out=out)
        if power == 0:
            np.log1p(out, out=out)
        elif bias == 0:
            with np.errstate(divide="ignore"):
                np.log(X, out=X)
                np.log(M, out=M)
            np.add(X, M, out=out)
            out *= f(power)
            np.exp(out, out=out)
        else:
            out /= f(bias)
            np.log1p(out, out=out)
            out *= f(power)
            np.expm1(out, out=out)
            out *= f(bias**power)
        return np.isfinite(out).all()

    return kernel


def _pcen(S, *, sr, hop_length, gain, bias, power, time_constant, eps, b, max_size,
          input_scale, n_jobs):
    two_d = S.ndim == 2
    S3 = S[:, np.newaxis, :] if two_d else S
    kernel = _pcen_kernel(sr, hop_length, gain, bias, power, time_constant, eps, b,
                          max_size, input_scale, S.dtype)
    out, ok = run_kernel(kernel, S3, n_jobs)
    return (out[:, 0, :] if two_d else out), ok


@fill_doc
def pcen(S, *, sr=16000, hop_length=512, gain=0.98, bias=2.0, power=0.5,
         time_constant=0.400, eps=1e-6, b=None, max_size=1, input_scale=2**31,
         n_jobs=None):
    """Per-channel energy normalisation along time, per sample.

    :func:`librosa.pcen` with its defaults, applied along the frame axis (1) of
    every sample, band and channel, on ``S * input_scale``. librosa's defaults
    assume a spectrogram of audio scaled like int32 samples: with
    ``input_scale=2**31`` (the default) a [-1, 1] spectrogram gets that scale
    and PCEN's automatic gain control works; with ``input_scale=1`` the
    ``eps`` term dominates quiet input and the output is far from invariant to
    the input gain. Output is non-negative; a silent sample gives zeros.
    ``max_size > 1`` max-filters along the band axis.

    The same steps as librosa (the first-order smoothing filter with librosa's
    initial state, then its log-domain gain control), computed in the input's
    dtype on cache-sized chunks of samples in ``n_jobs`` threads: equal to
    ``librosa.pcen`` to float64 rounding for float64 input, and to about
    ``1e-6`` relative for float32 input (which librosa computes in float64).
    The function behind :class:`skaudio.frontends.PCEN`.

    Parameters
    ----------
    S : array-like of shape (n, n_frames, n_bands[, n_channels]) or (n, n_features)
        Non-negative time-frequency power (2-D input: one frame per row).
    sr : float, default=16000
        Sample rate of the audio in Hz.
    hop_length : float, default=512
        Samples between frames.
    gain : float, default=0.98
        Exponent of the automatic gain control: the (scaled) input ``X`` is
        divided by ``(eps + M)**gain``, ``M`` its smoothed version.
    bias : float, default=2.0
        Bias of the compression ``(X / (eps + M)**gain + bias)**power -
        bias**power``.
    power : float, default=0.5
        Exponent of that compression; 0 gives ``log1p(X / (eps + M)**gain)``.
    time_constant : float, default=0.4
        Time constant of the smoother in seconds.
    eps : float, default=1e-6
        Added to ``M`` before the gain control, for numerical stability.
    b : float in [0, 1] or None, default=None
        Coefficient of the smoother ``M[t] = (1 - b) M[t - 1] + b X[t]``;
        ``None``: from ``time_constant``, ``sr`` and ``hop_length``, as
        :func:`librosa.pcen` computes it.
    max_size : int, default=1
        Width, in bands, of a maximum filter along the band axis applied
        before the smoothing; 1 for none.
    input_scale : float, default=2**31
        Factor applied to the input first.
    {n_jobs}

    Returns
    -------
    P : ndarray of the same shape and float dtype as ``S``
        The normalised energy, non-negative (not in bels: PCEN replaces the log).

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A Deep
       Learning Front-End for Context-Agnostic Audio Classification", section V-C
       (the PCEN front-end, "deployed using the default librosa setup").
    .. [2] Y. Wang, P. Getreuer, T. Hughes, R. F. Lyon and R. A. Saurous, "Trainable
       frontend for robust and far-field keyword spotting," Proc. ICASSP, 2017
       (PCEN itself, and the defaults of ``gain``, ``bias``, ``power`` and ``eps``).
    .. [3] V. Lostanlen et al., "Per-channel energy normalization: Why and how,"
       IEEE Signal Processing Letters 26(1), 2019 (the smoother's coefficient
       ``b`` from ``time_constant``, as librosa computes it).
    .. [4] B. McFee et al., "librosa: Audio and music signal analysis in python,"
       Proc. 14th Python in Science Conference, 2015 (:func:`librosa.pcen`, whose
       steps, initial filter state and defaults are reproduced).

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).random((2, 50, 8))
    >>> pcen(S).shape
    (2, 50, 8)
    """
    return apply_frontend("pcen", S, _PCEN_PARAMS, _pcen,
                          dict(sr=sr, hop_length=hop_length, gain=gain, bias=bias,
                               power=power, time_constant=time_constant, eps=eps, b=b,
                               max_size=max_size, input_scale=input_scale,
                               n_jobs=n_jobs))


@fill_doc
class PCEN(FrontEnd):
    """Per-channel energy normalisation (librosa's algorithm and defaults).

    :func:`librosa.pcen`'s steps along time for every sample, band and
    channel independently, computed in batches without librosa (see
    :func:`skaudio.frontends.pcen`; equal to it to float64 rounding). ``sr``
    and ``hop_length`` set the smoother's time constant in frames and should
    match the spectrogram's.

    Parameters
    ----------
    sr : float, default=16000
        Sample rate of the audio in Hz.
    hop_length : float, default=512
        Samples between frames.
    gain : float, default=0.98
        Exponent of the automatic gain control: the (scaled) input ``X`` is
        divided by ``(eps + M)**gain``, ``M`` its smoothed version.
    bias : float, default=2.0
        Bias of the compression ``(X / (eps + M)**gain + bias)**power -
        bias**power``.
    power : float, default=0.5
        Exponent of that compression; 0 gives ``log1p(X / (eps + M)**gain)``.
    time_constant : float, default=0.4
        Time constant of the smoother in seconds.
    eps : float, default=1e-6
        Added to ``M`` before the gain control, for numerical stability.
    b : float in [0, 1] or None, default=None
        Coefficient of the smoother ``M[t] = (1 - b) M[t - 1] + b X[t]``;
        ``None``: from ``time_constant``, ``sr`` and ``hop_length``, as
        :func:`librosa.pcen` computes it.
    max_size : int, default=1
        Width, in bands, of a maximum filter along the band axis applied
        before the smoothing; 1 for none.
    input_scale : float, default=2**31
        Factor applied to the input first. librosa's defaults assume int32-scaled
        audio; ``2**31`` brings a spectrogram of [-1, 1] audio there, where PCEN
        is close to invariant to the input gain. ``1`` reproduces
        ``librosa.pcen(S)`` on the raw input.
    {n_jobs}

    See Also
    --------
    skaudio.frontends.pcen : the function this transformer applies.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A Deep
       Learning Front-End for Context-Agnostic Audio Classification", section V-C
       (the PCEN front-end, "deployed using the default librosa setup").
    .. [2] Y. Wang, P. Getreuer, T. Hughes, R. F. Lyon and R. A. Saurous, "Trainable
       frontend for robust and far-field keyword spotting," Proc. ICASSP, 2017
       (PCEN itself, and the defaults of ``gain``, ``bias``, ``power`` and ``eps``).
    .. [3] V. Lostanlen et al., "Per-channel energy normalization: Why and how,"
       IEEE Signal Processing Letters 26(1), 2019 (the smoother's coefficient
       ``b`` from ``time_constant``, as librosa computes it).
    .. [4] B. McFee et al., "librosa: Audio and music signal analysis in python,"
       Proc. 14th Python in Science Conference, 2015 (:func:`librosa.pcen`, whose
       steps, initial filter state and defaults are reproduced).

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).random((2, 50, 8))
    >>> bool((PCEN().fit_transform(S) >= 0).all())
    True
    """

    _parameter_constraints = _PCEN_PARAMS
    _compute = staticmethod(_pcen)

    def __init__(self, sr=16000, hop_length=512, gain=0.98, bias=2.0, power=0.5,
                 time_constant=0.400, eps=1e-6, b=None, max_size=1, input_scale=2**31,
                 n_jobs=None):
        self.sr = sr
        self.hop_length = hop_length
        self.gain = gain
        self.bias = bias
        self.power = power
        self.time_constant = time_constant
        self.eps = eps
        self.b = b
        self.max_size = max_size
        self.input_scale = input_scale
        self.n_jobs = n_jobs

    @classmethod
    def _get_test_params(cls):
        """Cheap configurations for the common tests (see :mod:`skaudio.discovery`)."""
        return [{}]
