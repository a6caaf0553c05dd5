"""Front-ends: per-sample compression and normalisation of time-frequency input.

The front-ends compared by Vrysis et al. in *PERSA+: A Deep Learning Front-End
for Context-Agnostic Audio Classification* (LOG, PERSA, PERSA+, LOG-T, PCEN),
each a plain function and a stateless scikit-learn transformer.

Conventions, the same for every front-end
-----------------------------------------
* **Input is power**: a non-negative time-frequency array ``P = |X|**2`` such as
  :class:`skaudio.MelSpectrogram` gives with ``power=2``. A gain of ``g`` dB
  multiplies it by ``10**(g / 10)``; every parameter in dB (PERSA+'s ``q``,
  LOG-T's ``c``, training gains) follows this rule.
* **Log outputs are in bels**: ``log10`` of power, so one unit is 10 dB and a
  gain of ``g`` dB adds ``g / 10``. (The papers' ``log10 S`` of a magnitude
  ``S`` is exactly half of it.)
* **Per sample**: every statistic (mean, maximum, power) is taken over one
  sample's own bins, never over the batch, so a clip's output does not depend on
  its neighbours and ``fit`` learns nothing (no statistic of a test fold can
  leak into training).
* Shapes: ``(n, n_frames, n_bands)``, ``(n, n_frames, n_bands, n_channels)``
  or ``(n, n_features)`` (each row one flattened sample, so that scikit-learn's
  estimator checks apply). The output has the input's shape and float dtype.
* Silent (all-zero) samples give finite output: the log floor ``amin`` bounds
  every logarithm.
"""

import numbers
import zlib

import librosa
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state

from ._validation import check_positive_int, check_scalar_real, check_time_frequency
from .base import VersionedStateMixin

NOISE_COLORS = {"white": 0.0, "pink": 1.0, "brown": 2.0}


def _sample_axes(S):
    """Axes that hold one sample's bins: all but the first."""
    return tuple(range(1, S.ndim))


def _log10(S, amin):
    return np.log10(np.maximum(S, S.dtype.type(amin)))


def log_compression(S, *, amin=1e-10):
    """LOG: ``log10(max(S, amin))`` of a power spectrogram.

    Examples
    --------
    >>> import numpy as np
    >>> log_compression(np.array([[1.0, 100.0, 0.0]]))
    array([[  0.,   2., -10.]])
    """
    return _log10(S, amin)


def per_sample_norm(S, *, method="subtract", amin=1e-10):
    """PERSA: per-sample energy normalisation (PERSA+ paper, sections III, IV-C).

    ``method="subtract"``: ``log10 S - mean(log10 S)`` over the sample's bins
    (the paper's choice). ``method="divide"``: ``log10(S / mean(S))``, the
    "mean division then log" variant. Both are exactly invariant to a gain:
    ``per_sample_norm(g * S) == per_sample_norm(S)`` for ``g > 0`` (while no
    bin sits at the ``amin`` floor).

    Examples
    --------
    >>> import numpy as np
    >>> per_sample_norm(np.array([[1.0, 100.0]]))
    array([[-1.,  1.]])
    """
    axes = _sample_axes(S)
    if method == "subtract":
        L = _log10(S, amin)
        return L - L.mean(axis=axes, keepdims=True)
    # log10(S / mean(S)) with both terms floored, so silence gives zeros
    return _log10(S, amin) - _log10(S.mean(axis=axes, keepdims=True), amin)


def _band_psd(n_bands, color, band_frequencies):
    """Relative noise power per band, ``f**-alpha`` at the band centres, mean 1."""
    if band_frequencies is None:
        band_frequencies = librosa.mel_frequencies(n_bands + 2, fmin=0.0, fmax=8000.0)[1:-1]
    band_frequencies = np.asarray(band_frequencies, dtype=np.float64)
    if band_frequencies.shape != (n_bands,) or np.any(band_frequencies <= 0):
        raise ValueError(
            f"band_frequencies must hold {n_bands} positive frequencies, one per "
            f"band; got shape {band_frequencies.shape}."
        )
    psd = band_frequencies ** -NOISE_COLORS[color]
    return psd / psd.mean()


def colored_noise(shape, *, color="pink", band_frequencies=None, random_state=None,
                  dtype=np.float64):
    """Power of a coloured noise in a time-frequency representation.

    Each bin is the power of a Gaussian noise bin: an exponential random
    variable (chi-squared with two degrees of freedom, mean 1) times the noise's
    power spectral density at the band's centre frequency, ``f**-alpha`` with
    ``alpha`` 0 (white), 1 (pink) or 2 (brown).

    Parameters
    ----------
    shape : tuple
        ``(n, n_frames, n_bands[, n_channels])`` or ``(n, n_features)``
        (one frame of ``n_features`` bands).
    color : {"white", "pink", "brown"}, default="pink"
    band_frequencies : array of shape (n_bands,) or None
        Centre frequency of each band in Hz. ``None``: the centres of
        ``n_bands`` Slaney mel bands between 0 Hz and 8 kHz (the default
        :class:`MelSpectrogram` at 16 kHz).
    random_state : int, RandomState, Generator or None

    Returns
    -------
    N : ndarray of ``shape``
    """
    rng = random_state if isinstance(random_state, np.random.Generator) \
        else check_random_state(random_state)
    psd = _band_psd(shape[2] if len(shape) > 2 else shape[1], color, band_frequencies)
    if len(shape) == 4:
        psd = psd[:, np.newaxis]
    return (rng.standard_exponential(size=shape) * psd).astype(dtype, copy=False)


def sample_generators(S, random_state):
    """One random generator per sample, seeded by ``random_state`` and the sample.

    Each generator's seed combines ``random_state`` with a fingerprint of the
    sample: 64 of its bins, divided by their mean and rounded to whole dB.
    The draw is then a deterministic function of (``random_state``, sample)
    that ignores the sample's gain: the same clip gets the same noise in any
    batch, order or subset and at any level, while different clips get
    independent noise. ``random_state=None`` draws fresh entropy per call.
    """
    if random_state is None:
        base = int(np.random.SeedSequence().entropy % 2**63)
    elif isinstance(random_state, numbers.Integral):
        base = int(random_state)
    else:
        base = int(check_random_state(random_state).randint(2**31 - 1))
    for sample in S:
        yield np.random.default_rng([base, _fingerprint(sample)])


def _fingerprint(sample):
    """A gain-invariant 32-bit checksum of a non-negative sample.

    64 of its bins relative to their mean, in whole dB: coarse enough that the
    float rounding of a rescaled input almost never crosses a step (about one
    sample in a few hundred), fine enough to tell real clips apart.
    """
    bins = np.ravel(sample)[:: max(1, sample.size // 64)].astype(np.float64)
    ref = bins.mean()
    if not ref > 0:
        return 0
    with np.errstate(divide="ignore"):
        level = np.round(10 * np.log10(bins / ref))  # 1 dB steps
    return zlib.crc32(np.where(np.isfinite(level), level, -1e9).astype(np.int64))


def persa_plus(S, *, q=9.0, noise="pink", band_frequencies=None, random_state=None,
               amin=1e-10):
    """PERSA+: noise injection, log compression and mean subtraction (eq. 1-3).

    The PERSA+ paper writes eq. 1 for magnitudes ``S``:
    ``S_n = (S**2 + N**2 * p_s / (p_n * 10**(q/10)))**(1/2)``, with ``p_s`` and
    ``p_n`` the powers of the signal and the noise. On a power input ``P = S**2``
    this is ``P_n = P + N_p * mean(P) / (mean(N_p) * 10**(q / 10))``: the
    injected noise has, on average over the sample's bins, exactly ``q`` dB less
    power than the sample itself. Then (eq. 2-3) ``L = log10 P_n`` and
    ``L - mean(L)``. ``q=np.inf`` injects nothing (PERSA).

    Parameters
    ----------
    S : ndarray, non-negative power
    q : float, default=9.0
        Level of the noise below the sample's power, in dB.
    noise : {"pink", "white", "brown"}, ndarray or callable, default="pink"
        The noise's power ``N_p``: a colour (:func:`colored_noise`, drawn anew
        for every sample), a fixed array broadcastable to one sample's shape
        ``S.shape[1:]``, or ``callable((1, *S.shape[1:]), rng)`` called once
        per sample with that sample's generator.
    band_frequencies : array or None
        Band centres for the coloured noises (see :func:`colored_noise`).
    random_state : int, RandomState instance or None
        Seeds the noise. Each sample's generator is seeded by ``random_state``
        and a checksum of the sample (:func:`sample_generators`): with an int,
        a sample's output is the same in any batch, order or subset, while
        different samples get independent noise.
    amin : float, default=1e-10
        Floor inside the logarithm.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).random((2, 10, 8))
    >>> out = persa_plus(S, q=9, random_state=0)
    >>> out.shape, bool(np.allclose(out.mean(axis=(1, 2)), 0))
    ((2, 10, 8), True)
    """
    axes = _sample_axes(S)
    if np.isinf(q):
        noisy = S
    else:
        N = _noise_power(S, noise, band_frequencies, random_state)
        p_s = S.mean(axis=axes, keepdims=True)
        p_n = N.mean(axis=axes, keepdims=True)
        scale = p_s / (np.maximum(p_n, np.finfo(S.dtype).tiny) * 10 ** (q / 10))
        noisy = S + N * scale.astype(S.dtype, copy=False)
    L = _log10(noisy, amin)
    return L - L.mean(axis=axes, keepdims=True)


def _noise_power(S, noise, band_frequencies, random_state):
    """Noise power for every sample of ``S``, drawn per sample (see ``sample_generators``)."""
    sample_shape = (1, *S.shape[1:])
    if not isinstance(noise, str) and not callable(noise):
        N, source = np.asarray(noise, dtype=S.dtype), "the noise array"
    else:
        N = np.empty(S.shape, dtype=S.dtype)
        if isinstance(noise, str):
            psd = _band_psd(sample_shape[2] if S.ndim > 2 else sample_shape[1], noise,
                            band_frequencies)
            psd = psd[:, np.newaxis] if S.ndim == 4 else psd
        for i, rng in enumerate(sample_generators(S, random_state)):
            if isinstance(noise, str):
                N[i] = rng.standard_exponential(size=S.shape[1:]) * psd
                continue
            drawn = np.asarray(noise(sample_shape, rng), dtype=S.dtype)
            if drawn.size != N[i].size:
                raise ValueError(
                    f"PersaPlus: the noise callable returned shape {drawn.shape}; "
                    f"expected {sample_shape}."
                )
            N[i] = drawn.reshape(S.shape[1:])
        source = "the noise callable"
    try:
        N = np.broadcast_to(N, S.shape)
    except ValueError:
        raise ValueError(
            f"PersaPlus: {source} has shape {N.shape}, which does not broadcast "
            f"to one sample's shape {S.shape[1:]}."
        ) from None
    if not np.all(np.isfinite(N)) or np.any(N < 0):
        raise ValueError(f"PersaPlus: {source} must be finite non-negative power.")
    return N


def log_threshold(S, *, c=30.0):
    """LOG-T: per-sample maximum normalisation and thresholded log (eq. 4).

    ``log10(S / max(S) + 10**(-c / 10))``. The floor sits ``c`` dB below the
    sample's maximum (the plain-text eq. 4 prints ``10**(c/20)``: with a positive
    exponent the floor would lie above the maximum and ``c`` could not be a
    dynamic range; ``c/10`` rather than ``c/20`` because the input is power).
    The output lies in ``[-c/10, log10(1 + 10**(-c/10))]`` bels: a dynamic range
    of at most ``10 * log10(10**(c/10) + 1)`` dB, which exceeds ``c`` by less
    than 0.005 dB for ``c >= 30``. An all-zero sample gives ``-c/10`` everywhere.

    Examples
    --------
    >>> import numpy as np
    >>> out = log_threshold(np.array([[1.0, 1e-6]]), c=30)
    >>> [round(float(v), 4) for v in out[0]]
    [0.0004, -2.9996]
    """
    peak = S.max(axis=_sample_axes(S), keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        normalised = np.where(peak > 0, S / peak, 0)
    return np.log10(normalised + S.dtype.type(10 ** (-c / 10)))


def pcen(S, *, sr=16000, hop_length=512, gain=0.98, bias=2.0, power=0.5,
         time_constant=0.400, eps=1e-6, b=None, max_size=1, input_scale=2**31):
    """Per-channel energy normalisation along time, per sample.

    :func:`librosa.pcen` with its defaults, applied along the frame axis (1) of
    every sample, band and channel, on ``S * input_scale``. librosa's defaults
    assume a spectrogram of audio scaled like int32 samples: with
    ``input_scale=2**31`` (the default) a [-1, 1] spectrogram gets that scale
    and PCEN's automatic gain control works; with ``input_scale=1`` the
    ``eps`` term dominates quiet input and the output is far from invariant to
    the input gain. Output is non-negative; a silent sample gives zeros.
    ``max_size > 1`` max-filters along the band axis.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).random((2, 50, 8))
    >>> pcen(S).shape
    (2, 50, 8)
    """
    two_d = S.ndim == 2
    S3 = S[:, np.newaxis, :] if two_d else S
    out = librosa.pcen(
        S3 * S3.dtype.type(input_scale), sr=sr, hop_length=hop_length, gain=gain,
        bias=bias, power=power, time_constant=time_constant, eps=eps, b=b,
        max_size=max_size, axis=1, max_axis=2 if max_size > 1 else None,
    ).astype(S.dtype, copy=False)
    return out[:, 0, :] if two_d else out


class _FrontEnd(VersionedStateMixin, TransformerMixin, BaseEstimator):
    """Shared shell of the stateless per-sample front-ends.

    Subclasses implement ``_transform(S)`` on a validated non-negative array;
    ``_check_params`` checks ``amin`` where a front-end has one and is extended
    for the other parameters.
    """

    def fit(self, X, y=None):
        """Validate parameters and input; a front-end learns nothing from data.

        Parameters
        ----------
        X : array-like, non-negative time-frequency power
        y : ignored

        Returns
        -------
        self
        """
        self._check_params()
        X = check_time_frequency(X, name=type(self).__name__)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """Apply the front-end to every sample independently.

        Parameters
        ----------
        X : array-like of shape (n, n_frames, n_bands[, n_channels]) or \
(n, n_features)
            Non-negative time-frequency power.

        Returns
        -------
        ndarray of the same shape and float dtype
        """
        self._check_params()
        X = check_time_frequency(X, name=type(self).__name__)
        with np.errstate(over="ignore", invalid="ignore"):  # checked below
            out = self._transform(X)
        if not np.isfinite(out).all():
            raise ValueError(
                f"{type(self).__name__} overflowed {X.dtype} on input values up to "
                f"{X.max():.3g}; pass float64 input or rescale it."
            )
        return out

    def _check_params(self):
        name = type(self).__name__
        if hasattr(self, "amin"):
            check_scalar_real(self.amin, "amin", owner=name, min_val=0, include_min=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.three_d_array = True
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class LogCompression(_FrontEnd):
    """LOG: ``log10`` of the power, floored at ``amin``.

    The PERSA+ paper's baseline: not invariant to the input gain (a gain of
    ``g`` dB shifts the output by ``g / 10``). See :mod:`skaudio.frontends` for
    the conventions shared by every front-end.

    Parameters
    ----------
    amin : float, default=1e-10
        Floor of the power before the log (-100 dB); silent samples give
        ``log10(amin)``.

    Examples
    --------
    >>> import numpy as np
    >>> LogCompression().fit_transform(np.array([[1.0, 10.0]]))
    array([[0., 1.]])
    """

    def __init__(self, amin=1e-10):
        self.amin = amin

    def _transform(self, S):
        return log_compression(S, amin=self.amin)


class PerSampleNorm(_FrontEnd):
    """PERSA: log compression and per-sample mean subtraction.

    Each sample's output is ``log10 S`` minus the mean of ``log10 S`` over all
    of its time-frequency bins (PERSA+ paper, section III): exactly invariant to
    a gain on the input. Silent samples give zeros.

    Parameters
    ----------
    method : {"subtract", "divide"}, default="subtract"
        ``"subtract"``: log, then subtract the mean log (the paper's choice).
        ``"divide"``: divide by the mean power, then log (section IV-C's
        variant; the same shape with a slightly different offset).
    amin : float, default=1e-10
        Floor of the power before the log.

    See Also
    --------
    PersaPlus : PERSA with noise injection.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).random((2, 10, 8))
    >>> bool(np.allclose(PerSampleNorm().fit_transform(S),
    ...                  PerSampleNorm().fit_transform(1000 * S)))
    True
    """

    def __init__(self, method="subtract", amin=1e-10):
        self.method = method
        self.amin = amin

    def _check_params(self):
        super()._check_params()
        if self.method not in ("subtract", "divide"):
            raise ValueError(
                f"PerSampleNorm: method must be 'subtract' or 'divide'; got "
                f"{self.method!r}."
            )

    def _transform(self, S):
        return per_sample_norm(S, method=self.method, amin=self.amin)


class PersaPlus(_FrontEnd):
    """PERSA+: noise injection ``q`` dB below the sample, log, mean subtraction.

    Implements eq. 1-3 of Vrysis et al. on a **power** input (see
    :func:`persa_plus` for the math): coloured noise whose mean power is ``q``
    dB below the sample's own mean power is added to every bin, so content more
    than about ``q`` dB under the sample's level is masked the same way in every
    recording, whatever its noise floor or gain; then ``log10`` and per-sample
    mean subtraction (PERSA). The paper's ±3 dB random *training* gain is not
    part of the transformer: it belongs to the network estimator
    (``gain_augment_db``), since a transformer must give the same output at
    training and prediction time.

    Parameters
    ----------
    q : float, default=9.0
        Noise level below the sample's power in dB (the paper's choice is 9);
        ``np.inf`` disables the noise (PERSA).
    noise : {"pink", "white", "brown"}, ndarray or callable, default="pink"
        The noise's time-frequency power: a colour (random, drawn anew for
        every sample), a fixed array broadcastable to one sample's shape, or
        ``callable((1, *sample_shape), rng) -> array`` called per sample.
    band_frequencies : array of shape (n_bands,) or None, default=None
        Band centre frequencies in Hz that shape the coloured noises; ``None``
        assumes Slaney mel bands over 0-8 kHz (MelSpectrogram at 16 kHz). Use
        ``librosa.mel_frequencies(n_mels + 2, fmin=..., fmax=...)[1:-1]`` for
        other settings.
    random_state : int, RandomState instance or None, default=None
        Seeds the noise together with each sample's content: with an int, a
        sample's output is the same whenever and in whatever batch it is
        transformed (so ``fit_transform`` equals ``fit().transform`` and
        pipelines cache), and different samples get independent noise.
    amin : float, default=1e-10
        Floor of the power before the log; silent samples give zeros.

    See Also
    --------
    PerSampleNorm : the same without noise.
    persa_plus : the function this transformer applies.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).random((4, 20, 16))
    >>> Z = PersaPlus(q=9, random_state=0).fit_transform(S)
    >>> Z.shape, bool(np.allclose(Z, PersaPlus(q=9, random_state=0).transform(S)))
    ((4, 20, 16), True)
    """

    def __init__(self, q=9.0, noise="pink", band_frequencies=None, random_state=None,
                 amin=1e-10):
        self.q = q
        self.noise = noise
        self.band_frequencies = band_frequencies
        self.random_state = random_state
        self.amin = amin

    def _check_params(self):
        super()._check_params()
        check_scalar_real(self.q, "q", owner="PersaPlus", allow_inf=True)
        if np.isneginf(self.q):
            raise ValueError("PersaPlus: q must be finite or +inf; got -inf.")
        if isinstance(self.noise, str) and self.noise not in NOISE_COLORS:
            raise ValueError(
                f"PersaPlus: noise must be one of {sorted(NOISE_COLORS)}, an array "
                f"or a callable; got {self.noise!r}."
            )

    def _transform(self, S):
        return persa_plus(S, q=self.q, noise=self.noise,
                          band_frequencies=self.band_frequencies,
                          random_state=self.random_state, amin=self.amin)


class LogThreshold(_FrontEnd):
    """LOG-T: per-sample maximum normalisation and log with a floor ``c`` dB down.

    ``log10(S / max(S) + 10**(-c/10))`` per sample (PERSA+ paper, eq. 4; see
    :func:`log_threshold` for the sign of the exponent). Each sample's output
    spans at most about ``c`` dB (``c / 10`` bels) and is invariant to the
    input gain. A silent sample gives ``-c / 10`` everywhere.

    Parameters
    ----------
    c : float, default=30.0
        Dynamic range kept below each sample's maximum, in dB (the paper's
        choice is 30).

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).random((2, 10, 8))
    >>> Z = LogThreshold(c=30).fit_transform(S)
    >>> bool(Z.max() <= 0.001 and Z.min() >= -3.0)
    True
    """

    def __init__(self, c=30.0):
        self.c = c

    def _check_params(self):
        check_scalar_real(self.c, "c", owner="LogThreshold", min_val=0, include_min=False)

    def _transform(self, S):
        return log_threshold(S, c=self.c)


class PCEN(_FrontEnd):
    """Per-channel energy normalisation (librosa's algorithm and defaults).

    Applies :func:`librosa.pcen` along time to every sample, band and channel
    independently (see :func:`pcen`). ``sr`` and ``hop_length`` set the
    smoother's time constant in frames and should match the spectrogram's.

    Parameters
    ----------
    sr : int, default=16000
    hop_length : int, default=512
    gain, bias, power, time_constant, eps, b, max_size
        As in :func:`librosa.pcen` (same defaults).
    input_scale : float, default=2**31
        Factor applied to the input first. librosa's defaults assume int32-scaled
        audio; ``2**31`` brings a spectrogram of [-1, 1] audio there, where PCEN
        is close to invariant to the input gain. ``1`` reproduces
        ``librosa.pcen(S)`` on the raw input.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).random((2, 50, 8))
    >>> bool((PCEN().fit_transform(S) >= 0).all())
    True
    """

    def __init__(self, sr=16000, hop_length=512, gain=0.98, bias=2.0, power=0.5,
                 time_constant=0.400, eps=1e-6, b=None, max_size=1, input_scale=2**31):
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

    def _check_params(self):
        for name, kwargs in {
            "sr": dict(min_val=0, include_min=False),
            "hop_length": dict(min_val=0, include_min=False),
            "gain": dict(min_val=0),
            "bias": dict(min_val=0),
            "power": dict(min_val=0),
            "time_constant": dict(min_val=0, include_min=False),
            "eps": dict(min_val=0, include_min=False),
            "input_scale": dict(min_val=0, include_min=False),
        }.items():
            check_scalar_real(getattr(self, name), name, owner="PCEN", **kwargs)
        if self.b is not None:
            b = check_scalar_real(self.b, "b", owner="PCEN", min_val=0)
            if b > 1:
                raise ValueError(f"PCEN: b must lie in [0, 1]; got {b}.")
        check_positive_int(self.max_size, "max_size", owner="PCEN")

    def _transform(self, S):
        return pcen(S, sr=self.sr, hop_length=self.hop_length, gain=self.gain,
                    bias=self.bias, power=self.power, time_constant=self.time_constant,
                    eps=self.eps, b=self.b, max_size=self.max_size,
                    input_scale=self.input_scale)
