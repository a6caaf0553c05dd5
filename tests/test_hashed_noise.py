"""PERSA+'s compiled noise kernels against numpy evaluations of their definitions."""

import numpy as np
import pytest
from scipy import stats

from skaudio._hashed_noise import (
    draw_noise,
    exponential_variates,
    inject_noise,
    sample_keys,
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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_bins", [1, 7, 64])
def test_draw_noise_follows_its_definition(dtype, n_bins, rng):
    low = np.array([0, 1, 2**32 - 1], dtype=np.uint32)
    high = np.array([5, 0, 2**31], dtype=np.uint32)
    weight = rng.uniform(0.5, 2.0, n_bins).astype(dtype)
    out = np.empty((3, n_bins), dtype)
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    sums = draw_noise(out, low, high, exponential_variates(np.dtype(dtype)), weight)
    for i in range(3):
        expected = expected_noise(low[i], high[i], n_bins, weight.astype(np.float64))
        np.testing.assert_allclose(out[i], expected, rtol=rtol)
    np.testing.assert_allclose(sums, out.sum(axis=1, dtype=np.float64), rtol=rtol)


def test_noise_bins_are_independent_unit_exponentials():
    low, high = sample_keys(np.array([1, 2, 2**40 + 1], dtype=np.uint64), base=0)
    E = np.empty((3, 50001))
    draw_noise(E, low, high, exponential_variates(np.dtype(np.float64)), np.ones(50001))
    for row in E:
        assert stats.kstest(row, "expon").pvalue > 1e-3
        assert abs(np.corrcoef(row[:-1], row[1:])[0, 1]) < 0.02  # neighbouring bins
    assert abs(np.corrcoef(E[0], E[1])[0, 1]) < 0.02  # neighbouring fingerprints
    assert abs(np.corrcoef(E[0], E[2])[0, 1]) < 0.02  # fingerprints equal in low half


def test_sample_keys_depend_on_seed_and_fingerprint():
    fingerprints = np.array([7, 7, 8], dtype=np.uint64)
    low, high = sample_keys(fingerprints, base=0)
    assert low.dtype == high.dtype == np.uint32
    assert (low[0], high[0]) == (low[1], high[1])  # same sample, same key
    assert (low[0], high[0]) != (low[2], high[2])
    other_low, other_high = sample_keys(fingerprints, base=1)
    assert (other_low[0], other_high[0]) != (low[0], high[0])


def test_exponential_variates_are_the_table_of_odd_16_bit_uniforms():
    table = exponential_variates(np.dtype(np.float64))
    assert table.shape == (2**15,) and not table.flags.writeable
    assert table[0] == pytest.approx(16 * np.log(2))
    assert table[-1] == pytest.approx(-np.log1p(-1 / 2**16))
    assert np.all(np.diff(table) < 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inject_noise_scales_adds_and_floors(dtype, rng):
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
