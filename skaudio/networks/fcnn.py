"""FCNN, fsFCNN and fsFCNN-s: the fully convolutional networks of Hu et al. (DCASE 2020).

Reading of the paper (section 2.2) and its authors' code, in skaudio's
``(frames, bands, channels)`` layout:

* **FCNN**: 9 convolutions, each batch normalisation + ReLU; the blocks hold
  2, 2 and 4 of them, each block followed by 2x2 max pooling (so after the
  2nd, 4th and 8th convolution); dropout after convolutions 5 to 8; the 9th
  convolution (1x1) makes one map per class, channel attention weights those
  maps, global average pooling and softmax give the scores. As in the
  authors' code the first convolution is 5x5 with stride 2 and the input is
  batch-normalised; the others are 3x3.
* **fsFCNN** ("frequency sub-sampling controlled"): 11 convolutions in blocks
  of 2; 2x2 pooling after the 2nd and 4th, then pooling of **time only**
  (the paper's "1x2", frequency x time) after the 6th and 8th: less pooling
  along frequency is the point of the design. Dropout after the 9th and 10th.
* **fsFCNN-s**: the bands split into a lower and an upper half, one fsFCNN
  stack each up to its last ReLU block, the two concatenated along the bands,
  then two more convolutions (3x3, then the 1x1 class maps), attention,
  global pooling and softmax.
"""

import keras

from . import _blocks
from ._blocks import batch_norm, class_scores, conv_bn_relu
from ._pooling import MaxPooling2D
from ._seeds import layer_seeds, seeded_dropout

#: FCNN of Task 1a for 3 input channels (log-mel, delta, delta-delta): the
#: authors' widths 24, 48 and 96 are multiplied by the number of channels.
FCNN_FILTERS = (72, 144, 288)
FCNN_CONVS_PER_BLOCK = (2, 2, 4)
FCNN_POOL_SIZES = ((2, 2), (2, 2), (2, 2))
#: The small FCNN of Task 1b (the authors' widths 8, 14 and 20 times 6
#: channels, 2 convolutions in the last block).
SMALL_FCNN_FILTERS = (48, 84, 120)
SMALL_FCNN_CONVS_PER_BLOCK = (2, 2, 2)
FSFCNN_FILTERS = (14, 24, 48, 48, 96)
FSFCNN_CONVS_PER_BLOCK = (2, 2, 2, 2, 2)
FSFCNN_POOL_SIZES = ((2, 2), (2, 2), (2, 1), (2, 1), None)


def _conv_stack(x, *, filters, convs_per_block, pool_sizes, first_kernel_size,
                first_strides, dropout, dropout_from, weight_decay, prefix):
    """The convolution blocks of an FCNN (one stream of fsFCNN-s)."""
    n = 0
    for block, (width, n_convs, pool) in enumerate(zip(filters, convs_per_block, pool_sizes)):
        for _ in range(n_convs):
            n += 1
            first = n == 1
            x = conv_bn_relu(x, width, first_kernel_size if first else 3, f"{prefix}conv{n}",
                             strides=first_strides if first else 1,
                             weight_decay=weight_decay)
            if dropout and n >= dropout_from:
                x = seeded_dropout(dropout, f"{prefix}dropout{n}")(x)
        if pool is not None:
            x = MaxPooling2D(pool, padding="same",
                                          name=f"{prefix}pool{block + 1}")(x)
    return x, n


def build_fcnn(input_shape, n_classes, *, filters=FCNN_FILTERS,
               convs_per_block=FCNN_CONVS_PER_BLOCK, pool_sizes=FCNN_POOL_SIZES,
               first_kernel_size=5, first_strides=2, dropout=0.3, dropout_from=5,
               attention_ratio=2, split_bands=False, weight_decay=1e-3,
               output_activation="softmax", name="fcnn", seed=None):
    """Build Hu et al.'s FCNN, fsFCNN or fsFCNN-s (DCASE 2020, section 2.2).

    Input batch normalisation, then one block per entry of ``filters``:
    ``convs_per_block[i]`` convolutions (Conv2D -> BatchNormalization ->
    ReLU; dropout after the ``dropout_from``-th convolution on), then max
    pooling of ``pool_sizes[i]`` (None: none). A 1x1 convolution gives one map
    per class, standardised, weighted by channel attention
    (``attention_ratio``; None leaves it out), averaged over time and bands.
    With ``split_bands`` the lower and upper half of the bands each go
    through their own convolution blocks, are concatenated along the bands
    and pass one more 3x3 convolution before the class maps (fsFCNN-s).

    The defaults are the FCNN of Task 1a for 3 input channels;
    :func:`build_fsfcnn` has the fsFCNN's. The network is fully
    convolutional: it accepts inputs of any number of frames (``None`` in
    ``input_shape``), which is what a random time crop in training needs.

    Parameters
    ----------
    input_shape : tuple of int
        ``(n_frames, n_bands, n_channels)``; ``n_frames`` may be None.
    n_classes : int
    filters : sequence of int, default=(72, 144, 288)
        Width of each block's convolutions.
    convs_per_block : sequence of int, default=(2, 2, 4)
    pool_sizes : sequence of (int, int) or None, default=((2, 2), (2, 2), (2, 2))
        Max pooling after each block, ``(time, frequency)``.
    first_kernel_size : int, default=5
    first_strides : int or (int, int), default=2
        Kernel and stride of the first convolution (the authors' code: 5x5,
        stride 2); the other convolutions are 3x3, stride 1.
    dropout : float, default=0.3
    dropout_from : int, default=5
        The first convolution (1-based) followed by dropout.
    attention_ratio : int or None, default=2
        Channel attention's reduction ratio on the class maps.
    split_bands : bool, default=False
        Two streams, lower and upper half of the bands (fsFCNN-s).
    weight_decay : float, default=1e-3
        L2 penalty on every convolution kernel (the authors' ``wd``).
    output_activation : str, default="softmax"
    name : str, default="fcnn"
    seed : int or None, default=None
        Seeds the weight initialisers and dropout layers (see
        :mod:`skaudio.networks`): the same seed builds the same network.

    Returns
    -------
    keras.Model
        Uncompiled.

    References
    ----------
    .. [1] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section 2.2.
    .. [2] S. Woo, J. Park, J.-Y. Lee and I. S. Kweon, "CBAM: Convolutional
       Block Attention Module", ECCV 2018 (the channel attention).

    Examples
    --------
    >>> model = build_fcnn((None, 128, 3), 10)
    >>> model.count_params()
    2954091
    >>> model.output_shape
    (None, 10)
    """
    with layer_seeds(seed):
        filters, convs_per_block, pool_sizes = tuple(filters), tuple(convs_per_block), \
            tuple(pool_sizes)
        if not len(filters) == len(convs_per_block) == len(pool_sizes):
            raise ValueError(
                f"filters, convs_per_block and pool_sizes need one entry per block; got "
                f"{len(filters)}, {len(convs_per_block)} and {len(pool_sizes)}."
            )
        inputs = keras.Input(shape=tuple(input_shape), name="spectrogram")
        x = batch_norm(inputs, "input_bn")
        stack = dict(filters=filters, convs_per_block=convs_per_block, pool_sizes=pool_sizes,
                     first_kernel_size=first_kernel_size, first_strides=first_strides,
                     dropout=dropout, dropout_from=dropout_from, weight_decay=weight_decay)
        if split_bands:
            lower, upper = _blocks.split_bands(x)
            lower, n = _conv_stack(lower, prefix="lower_", **stack)
            upper, _ = _conv_stack(upper, prefix="upper_", **stack)
            x = keras.layers.Concatenate(axis=2, name="bands")([lower, upper])
            x = conv_bn_relu(x, filters[-1], 3, f"conv{n + 1}", weight_decay=weight_decay)
        else:
            x, _ = _conv_stack(x, prefix="", **stack)
        outputs = class_scores(x, n_classes, output_activation, weight_decay=weight_decay,
                               attention_ratio=attention_ratio)
        return keras.Model(inputs, outputs, name=name)



def build_fsfcnn(input_shape, n_classes, *, filters=FSFCNN_FILTERS,
                 convs_per_block=FSFCNN_CONVS_PER_BLOCK, pool_sizes=FSFCNN_POOL_SIZES,
                 first_kernel_size=5, first_strides=(2, 1), dropout=0.5, dropout_from=9,
                 attention_ratio=2, split_bands=False, weight_decay=1e-3,
                 output_activation="softmax", name="fsfcnn", seed=None):
    """Build Hu et al.'s fsFCNN, or fsFCNN-s with ``split_bands=True``.

    :func:`build_fcnn` with the fsFCNN's settings: 11 convolutions (widths
    14, 24, 48, 48 and 96 per block of 2, then the 1x1 class maps), 2x2
    pooling after the 2nd and 4th, time-only pooling after the 6th and 8th,
    dropout 0.5 after the 9th and 10th. The first convolution (5x5) strides
    time only, as in the authors' code. The network is fully
    convolutional: ``n_frames`` may be None.

    Parameters
    ----------
    input_shape : tuple of int
        ``(n_frames, n_bands, n_channels)``; ``n_frames`` may be None. With
        ``split_bands``, the lower ``n_bands // 2`` bands go to one stream
        and the rest to the other.
    n_classes : int
    filters : sequence of int, default=(14, 24, 48, 48, 96)
        Width of each block's convolutions.
    convs_per_block : sequence of int, default=(2, 2, 2, 2, 2)
    pool_sizes : sequence of (int, int) or None, default=((2, 2), (2, 2), (2, 1), (2, 1), None)
        Max pooling after each block, ``(time, frequency)``: 2x2 twice, then
        time only (the paper's "1x2", frequency x time), none after the last.
    first_kernel_size : int, default=5
    first_strides : int or (int, int), default=(2, 1)
        Kernel and stride ``(time, frequency)`` of the first convolution;
        the others are 3x3, stride 1.
    dropout : float, default=0.5
    dropout_from : int, default=9
        The first convolution (1-based) followed by dropout.
    attention_ratio : int or None, default=2
        Channel attention's reduction ratio on the class maps; None leaves
        the attention out.
    split_bands : bool, default=False
        Two streams, lower and upper half of the bands, concatenated along
        the bands before one more 3x3 convolution (fsFCNN-s).
    weight_decay : float, default=1e-3
        L2 penalty on every convolution kernel (the authors' ``wd``).
    output_activation : str, default="softmax"
        ``"sigmoid"`` for multi-label outputs.
    name : str, default="fsfcnn"
    seed : int or None, default=None
        Seeds the weight initialisers and dropout layers (see
        :mod:`skaudio.networks`): the same seed builds the same network.

    Returns
    -------
    keras.Model
        Uncompiled; ``(batch, n_frames, n_bands, n_channels) -> (batch,
        n_classes)``.

    See Also
    --------
    skaudio.networks.build_fcnn : the general builder, with FCNN's defaults.
    skaudio.FsFCNNClassifier : this network as a scikit-learn classifier.

    References
    ----------
    .. [1] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section
       2.2 (fsFCNN and fsFCNN-s).

    Examples
    --------
    >>> build_fsfcnn((None, 128, 3), 10).count_params()
    210961
    >>> build_fsfcnn((None, 128, 3), 10, split_bands=True).count_params()
    504143
    """
    return build_fcnn(input_shape, n_classes, filters=filters,
                      convs_per_block=convs_per_block, pool_sizes=pool_sizes,
                      first_kernel_size=first_kernel_size, first_strides=first_strides,
                      dropout=dropout, dropout_from=dropout_from,
                      attention_ratio=attention_ratio, split_bands=split_bands,
                      weight_decay=weight_decay, output_activation=output_activation,
                      name=name, seed=seed)
