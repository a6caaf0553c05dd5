"""skaudio's max pooling layers: Keras's forward pass and gradient, a faster path on JAX."""

import keras
import numpy as np
import pytest

from skaudio.networks._pooling import MaxPooling1D, MaxPooling2D, max_of_strided_slices

CASES = [
    (MaxPooling2D, keras.layers.MaxPooling2D, (3, 9, 7, 4), {"pool_size": 2, "padding": "same"}),
    (MaxPooling2D, keras.layers.MaxPooling2D, (3, 9, 7, 4), {"pool_size": 2}),
    (MaxPooling2D, keras.layers.MaxPooling2D, (3, 9, 7, 4),
     {"pool_size": (2, 1), "padding": "same"}),
    (MaxPooling2D, keras.layers.MaxPooling2D, (3, 10, 8, 4),
     {"pool_size": 3, "strides": 2, "padding": "same"}),
    (MaxPooling1D, keras.layers.MaxPooling1D, (3, 50, 4), {"pool_size": 3, "strides": 3}),
    (MaxPooling1D, keras.layers.MaxPooling1D, (3, 50, 4), {"pool_size": 5, "strides": 1}),
    (MaxPooling1D, keras.layers.MaxPooling1D, (3, 51, 4),
     {"pool_size": 5, "strides": 2, "padding": "same"}),
]


def compiled(layer):
    """``layer`` as a compiled step calls it (the strided-slice path runs under jit)."""
    if keras.backend.backend() != "jax":
        return layer
    import jax

    return jax.jit(layer)


@pytest.mark.parametrize("ours, keras_layer, shape, config", CASES)
def test_forward_equals_keras(ours, keras_layer, shape, config):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    expected = keras.ops.convert_to_numpy(keras_layer(**config)(x))
    for call in (ours(**config), compiled(ours(**config))):  # eager and compiled
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(call(x)), expected)


@pytest.mark.skipif(keras.backend.backend() != "jax",
                    reason="the strided-slice path (and this gradient check) is JAX's")
@pytest.mark.parametrize("ours, keras_layer, shape, config", CASES)
def test_gradient_equals_keras_where_maxima_are_unique(ours, keras_layer, shape, config):
    import jax
    import jax.numpy as jnp

    x = jnp.asarray(np.random.default_rng(1).normal(size=shape).astype(np.float32))

    def loss(layer):
        return lambda v: jnp.sum(layer(v) ** 3)

    np.testing.assert_array_equal(jax.jit(jax.grad(loss(ours(**config))))(x),
                                  jax.grad(loss(keras_layer(**config)))(x))


def test_function_matches_keras_max_pool_and_hand_computation():
    x = np.arange(12, dtype=np.float32).reshape(1, 12, 1) % 5  # 0 1 2 3 4 0 1 2 3 4 0 1
    pooled = keras.ops.convert_to_numpy(max_of_strided_slices(x, (3,), (3,), "valid"))
    assert pooled.ravel().tolist() == [2, 4, 3, 4]
    np.testing.assert_array_equal(
        pooled, keras.ops.convert_to_numpy(keras.ops.max_pool(x, 3, 3, padding="valid")))


def test_saves_and_loads_as_a_keras_model(tmp_path):
    inputs = keras.Input((8, 6, 2))
    model = keras.Model(inputs, MaxPooling2D(2, padding="same", name="pool")(inputs))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.get_layer("pool")) is MaxPooling2D
    x = np.random.default_rng(2).normal(size=(2, 8, 6, 2)).astype(np.float32)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded(x)),
                                  keras.ops.convert_to_numpy(model(x)))


@pytest.mark.skipif(keras.backend.backend() != "jax",
                    reason="the windowed gradient of tiling poolings is JAX's")
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_tiling_windows_share_the_gradient_equally_among_tied_maxima(padding):
    import jax
    import jax.numpy as jnp

    # windows of 3 along time: (1, 1, 0) ties twice, (2, 2, 2) three times,
    # (0, 5, 1) has one maximum; "valid" leaves the last 2 inputs out
    x = jnp.asarray([1, 1, 0, 2, 2, 2, 0, 5, 1, 7, 3], jnp.float32).reshape(1, -1, 1)
    weights = jnp.asarray([1.0, 3.0, 6.0, 10.0])[:3 if padding == "valid" else 4]
    layer = MaxPooling1D(3, padding=padding)
    gradient = jax.jit(jax.grad(lambda v: jnp.sum(layer(v)[0, :, 0] * weights)))(x)
    expected = [0.5, 0.5, 0, 1, 1, 1, 0, 6, 0] + ([0, 0] if padding == "valid" else [10, 0])
    np.testing.assert_allclose(np.asarray(gradient).ravel(), expected, rtol=1e-6)


@pytest.mark.skipif(keras.backend.backend() != "jax",
                    reason="the windowed gradient of tiling poolings is JAX's")
def test_tiling_window_gradient_sums_to_the_output_gradient_in_2d():
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(3)
    # rounded values: many ties, including whole windows of equal values
    x = jnp.asarray(rng.integers(0, 3, size=(2, 9, 8, 3)).astype(np.float32))
    out_gradient = jnp.asarray(rng.normal(size=(2, 5, 4, 3)).astype(np.float32))
    layer = MaxPooling2D(2, padding="same")
    _, vjp = jax.vjp(jax.jit(layer), x)
    gradient = np.asarray(vjp(out_gradient)[0])
    # each window's inputs (rows 0-1, 2-3, ..., 8; columns 0-1, ...) add up to its gradient
    padded = np.pad(gradient, [(0, 0), (0, 1), (0, 0), (0, 0)])
    sums = padded.reshape(2, 5, 2, 4, 2, 3).sum(axis=(2, 4))
    np.testing.assert_allclose(sums, np.asarray(out_gradient), rtol=1e-5, atol=1e-6)
    pooled = np.asarray(layer(x))
    is_max = np.asarray(x) == np.repeat(np.repeat(pooled, 2, 1), 2, 2)[:, :9]
    assert np.all(gradient[~is_max] == 0)
