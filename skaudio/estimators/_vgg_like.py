"""VGGLikeClassifier: the PERSA+ paper's CNN as a scikit-learn classifier."""

from .._params import FRACTION, POSITIVE_INT, StrOptions, check_positive_ints
from ..networks import build_vgg_like
from ._base import NetworkClassifier


class VGGLikeClassifier(NetworkClassifier):
    """The PERSA+ paper's ~100k-parameter VGG-like CNN (Vrysis et al., V-D).

    Four blocks of Conv2D (3x3) -> BatchNormalization -> ReLU -> MaxPooling
    (2x2) with 16, 32, 64 and 128 filters, global average pooling, Dense 32 ->
    BatchNormalization -> ReLU, Dropout, softmax; Adam and categorical
    cross-entropy (see :func:`skaudio.networks.build_vgg_like`). The batch
    normalisation is skaudio's addition, which makes the network train on
    every front-end of the paper (``batch_norm=False`` is the paper's network,
    with dropout after every block). Every architecture and training
    argument is a constructor parameter, so ``GridSearchCV`` can tune it.

    Input: ``(n, n_frames, n_bands)``, ``(n, n_frames, n_bands, n_channels)``,
    or ``(n, n_features)`` treated as one band. Labels of any type.

    Parameters
    ----------
    filters : tuple of int, default=(16, 32, 64, 128)
        Filters of each convolutional block (one block per entry).
    kernel_size : int, default=3
    pool_size : int, default=2
    dropout : float, default=0.2
    dense_units : int, default=32
    padding : {"same", "valid"}, default="same"
    batch_norm : bool, default=True
        Batch normalisation after every convolution and the hidden dense
        layer, and dropout only in front of the output layer. Without it the
        network stalls at chance on log spectrograms of zero-padded
        recordings (LOG, LOG-AU, LOG-T and PERSA of FSDD digits). At
        prediction it is a fixed affine map: invariant front-ends stay
        invariant.
    {training_parameters}

    Attributes
    ----------
    classes_ : ndarray
        The class labels.
    model_ : keras.Model
        The trained network (with the augmentation layer in front).
    history_ : dict
        Keras's training history (``loss``, ``accuracy``, ``val_loss``, ...).

    See Also
    --------
    skaudio.make_frontend_pipeline : the paper's six systems as pipelines.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A Deep
       Learning Front-End for Context-Agnostic Audio Classification", section V-D
       (the back-end) and IV (the training gain).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 16, 8)).astype("float32")
    >>> y = np.array(["hum", "hiss"] * 20)
    >>> X[y == "hum", :, :2] += 2.0
    >>> clf = VGGLikeClassifier(filters=(8, 16), epochs=20,
    ...                         random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:3]).shape, clf.classes_.tolist()
    ((3, 2), ['hiss', 'hum'])
    """

    _parameter_constraints = {
        "filters": [tuple, list],
        "kernel_size": POSITIVE_INT,
        "pool_size": POSITIVE_INT,
        "dropout": FRACTION,
        "dense_units": POSITIVE_INT,
        "padding": [StrOptions({"same", "valid"})],
        "batch_norm": ["boolean"],
    }

    def __init__(self, filters=(16, 32, 64, 128), kernel_size=3, pool_size=2, dropout=0.2,
                 dense_units=32, padding="same", batch_norm=True, **training_params):
        super().__init__(**training_params)
        self.filters = filters
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.dropout = dropout
        self.dense_units = dense_units
        self.padding = padding
        self.batch_norm = batch_norm

    @classmethod
    def _get_test_params(cls):
        # Compiled: with the steps shared by an architecture, the common checks'
        # fits run 3-5x faster than eagerly, compilations included.
        return [dict(filters=(4,), dense_units=4, epochs=2, batch_size=16, random_state=0)]

    def _validate_architecture(self):
        check_positive_ints(self.filters, "filters", type(self).__name__)

    def _build_network(self, input_shape, n_classes):
        return build_vgg_like(
            input_shape, n_classes, filters=tuple(self.filters),
            kernel_size=self.kernel_size, pool_size=self.pool_size,
            dropout=self.dropout, dense_units=self.dense_units, padding=self.padding,
            batch_norm=self.batch_norm,
        )
