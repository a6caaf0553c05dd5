"""PERSA+'s compiled noise kernels against numpy evaluations of their definitions."""

import numpy as np
import pytest
from scipy import stats

from skaudio._hashed_noise import (
    add_hashed_noise,
    exponential_variates,
    inject_noise,
    noise_keys,
)


def lowbias32(x):
    """Wellons' "lowbias32" hash on a uint32 numpy array."""
    x = x.astype(np.uint32)
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x7FEB352D)
    x ^= x >> np.uint32(15)
    x *= np.uint32(0x846CA68B)
    x ^= x >> np.uint32(16)
    return x


def expected_noise(k1, k2, n_bins, weight):
    """Bin j: 15 high bits of a 16-bit half of hash32((k1 + (j // 2) * golden) ^ k2)."""
    j = np.arange(n_bins)
    with np.errstate(over="ignore"):
        words = lowbias32((np.uint32(k1) + (j // 2).astype(np.uint32)
                           * np.uint32(0x9E3779B9)) ^ np.uint32(k2))
    half = np.where(j % 2 == 0, words & np.uint32(0xFFFF), words >> np.uint32(16))
    m = (half >> 1).astype(np.float64)
    return -np.log((2 * m + 1) / 2**16) * weight


def hashed_noise(low, high, n_bins, dtype=np.float64, weight=None):
    """The kernel's noise: added to a flat sample of ones with level 1, P - 1
    is the noise divided by its mean."""
    weight = np.ones(n_bins, dtype) if weight is None else weight
    P = np.empty((len(low), n_bins), dtype)
    add_hashed_noise(np.ones_like(P), P, low, high,
                     exponential_variates(np.dtype(dtype)), weight, 1.0, 1e-10)
    return P - 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_bins", [1, 7, 64])
def test_hashed_noise_follows_its_definition(dtype, n_bins, rng):
    low = np.array([0, 1, 2**32 - 1], dtype=np.uint32)
    high = np.array([5, 0, 2**31], dtype=np.uint32)
    weight = rng.uniform(0.5, 2.0, n_bins).astype(dtype)
    noise = hashed_noise(low, high, n_bins, dtype, weight)
    for i in range(3):
        expected = expected_noise(low[i], high[i], n_bins, weight.astype(np.float64))
        # atol: P - 1 loses the digits of the smallest variates to rounding
        np.testing.assert_allclose(noise[i], expected / expected.mean(),
                                   rtol=1e-5 if dtype == np.float32 else 1e-12,
                                   atol=np.finfo(dtype).eps)


def test_hashed_noise_bins_are_independent_unit_exponentials():
    low, high = noise_keys(np.array([1, 2, 2**40 + 1], dtype=np.uint64), base=0)
    E = hashed_noise(low, high, 50001)  # divided by its mean, which is close to 1
    for row in E:
        assert stats.kstest(row, "expon").pvalue > 1e-3
        assert abs(np.corrcoef(row[:-1], row[1:])[0, 1]) < 0.02  # neighbouring bins
    assert abs(np.corrcoef(E[0], E[1])[0, 1]) < 0.02  # neighbouring fingerprints
    assert abs(np.corrcoef(E[0], E[2])[0, 1]) < 0.02  # fingerprints equal in low half


def test_sample_keys_depend_on_seed_and_fingerprint():
    fingerprints = np.array([7, 7, 8], dtype=np.uint64)
    low, high = noise_keys(fingerprints, base=0)
    assert low.dtype == high.dtype == np.uint32
    assert (low[0], high[0]) == (low[1], high[1])  # same sample, same key
    assert (low[0], high[0]) != (low[2], high[2])
    other_low, other_high = noise_keys(fingerprints, base=1)
    assert (other_low[0], other_high[0]) != (low[0], high[0])


def test_exponential_variates_are_the_table_of_odd_16_bit_uniforms():
    table = exponential_variates(np.dtype(np.float64))
    assert table.shape == (2**15,) and not table.flags.writeable
    assert table[0] == pytest.approx(16 * np.log(2))
    assert table[-1] == pytest.approx(-np.log1p(-1 / 2**16))
    assert np.all(np.diff(table) < 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inject_noise_scales_adds_and_floors(dtype, rng):
    """And add_hashed_noise, which injects its noise the same way."""
    S = rng.uniform(0, 1, (4, 30)).astype(dtype)
    S[2] = 0.0  # silent: no noise, every bin at the floor
    S[3, :5] = np.nan
    N = rng.uniform(0, 1, (4, 30)).astype(dtype)
    N[1] = 0.0  # no noise in this row
    sums = N.sum(axis=1, dtype=np.float64)
    P = N.copy()
    inject_noise(S, P, sums, 10.0, 1e-3)

    scale = S[0].sum(dtype=np.float64) / (sums[0] * 10.0)
    np.testing.assert_allclose(P[0], np.maximum(S[0] + N[0] * scale, 1e-3), rtol=1e-6)
    np.testing.assert_allclose(P[1], np.maximum(S[1], 1e-3), rtol=1e-6)
    np.testing.assert_allclose(P[2], dtype(1e-3))
    assert np.isnan(P[3]).all()  # NaN in, NaN out (its sum is NaN)
    # the noise, on average, lies level times below the sample's power
    np.testing.assert_allclose((P[0] - S[0]).mean(), S[0].mean() / 10.0, rtol=1e-5)

    hashed = np.empty_like(S)
    low, high = noise_keys(np.arange(4, dtype=np.uint64), base=0)
    add_hashed_noise(S, hashed, low, high, exponential_variates(np.dtype(dtype)),
                     np.ones(30, dtype), 10.0, 1e-3)
    np.testing.assert_allclose((hashed[0] - S[0]).mean(), S[0].mean() / 10.0, rtol=1e-5)
    np.testing.assert_allclose(hashed[2], dtype(1e-3))
    assert np.isnan(hashed[3]).all()
