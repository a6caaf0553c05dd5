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
* parameters validated as scikit-learn validates them (``_parameter_constraints``
  under ``_fit_context``); the training parameters are declared once, in
  ``skaudio._keras``, for every network;
* ``fit`` validates its input with clear errors, never mutates parameters or
  the caller's arrays (scikeras multiplies ``sample_weight`` in place), and
  draws everything random from ``random_state`` alone -- the layers' seeds
  (:mod:`skaudio.networks._seeds`), the order of the batches, the validation
  split, augmentation and mixup -- so it reads and writes no global random
  generator, and fits in threads equal sequential ones; it holds out a random
  ``validation_split`` (whole groups, where a subclass groups samples), and
  adds early stopping;
* ``predict_proba`` is always ``(n_samples, n_classes)`` (scikeras squeezes a
  single sample to 1-D);
* the first ``fit`` switches on JAX's persistent XLA compilation cache
  (:func:`enable_compilation_cache`), so folds and grid candidates stop
  recompiling the same network;
* multi-label targets (an indicator matrix ``y``) train sigmoid outputs with
  binary cross-entropy, for subclasses that declare ``_supports_multilabel``;
* training-only batch generation (:class:`skaudio._training_batches.TrainingBatches`,
  seeded from ``random_state``): shuffling, mixup (``mixup_alpha``), mini-batch
  class balancing (``balanced_batches``) and batch augmentation. Keras's own
  array path shuffles with NumPy's global generator, so it is not used.
"""

import contextlib
import warnings
from abc import ABCMeta, abstractmethod
from collections import defaultdict

import keras
import numpy as np
from scikeras.utils.transformers import ClassifierLabelEncoder
from scikeras.wrappers import BaseWrapper
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import DataConversionWarning
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._tags import ClassifierTags
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted

from .. import _compiled_steps
from .._keras import (
    TrainingParameters,
    cosine_restarts,
    cycle_ends,
    enable_compilation_cache,
    make_optimizer,
)
from .._training_batches import TrainingBatches
from .._validation import check_time_frequency, seed_of
from ..augment import RandomGain, random_time_crop, spec_augment, swap_channels
from ..base import VersionedStateMixin
from ..networks._seeds import layer_seeds, next_seed
from ..persistence import hand_over_keras_model, take_back_keras_model


def to_network_input(X):
    """``(n, f)``, ``(n, f, b)`` or ``(n, f, b, c)`` -> float32 ``(n, f, b, c)``."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 2:
        return X[:, :, np.newaxis, np.newaxis]
    if X.ndim == 3:
        return X[..., np.newaxis]
    return X


def batch_norm_layers(model):
    """Every BatchNormalization layer of ``model``, nested models included."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        elif hasattr(layer, "layers"):
            found += batch_norm_layers(layer)
    return found


def _batch_statistics_function(model, layers):
    """``x -> [mean, variance, mean, variance, ...]``: each of ``layers``' batch statistics.

    One forward pass of ``model`` in training mode. On JAX, for a model that
    trains compiled, the pass is compiled (``stateless_call`` under
    ``jax.jit``, about ten times faster per batch than calling the model
    eagerly) and shared by the models of the architecture
    (:mod:`skaudio._compiled_steps`): it starts the layers' moving
    statistics at 0, so that their update ``moving * momentum + batch * (1 -
    momentum)`` is the batch's statistic times ``1 - momentum``, and divides
    that out (float32 rounding), without touching any layer. Otherwise the
    model is called with the layers' momentum at 0, and their variables read.
    """
    def make():
        import jax.numpy as jnp

        position = {id(v): i for i, v in enumerate(model.non_trainable_variables)}
        wanted = [position[id(v)] for layer in layers
                  for v in (layer.moving_mean, layer.moving_variance)]
        kept = [1.0 - layer.momentum for layer in layers for _ in range(2)]

        @_compiled_steps.jit
        def forward(trainable, non_trainable, x):
            non_trainable = list(non_trainable)
            for i in wanted:
                non_trainable[i] = jnp.zeros_like(non_trainable[i])
            _, updated = model.stateless_call(trainable, non_trainable, x, training=True)
            return [updated[i] / share for i, share in zip(wanted, kept)]
        return forward

    forward = None
    if all(layer.momentum < 1 for layer in layers):
        forward = _compiled_steps.shared_function(model, "batch_statistics", make)
    if forward is None:
        def statistics(x):
            with _zero_momentum(layers):
                model(x, training=True)
            return [v.value for layer in layers
                    for v in (layer.moving_mean, layer.moving_variance)]
        return statistics
    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    return lambda x: forward(trainable, non_trainable, x)


@contextlib.contextmanager
def _zero_momentum(layers):
    """Batch normalisation ``layers`` with momentum 0 within the block."""
    momenta = [layer.momentum for layer in layers]
    try:
        for layer in layers:
            layer.momentum = 0.0
        yield
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum


class _Snapshots(keras.callbacks.Callback):
    """Keep the model's weights at the end of the given (1-based) epochs."""

    def __init__(self, epochs):
        super().__init__()
        self.epochs = set(epochs)
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 in self.epochs:
            self.weights.append(self.model.get_weights())


class NetworkClassifier(VersionedStateMixin, TrainingParameters, ClassifierMixin, BaseWrapper,
                        metaclass=ABCMeta):
    """Base class of skaudio's Keras classifiers (scikeras ``BaseWrapper``).

    A network is a builder and a thin subclass: the subclass lists its
    architecture parameters in ``__init__`` (ending with ``**training_params``,
    passed on to this class), declares their ``_parameter_constraints``, and
    implements ``_build_network(input_shape, n_classes)`` returning an
    uncompiled ``keras.Model``. This class owns everything else: the training
    parameters below (declared once in ``skaudio._keras``), their validation,
    the training-only gain and input normalisation in front of the network,
    compilation, seeding, the validation split, early stopping, class
    weights, mixup and balanced batches, the finite-loss check and prediction.

    Parameters
    ----------
    {training_parameters}

    See Also
    --------
    skaudio.VGGLikeClassifier : a network built on this class.
    skaudio.discovery.all_estimators : every concrete subclass.

    References
    ----------
    .. [1] L. Buitinck et al., "API design for machine learning software:
       experiences from the scikit-learn project," ECML PKDD Workshop on
       Languages for Data Mining and Machine Learning, 2013 (the estimator
       and classifier interface this class implements: ``fit``, ``predict``,
       ``predict_proba``, ``get_params``).
    .. [2] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section 3
       (mixup, random cropping, channel confusion, SpecAugment) and section
       5.2 (SGD with cosine-decay restarts, the outputs averaged where the
       learning rate is at its minimum).
    .. [3] Z. Xu, "Audio event classification using deep learning methods,"
       MSc thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, section 5.1.2 (mini-batch class balancing) and section 5.2.4,
       eq. 27 (mixup).
    .. [4] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       section IV (±3 dB random training gain) and section V-C (LOG-AU's
       ±30 dB).

    Examples
    --------
    A new network is a builder plus a thin class:

    >>> import keras
    >>> from skaudio._params import POSITIVE_INT
    >>> def build_tiny(input_shape, n_classes, *, units=8):
    ...     inputs = keras.Input(input_shape)
    ...     x = keras.layers.Dense(units, activation="relu")(keras.layers.Flatten()(inputs))
    ...     return keras.Model(inputs, keras.layers.Dense(n_classes, activation="softmax")(x))
    >>> class TinyClassifier(NetworkClassifier):
    ...     _parameter_constraints = {"units": POSITIVE_INT}
    ...     def __init__(self, units=8, **training_params):
    ...         super().__init__(**training_params)
    ...         self.units = units
    ...     def _build_network(self, input_shape, n_classes):
    ...         return build_tiny(input_shape, n_classes, units=self.units)
    >>> TinyClassifier(units=4, epochs=5)
    TinyClassifier(epochs=5, units=4)
    >>> {"units", "epochs", "learning_rate"} <= set(TinyClassifier._parameter_constraints)
    True
    """

    # scikeras internals read these attributes; they are not parameters here.
    model = None
    build_fn = None
    warm_start = False
    loss = "sparse_categorical_crossentropy"
    # Subclasses whose ``_build_network`` accepts ``output_activation`` set this
    # to True: an indicator-matrix y then trains sigmoid outputs.
    _supports_multilabel = False
    _multilabel = False  # set by fit: whether y was an indicator matrix
    # (n, ...) validated input -> the array the Keras model takes.
    _input_transform = staticmethod(to_network_input)
    # Whether the network takes inputs of any number of frames (clips at their
    # own lengths); random_crop_frames also builds it so.
    _variable_length = False
    # Training parameters that do not apply to the network: name -> what it
    # does; fit refuses a value other than the default.
    _unsupported_training_parameters = {}

    def __init__(self, **training_params):
        super().__init__(**training_params)

    def __getstate__(self):
        # skaudio.persistence.save stores the Keras model in Keras's own format
        return hand_over_keras_model(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(take_back_keras_model(state))

    # scikit-learn's parameter rules, not scikeras's attribute scan
    _get_param_names = classmethod(BaseEstimator._get_param_names.__func__)
    __repr__ = BaseEstimator.__repr__

    @abstractmethod
    def _build_network(self, input_shape, n_classes):
        """The uncompiled ``keras.Model`` from inputs of ``input_shape`` to classes."""

    def _validate_architecture(self):
        """Rules on architecture parameters that no single constraint states."""

    @property
    def _name(self):
        """The name the error messages give (a private helper class names its owner)."""
        return type(self).__name__

    def _sample_groups(self, n_samples):
        """Samples that the validation split keeps together (None: each alone)."""
        return None

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
    def _validate_input(self, X):
        """Validate ``X``'s type, dimensions and values (subclasses may narrow)."""
        return check_time_frequency(X, name=self._name, non_negative=False)

    def _check_X(self, X, reset=False):
        X = self._validate_input(X)
        X = X.astype(np.float32, copy=False)  # the network computes in float32
        if not reset and X.shape[1:] != tuple(self.X_shape_[1:]):
            if X.ndim == 2:
                raise ValueError(
                    f"X has {X.shape[1]} features, but {self._name} is "
                    f"expecting {self.X_shape_[1]} features as input."
                )
            raise ValueError(
                f"{self._name} was fitted on samples of shape "
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
        # An internal step: numpy out whatever sklearn.set_config(transform_output=...)
        return FunctionTransformer(self._input_transform).set_output(transform="default")

    def _compile_loss(self):
        if self._multilabel:
            return "binary_crossentropy"
        # mixup mixes one-hot targets; otherwise integer labels suffice
        return "categorical_crossentropy" if self.mixup_alpha > 0 else self.loss

    def _keras_build_fn(self, meta):
        input_shape = self._input_transform(np.zeros((1, *meta["X_shape_"][1:]))).shape[1:]
        if self._variable_length or self.random_crop_frames is not None:
            input_shape = (None, *input_shape[1:])  # any number of frames
        # Every random layer's seed, from random_state (fit sets _fit_seed;
        # scikeras's initialize() builds without fitting).
        seed = self._fit_seed if hasattr(self, "_fit_seed") else seed_of(self.random_state)
        with layer_seeds(seed):
            if self._multilabel:
                network = self._build_network(input_shape, meta["n_classes_"],
                                              output_activation="sigmoid")
            else:
                network = self._build_network(input_shape, meta["n_classes_"])
            inputs = keras.Input(shape=input_shape, name="input")
            x = RandomGain(self.gain_augment_db, seed=next_seed(), name="random_gain")(
                inputs) if self.gain_augment_db else inputs
        if self.input_normalization:
            x = keras.layers.BatchNormalization(name="input_normalization")(x)
        model = keras.Model(inputs, network(x), name=type(self).__name__)
        self._compile(model, self.learning_rate)
        return model

    def _build_keras_model(self):
        # Not scikeras's: it builds under its tensorflow_random_state, which seeds
        # Python's and NumPy's global generators and sets an environment
        # variable; _keras_build_fn seeds every layer from random_state instead.
        return self._keras_build_fn(self._get_metadata())

    def _compile(self, model, learning_rate):
        """Compile ``model`` with the loss, metric and optimizer of the parameters."""
        metric = "binary_accuracy" if self._multilabel else "accuracy"
        model.compile(optimizer=make_optimizer(self.optimizer, learning_rate),
                      loss=self._compile_loss(), metrics=[metric],
                      run_eagerly=self.run_eagerly)

    def _initialize_callbacks(self):
        super()._initialize_callbacks()
        self._fit_callbacks = [*self._fit_callbacks, *self._training_callbacks()]

    # ------------------------------------------------------------ fit / predict
    @_fit_context(prefer_skip_nested_validation=True)
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
        self._validate_architecture()
        self._check_training_parameters_apply()
        self._check_schedule()
        enable_compilation_cache()
        X = self._check_X(X, reset=True)
        self._check_network_input(self._input_transform(X[:1]).shape)
        if y is None:
            raise ValueError(
                f"{self._name} requires y to be passed, but the target y is None."
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
                f"{self._name} expects y of shape (n_samples,) (labels) or an "
                f"indicator matrix of 0/1 (multi-label); got shape {y.shape} of type "
                f"{type_of_target(y)!r}."
            )
        elif np.unique(y).size < 2:
            raise ValueError(
                f"{self._name} needs at least two classes to train; y has "
                f"only one class ({np.unique(y)[0]!r})."
            )
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
        if self.class_weight is not None:
            weights = compute_sample_weight(self.class_weight, y)
            sample_weight = weights if sample_weight is None else sample_weight * weights
        self._fit_seed = seed_of(self.random_state)
        self.classes_ = None
        BaseWrapper.fit(self, X, y, sample_weight=sample_weight)
        if not np.isfinite(self.history_["loss"][-1]):
            raise ValueError(
                f"{self._name}'s training diverged (loss "
                f"{self.history_['loss'][-1]}): the input overflows the network "
                f"(values up to {np.abs(X).max():.3g}). Feed a log-compressed or "
                "normalised front-end's output, or lower the learning rate."
            )
        return self

    def _check_training_parameters_apply(self):
        defaults = self._training_parameter_defaults()
        for param, what in self._unsupported_training_parameters.items():
            if getattr(self, param) != defaults[param]:
                raise ValueError(
                    f"{self._name}: {param}={getattr(self, param)!r} is {what}, which "
                    f"does not apply to this network; leave it at {defaults[param]!r}."
                )

    def _check_schedule(self):
        name = self._name
        if self.lr_schedule is None:
            if self.snapshot_ensemble:
                raise ValueError(f"{name}: snapshot_ensemble averages the weights saved at "
                                 "the end of every cosine cycle; set "
                                 "lr_schedule='cosine_restarts'.")
            return
        if not isinstance(self.optimizer, str):
            raise ValueError(f"{name}: lr_schedule={self.lr_schedule!r} schedules the "
                             "learning rate of an optimizer given by name; got an optimizer "
                             "instance. Pass its name, or give the instance a "
                             "keras.optimizers.schedules schedule and lr_schedule=None.")
        if self.reduce_lr_patience is not None:
            raise ValueError(f"{name}: lr_schedule and reduce_lr_patience both set the "
                             "learning rate; use one of them.")
        if not self.min_learning_rate < self.learning_rate:
            raise ValueError(f"{name}: the cosine schedule decays from learning_rate="
                             f"{self.learning_rate} to min_learning_rate="
                             f"{self.min_learning_rate}; the minimum must be lower.")
        ends = cycle_ends(self.restart_period, self.restart_growth, self.epochs)
        if self.epochs not in ends:
            advice = f"epochs={ends[-1]} or " if ends else ""
            nxt = cycle_ends(self.restart_period, self.restart_growth, 10 * self.epochs + 1000)
            advice += f"epochs={next(e for e in nxt if e > self.epochs)}"
            warnings.warn(
                f"{name}: epochs={self.epochs} stops inside a cosine cycle (cycles end "
                f"after epochs {ends or 'none yet'}), where the learning rate is still "
                f"high; use {advice}.", UserWarning, stacklevel=3)

    _splits_bands = False  # whether the network splits the bands into two halves

    def _check_network_input(self, shape):
        """Check the network and its training augmentations take inputs of ``shape``."""
        name = self._name
        if self._splits_bands and shape[2] < 2:
            raise ValueError(
                f"{name} splits the bands into a lower and an upper half and needs at "
                f"least 2 bands; got 1 (a 2-D X of 1 feature(s) is one band)."
            )
        if self.random_crop_frames is not None and self.random_crop_frames > shape[1]:
            raise ValueError(
                f"{name}: random_crop_frames={self.random_crop_frames} is longer than "
                f"the samples ({shape[1]} frames); crop fewer frames or use longer clips."
            )
        if self.channel_confusion and (len(shape) != 4 or shape[-1] < 2):
            raise ValueError(
                f"{name}: channel_confusion swaps two channels of a sample and needs "
                f"at least 2 (channels last); one sample here has shape "
                f"{tuple(shape[1:])}. Add channels (Deltas) or set channel_confusion=0."
            )

    def _augment(self, x, rng):
        """The training augmentations of the parameters, applied to batch ``x``."""
        if self.random_crop_frames is not None:
            x = random_time_crop(x, self.random_crop_frames, rng)
        if self.time_mask or self.frequency_mask:
            x = spec_augment(x, self.time_mask, self.frequency_mask, rng)
        if self.channel_confusion:
            x = swap_channels(x, self.channel_confusion, rng)
        return x

    def _augments(self):
        return (self.random_crop_frames is not None or self.time_mask > 0
                or self.frequency_mask > 0 or self.channel_confusion > 0)

    def _check_multilabel(self, y):
        name = self._name
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

    def _validation_indices(self, n_samples, rng):
        """Training and validation sample indices; ``(None, None)`` without a split.

        ``validation_split`` of the samples (or of the groups of samples that
        ``_sample_groups`` keeps together), drawn at random with ``rng``.
        """
        if not self.validation_split:
            return None, None
        groups = self._sample_groups(n_samples)
        if groups is None:
            groups = np.arange(n_samples)
        ids = np.unique(groups)
        n_val = int(ids.size * self.validation_split)
        if not 0 < n_val < ids.size:
            what = "samples" if self._sample_groups(n_samples) is None else "clips"
            raise ValueError(
                f"{self._name}: validation_split={self.validation_split} of "
                f"{ids.size} {what} leaves no {what} on one side; use more {what} or "
                "another validation_split."
            )
        held_out = np.isin(groups, rng.permutation(ids)[:n_val])
        return np.flatnonzero(~held_out), np.flatnonzero(held_out)

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch,
                         **kwargs):
        """The one training loop of every skaudio network (scikeras calls it in fit).

        Holds out the validation samples, then trains on batches drawn from
        ``random_state`` (:class:`TrainingBatches`: shuffled every epoch,
        class-balanced, augmented and mixed where the parameters ask for it).
        """
        y = np.asarray(y)
        if self._multilabel:
            member = y.astype(bool)
        else:
            labels = y.reshape(-1).astype(int)
            member = np.eye(self.n_classes_, dtype=bool)[labels] \
                if self.balanced_batches else None
            # mixup mixes one-hot targets (see _compile_loss)
            y = np.eye(self.n_classes_, dtype=np.float32)[labels] \
                if self.mixup_alpha > 0 else labels
        rng = np.random.default_rng(self._fit_seed)
        train, val = self._validation_indices(X.shape[0], rng)
        validation_data = None
        if train is not None:
            validation_data = (X[val], y[val]) if sample_weight is None else \
                (X[val], y[val], sample_weight[val])
            X, y = X[train], y[train]
            member = None if member is None else member[train]
            sample_weight = None if sample_weight is None else sample_weight[train]
        pools = None
        if self.balanced_batches:
            pools = [np.flatnonzero(member[:, k]) for k in range(member.shape[1])]
            pools = [p for p in pools if p.size]
        batches = TrainingBatches(
            X, y, sample_weight, batch_size=self.batch_size, pools=pools,
            mixup_alpha=float(self.mixup_alpha), rng=rng,
            augment=self._augment if self._augments() else None)
        callbacks = self._fit_callbacks
        if self.lr_schedule is not None:
            steps = -(-X.shape[0] // self.batch_size)
            self._compile(self.model_, cosine_restarts(
                self.learning_rate, self.min_learning_rate, self.restart_period * steps,
                self.restart_growth))
        if self.snapshot_ensemble:
            snapshots = _Snapshots(cycle_ends(self.restart_period, self.restart_growth,
                                              initial_epoch + epochs))
            callbacks = [*callbacks, snapshots]
        _compiled_steps.share_compiled_steps(self.model_)
        history = self.model_.fit(batches, shuffle=False, epochs=initial_epoch + epochs,
                                  initial_epoch=initial_epoch, verbose=self.verbose,
                                  validation_data=validation_data, callbacks=callbacks)
        if self.snapshot_ensemble and len(snapshots.weights) > 1:
            self.model_ = self._snapshot_average(snapshots.weights, X, rng)
        else:
            self._recalibrate_batch_norm(self.model_, X, rng)
        self.history_ = defaultdict(list)
        for key, values in history.history.items():
            self.history_[key] += values

    def _snapshot_average(self, snapshots, X, rng):
        """A model that averages the outputs of the network with each snapshot's weights.

        Each snapshot's batch-normalisation statistics are recomputed with its
        own weights first. The averaging model is one Keras model, so it
        predicts in one call and persists with the estimator; it is not compiled,
        being for prediction only.
        """
        inputs = keras.Input(shape=self.model_.input_shape[1:], name="input")
        members = []
        for k, weights in enumerate(snapshots):
            member = keras.models.clone_model(self.model_)
            member.name = f"snapshot{k + 1}"
            member.set_weights(weights)
            self._recalibrate_batch_norm(member, X, rng)
            members.append(member(inputs))
        return keras.Model(inputs, keras.layers.Average(name="snapshot_average")(members),
                           name=f"{type(self).__name__}_snapshots")  # predicts only

    def _recalibrate_batch_norm(self, model, X, rng):
        """Recompute batch normalisation's statistics with the trained weights.

        Keras predicts with moving averages of the batch statistics seen in
        training, which lag weights that were still moving: on FSDD digits a
        LOG-T network that classified its training batches at 99 % predicted
        at chance with them (its first layer's channels have variances down to
        0.006, so a small error in a mean becomes a large one). One pass over
        the training samples in training mode, every full batch weighted
        equally (as ``torch.optim.swa_utils.update_bn`` does), replaces them
        with the final weights' statistics: that network then predicted its
        test set at 98 %.
        """
        layers = batch_norm_layers(model)
        if not layers:
            return
        order = rng.permutation(X.shape[0])
        batches = [order[i:i + self.batch_size]
                   for i in range(0, max(X.shape[0] - self.batch_size, 0) + 1,
                                  self.batch_size)]
        for layer in layers:  # 0 * an overflowed (inf) statistic would be NaN
            layer.moving_mean.assign(keras.ops.zeros(layer.moving_mean.shape))
            layer.moving_variance.assign(keras.ops.ones(layer.moving_variance.shape))
        statistics = _batch_statistics_function(model, layers)
        totals = None
        for batch in batches:  # every full batch weighted equally
            found = [keras.ops.convert_to_numpy(v).astype(np.float64)
                     for v in statistics(X[batch])]
            totals = found if totals is None else [t + f for t, f in zip(totals, found)]
        for k, layer in enumerate(layers):
            layer.moving_mean.assign(totals[2 * k] / len(batches))
            layer.moving_variance.assign(totals[2 * k + 1] / len(batches))

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
        if self.model_.predict_function is None:  # a fitted or loaded model's first call
            _compiled_steps.share_compiled_steps(self.model_)
        if X.shape[0] <= self.batch_size:
            proba = self.model_.predict_on_batch(Z)
        else:  # progress bars are for training only
            proba = self.model_.predict(Z, batch_size=self.batch_size, verbose=0)
        proba = np.asarray(proba).reshape(X.shape[0], -1)
        if not np.isfinite(proba).all():
            raise ValueError(
                f"{self._name} produced non-finite probabilities: the input "
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

