"""The DCASE 2020 networks of Hu et al. as scikit-learn classifiers.

FCNN, fsFCNN(-s), the two-path ResNet(-d) and MobileNetV2: each a builder in
:mod:`skaudio.networks` and a thin class here on :class:`NetworkClassifier`,
which owns training (including the DCASE training augmentations: random
time crop, SpecAugment, channel confusion, mixup, and the cosine schedule
with warm restarts and snapshot averaging).
"""

from numbers import Integral

import numpy as np

from .._params import (
    FRACTION,
    NON_NEGATIVE_REAL,
    POSITIVE_INT,
    POSITIVE_REAL,
    check_positive_ints,
    invalid_parameter,
)
from ..networks import build_fcnn, build_mobilenet_v2, build_two_path_resnet
from ..networks.fcnn import (
    FCNN_CONVS_PER_BLOCK,
    FCNN_FILTERS,
    FCNN_POOL_SIZES,
    FSFCNN_CONVS_PER_BLOCK,
    FSFCNN_FILTERS,
    FSFCNN_POOL_SIZES,
)
from ..networks.mobilenet import MOBILENET_BLOCKS
from ._base import NetworkClassifier, to_network_input

# One step per epoch on most of scikit-learn's check data, XLA-compiled: the
# checks fit many times on few shapes, which the persistent compilation cache
# then serves (FCNN's checks: 94 s compiled, 142 s op-by-op, measured side by
# side on a busy 2-core machine).
_TINY_TRAINING = dict(epochs=1, batch_size=64, random_state=0)


def to_spectrum_input(X):
    """``(n, f)`` -> ``(n, 1, f, 1)``, else as :func:`to_network_input` (float32, 4-D).

    The DCASE networks read a 2-D input as one frame of ``f`` bands (a
    spectrum), so that their two halves of the bands exist.
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 2:
        return X[:, np.newaxis, :, np.newaxis]
    return to_network_input(X)


def _check_pair(value, name, caller):
    """An int or a pair of positive ints (a kernel's stride, a pooling size)."""
    pair = (value, value) if isinstance(value, Integral) else value
    if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(
            isinstance(v, Integral) and not isinstance(v, bool) and v > 0 for v in pair)):
        raise invalid_parameter(caller, f"{name} must be a positive int or a pair of "
                                        f"positive ints (time, frequency); got {value!r}.")
    return tuple(int(v) for v in pair)


class FCNNClassifier(NetworkClassifier):
    """Hu et al.'s FCNN: a fully convolutional network with channel attention (DCASE 2020).

    Input batch normalisation; blocks of 3x3 convolutions (each batch
    normalisation + ReLU; the first 5x5 with stride 2), max pooling after
    each block, dropout after the ``dropout_from``-th convolution on; a 1x1
    convolution to one map per class, channel attention, global average
    pooling and softmax (:func:`skaudio.networks.build_fcnn`). The defaults
    are the Task 1a FCNN for 3 input channels (log-mel, delta and
    delta-delta: 9 convolutions, about 2.95 M parameters for 10 classes);
    ``filters=(48, 84, 120), convs_per_block=(2, 2, 2)`` is the Task 1b
    small FCNN (0.35 M). Fully convolutional: trained on random time crops
    (``random_crop_frames``), it predicts on the full input.

    Input: ``(n, n_frames, n_bands)`` or ``(n, n_frames, n_bands, n_channels)``
    (``Deltas`` makes the 3 channels), scaled to [0, 1] as the paper's
    (``MinMaxScale``); a 2-D ``(n, n_features)`` is one frame of bands. The
    other DCASE networks take the same inputs.

    Parameters
    ----------
    filters : tuple of int, default=(72, 144, 288)
        Width of each block's convolutions.
    convs_per_block : tuple of int, default=(2, 2, 4)
    pool_sizes : tuple of (int, int) or None, default=((2, 2), (2, 2), (2, 2))
        ``(time, frequency)`` max pooling after each block; None: none.
    first_kernel_size : int, default=5
    first_strides : int or (int, int), default=2
    dropout : float, default=0.3
    dropout_from : int, default=5
        The first convolution (1-based) followed by dropout.
    attention_ratio : int or None, default=2
        Reduction ratio of the channel attention; None leaves it out.
    split_bands : bool, default=False
        A stream per half of the bands, joined before the class maps.
    weight_decay : float, default=1e-3
        L2 penalty on every convolution kernel.
    {training_parameters}

    Attributes
    ----------
    classes_ : ndarray
    model_ : keras.Model
    history_ : dict

    See Also
    --------
    FsFCNNClassifier, ResNetClassifier, MobileNetV2Classifier

    References
    ----------
    .. [1] H. Hu et al., "Device-robust acoustic scene classification based on
       two-stage categorization and data augmentation", DCASE 2020 technical
       report, sections 2.2, 3 and 5.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(size=(40, 16, 8, 3)).astype("float32")
    >>> y = np.array(["hum", "hiss"] * 20)
    >>> X[y == "hum", :, :2] += 1.0
    >>> clf = FCNNClassifier(filters=(4, 8), convs_per_block=(1, 1),
    ...                      pool_sizes=((2, 2), None), epochs=2,
    ...                      random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:3]).shape
    (3, 2)
    """

    _supports_multilabel = True
    _input_transform = staticmethod(to_spectrum_input)
    _parameter_constraints = {
        "filters": [tuple, list],
        "convs_per_block": [tuple, list],
        "pool_sizes": [tuple, list],
        "first_kernel_size": POSITIVE_INT,
        "first_strides": [Integral, tuple, list],
        "dropout": FRACTION,
        "dropout_from": POSITIVE_INT,
        "attention_ratio": [*POSITIVE_INT, None],
        "split_bands": ["boolean"],
        "weight_decay": NON_NEGATIVE_REAL,
    }

    def __init__(self, filters=FCNN_FILTERS, convs_per_block=FCNN_CONVS_PER_BLOCK,
                 pool_sizes=FCNN_POOL_SIZES, first_kernel_size=5, first_strides=2,
                 dropout=0.3, dropout_from=5, attention_ratio=2, split_bands=False,
                 weight_decay=1e-3, **training_params):
        super().__init__(**training_params)
        self.filters = filters
        self.convs_per_block = convs_per_block
        self.pool_sizes = pool_sizes
        self.first_kernel_size = first_kernel_size
        self.first_strides = first_strides
        self.dropout = dropout
        self.dropout_from = dropout_from
        self.attention_ratio = attention_ratio
        self.split_bands = split_bands
        self.weight_decay = weight_decay

    @classmethod
    def _get_test_params(cls):
        return [dict(filters=(4,), convs_per_block=(1,), pool_sizes=(None,),
                     **_TINY_TRAINING)]

    @property
    def _splits_bands(self):
        return self.split_bands

    def _validate_architecture(self):
        name = self._name
        filters = check_positive_ints(self.filters, "filters", name)
        check_positive_ints(self.convs_per_block, "convs_per_block", name,
                            length=len(filters))
        if len(self.pool_sizes) != len(filters):
            raise invalid_parameter(name, f"pool_sizes needs one entry per block "
                                          f"({len(filters)}); got {len(self.pool_sizes)}.")
        for pool in self.pool_sizes:
            if pool is not None:
                _check_pair(pool, "every entry of pool_sizes", name)
        _check_pair(self.first_strides, "first_strides", name)

    def _build_network(self, input_shape, n_classes, output_activation="softmax"):
        return build_fcnn(
            input_shape, n_classes, filters=tuple(self.filters),
            convs_per_block=tuple(self.convs_per_block),
            pool_sizes=tuple(None if p is None else _check_pair(p, "pool_sizes", self._name)
                             for p in self.pool_sizes),
            first_kernel_size=self.first_kernel_size,
            first_strides=_check_pair(self.first_strides, "first_strides", self._name),
            dropout=self.dropout, dropout_from=self.dropout_from,
            attention_ratio=self.attention_ratio, split_bands=self.split_bands,
            weight_decay=self.weight_decay, output_activation=output_activation,
        )


class FsFCNNClassifier(FCNNClassifier):
    """Hu et al.'s fsFCNN ("frequency sub-sampling controlled"), or fsFCNN-s (DCASE 2020).

    :class:`FCNNClassifier` with the fsFCNN's defaults: 11 convolutions in
    blocks of 2 (widths 14, 24, 48, 48, 96, then the 1x1 class maps); 2x2
    pooling after the 2nd and 4th convolution, then pooling of time only
    after the 6th and 8th (the paper's "1x2", frequency x time: less pooling
    along frequency is the design's point); dropout 0.5 after the 9th and
    10th. ``split_bands=True`` is fsFCNN-s: a stream per half of the bands up
    to the last ReLU block, concatenated, then a 3x3 and the 1x1 convolution.
    About 0.21 M parameters for 10 classes on 3 channels (fsFCNN-s 0.50 M).

    Parameters
    ----------
    filters : tuple of int, default=(14, 24, 48, 48, 96)
    convs_per_block : tuple of int, default=(2, 2, 2, 2, 2)
    pool_sizes : tuple, default=((2, 2), (2, 2), (2, 1), (2, 1), None)
    first_kernel_size : int, default=5
    first_strides : int or (int, int), default=(2, 1)
        Time only, as in the authors' code.
    dropout : float, default=0.5
    dropout_from : int, default=9
    attention_ratio : int or None, default=2
    split_bands : bool, default=False
        fsFCNN-s.
    weight_decay : float, default=1e-3
    {training_parameters}

    References
    ----------
    .. [1] H. Hu et al., "Device-robust acoustic scene classification based on
       two-stage categorization and data augmentation", DCASE 2020 technical
       report, sections 2.2, 3 and 5.

    Examples
    --------
    >>> FsFCNNClassifier(split_bands=True).split_bands
    True
    """

    def __init__(self, filters=FSFCNN_FILTERS, convs_per_block=FSFCNN_CONVS_PER_BLOCK,
                 pool_sizes=FSFCNN_POOL_SIZES, first_kernel_size=5, first_strides=(2, 1),
                 dropout=0.5, dropout_from=9, attention_ratio=2, split_bands=False,
                 weight_decay=1e-3, **training_params):
        super().__init__(filters=filters, convs_per_block=convs_per_block,
                         pool_sizes=pool_sizes, first_kernel_size=first_kernel_size,
                         first_strides=first_strides, dropout=dropout,
                         dropout_from=dropout_from, attention_ratio=attention_ratio,
                         split_bands=split_bands, weight_decay=weight_decay,
                         **training_params)

    @classmethod
    def _get_test_params(cls):
        return [dict(filters=(4,), convs_per_block=(1,), pool_sizes=((2, 1),),
                     split_bands=True, **_TINY_TRAINING)]


class ResNetClassifier(NetworkClassifier):
    """The two-path residual network of Hu et al. (ResNet; ResNet-d with ``width_multiplier=2``).

    The lower and the upper half of the bands each pass their own 17
    convolutions (pre-activation residual blocks, time sub-sampled, frequency
    never), joined along the bands before 1x1 convolutions, global average
    pooling and softmax (:func:`skaudio.networks.build_two_path_resnet`).
    About 3.25 M parameters for 10 classes on 3 channels (ResNet-d 13.0 M).
    Needs at least 2 bands.

    Parameters
    ----------
    filters : int, default=24
        Width of the first stack; each later stack doubles it.
    width_multiplier : int, default=1
        2 doubles every width: ResNet-d.
    n_stacks : int, default=4
    blocks_per_stack : int, default=2
    weight_decay : float, default=1e-3
    {training_parameters}

    References
    ----------
    .. [1] H. Hu et al., "Device-robust acoustic scene classification based on
       two-stage categorization and data augmentation", DCASE 2020 technical
       report, sections 2.2, 3 and 5.
    .. [2] M. D. McDonnell and W. Gao, "Acoustic scene classification using
       deep residual networks with late fusion of separated high and low
       frequency paths", ICASSP 2020.

    Examples
    --------
    >>> ResNetClassifier(width_multiplier=2)
    ResNetClassifier(width_multiplier=2)
    """

    _supports_multilabel = True
    _input_transform = staticmethod(to_spectrum_input)
    _splits_bands = True
    _parameter_constraints = {
        "filters": POSITIVE_INT,
        "width_multiplier": POSITIVE_INT,
        "n_stacks": POSITIVE_INT,
        "blocks_per_stack": POSITIVE_INT,
        "weight_decay": NON_NEGATIVE_REAL,
    }

    def __init__(self, filters=24, width_multiplier=1, n_stacks=4, blocks_per_stack=2,
                 weight_decay=1e-3, **training_params):
        super().__init__(**training_params)
        self.filters = filters
        self.width_multiplier = width_multiplier
        self.n_stacks = n_stacks
        self.blocks_per_stack = blocks_per_stack
        self.weight_decay = weight_decay

    @classmethod
    def _get_test_params(cls):
        return [dict(filters=2, n_stacks=1, blocks_per_stack=1, **_TINY_TRAINING)]

    def _build_network(self, input_shape, n_classes, output_activation="softmax"):
        return build_two_path_resnet(
            input_shape, n_classes, filters=self.filters,
            width_multiplier=self.width_multiplier, n_stacks=self.n_stacks,
            blocks_per_stack=self.blocks_per_stack, weight_decay=self.weight_decay,
            output_activation=output_activation)


class MobileNetV2Classifier(NetworkClassifier):
    """Hu et al.'s MobileNetV2 ("Mobnet") for low-complexity classification (DCASE 2020 Task 1b).

    A stream per half of the bands: a strided convolution, groups of
    inverted residual blocks with depth-wise convolutions, a 1x1
    convolution; joined, then a 1x1 convolution, dropout and the class maps
    (:func:`skaudio.networks.build_mobilenet_v2`). About 0.15 M parameters:
    0.6 MB in float32, the paper's few hundred KB.

    Parameters
    ----------
    alpha : float, default=1.0
        Width multiplier of the inverted residual blocks.
    first_filters : int, default=32
    blocks : tuple of (int, int, int, int), default=((32, 2, 2, 3), (40, 2, 2, 3), (48, 2, 2, 3))
        ``(filters, expansion, strides, repeats)`` per group of blocks.
    last_filters : int, default=56
    head_filters : int, default=48
    split_bands : bool, default=True
    dropout : float, default=0.3
    weight_decay : float, default=1e-3
    {training_parameters}

    References
    ----------
    .. [1] H. Hu et al., "Device-robust acoustic scene classification based on
       two-stage categorization and data augmentation", DCASE 2020 technical
       report, sections 2.2, 3 and 5.
    .. [2] M. Sandler et al., "MobileNetV2: Inverted Residuals and Linear
       Bottlenecks", CVPR 2018.

    Examples
    --------
    >>> MobileNetV2Classifier(alpha=0.5).alpha
    0.5
    """

    _supports_multilabel = True
    _input_transform = staticmethod(to_spectrum_input)
    _parameter_constraints = {
        "alpha": POSITIVE_REAL,
        "first_filters": POSITIVE_INT,
        "blocks": [tuple, list],
        "last_filters": POSITIVE_INT,
        "head_filters": POSITIVE_INT,
        "split_bands": ["boolean"],
        "dropout": FRACTION,
        "weight_decay": NON_NEGATIVE_REAL,
    }

    def __init__(self, alpha=1.0, first_filters=32, blocks=MOBILENET_BLOCKS, last_filters=56,
                 head_filters=48, split_bands=True, dropout=0.3, weight_decay=1e-3,
                 **training_params):
        super().__init__(**training_params)
        self.alpha = alpha
        self.first_filters = first_filters
        self.blocks = blocks
        self.last_filters = last_filters
        self.head_filters = head_filters
        self.split_bands = split_bands
        self.dropout = dropout
        self.weight_decay = weight_decay

    @classmethod
    def _get_test_params(cls):
        return [dict(first_filters=4, blocks=((4, 2, 2, 1),), last_filters=4,
                     head_filters=4, **_TINY_TRAINING)]

    @property
    def _splits_bands(self):
        return self.split_bands

    def _validate_architecture(self):
        if len(self.blocks) == 0:
            raise invalid_parameter(self._name, "blocks needs at least one group.")
        for group in self.blocks:
            check_positive_ints(group, "every entry of blocks", self._name, length=4)

    def _build_network(self, input_shape, n_classes, output_activation="softmax"):
        return build_mobilenet_v2(
            input_shape, n_classes, alpha=self.alpha, first_filters=self.first_filters,
            blocks=tuple(tuple(group) for group in self.blocks),
            last_filters=self.last_filters, head_filters=self.head_filters,
            split_bands=self.split_bands, dropout=self.dropout,
            weight_decay=self.weight_decay, output_activation=output_activation)

