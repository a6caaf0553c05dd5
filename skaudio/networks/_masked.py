"""Layers over clips of different lengths in one batch: values and a validity mask.

A batch of clips of different lengths enters a network zero-padded to the
longest, with a mask of shape ``(batch, time)`` that is 1 inside each clip
and 0 after its end (:func:`split_validity`). The layers here keep every clip's
outputs at its own time steps exactly what they are for the clip alone, so a
prediction does not depend on which other clips share its batch:

* a convolution with ``padding="same"`` and stride 1 already does, provided
  the values after a clip's end are 0 (what its own zero padding would be);
* :class:`MaskedMaxPooling1D` pools windows that start at ``0, s, 2s, ...``
  whatever the batch's length (Keras's ``"same"`` pooling centres its windows
  by the padded length, so they would shift), ignores the padding, and zeroes
  its output after the clip's end, so the next convolution sees zeros there;
* :class:`MaskedTimeAverage` averages over each clip's own time steps.

* :class:`MaskedBatchNormalization` leaves the padding out of its training
  statistics.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="skaudio")
class SplitValidity(keras.layers.Layer):
    """``(batch, time, 2)`` -> values ``(batch, time, 1)`` and mask ``(batch, time)``.

    Channel 0 holds the samples (0 after a clip's end), channel 1 is 1 inside
    the clip and 0 after it.
    """

    def call(self, inputs):
        return inputs[..., :1], inputs[..., 1]

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1), tuple(input_shape[:-1])


@keras.saving.register_keras_serializable(package="skaudio")
class MaskedMaxPooling1D(keras.layers.Layer):
    """Max pooling over each clip's own steps: windows at ``0, s, 2s, ...``.

    Output step ``i`` is the maximum of input steps ``i*s`` to ``i*s + pool - 1``
    that lie inside the clip; a clip of ``n`` valid steps has ``ceil(n / s)``
    valid outputs (Keras's ``"same"`` length), and the outputs after those are 0.
    Called on ``[values, mask]``; returns ``[pooled, pooled_mask]``.

    Parameters
    ----------
    pool_size : int
    strides : int
    """

    def __init__(self, pool_size, strides, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = int(pool_size)
        self.strides = int(strides)

    def call(self, inputs):
        x, mask = inputs
        valid = ops.expand_dims(ops.cast(mask, x.dtype), -1)
        # Windows start at 0, s, 2s, ...: the right end padded by pool - 1 steps,
        # and every step outside a clip below all of its values.
        tail = [[0, 0], [0, self.pool_size - 1], [0, 0]]
        x, valid = ops.pad(x, tail), ops.pad(valid, tail)
        lowest = ops.stop_gradient(ops.min(x)) - 1.0
        x = ops.where(valid > 0, x, lowest)
        pooled = ops.max_pool(x, self.pool_size, self.strides, padding="valid")
        pooled_mask = mask[:, ::self.strides]
        return pooled * ops.expand_dims(ops.cast(pooled_mask, x.dtype), -1), pooled_mask

    def compute_output_shape(self, input_shape):
        (batch, steps, channels), _ = input_shape
        steps = None if steps is None else -(-steps // self.strides)
        return (batch, steps, channels), (batch, steps)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size,
                "strides": self.strides}


@keras.saving.register_keras_serializable(package="skaudio")
class MaskedTimeAverage(keras.layers.Layer):
    """The unweighted mean over each clip's own time steps: ``[x, mask] -> (batch, d)``."""

    def call(self, inputs):
        x, mask = inputs
        weights = ops.expand_dims(ops.cast(mask, x.dtype), -1)
        return ops.sum(x * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1.0)

    def compute_output_shape(self, input_shape):
        (batch, _, features), _ = input_shape
        return batch, features


@keras.saving.register_keras_serializable(package="skaudio")
class MaskedBatchNormalization(keras.layers.BatchNormalization):
    """Batch normalisation whose training statistics leave the padding out.

    Keras's layer with the mask passed in the call (``mask=``); the mask is
    not attached to the output, since the layers after it take it explicitly.
    """

    def compute_mask(self, inputs, mask=None):
        return None
