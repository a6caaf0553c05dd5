"""ELU whose gradient comes from its output: the same layer, one exponential less per step.

JAX differentiates ``elu(x) = x if x > 0 else expm1(x)`` by computing
``exp(x)`` again in the backward pass, a second transcendental pass over
the activation. The derivative is also ``elu(x) + 1`` for ``x <= 0``, from
the forward pass's output. On the raw-waveform network, whose first
convolutions' outputs are its largest activations, that made the training
step about 5 % faster on CPU (``benchmarks/training.py``).

:class:`Activation` is Keras's layer with the same configuration (it
serialises under ``skaudio>Activation``, and skaudio's ONNX export treats it
as Keras's); only an ``"elu"`` activation in a compiled step on JAX's CPU
backend is computed differently. The forward values are exactly Keras's; the
gradient for ``x <= 0`` is ``expm1(x) + 1`` instead of ``exp(x)``, equal up
to float32 rounding.
"""

from functools import cache

import keras

from ._conv import _compiled_on_jax_cpu


@cache
def _elu_from_output():
    """``elu`` (alpha 1) with its derivative taken from the output, as a JAX function."""
    import jax
    import jax.numpy as jnp

    @jax.custom_jvp
    def elu(x):
        return jnp.where(x > 0, x, jnp.expm1(jnp.minimum(x, 0)))

    @elu.defjvp
    def elu_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        y = elu(x)
        return y, t * jnp.where(x > 0, 1, y + 1).astype(x.dtype)

    return elu


@keras.saving.register_keras_serializable(package="skaudio")
class Activation(keras.layers.Activation):
    """:class:`keras.layers.Activation` whose ELU trains faster on JAX (see the module).

    Examples
    --------
    >>> import numpy as np
    >>> layer = Activation("elu")
    >>> np.asarray(layer(np.array([[-1.0, 0.0, 2.0]])), dtype=float).round(4).tolist()
    [[-0.6321, 0.0, 2.0]]
    """

    def call(self, inputs):
        if self.activation is keras.activations.elu and _compiled_on_jax_cpu(inputs):
            return _elu_from_output()(inputs)
        return super().call(inputs)
