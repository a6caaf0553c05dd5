"""PERSA+'s noise: a counter-based generator and compiled kernels that inject it.

:func:`skaudio.frontends.persa_plus` adds to every sample a noise whose bins
are unit exponential variates times a colour's spectral density, at ``q`` dB
below the sample's power. The variates come from a counter-based generator, so
that a chunk of samples is drawn without one generator object per sample:

* every sample has a 64-bit key (:func:`noise_keys`), whose low and high
  halves are ``k1`` and ``k2``;
* bin ``j`` takes 16 bits of the word ``hash32((k1 + (j // 2) * golden) ^ k2)``
  (the low half for even ``j``, the high half for odd ``j``) and keeps their 15
  high bits ``m``;
* its variate is ``-ln((2 m + 1) / 2**16)``, minus the log of a uniform
  variate in ``(0, 1)``: a unit exponential, read from a table of the 2**15
  values (largest ``ln(2**16)``, about 11.1).

``hash32`` is Wellons' "lowbias32" integer hash and ``golden`` the 32-bit
golden ratio ``0x9E3779B9``. Drawing, scaling, adding and flooring are compiled
with numba (which librosa depends on) and done a sample at a time while it is
in the cache, instead of in the dozen numpy passes over the batch they would
take; the kernels release the GIL, so the front-ends' threads run them side by
side.
"""

from functools import lru_cache

import numba
import numpy as np

# Sums are reassociated so that they vectorise; nothing else is relaxed.
_JIT = dict(nogil=True, cache=True, fastmath={"reassoc"})

_GOLDEN64 = np.uint64(0x9E3779B97F4A7C15)


def _mix64(z):
    """SplitMix64's output function (Steele et al., 2014), in place on uint64."""
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


def noise_keys(fingerprints, base):
    """Every sample's noise key from the base seed and the sample's fingerprint.

    Parameters
    ----------
    fingerprints : ndarray of uint64, one per sample
    base : int, the base seed

    Returns
    -------
    low, high : ndarray of uint32
        The low and high 32 bits of each sample's 64-bit key.
    """
    with np.errstate(over="ignore"):
        keys = _mix64(np.full(len(fingerprints), base % 2**64, dtype=np.uint64)
                      * _GOLDEN64)
        keys ^= fingerprints
        keys = _mix64(keys)
    return ((keys & np.uint64(0xFFFFFFFF)).astype(np.uint32),
            (keys >> np.uint64(32)).astype(np.uint32))


@lru_cache(maxsize=None)
def exponential_variates(dtype):
    """``-ln((2 m + 1) / 2**16)`` for every 15-bit ``m``, in ``dtype``."""
    m = np.arange(2**15, dtype=np.float64)
    table = (-np.log((2 * m + 1) / 2**16)).astype(dtype)
    table.flags.writeable = False
    return table


@numba.njit(**_JIT)
def _hash32(x):
    """Wellons' "lowbias32" integer hash of a uint32."""
    x ^= x >> np.uint32(16)
    x = np.uint32(x * np.uint32(0x7FEB352D))
    x ^= x >> np.uint32(15)
    x = np.uint32(x * np.uint32(0x846CA68B))
    x ^= x >> np.uint32(16)
    return x


@numba.njit(**_JIT)
def _word(w, k1, k2):
    return _hash32(np.uint32(np.uint32(np.uint32(w) * np.uint32(0x9E3779B9)) + k1) ^ k2)


@numba.njit(**_JIT)
def _draw_row(out, k1, k2, variates, weight):
    """One sample's noise into ``out``; returns its sum."""
    n_bins = out.shape[0]
    total = 0.0
    for w in range(n_bins // 2):
        h = _word(w, k1, k2)
        a = variates[(h & np.uint32(0xFFFF)) >> np.uint32(1)] * weight[2 * w]
        b = variates[h >> np.uint32(17)] * weight[2 * w + 1]
        out[2 * w] = a
        out[2 * w + 1] = b
        total += a + b
    if n_bins % 2:
        h = _word(n_bins // 2, k1, k2)
        a = variates[(h & np.uint32(0xFFFF)) >> np.uint32(1)] * weight[n_bins - 1]
        out[n_bins - 1] = a
        total += a
    return total


@numba.njit(**_JIT)
def _inject_row(s, p, noise_total, level, typed):
    total = 0.0
    for j in range(s.shape[0]):
        total += s[j]
    typed[0] = total / (noise_total * level) if noise_total > 0 else 0.0
    scale, floor = typed[0], typed[1]
    for j in range(s.shape[0]):
        x = s[j] + p[j] * scale
        p[j] = floor if x < floor else x


@numba.njit(**_JIT)
def inject_noise(S, P, noise_sums, level, amin):
    """``P[i] = max(S[i] + P[i] * sum(S[i]) / (noise_sums[i] * level), amin)``.

    ``S`` and ``P`` are 2-D arrays of one float dtype, one sample per row and
    ``P`` holding the noise; the noise then has on average ``level`` times
    less power than the sample. A row without noise (``noise_sums[i] == 0``)
    gets none. NaN stays NaN.
    """
    typed = np.empty(2, P.dtype)  # the scale and the floor in P's dtype
    typed[1] = amin
    for i in range(S.shape[0]):
        _inject_row(S[i], P[i], noise_sums[i], level, typed)


@numba.njit(**_JIT)
def add_hashed_noise(S, P, low, high, variates, weight, level, amin):
    """:func:`inject_noise` of the hashed noise of keys ``(low, high)``.

    Row ``i`` of ``P`` gets the noise of key ``(low[i], high[i])``: bin ``j``
    is ``variates[m] * weight[j]``, ``m`` drawn as the module's docstring
    says; then :func:`inject_noise` adds it to ``S[i]``. Each row is drawn
    and added while it is in the cache.
    """
    typed = np.empty(2, P.dtype)
    typed[1] = amin
    for i in range(S.shape[0]):
        total = _draw_row(P[i], low[i], high[i], variates, weight)
        _inject_row(S[i], P[i], total, level, typed)
