"""skaudio.persistence: fitted pipelines saved and loaded without pickle."""

import os
import subprocess
import sys
import zipfile

import keras
import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skaudio import (
    CABCNNClassifier,
    MelSpectrogram,
    PersaPlus,
    TemporalStatistics,
    VGGLikeClassifier,
    WaveformMaxPool,
)
from skaudio.datasets import make_audio_classification
from skaudio.persistence import UntrustedTypeError, load, save

pytest.importorskip("skops", reason="skaudio.persistence needs skops (skaudio[safe])")


@pytest.fixture(scope="module")
def data():
    return make_audio_classification(n_samples=32, n_classes=2, duration=0.25, sr=8000,
                                     random_state=0)


def mel():
    return MelSpectrogram(sr=8000, n_fft=256, hop_length=128, n_mels=16)


@pytest.fixture(scope="module")
def network_pipeline(data):
    return make_pipeline(mel(), PersaPlus(random_state=0),
                         VGGLikeClassifier(filters=(4,), dense_units=4, epochs=2,
                                           gain_augment_db=3.0, random_state=0)
                         ).fit(data.data, data.target)


class Doubler(TransformerMixin, BaseEstimator):
    """A type outside skaudio and scikit-learn."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return 2 * X


def test_fitted_network_pipeline_round_trips_in_a_fresh_process(network_pipeline, data,
                                                                 tmp_path):
    path = tmp_path / "pipe.skaudio"
    save(network_pipeline, path)
    np.save(tmp_path / "X.npy", data.data)
    code = ("import numpy as np, sys; from skaudio.persistence import load; "
            "p = load(sys.argv[1]); "
            "np.save(sys.argv[2], p.predict_proba(np.load(sys.argv[3])))")
    subprocess.run([sys.executable, "-c", code, str(path), str(tmp_path / "p.npy"),
                    str(tmp_path / "X.npy")], check=True, timeout=300)
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"),
                                  network_pipeline.predict_proba(data.data))
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".partial")]


def test_cab_cnn_and_its_front_end_round_trip(data, tmp_path):
    pipe = make_pipeline(
        WaveformMaxPool(sr=8000, points_per_second=1000),
        CABCNNClassifier(filters=(4,), kernel_sizes=(3,), pool_sizes=(2,), pool_strides=(2,),
                         dropout=(0.0,), n_classifiers=3, epochs=1, random_state=0),
    ).fit(data.data, data.target)
    save(pipe, tmp_path / "cab.skaudio")
    with zipfile.ZipFile(tmp_path / "cab.skaudio") as archive:
        assert sorted(archive.namelist()) == ["estimator.skops", "keras/0.keras",
                                              "manifest.json"]
    again = load(tmp_path / "cab.skaudio")
    np.testing.assert_array_equal(again.predict_proba(data.data), pipe.predict_proba(data.data))
    assert again[-1].get_params() == pipe[-1].get_params()


def test_untrusted_types_are_refused_before_anything_is_built(data, tmp_path):
    pipe = make_pipeline(mel(), TemporalStatistics(), Doubler(),
                         LogisticRegression()).fit(data.data, data.target)
    save(pipe, tmp_path / "custom.skaudio")
    name = f"{Doubler.__module__}.Doubler"
    with pytest.raises(UntrustedTypeError, match=name.replace(".", r"\.")):
        load(tmp_path / "custom.skaudio")
    again = load(tmp_path / "custom.skaudio", trusted=[name])
    np.testing.assert_array_equal(again.predict(data.data), pipe.predict(data.data))


def test_a_file_that_would_run_code_is_refused(tmp_path, data):
    marker = tmp_path / "code_ran"
    pipe = make_pipeline(FunctionTransformer(os.system), LogisticRegression())
    save(pipe, tmp_path / "evil.skaudio")
    with pytest.raises(UntrustedTypeError, match="system"):
        load(tmp_path / "evil.skaudio")
    assert not marker.exists()


def test_keras_models_with_python_code_are_refused(network_pipeline, tmp_path):
    path = tmp_path / "pipe.skaudio"
    save(network_pipeline, path)
    inputs = keras.Input((2,))
    keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs)).save(tmp_path / "l.keras")
    hostile = tmp_path / "hostile.skaudio"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(hostile, "w") as dst:
        for item in src.namelist():
            dst.writestr(item, (tmp_path / "l.keras").read_bytes() if item.endswith(".keras")
                         else src.read(item))
    with pytest.raises(ValueError, match="(?i)unsafe|safe_mode|lambda"):
        load(hostile)


@pytest.mark.parametrize("content, match", [
    (b"not a zip", "not a zip archive"),
    (None, "no manifest"),
])
def test_files_that_are_not_skaudio_models_are_explained(content, match, tmp_path):
    path = tmp_path / "model.skaudio"
    if content is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("other.txt", "x")
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        load(path)


def test_pickle_keeps_the_model_inside(network_pipeline, data):
    import pickle

    again = pickle.loads(pickle.dumps(network_pipeline))
    assert isinstance(again[-1].model_, keras.Model)
    np.testing.assert_array_equal(again.predict_proba(data.data),
                                  network_pipeline.predict_proba(data.data))


def test_explains_a_missing_skops(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "skops.io", None)
    monkeypatch.setitem(sys.modules, "skops", None)
    with pytest.raises(ImportError, match=r"skaudio\[safe\]"):
        save(LogisticRegression(), tmp_path / "m.skaudio")
