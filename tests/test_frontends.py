"""Front-ends against hand-written numpy evaluations of the PERSA+ paper's eq. 1-4."""

import librosa
import numpy as np
import pytest

from skaudio import (
    PCEN,
    LogCompression,
    LogThreshold,
    MelSpectrogram,
    PerSampleNorm,
    PersaPlus,
)
from skaudio.frontends import (
    colored_noise,
    log_compression,
    log_threshold,
    pcen,
    per_sample_norm,
    persa_plus,
)

ALL_FRONTENDS = [LogCompression(), PerSampleNorm(), PerSampleNorm(method="divide"),
                 PersaPlus(random_state=0), LogThreshold(), PCEN()]


@pytest.fixture
def power(rng):
    """Positive power spectrograms with a 60 dB spread, (4, 12, 10)."""
    return 10 ** rng.uniform(-6, 0, size=(4, 12, 10))


def test_log_compression_is_floored_log10(power):
    S = power.copy()
    S[0, 0, 0] = 0.0
    out = LogCompression(amin=1e-8).fit_transform(S)
    expected = np.log10(np.maximum(S, 1e-8))
    np.testing.assert_allclose(out, expected)
    assert out[0, 0, 0] == -8


def test_persa_subtracts_each_samples_mean_log(power):
    out = PerSampleNorm().fit_transform(power)
    for k in range(power.shape[0]):
        L = np.log10(power[k])
        np.testing.assert_allclose(out[k], L - L.sum() / L.size)


def test_persa_divide_variant_is_log_of_ratio_to_mean_power(power):
    out = PerSampleNorm(method="divide").fit_transform(power)
    for k in range(power.shape[0]):
        np.testing.assert_allclose(out[k], np.log10(power[k] / power[k].mean()))


@pytest.mark.parametrize("method", ["subtract", "divide"])
@pytest.mark.parametrize("gain", [1e-3, 0.5, 7.0, 1e4])
def test_persa_is_gain_invariant(power, method, gain):
    persa = PerSampleNorm(method=method)
    np.testing.assert_allclose(persa.fit_transform(gain * power),
                               persa.fit_transform(power), atol=1e-10)


def test_persa_plus_matches_eq_1_to_3(power):
    """Eq. 1 in the power domain, eq. 2 log10, eq. 3 mean subtraction."""
    q = 9.0
    N = colored_noise((1, *power.shape[1:]), color="pink", random_state=3)[0]
    out = PersaPlus(q=q, noise=N).fit_transform(power)
    for k in range(power.shape[0]):
        S2 = power[k]  # power = magnitude squared
        S_n = np.sqrt(S2 + N * S2.mean() / (N.mean() * 10 ** (q / 10)))  # eq. 1
        S_ln = np.log10(S_n**2)  # eq. 2, in bels of power (twice log10 of S_n)
        expected = S_ln - S_ln.sum() / S_ln.size  # eq. 3
        np.testing.assert_allclose(out[k], expected, rtol=1e-10)


@pytest.mark.parametrize("q", [0.0, 3.0, 9.0, 20.0])
def test_persa_plus_noise_floor_sits_q_db_below_the_sample(power, q):
    """With a flat noise the injected power is exactly mean(P) / 10**(q/10)."""
    flat = np.ones(power.shape[1:])
    out = persa_plus(power, q=q, noise=flat)
    for k in range(power.shape[0]):
        floor = power[k].mean() * 10 ** (-q / 10)
        noisy = np.log10(power[k] + floor)
        np.testing.assert_allclose(out[k], noisy - noisy.mean())


def test_persa_plus_noise_masks_content_below_q(power):
    """Lowering a quiet bin far below the floor changes the output little."""
    S = power.copy()
    S[:, 0, 0] = 1e-5 * S.mean(axis=(1, 2))  # 50 dB down, above the log floor
    S_quieter = S.copy()
    S_quieter[:, 0, 0] *= 1e-3
    # a fixed noise isolates the masking from the noise's randomness
    plus, persa = PersaPlus(q=9, noise=np.ones(S.shape[1:])), PerSampleNorm()
    d_plus = np.abs(plus.fit_transform(S) - plus.fit_transform(S_quieter)).max()
    d_persa = np.abs(persa.fit_transform(S) - persa.fit_transform(S_quieter)).max()
    assert d_plus < 1e-3 and d_persa > 1.0


def test_persa_plus_draws_independent_noise_per_sample():
    """Equal samples get equal noise, different samples independent noise."""
    flat = np.ones((2, 30, 20))  # the output is then the noise alone
    out = PersaPlus(q=0, noise="white", random_state=0).fit_transform(flat)
    np.testing.assert_array_equal(out[0], out[1])
    flat[1, 0, 0] = 2.0  # another clip
    out = PersaPlus(q=0, noise="white", random_state=0).fit_transform(flat)
    assert abs(np.corrcoef(out[0].ravel()[1:], out[1].ravel()[1:])[0, 1]) < 0.2


def test_persa_plus_is_reproducible_and_batch_independent(power):
    a = PersaPlus(random_state=7).fit_transform(power)
    b = PersaPlus(random_state=7).fit_transform(power)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(PersaPlus(random_state=7).fit_transform(power[2:3]), a[2:3])
    c = PersaPlus(random_state=8).fit_transform(power)
    assert not np.allclose(a, c)


def test_persa_plus_q_inf_is_persa(power):
    np.testing.assert_allclose(PersaPlus(q=np.inf).fit_transform(power),
                               PerSampleNorm().fit_transform(power))


def test_persa_plus_is_gain_invariant(power):
    plus = PersaPlus(q=6, random_state=0)
    np.testing.assert_allclose(plus.fit_transform(1e-4 * power), plus.fit_transform(power),
                               atol=1e-10)


@pytest.mark.parametrize("color, alpha", [("white", 0), ("pink", 1), ("brown", 2)])
def test_colored_noise_follows_its_spectral_slope(color, alpha):
    freqs = np.array([100.0, 200.0, 400.0, 800.0])
    N = colored_noise((1, 20000, 4), color=color, band_frequencies=freqs, random_state=0)
    per_band = N.mean(axis=(0, 1))
    np.testing.assert_allclose(per_band / per_band[0], 2.0 ** (-alpha * np.arange(4)),
                               rtol=0.05)


def test_persa_plus_accepts_array_and_callable_noise(power):
    arr = np.linspace(1, 2, power.shape[2])
    by_array = PersaPlus(noise=arr).fit_transform(power)
    by_callable = PersaPlus(
        noise=lambda shape, rng: np.broadcast_to(arr, shape)).fit_transform(power)
    np.testing.assert_allclose(by_array, by_callable)
    with pytest.raises(ValueError, match="does not broadcast"):
        PersaPlus(noise=np.ones(3)).fit_transform(power)
    with pytest.raises(ValueError, match="non-negative"):
        PersaPlus(noise=-np.ones(power.shape[2])).fit_transform(power)


def test_log_threshold_matches_eq_4(power):
    c = 30.0
    out = LogThreshold(c=c).fit_transform(power)
    for k in range(power.shape[0]):
        np.testing.assert_allclose(out[k], np.log10(power[k] / power[k].max() + 10 ** (-c / 10)))


@pytest.mark.parametrize("c", [10.0, 30.0, 60.0])
def test_log_threshold_spans_at_most_c_db(power, c):
    out = LogThreshold(c=c).fit_transform(power)
    span_db = 10 * (out.max(axis=(1, 2)) - out.min(axis=(1, 2)))
    bound = 10 * np.log10(10 ** (c / 10) + 1)  # c plus < 0.5 dB for c >= 10
    assert np.all(span_db <= bound + 1e-9)
    assert np.all(out >= -c / 10)
    # 60 dB of input spread: the floor is reached for c below it.
    if c < 60:
        assert np.all(span_db > c - 0.5)


def test_log_threshold_is_gain_invariant(power):
    np.testing.assert_allclose(LogThreshold().fit_transform(123.0 * power),
                               LogThreshold().fit_transform(power))


@pytest.mark.parametrize("input_scale", [1.0, 2.0**31])
def test_pcen_equals_librosa_per_sample(power, input_scale):
    out = PCEN(sr=8000, hop_length=128, input_scale=input_scale).fit_transform(power)
    for k in range(power.shape[0]):
        expected = librosa.pcen(power[k].T * input_scale, sr=8000, hop_length=128).T
        np.testing.assert_allclose(out[k], expected, rtol=1e-10)


def test_pcen_max_size_filters_along_bands(power):
    out = PCEN(max_size=3, input_scale=1.0).fit_transform(power)
    expected = librosa.pcen(power[0].T, max_size=3, sr=16000, hop_length=512)
    np.testing.assert_allclose(out[0], expected.T, rtol=1e-10)


def test_pcen_default_scaling_makes_it_nearly_gain_invariant(rng):
    """On [-1, 1] audio, x10 gain moves default PCEN by < 5 %, unscaled by > 30 %."""
    t = np.arange(16000) / 16000
    y = 0.1 * (np.sin(2 * np.pi * 440 * t) * ((t > 0.3) & (t < 0.7))
               + 0.01 * rng.standard_normal(t.size))
    S = MelSpectrogram().fit_transform(y[None].astype(np.float32))

    def change(pcen):
        a, b = pcen.fit_transform(S), pcen.fit_transform(10 * S)
        return np.abs(a - b).max() / np.abs(a).max()

    assert change(PCEN()) < 0.05
    assert change(PCEN(input_scale=1.0)) > 0.3


@pytest.mark.parametrize("frontend", ALL_FRONTENDS, ids=lambda f: repr(f))
def test_silent_samples_give_finite_documented_output(frontend, power):
    S = power.copy()
    S[1] = 0.0
    out = frontend.fit_transform(S)
    assert np.all(np.isfinite(out))
    expected_silence = {
        "LogCompression": np.log10(1e-10), "LogThreshold": -3.0,
    }.get(type(frontend).__name__, 0.0)
    np.testing.assert_allclose(out[1], expected_silence)


@pytest.mark.parametrize("frontend", ALL_FRONTENDS, ids=lambda f: repr(f))
@pytest.mark.parametrize("shape", [(3, 7), (3, 6, 5), (3, 6, 5, 2)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_dtype_are_preserved(frontend, shape, dtype, rng):
    S = rng.random(shape).astype(dtype)
    out = frontend.fit_transform(S)
    assert out.shape == shape and out.dtype == dtype
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("frontend", ALL_FRONTENDS, ids=lambda f: repr(f))
def test_samples_are_independent_of_their_batch(frontend, power):
    whole = frontend.fit_transform(power)
    for k in range(power.shape[0]):
        np.testing.assert_allclose(frontend.fit_transform(power[k:k + 1])[0], whole[k])


@pytest.mark.parametrize("frontend", ALL_FRONTENDS, ids=lambda f: repr(f))
def test_fit_learns_nothing(frontend, power, rng):
    other = 10 ** rng.uniform(-3, 3, size=power.shape)
    fitted_on_other = frontend.fit(other).transform(power)
    np.testing.assert_array_equal(fitted_on_other, frontend.fit(power).transform(power))


@pytest.mark.parametrize("frontend", ALL_FRONTENDS, ids=lambda f: repr(f))
@pytest.mark.parametrize("bad, message", [
    (np.full((2, 3, 4), np.nan), "NaN"),
    (np.full((2, 3, 4), np.inf), "infinity"),
    (-np.ones((2, 3, 4)), "Negative values"),
    (np.ones(5), "expects a time-frequency array .* got a 1-D array"),
    (np.ones((1, 2, 3, 4, 5)), "got a 5-D array"),
    (np.ones((0, 3, 4)), "0 sample"),
    (np.ones((2, 0, 4)), "empty"),
])
def test_bad_input_raises_clear_value_error(frontend, bad, message):
    with pytest.raises(ValueError, match=message):
        frontend.fit_transform(bad)


ALL_FRONTEND_CLASSES = [LogCompression, PerSampleNorm, PersaPlus, LogThreshold, PCEN]
FUNCTION_OF = dict(zip(ALL_FRONTEND_CLASSES, [log_compression, per_sample_norm,
                                              persa_plus, log_threshold, pcen]))


@pytest.mark.parametrize("frontend, message", [
    (LogCompression(amin=0), "The 'amin' parameter of {} must be a float in the range "
                             r"\(0.0, inf\)"),
    (PerSampleNorm(method="median"), "The 'method' parameter of {} must be a str among"),
    (PersaPlus(q=float("nan")), r"The 'q' parameter of {} must be a float in the range "
                                r"\(-inf, inf\]. Got nan"),
    (PersaPlus(q=-np.inf), r"The 'q' parameter of {} must be .* Got -inf"),
    (PersaPlus(noise="blue"), "The 'noise' parameter of {} must be a str among"),
    (PersaPlus(random_state="0"), "The 'random_state' parameter of {} must be"),
    (LogThreshold(c=-3), "The 'c' parameter of {} must be a float in the range"),
    (PCEN(b=2.0), r"The 'b' parameter of {} must be a float in the range \[0.0, 1.0\] "
                  "or None"),
    (PCEN(max_size=0), "The 'max_size' parameter of {} must be an int in the range"),
    (PCEN(time_constant=0), "The 'time_constant' parameter of {} must be a float"),
])
def test_bad_parameters_raise(frontend, message, power):
    """The transformer (in fit and in transform) and its function name themselves."""
    from skaudio._params import InvalidParameterError

    name = type(frontend).__name__
    with pytest.raises(InvalidParameterError, match=message.format(name)):
        frontend.fit(power)
    with pytest.raises(InvalidParameterError, match=message.format(name)):
        frontend.transform(power)
    function = FUNCTION_OF[type(frontend)]
    with pytest.raises(InvalidParameterError, match=message.format(function.__name__)):
        function(power, **frontend.get_params())


@pytest.mark.parametrize("noise, message", [
    (np.ones(3), "does not broadcast to one sample's shape"),
    (-np.ones(10), "must be finite non-negative power"),
    (lambda shape, rng: np.ones(3), "the noise callable returned shape"),
])
def test_persa_plus_noise_that_does_not_fit_the_samples_raises(noise, message, power):
    from skaudio._params import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=f"PersaPlus: .*{message}"):
        PersaPlus(noise=noise).fit_transform(power)
    with pytest.raises(InvalidParameterError, match=f"persa_plus: .*{message}"):
        persa_plus(power, noise=noise)


def test_persa_plus_band_frequencies_must_match_the_bands(power):
    from skaudio._params import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="PersaPlus: band_frequencies must hold 10"):
        PersaPlus(band_frequencies=[100.0, 200.0]).fit_transform(power)


@pytest.mark.parametrize("frontend", ALL_FRONTENDS, ids=lambda f: repr(f))
def test_input_is_never_modified(frontend, power):
    S = power.copy()
    S.setflags(write=False)
    frontend.fit_transform(S)
    np.testing.assert_array_equal(S, power)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 1e-5)])
def test_pcen_equals_librosa_on_the_whole_batch(rng, dtype, rtol):
    S = (10 ** rng.uniform(-6, 0, size=(5, 40, 12))).astype(dtype)
    out = PCEN(sr=8000, hop_length=128).fit_transform(S)
    expected = librosa.pcen(S.astype(np.float64) * 2.0**31, sr=8000, hop_length=128, axis=1)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


@pytest.mark.parametrize("params", [
    {"max_size": 3}, {"bias": 0.0}, {"power": 0.0}, {"b": 0.5, "gain": 0.5},
])
def test_pcen_variants_equal_librosa(power, params):
    out = PCEN(input_scale=1.0, **params).fit_transform(power)
    for k in range(power.shape[0]):
        with np.errstate(divide="ignore"):
            expected = librosa.pcen(power[k].T, sr=16000, hop_length=512, **params).T
        np.testing.assert_allclose(out[k], expected, rtol=1e-10)


def test_pcen_treats_channels_independently(rng):
    S = 10 ** rng.uniform(-4, 0, size=(2, 15, 6, 3))
    out = PCEN().fit_transform(S)
    for ch in range(3):
        np.testing.assert_array_equal(out[..., ch], PCEN().fit_transform(S[..., ch]))


@pytest.mark.parametrize("cls", ALL_FRONTEND_CLASSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threads_and_chunks_do_not_change_the_output(cls, dtype, rng, monkeypatch):
    from skaudio import _chunks

    S = (10 ** rng.uniform(-6, 0, size=(13, 16, 12))).astype(dtype)
    S[3] = 0.0  # a silent sample among the others
    params = {"random_state": 0} if cls is PersaPlus else {}
    reference = cls(n_jobs=1, **params).fit_transform(S)
    # Two samples a chunk: each chunk's input and output.
    monkeypatch.setattr(_chunks, "CHUNK_BYTES", 2 * 2 * S[0].nbytes)
    for n_jobs in (1, 2, -1, None):
        np.testing.assert_array_equal(cls(n_jobs=n_jobs, **params).fit_transform(S),
                                      reference)


@pytest.mark.parametrize("cls", ALL_FRONTEND_CLASSES, ids=lambda c: c.__name__)
def test_bad_n_jobs_raises(cls, power):
    with pytest.raises(ValueError, match=f"The 'n_jobs' parameter of {cls.__name__} must be"):
        cls(n_jobs=0).fit(power)


@pytest.mark.parametrize("color, alpha", [("white", 0), ("pink", 1), ("brown", 2)])
def test_persa_plus_injected_noise_follows_its_colour(color, alpha):
    """With the noise 60 dB above a flat input, the output is the noise's log power."""
    freqs = np.array([100.0, 200.0, 400.0, 800.0])
    S = np.full((1, 20000, 4), 1e-6)
    out = PersaPlus(q=-60, noise=color, band_frequencies=freqs,
                    random_state=0).fit_transform(S)
    per_band = (10 ** out).mean(axis=(0, 1))
    np.testing.assert_allclose(per_band / per_band[0], 2.0 ** (-alpha * np.arange(4)),
                               rtol=0.05)


def test_fingerprints_follow_their_definition(rng):
    """64 bins relative to their mean, in whole dB, checksummed (zlib.crc32)."""
    import zlib

    from skaudio.frontends._noise import fingerprints

    S = 10 ** rng.uniform(-6, 0, size=(6, 30, 20))
    S[2] = 0.0
    expected = []
    for sample in S:
        bins = sample.ravel()[:: sample.size // 64]
        if bins.mean() > 0:
            level = np.round(10 * np.log10(bins / bins.mean())).astype(np.int64)
            expected.append(zlib.crc32(level))
        else:
            expected.append(0)
    np.testing.assert_array_equal(fingerprints(S), expected)
    np.testing.assert_array_equal(fingerprints(1e3 * S), expected)


@pytest.mark.parametrize("n_jobs", [0, 1.5, "all"])
def test_functions_reject_a_meaningless_n_jobs(n_jobs):
    from skaudio.features import melspectrogram
    from skaudio.frontends import per_sample_norm

    message = (r"The 'n_jobs' parameter of {} must be an int in the range \(-inf, -1\], "
               r"an int in the range \[1, inf\) or None")
    with pytest.raises(ValueError, match=message.format("per_sample_norm")):
        per_sample_norm(np.ones((2, 3, 4)), n_jobs=n_jobs)
    with pytest.raises(ValueError, match=message.format("melspectrogram")):
        melspectrogram(np.zeros((2, 4000), np.float32), n_jobs=n_jobs)


def _threads_in_a_worker(n_jobs):
    """In a joblib task: the threads ``n_jobs`` gives, and what the front-ends printed."""
    import contextlib
    import io
    import warnings

    from skaudio._chunks import thread_count

    S = np.ones((64, 128, 128), np.float32)  # several chunks: the threaded path
    with warnings.catch_warnings(record=True) as caught, \
            contextlib.redirect_stderr(io.StringIO()) as err, \
            contextlib.redirect_stdout(io.StringIO()) as out:
        warnings.simplefilter("always")
        n = thread_count(n_jobs)
        PersaPlus(random_state=0, n_jobs=n_jobs).fit_transform(S)
        MelSpectrogram(n_fft=256, n_mels=32, n_jobs=n_jobs).fit_transform(np.zeros((64, 16000)))
    # (Deprecation notices of the libraries below, such as librosa 0.10's first
    # import under Python 3.11+, are theirs: the test is about parallelism.)
    return n, [str(w.message) for w in caught if not issubclass(w.category,
                                                                DeprecationWarning)], \
        err.getvalue() + out.getvalue()


@pytest.mark.parametrize("backend", ["loky", "threading", "multiprocessing"])
def test_n_jobs_none_takes_its_share_inside_joblib_workers(backend):
    """As scikit-learn's OpenMP estimators: no oversubscription, and no warning."""
    import os

    import joblib

    cores = joblib.cpu_count()
    if backend == "loky":  # joblib's limit for its worker processes
        expected = int(os.environ.get("OMP_NUM_THREADS", max(1, cores // 2)))
    else:  # tasks of a backend that sets no limit: one thread, as joblib's nested calls
        expected = 1
    if backend == "multiprocessing":
        # It forks: in a fresh process, since forking one that runs JAX's
        # threads (as the test process does by now) may deadlock.
        import json
        import subprocess
        import sys

        script = (
            "import json, joblib, sys; sys.path.insert(0, sys.argv[1]); "
            "from test_frontends import _threads_in_a_worker; "
            "print(json.dumps(joblib.Parallel(n_jobs=2, backend='multiprocessing')("
            "joblib.delayed(_threads_in_a_worker)(None) for _ in range(2))))")
        done = subprocess.run([sys.executable, "-c", script, os.path.dirname(__file__)],
                              capture_output=True, text=True, check=True, timeout=300)
        results = json.loads(done.stdout)
    else:
        results = joblib.Parallel(n_jobs=2, backend=backend)(
            joblib.delayed(_threads_in_a_worker)(None) for _ in range(2))
    for n, caught, printed in results:
        assert n == min(expected, cores)
        assert caught == [] and printed == ""


@pytest.mark.parametrize("backend", ["loky", "threading"])
def test_an_explicit_n_jobs_is_obeyed_inside_joblib_workers(backend):
    import joblib

    results = joblib.Parallel(n_jobs=2, backend=backend)(
        joblib.delayed(_threads_in_a_worker)(n_jobs) for n_jobs in (3, -1))
    assert [n for n, _, _ in results] == [3, joblib.cpu_count()]
    assert all(caught == [] and printed == "" for _, caught, printed in results)


def test_n_jobs_none_on_its_own_follows_the_openmp_limit():
    """Every core, unless OMP_NUM_THREADS or threadpoolctl lowers the limit."""
    import joblib
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
    from threadpoolctl import threadpool_limits

    from skaudio._chunks import thread_count

    limit = _openmp_effective_n_threads(only_physical_cores=False)
    assert thread_count(None) == max(1, min(joblib.cpu_count(), limit))
    with threadpool_limits(limits=1, user_api="openmp"):
        assert thread_count(None) == 1
        assert thread_count(2) == 2
