"""VGGLikeClassifier: the PERSA+ paper's CNN as a scikit-learn classifier."""

from ..networks import build_vgg_like
from ._base import NetworkClassifier


class VGGLikeClassifier(NetworkClassifier):
    """The PERSA+ paper's ~100k-parameter VGG-like CNN (Vrysis et al., V-D).

    Four blocks of Conv2D (3x3, ReLU) -> MaxPooling (2x2) -> Dropout with 16,
    32, 64 and 128 filters, global average pooling, Dense 32 (ReLU), Dropout,
    softmax; Adam and categorical cross-entropy (see
    :func:`skaudio.networks.build_vgg_like`). Every architecture and training
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
    gain_augment_db : float, default=0.0
        Training-only random gain in dB (LOG-AU: 30, PERSA+: 3).
    optimizer : str or keras Optimizer, default="adam"
    learning_rate : float, default=1e-3
    epochs : int, default=30
    batch_size : int, default=32
    validation_split : float, default=0.0
    patience : int or None, default=None
        Early stopping on the validation loss (needs ``validation_split``).
    class_weight : dict, "balanced" or None, default=None
    input_normalization : bool, default=False
        A BatchNormalization layer in front of the network (global, learned
        in training): lets un-normalised inputs such as LOG's train.
    random_state : int, RandomState instance or None, default=None
        With an int, CPU training is reproducible.
    verbose : int, default=0
        Keras's progress output.
    run_eagerly : bool, default=False
        Skip XLA compilation (faster only for tiny networks and data).

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

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 16, 8)).astype("float32")
    >>> y = np.array(["hum", "hiss"] * 20)
    >>> X[y == "hum", :, :2] += 2.0
    >>> clf = VGGLikeClassifier(filters=(8, 16), epochs=20, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:3]).shape, clf.classes_.tolist()
    ((3, 2), ['hiss', 'hum'])
    """

    def __init__(self, filters=(16, 32, 64, 128), kernel_size=3, pool_size=2, dropout=0.2,
                 dense_units=32, padding="same", *, gain_augment_db=0.0, optimizer="adam",
                 learning_rate=1e-3, epochs=30, batch_size=32, validation_split=0.0,
                 patience=None, class_weight=None, input_normalization=False,
                 random_state=None, verbose=0, run_eagerly=False):
        super().__init__(
            gain_augment_db=gain_augment_db, optimizer=optimizer,
            learning_rate=learning_rate, epochs=epochs, batch_size=batch_size,
            validation_split=validation_split, patience=patience,
            class_weight=class_weight, input_normalization=input_normalization,
            random_state=random_state, verbose=verbose,
            run_eagerly=run_eagerly,
        )
        self.filters = filters
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.dropout = dropout
        self.dense_units = dense_units
        self.padding = padding

    def _build_network(self, input_shape, n_classes):
        return build_vgg_like(
            input_shape, n_classes, filters=tuple(self.filters),
            kernel_size=self.kernel_size, pool_size=self.pool_size,
            dropout=self.dropout, dense_units=self.dense_units, padding=self.padding,
        )
