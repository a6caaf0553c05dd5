"""Guarantees: persistence, determinism, no leakage, safe loading, bounded memory."""

import pickle
import random
import subprocess
import sys
import textwrap
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import keras
import numpy as np
import pytest
import sklearn
import soundfile as sf
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skaudio import (
    PCEN,
    AudioLoader,
    CachedTransformer,
    Deltas,
    FsFCNNClassifier,
    LogCompression,
    LogThreshold,
    MelSpectrogram,
    MinMaxScale,
    PerSampleNorm,
    PersaPlus,
    TemporalStatistics,
    TrimSilence,
    VGGLikeClassifier,
    __version__,
    load_audio,
)
from skaudio.base import InconsistentSkaudioVersionWarning
from skaudio.datasets import load_fsdd, make_audio_classification
from skaudio.discovery import all_estimators, cheap_instances
from skaudio.embedding import VGGishEmbedder, load_vggish_weights
from skaudio.embedding._weights import published_keys
from skaudio.estimators import NetworkClassifier
from skaudio.expansion import add_noise
from skaudio.robustness import apply_gain

MEL = dict(sr=8000, n_fft=256, hop_length=128, n_mels=16)
TINY = dict(filters=(4, 8), dense_units=8, epochs=2, batch_size=16, random_state=0)
FRONTENDS = [LogCompression(), PerSampleNorm(), PersaPlus(q=6, random_state=0),
             LogThreshold(c=40), PCEN(sr=8000, hop_length=128)]


@pytest.fixture(scope="module")
def audio():
    return make_audio_classification(n_samples=40, n_classes=2, duration=0.5, sr=8000,
                                     random_state=0)


def fitted_pipelines(audio):
    """One fitted pipeline of every family: each front-end, deltas, the CNN."""
    pipes = {
        type(f).__name__: make_pipeline(MelSpectrogram(**MEL), f, TemporalStatistics(),
                                        LogisticRegression(max_iter=500))
        for f in FRONTENDS
    }
    pipes["Deltas"] = make_pipeline(MelSpectrogram(**MEL), LogCompression(), Deltas(),
                                    TemporalStatistics(), LogisticRegression(max_iter=500))
    pipes["VGGLikeClassifier"] = make_pipeline(MelSpectrogram(**MEL),
                                               PersaPlus(random_state=0),
                                               VGGLikeClassifier(**TINY))
    pipes["VGGishEmbedder"] = make_pipeline(
        VGGishEmbedder(sr=8000, n_segments=1, pooling="mean", conv_blocks=((2,),),
                       fc_units=(4,), embedding_size=4, hidden_units=4, epochs=1,
                       random_state=0),
        LogisticRegression(max_iter=500))
    return {name: pipe.fit(audio.data, audio.target) for name, pipe in pipes.items()}


def test_every_pipeline_family_survives_joblib_in_a_fresh_process(audio, tmp_path):
    pipes = fitted_pipelines(audio)
    joblib.dump(pipes, tmp_path / "pipes.joblib")
    np.save(tmp_path / "X.npy", audio.data)
    script = textwrap.dedent(f"""
        import joblib, numpy as np
        pipes = joblib.load({str(tmp_path / "pipes.joblib")!r})
        X = np.load({str(tmp_path / "X.npy")!r})
        np.savez({str(tmp_path / "out.npz")!r},
                 **{{name: pipe.predict_proba(X) for name, pipe in pipes.items()}})
    """)
    subprocess.run([sys.executable, "-W", "error::UserWarning", "-c", script], check=True)
    loaded = np.load(tmp_path / "out.npz")
    for name, pipe in pipes.items():
        np.testing.assert_array_equal(loaded[name], pipe.predict_proba(audio.data),
                                      err_msg=name)


@pytest.mark.parametrize("estimator", [MelSpectrogram(), PersaPlus(), AudioLoader(),
                                       VGGLikeClassifier(), VGGishEmbedder()], ids=repr)
def test_pickles_carry_the_skaudio_version(estimator):
    state = estimator.__getstate__()
    assert state["_skaudio_version"] == __version__
    restored = pickle.loads(pickle.dumps(estimator))
    assert "_skaudio_version" not in vars(restored)
    assert restored.get_params() == estimator.get_params()


def test_loading_another_versions_model_warns():
    state = PersaPlus(q=6).__getstate__()
    state["_skaudio_version"] = "0.0.1"
    fresh = PersaPlus.__new__(PersaPlus)
    with pytest.warns(InconsistentSkaudioVersionWarning, match="saved by skaudio 0.0.1"):
        fresh.__setstate__(state)
    assert fresh.q == 6


DETERMINISM_SCRIPT = """
import numpy as np
from skaudio import MelSpectrogram, PersaPlus, VGGLikeClassifier
from skaudio.datasets import make_audio_classification
from sklearn.pipeline import make_pipeline
d = make_audio_classification(n_samples=40, n_classes=2, duration=0.5, sr=8000,
                              random_state=0)
pipe = make_pipeline(MelSpectrogram(sr=8000, n_fft=256, hop_length=128, n_mels=16),
                     PersaPlus(random_state=3),
                     VGGLikeClassifier(filters=(4, 8), dense_units=8, epochs=2,
                                       batch_size=16, random_state=0))
proba = pipe.fit(d.data, d.target).predict_proba(d.data)
"""


def test_same_random_state_same_outputs_in_one_and_in_two_processes(tmp_path):
    namespace = {}
    exec(DETERMINISM_SCRIPT, namespace)
    first = namespace["proba"]
    exec(DETERMINISM_SCRIPT, namespace)
    np.testing.assert_array_equal(namespace["proba"], first)
    out = tmp_path / "proba.npy"
    subprocess.run([sys.executable, "-c",
                    DETERMINISM_SCRIPT + f"np.save({str(out)!r}, proba)"], check=True)
    np.testing.assert_array_equal(np.load(out), first)


@pytest.mark.parametrize("transformer", [MelSpectrogram(**MEL), *FRONTENDS, Deltas(),
                                         TemporalStatistics()], ids=repr)
def test_transformers_learn_nothing_in_fit(transformer, audio):
    """fit on A then transform B == fit on B then transform B: no leakage."""
    A, B = audio.data[:20], audio.data[20:]
    if not isinstance(transformer, MelSpectrogram):
        mel = MelSpectrogram(**MEL)
        A, B = mel.fit_transform(A) * 1e3, mel.fit_transform(B)
        if isinstance(transformer, (Deltas, TemporalStatistics)):
            A, B = np.log10(A + 1e-9), np.log10(B + 1e-9)
    np.testing.assert_array_equal(transformer.fit(A).transform(B),
                                  transformer.fit(B).transform(B))


def test_dataset_groups_keep_each_source_in_one_fold():
    data = make_audio_classification(n_samples=60, n_classes=3, clips_per_group=4,
                                     duration=0.1, random_state=0)
    for train, test in GroupKFold(n_splits=3).split(data.data, data.target, data.groups):
        assert not set(data.groups[train]) & set(data.groups[test])
        # each group is whole on its side: all of its clips went together
        for g in set(data.groups[test]):
            assert np.sum(data.groups[test] == g) == np.sum(data.groups == g)


def test_keras_models_inside_pickles_load_in_safe_mode():
    """A model with arbitrary Python code (a Lambda) is refused when unpickled."""
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    data = pickle.dumps(model)
    with pytest.raises(ValueError, match="(?i)unsafe|safe_mode|lambda"):
        pickle.loads(data)


class _RunsCode:
    """Unpickling this creates the file ``path``: proof that pickled code ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_vggish_weight_files_never_run_pickled_code(tmp_path):
    marker = tmp_path / "code_ran"
    object_npz = tmp_path / "object.npz"
    np.savez(object_npz, **{k: np.zeros(1) for k in published_keys("tf")},
             pca_eigen_vectors=np.array([_RunsCode(marker)], dtype=object))
    pickle_as_npz = tmp_path / "pickle.npz"
    pickle_as_npz.write_bytes(pickle.dumps({"vggish/conv1/weights": _RunsCode(marker)}))
    pickle_as_pth = tmp_path / "vggish.pth"  # torch.load without weights_only would run it
    pickle_as_pth.write_bytes(pickle.dumps({"features.0.weight": _RunsCode(marker)}))
    for path in (object_npz, pickle_as_npz, pickle_as_pth):
        with pytest.raises(ValueError, match="(?i)pickle|torch"):
            load_vggish_weights(path)
        with pytest.raises(ValueError, match="(?i)pickle|torch"):
            VGGishEmbedder(path).fit(np.zeros((1, 16000)))
        assert not marker.exists(), f"{path.name} ran pickled code"


@pytest.mark.parametrize("damage", ["truncated to half", "truncated to 10 bytes",
                                    "bytes flipped in the data"])
def test_corrupt_vggish_weight_files_give_clear_errors(damage, tmp_path):
    path = tmp_path / "vggish.npz"
    np.savez(path, **{k: np.ones(1000, np.float32) for k in published_keys("tf")})
    data = bytearray(path.read_bytes())
    if damage == "truncated to half":
        data = data[:len(data) // 2]
    elif damage == "truncated to 10 bytes":
        data = data[:10]
    else:
        data[200:260] = bytes(60)  # inside the first member's data: CRC mismatch
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="VGGish weight file .* (not a readable|not an) .npz"):
        load_vggish_weights(path)


def test_featurising_files_keeps_memory_bounded(fsdd_path):
    """Peak memory of AudioLoader -> MelSpectrogram over 300 FSDD files.

    The peak must stay within the two outputs plus the STFT's fixed chunk of
    intermediates (about 100 MB), not grow with the number of files.
    """
    files = load_fsdd(fsdd_path, split="test").filenames
    loader, mel = AudioLoader(sr=8000, duration=1.0, n_jobs=2), MelSpectrogram(**MEL)
    tracemalloc.start()
    waves = loader.fit_transform(files)
    spectra = mel.fit_transform(waves)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    outputs = waves.nbytes + spectra.nbytes
    assert peak < outputs + 128 * 2**20, f"peak {peak / 2**20:.0f} MiB"


# -------------------------------------------------------- no global random state
# Every function of Python's and NumPy's global generators that a library could
# call to seed, draw or save state (Keras draws layer seeds with random.randint,
# its array path shuffles with np.random.permutation, scikeras seeds both).
GLOBAL_GENERATORS = {
    random: ("seed", "getstate", "setstate", "random", "randint", "randrange",
             "getrandbits", "shuffle", "choice", "sample", "uniform"),
    np.random: ("seed", "get_state", "set_state", "random", "random_sample", "rand",
                "randn", "randint", "permutation", "shuffle", "choice", "uniform",
                "normal", "standard_normal", "beta"),
}


def forbid_global_generators(monkeypatch):
    for module, names in GLOBAL_GENERATORS.items():
        for name in names:
            def forbidden(*args, _name=f"{module.__name__}.{name}", **kwargs):
                raise AssertionError(f"the global generator was used: {_name}")
            monkeypatch.setattr(module, name, forbidden)


def network_instances():
    """Every network (discovered), cheap, with every random part switched on."""
    found = []
    for _, cls in all_estimators():
        if issubclass(cls, NetworkClassifier):
            random_parts = dict(
                mixup_alpha=0.2, validation_split=0.2, gain_augment_db=3.0, epochs=2,
                lr_schedule="cosine_restarts", restart_period=1, restart_growth=1.0,
                snapshot_ensemble=True)
            for estimator in cheap_instances(cls):
                estimator.set_params(**{k: v for k, v in random_parts.items()
                                        if k not in cls._unsupported_training_parameters})
                found.append(estimator)
    return found


@pytest.mark.parametrize("estimator", network_instances(), ids=lambda e: type(e).__name__)
def test_fit_neither_reads_nor_writes_a_global_random_generator(estimator, monkeypatch):
    X = np.random.default_rng(0).normal(size=(40, 8)).astype(np.float32)
    y = np.arange(40) % 2
    expected = clone(estimator).fit(X, y).predict_proba(X)
    forbid_global_generators(monkeypatch)
    np.testing.assert_array_equal(clone(estimator).fit(X, y).predict_proba(X), expected)


def test_initialize_builds_the_seeded_network_without_fitting(monkeypatch):
    X = np.random.default_rng(0).normal(size=(20, 8, 4)).astype(np.float32)
    y = np.arange(20) % 2
    forbid_global_generators(monkeypatch)
    a, b = (VGGLikeClassifier(filters=(4,), dense_units=4, random_state=0).initialize(X, y)
            for _ in range(2))
    for u, v in zip(a.model_.get_weights(), b.model_.get_weights()):
        np.testing.assert_array_equal(u, v)


def test_vggish_training_uses_no_global_random_generator(audio, monkeypatch):
    embedder = VGGishEmbedder(sr=8000, n_segments=1, pooling="mean", conv_blocks=((2,),),
                              fc_units=(4,), embedding_size=4, hidden_units=4, epochs=1,
                              random_state=0)
    expected = clone(embedder).fit(audio.data, audio.target).transform(audio.data)
    forbid_global_generators(monkeypatch)
    np.testing.assert_array_equal(
        clone(embedder).fit(audio.data, audio.target).transform(audio.data), expected)


def test_network_fits_in_threads_equal_sequential_fits():
    # The reproduction: two fits at once in threads used to re-seed each
    # other's global generators (up to 0.16 apart) and left np.random changed.
    X = np.random.default_rng(0).normal(size=(60, 16, 8)).astype("float32")
    y = np.arange(60) % 3
    networks = [VGGLikeClassifier(filters=(4, 8), dense_units=8, epochs=2, random_state=0),
                FsFCNNClassifier(filters=(4, 8), convs_per_block=(1, 1),
                                 pool_sizes=((2, 1), None), epochs=2, random_state=0,
                                 mixup_alpha=0.2, random_crop_frames=12, time_mask=0.2,
                                 frequency_mask=0.2)]
    for clf in networks:
        expected = clone(clf).fit(X, y).predict_proba(X)
        with ThreadPoolExecutor(2) as pool:
            fits = list(pool.map(lambda _: clone(clf).fit(X, y), range(2)))
        for fitted in fits:
            np.testing.assert_array_equal(fitted.predict_proba(X), expected)


def test_grid_search_under_threads_scores_as_sequential(audio):
    X = MelSpectrogram(**MEL).transform(audio.data)
    search = GridSearchCV(VGGLikeClassifier(**TINY), {"learning_rate": [1e-3, 1e-2]},
                          cv=2, n_jobs=2)
    sequential = clone(search).set_params(n_jobs=1).fit(X, audio.target)
    with joblib.parallel_backend("threading", n_jobs=2):
        threaded = clone(search).fit(X, audio.target)
    np.testing.assert_array_equal(threaded.cv_results_["mean_test_score"],
                                  sequential.cv_results_["mean_test_score"])


# -------------------------------------------------------------- integer audio
def as_int16(X):
    return np.round(np.clip(X, -1, 1 - 2**-15) * 32768).astype(np.int16)


@pytest.mark.parametrize("step", [
    MelSpectrogram(**MEL), TrimSilence(),
    FunctionTransformer(lambda X: apply_gain(X, 6.0)),
    FunctionTransformer(lambda X: add_noise(X, np.zeros(len(X)), random_state=0)[0]),
], ids=["MelSpectrogram", "TrimSilence", "apply_gain", "add_noise"])
def test_integer_pcm_is_read_as_audio_libraries_read_it(step, audio):
    # int16 / 32768, as soundfile and librosa read the same file: the output
    # equals that of the float clips (it was 32767**2 times larger).
    pcm = as_int16(audio.data)
    expected = step.fit_transform(pcm.astype(np.float32) / 32768)
    np.testing.assert_allclose(step.fit_transform(pcm), expected, rtol=1e-5, atol=1e-7)
    for dtype, scale in ((np.int32, 2**16), (np.int8, 2**-8)):
        wider = (pcm.astype(np.int64) * scale).astype(dtype)
        np.testing.assert_allclose(step.fit_transform(wider),
                                   step.fit_transform(wider.astype(np.float64) / 32768
                                                      / scale), rtol=1e-4, atol=1e-6)


def test_pipeline_trained_on_floats_predicts_int16_clips_alike(audio):
    pipe = make_pipeline(MelSpectrogram(**MEL), LogCompression(), TemporalStatistics(),
                         LogisticRegression(max_iter=500)).fit(audio.data, audio.target)
    pcm = as_int16(audio.data)
    np.testing.assert_array_equal(pipe.predict(pcm),
                                  pipe.predict(pcm.astype(np.float32) / 32768))


def test_unsigned_pcm_is_centred():
    silence = np.full((1, 800), 128, dtype=np.uint8)
    np.testing.assert_array_equal(MelSpectrogram(**MEL).transform(silence), 0.0)


# ------------------------------------------------------ ecosystem conventions
def test_temporal_statistics_names_its_features_for_pandas_and_unions(audio):
    spectra = MelSpectrogram(**MEL).transform(audio.data)
    stats = TemporalStatistics(("mean", "max")).set_output(transform="pandas")
    frame = stats.fit_transform(spectra)
    assert list(frame.columns) == [f"{s}_band{b}" for s in ("mean", "max") for b in range(16)]
    np.testing.assert_array_equal(frame.to_numpy(), TemporalStatistics(("mean", "max"))
                                  .fit_transform(spectra))
    deltas = TemporalStatistics(("std",)).fit(Deltas().transform(spectra))
    assert deltas.get_feature_names_out()[:3].tolist() == [
        "std_band0_ch0", "std_band0_ch1", "std_band0_ch2"]


def test_pipelines_name_their_features_and_take_pandas_output(audio, tmp_path):
    # Every waveform and time-frequency step accepts set_output (its own output
    # stays an array) and names its features, so names reach the table.
    union = FeatureUnion([
        ("log", make_pipeline(MelSpectrogram(**MEL), LogCompression(), Deltas(),
                              TemporalStatistics(("mean",)))),
        ("pcen", make_pipeline(MelSpectrogram(**MEL), PCEN(sr=8000, hop_length=128),
                               TemporalStatistics(("max",))))])
    names = union.fit(audio.data).get_feature_names_out()
    assert names.size == union.transform(audio.data).shape[1] == 16 * 3 + 16
    assert names[:3].tolist() == ["log__mean_mel0", "log__mean_mel0_delta",
                                  "log__mean_mel0_delta2"]
    assert names[-1] == "pcen__max_mel15"
    pipe = make_pipeline(TrimSilence(), CachedTransformer(MelSpectrogram(**MEL), memory=tmp_path),
                         PersaPlus(random_state=0), MinMaxScale(),
                         CachedTransformer(TemporalStatistics(), memory=tmp_path),
                         LogisticRegression(max_iter=500))
    pipe.set_output(transform="pandas").fit(audio.data, audio.target)
    table = pipe[:-1].transform(audio.data)
    # The table's own columns name bands (a 3-D array carries no names); the
    # pipeline's names follow the steps in front.
    assert list(table.columns) == [f"{s}_band{b}" for s in ("mean", "std") for b in range(16)]
    assert pipe[:-1].get_feature_names_out()[0] == "mean_mel0"
    assert isinstance(pipe[:-2].transform(audio.data), np.ndarray)  # 3-D stays an array
    with pytest.raises(ValueError, match="transform must be"):
        MelSpectrogram().set_output(transform="arrow")


def test_networks_ignore_the_users_pandas_output_configuration(audio):
    spectra = MelSpectrogram(**MEL).transform(audio.data)
    with sklearn.config_context(transform_output="pandas"), warnings.catch_warnings():
        # (the FunctionTransformer's complaint; scikit-learn 1.6 also warns of
        # scikeras's old-style _more_tags, which is not about the output)
        warnings.simplefilter("error", UserWarning)
        clf = VGGLikeClassifier(**TINY).fit(spectra, audio.target)
        assert isinstance(clf.predict_proba(spectra), np.ndarray)


# -------------------------------------------------------------- hostile files
def forged_flac(path, declared_samples):
    """A one-second FLAC whose header declares ``declared_samples`` samples."""
    sf.write(path, np.zeros(8000, dtype=np.float32), 8000, format="FLAC")
    data = bytearray(path.read_bytes())
    # STREAMINFO: after "fLaC" and its 4-byte block header; the total sample
    # count is the low 36 bits of its bytes 10-17.
    fields = int.from_bytes(data[18:26], "big")
    fields = (fields & ~(2**36 - 1)) | declared_samples
    data[18:26] = fields.to_bytes(8, "big")
    path.write_bytes(bytes(data))
    return str(path)


def forged_wav(path):
    """A one-second WAV whose header declares a data chunk of 4 GiB."""
    sf.write(path, np.zeros(8000, dtype=np.int16), 8000, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    chunk = data.find(b"data")
    data[4:8] = data[chunk + 4:chunk + 8] = (2**32 - 16).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return str(path)


def truncated(path, fmt, subtype=None):
    rng = np.random.default_rng(0)
    sf.write(path, 0.1 * rng.standard_normal(16000).astype(np.float32), 8000,
             format=fmt, subtype=subtype)
    path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])
    return str(path)


HOSTILE = {
    "FLAC declaring 2**36 samples": lambda d: forged_flac(d / "huge.flac", 2**36 - 1),
    "FLAC declaring 2**28 samples": lambda d: forged_flac(d / "big.flac", 2**28),
    "WAV declaring 4 GiB": lambda d: forged_wav(d / "huge.wav"),
    "truncated FLAC": lambda d: truncated(d / "cut.flac", "FLAC"),
    "truncated MP3": lambda d: truncated(d / "cut.mp3", "MP3", "MPEG_LAYER_III"),
    "zero-length FLAC": lambda d: (d / "empty.flac").write_bytes(b"") or str(d / "empty.flac"),
    "text named .mp3": lambda d: (d / "t.mp3").write_text("not audio") and str(d / "t.mp3"),
}


@pytest.mark.parametrize("make", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("reader", ["load_audio", "AudioLoader"])
def test_hostile_files_cost_bounded_memory_and_fail_clearly(make, reader, tmp_path):
    # Each is decoded (finite samples, no more than a second at most) or refused
    # with an error naming the file, and the header's claims never decide the
    # memory: soundfile allocates what a header declares (256 GiB for 2**36).
    path = make(tmp_path)
    tracemalloc.start()
    try:
        if reader == "load_audio":
            y = load_audio(path, sr=8000)[0][np.newaxis]
        else:
            y = AudioLoader(sr=8000).fit_transform([path])
    except ValueError as exc:
        assert path in str(exc)
    else:
        assert np.isfinite(y).all() and y.shape[1] <= 16000
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 64 * 2**20, f"peak {peak / 2**20:.0f} MiB"
