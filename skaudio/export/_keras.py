"""Keras models -> ONNX nodes, layer by layer.

Keras computes channels last (``NHWC``), ONNX's convolutions and pooling
channels first (``NCHW``): every 4-D tensor of the exported graph is kept
channels first, and the converters map Keras's axes onto it (concatenation,
reshapes and the global poolings). Batch normalisation that follows a
convolution or dense layer is folded into its weights (the inference-time
affine map, exactly), so that quantisation sees one weight tensor per layer.
Layers that act only in training (dropout, noise, skaudio's ``RandomGain``)
are the identity.
"""

from collections import defaultdict

import numpy as np

#: Layers that act only while training: the identity at prediction.
TRAINING_ONLY = frozenset({
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise",
    "GaussianDropout", "AlphaDropout", "ActivityRegularization", "RandomGain",
})
#: Keras's axis of a 4-D tensor -> the exported (channels-first) axis.
_NCHW_AXIS = (0, 2, 3, 1)


class Tensor:
    """A tensor of the exported graph: its name and rank (rank 4 is channels first)."""

    __slots__ = ("name", "ndim")

    def __init__(self, name, ndim):
        self.name, self.ndim = name, ndim


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _auto_pad(padding):
    # Keras's "same" puts an odd padding's extra row after, like SAME_UPPER.
    return {"same": "SAME_UPPER", "valid": "VALID"}[padding]


def _channel_shape(x, values):
    """Per-channel constants shaped to broadcast against ``x``."""
    values = np.asarray(values, dtype=np.float32)
    return values.reshape(-1, 1, 1) if x.ndim == 4 else values


def _to_keras_layout(g, x):
    """``x`` with Keras's axis order (4-D channels last)."""
    return g.op("Transpose", x.name, perm=[0, 2, 3, 1]) if x.ndim == 4 else x.name


def _from_keras_layout(g, name, ndim):
    if ndim == 4:
        return Tensor(g.op("Transpose", name, perm=[0, 3, 1, 2]), 4)
    return Tensor(name, ndim)


def _batch_norm_affine(layer):
    """The inference-time map of a BatchNormalization layer: ``x * scale + shift``."""
    config = layer.get_config()
    if config["axis"] not in (-1, [-1], len(layer.input.shape) - 1,
                              [len(layer.input.shape) - 1]):
        raise ValueError(f"Batch normalisation over axis {config['axis']} cannot be "
                         "exported; only the channel axis (-1).")
    weights = iter(layer.get_weights())
    n = layer.input.shape[-1]
    gamma = next(weights) if config["scale"] else np.ones(n, np.float32)
    beta = next(weights) if config["center"] else np.zeros(n, np.float32)
    mean, variance = next(weights), next(weights)
    scale = gamma / np.sqrt(variance + config["epsilon"])
    return scale, beta - mean * scale


def _activation(g, x, name, layer_name):
    if name in ("linear", None):
        return x
    if name == "softmax":
        return Tensor(g.op("Softmax", x.name, axis=1 if x.ndim == 4 else -1), x.ndim)
    ops = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softplus": "Softplus",
           "elu": "Elu", "selu": "Selu"}
    if name == "relu6":
        return Tensor(g.op("Clip", x.name, g.const(0.0), g.const(6.0)), x.ndim)
    if name not in ops:
        raise ValueError(f"Layer {layer_name!r}: activation {name!r} cannot be exported; "
                         f"supported: linear, softmax, relu6, {', '.join(ops)}.")
    return Tensor(g.op(ops[name], x.name), x.ndim)


class KerasConverter:
    """Adds the nodes of a Keras model to a :class:`GraphBuilder`.

    Parameters
    ----------
    g : GraphBuilder
    """

    def __init__(self, g):
        self.g = g
        self._folded = set()  # batch-norm layers folded into their producer

    # ------------------------------------------------------------ graph walk
    def convert(self, model, x):
        """The output :class:`Tensor` of ``model`` applied to ``x``."""
        known = {id(model.inputs[0]): x}
        calls = [(layer, node) for layer in model.layers for node in layer._inbound_nodes
                 if not node.is_input]
        readers = defaultdict(list)
        for layer, node in calls:
            for t in node.input_tensors:
                readers[id(t)].append(layer)
        while calls:  # the layers are in topological order; a pass or two suffices
            waiting = []
            for layer, node in calls:
                if all(id(t) in known for t in node.input_tensors):
                    inputs = [known[id(t)] for t in node.input_tensors]
                    following = readers[id(node.output_tensors[0])]
                    known[id(node.output_tensors[0])] = self._layer(layer, inputs, following)
                else:
                    waiting.append((layer, node))
            if len(waiting) == len(calls):
                break  # calls of a nested model from another graph: not on this path
            calls = waiting
        if id(model.outputs[0]) not in known:
            raise ValueError(f"Model {model.name!r} could not be traced from its input.")
        return known[id(model.outputs[0])]

    def _layer(self, layer, inputs, following):
        kind = type(layer).__name__
        if hasattr(layer, "layers") and hasattr(layer, "inputs"):  # a nested model
            return self.convert(layer, inputs[0])
        if kind in TRAINING_ONLY or id(layer) in self._folded:
            return inputs[0]
        method = getattr(self, f"_{kind}", None)
        if method is None:
            supported = sorted(m[1:] for m in dir(type(self))
                               if m.startswith("_") and m[1:2].isupper())
            raise ValueError(
                f"Layer {layer.name!r} ({kind}) cannot be exported to ONNX; supported "
                f"layers: {', '.join(supported + sorted(TRAINING_ONLY))}.")
        if kind in ("Conv2D", "DepthwiseConv2D", "Dense"):
            # A batch normalisation that alone reads the output is folded in.
            batch_norm = (following[0] if len(following) == 1 and
                          type(following[0]).__name__ == "BatchNormalization" else None)
            return method(layer, inputs[0], batch_norm)
        return method(layer, *inputs)

    # ------------------------------------------------------------ layers
    def _weights_with_batch_norm(self, layer, kernel, bias, batch_norm, channel_axis):
        """``kernel`` and ``bias`` with a following batch normalisation folded in."""
        if bias is None:
            bias = np.zeros(kernel.shape[channel_axis], np.float32)
        if batch_norm is not None:
            scale, shift = _batch_norm_affine(batch_norm)
            shape = [1] * kernel.ndim
            shape[channel_axis] = -1
            kernel = kernel * scale.reshape(shape)
            bias = bias * scale + shift
            self._folded.add(id(batch_norm))
        return kernel.astype(np.float32), bias.astype(np.float32)

    def _conv(self, layer, x, kernel, bias, group, batch_norm):
        config = layer.get_config()
        if config["data_format"] != "channels_last":
            raise ValueError(f"Layer {layer.name!r}: only channels_last can be exported.")
        W, b = self._weights_with_batch_norm(layer, kernel, bias, batch_norm, 0)
        y = self.g.op("Conv", x.name, self.g.weight(W, f"{layer.name}_W", axis=0),
                      self.g.const(b, f"{layer.name}_b"), hint=layer.name,
                      kernel_shape=list(W.shape[2:]), strides=list(_pair(config["strides"])),
                      dilations=list(_pair(config["dilation_rate"])), group=group,
                      auto_pad=_auto_pad(config["padding"]))
        return _activation(self.g, Tensor(y, 4), config["activation"], layer.name)

    def _Conv2D(self, layer, x, batch_norm):
        weights = layer.get_weights()
        kernel = weights[0].transpose(3, 2, 0, 1)  # (kh, kw, in/groups, out) -> OIHW
        return self._conv(layer, x, kernel, weights[1] if len(weights) > 1 else None,
                          layer.get_config().get("groups", 1), batch_norm)

    def _DepthwiseConv2D(self, layer, x, batch_norm):
        weights = layer.get_weights()
        kh, kw, n_in, multiplier = weights[0].shape
        # output channel c * multiplier + m filters input channel c
        kernel = weights[0].reshape(kh, kw, n_in * multiplier).transpose(2, 0, 1)[:, None]
        return self._conv(layer, x, kernel, weights[1] if len(weights) > 1 else None,
                          n_in, batch_norm)

    def _Dense(self, layer, x, batch_norm):
        if x.ndim != 2:
            raise ValueError(f"Layer {layer.name!r}: only dense layers on flat (2-D) input "
                             f"can be exported; this one reads a {x.ndim}-D tensor.")
        weights = layer.get_weights()
        W, b = self._weights_with_batch_norm(
            layer, weights[0], weights[1] if len(weights) > 1 else None, batch_norm, 1)
        y = self.g.op("Gemm", x.name, self.g.weight(W, f"{layer.name}_W", axis=1),
                      self.g.const(b, f"{layer.name}_b"), hint=layer.name)
        return _activation(self.g, Tensor(y, 2), layer.get_config()["activation"],
                           layer.name)

    def _BatchNormalization(self, layer, x):
        scale, shift = _batch_norm_affine(layer)
        y = self.g.op("Mul", x.name, self.g.const(_channel_shape(x, scale)), hint=layer.name)
        return Tensor(self.g.op("Add", y, self.g.const(_channel_shape(x, shift))), x.ndim)

    def _Activation(self, layer, x):
        return _activation(self.g, x, layer.get_config()["activation"], layer.name)

    def _ReLU(self, layer, x):
        config = layer.get_config()
        if config.get("threshold", 0):
            raise ValueError(f"Layer {layer.name!r}: a ReLU threshold cannot be exported.")
        slope, top = config.get("negative_slope", 0) or 0, config.get("max_value")
        y = (self.g.op("LeakyRelu", x.name, alpha=float(slope)) if slope
             else self.g.op("Relu", x.name))
        if top is not None:
            y = self.g.op("Min", y, self.g.const(float(top)))
        return Tensor(y, x.ndim)

    def _Softmax(self, layer, x):
        return _activation(self.g, x, "softmax", layer.name)

    def _pool(self, layer, x, op_type, **attributes):
        config = layer.get_config()
        if config["data_format"] != "channels_last":
            raise ValueError(f"Layer {layer.name!r}: only channels_last can be exported.")
        pool = _pair(config["pool_size"])
        strides = _pair(config["strides"] or pool)
        return Tensor(self.g.op(op_type, x.name, hint=layer.name, kernel_shape=list(pool),
                                strides=list(strides), auto_pad=_auto_pad(config["padding"]),
                                **attributes), 4)

    def _MaxPooling2D(self, layer, x):
        return self._pool(layer, x, "MaxPool")

    def _AveragePooling2D(self, layer, x):
        # Keras averages over the window's cells inside the input only.
        return self._pool(layer, x, "AveragePool", count_include_pad=0)

    def _global_pool(self, layer, x, op_type):
        keepdims = int(bool(layer.get_config().get("keepdims", False)))
        y = self.g.op(op_type, x.name, hint=layer.name, axes=[2, 3], keepdims=keepdims)
        return Tensor(y, 4 if keepdims else 2)

    def _GlobalAveragePooling2D(self, layer, x):
        return self._global_pool(layer, x, "ReduceMean")

    def _GlobalMaxPooling2D(self, layer, x):
        return self._global_pool(layer, x, "ReduceMax")

    def _elementwise(self, op_type, layer, *xs):
        y = xs[0].name
        for other in xs[1:]:
            y = self.g.op(op_type, y, other.name, hint=layer.name)
        return Tensor(y, max(x.ndim for x in xs))

    def _Add(self, layer, *xs):
        return self._elementwise("Add", layer, *xs)

    def _Multiply(self, layer, *xs):
        return self._elementwise("Mul", layer, *xs)

    def _Subtract(self, layer, a, b):
        return self._elementwise("Sub", layer, a, b)

    def _Maximum(self, layer, *xs):
        return self._elementwise("Max", layer, *xs)

    def _Concatenate(self, layer, *xs):
        ndim = xs[0].ndim
        axis = layer.get_config()["axis"] % ndim
        axis = _NCHW_AXIS[axis] if ndim == 4 else axis
        return Tensor(self.g.op("Concat", *[x.name for x in xs], hint=layer.name,
                                axis=axis), ndim)

    def _Reshape(self, layer, x):
        shape = layer.output.shape[1:]
        if any(d is None for d in shape):
            raise ValueError(f"Layer {layer.name!r}: a reshape to a shape of unknown size "
                             "cannot be exported.")
        y = self.g.op("Reshape", _to_keras_layout(self.g, x),
                      self.g.const([-1, *shape], dtype=np.int64), hint=layer.name)
        return _from_keras_layout(self.g, y, len(shape) + 1)

    def _Flatten(self, layer, x):
        return Tensor(self.g.op("Flatten", _to_keras_layout(self.g, x), hint=layer.name,
                                axis=1), 2)

    def _Cropping2D(self, layer, x):
        (top, bottom), (left, right) = layer.get_config()["cropping"]
        big = np.iinfo(np.int64).max
        ends = [-bottom if bottom else big, -right if right else big]
        y = self.g.op("Slice", x.name, self.g.const([top, left], dtype=np.int64),
                      self.g.const(ends, dtype=np.int64),
                      self.g.const([2, 3], dtype=np.int64), hint=layer.name)
        return Tensor(y, 4)

    def _ZeroPadding2D(self, layer, x):
        (top, bottom), (left, right) = layer.get_config()["padding"]
        pads = [0, 0, top, left, 0, 0, bottom, right]
        return Tensor(self.g.op("Pad", x.name, self.g.const(pads, dtype=np.int64),
                                hint=layer.name), 4)

    def _PadChannels(self, layer, x):
        pads = [0] * (2 * x.ndim)
        pads[x.ndim + 1] = layer.n_channels  # after the channel axis (1)
        return Tensor(self.g.op("Pad", x.name, self.g.const(pads, dtype=np.int64),
                                hint=layer.name), x.ndim)
