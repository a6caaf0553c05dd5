"""CAB-CNN: a 1-D CNN with an attention-based classifier block (Lu et al.)."""

import keras
from keras import ops

from ._conv import Conv1D
from ._masked import (
    MaskedBatchNormalization,
    MaskedMaxPooling1D,
    MaskedTimeAverage,
    SplitValidity,
)
from ._seeds import initializer, layer_seeds, seeded_dropout


@keras.saving.register_keras_serializable(package="skaudio")
class AttentionContext(keras.layers.Layer):
    """``c_t = sum_i alpha_ti c_ti``: the classifiers' outputs weighted by attention.

    Called on ``[alpha, classes]`` of shapes ``(batch, time, n)`` and
    ``(batch, time, n, m)``; returns ``(batch, time, m)``.
    """

    def call(self, inputs):
        alpha, classes = inputs
        return ops.einsum("btn,btnm->btm", alpha, classes)

    def compute_output_shape(self, input_shape):
        alpha, classes = input_shape
        return (*alpha[:2], classes[-1])


def build_cab_cnn(input_shape, n_classes, *, filters=(16, 32, 32, 128),
                  kernel_sizes=(4, 4, 10, 10), pool_sizes=(4, 4, 10, 10),
                  pool_strides=(2, 2, 5, 5), dropout=(0.15, 0.15, 0.1, 0.0),
                  n_classifiers=40, classifier_units=(8, 4), attention_units=(160, 80),
                  name="cab_cnn", seed=None):
    """Build CAB-CNN over clips of different lengths (Lu et al., Table 2 and Fig. 1-2).

    The input is ``(time, 2)``: channel 0 the max-pooled waveform (0 after a
    clip's end), channel 1 its validity (1 inside the clip, 0 after). One
    block per entry of ``filters``: Conv1D (``kernel_sizes``, same padding,
    ReLU), max pooling (``pool_sizes``, ``pool_strides``) and dropout; then
    batch normalisation. That is the "distilled" representation ``a_t``. At
    every time step the attention-based classifier block (ACB) runs
    ``n_classifiers`` small classifiers (Dense ``classifier_units``, ReLU, then
    a softmax over the classes) and an attention MLP (Dense
    ``attention_units``, ReLU, then a softmax over the classifiers); the
    context ``c_t = sum_i alpha_ti c_ti`` is a distribution over the classes,
    and the clip's output is the unweighted mean of ``c_t`` over its own time
    steps. Padding is masked throughout (:mod:`skaudio.networks._masked`), so a
    clip's output does not depend on the batch it is in.

    With the paper's settings and 3 classes the network has 134,112 weights
    (256 of them batch normalisation's moving statistics).

    Parameters
    ----------
    input_shape : tuple of int
        ``(n_steps, 2)``; ``n_steps`` may be None (any length).
    n_classes : int
    filters, kernel_sizes, pool_sizes, pool_strides, dropout : sequence
        One entry per convolutional block (Table 2).
    n_classifiers : int, default=40
    classifier_units : sequence of int, default=(8, 4)
        Hidden layers of every classifier.
    attention_units : sequence of int, default=(160, 80)
        Hidden layers of the attention MLP.
    name : str, default="cab_cnn"
    seed : int or None, default=None
        Seeds the weight initialisers and dropout layers.

    Returns
    -------
    keras.Model
        Uncompiled; its layer ``"attention"`` outputs the weights
        ``alpha_t`` of shape ``(batch, time, n_classifiers)``.

    References
    ----------
    .. [1] H. Lu, H. Zhang and A. Nayak, "A deep neural network for audio
       classification with a classifier attention mechanism" (preprint), section 3,
       Fig. 1-2, Table 2 and section 4 (model configurations).

    Examples
    --------
    >>> build_cab_cnn((None, 2), 3).count_params()
    134112
    """
    blocks = (filters, kernel_sizes, pool_sizes, pool_strides, dropout)
    if len({len(b) for b in blocks}) != 1:
        raise ValueError("build_cab_cnn: filters, kernel_sizes, pool_sizes, pool_strides "
                         "and dropout need one entry per block; got lengths "
                         f"{[len(b) for b in blocks]}.")
    with layer_seeds(seed):
        inputs = keras.Input(shape=tuple(input_shape), name="waveform")
        x, mask = SplitValidity(name="split_validity")(inputs)
        for i, (n, kernel, pool, stride, rate) in enumerate(zip(*blocks), start=1):
            x = Conv1D(n, kernel, padding="same", activation="relu",
                                    kernel_initializer=initializer(), name=f"conv{i}")(x)
            x, mask = MaskedMaxPooling1D(pool, stride, name=f"pool{i}")([x, mask])
            if rate:
                x = seeded_dropout(rate, f"dropout{i}")(x)
        x = MaskedBatchNormalization(name="batch_norm")(x, mask=mask)

        classes = keras.layers.Dense(n_classifiers * classifier_units[0], activation="relu",
                                     kernel_initializer=initializer(),
                                     name="classifiers_dense1")(x)
        classes = keras.layers.Reshape((-1, n_classifiers, classifier_units[0]),
                                       name="classifiers_split")(classes)
        widths = [*classifier_units, n_classes]
        for k, (width_in, width_out) in enumerate(zip(widths[:-1], widths[1:]), start=2):
            last = k == len(widths)
            classes = keras.layers.EinsumDense(
                "btnh,nhk->btnk", output_shape=(None, n_classifiers, width_out),
                bias_axes="nk", activation="softmax" if last else "relu",
                kernel_initializer=initializer(),
                name="classifiers_output" if last else f"classifiers_dense{k}")(classes)

        alpha = x
        for k, units in enumerate(attention_units, start=1):
            alpha = keras.layers.Dense(units, activation="relu",
                                       kernel_initializer=initializer(),
                                       name=f"attention_dense{k}")(alpha)
        alpha = keras.layers.Dense(n_classifiers, activation="softmax",
                                   kernel_initializer=initializer(), name="attention")(alpha)
        context = AttentionContext(name="context")([alpha, classes])
        outputs = MaskedTimeAverage(name="time_average")([context, mask])
        return keras.Model(inputs, outputs, name=name)
