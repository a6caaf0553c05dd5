"""Property tests (hypothesis): invariants of the features and front-ends."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skaudio import PCEN, LogCompression, LogThreshold, MelSpectrogram, PerSampleNorm, PersaPlus
from skaudio.frontends import persa_plus

FRONTENDS = [LogCompression(), PerSampleNorm(), PerSampleNorm(method="divide"),
             PersaPlus(random_state=0), LogThreshold(), PCEN()]

shapes = st.tuples(st.integers(1, 4), st.integers(1, 9), st.integers(1, 9))
# Non-negative finite power spanning 240 dB, with exact zeros (silence) allowed.
power_values = st.one_of(st.just(0.0), st.floats(1e-12, 1e12))


def power_arrays(shape=shapes):
    return shape.flatmap(lambda s: arrays(np.float64, s, elements=power_values))


@settings(max_examples=40, deadline=None)
@given(S=power_arrays(), index=st.integers(0, len(FRONTENDS) - 1))
def test_frontends_keep_shape_and_give_finite_output(S, index):
    out = FRONTENDS[index].fit_transform(S)
    assert out.shape == S.shape
    assert np.all(np.isfinite(out))


@settings(max_examples=40, deadline=None)
@given(S=arrays(np.float64, (2, 5, 4), elements=st.floats(1e-6, 1e6)),
       gain_db=st.floats(-30, 60))  # keeps every bin above the 1e-10 log floor
def test_persa_is_exactly_gain_invariant(S, gain_db):
    g = 10 ** (gain_db / 10)
    np.testing.assert_allclose(PerSampleNorm().fit_transform(g * S),
                               PerSampleNorm().fit_transform(S), atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(S=power_arrays(), c=st.floats(1, 120))
def test_log_threshold_lower_bound_and_range(S, c):
    out = LogThreshold(c=c).fit_transform(S)
    assert np.all(out >= -c / 10 - 1e-12)
    assert np.all(out <= np.log10(1 + 10 ** (-c / 10)) + 1e-12)


@settings(max_examples=40, deadline=None)
@given(S=arrays(np.float64, (2, 6, 5), elements=st.floats(1e-8, 1e4)),
       q=st.floats(-10, 40))
def test_persa_plus_noise_floor_follows_q(S, q):
    """With a flat noise, the added power is mean(S) * 10**(-q/10) in every bin."""
    flat = np.ones(S.shape[1:])
    out = persa_plus(S, q=q, noise=flat)
    for k in range(S.shape[0]):
        L = np.log10(S[k] + S[k].mean() * 10 ** (-q / 10))
        np.testing.assert_allclose(out[k], L - L.mean(), atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(S=power_arrays())
def test_pcen_is_non_negative(S):
    assert np.all(PCEN().fit_transform(S) >= 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=20, deadline=None)
@given(y=arrays(np.float64, (2, 600), elements=st.floats(-1, 1)), gain=st.floats(0.01, 100))
def test_melspectrogram_scales_with_gain_squared(dtype, y, gain):
    # Samples below 1e-15 become 0: their powers would approach float32's normal
    # limit (1e-38), where relative precision is lost (such audio is digital silence).
    y = np.where(np.abs(y) < 1e-15, 0.0, y)
    mel = MelSpectrogram(sr=8000, n_fft=128, hop_length=64, n_mels=8)
    base = mel.fit_transform(y.astype(dtype))
    scaled = mel.fit_transform((gain * y).astype(dtype))
    rtol = 1e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(scaled, gain**2 * base, rtol=rtol, atol=rtol * gain**2 * base.max())
