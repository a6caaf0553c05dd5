"""Training-time augmentation as Keras layers: active only while a network trains.

Transformers must give the same output at training and prediction time, so
random augmentation lives here, inside the network, where Keras switches it on
for ``training=True`` only.
"""

import keras


@keras.saving.register_keras_serializable(package="skaudio")
class RandomGain(keras.layers.Layer):
    """Add a random gain, uniform in ``±max_db`` dB, to each training sample.

    The input is a log-power representation in bels (skaudio's log front-ends:
    ``log10`` of power), where a gain of ``g`` dB is the additive offset
    ``g / 10``. One gain is drawn per sample and applied to all of its bins.
    At inference (``training=False``) the layer is the identity. LOG-AU trains
    with ``max_db=30``, PERSA+ with ``max_db=3`` (Vrysis et al., IV and V-C).

    Parameters
    ----------
    max_db : float
        Half-width of the uniform gain distribution in dB.
    seed : int or None
        Seed of the layer's random generator.

    Examples
    --------
    >>> import numpy as np
    >>> layer = RandomGain(max_db=3.0, seed=0)
    >>> x = np.zeros((2, 4, 4, 1), dtype="float32")
    >>> bool(np.all(np.asarray(layer(x, training=False)) == 0))
    True
    """

    def __init__(self, max_db, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.max_db = float(max_db)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training or self.max_db == 0:
            return inputs
        batch = keras.ops.shape(inputs)[0]
        shape = (batch,) + (1,) * (len(inputs.shape) - 1)
        gain_db = keras.random.uniform(shape, minval=-self.max_db, maxval=self.max_db,
                                       seed=self.seed_generator, dtype=inputs.dtype)
        return inputs + gain_db / 10.0

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_db": self.max_db, "seed": self.seed}
