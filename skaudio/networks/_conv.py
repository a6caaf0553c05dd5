"""Convolutions that split their batch across the CPU's cores on JAX.

XLA's CPU backend runs one convolution on one thread: on 2 cores the
VGG-like CNN's convolutions ran no faster than on one
(``benchmarks/training.py``). Independent operations of a compiled step,
though, run concurrently. A convolution of a batch is the convolutions of
its parts, so the layers below convolve one part of the batch per core and
concatenate the results; XLA then works on every core, and the gradient
with respect to the kernel is the sum of the parts' gradients.

The layers are Keras's ``Conv1D``/``Conv2D`` with the same configuration
(they serialise under ``skaudio>Conv2D``, and skaudio's ONNX export treats
them as Keras's); only the convolution itself differs, in compiled steps on
the JAX backend on CPU with a batch of at least two samples per part. Each sample's output
is the same convolution of the same sample; the kernel's gradient adds the
parts' contributions in another order than one convolution would, so
training differs from Keras's in the last bits of float32 rounding (it
stays deterministic for a given ``random_state``).
"""

import os

import keras
from keras import ops


def cpu_parts():
    """Parts a convolution's batch is split into: the cores this process may use (at most 8)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def _compiled_on_jax_cpu(inputs):
    """Whether ``inputs`` is traced for a compiled step on JAX's CPU backend.

    Eager calls (``run_eagerly=True``, a model called on arrays) keep Keras's
    one operation: there each operation is dispatched on its own, and more
    of them would only cost time.
    """
    if keras.backend.backend() != "jax":
        return False
    import jax

    return isinstance(inputs, jax.core.Tracer) and jax.default_backend() == "cpu"


class _BatchSplitConvolution:
    """``convolution_op`` of Keras's convolutions, one part of the batch per core."""

    def convolution_op(self, inputs, kernel):
        parts = cpu_parts()
        batch = inputs.shape[0]
        if parts < 2 or batch is None or batch < 2 * parts \
                or not _compiled_on_jax_cpu(inputs):
            return super().convolution_op(inputs, kernel)
        bounds = [round(k * batch / parts) for k in range(parts + 1)]
        pieces = [super(_BatchSplitConvolution, self).convolution_op(
            inputs[start:stop], kernel) for start, stop in zip(bounds, bounds[1:])]
        return ops.concatenate(pieces, axis=0)


@keras.saving.register_keras_serializable(package="skaudio")
class Conv1D(_BatchSplitConvolution, keras.layers.Conv1D):
    """:class:`keras.layers.Conv1D` on every CPU core under JAX (see the module)."""


@keras.saving.register_keras_serializable(package="skaudio")
class Conv2D(_BatchSplitConvolution, keras.layers.Conv2D):
    """:class:`keras.layers.Conv2D` on every CPU core under JAX (see the module)."""
