"""skaudio's Activation layer: Keras's, with ELU's gradient from its output in compiled steps."""

import keras
import numpy as np
import pytest

from skaudio.networks._activations import Activation

X = np.concatenate([np.linspace(-20, 5, 101), [0.0, -1e-7, 1e-7]]).astype(np.float32)


def _compiled(layer):
    if keras.backend.backend() != "jax":
        return layer
    import jax

    return jax.jit(layer)


@pytest.mark.parametrize("name", ["elu", "relu", "tanh"])
def test_output_equals_keras(name):
    ours = keras.ops.convert_to_numpy(_compiled(Activation(name))(X))
    theirs = keras.ops.convert_to_numpy(keras.layers.Activation(name)(X))
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.skipif(keras.backend.backend() != "jax",
                    reason="the gradient is taken from the output on the JAX backend only")
def test_elu_gradient_equals_jax_up_to_rounding():
    import jax
    import jax.numpy as jnp

    def gradient(layer):
        return jax.jit(jax.grad(lambda x: jnp.sum(layer(x) * jnp.arange(x.size))))(X)

    ours, theirs = gradient(Activation("elu")), gradient(keras.layers.Activation("elu"))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
    assert ours[X > 0].tolist() == np.arange(X.size)[X > 0].tolist()


def test_saves_and_loads_as_a_keras_model(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, Activation("elu", name="elu")(inputs))
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert type(loaded.get_layer("elu")) is Activation
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded(X.reshape(-1, 4))),
                                  keras.ops.convert_to_numpy(model(X.reshape(-1, 4))))
