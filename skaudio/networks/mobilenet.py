"""MobileNetV2 sized for low-complexity scene classification, as Hu et al.'s "Mobnet".

Each half of the bands goes through its own MobileNetV2 stack (Sandler et al.):
a strided 3x3 convolution, then groups of inverted residual blocks (1x1
expansion -> batch normalisation -> ReLU, 3x3 depth-wise convolution ->
batch normalisation -> ReLU, linear 1x1 projection -> batch normalisation,
plus the input when shape allows), then a 1x1 convolution. The two halves are
concatenated along the bands; a 1x1 convolution, dropout and the 1x1 class
maps with global average pooling give the scores.
"""

import keras

from . import _blocks
from ._blocks import batch_norm, class_scores, conv, conv_bn_relu
from ._seeds import initializer, layer_seeds, seeded_dropout

#: ``(filters, expansion, strides, repeats)`` of each group of inverted
#: residual blocks in Hu et al.'s Mobnet (Task 1b).
MOBILENET_BLOCKS = ((32, 2, 2, 3), (40, 2, 2, 3), (48, 2, 2, 3))


def _inverted_residual(x, filters, expansion, strides, name, *, weight_decay):
    y = conv_bn_relu(x, x.shape[-1] * expansion, 1, f"{name}_expand",
                     weight_decay=weight_decay)
    y = keras.layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False,
                                     depthwise_initializer=initializer(),
                                     name=f"{name}_depthwise")(y)
    y = batch_norm(y, f"{name}_depthwise_bn")
    y = keras.layers.ReLU(name=f"{name}_depthwise_relu")(y)
    y = conv(y, filters, 1, f"{name}_project", weight_decay=weight_decay)
    y = batch_norm(y, f"{name}_project_bn")  # linear bottleneck: no ReLU
    if strides == 1 and x.shape[-1] == filters:
        y = keras.layers.Add(name=f"{name}_add")([x, y])
    return y


def _stack(x, *, first_filters, blocks, last_filters, alpha, weight_decay, prefix):
    x = conv_bn_relu(x, first_filters, 3, f"{prefix}conv", strides=2,
                     weight_decay=weight_decay)
    for group, (filters, expansion, strides, repeats) in enumerate(blocks):
        for i in range(repeats):
            x = _inverted_residual(x, max(int(filters * alpha), 1), expansion,
                                   strides if i == 0 else 1,
                                   f"{prefix}block{group + 1}_{i + 1}",
                                   weight_decay=weight_decay)
    return conv_bn_relu(x, last_filters, 1, f"{prefix}conv_last", weight_decay=weight_decay)


def build_mobilenet_v2(input_shape, n_classes, *, alpha=1.0, first_filters=32,
                       blocks=MOBILENET_BLOCKS, last_filters=56, head_filters=48,
                       split_bands=True, dropout=0.3, weight_decay=1e-3,
                       output_activation="softmax", name="mobilenet_v2", seed=None):
    """Build Hu et al.'s MobileNetV2 ("Mobnet", DCASE 2020 Task 1b).

    Parameters
    ----------
    input_shape : tuple of int
        ``(n_frames, n_bands, n_channels)``; ``n_frames`` may be None.
    n_classes : int
    alpha : float, default=1.0
        Width multiplier of the inverted residual blocks.
    first_filters : int, default=32
        Width of the first (strided) convolution.
    blocks : sequence of (int, int, int, int), default=((32, 2, 2, 3), (40, 2, 2, 3), (48, 2, 2, 3))
        ``(filters, expansion, strides, repeats)`` per group of inverted
        residual blocks; the first block of a group has the stride.
    last_filters : int, default=56
        Width of each stream's closing 1x1 convolution.
    head_filters : int, default=48
        Width of the 1x1 convolution after the streams are joined.
    split_bands : bool, default=True
        One stream for the lower and one for the upper half of the bands.
    dropout : float, default=0.3
        Dropout in front of the class maps.
    weight_decay : float, default=1e-3
    output_activation : str, default="softmax"
    name : str, default="mobilenet_v2"
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
       report, sections 2.2 and 5.4.
    .. [2] M. Sandler, A. Howard, M. Zhu, A. Zhmoginov and L.-C. Chen,
       "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018.

    Examples
    --------
    >>> model = build_mobilenet_v2((None, 128, 6), 3)
    >>> model.count_params()  # 0.6 MB in float32
    149174
    """
    with layer_seeds(seed):
        inputs = keras.Input(shape=tuple(input_shape), name="spectrogram")
        stack = dict(first_filters=first_filters, blocks=tuple(blocks),
                     last_filters=last_filters, alpha=alpha, weight_decay=weight_decay)
        if split_bands:
            lower, upper = _blocks.split_bands(inputs)
            x = keras.layers.Concatenate(axis=2, name="bands")(
                [_stack(lower, prefix="lower_", **stack), _stack(upper, prefix="upper_", **stack)])
        else:
            x = _stack(inputs, prefix="", **stack)
        x = conv_bn_relu(x, head_filters, 1, "conv_head", weight_decay=weight_decay)
        if dropout:
            x = seeded_dropout(dropout, "dropout")(x)
        outputs = class_scores(x, n_classes, output_activation, weight_decay=weight_decay)
        return keras.Model(inputs, outputs, name=name)
