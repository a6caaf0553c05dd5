"""Max pooling as the maximum of strided slices: the same layer, a faster gradient on XLA CPU.

Keras's ``MaxPooling1D``/``MaxPooling2D`` run on JAX as ``lax.reduce_window``,
whose gradient XLA computes with ``select_and_scatter``; on CPU that pair cost
the VGG-like CNN more time than all its convolutions' backward passes
(``benchmarks/training.py``: 17 ms against 5 ms per batch of 32 for the four
2x2 poolings). The maximum over a window is also the elementwise maximum of
the ``pool_size`` strided slices of the input, one per position in the
window, which XLA fuses into one loop forwards and backwards.

The layers below are Keras's own, with the same configuration (they
serialise under ``skaudio>MaxPooling2D``, and skaudio's ONNX export treats
them as Keras's); only ``call`` differs, and only in compiled steps on JAX's
CPU backend with ``channels_last`` data (eager calls dispatch every
operation on its own, where Keras's one operation is cheaper). The forward
pass is exactly Keras's. The gradient
is the same wherever a window has one maximum; where several inputs of a
window tie for it, ``select_and_scatter`` gives the whole gradient to one of
them and the slices share it among them. Every skaudio network pools after
ReLU or ELU, where ties are exact zeros whose ReLU gradient is zero anyway.
"""

import keras
from keras import ops

from ._conv import _compiled_on_jax_cpu, window_slices


def _padded(x, pool_size, strides, padding):
    """``x`` (channels last) padded with ``-inf`` as Keras's ``"same"`` pads, or unchanged.

    Runs in compiled JAX steps only (see the module), hence JAX's padding rule.
    """
    import jax

    pads = jax.lax.padtype_to_pads(x.shape[1:-1], pool_size, strides, padding.upper())
    if not any(before or after for before, after in pads):
        return x
    return ops.pad(x, [(0, 0), *pads, (0, 0)], constant_values=float("-inf"))


def max_of_strided_slices(x, pool_size, strides, padding):
    """Max pooling of channels-last ``x`` as the maximum of its strided window slices.

    Parameters
    ----------
    x : tensor of shape (batch, *spatial, channels)
        Input with one or two spatial axes.
    pool_size, strides : tuple of int
        Window and step along each spatial axis.
    padding : {"valid", "same"}
        As Keras's pooling layers.

    Returns
    -------
    tensor
        Equal to ``keras.ops.max_pool(x, pool_size, strides, padding)``.
    """
    x = _padded(x, pool_size, strides, padding)
    sizes = x.shape[1:-1]
    outs = [(size - pool) // stride + 1 for size, pool, stride in zip(sizes, pool_size, strides)]
    result = None
    for index in window_slices(pool_size, strides, outs):
        piece = x[index]
        result = piece if result is None else ops.maximum(result, piece)
    return result


class _SliceMaxPooling:
    """``call`` of Keras's max pooling as the maximum of strided slices on JAX."""

    def call(self, inputs):
        if not _compiled_on_jax_cpu(inputs) or self.data_format != "channels_last" \
                or any(size is None for size in inputs.shape[1:-1]):
            return super().call(inputs)
        return max_of_strided_slices(inputs, tuple(self.pool_size), tuple(self.strides),
                                     self.padding)


@keras.saving.register_keras_serializable(package="skaudio")
class MaxPooling1D(_SliceMaxPooling, keras.layers.MaxPooling1D):
    """:class:`keras.layers.MaxPooling1D` whose gradient is fast on XLA CPU (see the module)."""


@keras.saving.register_keras_serializable(package="skaudio")
class MaxPooling2D(_SliceMaxPooling, keras.layers.MaxPooling2D):
    """:class:`keras.layers.MaxPooling2D` whose gradient is fast on XLA CPU (see the module)."""
