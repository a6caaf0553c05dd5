"""export_network and export_report: a fitted network (and front-end) as one ONNX file."""

import copy
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .._version import __version__
from ..features import MelSpectrogram
from ._frontends import convert_frontend, exportable
from ._graph import GraphBuilder, require_onnx
from ._keras import KerasConverter, Tensor
from ._predictor import ONNXClassifier

QUANTIZE_OPTIONS = (None, "int8", "int8-dynamic")
#: The operators "int8-dynamic" hands to onnxruntime's integer kernels: every
#: convolution and dense layer (onnxruntime's default quantises only the
#: matrix products).
DYNAMIC_OPS = ["Conv", "MatMul", "Gemm"]


def _flat_steps(pipeline):
    """The steps of ``pipeline``, those of nested pipelines in their place."""
    steps = []
    for name, step in pipeline.steps:
        steps += _flat_steps(step) if isinstance(step, Pipeline) else [(name, step)]
    return steps


def _split(estimator):
    """``(python_steps, frontend_steps, network_name, network)`` of what is exported."""
    # Here, not at the top: ONNXClassifier (this package) predicts without Keras.
    from ..estimators._base import NetworkClassifier

    if isinstance(estimator, Pipeline):
        *steps, (name, network) = _flat_steps(estimator)
    else:
        steps, name, network = [], None, estimator
    if not isinstance(network, NetworkClassifier):
        raise TypeError(
            f"export_network exports skaudio's networks (NetworkClassifier) or pipelines "
            f"that end in one; got {type(network).__name__}.")
    check_is_fitted(network, "model_")
    if network._multilabel:
        raise ValueError("Multi-label networks cannot be exported yet: ONNXClassifier "
                         "predicts one class per sample.")
    first = len(steps)
    while first > 0 and exportable(steps[first - 1][1]):
        first -= 1
    return steps[:first], steps[first:], name, network


def _waveform_samples(mel, n_frames):
    """The clip lengths ``(shortest, longest)`` whose mel spectrogram has ``n_frames``."""
    hop = mel.hop_length
    shortest = (n_frames - 1) * hop + (0 if mel.center else mel.n_fft)
    return max(shortest, 1 if mel.center else mel.n_fft), shortest + hop - 1


def _graph_input(frontend_steps, network):
    """One sample's shape at the graph's input, and the range of clip lengths it reads.

    A graph that starts with the mel spectrogram reads clips of any length
    that gives the network its number of frames (the input's length axis is
    symbolic); the range is ``None`` otherwise.
    """
    sample_shape = tuple(network.X_shape_[1:])
    if not (frontend_steps and type(frontend_steps[0][1]) is MelSpectrogram):
        return sample_shape, None
    mel, after = frontend_steps[0][1], [step for _, step in frontend_steps[1:]
                                        if step not in (None, "passthrough")]
    # The mel frames that the steps after it (Deltas without padding drops
    # some) turn into the network's input.
    for n_frames in range(sample_shape[0], sample_shape[0] + 1024):
        shape = (n_frames, mel.n_mels)
        try:
            for step in after:
                shape = step.transform(np.zeros((1, *shape), np.float32)).shape[1:]
        except ValueError:  # too few frames for a step (Deltas' filter)
            continue
        if shape == sample_shape:
            return (None,), _waveform_samples(mel, n_frames)
    raise ValueError("The front-end's output does not match the network's input; "
                     "was the pipeline fitted?")


def _check_labels(classes):
    try:
        json.dumps(classes.tolist())
    except TypeError:
        raise ValueError(
            f"The network's classes ({classes.dtype} labels such as {classes[0]!r}) cannot "
            "be recorded in the ONNX file: train it on integer or string labels.") from None


def _compact_names(model):
    """Short names for every tensor but the input and output; nodes unnamed.

    onnxruntime's quantiser names each tensor after its layer and role: on a
    MobileNetV2 the names took a third of the file.
    """
    keep = {v.name for v in (*model.graph.input, *model.graph.output)}
    renamed = {}

    def short(name):
        if not name or name in keep:
            return name
        return renamed.setdefault(name, format(len(renamed), "x"))

    for tensor in model.graph.initializer:
        tensor.name = short(tensor.name)
    for sparse in model.graph.sparse_initializer:
        sparse.values.name = short(sparse.values.name)
        sparse.indices.name = short(sparse.indices.name)
    for node in model.graph.node:
        node.name = ""
        node.input[:] = [short(n) for n in node.input]
        node.output[:] = [short(n) for n in node.output]
    del model.graph.value_info[:]


def export_network(estimator, path, *, quantize="int8", frontend=True):
    """Write a fitted skaudio network, and the front-end before it, to one ONNX file.

    The network's weights, with every batch normalisation folded into the
    convolution or dense layer before it, become an ONNX graph that
    onnxruntime (or any ONNX runtime) runs without Keras, Python or skaudio.
    The front-end steps that end the pipeline before the network go into the
    graph too where ONNX can express them (:class:`~skaudio.MelSpectrogram`,
    LOG, PERSA, LOG-T, PCEN, :class:`~skaudio.MinMaxScale`,
    :class:`~skaudio.Deltas`), so that the file reads waveforms; the steps
    before the first that cannot (PERSA+, whose noise is a hash of each
    sample's values; file loading) stay in Python.

    Post-training quantisation, as the DCASE paper compressed its Task 1b
    networks with TensorFlow Lite's dynamic-range quantisation:

    * ``"int8"`` (the default): the weights of every convolution and dense
      layer are stored as 8-bit integers, one scale per output channel
      (symmetric), and dequantised when the file is loaded; activations and
      arithmetic stay float32. The file shrinks to about a quarter (float
      biases, scales and the graph make up the rest), only the weights'
      rounding changes the output, and it predicts as fast as float32.
    * ``"int8-dynamic"``: onnxruntime's dynamic quantisation of the same
      layers: integer convolutions and matrix products, the activations
      quantised at every call. The same size; measured here, slower and
      further from the float model (``benchmarks/export.py``).
    * ``None``: float32 weights, the reference of size and accuracy.

    The front-end is never quantised: the mel basis is stored sparse (its
    non-zero entries, float32), PCEN's smoothing matrix float16 in an int8
    file and float32 otherwise.

    Needs the optional packages onnx and onnxruntime
    (``pip install "skaudio[export]"``).

    Parameters
    ----------
    estimator : NetworkClassifier or Pipeline
        A fitted skaudio network, or a fitted pipeline that ends in one.
    path : str or path-like
        The ``.onnx`` file to write.
    quantize : {"int8", "int8-dynamic", None}, default="int8"
        How the weights are stored, see above.
    frontend : bool, default=True
        Put the exportable front-end steps into the graph; False exports the
        network alone.

    Returns
    -------
    deployed : ONNXClassifier or Pipeline
        What replaces ``estimator``: the :class:`ONNXClassifier` of the file,
        behind copies of the steps that stay in Python if any. Its ``predict``
        gives ``estimator.predict``'s labels (to the quantisation).

    Raises
    ------
    ImportError
        onnx or onnxruntime missing.
    sklearn.exceptions.NotFittedError
        The network is not fitted.
    ValueError
        An unknown ``quantize``, or a layer ONNX export does not support (the
        message lists the supported ones).

    See Also
    --------
    export_report : Size, accuracy, agreement and latency of the exports.

    References
    ----------
    .. [1] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section 4
       and Table 2 (dynamic range quantisation to about 1/8 of the size).

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.pipeline import make_pipeline
    >>> from skaudio import LogCompression, MelSpectrogram, VGGLikeClassifier
    >>> from skaudio.datasets import make_audio_classification
    >>> from skaudio.export import export_network
    >>> data = make_audio_classification(n_samples=24, n_classes=2, random_state=0)
    >>> pipe = make_pipeline(MelSpectrogram(n_mels=32), LogCompression(),
    ...                      VGGLikeClassifier(epochs=1, random_state=0))
    >>> pipe = pipe.fit(data.data, data.target)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.onnx")
    >>> deployed = export_network(pipe, path, quantize=None)
    >>> deployed
    ONNXClassifier(path=...)
    >>> bool((deployed.predict(data.data) == pipe.predict(data.data)).all())
    True
    """
    if quantize not in QUANTIZE_OPTIONS:
        raise ValueError(f"quantize must be one of {QUANTIZE_OPTIONS}; got {quantize!r}.")
    onnx, _ = require_onnx()
    python_steps, frontend_steps, network_name, network = _split(estimator)
    if not frontend:
        python_steps, frontend_steps = python_steps + frontend_steps, []
    classes = np.asarray(network.classes_)
    _check_labels(classes)

    g = GraphBuilder(onnx, int8_weights=quantize == "int8")
    input_shape, samples = _graph_input(frontend_steps, network)
    x, shape = "input", input_shape if samples is None else (samples[0],)
    for _, step in frontend_steps:
        x = convert_frontend(step, g, x, shape)
        if step not in (None, "passthrough"):
            shape = step.transform(np.zeros((1, *shape), np.float32)).shape[1:]
    frontend_nodes = [node.name for node in g.nodes]
    model_shape = network._input_transform(np.zeros((1, *network.X_shape_[1:]))).shape[1:]
    x = Tensor(g.op("Reshape", x, g.const([-1, *model_shape], dtype=np.int64)),
               len(model_shape) + 1)
    if x.ndim == 4:
        x = Tensor(g.op("Transpose", x.name, perm=[0, 3, 1, 2]), 4)
    y = KerasConverter(g).convert(network.model_, x)
    output = g.op("Identity", y.name, hint="probabilities")
    metadata = {
        "classes": classes.tolist(),
        "classes_dtype": classes.dtype.str if classes.dtype != object else "object",
        "input_shape": list(input_shape),
        "input_samples": None if samples is None else list(samples),
        "quantize": quantize,
        "frontend_steps": [type(step).__name__ for _, step in frontend_steps
                           if step not in (None, "passthrough")],
        "python_steps": [name for name, _ in python_steps],
        "network": type(network).__name__,
        # A file that reads waveforms: their sample rate (input_shape: samples).
        "sample_rate": next((step.sr for _, step in frontend_steps[:1]
                             if type(step) is MelSpectrogram), None),
        "version": __version__,
    }
    model = g.model("input", input_shape, output, len(classes),
                    {f"skaudio.{k}": json.dumps(v) for k, v in metadata.items()})
    if quantize == "int8-dynamic":
        model = _quantize_dynamic(onnx, model, frontend_nodes)
    _compact_names(model)
    onnx.save(model, os.fspath(path))

    deployed = ONNXClassifier(path)
    if not python_steps:
        return deployed
    return Pipeline([(name, copy.deepcopy(step)) for name, step in python_steps]
                    + [(network_name, deployed)])


def _quantize_dynamic(onnx, model, exclude):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # onnxruntime's quantiser reads dense initializers only: the sparse tables
    # (the mel basis) go in dense and come out sparse again.
    sparse = {t.values.name: t for t in model.graph.sparse_initializer}
    for name, tensor in sparse.items():
        dense = np.zeros(int(np.prod(tensor.dims)), np.float32)
        dense[onnx.numpy_helper.to_array(tensor.indices)] = \
            onnx.numpy_helper.to_array(tensor.values)
        model.graph.initializer.append(
            onnx.numpy_helper.from_array(dense.reshape(tuple(tensor.dims)), name))
    del model.graph.sparse_initializer[:]
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "float32.onnx", Path(tmp) / "int8.onnx"
        onnx.save(model, source)
        quantize_dynamic(source, target, op_types_to_quantize=DYNAMIC_OPS,
                         per_channel=True, weight_type=QuantType.QInt8,
                         nodes_to_exclude=exclude)
        quantized = onnx.load(target)
    tables = [t for t in quantized.graph.initializer if t.name in sparse]
    for tensor in tables:
        quantized.graph.initializer.remove(tensor)
        quantized.graph.sparse_initializer.append(sparse[tensor.name])
    return quantized


def _latency_ms(predictor, X, n_clips):
    """Median milliseconds to predict one clip, one call per clip."""
    times = []
    for i in range(min(n_clips, len(X))):
        tic = time.perf_counter()
        predictor.predict(X[i:i + 1])
        times.append(time.perf_counter() - tic)
    return 1e3 * float(np.median(times))


def export_report(estimator, X, y, *, quantize=("int8",), directory=None, n_latency=32):
    """Export ``estimator`` in float32 and quantised and compare each with it on ``(X, y)``.

    Parameters
    ----------
    estimator : NetworkClassifier or Pipeline
        Fitted, as :func:`skaudio.export.export_network` takes it: a
        :class:`skaudio.estimators.NetworkClassifier`, or a pipeline ending
        with one.
    X, y : array-like
        Test samples and labels, as ``estimator.predict`` takes them.
    quantize : tuple of {"int8", "int8-dynamic"}, default=("int8",)
        The quantised formats compared with float32.
    directory : str or path-like, default=None
        Where to keep ``float32.onnx``, ``int8.onnx``, ...; None: a temporary
        folder, removed afterwards.
    n_latency : int, default=32
        Clips predicted one at a time for the latency (the first
        ``n_latency`` of ``X``, each timed once; the median is reported).

    Returns
    -------
    dict
        ``{"keras": {...}, "float32": {...}, "int8": {...}, "size_ratio": ...}``:
        for each format, ``size_kb`` (Keras: the saved ``.keras`` file, which
        also holds the optimiser's state), ``accuracy``, ``agreement`` (the
        share of labels equal to the Keras model's) and ``latency_ms``
        (median per clip); ``size_ratio`` is the first quantised format's
        size over float32's (absent when ``quantize`` is empty).

    See Also
    --------
    skaudio.export.export_network : write one of the files.
    skaudio.export.ONNXClassifier : predict with a written file.

    References
    ----------
    .. [1] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section 4
       (post-training dynamic-range quantisation to 8-bit weights, about 1/8
       of the size) and Table 2 (accuracy before and after quantisation).

    Examples
    --------
    It needs a fitted network (training one takes longer than a doctest
    should), such as ``pipe`` of :func:`skaudio.export.export_network`'s
    example, and test clips:

    >>> report = export_report(pipe, X_test, y_test)  # doctest: +SKIP
    >>> report["size_ratio"], report["int8"]["agreement"]  # doctest: +SKIP
    (0.27, 1.0)
    """
    y = np.asarray(y)
    network = _split(estimator)[3]
    reference = estimator.predict(X)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(directory if directory is not None else tmp)
        folder.mkdir(parents=True, exist_ok=True)
        keras_file = Path(tmp) / "network.keras"
        network.model_.save(keras_file)
        report = {"keras": {"size_kb": keras_file.stat().st_size / 1e3,
                            "accuracy": float(np.mean(reference == y)), "agreement": 1.0,
                            "latency_ms": _latency_ms(estimator, X, n_latency)}}
        for name in ("float32", *quantize):
            path = folder / f"{name}.onnx"
            deployed = export_network(estimator, path,
                                      quantize=None if name == "float32" else name)
            predicted = deployed.predict(X)
            report[name] = {"size_kb": path.stat().st_size / 1e3,
                            "accuracy": float(np.mean(predicted == y)),
                            "agreement": float(np.mean(predicted == reference)),
                            "latency_ms": _latency_ms(deployed, X, n_latency)}
    if quantize:
        report["size_ratio"] = report[quantize[0]]["size_kb"] / report["float32"]["size_kb"]
    return report
