"""Time-frequency features: batched mel spectrograms, delta channels, [0, 1] scaling.

Arrays are time first, frequency second, channels last:
``(n_clips, n_frames, n_bands[, n_channels])`` (Keras ``channels_last``).
"""

import functools
from numbers import Integral, Real

import librosa
import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

from ._chunks import map_chunks
from ._docs import fill_doc
from ._params import (
    BOOL,
    N_JOBS_CONSTRAINT,
    NON_NEGATIVE_REAL,
    POSITIVE_INT,
    POSITIVE_REAL,
    Interval,
    StrOptions,
    check_params,
    invalid_parameter,
)
from ._stateless import StatelessTransformer
from ._validation import check_time_frequency, check_waveforms
from .base import ArrayOutputMixin

__all__ = [
    "Deltas",
    "MelSpectrogram",
    "MinMaxScale",
    "melspectrogram",
]


# Mel bands per block of the filter-bank product (see ``_mel_blocks``).
_BANDS_PER_BLOCK = 4

# numpy.pad's modes that fill the centring padding with values.
_PAD_MODES = {"constant", "edge", "linear_ramp", "maximum", "mean", "median", "minimum",
              "reflect", "symmetric", "wrap"}

_MEL_PARAMS = {
    "sr": POSITIVE_REAL,
    "n_fft": POSITIVE_INT,
    "hop_length": POSITIVE_INT,
    "win_length": [*POSITIVE_INT, None],
    "window": [str, "array-like", callable],
    "center": BOOL,
    "pad_mode": [StrOptions(_PAD_MODES)],
    "power": POSITIVE_REAL,
    "n_mels": POSITIVE_INT,
    "fmin": NON_NEGATIVE_REAL,
    "fmax": [*POSITIVE_REAL, None],
    "htk": BOOL,
    "norm": [StrOptions({"slaney"}), Real, None],
    "n_jobs": N_JOBS_CONSTRAINT,
}


def _check_mel_params(params, caller):
    """The constraints, then the rules between parameters they cannot express."""
    check_params(_MEL_PARAMS, params, caller)
    n_fft, win_length = params["n_fft"], params["win_length"]
    if win_length is not None and win_length > n_fft:
        raise invalid_parameter(caller, f"win_length={win_length} must be <= n_fft={n_fft}.")
    sr, fmin, fmax = params["sr"], params["fmin"], params["fmax"]
    fmax = sr / 2 if fmax is None else fmax
    if not fmin < fmax <= sr / 2:
        raise invalid_parameter(
            caller, f"need 0 <= fmin < fmax <= sr / 2; got fmin={fmin}, fmax={fmax}, sr={sr}.")


def _mel_blocks(mel_basis, interleave):
    """Split the filter bank into blocks of bands over their frequency support.

    A mel filter is non-zero over a few neighbouring FFT bins only, so the dense
    product ``power @ mel_basis.T`` mostly multiplies zeros. Each block of
    ``_BANDS_PER_BLOCK`` bands is multiplied with the bins where one of its
    filters is non-zero: the same sums without the zero terms, in about a tenth
    of the operations for the usual settings. With ``interleave=2`` the rows are
    repeated so that the block applies to the interleaved (real, imaginary)
    squares of a complex spectrum: ``re**2 @ w + im**2 @ w``.

    Returns a list of ``(band_start, band_stop, bin_start, bin_stop, weights)``
    with ``weights`` C-contiguous of shape ``(bin_stop - bin_start, bands)``.
    """
    blocks = []
    for b0 in range(0, mel_basis.shape[0], _BANDS_PER_BLOCK):
        sub = mel_basis[b0:b0 + _BANDS_PER_BLOCK]
        support = np.flatnonzero(np.any(sub != 0, axis=0))
        lo, hi = (support[0], support[-1] + 1) if support.size else (0, 0)
        weights = sub[:, lo:hi].T
        if interleave == 2:
            weights = np.repeat(weights, 2, axis=0)
        blocks.append((b0, b0 + sub.shape[0], lo * interleave, hi * interleave,
                       np.ascontiguousarray(weights)))
    return blocks


@functools.lru_cache(maxsize=32)
def _mel_filter_blocks(sr, n_fft, n_mels, fmin, fmax, htk, norm, dtype, interleave):
    """``_mel_blocks`` of librosa's filter bank, built once per setting.

    Building the bank costs about half a millisecond: as much as the mel
    spectrogram of a one-second clip. The cached weights are read-only.
    """
    mel_basis = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin,
                                    fmax=fmax, htk=htk, norm=norm, dtype=dtype)
    blocks = _mel_blocks(mel_basis, interleave)
    for *_, weights in blocks:
        weights.flags.writeable = False
    return tuple(blocks)


@fill_doc
def melspectrogram(y, *, sr=16000, n_fft=2048, hop_length=512, win_length=None,
                   window="hann", center=True, pad_mode="constant", power=2.0,
                   n_mels=128, fmin=0.0, fmax=None, htk=False, norm="slaney",
                   n_jobs=None):
    """Mel spectrogram of a batch of waveforms, time first.

    Numerically ``librosa.feature.melspectrogram(y=y[i], ...).T`` for every
    clip ``i`` (to float rounding: about ``1e-7`` of the largest value in
    float32), computed without needless copies: the clips are cut into chunks
    of a few clips that threads process in parallel, each chunk framed
    (strided view, windowed once), transformed (real FFT), squared in place and
    multiplied with the non-zero blocks of the mel filter bank, straight into
    the output array. Float32 input stays float32 throughout.

    Parameters
    ----------
    y : ndarray of shape (n_clips, n_samples)
        Waveforms; float32 input gives float32 output.
    sr : float, default=16000
        Sample rate of ``y`` in Hz (librosa's default is 22050; the others
        are librosa's).
    n_fft : int, default=2048
        FFT length in samples.
    hop_length : int, default=512
        Samples between frames.
    win_length : int or None, default=None
        Window length, at most ``n_fft``; ``None`` means ``n_fft``.
    window : str, tuple, array-like or callable, default="hann"
        Any window :func:`librosa.filters.get_window` accepts.
    center : bool, default=True
        Pad ``n_fft // 2`` samples on both sides so that frames are centred.
    pad_mode : {"constant", "edge", "linear_ramp", "maximum", "mean", "median", \
"minimum", "reflect", "symmetric", "wrap"}, default="constant"
        :func:`numpy.pad` mode of the centring padding.
    power : float, default=2.0
        Exponent of the magnitude: 2 gives power, 1 magnitude.
    n_mels : int, default=128
        Number of mel bands.
    fmin : float, default=0.0
        Lowest band edge in Hz.
    fmax : float or None, default=None
        Highest band edge in Hz, at most ``sr / 2``; ``None`` means ``sr / 2``.
    htk : bool, default=False
        HTK mel formula instead of Slaney's.
    norm : {"slaney", None} or float, default="slaney"
        Filter-bank normalisation, as in :func:`librosa.filters.mel`.
    {n_jobs}

    Returns
    -------
    S : ndarray of shape (n_clips, n_frames, n_mels)
        ``|STFT|**power`` in mel bands: a power spectrogram for ``power=2``.

    Raises
    ------
    InvalidParameterError
        A ``ValueError`` and ``TypeError``: a parameter is invalid.
    ValueError
        If the clips are shorter than ``n_fft`` without centring, or the power
        overflows the dtype.

    See Also
    --------
    skaudio.features.MelSpectrogram : the transformer that applies this function.

    References
    ----------
    .. [1] B. McFee et al., "librosa: Audio and music signal analysis in python,"
       Proc. 14th Python in Science Conference, 2015 (the STFT, filter bank and
       defaults of :func:`librosa.feature.melspectrogram`, reproduced here).
    .. [2] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A Deep
       Learning Front-End for Context-Agnostic Audio Classification", section V-A
       (mel spectrograms computed with librosa, before the front-ends).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal((3, 16000)).astype(np.float32)
    >>> melspectrogram(y, sr=16000, n_fft=512, hop_length=256, n_mels=40).shape
    (3, 63, 40)
    """
    params = dict(sr=sr, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                  window=window, center=center, pad_mode=pad_mode, power=power,
                  n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm, n_jobs=n_jobs)
    _check_mel_params(params, "melspectrogram")
    return _melspectrogram(np.asarray(y), **params)


def _melspectrogram(y, *, sr, n_fft, hop_length, win_length, window, center, pad_mode,
                    power, n_mels, fmin, fmax, htk, norm, n_jobs):
    """:func:`melspectrogram` of a 2-D array, its parameters already checked."""
    win_length = n_fft if win_length is None else win_length
    dtype = np.float32 if y.dtype == np.float32 else np.float64
    fft_window = librosa.util.pad_center(
        librosa.filters.get_window(window, win_length, fftbins=True), size=n_fft
    ).astype(dtype)
    pad = n_fft // 2 if center else 0
    n_samples = y.shape[1] + 2 * pad
    if n_samples < n_fft:
        raise ValueError(
            f"Clips of {y.shape[1]} samples are shorter than n_fft={n_fft}; "
            "use center=True or a smaller n_fft."
        )
    n_frames = 1 + (n_samples - n_fft) // hop_length
    out = np.empty((y.shape[0], n_frames, n_mels), dtype=dtype)
    squares = power == 2.0
    blocks = _mel_filter_blocks(sr, n_fft, n_mels, fmin, fmax, htk, norm, dtype,
                                interleave=2 if squares else 1)

    def work(clips):
        block = y[clips]
        if center and pad_mode == "constant":
            padded = np.zeros((block.shape[0], n_samples), dtype=dtype)
            padded[:, pad:pad + block.shape[1]] = block
        elif center:
            padded = np.pad(block, ((0, 0), (pad, pad)), mode=pad_mode)
        else:
            padded = block
        frames = sliding_window_view(padded, n_fft, axis=-1)[:, ::hop_length]
        spectrum = scipy.fft.rfft(frames * fft_window, axis=-1, workers=1)
        with np.errstate(over="ignore", invalid="ignore"):  # checked below
            if squares:  # |X|**2 as the interleaved squares of (re, im), in place
                magnitude = spectrum.view(dtype)
                np.square(magnitude, out=magnitude)
            else:
                magnitude = np.abs(spectrum)
                np.power(magnitude, power, out=magnitude)
            rows = magnitude.reshape(-1, magnitude.shape[-1])
            target = out[clips].reshape(-1, n_mels)
            for b0, b1, lo, hi, weights in blocks:
                np.matmul(rows[:, lo:hi], weights, out=target[:, b0:b1])
        return bool(np.isfinite(target).all())

    # A clip's windowed frames and their spectrum; one BLAS thread per worker
    # (the workers already use the cores).
    item_bytes = 2 * n_frames * n_fft * np.dtype(dtype).itemsize
    finite = map_chunks(work, y.shape[0], item_bytes, n_jobs, single_threaded_blas=True)
    if not finite:
        raise ValueError(
            f"The {dtype.__name__} mel spectrogram overflowed: the waveforms' peak "
            f"amplitude is {np.abs(y).max():.3g}. Scale the audio to [-1, 1] or pass "
            "float64 waveforms."
        )
    return out


@fill_doc
class MelSpectrogram(ArrayOutputMixin, StatelessTransformer):
    """Waveforms ``(n_clips, n_samples)`` to power mel spectrograms.

    Output ``(n_clips, n_frames, n_mels)``, time first. The result is the
    linear **power** (``power=2``): compression (log, PERSA+, PCEN, ...) is the
    job of the front-ends in :mod:`skaudio.frontends`. Equal to
    ``librosa.feature.melspectrogram`` per clip, computed as one batched STFT.
    The transformer is stateless: ``fit`` learns nothing.

    Parameters
    ----------
    sr : float, default=16000
        Sample rate of the input waveforms in Hz.
    n_fft : int, default=2048
        FFT length in samples.
    hop_length : int, default=512
        Samples between frames.
    win_length : int or None, default=None
        Window length; ``None`` means ``n_fft``.
    window : str, tuple, array-like or callable, default="hann"
        Any window :func:`librosa.filters.get_window` accepts.
    center : bool, default=True
        Pad ``n_fft // 2`` samples on both sides so that frames are centred.
    pad_mode : {"constant", "edge", "linear_ramp", "maximum", "mean", "median", \
"minimum", "reflect", "symmetric", "wrap"}, default="constant"
        :func:`numpy.pad` mode of the centring padding.
    power : float, default=2.0
        Exponent of the magnitude: 2 gives power, 1 magnitude.
    n_mels : int, default=128
        Number of mel bands.
    fmin : float, default=0.0
        Lowest band edge in Hz.
    fmax : float or None, default=None
        Highest band edge in Hz; ``None`` means ``sr / 2``.
    htk : bool, default=False
        HTK mel formula instead of Slaney's.
    norm : {"slaney", None} or float, default="slaney"
        Filter-bank normalisation, as in :func:`librosa.filters.mel`.
    {n_jobs}

    See Also
    --------
    skaudio.features.melspectrogram : the function this transformer applies.

    References
    ----------
    .. [1] B. McFee et al., "librosa: Audio and music signal analysis in python,"
       Proc. 14th Python in Science Conference, 2015 (the STFT, filter bank and
       defaults of :func:`librosa.feature.melspectrogram`, reproduced here).
    .. [2] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A Deep
       Learning Front-End for Context-Agnostic Audio Classification", section V-A
       (mel spectrograms computed with librosa, before the front-ends).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.zeros((2, 16000), dtype=np.float32)
    >>> MelSpectrogram(n_mels=64).fit_transform(X).shape
    (2, 32, 64)
    """

    _parameter_constraints = _MEL_PARAMS
    _three_d_input = False

    def __init__(self, sr=16000, n_fft=2048, hop_length=512, win_length=None,
                 window="hann", center=True, pad_mode="constant", power=2.0,
                 n_mels=128, fmin=0.0, fmax=None, htk=False, norm="slaney",
                 n_jobs=None):
        self.sr = sr
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.window = window
        self.center = center
        self.pad_mode = pad_mode
        self.power = power
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.htk = htk
        self.norm = norm
        self.n_jobs = n_jobs

    @classmethod
    def _get_test_params(cls):
        """Cheap configurations for the common tests (see :mod:`skaudio.discovery`)."""
        return [{"sr": 100, "n_fft": 8, "hop_length": 2, "n_mels": 2}]

    def _check_params(self):
        params = self._params()
        _check_mel_params(params, type(self).__name__)
        return params

    def _feature_names_out(self, input_features):
        return [f"mel{b}" for b in range(self.n_mels)]

    def _check_input(self, X):
        return check_waveforms(X, name=type(self).__name__)

    def transform(self, X):
        """Compute the mel spectrogram of every clip.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples)
            Waveforms at ``sr``.

        Returns
        -------
        S : ndarray of shape (n_clips, n_frames, n_mels)
        """
        params = self._check_params()
        return _melspectrogram(self._check_input(X), **params)


def _valid_delta(X, width):
    """First derivative along axis 1 without padding: the frames with a full window.

    The regression (HTK) delta ``d[t] = sum_{n=1}^{h} n (x[t+n] - x[t-n]) /
    (2 sum_{n=1}^{h} n**2)`` with ``h = (width - 1) // 2``, for ``t`` from
    ``h`` to ``n_frames - h - 1``: ``n_frames - (width - 1)`` frames. It is the
    least-squares slope over ``width`` frames, so it equals the interior frames
    of :func:`librosa.feature.delta` (``order=1``) whatever its ``mode``.
    """
    h = width // 2
    stop = X.shape[1] - h
    out = np.zeros_like(X[:, h:stop])
    for n in range(1, h + 1):
        out += n * (X[:, h + n:stop + n] - X[:, h - n:stop - n])
    out /= X.dtype.type(2 * sum(n * n for n in range(1, h + 1)))
    return out


class Deltas(ArrayOutputMixin, StatelessTransformer):
    """Stack a time-frequency array with its delta and delta-delta.

    ``(n, n_frames, n_bands)`` becomes ``(n, n_out, n_bands, 3)``: channel 0
    the input, 1 its first and 2 its second derivative along time. The DCASE
    system of Hu et al. feeds log-mel spectrograms with these channels, so
    place ``Deltas`` after a log front-end (and :class:`MinMaxScale`, which
    the paper applies first). Stateless.

    With ``padding=True`` (the default) the output keeps every frame,
    ``n_out = n_frames``: the derivatives are :func:`librosa.feature.delta`'s
    (Savitzky-Golay filters of order 1 and 2 over ``width`` frames), the edges
    handled by ``mode``.

    With ``padding=False`` only the frames that need no padding are kept, as
    Hu et al. compute them ("Log-mel deltas and delta-deltas without padding
    [...] reduced the number of time samples to 423", section 5.1), and
    ``n_out = n_frames - 2 * (width - 1)``:

    * delta: the regression delta over ``width`` frames,
      ``d[t] = sum_{n=1}^{h} n (x[t+n] - x[t-n]) / (2 sum_{n=1}^{h} n**2)``
      with ``h = (width - 1) / 2``, on the frames with a full window
      (``n_frames - 2h`` frames);
    * delta-delta: the same delta of the delta, another ``2h`` frames fewer
      (HTK's acceleration, an effective filter of ``2 * width - 1`` frames);
    * the input and the delta are cut to the delta-delta's frames: ``2h``
      and ``h`` frames dropped at each end.

    The paper's 431 frames (10 s at 44.1 kHz, hop 1024) become 423 with
    ``width=5``, the authors' code: ``(x[t+1] - x[t-1]) / 10 + (x[t+2] -
    x[t-2]) / 5``, applied twice. The delta channel equals the padded
    delta's interior frames ``[2h, n_frames - 2h)``; the delta-delta equals
    the same interior of the delta applied twice, not the padded second
    Savitzky-Golay derivative, which is another filter.

    Parameters
    ----------
    width : int, default=9
        Odd number of frames, at least 3, of the derivative filter. Clips need
        at least ``width`` frames with padding, ``2 * width - 1`` without.
        The paper's setting is ``width=5`` with ``padding=False``.
    mode : {"interp", "nearest", "mirror", "constant", "wrap"}, default="interp"
        Edge handling, as in :func:`librosa.feature.delta`; ignored with
        ``padding=False``, which has no edges to fill.
    padding : bool, default=True
        Keep every frame (``True``) or only those whose derivatives need no
        padding (``False``, Hu et al.'s "without padding").

    See Also
    --------
    MinMaxScale : the per-sample scaling to [0, 1] of the same system.

    References
    ----------
    .. [1] H. Hu et al., "Device-robust acoustic scene classification based on
       two-stage categorization and data augmentation", DCASE 2020 technical
       report, section 5.1 ("Feature Extraction"); the authors' code,
       github.com/MihawkHu/DCASE2020_task1, computes these deltas.

    Examples
    --------
    >>> import numpy as np
    >>> Deltas().fit_transform(np.ones((2, 20, 8))).shape
    (2, 20, 8, 3)
    >>> Deltas(width=5, padding=False).fit_transform(np.ones((2, 431, 8))).shape
    (2, 423, 8, 3)
    """

    _parameter_constraints = {
        "width": [Interval(Integral, 3, None, closed="left")],
        "mode": [StrOptions({"interp", "nearest", "mirror", "constant", "wrap"})],
        "padding": BOOL,
    }
    _two_d_input = False

    def __init__(self, width=9, mode="interp", padding=True):
        self.width = width
        self.mode = mode
        self.padding = padding

    @classmethod
    def _get_test_params(cls):
        """Cheap configurations for the common tests (see :mod:`skaudio.discovery`)."""
        return [{"width": 3}, {"width": 3, "padding": False}]

    def _check_params(self):
        params = super()._check_params()
        if params["width"] % 2 == 0:
            raise invalid_parameter(
                type(self).__name__,
                f"width must be an odd integer >= 3; got {params['width']}.")
        return params

    def _feature_names_out(self, input_features):
        return [f"{name}{suffix}" for name in self._frame_feature_names(input_features)
                for suffix in ("", "_delta", "_delta2")]

    def _check_input(self, X):
        name = type(self).__name__
        X = check_time_frequency(X, name=name, non_negative=False, min_ndim=3,
                                 max_ndim=3)
        if self.padding and X.shape[1] < self.width:
            raise ValueError(
                f"{name} needs at least width={self.width} frames per sample; got "
                f"{X.shape[1]}. Use longer clips or a smaller width."
            )
        if not self.padding and X.shape[1] < 2 * self.width - 1:
            raise ValueError(
                f"{name}(padding=False) needs at least 2 * width - 1 = "
                f"{2 * self.width - 1} frames per sample (width={self.width}): the "
                f"delta and the delta-delta each drop {self.width - 1} frames; got "
                f"{X.shape[1]}. Use longer clips, a smaller width or padding=True."
            )
        return X

    def transform(self, X):
        """Append delta and delta-delta channels.

        Parameters
        ----------
        X : array-like of shape (n, n_frames, n_bands)

        Returns
        -------
        ndarray of shape (n, n_out, n_bands, 3)
            ``n_out`` is ``n_frames`` with padding, ``n_frames - 2 * (width -
            1)`` without.
        """
        self._check_params()
        X = self._check_input(X)
        if not self.padding:
            h = self.width // 2
            with np.errstate(over="ignore", invalid="ignore"):  # checked below
                delta = _valid_delta(X, self.width)
                delta_delta = _valid_delta(delta, self.width)
            if not np.isfinite(delta_delta).all():
                raise ValueError(
                    f"{type(self).__name__} overflowed {X.dtype} on input values up "
                    f"to {np.abs(X).max():.3g}; pass float64 input or rescale it."
                )
            return np.stack([X[:, 2 * h:X.shape[1] - 2 * h],
                             delta[:, h:delta.shape[1] - h], delta_delta], axis=-1)
        deltas = [
            librosa.feature.delta(X, width=self.width, order=order, axis=1,
                                  mode=self.mode).astype(X.dtype, copy=False)
            for order in (1, 2)
        ]
        return np.stack([X, *deltas], axis=-1)


class MinMaxScale(ArrayOutputMixin, StatelessTransformer):
    """Scale every sample to [0, 1]: ``(x - min) / (max - min)``, per sample.

    The "Scale" of Hu et al. (section 5.1: "we scaled each feature value into
    [0,1]"; Table 1's "Scale" column). The minimum and maximum are the
    sample's own, never the batch's or the training set's, so ``fit`` learns
    nothing and a clip's output does not depend on its neighbours (unlike
    :class:`sklearn.preprocessing.MinMaxScaler`, which scales every *feature*
    with the minimum and maximum it learned in ``fit``). The output is
    invariant to an affine change ``a * x + b`` (``a > 0``) of a sample, so to
    a gain in dB on log-mel input.

    ``per_channel=False`` (the default) takes the minimum and maximum over all
    of a sample's values. That is the authors' code: it scales each clip's
    log-mel spectrogram as a whole and computes the deltas afterwards, so the
    paper's pipeline is ``LogCompression() -> MinMaxScale() ->
    Deltas(width=5, padding=False)``, whose delta channels are then not in
    [0, 1]. ``per_channel=True`` scales each channel of a 4-D sample (the last
    axis, e.g. static, delta and delta-delta after :class:`Deltas`) to [0, 1]
    on its own; 2-D and 3-D samples are one channel.

    A constant sample (or channel), ``max == min``, becomes all zeros: there
    is no range to scale, and zeros keep the output finite and in [0, 1]. The
    sample's minimum maps to exactly 0 and its maximum to exactly 1.

    Parameters
    ----------
    per_channel : bool, default=False
        Scale each channel (last axis of 4-D input) of a sample separately,
        instead of the whole sample at once.

    See Also
    --------
    Deltas : the delta channels of the same system.
    sklearn.preprocessing.MinMaxScaler : per-feature scaling learned in ``fit``.

    References
    ----------
    .. [1] H. Hu et al., "Device-robust acoustic scene classification based on
       two-stage categorization and data augmentation", DCASE 2020 technical
       report, section 5.1 ("Feature Extraction") and Table 1.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[[-80.0, -40.0], [-20.0, -60.0]],   # one log-mel sample
    ...               [[3.0, 3.0], [3.0, 3.0]]])          # a constant one
    >>> MinMaxScale().fit_transform(X)
    array([[[0.        , 0.66666667],
            [1.        , 0.33333333]],
    <BLANKLINE>
           [[0.        , 0.        ],
            [0.        , 0.        ]]])
    """

    _parameter_constraints = {"per_channel": BOOL}

    def __init__(self, per_channel=False):
        self.per_channel = per_channel

    @classmethod
    def _get_test_params(cls):
        """Cheap configurations for the common tests (see :mod:`skaudio.discovery`)."""
        return [{}, {"per_channel": True}]

    _feature_names_out = StatelessTransformer._frame_feature_names  # bands kept

    def _check_input(self, X):
        return check_time_frequency(X, name=type(self).__name__, non_negative=False)

    def transform(self, X):
        """Scale every sample (or each of its channels) to [0, 1].

        Parameters
        ----------
        X : array-like of shape (n, n_frames, n_bands[, n_channels]) or \
(n, n_features)
            Any real values, such as log-mel spectrograms.

        Returns
        -------
        ndarray of the same shape and float dtype
            Values in [0, 1]; constant samples (channels) are 0.
        """
        self._check_params()
        X = self._check_input(X)
        channels = X.shape[-1] if self.per_channel and X.ndim == 4 else 1
        flat = X.reshape(X.shape[0], -1, channels)
        low = flat.min(axis=1, keepdims=True)
        with np.errstate(over="ignore", invalid="ignore"):
            span = flat.max(axis=1, keepdims=True) - low
            if not np.isfinite(span).all():
                raise ValueError(
                    f"{type(self).__name__}: a sample's range (max - min) overflowed "
                    f"{X.dtype}; pass float64 input or rescale it."
                )
        out = flat - low  # a new array: the input is never modified
        # A constant sample is already 0 here; the others are divided by their
        # range, so the maximum becomes exactly 1.
        np.divide(out, span, out=out, where=span > 0)
        return out.reshape(X.shape)
