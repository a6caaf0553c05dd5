"""The PERSA+ paper's VGG-like back-end (Vrysis et al., section V-D)."""

import keras

from ._conv import Conv2D
from ._pooling import MaxPooling2D
from ._seeds import initializer, layer_seeds, seeded_dropout

#: Momentum of the batch-normalisation statistics. Keras's 0.99 averages over
#: ~100 batches: on small training sets (a few hundred clips, 10-20 batches an
#: epoch) the moving statistics then still lag the weights at the end of
#: training, and the network predicts with statistics of its first epochs.
BATCH_NORM_MOMENTUM = 0.9


def build_vgg_like(input_shape, n_classes, *, filters=(16, 32, 64, 128), kernel_size=3,
                   pool_size=2, dropout=0.2, dense_units=32, padding="same",
                   batch_norm=True, output_activation="softmax", name="vgg_like", seed=None):
    """Build the lightweight VGG-like CNN of the PERSA+ paper.

    One block per entry of ``filters``: Conv2D (``kernel_size``) ->
    BatchNormalization -> ReLU -> MaxPooling2D (``pool_size``); then global
    average pooling, Dense(``dense_units``) -> BatchNormalization -> ReLU,
    Dropout and Dense(``n_classes``) with ``output_activation``.
    With the paper's settings (16-32-64-128 filters, 3x3 kernels, 2x2 pooling,
    dense 32, dropout 20 %) it has about 100k parameters whatever the input
    size (for 3 classes 101,379 without batch normalisation; 102,195 with it,
    544 of them the normalisation's moving statistics), since global pooling
    removes the dependence on frames and bands.

    Batch normalisation is skaudio's addition to the paper's network, on by
    default: without it the network does not train on log spectrograms of
    padded recordings, whose zero-padded bins sit at the front-end's floor far
    from the speech (on FSDD digits LOG, LOG-AU, LOG-T and PERSA stay at chance:
    every ReLU of the dense layer dies in the first epoch). At prediction it is
    a fixed affine map per channel, so it keeps an invariant front-end's
    invariance. Dropout then acts only after the last normalisation, in front
    of the output layer: dropout in front of a normalisation makes the
    variance it sees in training differ from the one at prediction (Li et al.
    [3]_; measured: PCEN of the demo's sounds predicted its own training clips
    at 88 % with dropout in every block, at 100 % without).
    ``batch_norm=False`` builds the paper's network exactly, with dropout
    after every block.

    Parameters
    ----------
    input_shape : tuple of int
        ``(n_frames, n_bands, n_channels)`` of one sample (channels last).
    n_classes : int
        Output units.
    filters : sequence of int, default=(16, 32, 64, 128)
    kernel_size : int or tuple, default=3
    pool_size : int or tuple, default=2
    dropout : float, default=0.2
        Rate of every dropout layer (with ``batch_norm``, of the one in front
        of the output layer).
    dense_units : int, default=32
    padding : {"same", "valid"}, default="same"
        Padding of convolutions and pooling. ``"same"`` (the default) accepts
        inputs of any size, even a single band; ``"valid"`` needs inputs of at
        least about ``3 * 2**len(filters)`` frames and bands.
    batch_norm : bool, default=True
        Batch normalisation (momentum :data:`BATCH_NORM_MOMENTUM`) between
        every convolution or hidden dense layer, then without bias, and its
        ReLU, and dropout only in front of the output layer; False is the
        paper's network (bias, no normalisation, dropout after every block).
    output_activation : str, default="softmax"
    name : str, default="vgg_like"
    seed : int or None, default=None
        Seeds the weight initialisers and dropout layers (see
        :mod:`skaudio.networks`): the same seed builds the same network.

    Returns
    -------
    keras.Model
        Uncompiled.

    References
    ----------
    .. [1] L. Vrysis et al., "PERSA+: A Deep Learning Front-End for
       Context-Agnostic Audio Classification", section V-D.
    .. [2] S. Ioffe and C. Szegedy, "Batch Normalization: Accelerating Deep
       Network Training by Reducing Internal Covariate Shift", ICML 2015.
    .. [3] X. Li, S. Chen, X. Hu and J. Yang, "Understanding the Disharmony
       between Dropout and Batch Normalization by Variance Shift", CVPR 2019.

    Examples
    --------
    >>> build_vgg_like((128, 128, 1), 3, batch_norm=False).count_params()
    101379
    >>> build_vgg_like((128, 128, 1), 3).count_params()
    102195
    """
    with layer_seeds(seed):
        inputs = keras.Input(shape=tuple(input_shape), name="spectrogram")

        def transform(x, layer, suffix):
            """``layer``, then batch normalisation where asked for, then ReLU."""
            if not batch_norm:
                return layer(x)
            x = layer(x)
            x = keras.layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM,
                                                name=f"batch_norm{suffix}")(x)
            return keras.layers.Activation("relu", name=f"relu{suffix}")(x)

        activation = None if batch_norm else "relu"
        x = inputs
        for i, n_filters in enumerate(filters):
            x = transform(x, Conv2D(
                n_filters, kernel_size, padding=padding, activation=activation,
                use_bias=not batch_norm, kernel_initializer=initializer(),
                name=f"conv{i + 1}"), i + 1)
            x = MaxPooling2D(pool_size, padding=padding, name=f"pool{i + 1}")(x)
            if not batch_norm:  # dropout in front of batch normalisation shifts its variance
                x = seeded_dropout(dropout, f"dropout{i + 1}")(x)
        x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
        x = transform(x, keras.layers.Dense(dense_units, activation=activation,
                                            use_bias=not batch_norm,
                                            kernel_initializer=initializer(), name="dense"),
                      "_dense")
        x = seeded_dropout(dropout, "dropout_dense")(x)
        outputs = keras.layers.Dense(n_classes, activation=output_activation,
                                     kernel_initializer=initializer(), name="output")(x)
        return keras.Model(inputs, outputs, name=name)
