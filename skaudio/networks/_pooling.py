"""Max pooling as the maximum of strided slices: the same layer, a faster gradient on XLA CPU.

Keras's ``MaxPooling1D``/``MaxPooling2D`` run on JAX as ``lax.reduce_window``,
whose gradient XLA computes with ``select_and_scatter``; on CPU that pair cost
the VGG-like CNN more time than all its convolutions' backward passes
(``benchmarks/training.py``: 17 ms against 5 ms per batch of 32 for the four
2x2 poolings). The maximum over a window is also the elementwise maximum of
the ``pool_size`` strided slices of the input, one per position in the
window, which XLA fuses into one loop.

The gradient of those slices is a sum of padded (with strides: interleaved)
copies of the output's gradient, which XLA's CPU loops evaluate element by
element with a branch for the padding, not vectorised, recomputing what they
read. Where the windows tile the input (``strides == pool_size``, every
skaudio network's default), the gradient is computed on the input viewed as
its windows instead, ``(batch, out_1, pool_1, ..., channels)``: every input
equal to its window's maximum gets the window's gradient divided by their
number, one vectorised loop. Measured in training steps
(``benchmarks/training.py`` networks): 1.1x on the VGG-like CNN, at 32 x 64
and 128 x 128, and on the raw-waveform network.

The layers below are Keras's own, with the same configuration (they
serialise under ``skaudio>MaxPooling2D``, and skaudio's ONNX export treats
them as Keras's); only ``call`` differs, and only in compiled steps on JAX's
CPU backend with ``channels_last`` data (eager calls dispatch every
operation on its own, where Keras's one operation is cheaper). The forward
pass is exactly Keras's. The gradient is the same wherever a window has one
maximum; where several inputs of a window tie for it, ``select_and_scatter``
gives the whole gradient to one of them and the slices share it among them
(tiling windows: equally). Every skaudio network pools after ReLU or ELU,
where ties are exact zeros whose ReLU gradient is zero anyway.
"""

from functools import cache, partial

import keras
from keras import ops

from ._conv import _compiled_on_jax_cpu, window_slices


def _pads(x, pool_size, strides, padding):
    """``(before, after)`` per spatial axis of ``x`` as Keras's ``padding`` pads it.

    Runs in compiled JAX steps only (see the module), hence JAX's padding rule.
    """
    import jax

    return jax.lax.padtype_to_pads(x.shape[1:-1], pool_size, strides, padding.upper())


def _padded(x, pool_size, strides, padding):
    """``x`` (channels last) padded with ``-inf`` as Keras's ``"same"`` pads, or unchanged."""
    pads = _pads(x, pool_size, strides, padding)
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


def _tiled_max_pool_gradient(x, pooled, gradient, pool_size, padding):
    """Gradient of a max pooling whose windows tile the input (strides = ``pool_size``).

    The (padded) input is viewed as its windows, ``(batch, out_1, pool_1,
    ..., channels)``, and every input equal to its window's maximum gets the
    window's gradient divided by the number of such inputs. A ``"valid"``
    pooling's last positions that fill no whole window get none.
    """
    import jax.numpy as jnp

    padded = _padded(x, pool_size, pool_size, padding)
    outs = pooled.shape[1:-1]
    ties = sum((padded[index] == pooled).astype(gradient.dtype)
               for index in window_slices(pool_size, pool_size, outs))
    covered = tuple(out * pool for out, pool in zip(outs, pool_size))
    windows = padded[(slice(None), *(slice(0, n) for n in covered), slice(None))]
    split = (x.shape[0], *(n for pair in zip(outs, pool_size) for n in pair), x.shape[-1])
    per_window = (x.shape[0], *(n for out in outs for n in (out, 1)), x.shape[-1])
    grad = jnp.where(windows.reshape(split) == pooled.reshape(per_window),
                     (gradient / ties).reshape(per_window), 0).reshape(windows.shape)
    tails = [(0, n - c) for n, c in zip(padded.shape[1:-1], covered)]
    if any(after for _, after in tails):
        grad = jnp.pad(grad, [(0, 0), *tails, (0, 0)])
    if padded.shape != x.shape:  # "same": drop the -inf padding
        starts = (before for before, _ in _pads(x, pool_size, pool_size, padding))
        grad = grad[(slice(None), *(slice(b, b + n) for b, n in zip(starts, x.shape[1:-1])),
                     slice(None))]
    return grad


@cache
def _tiled_max_pool():
    """Max pooling with strides = ``pool_size`` and its gradient by windows, as a JAX function."""
    import jax

    @partial(jax.custom_vjp, nondiff_argnums=(1, 2))
    def pool(x, pool_size, padding):
        return max_of_strided_slices(x, pool_size, pool_size, padding)

    def forward(x, pool_size, padding):
        pooled = pool(x, pool_size, padding)
        return pooled, (x, pooled)

    def backward(pool_size, padding, saved, gradient):
        return (_tiled_max_pool_gradient(*saved, gradient, pool_size, padding),)

    pool.defvjp(forward, backward)
    return pool


class _SliceMaxPooling:
    """``call`` of Keras's max pooling as the maximum of strided slices on JAX."""

    def call(self, inputs):
        if not _compiled_on_jax_cpu(inputs) or self.data_format != "channels_last" \
                or any(size is None for size in inputs.shape[1:-1]):
            return super().call(inputs)
        pool_size, strides = tuple(self.pool_size), tuple(self.strides)
        if strides == pool_size:
            return _tiled_max_pool()(inputs, pool_size, self.padding)
        return max_of_strided_slices(inputs, pool_size, strides, self.padding)


@keras.saving.register_keras_serializable(package="skaudio")
class MaxPooling1D(_SliceMaxPooling, keras.layers.MaxPooling1D):
    """:class:`keras.layers.MaxPooling1D` whose gradient is fast on XLA CPU (see the module)."""


@keras.saving.register_keras_serializable(package="skaudio")
class MaxPooling2D(_SliceMaxPooling, keras.layers.MaxPooling2D):
    """:class:`keras.layers.MaxPooling2D` whose gradient is fast on XLA CPU (see the module)."""
