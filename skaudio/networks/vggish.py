"""VGGish: the AudioSet embedding network (Xu's thesis, Table 1; Hershey et al. 2017).

The published network, as in the TensorFlow release (``vggish_slim.py``):

======  ===================  ==============
layer   output (patch)       Keras name
======  ===================  ==============
input   96 x 64 x 1          ``log_mel``
conv    96 x 64 x 64         ``conv1``
pool    48 x 32 x 64         ``pool1``
conv    48 x 32 x 128        ``conv2``
pool    24 x 16 x 128        ``pool2``
conv    24 x 16 x 256        ``conv3_1``
conv    24 x 16 x 256        ``conv3_2``
pool    12 x 8 x 256         ``pool3``
conv    12 x 8 x 512         ``conv4_1``
conv    12 x 8 x 512         ``conv4_2``
pool    6 x 4 x 512          ``pool4``
flatten 12288                ``flatten``
fc      4096                 ``fc1_1``
fc      4096                 ``fc1_2``
fc      128                  ``fc2``
======  ===================  ==============

Convolutions are 3x3, stride 1, ``same`` padding, ReLU; pooling is 2x2 max
pooling with stride 2. The TF release's checkpoint names these layers
``vggish/conv3/conv3_1`` and so on: Keras 3 forbids ``/`` in layer names, so
the ``/`` parts become ``_`` (:data:`TF_LAYER_NAMES` holds the mapping).
"""

import keras

from ._conv import Conv2D
from ._pooling import MaxPooling2D
from ._seeds import initializer, layer_seeds

#: The published widths: one tuple of convolution widths per pooling block.
VGGISH_CONV_BLOCKS = ((64,), (128,), (256, 256), (512, 512))
#: The published fully connected widths before the embedding layer.
VGGISH_FC_UNITS = (4096, 4096)
#: Embedding size of the published network.
VGGISH_EMBEDDING_SIZE = 128
#: One VGGish input patch: 96 frames of 10 ms x 64 mel bands, one channel.
VGGISH_PATCH_SHAPE = (96, 64, 1)

#: Keras layer name -> the TF release's variable scope.
TF_LAYER_NAMES = {
    "conv1": "vggish/conv1",
    "conv2": "vggish/conv2",
    "conv3_1": "vggish/conv3/conv3_1",
    "conv3_2": "vggish/conv3/conv3_2",
    "conv4_1": "vggish/conv4/conv4_1",
    "conv4_2": "vggish/conv4/conv4_2",
    "fc1_1": "vggish/fc1/fc1_1",
    "fc1_2": "vggish/fc1/fc1_2",
    "fc2": "vggish/fc2",
}


def vggish_layer_names(conv_blocks=VGGISH_CONV_BLOCKS, fc_units=VGGISH_FC_UNITS):
    """Names of the weighted layers of :func:`build_vggish`, input to output.

    Examples
    --------
    >>> vggish_layer_names()
    ['conv1', 'conv2', 'conv3_1', 'conv3_2', 'conv4_1', 'conv4_2', 'fc1_1', 'fc1_2', 'fc2']
    """
    names = []
    for b, block in enumerate(conv_blocks, start=1):
        names += [f"conv{b}"] if len(block) == 1 else \
            [f"conv{b}_{i}" for i in range(1, len(block) + 1)]
    names += [f"fc1_{i}" for i in range(1, len(fc_units) + 1)] if len(fc_units) > 1 \
        else ["fc1"] * len(fc_units)
    return names + ["fc2"]


def build_vggish(input_shape=VGGISH_PATCH_SHAPE, *, conv_blocks=VGGISH_CONV_BLOCKS,
                 fc_units=VGGISH_FC_UNITS, embedding_size=VGGISH_EMBEDDING_SIZE,
                 embedding_activation=None, kernel_initializer="glorot_uniform",
                 name="vggish", seed=None):
    """Build VGGish: log-mel patches ``(96, 64, 1)`` -> ``embedding_size`` embeddings.

    With the defaults it is the published network of the AudioSet release
    (Xu's thesis, Table 1): 72,141,184 parameters. Smaller ``conv_blocks`` and
    ``fc_units`` give the same architecture at test or training-from-scratch
    sizes.

    Parameters
    ----------
    input_shape : tuple of int, default=(96, 64, 1)
        ``(frames, mel bands, channels)`` of one patch. The published weights
        need the default: its fc1 sees the 6 x 4 x 512 map of a 96 x 64 patch.
    conv_blocks : sequence of sequences of int, default=((64,), (128,), (256, 256), (512, 512))
        Convolution widths of each block; every block ends with 2x2 max pooling.
    fc_units : sequence of int, default=(4096, 4096)
        Widths of the ReLU fully connected layers after flattening.
    embedding_size : int, default=128
        Width of the final (embedding) layer ``fc2``.
    embedding_activation : None or str, default=None
        Activation of ``fc2``. ``None`` (linear) is the TF release's, whose
        embedding is pre-activation; torchvggish applies ``"relu"``.
    kernel_initializer : str, default="glorot_uniform"
        Initialiser of every kernel (Keras's default). ``"zeros"`` skips the
        random draw of 72 million weights (seconds) when they will be
        overwritten by loaded ones.
    name : str, default="vggish"
    seed : int or None, default=None
        Seeds the weight initialisers and dropout layers (see
        :mod:`skaudio.networks`): the same seed builds the same network.

    Returns
    -------
    keras.Model
        Uncompiled; ``(batch, *input_shape) -> (batch, embedding_size)``,
        weighted layers named as in
        ``skaudio.networks.vggish.vggish_layer_names``.

    See Also
    --------
    skaudio.embedding.load_vggish_weights : the published weights for it.
    skaudio.VGGishEmbedder : the network as a scikit-learn transformer.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, Table 1 (the VGGish layers).
    .. [2] S. Hershey et al., "CNN architectures for large-scale audio
       classification," Proc. ICASSP, 2017.

    Examples
    --------
    >>> small = build_vggish(conv_blocks=((4,), (8,)), fc_units=(16,), embedding_size=8)
    >>> small.output_shape, small.get_layer("fc1").output.shape
    ((None, 8), (None, 16))
    """
    with layer_seeds(seed):
        names = iter(vggish_layer_names(conv_blocks, fc_units))
        inputs = keras.Input(shape=tuple(input_shape), name="log_mel")
        x = inputs
        for b, block in enumerate(conv_blocks, start=1):
            for width in block:
                x = Conv2D(int(width), 3, padding="same", activation="relu",
                                        kernel_initializer=initializer(kernel_initializer),
                                        name=next(names))(x)
            x = MaxPooling2D(2, strides=2, padding="same", name=f"pool{b}")(x)
        x = keras.layers.Flatten(name="flatten")(x)  # row-major over (H, W, C): TF's order
        for width in fc_units:
            x = keras.layers.Dense(int(width), activation="relu",
                                   kernel_initializer=initializer(kernel_initializer),
                                   name=next(names))(x)
        outputs = keras.layers.Dense(int(embedding_size), activation=embedding_activation,
                                     kernel_initializer=initializer(kernel_initializer),
                                     name=next(names))(x)
        return keras.Model(inputs, outputs, name=name)
