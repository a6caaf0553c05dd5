"""Convolutions with a faster training step on JAX's CPU backend.

Three things make Keras's convolutions slow to train on XLA's CPU backend
(``benchmarks/training.py``, ``benchmarks/results/training.md``):

* XLA's default kernels for 2-D convolutions (YNNPACK's) run each on one
  thread, and XLA's executor runs independent operations on a second thread
  only when more than 8 are ready, so 2 cores trained them no faster than
  one. ``Conv2D`` below convolves one part of the batch per core and
  assembles the results (padding each part to the whole batch and adding,
  which XLA fuses into the operations that read them; a concatenation
  would copy them): 1.2x faster training steps at 128 x 128 with those
  kernels. skaudio's compiled steps now use XLA's multi-threaded kernels
  instead where the process may use several cores
  (:mod:`skaudio._compiled_steps`), and in such processes no step splits
  the batch (:func:`_on_multithreaded_kernels` is decided per process):
  the split cost the VGG-like CNN's training step 1.20x at 128 x 128 (XLA
  transposes each part's input for the kernel gradient, recomputing the
  batch normalisation and pooling fused into it, per part), 1.06x at
  32 x 64, and its batch prediction (compiled for YNNPACK's kernels) 1.9x
  and 1.3x. Where the process's training steps run on YNNPACK's kernels
  (one thread, a JAX without ``compiler_options``) the split stays: there
  it makes the training step 1.12x faster. (A network of
  :mod:`skaudio.networks` trained with Keras's own ``model.fit`` in a
  multi-core process also runs on YNNPACK's kernels, unsplit.)
  (``Conv1D`` does not split: on the raw-waveform network, whose 1-D
  convolutions are small, the split cost a quarter of the throughput.)
* XLA computes the gradient with respect to the kernel as a convolution
  whose "kernel" is the whole output gradient; on CPU that costs 4-7 times
  the forward convolution when the activations are large (32 x 32 x 72 ->
  72 channels, 16 samples: 44 ms against 10 ms forwards). It is also, for
  each position of the kernel, the input values that meet it (a strided
  slice of the padded input), transposed, times the output gradient,
  summed over samples. Where one sample's patch matrix (im2col: a row per
  output position, a column per kernel weight of an input channel) takes at
  least ``PATCH_BYTES``, the layers compute the kernel's gradient so, two
  samples at a time under ``lax.scan`` so that their slices stay in cache:
  2.5-3.5 times faster than XLA's on the middle layers of the benchmark
  networks (12 ms above); below that XLA's own is as fast and is kept. The
  input's gradient stays XLA's, which costs what the forward pass does.
  That was measured with YNNPACK's kernels; in steps compiled for XLA's
  multi-threaded ones (:mod:`skaudio._compiled_steps`) XLA's own kernel
  gradient is now faster (the DCASE FCNN's step 1.13x, the VGG-like CNN's
  at 128 x 128 1.03x without the patches), so the patches are used only
  where those kernels are not (:func:`_on_multithreaded_kernels`).
* A convolution of one input channel (the first layer of the VGG-like CNN
  on spectrograms) is a patch copy and a matrix product of inner size 9 in
  XLA's kernels, 8 GFLOP/s here. With at most ``SHIFTED_SUM_POSITIONS``
  kernel positions the layers compute it forwards as :func:`shifted_sum`,
  a sum of the input's strided slices times the kernel's rows, which XLA
  fuses into one vectorised loop: 3.5x faster alone on 16 samples of
  128 x 128 (1.6 against 5.7 ms), 1.04-1.07x the whole training step of
  the VGG-like CNN. Its gradients stay XLA's. (With 3 input channels, the
  DCASE FCNN's first layer, it was 2 % slower: left to XLA.)

The layers are Keras's ``Conv1D``/``Conv2D`` with the same configuration
(they serialise under ``skaudio>Conv2D``, and skaudio's ONNX export treats
them as Keras's); only the convolution differs, in compiled steps on the JAX
backend on CPU with ``channels_last`` data and no groups. Each sample's
output is the same convolution of the same sample; the kernel's gradient
adds the same products in another order than XLA's convolution would (so
does :func:`shifted_sum`), so
training differs from Keras's in the last bits of float32 rounding (it stays
deterministic for a given ``random_state``).
"""

import itertools
import math
import os
from functools import partial

import keras
from keras import ops

#: Size of one sample's patch matrix from which the layers compute the
#: kernel's gradient with :func:`kernel_gradient` (measured on the benchmark
#: networks: from 2 MiB on, the VGG-like CNN at 128 x 128 lost the gain;
#: from 512 KiB, the raw-waveform network lost 7 %).
PATCH_BYTES = 2**20

#: Most kernel positions of a convolution of one input channel that the
#: layers compute as :func:`shifted_sum` (a 3 x 3 kernel: 9).
SHIFTED_SUM_POSITIONS = 9


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


def _on_multithreaded_kernels():
    """Whether skaudio compiles its training steps for XLA's multi-threaded convolutions.

    Decided once per process (:func:`skaudio._compiled_steps.compiler_options`),
    not per step: it also holds while tracing steps compiled for YNNPACK's
    kernels (prediction, Keras's own ``fit``).
    """
    from .._compiled_steps import compiler_options

    return compiler_options() is not None


def window_slices(window, strides, out_size, dilation=None):
    """Index of the strided slice of a channels-last batch that meets each window position.

    Yields, for every position of a ``window`` (in row-major order), the
    index ``(:, slice per spatial axis, :)`` of the input values it meets at
    each of the ``out_size`` output positions, as convolutions and pooling
    with ``strides`` (and ``dilation``) visit them.
    """
    dilation = dilation or (1,) * len(window)
    for offset in itertools.product(*(range(k) for k in window)):
        yield (slice(None),) + tuple(
            slice(o * d, o * d + s * (n - 1) + 1, s)
            for o, d, s, n in zip(offset, dilation, strides, out_size)) + (slice(None),)


def kernel_gradient(x, output_gradient, kernel_shape, strides, dilation, pads):
    """Gradient of a convolution with respect to its kernel, two samples at a time.

    For each position of the kernel, the input samples' values that meet it
    (one strided slice of the padded samples: a column block of their patch
    matrix), transposed, times the output gradient; summed over pairs of
    samples with ``lax.scan``, so that each pair's slices stay in cache.

    Parameters
    ----------
    x : jax.Array of shape (batch, *spatial, in_channels)
        The convolution's input (channels last).
    output_gradient : jax.Array of shape (batch, *out_spatial, filters)
        Gradient of the loss with respect to the convolution's output.
    kernel_shape : tuple of int
        ``(*kernel_size, in_channels, filters)``.
    strides, dilation : tuple of int
        Per spatial axis.
    pads : sequence of (int, int)
        Zero padding before and after each spatial axis.

    Returns
    -------
    jax.Array of shape ``kernel_shape``
        Equal to the gradient XLA's convolution computes, up to float32
        rounding.
    """
    import jax
    import jax.numpy as jnp

    *kernel_size, in_channels, filters = kernel_shape
    out_size = output_gradient.shape[1:-1]
    step = 2 if x.shape[0] % 2 == 0 else 1

    def add_samples(total, samples):
        xs, gradients = samples
        xs = jnp.pad(xs, ((0, 0), *pads, (0, 0)))
        gradients = gradients.reshape(-1, filters)
        products = [jax.lax.dot_general(xs[index].reshape(-1, in_channels), gradients,
                                        (((0,), (0,)), ((), ())))
                    for index in window_slices(kernel_size, strides, out_size, dilation)]
        return total + jnp.stack(products), None

    total, _ = jax.lax.scan(
        add_samples, jnp.zeros((math.prod(kernel_size), in_channels, filters), x.dtype),
        (x.reshape(-1, step, *x.shape[1:]),
         output_gradient.reshape(-1, step, *output_gradient.shape[1:])))
    return total.reshape(kernel_shape)


def _xla_convolution(x, kernel, strides, dilation, pads):
    """``lax.conv_general_dilated`` of channels-last ``x`` with a ``(..., in, out)`` kernel."""
    import jax

    spatial = "HWD"[:x.ndim - 2] if x.ndim > 3 else "W"
    dimensions = jax.lax.conv_dimension_numbers(
        x.shape, kernel.shape, (f"N{spatial}C", f"{spatial}IO", f"N{spatial}C"))
    return jax.lax.conv_general_dilated(x, kernel, strides, pads, rhs_dilation=dilation,
                                        dimension_numbers=dimensions)


def _with_gradients(forward, gradients, x, kernel):
    """``forward(x, kernel)``, differentiated as ``gradients(x, kernel, output_gradient)``."""
    import jax

    convolution = jax.custom_vjp(forward)
    convolution.defvjp(lambda x, kernel: (forward(x, kernel), (x, kernel)),
                       lambda saved, output_gradient: gradients(*saved, output_gradient))
    return convolution(x, kernel)


def _patch_gradient_convolution(x, kernel, strides, dilation, pads):
    """:func:`_xla_convolution` whose kernel gradient is :func:`kernel_gradient`."""
    import jax

    convolution = partial(_xla_convolution, strides=strides, dilation=dilation, pads=pads)

    def gradients(x, kernel, output_gradient):
        _, input_vjp = jax.vjp(partial(convolution, kernel=kernel), x)
        return (input_vjp(output_gradient)[0],
                kernel_gradient(x, output_gradient, kernel.shape, strides, dilation, pads))

    return _with_gradients(convolution, gradients, x, kernel)


def shifted_sum(x, kernel, strides, dilation, pads):
    """Convolution of a one-channel ``x`` as a sum of its strided slices times the kernel's rows.

    Each position of the kernel meets one strided slice of the padded input
    (:func:`window_slices`); the output is the sum over positions of that
    slice times the position's weights, one per filter: a loop XLA fuses and
    vectorises along the filters.

    Parameters
    ----------
    x : jax.Array of shape (batch, *spatial, 1)
    kernel : jax.Array of shape (*kernel_size, 1, filters)
    strides, dilation : tuple of int
        Per spatial axis.
    pads : sequence of (int, int)
        Zero padding before and after each spatial axis.

    Returns
    -------
    jax.Array
        Equal to XLA's convolution up to float32 rounding.
    """
    import jax.numpy as jnp

    kernel_size = kernel.shape[:-2]
    padded = jnp.pad(x, ((0, 0), *pads, (0, 0)))
    out_size = [(n - (k - 1) * d - 1) // s + 1
                for n, k, d, s in zip(padded.shape[1:-1], kernel_size, dilation, strides)]
    weights = kernel.reshape(-1, kernel.shape[-1])
    total = None
    for index, row in zip(window_slices(kernel_size, strides, out_size, dilation), weights):
        term = padded[index] * row
        total = term if total is None else total + term
    return total


def _shifted_sum_convolution(x, kernel, strides, dilation, pads):
    """:func:`shifted_sum` forwards, the gradients of XLA's convolution backwards."""
    import jax

    arguments = dict(strides=strides, dilation=dilation, pads=pads)

    def gradients(x, kernel, output_gradient):
        return jax.vjp(partial(_xla_convolution, **arguments), x, kernel)[1](output_gradient)

    return _with_gradients(partial(shifted_sum, **arguments), gradients, x, kernel)


def convolve(x, kernel, strides, padding, dilation):
    """Convolution of channels-last ``x`` for a compiled training step on JAX's CPU backend.

    Parameters
    ----------
    x : jax.Array of shape (batch, *spatial, in_channels)
        A traced input of a compiled step.
    kernel : jax.Array of shape (*kernel_size, in_channels, filters)
        The convolution's kernel (no groups).
    strides, dilation : tuple of int
        Per spatial axis.
    padding : {"valid", "same"}
        As Keras's convolutions.

    Returns
    -------
    jax.Array
        Equal to ``keras.ops.conv(x, kernel, strides, padding, dilation_rate=dilation)``;
        2-D convolutions split the batch into :func:`cpu_parts` parts in
        processes whose estimators' training steps run on YNNPACK's
        single-threaded kernels (:func:`_on_multithreaded_kernels` False), those
        of one input channel and small kernels run forwards as
        :func:`shifted_sum`, and large ones compute the kernel's gradient with
        :func:`kernel_gradient` where the step runs on YNNPACK's kernels (see
        the module).
    """
    import jax
    import jax.numpy as jnp

    window = [(k - 1) * d + 1 for k, d in zip(kernel.shape[:-2], dilation)]
    pads = jax.lax.padtype_to_pads(x.shape[1:-1], window, strides, padding.upper())
    out_size = [(size + before + after - w) // s + 1
                for size, (before, after), w, s in zip(x.shape[1:-1], pads, window, strides)]
    patch_bytes = x.dtype.itemsize * math.prod(kernel.shape[:-1]) * math.prod(out_size)
    multithreaded = _on_multithreaded_kernels()
    if kernel.shape[-2] == 1 and math.prod(kernel.shape[:-2]) <= SHIFTED_SUM_POSITIONS:
        part = _shifted_sum_convolution
    elif patch_bytes >= PATCH_BYTES and not multithreaded:
        part = _patch_gradient_convolution
    else:
        part = _xla_convolution
    batch, parts = x.shape[0], cpu_parts() if x.ndim > 3 and not multithreaded else 1
    if parts < 2 or batch < 2 * parts:
        return part(x, kernel, strides, dilation, pads)
    bounds = [round(k * batch / parts) for k in range(parts + 1)]
    # The parts are assembled by padding each to the whole batch and adding:
    # XLA fuses that into the operations that read the output, where a
    # concatenation is a copy of it (30 ms of a 200 ms step at 128 x 128);
    # adding zeros changes no value.
    outputs = [jnp.pad(part(x[start:stop], kernel, strides, dilation, pads),
                       [(start, batch - stop)] + [(0, 0)] * (x.ndim - 1))
               for start, stop in zip(bounds, bounds[1:])]
    return sum(outputs[1:], outputs[0])


class _FastConvolution:
    """``call`` of Keras's convolutions through :func:`convolve` in compiled JAX CPU steps."""

    def call(self, inputs):
        if not _compiled_on_jax_cpu(inputs) or self.data_format != "channels_last" \
                or self.groups != 1 or inputs.shape[0] is None \
                or any(size is None for size in inputs.shape[1:-1]):
            return super().call(inputs)
        padding = self.padding
        if padding == "causal":
            inputs = ops.pad(inputs, self._compute_causal_padding())
            padding = "valid"
        kernel = ops.convert_to_tensor(self.kernel)
        outputs = convolve(ops.cast(inputs, kernel.dtype), kernel, tuple(self.strides),
                           padding, tuple(self.dilation_rate))
        if self.use_bias:
            outputs = outputs + self.bias
        return outputs if self.activation is None else self.activation(outputs)


@keras.saving.register_keras_serializable(package="skaudio")
class Conv1D(_FastConvolution, keras.layers.Conv1D):
    """:class:`keras.layers.Conv1D` that trains fast under JAX on CPU (see the module)."""


@keras.saving.register_keras_serializable(package="skaudio")
class Conv2D(_FastConvolution, keras.layers.Conv2D):
    """:class:`keras.layers.Conv2D` that trains fast under JAX on CPU (see the module)."""
