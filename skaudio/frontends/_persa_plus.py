"""PERSA+: noise injection, log compression and mean subtraction (eq. 1-3)."""

from functools import partial
from numbers import Real

import numpy as np

from .._docs import fill_doc
from .._hashed_noise import add_hashed_noise, exponential_variates, inject_noise, noise_keys
from .._params import N_JOBS_CONSTRAINT, POSITIVE_REAL, Interval, StrOptions
from ._base import FrontEnd, apply_frontend, flat, row_means, run_kernel
from ._log import _per_sample_norm
from ._noise import (
    NOISE_COLORS,
    base_seed,
    check_noise_array,
    checked_callable_noise,
    fingerprints,
    sample_generators,
    sample_psd,
)

_PERSA_PLUS_PARAMS = {
    "q": [Interval(Real, None, None, closed="right")],  # finite or +inf
    "noise": [StrOptions(set(NOISE_COLORS)), "array-like", callable],
    "band_frequencies": ["array-like", None],
    "random_state": ["random_state"],
    "amin": POSITIVE_REAL,
    "n_jobs": N_JOBS_CONSTRAINT,
}


def _persa_plus_kernel(q, noise, band_frequencies, base, amin, sample_shape, dtype,
                       owner):
    """PERSA+ on a chunk: noise power into the output buffer, then eq. 1-3."""
    level = 10 ** (q / 10)
    if isinstance(noise, str):
        variates = exponential_variates(dtype)
        weight = sample_psd(sample_shape, noise, band_frequencies,
                            owner=owner).astype(dtype)
    elif not callable(noise):
        fixed = np.ascontiguousarray(np.broadcast_to(noise, sample_shape),
                                     dtype=dtype).ravel()
        fixed_sum = fixed.sum(dtype=np.float64)

    def given_noise(S, P):
        """The callable's or the array's noise into ``P``; each row's sum."""
        if callable(noise):
            for i, rng in enumerate(sample_generators(S, base)):
                P[i] = checked_callable_noise(noise, sample_shape, rng, dtype, owner=owner)
            return P.sum(axis=1, dtype=np.float64)
        P[...] = fixed
        return np.full(P.shape[0], fixed_sum)

    def kernel(S, out, lowest, low=None, high=None):
        S2, P = flat(S), flat(out)
        if isinstance(noise, str):
            add_hashed_noise(S2, P, low, high, variates, weight, level, amin)
        else:
            inject_noise(S2, P, given_noise(S, P), level, amin)
        np.log10(P, out=P)
        ref = row_means(P)
        P -= ref[:, np.newaxis]
        return np.isfinite(ref).all()

    return kernel


def _persa_plus(S, *, q, noise, band_frequencies, random_state, amin, n_jobs, owner):
    if np.isinf(q):
        return _per_sample_norm(S, method="subtract", amin=amin, n_jobs=n_jobs)
    sample_shape = S.shape[1:]
    if not isinstance(noise, str) and not callable(noise):
        noise = check_noise_array(noise, sample_shape, owner=owner)
    base = base_seed(random_state)
    kernel = _persa_plus_kernel(q, noise, band_frequencies, base, amin, sample_shape,
                                S.dtype, owner)
    # The coloured noises' keys, for the whole batch at once.
    keys = noise_keys(fingerprints(S), base) if isinstance(noise, str) else ()
    return run_kernel(kernel, S, n_jobs, per_sample=keys)


@fill_doc
def persa_plus(S, *, q=9.0, noise="pink", band_frequencies=None, random_state=None,
               amin=1e-10, n_jobs=None):
    """PERSA+: noise injection, log compression and mean subtraction (eq. 1-3).

    The PERSA+ paper writes eq. 1 for magnitudes ``S``:
    ``S_n = (S**2 + N**2 * p_s / (p_n * 10**(q/10)))**(1/2)``, with ``p_s`` and
    ``p_n`` the powers of the signal and the noise. On a power input ``P = S**2``
    this is ``P_n = P + N_p * mean(P) / (mean(N_p) * 10**(q / 10))``: the
    injected noise has, on average over the sample's bins, exactly ``q`` dB less
    power than the sample itself. Then (eq. 2-3) ``L = log10 P_n`` and
    ``L - mean(L)``. ``q=np.inf`` injects nothing (PERSA). The function behind
    :class:`skaudio.frontends.PersaPlus`.

    Parameters
    ----------
    S : array-like of shape (n, n_frames, n_bands[, n_channels]) or (n, n_features)
        Non-negative time-frequency power.
    q : float, default=9.0
        Level of the noise below the sample's power, in dB; ``np.inf`` for
        none (``-np.inf`` and NaN are rejected).
    noise : {"pink", "white", "brown"}, array-like or callable, default="pink"
        The noise's power ``N_p``: a colour (the power of a Gaussian noise,
        an exponential variate per bin times the colour's spectral density at
        the band, drawn anew for every sample), a fixed array broadcastable to
        one sample's shape ``S.shape[1:]``, or ``callable((1, *S.shape[1:]),
        rng)`` called once per sample with that sample's generator
        (:func:`skaudio.frontends.sample_generators`).
    band_frequencies : array-like of shape (n_bands,) or None, default=None
        Band centres for the coloured noises (see
        :func:`skaudio.frontends.colored_noise`).
    random_state : int, RandomState instance or None, default=None
        Seeds the noise. Each sample's noise is seeded by ``random_state``
        and a gain-invariant checksum of the sample (see
        :func:`skaudio.frontends.sample_generators`): with an int, a sample's
        output is the same in any batch, order or subset and at any gain,
        while different samples get independent noise. The coloured noises
        come from a counter-based generator (an integer hash of a per-sample
        key mixed from the two and the bin's index; 15 random bits per bin, so
        the unit exponential variates reach at most ``ln(2**16)``, about
        11.1), drawn and added by compiled kernels in one pass over each chunk
        of samples (see ``skaudio._hashed_noise``).
    amin : float, default=1e-10
        Floor inside the logarithm.
    {n_jobs}

    Returns
    -------
    Z : ndarray of the same shape and float dtype as ``S``
        In bels, zero mean over each sample's bins.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A Deep
       Learning Front-End for Context-Agnostic Audio Classification", section IV,
       eq. 1-3.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).random((2, 10, 8))
    >>> out = persa_plus(S, q=9, random_state=0)
    >>> out.shape, bool(np.allclose(out.mean(axis=(1, 2)), 0))
    ((2, 10, 8), True)
    """
    return apply_frontend("persa_plus", S, _PERSA_PLUS_PARAMS,
                          partial(_persa_plus, owner="persa_plus"),
                          dict(q=q, noise=noise, band_frequencies=band_frequencies,
                               random_state=random_state, amin=amin, n_jobs=n_jobs))


@fill_doc
class PersaPlus(FrontEnd):
    """PERSA+: noise injection ``q`` dB below the sample, log, mean subtraction.

    Implements eq. 1-3 of Vrysis et al. on a **power** input (see
    :func:`skaudio.frontends.persa_plus` for the math): coloured noise whose
    mean power is ``q`` dB below the sample's own mean power is added to every
    bin, so content more than about ``q`` dB under the sample's level is
    masked the same way in every recording, whatever its noise floor or gain;
    then ``log10`` and per-sample mean subtraction (PERSA). The paper's ±3 dB
    random *training* gain (section IV-C) is not part of the transformer: it
    belongs to the network estimator (``gain_augment_db``), since a
    transformer must give the same output at training and prediction time.

    Parameters
    ----------
    q : float, default=9.0
        Noise level below the sample's power in dB (the paper's choice is 9);
        ``np.inf`` disables the noise (PERSA).
    noise : {"pink", "white", "brown"}, array-like or callable, default="pink"
        The noise's time-frequency power: a colour (random, drawn anew for
        every sample), a fixed array broadcastable to one sample's shape, or
        ``callable((1, *sample_shape), rng) -> array`` called per sample.
    band_frequencies : array-like of shape (n_bands,) or None, default=None
        Band centre frequencies in Hz that shape the coloured noises; ``None``
        assumes Slaney mel bands over 0-8 kHz (MelSpectrogram at 16 kHz). Use
        ``librosa.mel_frequencies(n_mels + 2, fmin=..., fmax=...)[1:-1]`` for
        other settings.
    random_state : int, RandomState instance or None, default=None
        Seeds the noise together with each sample's content: with an int, a
        sample's output is the same whenever and in whatever batch it is
        transformed (so ``fit_transform`` equals ``fit().transform`` and
        pipelines cache), and different samples get independent noise. A
        ``RandomState`` instance is drawn from on every ``transform`` (its
        state, and so the noise and ``Pipeline(memory=...)``'s cache key,
        change from call to call); ``None`` gives new noise on every call. Use
        an int with a cached pipeline.
    amin : float, default=1e-10
        Floor of the power before the log; silent samples give zeros.
    {n_jobs}

    See Also
    --------
    skaudio.frontends.PerSampleNorm : the same without noise.
    skaudio.frontends.persa_plus : the function this transformer applies.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A Deep
       Learning Front-End for Context-Agnostic Audio Classification", section IV,
       eq. 1-3; ``q = 9`` dB from Fig. 1 and section VI.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).random((4, 20, 16))
    >>> Z = PersaPlus(q=9, random_state=0).fit_transform(S)
    >>> Z.shape, bool(np.allclose(Z, PersaPlus(q=9, random_state=0).transform(S)))
    ((4, 20, 16), True)
    """

    _parameter_constraints = _PERSA_PLUS_PARAMS
    _compute = staticmethod(partial(_persa_plus, owner="PersaPlus"))

    def __init__(self, q=9.0, noise="pink", band_frequencies=None, random_state=None,
                 amin=1e-10, n_jobs=None):
        self.q = q
        self.noise = noise
        self.band_frequencies = band_frequencies
        self.random_state = random_state
        self.amin = amin
        self.n_jobs = n_jobs

    @classmethod
    def _get_test_params(cls):
        """Cheap configurations for the common tests (see :mod:`skaudio.discovery`)."""
        return [{"q": 9.0, "random_state": 0}, {"q": np.inf, "noise": "white"}]
