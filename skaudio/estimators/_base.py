"""The one base class that owns the scikit-learn contract of skaudio's networks.

scikeras 0.13.0 (its last release) declares ``KerasClassifier(BaseWrapper,
ClassifierMixin)``: the mixin sits right of ``BaseEstimator``, and on
scikit-learn >= 1.6 (tags via ``__sklearn_tags__``) ``is_classifier`` is then
False, so ``GridSearchCV`` and ``cross_val_score`` silently use ``KFold``
instead of ``StratifiedKFold`` and ``VotingClassifier`` refuses the estimator.
A subclass of ``KerasClassifier`` cannot put ``ClassifierMixin`` first (Python's
method resolution order forbids it), so :class:`NetworkClassifier` derives from
scikeras's ``BaseWrapper`` directly, with the mixin on the correct side, and
implements the classifier half itself:

* tags: estimator type classifier, n-d input, labels of any type;
* parameters: exactly the ``__init__`` signature (scikit-learn's rule), so
  ``clone`` and ``set_params`` keep every one and ``repr`` is scikit-learn's;
* ``fit`` validates its input with clear errors, never mutates parameters or
  the caller's arrays (scikeras multiplies ``sample_weight`` in place), seeds
  Python, NumPy and Keras from ``random_state`` (restoring the global random
  state afterwards), shuffles before Keras's tail ``validation_split``, and
  adds early stopping;
* ``predict_proba`` is always ``(n_samples, n_classes)`` (scikeras squeezes a
  single sample to 1-D);
* the first ``fit`` switches on JAX's persistent XLA compilation cache
  (:func:`enable_compilation_cache`), so folds and grid candidates stop
  recompiling the same network;
* multi-label targets (an indicator matrix ``y``) train sigmoid outputs with
  binary cross-entropy, for subclasses that declare ``_supports_multilabel``;
* training-only batch generation: mixup (``mixup_alpha``) and mini-batch class
  balancing (``balanced_batches``) for subclasses that expose them as
  parameters. With both off, training takes Keras's own array path unchanged.
"""

import os
import random
import warnings
from collections import defaultdict
from contextlib import contextmanager

import keras
import numpy as np
from scikeras.utils.transformers import ClassifierLabelEncoder
from scikeras.wrappers import BaseWrapper
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import check_random_state
from sklearn.utils._tags import ClassifierTags
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted

from .._validation import (
    check_positive_int,
    check_scalar_real,
    check_time_frequency,
    seed_of,
)
from ..augment import RandomGain
from ..base import VersionedStateMixin

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop", "nadam", "adagrad")


def check_training_params(estimator):
    """Validate the Keras training parameters every skaudio network shares.

    ``learning_rate``, ``validation_split``, ``epochs``, ``batch_size``,
    ``patience`` (which needs a validation split) and ``optimizer``.
    """
    name = type(estimator).__name__
    check_scalar_real(estimator.learning_rate, "learning_rate", owner=name, min_val=0,
                      include_min=False)
    split = check_scalar_real(estimator.validation_split, "validation_split", owner=name,
                              min_val=0)
    if split >= 1:
        raise ValueError(f"{name}: validation_split must be < 1; got {split}.")
    for param in ("epochs", "batch_size"):
        check_positive_int(getattr(estimator, param), param, owner=name)
    if estimator.patience is not None and split == 0:
        raise ValueError(
            f"{name}: early stopping (patience={estimator.patience}) monitors the "
            "validation loss; set validation_split > 0 as well."
        )
    optimizer = estimator.optimizer
    if isinstance(optimizer, str) and optimizer.lower() not in OPTIMIZERS:
        raise ValueError(
            f"{name}: optimizer must be one of {OPTIMIZERS} or a keras Optimizer; "
            f"got {optimizer!r}."
        )


def make_optimizer(optimizer, learning_rate):
    """A Keras optimizer from its name (with ``learning_rate``) or as given."""
    if isinstance(optimizer, str):
        return keras.optimizers.get(
            {"class_name": optimizer, "config": {"learning_rate": learning_rate}})
    return optimizer


def enable_compilation_cache(path=None):
    """Keep the JAX backend's XLA compilations on disk and reuse them.

    Keras compiles a network's training and prediction steps with XLA on every
    ``fit``: seconds per model, which dominates grid searches and
    cross-validation of small networks (every fold and candidate compiles the
    same program again). With the cache, a program compiled once is loaded in
    milliseconds by every later fit, in this process and the next ones.
    skaudio's estimators call this on their first ``fit`` unless the
    environment variable ``SKAUDIO_COMPILATION_CACHE`` is ``0`` or JAX already
    has a cache directory. Other Keras backends are left alone.

    Parameters
    ----------
    path : str or None
        Cache folder; default ``$SKAUDIO_COMPILATION_CACHE`` if it names one,
        else ``~/.cache/skaudio/jax``.

    Returns
    -------
    str or None
        The folder in use, or None when nothing was enabled.
    """
    if keras.backend.backend() != "jax":
        return None
    import jax

    setting = os.environ.get("SKAUDIO_COMPILATION_CACHE", "")
    if setting == "0":
        return None
    if jax.config.jax_compilation_cache_dir:
        return jax.config.jax_compilation_cache_dir
    path = path or setting or os.path.join(os.path.expanduser("~"), ".cache", "skaudio", "jax")
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.1)
    return path


@contextmanager
def _seeded(seed):
    """Seed Python, NumPy and Keras; restore Python's and NumPy's state after."""
    if seed is None:
        yield
        return
    py_state, np_state = random.getstate(), np.random.get_state()
    keras.utils.set_random_seed(seed)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


class _TrainingBatches(keras.utils.PyDataset):
    """Training batches with mini-batch class balancing and/or mixup.

    Balancing (Xu, 5.1.2): the batches are filled from a stream that takes one
    example of every class in turn (in a random class order drawn per epoch,
    each class cycling through its own shuffled examples), so every batch
    holds the classes in equal numbers, to within one, the remainder carried
    over to the next batch.
    Under multi-label targets the pool of a label is every example carrying it.
    An epoch has as many examples as the training set: minority classes are
    repeated, majority classes wait for later epochs.

    Mixup (Zhang et al., Xu eq. 27): each example ``i`` of a batch is mixed
    with example ``perm[i]`` of the same batch, ``x = lam x_i + (1 - lam)
    x_perm[i]``, likewise the one-hot or indicator target and the sample
    weight, with one ``lam ~ Beta(alpha, alpha)`` per example.
    """

    def __init__(self, X, y, sample_weight, *, batch_size, pools, mixup_alpha, rng):
        super().__init__()
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.batch_size = batch_size
        self.pools = pools  # None, or one index array per class
        self.mixup_alpha = mixup_alpha
        self.rng = rng
        self.n_batches = -(-X.shape[0] // batch_size)
        if pools is not None:
            self._cursor = [len(p) for p in pools]  # reshuffle on first use
            self._orders = [None] * len(pools)
        self._plan_epoch()

    def _next_of(self, k):
        if self._cursor[k] == len(self.pools[k]):
            self._orders[k] = self.rng.permutation(self.pools[k])
            self._cursor[k] = 0
        self._cursor[k] += 1
        return self._orders[k][self._cursor[k] - 1]

    def _plan_epoch(self):
        n = self.X.shape[0]
        if self.pools is None:
            self.order = self.rng.permutation(n)
            return
        # One class order per epoch, cycled: every window of the stream (a batch)
        # then holds each class equally often, to within one.
        classes = self.rng.permutation(len(self.pools))
        self.order = np.asarray([self._next_of(classes[i % classes.size]) for i in range(n)])

    def on_epoch_end(self):
        self._plan_epoch()

    @property
    def num_batches(self):
        return self.n_batches

    def __len__(self):
        return self.n_batches

    def __getitem__(self, index):
        idx = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        x, y = self.X[idx], self.y[idx]
        sw = None if self.sample_weight is None else self.sample_weight[idx]
        if self.mixup_alpha > 0 and len(idx) > 1:
            lam = self.rng.beta(self.mixup_alpha, self.mixup_alpha, size=len(idx))
            perm = self.rng.permutation(len(idx))
            lx = lam.reshape((-1,) + (1,) * (x.ndim - 1)).astype(x.dtype)
            x = lx * x + (1 - lx) * x[perm]
            ly = lam.reshape(-1, 1).astype(y.dtype)
            y = ly * y + (1 - ly) * y[perm]
            if sw is not None:
                sw = lam * sw + (1 - lam) * sw[perm]
        return (x, y) if sw is None else (x, y, sw)


def to_network_input(X):
    """``(n, f)``, ``(n, f, b)`` or ``(n, f, b, c)`` -> float32 ``(n, f, b, c)``."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 2:
        return X[:, :, np.newaxis, np.newaxis]
    if X.ndim == 3:
        return X[..., np.newaxis]
    return X


class NetworkClassifier(VersionedStateMixin, ClassifierMixin, BaseWrapper):
    """Base class of skaudio's Keras classifiers (scikeras ``BaseWrapper``).

    Subclasses list every parameter in their ``__init__`` (architecture first,
    then the training parameters documented here) and implement
    ``_build_network(input_shape, n_classes)`` returning an uncompiled
    ``keras.Model``. The base class adds the training-only gain augmentation in
    front of it, compiles and trains it.

    Training parameters
    -------------------
    gain_augment_db : float, default=0.0
        Random gain, uniform in ``±gain_augment_db`` dB, added to each training
        sample (in bels: ``g / 10``) while the network trains; never at
        prediction. LOG-AU uses 30, PERSA+ 3.
    optimizer : str, default="adam"
        Keras optimizer name.
    learning_rate : float, default=1e-3
    epochs : int, default=30
    batch_size : int, default=32
    validation_split : float, default=0.0
        Fraction of the (shuffled) training data held out to monitor
        ``val_loss``.
    patience : int or None, default=None
        Early stopping: stop after ``patience`` epochs without a better
        ``val_loss`` and restore the best weights. Needs ``validation_split``.
    class_weight : dict, "balanced" or None, default=None
        Class weights, applied as sample weights.
    mixup_alpha : float, default=0.0
        Subclasses that expose it: mixup of training batches with weights
        drawn from ``Beta(mixup_alpha, mixup_alpha)``; 0 is off.
    balanced_batches : bool, default=False
        Subclasses that expose it: every training batch holds the classes in
        equal numbers (to within one).
    input_normalization : bool, default=False
        Put a BatchNormalization layer (one mean and variance per channel,
        learned from the training batches) in front of the network. It lets
        inputs far from zero, such as LOG's log10 power around -7, train at
        all; being learned on the training set, it is a global standardisation
        and does not make the network invariant to the input gain.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, augmentation and shuffling:
        with an int, refitting in the same process gives the same model on
        the CPU. Across processes, multithreaded CPU kernels may sum in
        another order, so two processes can differ slightly (see the README's
        Dask section).
    verbose : int, default=0
        Keras's progress output: 0 silent, 1 progress bar, 2 one line per epoch.
    run_eagerly : bool, default=False
        Run Keras op by op instead of compiling the training step with XLA:
        slower on real data, but much faster for tiny networks and datasets
        (where compilation dominates) and easier to debug.
    """

    # scikeras internals read these attributes; they are not parameters here.
    model = None
    build_fn = None
    warm_start = False
    loss = "sparse_categorical_crossentropy"
    _fit_kwargs = BaseWrapper._fit_kwargs - {"class_weight"}
    # Training-only batch generation, off unless a subclass exposes the
    # parameters (``mixup_alpha``, ``balanced_batches``) in its ``__init__``.
    mixup_alpha = 0.0
    balanced_batches = False
    # Subclasses whose ``_build_network`` accepts ``output_activation`` set this
    # to True: an indicator-matrix y then trains sigmoid outputs.
    _supports_multilabel = False
    _multilabel = False  # set by fit: whether y was an indicator matrix
    # (n, ...) validated input -> the array the Keras model takes.
    _input_transform = staticmethod(to_network_input)

    def __init__(self, *, gain_augment_db=0.0, optimizer="adam", learning_rate=1e-3,
                 epochs=30, batch_size=32, validation_split=0.0, patience=None,
                 class_weight=None, input_normalization=False, random_state=None,
                 verbose=0, run_eagerly=False):
        self.gain_augment_db = gain_augment_db
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.patience = patience
        self.class_weight = class_weight
        self.input_normalization = input_normalization
        self.random_state = random_state
        self.verbose = verbose
        self.run_eagerly = run_eagerly

    # scikit-learn's parameter rules, not scikeras's attribute scan
    _get_param_names = classmethod(BaseEstimator._get_param_names.__func__)
    __repr__ = BaseEstimator.__repr__

    def __sklearn_tags__(self):
        tags = BaseEstimator.__sklearn_tags__(self)
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags(poor_score=True)
        tags.target_tags.required = True
        tags.classifier_tags.multi_label = self._supports_multilabel
        tags.input_tags.three_d_array = True
        tags.non_deterministic = self.random_state is None
        return tags

    # ------------------------------------------------------------ validation
    def _check_params(self):
        name = type(self).__name__
        check_scalar_real(self.gain_augment_db, "gain_augment_db", owner=name, min_val=0)
        check_training_params(self)
        check_scalar_real(self.mixup_alpha, "mixup_alpha", owner=name, min_val=0)
        if not isinstance(self.balanced_batches, (bool, np.bool_)):
            raise TypeError(
                f"{name}: balanced_batches must be True or False; got "
                f"{self.balanced_batches!r}."
            )

    def _validate_input(self, X):
        """Validate ``X``'s type, dimensions and values (subclasses may narrow)."""
        return check_time_frequency(X, name=type(self).__name__, non_negative=False)

    def _check_X(self, X, reset=False):
        X = self._validate_input(X)
        X = X.astype(np.float32, copy=False)  # the network computes in float32
        if not reset and X.shape[1:] != tuple(self.X_shape_[1:]):
            if X.ndim == 2:
                raise ValueError(
                    f"X has {X.shape[1]} features, but {type(self).__name__} is "
                    f"expecting {self.X_shape_[1]} features as input."
                )
            raise ValueError(
                f"{type(self).__name__} was fitted on samples of shape "
                f"{tuple(self.X_shape_[1:])}; got {X.shape[1:]}. Give every clip the "
                "same duration (AudioLoader(duration=...)) and the same features."
            )
        return X

    # ------------------------------------------------------------ model
    @property
    def target_encoder(self):
        return ClassifierLabelEncoder(loss=self.loss)

    @property
    def feature_encoder(self):
        return FunctionTransformer(self._input_transform)

    def _compile_loss(self):
        if self._multilabel:
            return "binary_crossentropy"
        # mixup mixes one-hot targets; otherwise integer labels suffice
        return "categorical_crossentropy" if self.mixup_alpha > 0 else self.loss

    def _keras_build_fn(self, meta):
        input_shape = self._input_transform(np.zeros((1, *meta["X_shape_"][1:]))).shape[1:]
        if self._multilabel:
            network = self._build_network(input_shape, meta["n_classes_"],
                                          output_activation="sigmoid")
        else:
            network = self._build_network(input_shape, meta["n_classes_"])
        inputs = keras.Input(shape=input_shape, name="input")
        x = RandomGain(self.gain_augment_db, name="random_gain")(inputs) \
            if self.gain_augment_db else inputs
        if self.input_normalization:
            x = keras.layers.BatchNormalization(name="input_normalization")(x)
        model = keras.Model(inputs, network(x), name=type(self).__name__)
        metric = "binary_accuracy" if self._multilabel else "accuracy"
        model.compile(optimizer=make_optimizer(self.optimizer, self.learning_rate), loss=self._compile_loss(), metrics=[metric],
                      run_eagerly=self.run_eagerly)
        return model

    def _build_network(self, input_shape, n_classes):
        raise NotImplementedError

    def _initialize_callbacks(self):
        super()._initialize_callbacks()
        if self.patience is not None:
            self._fit_callbacks = [*self._fit_callbacks, keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=self.patience, restore_best_weights=True)]

    # ------------------------------------------------------------ fit / predict
    def fit(self, X, y, sample_weight=None):
        """Build and train the network on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n, n_frames, n_bands[, n_channels]) or (n, n_features)
            Time-frequency samples (a 2-D input is one band per feature).
        y : array-like of shape (n,) or (n, n_labels)
            Labels of any type (ints, strings, ...); at least two classes. A
            0/1 indicator matrix trains a multi-label network (sigmoid
            outputs, binary cross-entropy) where the subclass supports it.
        sample_weight : array-like of shape (n,), default=None

        Returns
        -------
        self
        """
        self._check_params()
        enable_compilation_cache()
        X = self._check_X(X, reset=True)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn("A column-vector y was passed when a 1d array was expected; "
                          "it is flattened.", DataConversionWarning, stacklevel=2)
            y = y.ravel()
        if y.shape[0] != X.shape[0]:
            raise ValueError(
                f"X and y have different lengths: {X.shape[0]} samples, {y.shape[0]} labels."
            )
        check_classification_targets(y)
        self._multilabel = y.ndim == 2 and type_of_target(y) == "multilabel-indicator"
        if self._multilabel:
            self._check_multilabel(y)
            self._y_dtype = y.dtype  # predict returns the indicator in y's dtype
            y = y.astype(np.float32)
        elif y.ndim != 1:
            raise ValueError(
                f"{type(self).__name__} expects y of shape (n_samples,) (labels) or an "
                f"indicator matrix of 0/1 (multi-label); got shape {y.shape} of type "
                f"{type_of_target(y)!r}."
            )
        elif np.unique(y).size < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least two classes to train; y has "
                f"only one class ({np.unique(y)[0]!r})."
            )
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
        if self.class_weight is not None:
            weights = compute_sample_weight(self.class_weight, y)
            sample_weight = weights if sample_weight is None else sample_weight * weights
        seed = self._fit_seed = seed_of(self.random_state)
        if self.validation_split:
            # Keras holds out the *last* samples: shuffle so they are a random subset.
            order = check_random_state(seed).permutation(X.shape[0])
            X, y = X[order], y[order]
            sample_weight = None if sample_weight is None else sample_weight[order]
        self.classes_ = None
        with _seeded(seed):
            BaseWrapper.fit(self, X, y, sample_weight=sample_weight)
        if not np.isfinite(self.history_["loss"][-1]):
            raise ValueError(
                f"{type(self).__name__}'s training diverged (loss "
                f"{self.history_['loss'][-1]}): the input overflows the network "
                f"(values up to {np.abs(X).max():.3g}). Feed a log-compressed or "
                "normalised front-end's output, or lower the learning rate."
            )
        return self

    def _check_multilabel(self, y):
        name = type(self).__name__
        if not self._supports_multilabel:
            raise ValueError(
                f"{name} trains on single-label targets y of shape (n_samples,); got a "
                f"multi-label indicator matrix of shape {y.shape}. Use an embedding "
                "back-end (EmbeddingDNNClassifier, EmbeddingLSTMClassifier, "
                "MultiLevelAttentionClassifier) or sklearn.multioutput."
            )
        if not np.isin(y, (0, 1)).all():
            raise ValueError(
                f"{name}: a multi-label y must be an indicator matrix of 0 and 1; got "
                f"values {np.unique(y)[:5].tolist()}."
            )

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch,
                         **kwargs):
        if not self.mixup_alpha and not self.balanced_batches:
            return super()._fit_keras_model(
                X, y, sample_weight=sample_weight, warm_start=warm_start, epochs=epochs,
                initial_epoch=initial_epoch, **kwargs)
        return self._fit_batches(X, y, sample_weight, epochs, initial_epoch)

    def _fit_batches(self, X, y, sample_weight, epochs, initial_epoch):
        """Train on generated batches (mixup, class balancing): training only."""
        y = np.asarray(y)
        if self._multilabel:
            member = y.astype(bool)
        else:
            labels = y.reshape(-1).astype(int)
            member = np.eye(self.n_classes_, dtype=bool)[labels]
            y = member.astype(np.float32) if self.mixup_alpha > 0 else labels
        n_val = int(X.shape[0] * self.validation_split)
        validation_data = None
        if n_val:
            # as Keras's validation_split: the tail (fit shuffled X before)
            cut = X.shape[0] - n_val
            validation_data = (X[cut:], y[cut:]) if sample_weight is None else \
                (X[cut:], y[cut:], sample_weight[cut:])
            X, y, member = X[:cut], y[:cut], member[:cut]
            sample_weight = None if sample_weight is None else sample_weight[:cut]
        pools = None
        if self.balanced_batches:
            pools = [np.flatnonzero(member[:, k]) for k in range(member.shape[1])]
            pools = [p for p in pools if p.size]
        rng = np.random.default_rng(self._fit_seed)
        batches = _TrainingBatches(X, y, sample_weight, batch_size=self.batch_size,
                                   pools=pools, mixup_alpha=float(self.mixup_alpha), rng=rng)
        hist = self.model_.fit(batches, epochs=initial_epoch + epochs,
                               initial_epoch=initial_epoch, verbose=self.verbose,
                               validation_data=validation_data, shuffle=False,
                               callbacks=self._fit_callbacks)
        self.history_ = defaultdict(list)
        for key, val in hist.history.items():
            self.history_[key] += val

    @available_if(lambda self: False)
    def partial_fit(self, X, y, sample_weight=None):
        """Not offered: skaudio's networks train with ``fit``."""

    def predict_proba(self, X):
        """Class probabilities, shape ``(n_samples, n_classes)``."""
        check_is_fitted(self, "model_")
        X = self._check_X(X)
        # X is validated: straight to Keras, without scikeras's second validation
        # and parameter routing. Up to one batch, without Keras's data pipeline
        # and callbacks either (the same numbers, a millisecond sooner).
        Z = self._input_transform(X)
        if X.shape[0] <= self.batch_size:
            proba = self.model_.predict_on_batch(Z)
        else:  # progress bars are for training only
            proba = self.model_.predict(Z, batch_size=self.batch_size, verbose=0)
        proba = np.asarray(proba).reshape(X.shape[0], -1)
        if not np.isfinite(proba).all():
            raise ValueError(
                f"{type(self).__name__} produced non-finite probabilities: the input "
                f"overflows the network (values up to {np.abs(X).max():.3g})."
            )
        return proba

    def predict(self, X):
        """Predicted labels, of the type of the training labels.

        Multi-label: the indicator matrix ``predict_proba(X) >= 0.5`` of shape
        ``(n_samples, n_labels)``.
        """
        proba = self.predict_proba(X)
        if self._multilabel:
            return (proba >= 0.5).astype(self._y_dtype)
        return self.classes_[np.argmax(proba, axis=1)]

