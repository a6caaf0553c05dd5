"""skaudio's Dropout layer: Keras's, with masks from an integer hash on JAX."""

import keras
import numpy as np
import pytest

from skaudio.networks._dropout import Dropout
from skaudio.networks._seeds import layer_seeds, seeded_dropout

jax_only = pytest.mark.skipif(keras.backend.backend() != "jax",
                              reason="the hashed masks are drawn on the JAX backend only")


def _array(x):
    return keras.ops.convert_to_numpy(x)


def _masks(layer, shape, calls):
    x = np.ones(shape, dtype=np.float32)
    return [_array(layer(x, training=True)) != 0 for _ in range(calls)]


@jax_only
@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_keeps_each_element_with_probability_one_minus_rate_and_scales_it(rate):
    x = np.random.default_rng(0).normal(size=(50, 40, 100)).astype(np.float32)
    y = _array(Dropout(rate, seed=3)(x, training=True))
    kept = y != 0
    n, keep = x.size, 1 - rate
    assert abs(kept.mean() - keep) < 5 * np.sqrt(keep * rate / n)
    np.testing.assert_allclose(y[kept], x[kept] / keep, rtol=1e-6)


@jax_only
def test_neighbouring_elements_channels_and_steps_are_uncorrelated():
    first, second = _masks(Dropout(0.5, seed=11), (64, 200, 16), 2)
    bound = 5 / np.sqrt(first.size)  # five standard errors of a correlation
    for a, b in [(first[..., 1:], first[..., :-1]),      # next channel
                 (first[:, 1:], first[:, :-1]),          # next step
                 (first[1:], first[:-1]),                # next sample
                 (first, second)]:                       # next training step
        assert abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) < bound


@jax_only
def test_a_seed_gives_the_same_masks_and_another_seed_others():
    same = _masks(Dropout(0.3, seed=5), (8, 300), 3)
    again = _masks(Dropout(0.3, seed=5), (8, 300), 3)
    other = _masks(Dropout(0.3, seed=6), (8, 300), 3)
    for a, b, c in zip(same, again, other):
        np.testing.assert_array_equal(a, b)
        assert (a != c).mean() > 0.3
    assert (same[0] != same[1]).mean() > 0.3  # the step counter advances


@jax_only
def test_masks_are_the_same_compiled_and_eager():
    import jax

    from skaudio.networks._dropout import keep_mask

    seed = np.array([123, 4], np.uint32)
    eager = np.asarray(keep_mask(seed, (3, 7, 5), 0.6))
    compiled = np.asarray(jax.jit(lambda s: keep_mask(s, (3, 7, 5), 0.6))(seed))
    np.testing.assert_array_equal(eager, compiled)
    assert eager.dtype == bool and 0 < eager.mean() < 1


@jax_only
def test_eager_calls_trace_the_mask_once_per_shape_and_rate(monkeypatch):
    from skaudio.networks import _dropout

    traces = []

    def counted(seed, shape, keep_prob):
        traces.append(shape)
        return original(seed, shape, keep_prob)

    original = _dropout._keep_mask
    monkeypatch.setattr(_dropout, "_keep_mask", counted)
    _dropout._compiled_keep_mask.cache_clear()  # a jit of the counted function
    try:
        layer = Dropout(0.4, seed=2)
        for _ in range(4):  # a new seed each call, the same shape and rate
            layer(np.ones((5, 17, 3), np.float32), training=True)
        assert traces == [(5, 17, 3)]
        Dropout(0.4, seed=9)(np.ones((5, 18, 3), np.float32), training=True)
        assert traces == [(5, 17, 3), (5, 18, 3)]
    finally:
        _dropout._compiled_keep_mask.cache_clear()


@jax_only
def test_gradient_is_the_mask_over_the_keep_probability():
    import jax
    import jax.numpy as jnp

    from skaudio.networks._dropout import keep_mask

    seed = np.array([9, 2], np.uint32)

    def dropped(x):
        return jnp.where(keep_mask(seed, x.shape, 0.75), x / 0.75, 0)

    x = jnp.asarray(np.random.default_rng(1).normal(size=(4, 33)).astype(np.float32))
    gradient = jax.jit(jax.grad(lambda v: jnp.sum(dropped(v) * 2.0)))(x)
    mask = np.asarray(keep_mask(seed, x.shape, 0.75))
    np.testing.assert_allclose(np.asarray(gradient), np.where(mask, 2.0 / 0.75, 0.0), rtol=1e-6)


@jax_only
def test_noise_shape_shares_one_mask_along_its_unit_axes():
    layer = Dropout(0.5, noise_shape=(None, 1, 6), seed=2)
    (mask,) = _masks(layer, (4, 10, 6), 1)
    assert (mask == mask[:, :1]).all()
    assert 0 < mask.mean() < 1


def test_inference_rate_zero_and_rate_one_are_keras_own():
    x = np.random.default_rng(2).normal(size=(3, 20)).astype(np.float32)
    np.testing.assert_array_equal(_array(Dropout(0.5, seed=1)(x)), x)
    np.testing.assert_array_equal(_array(Dropout(0.0, seed=1)(x, training=True)), x)
    np.testing.assert_array_equal(_array(Dropout(1.0, seed=1)(x, training=True)), 0 * x)


@jax_only
def test_refuses_a_mask_beyond_the_counter():
    from skaudio.networks._dropout import keep_mask

    with pytest.raises(ValueError, match="too large"):
        keep_mask(np.array([1, 0], np.uint32), (2**16, 2**16 + 1), 0.5)


def test_networks_build_it_seeded_and_it_saves_as_a_keras_layer(tmp_path):
    with layer_seeds(0):
        first = seeded_dropout(0.4, "a")
    with layer_seeds(0):
        again = seeded_dropout(0.4, "a")
    assert type(first) is Dropout and first.seed == again.seed
    inputs = keras.Input((5,))
    model = keras.Model(inputs, first(inputs))
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    layer = loaded.get_layer("a")
    assert type(layer) is Dropout and layer.rate == 0.4 and layer.seed == first.seed
