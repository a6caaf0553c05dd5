"""The PERSA+ paper's VGG-like back-end (Vrysis et al., section V-D)."""

import keras


def build_vgg_like(input_shape, n_classes, *, filters=(16, 32, 64, 128), kernel_size=3,
                   pool_size=2, dropout=0.2, dense_units=32, padding="same",
                   output_activation="softmax", name="vgg_like"):
    """Build the lightweight VGG-like CNN of the PERSA+ paper.

    One block per entry of ``filters``: Conv2D (``kernel_size``, ReLU) ->
    MaxPooling2D (``pool_size``) -> Dropout; then global average pooling,
    Dense(``dense_units``, ReLU), Dropout and Dense(``n_classes``) with
    ``output_activation``. With the paper's settings (16-32-64-128 filters,
    3x3 kernels, 2x2 pooling, dense 32, dropout 20 %) it has about 100k
    parameters whatever the input size (101,379 for 3 classes), since global
    pooling removes the dependence on frames and bands.

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
        Rate of every dropout layer.
    dense_units : int, default=32
    padding : {"same", "valid"}, default="same"
        Padding of convolutions and pooling. ``"same"`` (the default) accepts
        inputs of any size, even a single band; ``"valid"`` needs inputs of at
        least about ``3 * 2**len(filters)`` frames and bands.
    output_activation : str, default="softmax"
    name : str, default="vgg_like"

    Returns
    -------
    keras.Model
        Uncompiled.

    Examples
    --------
    >>> model = build_vgg_like((128, 128, 1), 3)
    >>> model.count_params()
    101379
    """
    inputs = keras.Input(shape=tuple(input_shape), name="spectrogram")
    x = inputs
    for i, n_filters in enumerate(filters):
        x = keras.layers.Conv2D(n_filters, kernel_size, padding=padding, activation="relu",
                                name=f"conv{i + 1}")(x)
        x = keras.layers.MaxPooling2D(pool_size, padding=padding, name=f"pool{i + 1}")(x)
        x = keras.layers.Dropout(dropout, name=f"dropout{i + 1}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    x = keras.layers.Dense(dense_units, activation="relu", name="dense")(x)
    x = keras.layers.Dropout(dropout, name="dropout_dense")(x)
    outputs = keras.layers.Dense(n_classes, activation=output_activation, name="output")(x)
    return keras.Model(inputs, outputs, name=name)
