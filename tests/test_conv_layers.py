"""skaudio's convolutions: Keras's, with the batch split across the cores and the kernel's
gradient from patches in compiled JAX steps on YNNPACK's kernels."""

import keras
import numpy as np
import pytest

from skaudio.networks import _conv
from skaudio.networks._conv import Conv1D, Conv2D

CASES = [
    (Conv2D, keras.layers.Conv2D, (7, 9, 6, 3), {"filters": 4, "kernel_size": 3,
                                                 "padding": "same"}),
    (Conv2D, keras.layers.Conv2D, (8, 9, 6, 3), {"filters": 4, "kernel_size": (3, 1),
                                                 "strides": 2}),
    (Conv2D, keras.layers.Conv2D, (6, 11, 10, 2), {"filters": 3, "kernel_size": (2, 3),
                                                   "dilation_rate": 2, "padding": "same"}),
    (Conv1D, keras.layers.Conv1D, (9, 40, 2), {"filters": 3, "kernel_size": 5, "strides": 2}),
    (Conv1D, keras.layers.Conv1D, (5, 30, 2), {"filters": 4, "kernel_size": 4,
                                               "padding": "causal", "dilation_rate": 3}),
    # one input channel: a sum of shifted slices forwards (shifted_sum)
    (Conv2D, keras.layers.Conv2D, (7, 9, 6, 1), {"filters": 5, "kernel_size": 3,
                                                 "padding": "same"}),
    (Conv2D, keras.layers.Conv2D, (6, 11, 10, 1), {"filters": 3, "kernel_size": (2, 3),
                                                   "strides": (2, 1), "dilation_rate": 1}),
    (Conv1D, keras.layers.Conv1D, (6, 40, 1), {"filters": 4, "kernel_size": 5, "strides": 2,
                                               "padding": "same"}),
]


def _twins(ours, theirs, config, shape):
    a, b = ours(**config), theirs(**config)
    a.build(shape)
    b.build(shape)
    b.set_weights(a.get_weights())
    return a, b


@pytest.mark.parametrize("parts", [1, 2, 3])
@pytest.mark.parametrize("ours, theirs, shape, config", CASES)
def test_output_equals_keras_for_any_split(monkeypatch, parts, ours, theirs, shape, config):
    monkeypatch.setattr(_conv, "cpu_parts", lambda: parts)
    monkeypatch.setattr(_conv, "_on_multithreaded_kernels", lambda: False)
    a, b = _twins(ours, theirs, config, shape)
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    call = a
    if keras.backend.backend() == "jax":  # the batch is split in compiled steps
        import jax

        call = jax.jit(a)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(call(x)),
                               keras.ops.convert_to_numpy(b(x)), rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(keras.backend.backend() != "jax",
                    reason="the batch is split on the JAX backend only")
@pytest.mark.parametrize("patch_bytes", [0, float("inf")])  # from patches, and XLA's own
@pytest.mark.parametrize("ours, theirs, shape, config", CASES)
def test_kernel_gradient_equals_keras(monkeypatch, patch_bytes, ours, theirs, shape, config):
    import jax
    import jax.numpy as jnp

    monkeypatch.setattr(_conv, "cpu_parts", lambda: 2)
    monkeypatch.setattr(_conv, "PATCH_BYTES", patch_bytes)
    monkeypatch.setattr(_conv, "_on_multithreaded_kernels", lambda: False)
    a, b = _twins(ours, theirs, config, shape)
    x = jnp.asarray(np.random.default_rng(1).normal(size=shape).astype(np.float32))

    def kernel_gradient(layer):
        def loss(kernel, x):  # x traced too, as in a compiled step
            out, _ = layer.stateless_call([kernel, layer.bias.value], [], x)
            return jnp.sum(out ** 2)
        return jax.jit(jax.grad(loss))(layer.kernel.value, x)

    np.testing.assert_allclose(kernel_gradient(a), kernel_gradient(b), rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(keras.backend.backend() != "jax",
                    reason="kernel_gradient is a JAX function")
@pytest.mark.parametrize("shape, kernel_shape, strides, dilation, padding", [
    ((5, 9, 7, 3), (3, 3, 3, 4), (1, 1), (1, 1), "SAME"),
    ((4, 10, 9, 2), (3, 2, 2, 5), (2, 3), (1, 1), "VALID"),
    ((3, 12, 8, 2), (2, 2, 2, 3), (1, 1), (2, 3), "SAME"),
    ((6, 50, 1), (7, 1, 4), (3,), (1,), "VALID"),
])
def test_patch_kernel_gradient_equals_xla(shape, kernel_shape, strides, dilation, padding):
    import jax

    rng = np.random.default_rng(3)
    x = rng.normal(size=shape).astype(np.float32)
    kernel = rng.normal(size=kernel_shape).astype(np.float32)
    window = [(k - 1) * d + 1 for k, d in zip(kernel_shape[:-2], dilation)]
    pads = jax.lax.padtype_to_pads(shape[1:-1], window, strides, padding)
    out, vjp = jax.vjp(lambda k: _conv._xla_convolution(x, k, strides, dilation, pads), kernel)
    gradient = rng.normal(size=out.shape).astype(np.float32)
    ours = _conv.kernel_gradient(x, gradient, kernel_shape, strides, dilation, pads)
    np.testing.assert_allclose(ours, vjp(gradient)[0], rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(keras.backend.backend() != "jax",
                    reason="shifted_sum is a JAX function")
@pytest.mark.parametrize("shape, kernel_shape, strides, dilation, padding", [
    ((4, 9, 7, 1), (3, 3, 1, 6), (1, 1), (1, 1), "SAME"),
    ((3, 10, 9, 1), (2, 3, 1, 4), (2, 3), (1, 1), "VALID"),
    ((3, 12, 8, 1), (2, 2, 1, 3), (1, 1), (2, 3), "SAME"),
    ((5, 50, 1), (7, 1, 4), (3,), (2,), "VALID"),
])
def test_shifted_sum_and_its_gradients_equal_xla(shape, kernel_shape, strides, dilation,
                                                 padding):
    import jax

    rng = np.random.default_rng(4)
    x = rng.normal(size=shape).astype(np.float32)
    kernel = rng.normal(size=kernel_shape).astype(np.float32)
    window = [(k - 1) * d + 1 for k, d in zip(kernel_shape[:-2], dilation)]
    pads = jax.lax.padtype_to_pads(shape[1:-1], window, strides, padding)
    theirs, their_vjp = jax.vjp(
        lambda a, k: _conv._xla_convolution(a, k, strides, dilation, pads), x, kernel)
    ours, our_vjp = jax.vjp(
        lambda a, k: _conv._shifted_sum_convolution(a, k, strides, dilation, pads), x, kernel)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_conv.shifted_sum(x, kernel, strides, dilation, pads), theirs,
                               rtol=1e-5, atol=1e-5)
    gradient = rng.normal(size=theirs.shape).astype(np.float32)
    for a, b in zip(our_vjp(gradient), their_vjp(gradient)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(keras.backend.backend() != "jax",
                    reason="the patch-wise kernel gradient is JAX's")
@pytest.mark.parametrize("multithreaded", [True, False])
def test_patches_only_where_steps_do_not_run_xla_multithreaded_kernels(monkeypatch,
                                                                      multithreaded):
    import jax
    import jax.numpy as jnp

    monkeypatch.setattr(_conv, "PATCH_BYTES", 0)
    monkeypatch.setattr(_conv, "_on_multithreaded_kernels", lambda: multithreaded)
    layer = Conv2D(4, 3, padding="same")
    layer.build((4, 8, 8, 3))
    x = jnp.ones((4, 8, 8, 3), jnp.float32)

    def loss(kernel, x):  # x traced too, as in a compiled step
        return jnp.sum(layer.stateless_call([kernel, layer.bias.value], [], x)[0] ** 2)

    jaxpr = str(jax.make_jaxpr(jax.grad(loss))(layer.kernel.value, x))
    assert ("scan" in jaxpr) is not multithreaded


def test_cpu_parts_is_a_small_positive_count():
    assert 1 <= _conv.cpu_parts() <= 8


def test_saves_and_loads_as_a_keras_model(tmp_path):
    inputs = keras.Input((8, 6, 2))
    model = keras.Model(inputs, Conv2D(3, 3, name="conv")(inputs))
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert type(loaded.get_layer("conv")) is Conv2D
    x = np.random.default_rng(2).normal(size=(4, 8, 6, 2)).astype(np.float32)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(x)),
                               keras.ops.convert_to_numpy(model(x)), rtol=1e-6)


@pytest.mark.skipif(keras.backend.backend() != "jax",
                    reason="the batch is split on the JAX backend only")
@pytest.mark.parametrize("multithreaded, convolutions", [(True, 1), (False, 2)])
def test_batch_split_only_where_steps_do_not_run_xla_multithreaded_kernels(
        monkeypatch, multithreaded, convolutions):
    import jax
    import jax.numpy as jnp

    monkeypatch.setattr(_conv, "cpu_parts", lambda: 2)
    monkeypatch.setattr(_conv, "_on_multithreaded_kernels", lambda: multithreaded)
    layer = Conv2D(4, 3, padding="same")
    layer.build((4, 8, 8, 3))
    jaxpr = str(jax.make_jaxpr(lambda x: layer(x))(jnp.ones((4, 8, 8, 3), jnp.float32)))
    assert jaxpr.count("conv_general_dilated") == convolutions
