"""Caching features: Pipeline(memory=...) with skaudio's transformers (stable hashes,
identical results, cache hits) and CachedTransformer, which caches transform too."""

import errno
import pickle
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skaudio import (
    PCEN,
    AudioLoader,
    CachedTransformer,
    Deltas,
    LogCompression,
    LogThreshold,
    MelSpectrogram,
    MinMaxScale,
    PerSampleNorm,
    PersaPlus,
    TemporalStatistics,
)
from skaudio.datasets import make_audio_classification

MEL = {"sr": 8000, "n_fft": 256, "hop_length": 128, "n_mels": 16}

TRANSFORMERS = [
    AudioLoader(sr=8000, duration=0.5),
    MelSpectrogram(**MEL),
    Deltas(width=3),
    MinMaxScale(),
    LogCompression(),
    PerSampleNorm(),
    PersaPlus(q=9, random_state=0),
    PersaPlus(q=9, noise="white", band_frequencies=np.linspace(100, 3900, 16),
              random_state=3),
    LogThreshold(c=30),
    PCEN(sr=8000, hop_length=128),
    TemporalStatistics(),
]
# One parameter per transformer that changes its output, to check that the hash sees it.
CHANGES = {
    "AudioLoader": {"duration": 0.25}, "MelSpectrogram": {"n_mels": 8},
    "Deltas": {"width": 5}, "MinMaxScale": {"per_channel": True},
    "LogCompression": {"amin": 1e-5},
    "PerSampleNorm": {"method": "divide"}, "PersaPlus": {"random_state": 1},
    "LogThreshold": {"c": 20.0}, "PCEN": {"time_constant": 0.2},
    "TemporalStatistics": {"statistics": ("max",)},
}


@pytest.fixture(scope="module")
def data():
    return make_audio_classification(n_samples=24, n_classes=2, duration=0.25, sr=8000,
                                      random_state=0)


@pytest.mark.parametrize("est", TRANSFORMERS, ids=lambda e: type(e).__name__)
def test_hash_is_stable_and_sees_every_parameter_change(est):
    """joblib.Memory keys the cache by this hash: clones hit, changed parameters miss."""
    assert joblib.hash(clone(est)) == joblib.hash(est)
    assert joblib.hash(clone(clone(est))) == joblib.hash(est)
    changed = clone(est).set_params(**CHANGES[type(est).__name__])
    assert joblib.hash(changed) != joblib.hash(est)


@pytest.mark.parametrize("frontend", [PersaPlus(q=6, random_state=0), PCEN(sr=8000,
                         hop_length=128), LogThreshold(), PerSampleNorm()],
                         ids=lambda e: type(e).__name__)
def test_cached_pipeline_gives_identical_results(frontend, data, tmp_path):
    def pipe(memory):
        return Pipeline([("mel", MelSpectrogram(**MEL)), ("frontend", clone(frontend)),
                         ("pool", TemporalStatistics()),
                         ("clf", LogisticRegression(max_iter=500))], memory=memory)

    plain = pipe(None).fit(data.data, data.target)
    first = pipe(str(tmp_path)).fit(data.data, data.target)
    again = pipe(str(tmp_path)).fit(data.data, data.target)  # loaded from the cache
    for cached in (first, again):
        np.testing.assert_array_equal(cached.predict_proba(data.data),
                                      plain.predict_proba(data.data))
        np.testing.assert_array_equal(cached[:-1].transform(data.data),
                                      plain[:-1].transform(data.data))


def _count_calls(monkeypatch, cls):
    calls = []
    original = cls.transform

    def counting(self, X):
        calls.append(len(X))
        return original(self, X)

    monkeypatch.setattr(cls, "transform", counting)
    return calls


def test_second_fit_hits_the_cache(data, tmp_path, monkeypatch):
    calls = _count_calls(monkeypatch, MelSpectrogram)
    steps = [("mel", MelSpectrogram(**MEL)), ("plus", PersaPlus(random_state=0)),
             ("pool", TemporalStatistics()), ("clf", LogisticRegression(max_iter=500))]
    Pipeline([(n, clone(s)) for n, s in steps], memory=str(tmp_path)).fit(
        data.data, data.target)
    assert len(calls) == 1
    Pipeline([(n, clone(s)) for n, s in steps], memory=str(tmp_path)).fit(
        data.data, data.target)
    assert len(calls) == 1  # the fitted mel step and its output came from the cache
    Pipeline([(n, clone(s)) for n, s in steps], memory=str(tmp_path)).fit(
        data.data[:-2], data.target[:-2])
    assert len(calls) == 2  # other data: computed anew


def test_grid_search_over_q_computes_the_mel_spectrogram_once_per_fold(data, tmp_path,
                                                                       monkeypatch):
    calls = _count_calls(monkeypatch, MelSpectrogram)
    qs, cv = [3.0, 9.0, 15.0], StratifiedKFold(n_splits=2)

    def search(memory):
        pipe = Pipeline([("mel", MelSpectrogram(**MEL)), ("plus", PersaPlus(random_state=0)),
                         ("pool", TemporalStatistics()),
                         ("clf", LogisticRegression(max_iter=500))], memory=memory)
        return GridSearchCV(pipe, {"plus__q": qs}, cv=cv).fit(data.data, data.target)

    uncached = search(None)
    n_uncached, calls[:] = len(calls), []
    cached = search(str(tmp_path))
    # Training folds: once per fold instead of once per (fold, q); test folds and
    # the refit as before.
    assert len(calls) == n_uncached - (len(qs) - 1) * cv.get_n_splits()
    np.testing.assert_array_equal(cached.cv_results_["mean_test_score"],
                                  uncached.cv_results_["mean_test_score"])
    assert cached.best_params_ == uncached.best_params_


@pytest.mark.parametrize("est", [PersaPlus(random_state=0), PersaPlus(noise="brown",
                                                                      random_state=5)],
                         ids=repr)
def test_persa_plus_output_is_a_function_of_its_parameters_and_input(est, rng):
    """What caching assumes: no hidden state, so equal inputs give equal outputs."""
    S = 10 ** rng.uniform(-6, 0, size=(6, 20, 16))
    first = clone(est).fit_transform(S)
    np.testing.assert_array_equal(clone(est).fit(S[:2]).transform(S), first)
    np.testing.assert_array_equal(est.fit_transform(S[::-1])[::-1], first)


SEARCH_QS = [3.0, 9.0, 15.0]


def _search_over_q(features, data):
    """GridSearchCV over PERSA+'s q, 3 folds, with ``features`` as the first step."""
    pipe = Pipeline([("mel", features), ("plus", PersaPlus(random_state=0)),
                     ("pool", TemporalStatistics()),
                     ("clf", LogisticRegression(max_iter=500))])
    return GridSearchCV(pipe, {"plus__q": SEARCH_QS}, cv=StratifiedKFold(n_splits=3)
                        ).fit(data.data, data.target)


def test_cached_transformer_search_computes_the_features_once_per_fold(data, tmp_path,
                                                                       monkeypatch):
    """Training and test folds, once each whatever the number of candidates."""
    calls = _count_calls(monkeypatch, MelSpectrogram)
    uncached = _search_over_q(MelSpectrogram(**MEL), data)
    # candidates x folds x (train, test) + the refit
    assert len(calls) == len(SEARCH_QS) * 3 * 2 + 1
    calls[:] = []
    cached = _search_over_q(CachedTransformer(MelSpectrogram(**MEL), memory=str(tmp_path)),
                            data)
    assert len(calls) == 3 * 2 + 1  # folds x (train, test) + the refit on all clips
    np.testing.assert_array_equal(cached.cv_results_["mean_test_score"],
                                  uncached.cv_results_["mean_test_score"])
    assert cached.best_params_ == uncached.best_params_
    _search_over_q(CachedTransformer(MelSpectrogram(**MEL), memory=str(tmp_path)), data)
    assert len(calls) == 3 * 2 + 1  # a second search: everything from the cache


def test_cached_transformer_gives_the_transformer_output(data, tmp_path):
    X = data.data.copy()
    expected = MelSpectrogram(**MEL).fit_transform(X)
    for memory in (None, str(tmp_path), joblib.Memory(tmp_path, verbose=0)):
        cached = CachedTransformer(MelSpectrogram(**MEL), memory=memory)
        first = cached.fit_transform(X)
        np.testing.assert_array_equal(first, expected)
        first[:] = 0  # the caller's copy: the cache keeps its own
        np.testing.assert_array_equal(cached.transform(X), expected)
    np.testing.assert_array_equal(X, data.data)  # the input is not modified


def test_cached_transformer_refits_on_other_data_and_other_parameters(rng, tmp_path,
                                                                      monkeypatch):
    """No stale results: the key holds the fitted state and the parameters."""
    A, B, X = rng.normal(size=(20, 3)), rng.normal(3, 2, size=(20, 3)), rng.normal(size=(5, 3))
    cached = CachedTransformer(StandardScaler(), memory=str(tmp_path))
    np.testing.assert_allclose(cached.fit(A).transform(X),
                               StandardScaler().fit(A).transform(X))
    np.testing.assert_allclose(cached.fit(B).transform(X),
                               StandardScaler().fit(B).transform(X))
    expected = StandardScaler(with_mean=False).fit(B).transform(X)
    calls = _count_calls(monkeypatch, StandardScaler)
    cached.set_params(transformer__with_mean=False).fit(B).transform(X)
    assert len(calls) == 1
    np.testing.assert_allclose(cached.transform(X), expected)
    assert len(calls) == 1


def test_cached_transformer_pickles_and_keeps_hitting_the_cache(data, tmp_path,
                                                                 monkeypatch):
    cached = CachedTransformer(MelSpectrogram(**MEL), memory=str(tmp_path)).fit(data.data)
    expected = cached.transform(data.data)
    calls = _count_calls(monkeypatch, MelSpectrogram)
    loaded = pickle.loads(pickle.dumps(cached))
    np.testing.assert_array_equal(loaded.transform(data.data), expected)
    assert calls == []
    assert loaded.n_features_in_ == cached.n_features_in_ == data.data.shape[1]


def test_cached_transformer_errors(tmp_path):
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match="'memory' parameter of CachedTransformer must be "
                       "None, an instance of 'str', an instance of 'os.PathLike' or an "
                       "object implementing 'cache'"):
        CachedTransformer(StandardScaler(), memory=3).fit(X)
    with pytest.raises(TypeError, match="'transformer' parameter of CachedTransformer must "
                       "be an object implementing 'fit' and 'transform'"):
        CachedTransformer(LogisticRegression(), memory=str(tmp_path)).fit(X)
    with pytest.raises(NotFittedError):
        CachedTransformer(StandardScaler(), memory=str(tmp_path)).transform(X)
    # The wrapped transformer's own checks still speak, naming the problem.
    cached = CachedTransformer(StandardScaler(), memory=str(tmp_path)).fit(X)
    with pytest.raises(ValueError, match="3 features, but StandardScaler is expecting 2"):
        cached.transform(np.ones((3, 3)))


@pytest.mark.parametrize("per_sample", [False, True])
def test_unpicklable_parameters_are_a_clear_error(per_sample, tmp_path):
    cached = CachedTransformer(FunctionTransformer(lambda X: 2 * X), memory=tmp_path,
                               per_sample=per_sample)
    with pytest.raises(TypeError, match="must pickle.*lambda.*define it at a module's"):
        cached.fit_transform(np.ones((3, 2)))


class _StampedScaler(StandardScaler):
    """Once fitted, pickles to different bytes every time, as a Keras model does."""

    def __getstate__(self):
        state = super().__getstate__()
        if hasattr(self, "mean_"):
            state["_pickled_at"] = time.perf_counter_ns()
        return state


def test_transform_cache_hits_for_transformers_that_pickle_differently(rng, tmp_path,
                                                                       monkeypatch):
    """The fitted transformer comes back from the cache as a new object; its
    transforms are keyed on what it was fitted on, not on its pickled bytes."""
    X = rng.normal(size=(20, 3))
    calls = _count_calls(monkeypatch, StandardScaler)
    first = CachedTransformer(_StampedScaler(), memory=str(tmp_path)).fit(X).transform(X)
    again = CachedTransformer(_StampedScaler(), memory=str(tmp_path)).fit(X).transform(X)
    assert len(calls) == 1
    np.testing.assert_array_equal(again, first)


def test_per_sample_search_computes_each_samples_features_once(data, tmp_path,
                                                               monkeypatch):
    """Every clip's mel spectrogram once, whatever the folds, candidates and refit."""
    calls = _count_calls(monkeypatch, MelSpectrogram)
    uncached = _search_over_q(MelSpectrogram(**MEL), data)
    calls[:] = []
    cached = _search_over_q(CachedTransformer(MelSpectrogram(**MEL), memory=str(tmp_path),
                                              per_sample=True), data)
    assert sum(calls) == len(data.data)
    np.testing.assert_array_equal(cached.cv_results_["mean_test_score"],
                                  uncached.cv_results_["mean_test_score"])
    assert cached.best_params_ == uncached.best_params_


def test_per_sample_cache_of_files_gives_the_pipeline_output(wav_files, tmp_path,
                                                             monkeypatch):
    from tests.conftest import write_tone

    def features():
        return make_pipeline(AudioLoader(sr=8000, duration=0.5), MelSpectrogram(**MEL))

    paths = list(wav_files)
    expected = features().fit_transform(paths)
    calls = _count_calls(monkeypatch, AudioLoader)
    cached = CachedTransformer(features(), memory=tmp_path / "cache", per_sample=True)
    np.testing.assert_array_equal(cached.fit_transform(paths[:2]), expected[:2])
    np.testing.assert_array_equal(cached.fit(paths[::-1]).transform(paths[::-1]),
                                  expected[::-1])
    assert calls == [1, 2, 1, 1]  # each fit on its first file; each file once
    out = cached.transform(paths)
    out[:] = 0  # the caller's array: the cache keeps its own
    np.testing.assert_array_equal(cached.transform(paths), expected)
    assert sum(calls) == 5
    assert paths == list(wav_files)  # the input is not modified

    # A rewritten file is a new sample: its features are computed again.
    time.sleep(0.01)
    write_tone(paths[1], seconds=0.5, freq=1234.0)
    changed = cached.transform(paths)
    assert sum(calls) == 6
    np.testing.assert_array_equal(changed, features().fit_transform(paths))
    assert not np.array_equal(changed[1], expected[1])


def _rows_as_lists(X):
    return [list(row) for row in X]


def test_per_sample_cache_needs_a_transformer_that_learns_nothing(rng, tmp_path):
    X = rng.uniform(size=(4, 6))
    for stateful in (StandardScaler(), AudioLoader(sr=8000),
                     make_pipeline(PerSampleNorm(), StandardScaler())):
        with pytest.raises(ValueError, match="learns nothing from data"):
            CachedTransformer(stateful, memory=str(tmp_path), per_sample=True).fit(X)
    with pytest.raises(ValueError, match="'per_sample' parameter of CachedTransformer "
                       "must be an instance of 'bool'"):
        CachedTransformer(PerSampleNorm(), memory=str(tmp_path), per_sample=1).fit(X)
    as_lists = FunctionTransformer(_rows_as_lists)
    with pytest.raises(TypeError, match="numeric array with one row per sample"):
        CachedTransformer(as_lists, memory=str(tmp_path), per_sample=True).fit_transform(X)
    import scipy.sparse
    with pytest.raises(TypeError, match="does not cache sparse input"):
        CachedTransformer(FunctionTransformer(), memory=str(tmp_path),
                          per_sample=True).fit_transform(scipy.sparse.csr_matrix(X))
    # Without a cache folder it is the plain transformer, stateful or not.
    plain = CachedTransformer(StandardScaler(), memory=None, per_sample=True)
    np.testing.assert_allclose(plain.fit_transform(X), StandardScaler().fit_transform(X))


def test_per_sample_cache_keys_arrays_by_their_bytes(rng, tmp_path, monkeypatch):
    S = 10 ** rng.uniform(-6, 0, size=(6, 20, 16))
    expected = PerSampleNorm().fit_transform(S)
    expected32 = PerSampleNorm().fit_transform(S.astype(np.float32))
    expected_divide = PerSampleNorm(method="divide").fit_transform(S)
    calls = _count_calls(monkeypatch, PerSampleNorm)
    cached = CachedTransformer(PerSampleNorm(), memory=str(tmp_path), per_sample=True)
    np.testing.assert_array_equal(cached.fit_transform(S[:4]), expected[:4])
    np.testing.assert_array_equal(cached.transform(S[[5, 0, 4, 0]]), expected[[5, 0, 4, 0]])
    assert calls == [4, 2]
    np.testing.assert_array_equal(cached.transform(S.astype(np.float32)), expected32)
    assert calls == [4, 2, 6]  # float32 rows are other samples
    loaded = pickle.loads(pickle.dumps(cached))
    np.testing.assert_array_equal(loaded.transform(S), expected)
    assert calls == [4, 2, 6]  # a pickled copy reads the same folder
    other = CachedTransformer(PerSampleNorm(method="divide"), memory=str(tmp_path),
                              per_sample=True)
    np.testing.assert_array_equal(other.fit_transform(S), expected_divide)
    assert calls == [4, 2, 6, 6]  # other parameters, other cache


def test_per_sample_cache_ignores_segments_still_being_written(rng, tmp_path):
    """Another process's half-written segment is neither read nor fatal."""
    S = 10 ** rng.uniform(-6, 0, size=(4, 10, 8))
    cached = CachedTransformer(PerSampleNorm(), memory=str(tmp_path), per_sample=True)
    cached.fit(S)
    cached._store.folder.mkdir(parents=True)
    (cached._store.folder / "tmp-0123.keys.npy").write_bytes(b"\x93NUMPY partial")
    np.testing.assert_array_equal(cached.transform(S), PerSampleNorm().fit_transform(S))


# ------------------------------------------------------------------ faults
FAULT_SCRIPT = """
import sys, numpy as np
from pathlib import Path
from skaudio import CachedTransformer, PerSampleNorm
S = 10 ** np.random.default_rng(int(sys.argv[2])).uniform(-6, 0, size=(40, 10, 8))
cached = CachedTransformer(PerSampleNorm(), memory=sys.argv[1], per_sample=True)
if len(sys.argv) > 3:  # killed halfway through writing the outputs
    import os, signal
    def write_half_then_die(self, data):
        with open(self, "wb") as f:
            f.write(data[:len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)
    Path.write_bytes = write_half_then_die
out = cached.fit_transform(S)
np.testing.assert_array_equal(out, PerSampleNorm().fit_transform(S))
"""


def run_fault_script(folder, seed, *extra):
    return subprocess.Popen([sys.executable, "-c", FAULT_SCRIPT, str(folder), str(seed),
                             *extra])


def segment_files(folder):
    return sorted(p.name for p in (Path(folder) / "skaudio-per-sample").rglob("*")
                  if p.is_file())


def test_per_sample_cache_survives_a_process_killed_while_writing(rng, tmp_path):
    assert run_fault_script(tmp_path, 0, "kill").wait() == -signal.SIGKILL
    names = segment_files(tmp_path)
    assert names and all(name.startswith("tmp-") for name in names)
    assert run_fault_script(tmp_path, 0).wait() == 0  # recomputes, right answer


@pytest.mark.parametrize("damage", ["truncate", "flip a bit", "delete the digest"])
def test_per_sample_cache_detects_corrupt_segments(damage, rng, tmp_path):
    S = 10 ** rng.uniform(-6, 0, size=(6, 10, 8))
    expected = PerSampleNorm().fit_transform(S)
    CachedTransformer(PerSampleNorm(), memory=str(tmp_path), per_sample=True).fit_transform(S)
    outputs = next(Path(tmp_path).rglob("[!t]*[!s].npy"))  # the outputs, not the keys
    data = bytearray(outputs.read_bytes())
    if damage == "truncate":
        outputs.write_bytes(bytes(data[:-40]))
    elif damage == "flip a bit":
        data[-9] ^= 0x10  # a bit of the last sample's output
        outputs.write_bytes(bytes(data))
    else:
        outputs.with_suffix(".sum").unlink()
    fresh = CachedTransformer(PerSampleNorm(), memory=str(tmp_path), per_sample=True)
    with pytest.warns(RuntimeWarning, match="corrupt"):
        np.testing.assert_array_equal(fresh.fit_transform(S), expected)
    np.testing.assert_array_equal(  # recomputed and stored again, sound
        CachedTransformer(PerSampleNorm(), memory=str(tmp_path),
                          per_sample=True).fit_transform(S), expected)


def test_two_processes_fill_one_cache_folder_at_once(tmp_path):
    processes = [run_fault_script(tmp_path, seed) for seed in (0, 0, 1, 1)]
    assert [p.wait() for p in processes] == [0, 0, 0, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every segment verifies
        for seed in (0, 1):
            S = 10 ** np.random.default_rng(seed).uniform(-6, 0, size=(40, 10, 8))
            np.testing.assert_array_equal(
                CachedTransformer(PerSampleNorm(), memory=str(tmp_path),
                                  per_sample=True).fit_transform(S),
                PerSampleNorm().fit_transform(S))


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"),
                                   PermissionError(errno.EACCES, "Permission denied")],
                         ids=["disk full", "read-only"])
def test_an_unwritable_cache_warns_and_leaves_no_partial_file(error, rng, tmp_path,
                                                              monkeypatch):
    S = 10 ** rng.uniform(-6, 0, size=(6, 10, 8))
    cached = CachedTransformer(PerSampleNorm(), memory=str(tmp_path), per_sample=True)
    cached.fit(S[:3]).transform(S[:3])  # half the samples cached while writable
    written = []

    def fail_on_second_file(self, data):  # the outputs land, the digest does not
        if written:
            raise error
        written.append(self)
        with open(self, "wb") as f:
            f.write(data)
    monkeypatch.setattr(Path, "write_bytes", fail_on_second_file)
    before = segment_files(tmp_path)
    with pytest.warns(RuntimeWarning, match="not cached"):
        np.testing.assert_array_equal(cached.transform(S), PerSampleNorm().fit_transform(S))
    assert segment_files(tmp_path) == before


@pytest.mark.parametrize("damage", ["truncate", "flip a bit"])
def test_cached_fits_and_transforms_detect_corrupt_files(damage, rng, tmp_path):
    # joblib recomputes an output it cannot unpickle, but returned a changed
    # byte inside an array as it was; the digest stored with it catches that.
    X = rng.standard_normal((50, 20))
    expected = StandardScaler().fit_transform(X)
    cached = CachedTransformer(StandardScaler(), memory=str(tmp_path))
    cached.fit_transform(X), cached.transform(X)
    files = list(Path(tmp_path).rglob("output.pkl"))
    assert len(files) == 2  # fit_transform's and transform's
    for path in files:
        data = bytearray(path.read_bytes())
        if damage == "truncate":
            path.write_bytes(bytes(data[:len(data) // 2]))
        else:
            data[-20] ^= 0x10  # inside the pickled array's values
            path.write_bytes(bytes(data))
    fresh = CachedTransformer(StandardScaler(), memory=str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joblib's own report of the truncation
        np.testing.assert_array_equal(fresh.fit_transform(X), expected)
        np.testing.assert_array_equal(fresh.transform(X), expected)
    np.testing.assert_array_equal(  # stored again, sound
        CachedTransformer(StandardScaler(), memory=str(tmp_path)).fit(X).transform(X),
        expected)
