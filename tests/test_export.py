"""skaudio.export: networks and front-ends to ONNX, float32 and int8, and back."""

import sys

import joblib
import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skaudio import (
    PCEN,
    CABCNNClassifier,
    Deltas,
    LogCompression,
    LogThreshold,
    MelSpectrogram,
    MinMaxScale,
    PerSampleNorm,
    PersaPlus,
    TemporalStatistics,
    VGGLikeClassifier,
    WaveformMaxPool,
)
from skaudio.datasets import make_audio_classification
from skaudio.export import ONNXClassifier, export_network, export_report

onnx = pytest.importorskip("onnx", reason="skaudio.export needs onnx (skaudio[export])")
ort = pytest.importorskip("onnxruntime",
                          reason="skaudio.export needs onnxruntime (skaudio[export])")


@pytest.fixture(scope="module")
def data():
    return make_audio_classification(n_samples=48, n_classes=3, duration=0.5, sr=8000,
                                     random_state=0)


def mel():
    return MelSpectrogram(sr=8000, n_fft=256, hop_length=128, n_mels=16)


def tiny_network(**params):
    params = {"filters": (8, 16), "dense_units": 8, "epochs": 3, **params}
    return VGGLikeClassifier(batch_size=16, random_state=0, **params)


@pytest.fixture(scope="module")
def pipe(data):
    labels = np.array(["tone", "chirp", "noise"])[data.target]
    # The paper's filters (100k weights): in a network of a few thousand the
    # quantisation's scales and graph outweigh the weights.
    network = tiny_network(filters=(16, 32, 64, 128))
    return make_pipeline(mel(), LogCompression(), network).fit(data.data, labels)


def test_float32_export_reads_waveforms_and_matches_keras(pipe, data, tmp_path):
    deployed = export_network(pipe, tmp_path / "net.onnx", quantize=None)
    assert isinstance(deployed, ONNXClassifier)  # mel and LOG are inside the graph
    assert deployed.metadata_["frontend_steps"] == ["MelSpectrogram", "LogCompression"]
    np.testing.assert_allclose(deployed.predict_proba(data.data),
                               pipe.predict_proba(data.data), atol=1e-5)
    np.testing.assert_array_equal(deployed.classes_, pipe.classes_)
    assert deployed.predict(data.data).dtype == pipe.predict(data.data).dtype


def test_int8_export_predicts_the_same_classes_in_a_third_of_the_size(pipe, data, tmp_path):
    float32 = export_network(pipe, tmp_path / "f.onnx", quantize=None, frontend=False)
    int8 = export_network(pipe, tmp_path / "q.onnx", frontend=False)
    size = (tmp_path / "q.onnx").stat().st_size / (tmp_path / "f.onnx").stat().st_size
    assert size <= 1 / 3
    assert int8[-1].metadata_["quantize"] == "int8"
    # The front-end stays in Python: the deployed pipeline computes it.
    assert [name for name, _ in float32.steps[:-1]] == ["melspectrogram", "logcompression"]
    np.testing.assert_array_equal(int8.predict(data.data), pipe.predict(data.data))
    np.testing.assert_allclose(int8.predict_proba(data.data), pipe.predict_proba(data.data),
                               atol=0.05)
    model = onnx.load(tmp_path / "q.onnx")
    weights = [w for w in model.graph.initializer if w.data_type == onnx.TensorProto.INT8]
    kernels = [layer.kernel for layer in pipe[-1].model_._flatten_layers()
               if hasattr(layer, "kernel")]
    assert sorted(int(np.prod(w.dims)) for w in weights) == sorted(
        int(np.prod(k.shape)) for k in kernels)  # every convolution and dense layer
    assert sum(node.op_type == "DequantizeLinear" for node in model.graph.node) == 6


def test_int8_dynamic_export_computes_with_integer_kernels(pipe, data, tmp_path):
    deployed = export_network(pipe, tmp_path / "q.onnx", quantize="int8-dynamic")
    np.testing.assert_array_equal(deployed.predict(data.data), pipe.predict(data.data))
    ops = {node.op_type for node in onnx.load(tmp_path / "q.onnx").graph.node}
    assert {"ConvInteger", "MatMulInteger", "STFT"} <= ops and "Conv" not in ops


@pytest.mark.parametrize("frontend", [
    LogCompression(), PerSampleNorm(), PerSampleNorm(method="divide"), LogThreshold(c=20),
    PCEN(sr=8000, hop_length=128), PCEN(sr=8000, hop_length=128, bias=0, power=0.5),
    MinMaxScale(),
], ids=repr)
def test_every_exportable_frontend_computes_as_in_python(frontend, data, tmp_path):
    pipe = make_pipeline(mel(), frontend, tiny_network(epochs=1))
    pipe.fit(data.data, data.target)
    deployed = export_network(pipe, tmp_path / "net.onnx", quantize=None)
    assert isinstance(deployed, ONNXClassifier)
    np.testing.assert_allclose(deployed.predict_proba(data.data),
                               pipe.predict_proba(data.data), atol=1e-4)


@pytest.mark.parametrize("padding", [False, True])
def test_the_dcase_frontend_with_deltas_computes_as_in_python(padding, data, tmp_path):
    pipe = make_pipeline(mel(), LogCompression(), MinMaxScale(),
                         Deltas(width=5, padding=padding), tiny_network(epochs=1))
    pipe.fit(data.data, data.target)
    deployed = export_network(pipe, tmp_path / "net.onnx", quantize=None)
    assert deployed.metadata_["frontend_steps"][-1] == "Deltas"
    np.testing.assert_allclose(deployed.predict_proba(data.data),
                               pipe.predict_proba(data.data), atol=1e-4)


def test_a_stateless_mel_spectrogram_need_not_be_fitted(pipe, data, tmp_path):
    # A network fitted on features computed once, put behind the mel step later.
    from sklearn.pipeline import Pipeline

    deployed = export_network(Pipeline([("mel", mel()), ("rest", pipe[1:])]),
                              tmp_path / "net.onnx", quantize=None)
    assert deployed.metadata_["input_samples"] == [3968, 4095]  # 32 frames of hop 128
    np.testing.assert_allclose(deployed.predict_proba(data.data[:, :3968]),
                               pipe.predict_proba(data.data[:, :3968]), atol=1e-5)


def test_persa_plus_and_the_steps_before_it_stay_in_python(data, tmp_path):
    pipe = make_pipeline(mel(), PersaPlus(random_state=0), tiny_network(epochs=1))
    pipe.fit(data.data, data.target)
    deployed = export_network(pipe, tmp_path / "net.onnx", quantize=None)
    assert [type(step).__name__ for _, step in deployed.steps] == [
        "MelSpectrogram", "PersaPlus", "ONNXClassifier"]
    assert deployed[-1].metadata_["python_steps"] == ["melspectrogram", "persaplus"]
    np.testing.assert_allclose(deployed.predict_proba(data.data),
                               pipe.predict_proba(data.data), atol=1e-5)
    assert deployed[0] is not pipe[0]  # copies: the user's pipeline is untouched


@pytest.mark.parametrize("builder", ["build_vgg_like", "build_fcnn", "build_fsfcnn",
                                     "build_mobilenet_v2", "build_two_path_resnet"])
def test_every_dcase_and_persa_network_converts_exactly(builder, tmp_path):
    from skaudio import networks
    from skaudio.export._graph import GraphBuilder
    from skaudio.export._keras import KerasConverter, Tensor

    model = getattr(networks, builder)((16, 32, 1), 4, seed=0)
    rng = np.random.default_rng(0)
    for layer in model.layers:  # batch statistics far from the identity
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([w + rng.uniform(0.1, 0.5, w.shape).astype(np.float32)
                               for w in layer.get_weights()])
    g = GraphBuilder(onnx)
    x = Tensor(g.op("Transpose", "input", perm=[0, 3, 1, 2]), 4)
    output = g.op("Identity", KerasConverter(g).convert(model, x).name)
    graph = g.model("input", (16, 32, 1), output, 4, {})
    session = ort.InferenceSession(graph.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    X = rng.normal(size=(3, 16, 32, 1)).astype(np.float32)
    np.testing.assert_allclose(session.run(None, {"input": X})[0],
                               np.asarray(model(X, training=False)), atol=1e-5)


def test_the_deployed_pipeline_survives_joblib_without_its_file(pipe, data, tmp_path):
    path = tmp_path / "net.onnx"
    deployed = export_network(pipe, path, frontend=False)
    expected = deployed.predict(data.data)
    joblib.dump(deployed, tmp_path / "deployed.joblib")
    path.unlink()  # the pickle carries the network
    loaded = joblib.load(tmp_path / "deployed.joblib")
    np.testing.assert_array_equal(loaded.predict(data.data), expected)
    np.testing.assert_array_equal(loaded.classes_, pipe.classes_)


def test_onnx_classifier_is_inference_only(pipe, data, tmp_path):
    deployed = export_network(pipe, tmp_path / "net.onnx")
    with pytest.raises(TypeError, match="inference-only"):
        clone(deployed).fit(data.data, data.target)
    assert clone(deployed).get_params() == deployed.get_params()
    with pytest.raises(ValueError, match=r"reads clips of 3968 to 4095 samples"):
        deployed.predict(data.data[:, :100])
    X = data.data.copy()
    X[0, 5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        deployed.predict(X)


def test_export_report_compares_float32_and_int8(pipe, data, tmp_path):
    labels = np.array(["tone", "chirp", "noise"])[data.target]
    report = export_report(pipe, data.data, labels, directory=tmp_path, n_latency=2)
    assert (tmp_path / "int8.onnx").exists() and (tmp_path / "float32.onnx").exists()
    assert report["float32"]["agreement"] == 1.0
    assert report["float32"]["accuracy"] == report["keras"]["accuracy"]
    assert 0 < report["size_ratio"] < 0.5
    assert report["int8"]["latency_ms"] > 0


def test_clear_errors(pipe, data, tmp_path):
    with pytest.raises(ValueError, match="quantize must be one of"):
        export_network(pipe, tmp_path / "x.onnx", quantize="int4")
    with pytest.raises(ValueError, match="quantize must be one of"):
        export_network(pipe, tmp_path / "x.onnx", quantize="INT8")
    unfitted = make_pipeline(mel(), LogCompression(), tiny_network())
    with pytest.raises(NotFittedError):
        export_network(unfitted, tmp_path / "x.onnx")
    features = make_pipeline(mel(), TemporalStatistics(), LogisticRegression())
    features.fit(data.data, data.target)
    with pytest.raises(TypeError, match="NetworkClassifier"):
        export_network(features, tmp_path / "x.onnx")
    cab = make_pipeline(WaveformMaxPool(sr=8000, points_per_second=500),
                        CABCNNClassifier(epochs=1, random_state=0))
    cab.fit(data.data[:8], data.target[:8])
    with pytest.raises(ValueError, match="cannot be exported to ONNX; supported layers"):
        export_network(cab, tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()


def test_missing_optional_dependency_says_how_to_install(pipe, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ImportError, match=r"pip install 'skaudio\[export\]'"):
        export_network(pipe, tmp_path / "x.onnx")
