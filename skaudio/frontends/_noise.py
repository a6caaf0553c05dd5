"""PERSA+'s noise: colours, their spectral densities, and per-sample seeds.

A coloured noise's power in a time-frequency bin is a unit exponential
variate (the power of a Gaussian noise bin) times the colour's spectral
density ``f**-alpha`` at the band's centre frequency. Every sample's noise is
seeded by ``random_state`` and a gain-invariant fingerprint of the sample, so
that a clip gets the same noise in any batch and at any level. The coloured
noises :func:`~skaudio.frontends.persa_plus` injects are drawn by the
counter-based generator of :mod:`skaudio._hashed_noise` from these seeds;
:func:`colored_noise` and :func:`sample_generators` give the same noises
through numpy's generators.
"""

import zlib

import librosa
import numpy as np
from sklearn.utils import check_random_state

from .._params import InvalidParameterError
from .._validation import seed_of

NOISE_COLORS = {"white": 0.0, "pink": 1.0, "brown": 2.0}


def band_psd(n_bands, color, band_frequencies, *, owner="colored_noise"):
    """Relative noise power per band, ``f**-alpha`` at the band centres, mean 1."""
    if band_frequencies is None:
        band_frequencies = librosa.mel_frequencies(n_bands + 2, fmin=0.0, fmax=8000.0)[1:-1]
    band_frequencies = np.asarray(band_frequencies, dtype=np.float64)
    if band_frequencies.shape != (n_bands,) or np.any(band_frequencies <= 0):
        raise InvalidParameterError(
            f"{owner}: band_frequencies must hold {n_bands} positive frequencies, one "
            f"per band; got shape {band_frequencies.shape}."
        )
    psd = band_frequencies ** -NOISE_COLORS[color]
    return psd / psd.mean()


def sample_psd(sample_shape, color, band_frequencies, *, owner):
    """The colour's band PSD broadcast over one sample's bins, flattened."""
    n_bands = sample_shape[1] if len(sample_shape) > 1 else sample_shape[0]
    psd = band_psd(n_bands, color, band_frequencies, owner=owner)
    if len(sample_shape) == 3:
        psd = psd[:, np.newaxis]
    return np.broadcast_to(psd, sample_shape).ravel()


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
        The noise's colour.
    band_frequencies : array of shape (n_bands,) or None, default=None
        Centre frequency of each band in Hz. ``None``: the centres of
        ``n_bands`` Slaney mel bands between 0 Hz and 8 kHz (the default
        :class:`~skaudio.MelSpectrogram` at 16 kHz).
    random_state : int, RandomState instance, Generator or None, default=None
        The random generator or its seed.
    dtype : dtype, default=np.float64
        The output's dtype.

    Returns
    -------
    N : ndarray of ``shape``
        The noise's power, mean 1 over the bands.

    See Also
    --------
    skaudio.frontends.persa_plus : injects such a noise ``q`` dB below each sample.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A Deep
       Learning Front-End for Context-Agnostic Audio Classification", section IV-A,
       eq. 1 (the noise segment ``N``, "i.e. pink noise").

    Examples
    --------
    >>> N = colored_noise((2, 100, 4), color="white", random_state=0)
    >>> N.shape, bool(abs(N.mean() - 1) < 0.1)
    ((2, 100, 4), True)
    """
    if color not in NOISE_COLORS:
        raise InvalidParameterError(
            f"The 'color' parameter of colored_noise must be one of "
            f"{sorted(NOISE_COLORS)}. Got {color!r} instead."
        )
    rng = random_state if isinstance(random_state, np.random.Generator) \
        else check_random_state(random_state)
    psd = band_psd(shape[2] if len(shape) > 2 else shape[1], color, band_frequencies)
    if len(shape) == 4:
        psd = psd[:, np.newaxis]
    return (rng.standard_exponential(size=shape) * psd).astype(dtype, copy=False)


def base_seed(random_state):
    """The integer that, with each sample's fingerprint, seeds its noise."""
    seed = seed_of(random_state)
    return int(np.random.SeedSequence().entropy % 2**63) if seed is None else seed


def sample_generators(S, random_state):
    """One random generator per sample, seeded by ``random_state`` and the sample.

    Each generator's seed combines ``random_state`` with a fingerprint of the
    sample: 64 of its bins, divided by their mean and rounded to whole dB.
    The draw is then a deterministic function of (``random_state``, sample)
    that ignores the sample's gain: the same clip gets the same noise in any
    batch, order or subset and at any level, while different clips get
    independent noise. ``random_state=None`` draws fresh entropy per call.
    :func:`skaudio.frontends.persa_plus` uses these generators for a
    callable ``noise``; its coloured noises come from the same seeds through
    a faster counter-based generator (see :mod:`skaudio._hashed_noise`).

    Parameters
    ----------
    S : ndarray of shape (n, ...)
        Non-negative samples.
    random_state : int, RandomState instance or None
        The base seed (a ``RandomState`` instance draws one).

    Yields
    ------
    numpy.random.Generator
        One per sample, in order.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A Deep
       Learning Front-End for Context-Agnostic Audio Classification", section IV-A
       (a randomly generated noise segment for every sample).

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).random((2, 10, 8))
    >>> draws = [rng.random() for rng in sample_generators(S, 0)]
    >>> louder = [rng.random() for rng in sample_generators(100 * S, 0)]
    >>> draws == louder, draws[0] != draws[1]     # gain-invariant, per sample
    (True, True)
    """
    base = base_seed(random_state)
    for fingerprint in fingerprints(S):
        yield np.random.default_rng([base, int(fingerprint)])


def fingerprints(S):
    """A gain-invariant 32-bit checksum of every non-negative sample of ``S``.

    64 of a sample's bins relative to their mean, in whole dB: coarse enough
    that the float rounding of a rescaled input almost never crosses a step
    (about one sample in a few hundred), fine enough to tell real clips apart.
    A silent sample's fingerprint is 0. Computed as one batch.
    """
    S2 = S.reshape(S.shape[0], -1)
    bins = S2[:, :: max(1, S2.shape[1] // 64)].astype(np.float64)
    ref = bins.mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        level = np.round(10 * np.log10(bins / ref[:, np.newaxis]))  # 1 dB steps
    level = np.ascontiguousarray(np.where(np.isfinite(level), level, -1e9),
                                 dtype=np.int64)
    rows, size = memoryview(level).cast("B"), level.shape[1] * 8
    return np.array([zlib.crc32(rows[i * size:(i + 1) * size]) if positive else 0
                     for i, positive in enumerate((ref > 0).tolist())], dtype=np.uint64)


def checked_callable_noise(noise, sample_shape, rng, dtype, *, owner):
    """A noise callable's draw for one sample, checked and flattened."""
    drawn = np.asarray(noise((1, *sample_shape), rng), dtype=dtype)
    if drawn.size != int(np.prod(sample_shape)):
        raise InvalidParameterError(
            f"{owner}: the noise callable returned shape {drawn.shape}; "
            f"expected {(1, *sample_shape)}."
        )
    if not np.all(np.isfinite(drawn)) or np.any(drawn < 0):
        raise InvalidParameterError(
            f"{owner}: the noise callable must return finite non-negative power.")
    return drawn.ravel()


def check_noise_array(noise, sample_shape, *, owner):
    """A fixed noise array, checked: it broadcasts to one sample, finite, >= 0."""
    N = np.asarray(noise, dtype=np.float64)
    try:
        np.broadcast_to(N, sample_shape)
    except ValueError:
        raise InvalidParameterError(
            f"{owner}: the noise array has shape {N.shape}, which does not "
            f"broadcast to one sample's shape {sample_shape}."
        ) from None
    if not np.all(np.isfinite(N)) or np.any(N < 0):
        raise InvalidParameterError(
            f"{owner}: the noise array must be finite non-negative power.")
    return N
