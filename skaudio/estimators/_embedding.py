"""Classifiers over embedding sequences: Xu's DNN, LSTM and multi-level attention.

Each takes ``X`` of shape ``(n_clips, n_segments, dim)`` -- a sequence of
embeddings per clip, such as :class:`skaudio.embedding.VGGishEmbedder` gives --
or pooled ``(n_clips, dim)``, taken as one segment. ``y`` is a label per clip
(single-label: softmax, cross-entropy) or an indicator matrix of shape
``(n_clips, n_labels)`` (multi-label: sigmoid outputs, binary cross-entropy;
``predict`` returns the indicator matrix, ``predict_proba`` a probability per
label).
"""

import numpy as np
from sklearn.utils.validation import check_array

from .._params import (
    BOOL,
    FRACTION,
    POSITIVE_INT,
    InvalidParameterError,
    StrOptions,
    check_positive_ints,
)
from .._validation import _ndim_of
from ..networks.embedding_backends import (
    build_embedding_dnn,
    build_embedding_lstm,
    build_multi_level_attention,
    check_levels,
)
from ._base import NetworkClassifier


def to_sequence_input(X):
    """``(n, dim)`` -> ``(n, 1, dim)``; ``(n, n_segments, dim)`` as is; float32."""
    X = np.asarray(X, dtype=np.float32)
    return X[:, np.newaxis, :] if X.ndim == 2 else X


_ATTRIBUTES = """\
    Attributes
    ----------
    classes_ : ndarray
        The class labels; ``arange(n_labels)`` for a multi-label y.
    model_ : keras.Model
        The trained network.
    history_ : dict
        Keras's training history."""


class _EmbeddingClassifier(NetworkClassifier):
    """Shared shell: embedding-sequence input and multi-label support."""

    _supports_multilabel = True
    _input_transform = staticmethod(to_sequence_input)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__doc__:
            cls.__doc__ = cls.__doc__.replace("    {attributes}", _ATTRIBUTES)

    def _validate_architecture(self):
        if hasattr(self, "hidden_units"):
            check_positive_ints(self.hidden_units, "hidden_units", type(self).__name__)

    def _validate_input(self, X):
        name = type(self).__name__
        ndim = _ndim_of(X, name)
        if ndim not in (2, 3):
            raise ValueError(
                f"{name} expects embedding sequences of shape (n_clips, n_segments, "
                f"dim) or pooled embeddings (n_clips, dim); got a {ndim}-D array. "
                "Reshape your data: a single clip E becomes E[np.newaxis]."
            )
        X = check_array(X, dtype=[np.float32, np.float64], allow_nd=True,
                        ensure_all_finite=True, estimator=name, input_name="X")
        if X.size == 0:
            raise ValueError(
                f"{name} got an empty array of shape {X.shape}; every clip needs at "
                "least one segment of at least one dimension."
            )
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


class EmbeddingDNNClassifier(_EmbeddingClassifier):
    """Xu's DNN back-end over embedding sequences (thesis 5.1.3, Table 5).

    Three hidden layers of 600 units (Dense -> batch norm -> ReLU -> dropout
    0.4) on every segment, the mean over segments, then the class layer (see
    :func:`skaudio.networks.build_embedding_dnn`).

    Parameters
    ----------
    hidden_units : tuple of int, default=(600, 600, 600)
    dropout : float, default=0.4
    batch_norm : bool, default=True
    pooling : {"feature", "decision"}, default="feature"
        Classify the segments' mean last hidden layer, or average the
        segments' class outputs (the thesis leaves the side open).
    {training_parameters}

    {attributes}

    See Also
    --------
    MultiLevelAttentionClassifier : attention instead of the plain mean.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods", MSc
       thesis, Aalto University, 2018: 5.1.3, Table 5 (the DNN), 5.1.2 (balanced
       batches), 5.2.4 (mixup).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 4, 16)).astype("float32")   # 4 segments of 16-D
    >>> y = np.repeat(["dog", "rain"], 30)
    >>> X[y == "dog", :, 0] += 2.0
    >>> clf = EmbeddingDNNClassifier(hidden_units=(16, 16, 16), epochs=10,
    ...                              random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape, clf.classes_.tolist()
    ((2, 2), ['dog', 'rain'])
    """

    _parameter_constraints = {
        "hidden_units": [tuple, list],
        "dropout": FRACTION,
        "batch_norm": BOOL,
        "pooling": [StrOptions({"feature", "decision"})],
    }

    def __init__(self, hidden_units=(600, 600, 600), dropout=0.4, batch_norm=True,
                 pooling="feature", **training_params):
        super().__init__(**training_params)
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.pooling = pooling

    @classmethod
    def _get_test_params(cls):
        return [dict(hidden_units=(4, 4, 4), epochs=1, batch_size=16, random_state=0)]

    def _build_network(self, input_shape, n_classes, output_activation="softmax"):
        return build_embedding_dnn(
            input_shape, n_classes, hidden_units=tuple(self.hidden_units),
            dropout=self.dropout, batch_norm=self.batch_norm, pooling=self.pooling,
            output_activation=output_activation)


class EmbeddingLSTMClassifier(_EmbeddingClassifier):
    """Xu's LSTM back-end over embedding sequences (thesis 5.1.3, Table 6).

    One LSTM layer of 600 units whose last output goes through batch norm and
    dropout 0.4 to the class layer (see
    :func:`skaudio.networks.build_embedding_lstm`). Clips need one number of
    segments (repeat or truncate them, as ``VGGishEmbedder`` does).

    Parameters
    ----------
    units : int, default=600
    dropout : float, default=0.4
    batch_norm : bool, default=True
    {training_parameters}

    {attributes}

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods", MSc
       thesis, Aalto University, 2018: 5.1.3, Table 6 (the LSTM).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 4, 8)).astype("float32")
    >>> y = np.repeat([0, 1], 30)
    >>> X[y == 1, -1, 0] += 3.0            # class 1: a loud last segment
    >>> clf = EmbeddingLSTMClassifier(units=8, epochs=5,
    ...                               random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        "units": POSITIVE_INT,
        "dropout": FRACTION,
        "batch_norm": BOOL,
    }

    def __init__(self, units=600, dropout=0.4, batch_norm=True, **training_params):
        super().__init__(**training_params)
        self.units = units
        self.dropout = dropout
        self.batch_norm = batch_norm

    @classmethod
    def _get_test_params(cls):
        return [dict(units=4, epochs=1, batch_size=16, random_state=0)]

    def _build_network(self, input_shape, n_classes, output_activation="softmax"):
        return build_embedding_lstm(
            input_shape, n_classes, units=int(self.units), dropout=self.dropout,
            batch_norm=self.batch_norm, output_activation=output_activation)


class MultiLevelAttentionClassifier(_EmbeddingClassifier):
    """Xu's multi-level attention model over embedding sequences (Fig. 27, Table 7).

    Hidden layers h1, h2, h3 of 600 units on every segment; each level in
    ``levels`` has its own attention module (a per-segment sigmoid classifier
    whose outputs are averaged with softmax-over-segments attention weights),
    and a last layer classifies the concatenated module outputs (see
    :func:`skaudio.networks.build_multi_level_attention`). Any subset of the
    levels: Xu compares all seven (Tables 10 and 14).

    Parameters
    ----------
    levels : tuple of {"h1", "h2", "h3"}, default=("h1", "h2", "h3")
    hidden_units : tuple of 3 int, default=(600, 600, 600)
    dropout : float, default=0.4
    batch_norm : bool, default=True
    {training_parameters}

    {attributes}

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods", MSc
       thesis, Aalto University, 2018: Fig. 27, Table 7 (after Yu et al., 2018).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 6, 16)).astype("float32")
    >>> Y = (rng.random((60, 3)) < 0.4).astype(int)          # multi-label
    >>> X[:, 2, :3] += 3.0 * Y                               # label k shows in dim k
    >>> clf = MultiLevelAttentionClassifier(levels=("h1", "h3"),
    ...                                     hidden_units=(16, 16, 16), epochs=10,
    ...                                     random_state=0).fit(X, Y)
    >>> clf.predict(X[:2]).shape, clf.predict_proba(X[:2]).shape
    ((2, 3), (2, 3))
    """

    _parameter_constraints = {
        "levels": [tuple, list, str],
        "hidden_units": [tuple, list],
        "dropout": FRACTION,
        "batch_norm": BOOL,
    }

    def __init__(self, levels=("h1", "h2", "h3"), hidden_units=(600, 600, 600),
                 dropout=0.4, batch_norm=True, **training_params):
        super().__init__(**training_params)
        self.levels = levels
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.batch_norm = batch_norm

    @classmethod
    def _get_test_params(cls):
        return [dict(levels=("h1", "h3"), hidden_units=(4, 4, 4), epochs=1, batch_size=16,
                     random_state=0)]

    def _validate_architecture(self):
        name = type(self).__name__
        check_positive_ints(self.hidden_units, "hidden_units", name, length=3)
        try:
            check_levels(self.levels)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(f"{name}: {exc}") from None

    def _build_network(self, input_shape, n_classes, output_activation="softmax"):
        return build_multi_level_attention(
            input_shape, n_classes, levels=check_levels(self.levels),
            hidden_units=tuple(self.hidden_units), dropout=self.dropout,
            batch_norm=self.batch_norm, output_activation=output_activation)


