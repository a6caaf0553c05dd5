"""The two-path residual network of McDonnell and Gao, as Hu et al. use it (DCASE 2020).

Each half of the bands (lower, upper) goes through its own stack of 17
convolutions: one input convolution, then ``n_stacks`` stacks of
``blocks_per_stack`` pre-activation residual blocks (batch normalisation
without scale and offset -> ReLU -> 3x3 convolution, twice). Sub-sampling is
in time only (stride ``(2, 1)`` in skaudio's ``(frames, bands)`` layout): the
network never sub-samples frequency. The first block of every stack but the
first halves time and doubles the width; its shortcut is a 3x3 average
pooling (stride ``(2, 1)``) padded with zero channels. The two paths are
concatenated along the bands, a 1x1 convolution doubles the width, a 1x1
convolution makes one map per class, and global average pooling and softmax
give the scores. ``width_multiplier=2`` doubles every width: Hu et al.'s
ResNet-d.
"""

import keras

from ._blocks import PadChannels, batch_norm, class_scores, conv, split_bands
from ._seeds import layer_seeds

#: The authors' width of the first stack (it doubles with every stack).
RESNET_FILTERS = 24


def _pre_activation_conv(x, filters, kernel_size, name, *, strides=1, weight_decay):
    x = batch_norm(x, f"{name}_bn", affine=False)
    x = keras.layers.ReLU(name=f"{name}_relu")(x)
    return conv(x, filters, kernel_size, name, strides=strides, weight_decay=weight_decay)


def _path(x, *, filters, n_stacks, blocks_per_stack, weight_decay, prefix):
    x = batch_norm(x, f"{prefix}input_bn")
    x = conv(x, filters, 3, f"{prefix}conv1", strides=(2, 1), weight_decay=weight_decay)
    n = 1
    for stack in range(n_stacks):
        for block in range(blocks_per_stack):
            downsample = stack > 0 and block == 0  # halve time, double the width
            strides = (2, 1) if downsample else 1
            name = f"{prefix}stack{stack + 1}_block{block + 1}"
            y = _pre_activation_conv(x, filters, 3, f"{prefix}conv{n + 1}", strides=strides,
                                     weight_decay=weight_decay)
            y = _pre_activation_conv(y, filters, 3, f"{prefix}conv{n + 2}",
                                     weight_decay=weight_decay)
            n += 2
            if downsample:
                x = keras.layers.AveragePooling2D(3, strides=(2, 1), padding="same",
                                                  name=f"{name}_shortcut_pool")(x)
                x = PadChannels(filters - x.shape[-1], name=f"{name}_shortcut")(x)
            x = keras.layers.Add(name=f"{name}_add")([x, y])
        filters *= 2
    return x, filters


def build_two_path_resnet(input_shape, n_classes, *, filters=RESNET_FILTERS,
                          width_multiplier=1, n_stacks=4, blocks_per_stack=2,
                          weight_decay=1e-3, output_activation="softmax", name="resnet", seed=None):
    """Build the 17-layer two-path ResNet of Hu et al. (ResNet-d with ``width_multiplier=2``).

    Parameters
    ----------
    input_shape : tuple of int
        ``(n_frames, n_bands, n_channels)``, at least 2 bands; ``n_frames``
        may be None (the network is fully convolutional).
    n_classes : int
    filters : int, default=24
        Width of the first stack; every later stack doubles it.
    width_multiplier : int, default=1
        Multiplies every width (2: ResNet-d).
    n_stacks : int, default=4
    blocks_per_stack : int, default=2
        Residual blocks (2 convolutions each) per stack: with the defaults
        each path has 1 + 4 * 2 * 2 = 17 convolutions.
    weight_decay : float, default=1e-3
        L2 penalty on every convolution kernel.
    output_activation : str, default="softmax"
    name : str, default="resnet"
    seed : int or None, default=None
        Seeds the weight initialisers and dropout layers (see
        :mod:`skaudio.networks`): the same seed builds the same network.

    Returns
    -------
    keras.Model
        Uncompiled.

    References
    ----------
    .. [1] H. Hu et al., "Device-robust acoustic scene classification based on
       two-stage categorization and data augmentation", DCASE 2020 technical
       report, section 2.2.
    .. [2] M. D. McDonnell and W. Gao, "Acoustic scene classification using
       deep residual networks with late fusion of separated high and low
       frequency paths", ICASSP 2020 (the paper's [7]).

    Examples
    --------
    >>> build_two_path_resnet((None, 128, 3), 10).count_params()
    3253148
    """
    with layer_seeds(seed):
        inputs = keras.Input(shape=tuple(input_shape), name="spectrogram")
        lower, upper = split_bands(inputs)
        path = dict(filters=filters * width_multiplier, n_stacks=n_stacks,
                    blocks_per_stack=blocks_per_stack, weight_decay=weight_decay)
        lower, width = _path(lower, prefix="lower_", **path)
        upper, _ = _path(upper, prefix="upper_", **path)
        x = keras.layers.Concatenate(axis=2, name="bands")([lower, upper])
        x = _pre_activation_conv(x, 2 * width, 1, "conv_wide", weight_decay=weight_decay)
        x = batch_norm(x, "conv_wide_out_bn", affine=False)
        x = keras.layers.ReLU(name="conv_wide_out_relu")(x)
        outputs = class_scores(x, n_classes, output_activation, weight_decay=weight_decay)
        return keras.Model(inputs, outputs, name=name)
