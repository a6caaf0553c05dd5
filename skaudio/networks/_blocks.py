"""Layer blocks shared by the DCASE 2020 networks of Hu et al. (FCNN, ResNet, MobileNetV2).

Inputs are ``(frames, bands, channels)``: time first, frequency second,
channels last, as everywhere in skaudio. A pooling or stride of ``(2, 1)``
therefore sub-samples time only, ``(1, 2)`` frequency only.
"""

import keras

from ._conv import Conv2D
from ._seeds import initializer
from .vgg_like import BATCH_NORM_MOMENTUM


def regularizer(weight_decay):
    """An L2 kernel regulariser of ``weight_decay`` (None for 0)."""
    return keras.regularizers.L2(weight_decay) if weight_decay else None


def batch_norm(x, name, *, affine=True):
    """Batch normalisation (momentum :data:`BATCH_NORM_MOMENTUM`); ``affine=False``
    only standardises (no learned scale and offset)."""
    return keras.layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, center=affine,
                                           scale=affine, name=name)(x)


def conv(x, filters, kernel_size, name, *, strides=1, weight_decay=0.0):
    """A bias-free ``same``-padded Conv2D with He initialisation (a norm follows it)."""
    return Conv2D(filters, kernel_size, strides=strides, padding="same",
                               use_bias=False, kernel_initializer=initializer("he_normal"),
                               kernel_regularizer=regularizer(weight_decay), name=name)(x)


def conv_bn_relu(x, filters, kernel_size, name, *, strides=1, weight_decay=0.0):
    """Conv2D -> BatchNormalization -> ReLU, the unit of FCNN and MobileNetV2."""
    x = conv(x, filters, kernel_size, name, strides=strides, weight_decay=weight_decay)
    x = batch_norm(x, f"{name}_bn")
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def channel_attention(x, *, ratio=2, name="channel_attention"):
    """Channel attention of CBAM (Woo et al. 2018), as Hu et al.'s FCNN applies it.

    Each channel is weighted by ``sigmoid(MLP(avg) + MLP(max))``: the average
    and the maximum of the channel over time and frequency go through one
    shared two-layer perceptron (``channels // ratio`` hidden ReLU units).
    """
    channels = x.shape[-1]
    hidden = keras.layers.Dense(max(channels // ratio, 1), activation="relu",
                                kernel_initializer=initializer("he_normal"), name=f"{name}_hidden")
    output = keras.layers.Dense(channels, kernel_initializer=initializer("he_normal"),
                                name=f"{name}_output")
    avg = output(hidden(keras.layers.GlobalAveragePooling2D(name=f"{name}_avg")(x)))
    max_ = output(hidden(keras.layers.GlobalMaxPooling2D(name=f"{name}_max")(x)))
    weights = keras.layers.Activation("sigmoid", name=f"{name}_sigmoid")(
        keras.layers.Add(name=f"{name}_add")([avg, max_]))
    weights = keras.layers.Reshape((1, 1, channels), name=f"{name}_reshape")(weights)
    return keras.layers.Multiply(name=name)([x, weights])


@keras.saving.register_keras_serializable(package="skaudio")
class PadChannels(keras.layers.Layer):
    """Append ``n_channels`` channels of zeros (a residual shortcut that widens)."""

    def __init__(self, n_channels, **kwargs):
        super().__init__(**kwargs)
        self.n_channels = int(n_channels)

    def call(self, inputs):
        return keras.ops.pad(inputs, [(0, 0)] * (len(inputs.shape) - 1)
                             + [(0, self.n_channels)])

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.n_channels)

    def get_config(self):
        return {**super().get_config(), "n_channels": self.n_channels}


def split_bands(x, name="split"):
    """The lower and the upper half of the bands (``N // 2`` and ``N - N // 2``)."""
    n_bands = x.shape[2]
    if n_bands is None or n_bands < 2:
        raise ValueError(
            f"Splitting the bands into a lower and an upper half needs at least 2 "
            f"bands; got {n_bands}. Use more bands or split_bands=False."
        )
    lower = keras.layers.Cropping2D(((0, 0), (0, n_bands - n_bands // 2)),
                                    name=f"{name}_lower")(x)
    upper = keras.layers.Cropping2D(((0, 0), (n_bands // 2, 0)), name=f"{name}_upper")(x)
    return lower, upper


def class_scores(x, n_classes, output_activation, *, weight_decay=0.0, attention_ratio=None,
                 name="output"):
    """The head every DCASE network ends with: one class map, pooled over time and bands.

    A 1x1 convolution to one map per class, standardised (batch normalisation
    without scale and offset), optionally weighted by channel attention, then
    global average pooling and ``output_activation``.
    """
    x = conv(x, n_classes, 1, f"{name}_conv", weight_decay=weight_decay)
    x = batch_norm(x, f"{name}_bn", affine=False)
    if attention_ratio is not None:
        x = channel_attention(x, ratio=attention_ratio, name=f"{name}_attention")
    x = keras.layers.GlobalAveragePooling2D(name=f"{name}_pool")(x)
    return keras.layers.Activation(output_activation, name=name)(x)
