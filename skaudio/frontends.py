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
* **Speed**: every front-end works on chunks of whole samples small enough to
  stay in the processor's cache, in ``n_jobs`` threads (default: every core),
  checking the input's values as it goes; the result does not depend on
  ``n_jobs`` or on the batch. See ``benchmarks/frontends.py``.
* **Caching**: the transformers hold nothing but their parameters and their
  output is a function of parameters and input (PERSA+'s noise included, with
  an int ``random_state``), so ``Pipeline(memory=...)`` caches them safely.
"""

import functools
import zlib
from concurrent.futures import ThreadPoolExecutor

import librosa
import numpy as np
import scipy.ndimage
import scipy.signal
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state

from ._hashed_noise import (
    add_hashed_noise,
    exponential_variates,
    inject_noise,
    noise_keys,
)
from ._validation import (
    check_n_jobs,
    check_positive_int,
    check_scalar_real,
    check_time_frequency,
    seed_of,
    thread_count,
)
from .base import VersionedStateMixin

NOISE_COLORS = {"white": 0.0, "pink": 1.0, "brown": 2.0}

# Bins of the samples one thread processes at a time: 4 MiB of float32. Every
# numpy call releases and retakes the GIL, which the other thread may hold:
# chunks this large keep those hand-overs few, and still sit in the
# processor's last-level cache between a kernel's passes (measured here: 1 MiB
# chunks, which fit the per-core cache, were slower).
_CHUNK_ELEMENTS = 2**20


def _sample_axes(S):
    """Axes that hold one sample's bins: all but the first."""
    return tuple(range(1, S.ndim))


def _log10(S, amin):
    return np.log10(np.maximum(S, S.dtype.type(amin)))


def _row_means(X2):
    """Mean of every row of a C-contiguous 2-D array, in its own dtype.

    ``einsum`` sums each row the same way whatever the number of rows (so a
    sample's mean does not depend on its batch) and several times faster than
    ``mean``'s pairwise summation.
    """
    return np.einsum("ij->i", X2) / X2.dtype.type(X2.shape[1])


def _map_chunks(kernel, S, n_jobs, per_sample=()):
    """Apply ``kernel(S_chunk, out_chunk, lowest, *per_sample_chunks)`` to chunks.

    Chunks of whole samples, about ``_CHUNK_ELEMENTS`` bins each, go to
    ``n_jobs`` threads (numpy releases the GIL), each thread taking the next
    chunk as it finishes one and writing its part of one output array.
    ``lowest`` is the chunk's smallest value; ``per_sample`` arrays (one row per
    sample) are sliced like the chunk. Returns the output and whether every
    kernel call returned True (its output is finite) and every chunk is
    non-negative and not NaN (checked while the chunk is in the cache, instead
    of in passes of their own).
    """
    S = np.ascontiguousarray(S)
    out = np.empty_like(S)
    per = max(1, _CHUNK_ELEMENTS // max(1, S[0].size))
    starts = range(0, S.shape[0], per)
    next_starts = iter(starts)  # shared: taking an item is atomic under the GIL

    def work(_):
        finite = True
        for start in next_starts:
            rows = slice(start, start + per)
            chunk = S[rows]
            lowest = chunk.min()
            if not lowest >= 0:  # False for NaN too
                return False
            extra = [a[rows] for a in per_sample]
            finite &= bool(kernel(chunk, out[rows], lowest, *extra))
        return finite

    n_workers = min(thread_count(n_jobs), len(starts))
    if n_workers > 1:
        with ThreadPoolExecutor(n_workers) as pool:
            finite = all(list(pool.map(work, range(n_workers))))
    else:
        finite = work(0)
    return out, finite


def _flat(A):
    """``(n, ...)`` as ``(n, bins)`` without a copy (A is C-contiguous)."""
    return A.reshape(A.shape[0], -1)


def _floored_log10(S2, L, amin, lowest):
    """``L = log10(max(S2, amin))`` for 2-D arrays; the floor only where needed.

    The floor is a pass of its own, skipped when the chunk's ``lowest`` value
    is above it; numpy's ``maximum`` is several times faster with a row of
    ``amin`` than with a scalar.
    """
    if lowest >= amin:
        return np.log10(S2, out=L)
    np.maximum(S2, np.full(S2.shape[1], amin, dtype=S2.dtype), out=L)
    return np.log10(L, out=L)


def _log_kernel(amin):
    def kernel(S, out, lowest):
        _floored_log10(_flat(S), _flat(out), amin, lowest)
        return np.isfinite(out).all()
    return kernel


def _persa_kernel(method, amin):
    def kernel(S, out, lowest):
        S2, L = _flat(S), _flat(out)
        _floored_log10(S2, L, amin, lowest)
        if method == "subtract":
            ref = _row_means(L)
        else:  # log10 of the mean power, floored like the bins
            ref = _log10(_row_means(S2), amin)
        L -= ref[:, np.newaxis]
        # Every bin's log is finite when its sample's mean is (input >= 0).
        return np.isfinite(ref).all()
    return kernel


def _run(kernel, S, n_jobs, per_sample=()):
    """``_map_chunks`` checking the input's values, overflow left to ``_apply``."""
    with np.errstate(over="ignore", invalid="ignore"):
        return _map_chunks(kernel, S, n_jobs, per_sample)


def _apply(owner, S, check_params, compute, params):
    """Check ``params`` and ``S``, then ``compute(S, **params)``, with clear errors.

    The shared path of every front-end function and transformer: the shape and
    dtype are checked first, the values (non-negative, not NaN) while they are
    transformed; on a failure the full check says what was wrong, and an
    output that overflowed the dtype says so.
    """
    check_params(owner, **params)
    S = check_time_frequency(S, name=owner, check_values=False)
    out, ok = compute(S, **params)
    if not ok:
        check_time_frequency(S, name=owner)
        raise ValueError(
            f"{owner} overflowed {S.dtype} on input values up to {S.max():.3g}; "
            "pass float64 input or rescale it."
        )
    return out


def _check_log_params(owner, *, amin, n_jobs):
    check_scalar_real(amin, "amin", owner=owner, min_val=0, include_min=False)
    check_n_jobs(n_jobs, owner=owner)


def _log_compression(S, *, amin, n_jobs):
    return _run(_log_kernel(amin), S, n_jobs)


def log_compression(S, *, amin=1e-10, n_jobs=-1):
    """LOG: ``log10(max(S, amin))`` of a power spectrogram.

    ``n_jobs`` threads (``-1``: every core) work on chunks of samples; the
    result does not depend on it.

    Examples
    --------
    >>> import numpy as np
    >>> log_compression(np.array([[1.0, 100.0, 0.0]]))
    array([[  0.,   2., -10.]])
    """
    return _apply("log_compression", S, _check_log_params, _log_compression,
                  dict(amin=amin, n_jobs=n_jobs))


def _check_per_sample_norm_params(owner, *, method, amin, n_jobs):
    _check_log_params(owner, amin=amin, n_jobs=n_jobs)
    if method not in ("subtract", "divide"):
        raise ValueError(
            f"{owner}: method must be 'subtract' or 'divide'; got {method!r}."
        )


def _per_sample_norm(S, *, method, amin, n_jobs):
    return _run(_persa_kernel(method, amin), S, n_jobs)


def per_sample_norm(S, *, method="subtract", amin=1e-10, n_jobs=-1):
    """PERSA: per-sample energy normalisation (PERSA+ paper, sections III, IV-C).

    ``method="subtract"``: ``log10 S - mean(log10 S)`` over the sample's bins
    (the paper's choice). ``method="divide"``: ``log10(S / mean(S))``, the
    "mean division then log" variant. Both are exactly invariant to a gain:
    ``per_sample_norm(g * S) == per_sample_norm(S)`` for ``g > 0`` (while no
    bin sits at the ``amin`` floor). Computed in one pass over each chunk of
    samples, in ``n_jobs`` threads (``-1``: every core).

    Examples
    --------
    >>> import numpy as np
    >>> per_sample_norm(np.array([[1.0, 100.0]]))
    array([[-1.,  1.]])
    """
    return _apply("per_sample_norm", S, _check_per_sample_norm_params,
                  _per_sample_norm, dict(method=method, amin=amin, n_jobs=n_jobs))


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


def _sample_psd(sample_shape, color, band_frequencies):
    """The colour's band PSD broadcast over one sample's bins, flattened."""
    n_bands = sample_shape[1] if len(sample_shape) > 1 else sample_shape[0]
    psd = _band_psd(n_bands, color, band_frequencies)
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


def _base_seed(random_state):
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
    :func:`persa_plus` uses these generators for a callable ``noise``; its
    coloured noises come from the same seeds through a faster counter-based
    generator (see :func:`persa_plus`).
    """
    base = _base_seed(random_state)
    for fingerprint in _fingerprints(S):
        yield np.random.default_rng([base, int(fingerprint)])


def _fingerprint(sample):
    """A gain-invariant 32-bit checksum of a non-negative sample.

    64 of its bins relative to their mean, in whole dB: coarse enough that the
    float rounding of a rescaled input almost never crosses a step (about one
    sample in a few hundred), fine enough to tell real clips apart.
    """
    return int(_fingerprints(sample[np.newaxis])[0])


def _fingerprints(S):
    """``_fingerprint`` of every sample of ``S``, computed as one batch."""
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


def _persa_plus_kernel(q, noise, band_frequencies, base, amin, sample_shape, dtype):
    """PERSA+ on a chunk: noise power into the output buffer, then eq. 1-3."""
    level = 10 ** (q / 10)
    if isinstance(noise, str):
        variates = exponential_variates(dtype)
        weight = _sample_psd(sample_shape, noise, band_frequencies).astype(dtype)
    elif not callable(noise):
        fixed = np.ascontiguousarray(np.broadcast_to(noise, sample_shape),
                                     dtype=dtype).ravel()
        fixed_sum = fixed.sum(dtype=np.float64)

    def given_noise(S, P):
        """The callable's or the array's noise into ``P``; each row's sum."""
        if callable(noise):
            for i, rng in enumerate(sample_generators(S, base)):
                P[i] = _checked_callable_noise(noise, sample_shape, rng, dtype)
            return P.sum(axis=1, dtype=np.float64)
        P[...] = fixed
        return np.full(P.shape[0], fixed_sum)

    def kernel(S, out, lowest, low=None, high=None):
        S2, P = _flat(S), _flat(out)
        if isinstance(noise, str):
            add_hashed_noise(S2, P, low, high, variates, weight, level, amin)
        else:
            inject_noise(S2, P, given_noise(S, P), level, amin)
        np.log10(P, out=P)
        ref = _row_means(P)
        P -= ref[:, np.newaxis]
        return np.isfinite(ref).all()

    return kernel


def _checked_callable_noise(noise, sample_shape, rng, dtype):
    drawn = np.asarray(noise((1, *sample_shape), rng), dtype=dtype)
    if drawn.size != int(np.prod(sample_shape)):
        raise ValueError(
            f"PersaPlus: the noise callable returned shape {drawn.shape}; "
            f"expected {(1, *sample_shape)}."
        )
    if not np.all(np.isfinite(drawn)) or np.any(drawn < 0):
        raise ValueError("PersaPlus: the noise callable must return finite "
                         "non-negative power.")
    return drawn.ravel()


def _check_noise_array(noise, sample_shape):
    N = np.asarray(noise, dtype=np.float64)
    try:
        np.broadcast_to(N, sample_shape)
    except ValueError:
        raise ValueError(
            f"PersaPlus: the noise array has shape {N.shape}, which does not "
            f"broadcast to one sample's shape {sample_shape}."
        ) from None
    if not np.all(np.isfinite(N)) or np.any(N < 0):
        raise ValueError("PersaPlus: the noise array must be finite non-negative power.")
    return N


def persa_plus(S, *, q=9.0, noise="pink", band_frequencies=None, random_state=None,
               amin=1e-10, n_jobs=-1):
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
        The noise's power ``N_p``: a colour (the power of a Gaussian noise,
        an exponential variate per bin times the colour's spectral density at
        the band, drawn anew for every sample), a fixed array broadcastable to
        one sample's shape ``S.shape[1:]``, or ``callable((1, *S.shape[1:]),
        rng)`` called once per sample with that sample's generator
        (:func:`sample_generators`).
    band_frequencies : array or None
        Band centres for the coloured noises (see :func:`colored_noise`).
    random_state : int, RandomState instance or None
        Seeds the noise. Each sample's noise is seeded by ``random_state``
        and a gain-invariant checksum of the sample (see
        :func:`sample_generators`): with an int, a sample's output is the same
        in any batch, order or subset and at any gain, while different samples
        get independent noise. The coloured noises come from a counter-based
        generator (an integer hash of a per-sample key mixed from the two and
        the bin's index; 15 random bits per bin, so the unit exponential
        variates reach at most ``ln(2**16)``, about 11.1), drawn and added by
        compiled kernels in one pass over each chunk of samples (see
        ``skaudio._hashed_noise``).
    amin : float, default=1e-10
        Floor inside the logarithm.
    n_jobs : int or None, default=-1
        Threads working on chunks of samples (``-1``: every core); the result
        does not depend on it.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).random((2, 10, 8))
    >>> out = persa_plus(S, q=9, random_state=0)
    >>> out.shape, bool(np.allclose(out.mean(axis=(1, 2)), 0))
    ((2, 10, 8), True)
    """
    return _apply("persa_plus", S, _check_persa_plus_params, _persa_plus,
                  dict(q=q, noise=noise, band_frequencies=band_frequencies,
                       random_state=random_state, amin=amin, n_jobs=n_jobs))


def _check_persa_plus_params(owner, *, q, noise, band_frequencies, random_state, amin,
                             n_jobs):
    _check_log_params(owner, amin=amin, n_jobs=n_jobs)
    check_scalar_real(q, "q", owner=owner, allow_inf=True)
    if np.isneginf(q):
        raise ValueError(f"{owner}: q must be finite or +inf; got -inf.")
    if isinstance(noise, str) and noise not in NOISE_COLORS:
        raise ValueError(
            f"{owner}: noise must be one of {sorted(NOISE_COLORS)}, an array "
            f"or a callable; got {noise!r}."
        )


def _persa_plus(S, *, q, noise, band_frequencies, random_state, amin, n_jobs):
    if np.isinf(q):
        return _per_sample_norm(S, method="subtract", amin=amin, n_jobs=n_jobs)
    sample_shape = S.shape[1:]
    if not isinstance(noise, str) and not callable(noise):
        noise = _check_noise_array(noise, sample_shape)
    base = _base_seed(random_state)
    kernel = _persa_plus_kernel(q, noise, band_frequencies, base, amin, sample_shape,
                                S.dtype)
    # The coloured noises' keys, for the whole batch at once.
    keys = noise_keys(_fingerprints(S), base) if isinstance(noise, str) else ()
    return _run(kernel, S, n_jobs, per_sample=keys)


def _log_threshold_kernel(c):
    def kernel(S, out, lowest):
        S2, L = _flat(S), _flat(out)
        peak = S2.max(axis=1)
        # A silent sample (peak 0) is all zeros: scaling it by 1 keeps it so.
        # Multiplying by the reciprocal (within one rounding of dividing) is
        # several times faster than dividing.
        inverse = 1 / np.where(peak > 0, peak, 1)
        np.multiply(S2, inverse.astype(S2.dtype, copy=False)[:, np.newaxis], out=L)
        L += S2.dtype.type(10 ** (-c / 10))
        np.log10(L, out=L)
        return np.isfinite(peak).all()
    return kernel


def log_threshold(S, *, c=30.0, n_jobs=-1):
    """LOG-T: per-sample maximum normalisation and thresholded log (eq. 4).

    ``log10(S / max(S) + 10**(-c / 10))``. The floor sits ``c`` dB below the
    sample's maximum (the plain-text eq. 4 prints ``10**(c/20)``: with a positive
    exponent the floor would lie above the maximum and ``c`` could not be a
    dynamic range; ``c/10`` rather than ``c/20`` because the input is power).
    The output lies in ``[-c/10, log10(1 + 10**(-c/10))]`` bels: a dynamic range
    of at most ``10 * log10(10**(c/10) + 1)`` dB, which exceeds ``c`` by less
    than 0.005 dB for ``c >= 30``. An all-zero sample gives ``-c/10`` everywhere.
    ``n_jobs`` threads (``-1``: every core) work on chunks of samples.

    Examples
    --------
    >>> import numpy as np
    >>> out = log_threshold(np.array([[1.0, 1e-6]]), c=30)
    >>> [round(float(v), 4) for v in out[0]]
    [0.0004, -2.9996]
    """
    return _apply("log_threshold", S, _check_log_threshold_params, _log_threshold,
                  dict(c=c, n_jobs=n_jobs))


def _check_log_threshold_params(owner, *, c, n_jobs):
    check_scalar_real(c, "c", owner=owner, min_val=0, include_min=False)
    check_n_jobs(n_jobs, owner=owner)


def _log_threshold(S, *, c, n_jobs):
    return _run(_log_threshold_kernel(c), S, n_jobs)


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


def pcen(S, *, sr=16000, hop_length=512, gain=0.98, bias=2.0, power=0.5,
         time_constant=0.400, eps=1e-6, b=None, max_size=1, input_scale=2**31,
         n_jobs=-1):
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
    dtype on cache-sized chunks of samples in ``n_jobs`` threads (``-1``:
    every core): equal to ``librosa.pcen`` to float64 rounding for float64
    input, and to about ``1e-6`` relative for float32 input (which librosa
    computes in float64).

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).random((2, 50, 8))
    >>> pcen(S).shape
    (2, 50, 8)
    """
    return _apply("pcen", S, _check_pcen_params, _pcen,
                  dict(sr=sr, hop_length=hop_length, gain=gain, bias=bias, power=power,
                       time_constant=time_constant, eps=eps, b=b, max_size=max_size,
                       input_scale=input_scale, n_jobs=n_jobs))


def _check_pcen_params(owner, *, sr, hop_length, gain, bias, power, time_constant, eps,
                       b, max_size, input_scale, n_jobs):
    positive = dict(min_val=0, include_min=False)
    for name, value, kwargs in [
        ("sr", sr, positive),
        ("hop_length", hop_length, positive),
        ("gain", gain, dict(min_val=0)),
        ("bias", bias, dict(min_val=0)),
        ("power", power, dict(min_val=0)),
        ("time_constant", time_constant, positive),
        ("eps", eps, positive),
        ("input_scale", input_scale, positive),
    ]:
        check_scalar_real(value, name, owner=owner, **kwargs)
    if b is not None:
        b = check_scalar_real(b, "b", owner=owner, min_val=0)
        if b > 1:
            raise ValueError(f"{owner}: b must lie in [0, 1]; got {b}.")
    check_positive_int(max_size, "max_size", owner=owner)
    check_n_jobs(n_jobs, owner=owner)


def _pcen(S, *, sr, hop_length, gain, bias, power, time_constant, eps, b, max_size,
          input_scale, n_jobs):
    two_d = S.ndim == 2
    S3 = S[:, np.newaxis, :] if two_d else S
    kernel = _pcen_kernel(sr, hop_length, gain, bias, power, time_constant, eps, b,
                          max_size, input_scale, S.dtype)
    out, ok = _run(kernel, S3, n_jobs)
    return (out[:, 0, :] if two_d else out), ok


@functools.lru_cache(maxsize=None)
def _param_names(cls):
    # scikit-learn reads them from __init__'s signature, about 20 us a call:
    # a tenth of a single clip's PERSA+, once per class here.
    return cls._get_param_names()


class _FrontEnd(VersionedStateMixin, TransformerMixin, BaseEstimator):
    """Shared shell of the stateless per-sample front-ends.

    A subclass names its parameter check and its computation, the private
    functions behind its public function (same parameters, ``(out, ok)``
    result), as ``_check_params`` and ``_compute``.
    """

    _check_params = None
    _compute = None

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
        name = type(self).__name__
        self._check_params(name, **self._params())
        X = check_time_frequency(X, name=name)
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
        return _apply(type(self).__name__, X, self._check_params, self._compute,
                      self._params())

    def _params(self):
        return {name: getattr(self, name) for name in _param_names(type(self))}

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
    n_jobs : int or None, default=-1
        Threads working on chunks of samples (``-1``: every core, ``None``:
        one); the output does not depend on it.

    Examples
    --------
    >>> import numpy as np
    >>> LogCompression().fit_transform(np.array([[1.0, 10.0]]))
    array([[0., 1.]])
    """

    _check_params = staticmethod(_check_log_params)
    _compute = staticmethod(_log_compression)

    def __init__(self, amin=1e-10, n_jobs=-1):
        self.amin = amin
        self.n_jobs = n_jobs


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
    n_jobs : int or None, default=-1
        Threads working on chunks of samples (``-1``: every core, ``None``:
        one); the output does not depend on it.

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

    _check_params = staticmethod(_check_per_sample_norm_params)
    _compute = staticmethod(_per_sample_norm)

    def __init__(self, method="subtract", amin=1e-10, n_jobs=-1):
        self.method = method
        self.amin = amin
        self.n_jobs = n_jobs


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
        pipelines cache), and different samples get independent noise. A
        ``RandomState`` instance is drawn from on every ``transform`` (its
        state, and so the noise and ``Pipeline(memory=...)``'s cache key,
        change from call to call); ``None`` gives new noise on every call. Use
        an int with a cached pipeline.
    amin : float, default=1e-10
        Floor of the power before the log; silent samples give zeros.
    n_jobs : int or None, default=-1
        Threads working on chunks of samples (``-1``: every core, ``None``:
        one); the output does not depend on it.

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

    _check_params = staticmethod(_check_persa_plus_params)
    _compute = staticmethod(_persa_plus)

    def __init__(self, q=9.0, noise="pink", band_frequencies=None, random_state=None,
                 amin=1e-10, n_jobs=-1):
        self.q = q
        self.noise = noise
        self.band_frequencies = band_frequencies
        self.random_state = random_state
        self.amin = amin
        self.n_jobs = n_jobs


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
    n_jobs : int or None, default=-1
        Threads working on chunks of samples (``-1``: every core, ``None``:
        one); the output does not depend on it.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).random((2, 10, 8))
    >>> Z = LogThreshold(c=30).fit_transform(S)
    >>> bool(Z.max() <= 0.001 and Z.min() >= -3.0)
    True
    """

    _check_params = staticmethod(_check_log_threshold_params)
    _compute = staticmethod(_log_threshold)

    def __init__(self, c=30.0, n_jobs=-1):
        self.c = c
        self.n_jobs = n_jobs


class PCEN(_FrontEnd):
    """Per-channel energy normalisation (librosa's algorithm and defaults).

    :func:`librosa.pcen`'s steps along time for every sample, band and
    channel independently, computed in batches without librosa (see
    :func:`pcen`; equal to it to float64 rounding). ``sr`` and ``hop_length`` set the
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
    n_jobs : int or None, default=-1
        Threads working on chunks of samples (``-1``: every core, ``None``:
        one); the output does not depend on it.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).random((2, 50, 8))
    >>> bool((PCEN().fit_transform(S) >= 0).all())
    True
    """

    _check_params = staticmethod(_check_pcen_params)
    _compute = staticmethod(_pcen)

    def __init__(self, sr=16000, hop_length=512, gain=0.98, bias=2.0, power=0.5,
                 time_constant=0.400, eps=1e-6, b=None, max_size=1, input_scale=2**31,
                 n_jobs=-1):
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
