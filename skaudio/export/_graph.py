"""A small builder of ONNX graphs: nodes, constants and unique names."""

import importlib

import numpy as np

#: The ONNX opset of every exported file: 17 has ``STFT`` (the mel front-end),
#: ``LayerNormalization`` and everything the networks need.
OPSET = 17


def require_onnx():
    """The ``onnx`` and ``onnxruntime`` modules, or an error that says how to get them."""
    try:
        return importlib.import_module("onnx"), importlib.import_module("onnxruntime")
    except ImportError as exc:
        raise ImportError(
            f"skaudio.export needs the optional packages onnx and onnxruntime "
            f"({exc.name} is missing): pip install 'skaudio[export]'."
        ) from None


class GraphBuilder:
    """Collects the nodes and constants of one ONNX graph.

    Every method adds nodes and returns the name of its output, so that a
    converter reads as the computation it expresses::

        y = g.op("Add", x, g.const(np.float32(1)))

    Parameters
    ----------
    onnx : module
        The ``onnx`` package (imported by :func:`require_onnx`).
    """

    def __init__(self, onnx, *, int8_weights=False):
        self.onnx = onnx
        self.int8_weights = int8_weights
        self.nodes = []
        self.initializers = []
        self.sparse_initializers = []
        self._names = set()

    def name(self, hint):
        """A name no other tensor of the graph has, starting with ``hint``."""
        candidate, i = hint, 1
        while candidate in self._names:
            candidate, i = f"{hint}_{i}", i + 1
        self._names.add(candidate)
        return candidate

    def const(self, value, hint="const", dtype=np.float32):
        """A constant tensor (an initializer) holding ``value``."""
        value = np.asarray(value, dtype=dtype)
        name = self.name(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(value, name))
        return name

    def weight(self, value, hint, axis):
        """A layer's weight tensor: float32, or int8 with a scale per slice along ``axis``.

        With ``int8_weights`` the file stores ``round(value / scale)`` as 8-bit
        integers, symmetric (zero point 0), with ``scale = max |w| / 127`` of
        each output channel (the slices along ``axis``), and a
        ``DequantizeLinear`` node restores float weights when the graph runs:
        activations and arithmetic stay float32, as in TensorFlow Lite's
        dynamic-range quantisation, and only the weights' rounding remains.
        """
        value = np.asarray(value, dtype=np.float32)
        if not self.int8_weights:
            return self.const(value, hint)
        other = tuple(i for i in range(value.ndim) if i != axis)
        peak = np.abs(value).max(axis=other, keepdims=True)
        scale = np.where(peak > 0, peak / 127, 1).astype(np.float32)
        quantized = np.clip(np.rint(value / scale), -127, 127).astype(np.int8)
        return self.op("DequantizeLinear", self.const(quantized, f"{hint}_int8", np.int8),
                       self.const(scale.ravel(), f"{hint}_scale"), hint=hint, axis=axis)

    def table(self, value, hint):
        """A front-end's fixed table (the mel basis, PCEN's smoothing matrix).

        A mostly-zero table (the mel basis: each FFT bin in at most two
        filters) is stored as a sparse initializer, its non-zero values in
        float32 (exact, about a tenth of the dense size); runtimes make it
        dense at load. A dense one is float32, or float16 with
        ``int8_weights``: float16 keeps every entry's relative precision
        (5e-4), which tables of a wide dynamic range need; rounded to int8
        against each mel filter's peak, the filters' small edge weights
        changed the quiet bands of a log-mel spectrogram by whole bels
        (measured).
        """
        value = np.asarray(value, dtype=np.float32)
        nonzero = np.flatnonzero(value)
        if nonzero.size < value.size / 4:
            name = self.name(hint)
            helper, numpy_helper = self.onnx.helper, self.onnx.numpy_helper
            self.sparse_initializers.append(helper.make_sparse_tensor(
                numpy_helper.from_array(value.ravel()[nonzero], name),
                numpy_helper.from_array(nonzero.astype(np.int64), self.name(f"{hint}_at")),
                list(value.shape)))
            return name
        if not self.int8_weights:
            return self.const(value, hint)
        return self.op("Cast", self.const(value, f"{hint}_float16", np.float16),
                       hint=hint, to=self.onnx.TensorProto.FLOAT)

    def op(self, op_type, *inputs, hint=None, n_outputs=1, **attributes):
        """Add one node; its output name (a tuple of them for ``n_outputs > 1``)."""
        base = hint or op_type.lower()
        outputs = [self.name(base if i == 0 else f"{base}_out{i}") for i in range(n_outputs)]
        self.nodes.append(self.onnx.helper.make_node(
            op_type, list(inputs), outputs, name=self.name(f"{base}_node"), **attributes))
        return outputs[0] if n_outputs == 1 else tuple(outputs)

    def model(self, input_name, input_shape, output_name, n_outputs, metadata):
        """The finished ``onnx.ModelProto``: one float32 input, one output.

        ``input_shape`` is one sample's shape (``None``: any length, the axis
        named ``samples``); the batch axis is named ``n``.
        """
        helper = self.onnx.helper
        graph = helper.make_graph(
            self.nodes, "skaudio",
            [helper.make_tensor_value_info(input_name, self.onnx.TensorProto.FLOAT,
                                           ["n", *("samples" if d is None else d
                                                   for d in input_shape)])],
            [helper.make_tensor_value_info(output_name, self.onnx.TensorProto.FLOAT,
                                           ["n", n_outputs])],
            initializer=self.initializers, sparse_initializer=self.sparse_initializers)
        model = helper.make_model(
            graph, producer_name="skaudio",
            opset_imports=[helper.make_operatorsetid("", OPSET)])
        # onnxruntime reads files of IR version 10 and older.
        model.ir_version = min(model.ir_version, 10)
        helper.set_model_props(model, metadata)
        self.onnx.checker.check_model(model)
        return model
