"""Building blocks of Abrol and Sharma's hierarchy-aware raw-waveform network.

The network of "Learning hierarchy aware embedding from raw audio for
acoustic scene classification" (IEEE/ACM TASLP 2020) classifies raw audio
with two parallel 1-D CNN pipelines (a short, "sub-segmental" first kernel
and a long, "segmental" one), pools each frame's CNN output into its mean
and standard deviation (statistics pooling), aggregates the frames with
attention, and classifies the 128-D audio embedding into fine and coarse
classes with l2-constrained softmax heads, while a prototype loss (eq. 4)
pulls each embedding to a learned prototype of its coarse class.

This module holds the pieces, each usable on its own, and
:func:`build_raw_waveform_network`, which assembles them as Table I lays
them out:

* :class:`StatisticsPooling` -- mean and standard deviation over an axis;
* :class:`FrameAttentionPooling` -- ``a_i = softmax_i(v^T tanh(W h_i + b))``
  and ``sum_i a_i h_i`` (eq. 2-3);
* :class:`L2SoftmaxDense` and :func:`l2_softmax_alpha_lower_bound` -- the
  l2-constrained softmax head (Ranjan et al., 2017);
* :class:`PrototypeDistances` and :class:`PrototypeMarginLoss` -- the
  learnable coarse-class prototypes and the loss of eq. 4;
* :class:`SoftOrthogonalRegularizer` -- Bansal et al.'s soft orthogonality
  penalty on the CNN kernels;
* :class:`FrameSignal` and :class:`UnfoldFrames` -- cutting a clip into the
  frames the CNN processes one by one, and gathering them back per clip.

Every layer is registered with Keras (package ``"skaudio"``), so a model
holding them survives ``model.save`` and ``keras.models.load_model``.
"""

import math

import keras
import numpy as np
from keras import ops

from ._activations import Activation
from ._conv import Conv1D
from ._pooling import MaxPooling1D
from ._seeds import initializer, layer_seeds, next_seed, seeded_dropout

__all__ = [
    "FrameAttentionPooling",
    "FrameSignal",
    "L2SoftmaxDense",
    "PrototypeDistances",
    "PrototypeMarginLoss",
    "SoftOrthogonalRegularizer",
    "StatisticsPooling",
    "UnfoldFrames",
    "build_raw_waveform_network",
    "l2_softmax_alpha_lower_bound",
    "prototype_margin_loss",
]

# Table I, one (kind, kernel width kW, shift dW, index into ``filters``) per
# layer: "conv" layers are followed by ELU, "pool" layers are max pooling.
# The last convolution (Conv6, kernel 1) feeds the statistics pooling.
SHORT_PIPELINE = (("conv", 20, 5, 0), ("pool", 3, 3, None),
                  ("conv", 10, 1, 1), ("pool", 3, 3, None),
                  ("conv", 3, 1, 2), ("pool", 3, 3, None),
                  ("conv", 3, 1, 3), ("pool", 5, 1, None),
                  ("conv", 3, 1, 4), ("pool", 5, 1, None),
                  ("conv", 1, 1, 5))
LONG_PIPELINE = (("conv", 300, 100, 0), ("pool", 3, 3, None),
                 ("conv", 3, 1, 1), ("pool", 3, 3, None),
                 ("conv", 3, 1, 2), ("pool", 5, 1, None),
                 ("conv", 3, 1, 3), ("pool", 5, 1, None),
                 ("conv", 1, 1, 5))
TABLE_I_FILTERS = (100, 300, 300, 512, 512, 500)
RECURRENT = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM}


def min_frame_length(pipeline):
    """The fewest samples a frame needs for ``pipeline`` to output one step.

    Every layer is unpadded ("valid"), so a layer of kernel ``k`` and shift
    ``s`` turns ``n`` steps into ``1 + (n - k) // s`` (the paper's
    ``1 + (W_seq - kW) / dW``); this inverts that from the last layer back.

    >>> min_frame_length(SHORT_PIPELINE), min_frame_length(LONG_PIPELINE)
    (1995, 12500)
    """
    steps = 1
    for _, kernel, stride, _ in reversed(pipeline):
        steps = (steps - 1) * stride + kernel
    return steps


def n_frames_of(n_samples, frame_length, frame_hop):
    """How many whole frames of ``frame_length`` at ``frame_hop`` a clip holds."""
    return 1 + (n_samples - frame_length) // frame_hop


# ----------------------------------------------------------------- regulariser
@keras.saving.register_keras_serializable(package="skaudio")
class SoftOrthogonalRegularizer(keras.regularizers.Regularizer):
    """Soft orthogonality (SO) of a kernel: ``factor * ||W^T W - I||_F^2``.

    The kernel is flattened to a matrix ``W`` of one column per output unit
    (a Conv1D kernel ``(kW, C_in, C_out)`` becomes ``(kW * C_in, C_out)``,
    as Keras's ``Orthogonal`` initialiser flattens it). Where there are more
    columns than rows the columns cannot be orthonormal, and the penalty is on
    the rows instead, ``||W W^T - I||_F^2`` (Bansal et al., section 3.1). An
    orthogonally initialised kernel starts at a penalty of (nearly) 0.

    Keras's own ``OrthogonalRegularizer`` takes 2-D kernels only and penalises
    the cosines between rows, which is why the network uses this one.

    Parameters
    ----------
    factor : float, default=1e-4
        The weight ``lambda`` of the penalty in the loss.

    References
    ----------
    .. [1] Bansal, Chen and Wang, "Can we gain more from orthogonality
       regularizations in training deep networks?", NeurIPS 2018, eq. (SO).

    Examples
    --------
    >>> import numpy as np
    >>> reg = SoftOrthogonalRegularizer(0.5)
    >>> float(reg(np.eye(3, dtype="float32")))
    0.0
    >>> float(reg(2 * np.eye(2, dtype="float32")))   # 0.5 * (3^2 + 3^2)
    9.0
    """

    def __init__(self, factor=1e-4):
        self.factor = float(factor)

    def __call__(self, x):
        matrix = ops.reshape(x, (-1, x.shape[-1]))
        rows, cols = matrix.shape
        if cols > rows:
            gram = ops.matmul(matrix, ops.transpose(matrix))
        else:
            gram = ops.matmul(ops.transpose(matrix), matrix)
        eye = ops.eye(min(rows, cols), dtype=gram.dtype)
        return self.factor * ops.sum(ops.square(gram - eye))

    def get_config(self):
        return {"factor": self.factor}


# ------------------------------------------------------------------- framing
@keras.saving.register_keras_serializable(package="skaudio")
class FrameSignal(keras.layers.Layer):
    """Cut clips into frames, stacked along the batch axis for a Conv1D.

    ``(batch, n_samples)`` -> ``(batch * n_frames, frame_length, 1)``: frame
    ``f`` of a clip holds samples ``f * frame_hop`` to ``f * frame_hop +
    frame_length - 1``, and there are ``1 + (n_samples - frame_length) //
    frame_hop`` whole frames (samples after the last one are left out). Row
    ``b * n_frames + f`` of the output is frame ``f`` of clip ``b``;
    :class:`UnfoldFrames` undoes the stacking.

    Parameters
    ----------
    frame_length, frame_hop : int
        In samples.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(14, dtype="float32").reshape(2, 7)
    >>> frames = FrameSignal(4, 3)(x)                 # 2 frames per clip
    >>> np.asarray(frames)[..., 0].tolist()[:2]
    [[0.0, 1.0, 2.0, 3.0], [3.0, 4.0, 5.0, 6.0]]
    """

    def __init__(self, frame_length, frame_hop, **kwargs):
        super().__init__(**kwargs)
        self.frame_length = int(frame_length)
        self.frame_hop = int(frame_hop)

    def call(self, inputs):
        n_frames = n_frames_of(inputs.shape[-1], self.frame_length, self.frame_hop)
        # static slices: XLA copies them; a gather of the frames' indices took
        # 4-6 ms of the raw-waveform network's 85-ms training step on CPU
        frames = ops.stack([inputs[:, f * self.frame_hop:f * self.frame_hop + self.frame_length]
                            for f in range(n_frames)], axis=1)
        return ops.reshape(frames, (-1, self.frame_length, 1))

    def compute_output_shape(self, input_shape):
        batch, n_samples = input_shape
        n_frames = n_frames_of(n_samples, self.frame_length, self.frame_hop)
        return (None if batch is None else batch * n_frames, self.frame_length, 1)

    def get_config(self):
        return {**super().get_config(), "frame_length": self.frame_length,
                "frame_hop": self.frame_hop}


@keras.saving.register_keras_serializable(package="skaudio")
class UnfoldFrames(keras.layers.Layer):
    """``(batch * n_frames, ...)`` -> ``(batch, n_frames, ...)``: frames back per clip.

    The inverse of :class:`FrameSignal`'s stacking.

    Parameters
    ----------
    n_frames : int
    """

    def __init__(self, n_frames, **kwargs):
        super().__init__(**kwargs)
        self.n_frames = int(n_frames)

    def call(self, inputs):
        return ops.reshape(inputs, (-1, self.n_frames, *inputs.shape[1:]))

    def compute_output_shape(self, input_shape):
        batch = input_shape[0]
        return (None if batch is None else batch // self.n_frames, self.n_frames,
                *input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "n_frames": self.n_frames}


# ------------------------------------------------------------------- pooling
@keras.saving.register_keras_serializable(package="skaudio")
class StatisticsPooling(keras.layers.Layer):
    """Mean and standard deviation over one axis, concatenated (section III-B).

    ``(batch, ..., n_steps, ..., n_features)`` -> the same shape without the
    ``axis`` dimension and with ``2 * n_features`` features: the means of the
    features over ``axis``, then their standard deviations (population,
    ``ddof=0``, as ``numpy.std``). In the network ``axis`` is the time axis of
    one frame's Conv6 output ``(frames, time, filters)``, so every frame
    gets its own ``2 * filters``-dimensional statistics -- the paper's
    1000-D frame embedding from 500 filters.

    A variance of at most ``epsilon`` gives a standard deviation of 0, with a
    gradient of 0 (the square root's gradient is infinite at 0).

    Parameters
    ----------
    axis : int, default=1
        The axis pooled over; neither the batch axis (0) nor the feature axis
        (the last).
    epsilon : float, default=1e-12
        Variances up to this give a standard deviation of 0.

    References
    ----------
    .. [1] Abrol and Sharma, "Learning hierarchy aware embedding from raw
       audio for acoustic scene classification", IEEE/ACM TASLP 28, 2020,
       section III-B and Table I ("Spool").

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[1.0, 0.0], [3.0, 0.0]]], dtype="float32")  # (1, 2 steps, 2)
    >>> np.asarray(StatisticsPooling()(x)).tolist()   # means 2, 0; stds 1, 0
    [[2.0, 0.0, 1.0, 0.0]]
    """

    def __init__(self, axis=1, epsilon=1e-12, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)
        self.epsilon = float(epsilon)

    def _axis(self, ndim):
        axis = self.axis % ndim if -ndim <= self.axis < ndim else None
        if axis is None or axis in (0, ndim - 1):
            raise ValueError(
                f"StatisticsPooling pools over an axis between the batch axis and the "
                f"feature (last) axis; got axis={self.axis} for an input of {ndim} "
                "dimensions."
            )
        return axis

    def call(self, inputs):
        axis = self._axis(len(inputs.shape))
        mean = ops.mean(inputs, axis=axis)
        var = ops.var(inputs, axis=axis)
        positive = var > self.epsilon
        std = ops.where(positive, ops.sqrt(ops.where(positive, var, 1.0)), 0.0)
        return ops.concatenate([mean, std], axis=-1)

    def compute_output_shape(self, input_shape):
        axis = self._axis(len(input_shape))
        shape = [d for i, d in enumerate(input_shape) if i != axis]
        shape[-1] = None if shape[-1] is None else 2 * shape[-1]
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="skaudio")
class FrameAttentionPooling(keras.layers.Layer):
    """Attention over frames (eq. 2-3): ``sum_i a_i h_i``, ``a = softmax(v^T tanh(W h + b))``.

    ``(batch, n_frames, d)`` -> ``(batch, d)``. Each frame ``h_i`` gets the
    score ``a'_i = v^T tanh(W h_i + b)`` with ``W`` of shape ``(d, units)``
    and ``v``, ``b`` of ``units`` values, shared by every frame ("shared-
    parameter non-linear attention", Chowdhury et al.); the scores are
    normalised by a softmax over the frames, so the weights ``a_i`` sum to 1,
    and the output is the weighted mean of the frames. With
    ``return_attention`` the layer also returns the weights,
    ``(batch, n_frames)``.

    (:class:`skaudio.networks.embedding_backends.AttentionPooling` is another
    layer: Xu's class-wise attention over given scores and weights.)

    Parameters
    ----------
    units : int, default=128
        ``D``, the size of the hidden scoring layer.
    return_attention : bool, default=False
        Return ``[pooled, weights]`` instead of ``pooled``.
    kernel_initializer : default="glorot_uniform"
        Initialiser of ``W`` and ``v``.
    bias_initializer : default="zeros"

    References
    ----------
    .. [1] Abrol and Sharma (2020), section III-B, eq. 2-3.
    .. [2] Chowdhury, Wang, Moreno and Wan, "Attention-based models for
       text-dependent speaker verification", ICASSP 2018.

    Examples
    --------
    >>> import numpy as np
    >>> frames = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    >>> pooled, weights = FrameAttentionPooling(4, return_attention=True)(frames)
    >>> tuple(pooled.shape), np.asarray(weights).sum(axis=1).round(5).tolist()
    ((2, 3), [1.0, 1.0])
    """

    def __init__(self, units=128, return_attention=False, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.return_attention = bool(return_attention)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        dim = input_shape[-1]
        self.kernel = self.add_weight(shape=(dim, self.units), name="kernel",
                                      initializer=self.kernel_initializer)
        self.bias = self.add_weight(shape=(self.units,), name="bias",
                                    initializer=self.bias_initializer)
        self.score_vector = self.add_weight(shape=(self.units, 1), name="score_vector",
                                            initializer=self.kernel_initializer)

    def call(self, inputs):
        hidden = ops.tanh(ops.matmul(inputs, self.kernel) + self.bias)
        scores = ops.squeeze(ops.matmul(hidden, self.score_vector), axis=-1)
        if inputs.shape[1] == 1:  # one frame: its weight is 1 (softmax of one score)
            weights = ops.ones_like(scores)
        else:
            weights = ops.softmax(scores, axis=-1)
        pooled = ops.einsum("bf,bfd->bd", weights, inputs)
        return [pooled, weights] if self.return_attention else pooled

    def compute_output_shape(self, input_shape):
        pooled = (input_shape[0], input_shape[-1])
        return [pooled, tuple(input_shape[:2])] if self.return_attention else pooled

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "return_attention": self.return_attention,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer)}


# ------------------------------------------------------------ l2-softmax head
def l2_softmax_alpha_lower_bound(n_classes, p=0.9):
    """Ranjan et al.'s lower bound on the scale ``alpha`` of an l2-softmax head.

    ``alpha_low = log(p * (C - 2) / (1 - p))`` for ``C`` classes (Ranjan et
    al., section 3.2): with features scaled to norm ``alpha`` and the class
    weights arranged at best (the feature on its class's weight, one class
    opposite, the others orthogonal), the softmax gives the true class the
    probability ``p = e^alpha / (e^alpha + C - 2 + e^-alpha)``, and dropping
    the last term makes ``alpha_low`` the scale below which no arrangement
    reaches ``p``. Abrol and Sharma set the scale of both heads to this bound
    (section IV-C); ``p = 0.9`` is this function's default.

    For two classes the bound is ``log 0``; the same arrangement's exact
    scale, ``log(p / (1 - p)) / 2`` (from ``p = e^alpha / (e^alpha +
    e^-alpha)``), is returned instead.

    Parameters
    ----------
    n_classes : int
        ``C``, at least 2.
    p : float, default=0.9
        The target probability, in ``(1 / (C - 1), 1)`` so that the bound is
        positive (in ``(1/2, 1)`` for two classes).

    Returns
    -------
    float

    References
    ----------
    .. [1] Ranjan, Castillo and Chellappa, "L2-constrained softmax loss for
       discriminative face verification", arXiv:1703.09507, 2017, eq. 5.
    .. [2] Abrol and Sharma (2020), section IV-C.

    Examples
    --------
    >>> round(l2_softmax_alpha_lower_bound(70), 3)   # log(0.9 * 68 / 0.1)
    6.417
    >>> round(l2_softmax_alpha_lower_bound(8), 3)
    3.989
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) \
            or n_classes < 2:
        raise ValueError(
            f"l2_softmax_alpha_lower_bound: n_classes must be an integer of at least 2; "
            f"got {n_classes!r}."
        )
    lowest = 0.5 if n_classes == 2 else 1.0 / (n_classes - 1)
    if not (isinstance(p, (int, float, np.floating)) and lowest < p < 1):
        raise ValueError(
            f"l2_softmax_alpha_lower_bound: p must be in ({lowest:.3g}, 1) for "
            f"{n_classes} classes (a positive scale); got {p!r}."
        )
    if n_classes == 2:
        return 0.5 * math.log(p / (1 - p))
    return math.log(p * (n_classes - 2) / (1 - p))


@keras.saving.register_keras_serializable(package="skaudio")
class L2SoftmaxDense(keras.layers.Layer):
    """A dense softmax layer on features scaled to the norm ``alpha`` (l2-softmax).

    ``softmax(W^T (alpha * x / ||x||_2) + b)``: the features are
    L2-normalised and scaled by ``alpha`` (Ranjan et al.'s "L2-normalize"
    and "scale" layers), then a fully connected layer with ``activation``
    classifies them. Trained with cross-entropy this is the l2-constrained
    softmax loss. A feature vector of zeros stays zeros.

    Parameters
    ----------
    units : int
        Number of classes.
    alpha : float
        The scale; :func:`l2_softmax_alpha_lower_bound` gives Ranjan et al.'s
        lower bound for a number of classes.
    activation : str or None, default="softmax"
        ``None`` returns the logits.
    use_bias : bool, default=True
    kernel_initializer : default="glorot_uniform"
    bias_initializer : default="zeros"
    epsilon : float, default=1e-12
        Floor of the squared norm.

    References
    ----------
    .. [1] Ranjan, Castillo and Chellappa (2017), section 3 and Fig. 3.

    Examples
    --------
    >>> import numpy as np
    >>> layer = L2SoftmaxDense(3, alpha=4.0, activation=None, kernel_initializer="ones")
    >>> x = np.array([[3.0, 4.0], [30.0, 40.0]], dtype="float32")  # same direction
    >>> np.asarray(layer(x), dtype="float64").round(3).tolist()  # 4 * (0.6 + 0.8)
    [[5.6, 5.6, 5.6], [5.6, 5.6, 5.6]]
    """

    def __init__(self, units, alpha, activation="softmax", use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 epsilon=1e-12, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.alpha = float(alpha)
        if not self.alpha > 0:
            raise ValueError(f"L2SoftmaxDense: alpha must be positive; got {alpha!r}.")
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel",
                                      initializer=self.kernel_initializer)
        self.bias = (self.add_weight(shape=(self.units,), name="bias",
                                     initializer=self.bias_initializer)
                     if self.use_bias else None)

    def call(self, inputs):
        squared_norm = ops.sum(ops.square(inputs), axis=-1, keepdims=True)
        scaled = self.alpha * inputs / ops.sqrt(ops.maximum(squared_norm, self.epsilon))
        logits = ops.matmul(scaled, self.kernel)
        if self.use_bias:
            logits = logits + self.bias
        return self.activation(logits)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "alpha": self.alpha,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "epsilon": self.epsilon}


# ---------------------------------------------------------------- prototypes
@keras.saving.register_keras_serializable(package="skaudio")
class PrototypeDistances(keras.layers.Layer):
    """Squared Euclidean distances of embeddings to learned class prototypes.

    ``(batch, d)`` -> ``(batch, n_prototypes)``: ``||r_i - z_j||^2`` for every
    prototype ``z_j``, a trainable ``(n_prototypes, d)`` weight ("prototypes").
    With :class:`PrototypeMarginLoss` on this output and the coarse labels as
    targets, the prototypes and the embedding are trained by eq. 4; the
    nearest prototype is also a coarse classifier.

    Parameters
    ----------
    n_prototypes : int
        One per coarse class.
    normalize : bool, default=False
        L2-normalise the embeddings and the prototypes first (NormFace's
        agents live on the unit sphere; the paper writes eq. 4 on the raw
        embedding, the default).
    prototype_initializer : default="random_normal"
    epsilon : float, default=1e-12
        Floor of a squared norm when normalising.

    References
    ----------
    .. [1] Abrol and Sharma (2020), section III-C, eq. 4.
    .. [2] Wang, Xiang, Cheng and Yuille, "NormFace: L2 hypersphere embedding
       for face verification", ACM Multimedia 2017, section 4 (C-contrastive
       loss with agent vectors).

    Examples
    --------
    >>> import numpy as np
    >>> layer = PrototypeDistances(2, prototype_initializer="zeros")
    >>> np.asarray(layer(np.array([[3.0, 4.0]], dtype="float32"))).tolist()
    [[25.0, 25.0]]
    """

    def __init__(self, n_prototypes, normalize=False, prototype_initializer="random_normal",
                 epsilon=1e-12, **kwargs):
        super().__init__(**kwargs)
        self.n_prototypes = int(n_prototypes)
        self.normalize = bool(normalize)
        self.prototype_initializer = keras.initializers.get(prototype_initializer)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        self.prototypes = self.add_weight(shape=(self.n_prototypes, input_shape[-1]),
                                          name="prototypes",
                                          initializer=self.prototype_initializer)

    def _unit(self, x):
        squared_norm = ops.sum(ops.square(x), axis=-1, keepdims=True)
        return x / ops.sqrt(ops.maximum(squared_norm, self.epsilon))

    def call(self, inputs):
        embeddings, prototypes = inputs, ops.convert_to_tensor(self.prototypes)
        if self.normalize:
            embeddings, prototypes = self._unit(embeddings), self._unit(prototypes)
        difference = ops.expand_dims(embeddings, -2) - prototypes
        return ops.sum(ops.square(difference), axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.n_prototypes)

    def get_config(self):
        return {**super().get_config(), "n_prototypes": self.n_prototypes,
                "normalize": self.normalize,
                "prototype_initializer":
                    keras.initializers.serialize(self.prototype_initializer),
                "epsilon": self.epsilon}


def prototype_margin_loss(y_true, distances, margin=1.0):
    """Eq. 4 per sample: ``d(r, z_y) + sum_{j != y} max(0, m - d(r, z_j))``.

    ``distances`` are the squared distances ``||r_i - z_j||^2`` of each
    embedding to every prototype (:class:`PrototypeDistances`), ``y_true``
    the coarse class of each sample: an integer index ``(batch,)`` or
    ``(batch, 1)``, or a one-hot ``(batch, n_prototypes)``. The sample's own
    prototype is attracted (its squared distance), every other one repelled
    until it is ``margin`` away in squared distance (the paper's hinge on
    ``m - ||r - z||^2``, not the contrastive loss's squared hinge). The terms
    are summed over the prototypes.

    Returns
    -------
    tensor of shape (batch,)
    """
    distances = ops.convert_to_tensor(distances)
    n_prototypes = distances.shape[-1]
    y_true = ops.convert_to_tensor(y_true)
    if len(y_true.shape) == len(distances.shape) and y_true.shape[-1] == n_prototypes \
            and n_prototypes > 1:
        own = ops.cast(y_true, distances.dtype)
    else:
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        own = ops.one_hot(labels, n_prototypes, dtype=distances.dtype)
    attract = own * distances
    repel = (1.0 - own) * ops.relu(margin - distances)
    return ops.sum(attract + repel, axis=-1)


@keras.saving.register_keras_serializable(package="skaudio")
class PrototypeMarginLoss(keras.losses.Loss):
    """The prototype loss of eq. 4, a Keras loss on :class:`PrototypeDistances`.

    .. math::

        L_D = \\|r_i - z^{G_j}\\|_2^2 \\text{ if } r_i \\in G_j, \\quad
              \\max(0, m - \\|r_i - z^{G_j}\\|_2^2) \\text{ otherwise},

    summed over the coarse classes ``G_j`` and averaged over the batch
    (Keras's ``"sum_over_batch_size"``; sample weights apply per sample).
    The targets are the coarse labels, as integer indices (or one-hot); the
    predictions the squared distances. "If all classes are well-separated
    with the margin m, value of which is recommended to be set to 1, then
    z^{G_j} will approximately correspond to the means of features in each
    coarse class" (section III-C).

    Parameters
    ----------
    margin : float, default=1.0
        ``m``.
    name : str, default="prototype_margin_loss"
    reduction : str, default="sum_over_batch_size"

    References
    ----------
    .. [1] Abrol and Sharma (2020), section III-C, eq. 4, after NormFace's
       C-contrastive loss (Wang et al., 2017).

    Examples
    --------
    >>> import numpy as np
    >>> distances = np.array([[0.25, 0.5, 4.0]], dtype="float32")
    >>> float(PrototypeMarginLoss()(np.array([0]), distances))  # 0.25 + 0.5 + 0
    0.75
    """

    def __init__(self, margin=1.0, name="prototype_margin_loss",
                 reduction="sum_over_batch_size", **kwargs):
        super().__init__(name=name, reduction=reduction, **kwargs)
        self.margin = float(margin)

    def call(self, y_true, y_pred):
        return prototype_margin_loss(y_true, y_pred, margin=self.margin)

    def get_config(self):
        return {**super().get_config(), "margin": self.margin}


# ------------------------------------------------------------------- builder
def _check_builder_args(n_samples, n_fine, n_coarse, *, sub_segmental, segmental,
                        attention, recurrent, embedding_dim, dropout, alpha, filters,
                        frame_length, frame_hop):
    def positive_int(value, name, minimum=1):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                or value < minimum:
            raise ValueError(f"build_raw_waveform_network: {name} must be an integer of "
                             f"at least {minimum}; got {value!r}.")

    positive_int(n_samples, "n_samples")
    positive_int(n_fine, "n_fine", 2)
    if n_coarse is not None:
        positive_int(n_coarse, "n_coarse", 2)
    positive_int(embedding_dim, "embedding_dim")
    positive_int(frame_length, "frame_length")
    positive_int(frame_hop, "frame_hop")
    if not (sub_segmental or segmental):
        raise ValueError(
            "build_raw_waveform_network: sub_segmental and segmental are both False, "
            "which leaves no CNN pipeline; switch on at least one."
        )
    if recurrent not in (None, *RECURRENT):
        raise ValueError(f"build_raw_waveform_network: recurrent must be None, 'gru' or "
                         f"'lstm'; got {recurrent!r}.")
    if recurrent is not None and attention:
        raise ValueError(
            "build_raw_waveform_network: the recurrent layers replace the pooling over "
            "frames (section V-C: 'The average pooling layer is removed'), so they "
            "cannot be combined with attention; pass attention=False with "
            f"recurrent={recurrent!r}."
        )
    if not 0 <= dropout < 1:
        raise ValueError(f"build_raw_waveform_network: dropout must be in [0, 1); got "
                         f"{dropout!r}.")
    if alpha is not None and not alpha > 0:
        raise ValueError(f"build_raw_waveform_network: alpha must be positive or None; "
                         f"got {alpha!r}.")
    filters = TABLE_I_FILTERS if filters is None else tuple(filters)
    if len(filters) != 6:
        raise ValueError(
            "build_raw_waveform_network: filters needs 6 sizes, those of Conv1 to Conv6 "
            f"of Table I (the long-kernel pipeline has no Conv5); got {filters!r}."
        )
    for size in filters:
        positive_int(size, "every entry of filters")
    if frame_length > n_samples:
        raise ValueError(
            f"build_raw_waveform_network: frame_length={frame_length} exceeds "
            f"n_samples={n_samples}; pass a frame_length of at most n_samples."
        )
    pipelines = [p for on, p in ((sub_segmental, SHORT_PIPELINE),
                                 (segmental, LONG_PIPELINE)) if on]
    needed = max(min_frame_length(p) for p in pipelines)
    if frame_length < needed:
        raise ValueError(
            f"build_raw_waveform_network: a frame of {frame_length} samples is too short "
            f"for the unpadded CNN of Table I, which needs at least {needed} samples "
            "(12500 with the long-kernel, segmental pipeline, 1995 with the short one "
            "only); raise frame_length."
        )
    return filters


def _cnn_pipeline(frames, spec, filters, *, dropout, orthogonal_penalty, kernel_initializer,
                  prefix):
    """One CNN pipeline of Table I on folded frames ``(batch * frames, time, 1)``."""
    x = frames
    for i, (kind, kernel, stride, index) in enumerate(spec):
        if kind == "conv":
            x = Conv1D(
                filters[index], kernel, strides=stride, padding="valid",
                kernel_initializer=initializer(kernel_initializer),
                kernel_regularizer=(SoftOrthogonalRegularizer(orthogonal_penalty)
                                    if orthogonal_penalty else None),
                name=f"{prefix}_conv{index + 1}")(x)
            x = Activation("elu", name=f"{prefix}_elu{index + 1}")(x)
        else:
            block = spec[i - 1][3] + 1
            x = MaxPooling1D(kernel, strides=stride, padding="valid",
                                          name=f"{prefix}_pool{block}")(x)
            if dropout:
                x = seeded_dropout(dropout, f"{prefix}_dropout{block}")(x)
    return StatisticsPooling(axis=1, name=f"{prefix}_stats")(x)


def build_raw_waveform_network(n_samples, n_fine, n_coarse=None, *, sub_segmental=True,
                               segmental=True, attention=True, recurrent=None,
                               embedding_dim=128, dropout=0.2, alpha=None, seed=None,
                               frame_length=16000, frame_hop=8000, filters=None,
                               hidden_units=512, attention_units=128, recurrent_units=30,
                               orthogonal_penalty=1e-4, prototypes=True,
                               kernel_initializer="orthogonal", name="raw_waveform_network"):
    """Abrol and Sharma's hierarchy-aware raw-waveform network (Table I, Fig. 1).

    Input: clips of ``n_samples`` raw samples ``(batch, n_samples)``, at
    16 kHz for the kernel widths of Table I to mean what they meant there
    (pre-emphasised and mean-normalised: :class:`skaudio.PreEmphasis`). Each
    clip is cut into frames of ``frame_length`` samples every ``frame_hop``
    (defaults: 1 s every 0.5 s at 16 kHz, three frames in the estimator's
    2-s windows), and every frame goes through:

    1. up to two CNN pipelines (Table I): the sub-segmental one, Conv1 of
       kernel 20 and shift 5 and six convolutions in all, and the segmental
       one, Conv1 of kernel 300 and shift 100 and five convolutions (no
       Conv5); unpadded convolutions with ``filters`` (100, 300, 300, 512,
       512, 500), each followed by ELU and, up to Conv5, by max pooling of
       Table I's widths and shifts and dropout;
    2. statistics pooling of Conv6's output over the frame's time steps
       (:class:`StatisticsPooling`): the 1000-D frame embedding per pipeline,
       concatenated across the pipelines;
    3. FC ``hidden_units`` + ReLU and FC ``embedding_dim`` + ReLU.

    The frames are then aggregated into the audio embedding (output
    ``"embedding"``): attention pooling (:class:`FrameAttentionPooling`,
    eq. 2-3; the layer ``"attention"`` also outputs the weights), their mean
    (``attention=False``), or two recurrent layers of ``recurrent_units``
    whose last output replaces the pooling (``recurrent``, section V-C). The
    heads are l2-softmax layers (:class:`L2SoftmaxDense`): ``"fine"`` with
    ``n_fine`` classes and, with ``n_coarse``, ``"coarse"``; with
    ``n_coarse`` and ``prototypes`` the output ``"prototype"`` holds the
    squared distances of the embedding to ``n_coarse`` learned prototypes
    (:class:`PrototypeDistances`), to be trained with
    :class:`PrototypeMarginLoss` on the coarse labels (eq. 4).

    Every Conv1D and Dense kernel is initialised orthogonally, and the
    convolutions carry the soft orthogonality penalty
    (:class:`SoftOrthogonalRegularizer`) of ``orthogonal_penalty``.

    With Table I's settings, 70 fine and 8 coarse classes, the network has
    4,303,870 weights: 2,077,456 in the sub-segmental pipeline, 1,108,512 in
    the segmental one, 1,090,176 in the FC layers, 16,640 in the attention,
    10,062 in the heads and 1,024 in the prototypes.

    To train, compile a view of the outputs that have targets, e.g.
    ``keras.Model(model.input, {k: model.output[k] for k in ("fine",
    "coarse", "prototype")})`` with cross-entropy on ``"fine"`` and
    ``"coarse"`` and :class:`PrototypeMarginLoss` on ``"prototype"`` (its
    targets are the coarse labels); the view shares the layers, so the full
    model trains with it.

    Choices where the paper leaves room:

    * Frames. "The network is trained on W_seq = 2s raw inputs chunked from
      5s long audio signals with an overlap of 0.5s": those 2-s inputs are
      the estimator's windows (:class:`skaudio.RawWaveformClassifier`), one
      training example each. The attention weighs "frame level" outputs of
      the statistics pooling, which pools "across temporal dimension": here
      a frame is a stretch of the input pooled over its whole time axis,
      by default 1 s every 0.5 s (three per 2-s input; the segmental
      pipeline needs at least 12,500 samples). Samples after the last whole
      frame are left out.
    * The two pipelines' statistics (1000-D each) are concatenated (2000-D).
    * Table I lists the FC layers before "Apool": they run on every frame,
      and the attention pools their 128-D outputs (scores and values from
      the same vectors, eq. 3). ``D`` of eq. 3 is not given:
      ``attention_units=128``.
    * "A dropout of 0.2 and orthogonal weight regularization in CNN layers":
      dropout after every max pooling; the penalty's weight is not given
      (``orthogonal_penalty=1e-4``).
    * The recurrent variant: "The average pooling layer is removed and frame
      level audio embedding is fed to RNN", "two LSTM/GRU layers (with 30
      units)" whose "output ... is fed to FC layers for classification": the
      per-frame 128-D vectors go through both layers and the last one's final
      output is the embedding (``recurrent_units``-D) the heads classify. The
      recurrent layers replace the pooling, so they need ``attention=False``.
    * ``alpha=None`` sets each head's scale to
      :func:`l2_softmax_alpha_lower_bound` of its number of classes with
      ``p=0.9`` ("scale parameter set according to the lower bound").

    Parameters
    ----------
    n_samples : int
        Samples per input (the paper's 2-s inputs at 16 kHz: 32000).
    n_fine : int
        Fine classes, at least 2.
    n_coarse : int or None, default=None
        Coarse classes; None builds no coarse head and no prototypes.
    sub_segmental : bool, default=True
        The short-kernel pipeline (Conv1 kernel 20, shift 5).
    segmental : bool, default=True
        The long-kernel pipeline (Conv1 kernel 300, shift 100).
    attention : bool, default=True
        Attention pooling over the frames; False averages them.
    recurrent : {None, "gru", "lstm"}, default=None
        Two recurrent layers over the frames instead of the pooling.
    embedding_dim : int, default=128
    dropout : float, default=0.2
    alpha : float or None, default=None
        Scale of the l2-softmax heads; None: the lower bound of each head.
    seed : int or None, default=None
        Seeds every initialiser and dropout layer (see :mod:`skaudio.networks`).
    frame_length, frame_hop : int, default=16000, 8000
        In samples; a frame needs at least 12500 samples with the segmental
        pipeline (1995 with the sub-segmental one only).
    filters : sequence of 6 int or None, default=None
        Filters of Conv1 to Conv6; None: Table I's (100, 300, 300, 512, 512,
        500). The segmental pipeline skips the fifth.
    hidden_units : int, default=512
    attention_units : int, default=128
    recurrent_units : int, default=30
    orthogonal_penalty : float, default=1e-4
        Weight of the soft orthogonality penalty of each convolution; 0 for none.
    prototypes : bool, default=True
        With ``n_coarse``: the ``"prototype"`` output.
    kernel_initializer : str, default="orthogonal"
        Initialiser of every kernel (Conv1D, Dense, attention, recurrent
        input kernels, heads), seeded from ``seed``; Table I's is orthogonal
        ("zeros" builds a large network fast when only its shape matters).
    name : str, default="raw_waveform_network"

    Returns
    -------
    keras.Model
        Uncompiled; its outputs are a dict: ``"fine"`` ``(batch, n_fine)``
        probabilities, ``"embedding"`` ``(batch, embedding_dim)`` (or
        ``recurrent_units``), and with ``n_coarse`` ``"coarse"``
        ``(batch, n_coarse)`` and ``"prototype"`` ``(batch, n_coarse)``.

    References
    ----------
    .. [1] Abrol and Sharma, "Learning hierarchy aware embedding from raw
       audio for acoustic scene classification", IEEE/ACM TASLP 28, 2020,
       section III, section IV-C, Table I, section V-C.

    Examples
    --------
    >>> model = build_raw_waveform_network(32000, 70, 8, kernel_initializer="zeros")
    >>> model.count_params()
    4303870
    >>> {key: tuple(t.shape) for key, t in model.output.items()}
    {'fine': (None, 70), 'coarse': (None, 8), 'prototype': (None, 8), 'embedding': (None, 128)}
    """
    filters = _check_builder_args(
        n_samples, n_fine, n_coarse, sub_segmental=sub_segmental, segmental=segmental,
        attention=attention, recurrent=recurrent, embedding_dim=embedding_dim,
        dropout=dropout, alpha=alpha, filters=filters, frame_length=frame_length,
        frame_hop=frame_hop)
    n_frames = n_frames_of(n_samples, frame_length, frame_hop)
    with layer_seeds(seed):
        inputs = keras.Input(shape=(n_samples,), name="waveform")
        frames = FrameSignal(frame_length, frame_hop, name="frames")(inputs)
        stats = [_cnn_pipeline(frames, spec, filters, dropout=dropout,
                               orthogonal_penalty=orthogonal_penalty,
                               kernel_initializer=kernel_initializer, prefix=prefix)
                 for on, spec, prefix in ((sub_segmental, SHORT_PIPELINE, "short"),
                                          (segmental, LONG_PIPELINE, "long")) if on]
        x = stats[0] if len(stats) == 1 else keras.layers.Concatenate(
            name="frame_embedding")(stats)
        x = UnfoldFrames(n_frames, name="unfold_frames")(x)
        x = keras.layers.Dense(hidden_units, activation="relu",
                               kernel_initializer=initializer(kernel_initializer),
                               name="fc1")(x)
        x = keras.layers.Dense(embedding_dim, activation="relu",
                               kernel_initializer=initializer(kernel_initializer),
                               name="fc2")(x)
        if recurrent is not None:
            layer = RECURRENT[recurrent]
            for i, last in enumerate((False, True), start=1):
                x = layer(recurrent_units, return_sequences=not last,
                          kernel_initializer=initializer(kernel_initializer),
                          recurrent_initializer=initializer("orthogonal"),
                          seed=next_seed(), name=f"{recurrent}{i}")(x)
            embedding = keras.layers.Identity(name="embedding")(x)
        elif attention:
            embedding, _ = FrameAttentionPooling(
                attention_units, return_attention=True,
                kernel_initializer=initializer(kernel_initializer), name="attention")(x)
            embedding = keras.layers.Identity(name="embedding")(embedding)
        else:
            embedding = keras.layers.GlobalAveragePooling1D(name="embedding")(x)

        def head(n_classes, head_name):
            scale = l2_softmax_alpha_lower_bound(n_classes) if alpha is None else alpha
            return L2SoftmaxDense(n_classes, scale,
                                  kernel_initializer=initializer(kernel_initializer),
                                  name=head_name)(embedding)

        outputs = {"fine": head(n_fine, "fine")}
        if n_coarse is not None:
            outputs["coarse"] = head(n_coarse, "coarse")
            if prototypes:
                outputs["prototype"] = PrototypeDistances(
                    n_coarse, prototype_initializer=initializer("random_normal"),
                    name="prototype")(embedding)
        outputs["embedding"] = embedding
        return keras.Model(inputs, outputs, name=name)
