"""Back-ends over embedding sequences: Xu's DNN, LSTM and multi-level attention.

Each builder takes a sequence of embeddings per clip, ``(n_segments, dim)`` --
VGGish's 128-D embedding of every 0.96 s patch, for example -- and returns an
uncompiled ``keras.Model`` with one output unit per class. The architectures are
those of Xu's thesis (section 5.1.3, Tables 5-7, Fig. 27), after Kong et al.
(2018) and Yu et al. (2018): 600-unit hidden layers, each Dense -> batch
normalisation -> ReLU -> dropout 0.4, applied to every segment alike.

``output_activation="softmax"`` for single-label classification,
``"sigmoid"`` for multi-label (AudioSet) tagging.
"""

import keras

from ._seeds import initializer, layer_seeds, next_seed, seeded_dropout

LEVELS = ("h1", "h2", "h3")


@keras.saving.register_keras_serializable(package="skaudio")
class AttentionPooling(keras.layers.Layer):
    """Attention pooling over segments (Xu, eq. 22): ``y_k = sum_t f_k(x_t) p_k(x_t)``.

    Takes ``[scores, weights]``, both ``(batch, n_segments, n_classes)``: the
    per-segment class scores ``f_k(x_t)`` and unnormalised attention weights
    ``v_k(x_t)``. The weights are normalised with a softmax over the segments,
    ``p_k(x_t) = exp(v_k(x_t)) / sum_s exp(v_k(x_s))``, so they sum to 1 for
    every class, and the layer returns the weighted sum ``(batch, n_classes)``.

    Examples
    --------
    >>> import numpy as np
    >>> scores = np.array([[[0.2], [0.8]]], dtype="float32")
    >>> weights = np.zeros((1, 2, 1), dtype="float32")   # equal attention
    >>> np.asarray(AttentionPooling()([scores, weights])).round(3).tolist()
    [[0.5]]
    """

    def call(self, inputs):
        scores, weights = inputs
        if weights.shape[1] == 1:  # one segment: its weight is 1
            return keras.ops.sum(scores, axis=1)
        weights = keras.ops.softmax(weights, axis=1)
        return keras.ops.sum(scores * weights, axis=1)

    def compute_output_shape(self, input_shape):
        shape = input_shape[0]
        return (shape[0], shape[2])


def _check_common(input_shape, n_classes, dropout):
    input_shape = tuple(input_shape)
    if len(input_shape) != 2:
        raise ValueError(
            "embedding back-ends take one clip as (n_segments, dim); got input_shape "
            f"{input_shape}."
        )
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1); got {dropout!r}.")
    if int(n_classes) < 1:
        raise ValueError(f"n_classes must be a positive integer; got {n_classes!r}.")
    return input_shape


def _hidden(x, units, *, dropout, batch_norm, name):
    """Dense -> [BatchNormalization] -> ReLU -> Dropout, on every segment."""
    x = keras.layers.Dense(units, kernel_initializer=initializer(), name=f"{name}_dense")(x)
    if batch_norm:
        x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    x = keras.layers.Activation("relu", name=f"{name}_relu")(x)
    return seeded_dropout(dropout, f"{name}_dropout")(x)


def build_embedding_dnn(input_shape, n_classes, *, hidden_units=(600, 600, 600),
                        dropout=0.4, batch_norm=True, pooling="feature",
                        output_activation="softmax", name="embedding_dnn", seed=None):
    """Xu's DNN back-end (Table 5): hidden layers per segment, mean over segments.

    Every segment goes through the same hidden layers (Dense -> batch norm ->
    ReLU -> dropout); a global average pooling over the segments ("to get the
    average results for these 10 instances", Xu 5.1.3) feeds the class layer
    (``pooling="feature"``). The thesis does not say on which side of the
    class layer the mean sits: ``pooling="decision"`` classifies every
    segment and averages the segments' outputs instead (Kong et al.'s
    decision-level average pooling). On synthetic sequences whose class shows
    in one segment of four, the feature mean learned clearly better.

    Parameters
    ----------
    input_shape : tuple of int
        ``(n_segments, dim)`` of one clip; ``n_segments`` may be None.
    n_classes : int
    hidden_units : sequence of int, default=(600, 600, 600)
        Width of each hidden layer (Table 5: three of 600).
    dropout : float, default=0.4
        Dropout rate after every hidden layer, in [0, 1).
    batch_norm : bool, default=True
        Batch normalisation between each hidden Dense layer and its ReLU.
    pooling : {"feature", "decision"}, default="feature"
        Average the segments' last hidden layer before the class layer, or
        the segments' class outputs after it.
    output_activation : str, default="softmax"
        ``"sigmoid"`` for multi-label outputs.
    name : str, default="embedding_dnn"
    seed : int or None, default=None
        Seeds the weight initialisers and dropout layers (see
        :mod:`skaudio.networks`): the same seed builds the same network.

    Returns
    -------
    keras.Model
        Uncompiled; ``(batch, n_segments, dim) -> (batch, n_classes)``.

    Raises
    ------
    ValueError
        ``input_shape`` not of length 2, ``dropout`` outside [0, 1),
        ``n_classes`` below 1 or an unknown ``pooling``.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, section 5.1.3 and Table 5 (the DNN model).

    Examples
    --------
    >>> model = build_embedding_dnn((10, 128), 527, output_activation="sigmoid")
    >>> model.output_shape
    (None, 527)
    """
    with layer_seeds(seed):
        input_shape = _check_common(input_shape, n_classes, dropout)
        if pooling not in ("decision", "feature"):
            raise ValueError(f'pooling must be "decision" or "feature"; got {pooling!r}.')
        inputs = keras.Input(shape=input_shape, name="embeddings")
        x = inputs
        for i, units in enumerate(hidden_units):
            x = _hidden(x, units, dropout=dropout, batch_norm=batch_norm, name=f"h{i + 1}")
        if pooling == "feature":
            x = keras.layers.GlobalAveragePooling1D(name="segment_mean")(x)
            outputs = keras.layers.Dense(n_classes, activation=output_activation,
                                         kernel_initializer=initializer(), name="output")(x)
        else:
            x = keras.layers.Dense(n_classes, activation=output_activation,
                                   kernel_initializer=initializer(), name="segment_output")(x)
            outputs = keras.layers.GlobalAveragePooling1D(name="output")(x)
        return keras.Model(inputs, outputs, name=name)


def build_embedding_lstm(input_shape, n_classes, *, units=600, dropout=0.4,
                         batch_norm=True, output_activation="softmax",
                         name="embedding_lstm", seed=None):
    """Xu's LSTM back-end (Table 6): one LSTM layer, its last output classified.

    LSTM(``units``, return sequences False) -> batch norm -> dropout -> class
    layer. ``n_segments`` may be None in ``input_shape`` (any length).

    Parameters
    ----------
    input_shape : tuple
        ``(n_segments, dim)``; ``n_segments`` may be None.
    n_classes : int
    units : int, default=600
        LSTM units (Table 6: 600).
    dropout : float, default=0.4
        Dropout rate after the LSTM, in [0, 1).
    batch_norm : bool, default=True
        Batch normalisation of the LSTM's last output.
    output_activation : str, default="softmax"
        ``"sigmoid"`` for multi-label outputs.
    name : str, default="embedding_lstm"
    seed : int or None, default=None
        Seeds the weight initialisers and dropout layers (see
        :mod:`skaudio.networks`): the same seed builds the same network.

    Returns
    -------
    keras.Model
        Uncompiled; ``(batch, n_segments, dim) -> (batch, n_classes)``.

    Raises
    ------
    ValueError
        ``input_shape`` not of length 2, ``dropout`` outside [0, 1) or
        ``n_classes`` below 1.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, section 5.1.3 and Table 6 (the LSTM model; section
       5.2.5 keeps each clip's own number of segments for it).

    Examples
    --------
    >>> build_embedding_lstm((None, 128), 41).output_shape
    (None, 41)
    """
    with layer_seeds(seed):
        input_shape = _check_common(input_shape, n_classes, dropout)
        inputs = keras.Input(shape=input_shape, name="embeddings")
        x = keras.layers.LSTM(units, kernel_initializer=initializer(),
                              recurrent_initializer=initializer("orthogonal"),
                              seed=next_seed(), name="lstm")(inputs)
        if batch_norm:
            x = keras.layers.BatchNormalization(name="lstm_bn")(x)
        x = seeded_dropout(dropout, "lstm_dropout")(x)
        outputs = keras.layers.Dense(n_classes, activation=output_activation,
                                     kernel_initializer=initializer(), name="output")(x)
        return keras.Model(inputs, outputs, name=name)


def check_levels(levels):
    """Validate a multi-level attention ``levels`` selection; return it as a tuple."""
    if isinstance(levels, str):
        levels = (levels,)
    try:
        levels = tuple(levels)
    except TypeError:
        raise TypeError(f"levels must be a sequence drawn from {LEVELS}; got {levels!r}.") \
            from None
    unknown = [lv for lv in levels if lv not in LEVELS]
    if not levels or unknown or len(set(levels)) != len(levels):
        raise ValueError(
            f"levels must be a non-empty subset of {LEVELS} without repeats, such as "
            f'("h1", "h3"); got {levels!r}.'
        )
    return levels


def build_multi_level_attention(input_shape, n_classes, *, levels=LEVELS,
                                hidden_units=(600, 600, 600), dropout=0.4,
                                batch_norm=True, output_activation="softmax",
                                name="multi_level_attention", seed=None):
    """Xu's multi-level attention model (Fig. 27, Table 7; Yu et al. 2018).

    Three hidden layers h1, h2, h3 (Dense -> batch norm -> ReLU -> dropout)
    process every segment. Each selected level feeds its own attention
    module: a per-segment classifier ``f(x_t) = sigmoid(W h_t + b)`` and
    attention weights ``v(x_t) = W' h_t + b'``, normalised by a softmax over
    the segments and used to average the classifier's outputs
    (:class:`AttentionPooling`, eq. 22). The modules' outputs are concatenated
    and a last Dense layer with ``output_activation`` classifies them.
    ``levels=("h1", "h3")`` uses the first and third levels; the network is
    always built up to the deepest selected level. With one segment the
    attention is trivially 1 (Xu's 1-segment models).

    Parameters
    ----------
    input_shape : tuple of int
        ``(n_segments, dim)``; ``n_segments`` may be None.
    n_classes : int
    levels : sequence of {"h1", "h2", "h3"}, default=("h1", "h2", "h3")
        The hidden levels that feed an attention module (a non-empty subset,
        no repeats; a single string is one level).
    hidden_units : sequence of 3 int, default=(600, 600, 600)
        Widths of h1, h2 and h3 (Table 7: 600 each).
    dropout : float, default=0.4
        Dropout rate after every hidden layer, in [0, 1).
    batch_norm : bool, default=True
        Batch normalisation between each hidden Dense layer and its ReLU.
    output_activation : str, default="softmax"
        ``"sigmoid"`` for multi-label outputs.
    name : str, default="multi_level_attention"
    seed : int or None, default=None
        Seeds the weight initialisers and dropout layers (see
        :mod:`skaudio.networks`): the same seed builds the same network.

    Returns
    -------
    keras.Model
        Uncompiled; ``(batch, n_segments, dim) -> (batch, n_classes)``.

    Raises
    ------
    ValueError
        An invalid ``levels``, ``hidden_units`` not of length 3,
        ``input_shape`` not of length 2, ``dropout`` outside [0, 1) or
        ``n_classes`` below 1.
    TypeError
        ``levels`` that is not a sequence.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, section 3.2.9 (the multi-level attention model,
       eq. 22), section 5.1.3 and Table 7 (its settings).

    Examples
    --------
    >>> model = build_multi_level_attention((6, 128), 41, levels=("h1", "h3"))
    >>> [layer.name for layer in model.layers if "attention" in layer.name]
    ['h1_attention', 'h3_attention']
    """
    with layer_seeds(seed):
        input_shape = _check_common(input_shape, n_classes, dropout)
        levels = check_levels(levels)
        hidden_units = tuple(hidden_units)
        if len(hidden_units) != len(LEVELS):
            raise ValueError(
                f"hidden_units needs one size per level {LEVELS}; got {hidden_units!r}."
            )
        depth = max(LEVELS.index(lv) for lv in levels) + 1
        inputs = keras.Input(shape=input_shape, name="embeddings")
        x, pooled = inputs, []
        for i in range(depth):
            level = LEVELS[i]
            x = _hidden(x, hidden_units[i], dropout=dropout, batch_norm=batch_norm, name=level)
            if level in levels:
                scores = keras.layers.Dense(n_classes, activation="sigmoid",
                                            kernel_initializer=initializer(),
                                            name=f"{level}_classifier")(x)
                weights = keras.layers.Dense(n_classes, kernel_initializer=initializer(),
                                             name=f"{level}_weights")(x)
                pooled.append(AttentionPooling(name=f"{level}_attention")([scores, weights]))
        x = pooled[0] if len(pooled) == 1 else \
            keras.layers.Concatenate(name="levels")(pooled)
        outputs = keras.layers.Dense(n_classes, activation=output_activation,
                                     kernel_initializer=initializer(), name="output")(x)
        return keras.Model(inputs, outputs, name=name)
