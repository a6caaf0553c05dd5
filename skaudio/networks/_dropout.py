"""Dropout whose mask comes from an integer hash: the same layer, a cheaper mask on JAX.

Keras's dropout on JAX draws its mask with ``jax.random.bernoulli``, whose
Threefry generator XLA's CPU backend runs as a loop of rounds over the
whole mask, writing 32-bit words to memory at each round. On the
raw-waveform network, whose dropout follows every convolution, that was
about 15 % of the training step (``benchmarks/training.py``). Here every
element's word is instead one integer hash of its index and the step's
seed: one vectorised pass that writes a byte per element. (The pass is a
loop of two halves so that XLA keeps the mask in memory; fused into the
operations that read it, the hash was recomputed by pooling gradients that
read each element several times, and the step was slower than with
Threefry.)

* The layer's :class:`keras.random.SeedGenerator` gives a new seed
  ``(s0, s1)`` at every call, as Keras's dropout draws one (``s0`` is the
  layer's seed, ``s1`` counts the steps); the two are mixed into two 32-bit
  keys ``k1`` and ``k2``.
* Element ``i`` (its flat index in the mask) keeps its value, scaled by
  ``1 / (1 - rate)``, where ``hash32((k1 + i * golden) ^ k2) < (1 - rate) *
  2**32``, with ``hash32`` Wellons' "lowbias32" integer hash and ``golden``
  the 32-bit golden ratio ``0x9E3779B9`` (the construction PERSA+'s noise
  uses, :mod:`skaudio._hashed_noise`).

The words are not of Threefry's cryptographic quality, but each element is
kept with probability ``1 - rate`` to within ``2**-32``, and neighbouring
elements and successive steps are uncorrelated (the tests check both),
which is all that dropout asks. The mask is a function of the seed alone,
so training stays deterministic for a given ``random_state``.

:class:`Dropout` is Keras's layer with the same configuration (it serialises
under ``skaudio>Dropout``; skaudio's ONNX export drops it as it drops
Keras's); only its mask in training on the JAX backend is drawn differently.
On the other backends it is Keras's.
"""

from functools import cache

import keras
import numpy as np

#: The 32-bit golden ratio, a Weyl sequence's increment.
GOLDEN32 = 0x9E3779B9


def _hash32(x):
    """Wellons' "lowbias32" integer hash of a uint32 array (JAX)."""
    import jax.numpy as jnp

    x = x ^ (x >> 16)
    x = x * jnp.uint32(0x7FEB352D)
    x = x ^ (x >> 15)
    x = x * jnp.uint32(0x846CA68B)
    return x ^ (x >> 16)


def keep_mask(seed, shape, keep_prob):
    """Which elements of a ``shape`` mask dropout keeps, from a seed ``(s0, s1)``.

    Parameters
    ----------
    seed : array of 2 integers
        A Keras seed, as ``SeedGenerator.next()`` returns it.
    shape : tuple of int
        The mask's shape; at most ``2**32`` elements.
    keep_prob : float in (0, 1)

    Returns
    -------
    jax.Array of bool of ``shape``

    Examples
    --------
    >>> mask = keep_mask(np.array([7, 0], np.uint32), (1000,), 0.75)
    >>> mask.shape, 0.7 < float(mask.mean()) < 0.8
    ((1000,), True)
    """
    size = int(np.prod(shape, dtype=np.int64))
    if size > 2**32:
        raise ValueError(f"A dropout mask of {size} elements is too large; at most 2**32.")
    return _compiled_keep_mask()(seed, tuple(int(n) for n in shape), float(keep_prob))


@cache
def _compiled_keep_mask():
    """:func:`_keep_mask` under ``jax.jit``: compiled once per shape and rate when eager.

    (In a traced step it is inlined; eagerly, ``lax.scan`` would compile its
    loop anew at every call, about 0.2 s.)
    """
    import jax

    return jax.jit(_keep_mask, static_argnums=(1, 2))


def _keep_mask(seed, shape, keep_prob):
    """:func:`keep_mask`, uncompiled."""
    import jax.numpy as jnp
    from jax import lax

    size = int(np.prod(shape, dtype=np.int64))
    words = jnp.asarray(seed).astype(jnp.uint32)
    golden = jnp.uint32(GOLDEN32)
    k1 = _hash32(words[0] * golden ^ _hash32(words[1]))
    k2 = _hash32(k1 + words[1] * golden)
    threshold = jnp.uint32(min(round(keep_prob * 2**32), 2**32 - 1))
    # a loop of two halves: XLA keeps its output in memory (see the module)
    half = -(-size // 2)

    def draw(_, start):
        index = start + lax.iota(jnp.uint32, half)
        return None, _hash32((k1 + index * golden) ^ k2) < threshold

    _, halves = lax.scan(draw, None, jnp.array([0, half], jnp.uint32))
    return halves.reshape(-1)[:size].reshape(shape)


@keras.saving.register_keras_serializable(package="skaudio")
class Dropout(keras.layers.Dropout):
    """:class:`keras.layers.Dropout` whose mask is cheaper on JAX (see the module).

    References
    ----------
    .. [1] Srivastava et al., "Dropout: a simple way to prevent neural
       networks from overfitting", JMLR 15, 2014.
    .. [2] C. Wellons, "Prospecting for hash functions", 2018 (lowbias32).

    Examples
    --------
    >>> import numpy as np
    >>> layer = Dropout(0.5, seed=1)
    >>> x = np.ones((2, 1000), dtype="float32")
    >>> y = np.asarray(layer(x, training=True))
    >>> sorted(set(y.ravel().tolist())), bool(0.4 < (y > 0).mean() < 0.6)
    ([0.0, 2.0], True)
    >>> bool((np.asarray(layer(x)) == x).all())          # inference: unchanged
    True
    """

    def call(self, inputs, training=False):
        if not (training and 0 < self.rate < 1 and keras.backend.backend() == "jax"):
            return super().call(inputs, training=training)
        import jax.numpy as jnp

        shape = tuple(inputs.shape if self.noise_shape is None else
                      (n if d is None else d for d, n in zip(self.noise_shape, inputs.shape)))
        keep = 1.0 - self.rate
        mask = keep_mask(self.seed_generator.next(), shape, keep)
        return jnp.where(mask, inputs / keep, 0)
