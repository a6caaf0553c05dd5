"""What every skaudio network trains with: its parameters, optimizer, schedule and cache.

The training parameters (``optimizer``, ``learning_rate``, ``epochs``, ...)
are declared here once, with their defaults, their scikit-learn constraints
and their documentation. A class that trains a Keras network derives from
:class:`TrainingParameters` and declares only its own parameters: its
``__init__`` takes ``**training_params`` and hands them to the base, and the
class gets the full signature (so ``get_params``, ``clone``, ``repr`` and
``help`` show every parameter), the constraints and the documentation of
the training parameters it takes.
"""

import inspect
import os
from collections import namedtuple
from numbers import Integral, Real

import keras
from sklearn.utils._param_validation import Interval, StrOptions

#: ``reduce_lr_patience``'s factor on the learning rate.
LR_REDUCTION_FACTOR = 0.3
#: The least decrease of the monitored loss that ``patience`` and
#: ``reduce_lr_patience`` count as an improvement.
MIN_LOSS_IMPROVEMENT = 1e-4

#: Optimizer names; ``"sgd_momentum"`` is SGD with momentum 0.9 (Hu et al.'s).
OPTIMIZERS = ("adam", "adamw", "sgd", "sgd_momentum", "rmsprop", "nadam", "adagrad")
SGD_MOMENTUM = 0.9


class TrainingParameter(namedtuple("TrainingParameter", "type default constraints doc")):
    """One training parameter: its documented type, default, constraints and text."""

    def __new__(cls, type, default, constraints, doc):
        doc = "\n".join("        " + line if line else "" for line in doc.strip().split("\n"))
        return super().__new__(cls, type, default, constraints, doc)


# name -> TrainingParameter, in signature order.
TRAINING_PARAMETERS = {
    "gain_augment_db": TrainingParameter(
        "float", 0.0, [Interval(Real, 0, None, closed="left")], """
Random gain, uniform in ``±gain_augment_db`` dB, added to every training
sample (in bels, ``g / 10``, for log-power input) while the network
trains; never at prediction (Vrysis et al., IV: LOG-AU 30, PERSA+ 3)."""),
    "optimizer": TrainingParameter(
        "str or keras.optimizers.Optimizer", "adam",
        [StrOptions(set(OPTIMIZERS)), keras.optimizers.Optimizer], """
A Keras optimizer's name (built with ``learning_rate``) or instance."""),
    "learning_rate": TrainingParameter(
        "float", 1e-3, [Interval(Real, 0, None, closed="neither")], """
The optimizer's learning rate, when ``optimizer`` is a name."""),
    "epochs": TrainingParameter(
        "int", 30, [Interval(Integral, 1, None, closed="left")], """
Passes over the training data."""),
    "batch_size": TrainingParameter(
        "int", 32, [Interval(Integral, 1, None, closed="left")], """
Training examples per gradient step; also the prediction batch."""),
    "validation_split": TrainingParameter(
        "float", 0.0, [Interval(Real, 0, 1, closed="left")], """
Fraction of the training samples (drawn at random with ``random_state``)
held out to monitor ``val_loss``."""),
    "patience": TrainingParameter(
        "int or None", None, [Interval(Integral, 0, None, closed="left"), None], """
Early stopping: stop after ``patience`` epochs without a better monitored
loss (lower by at least 1e-4) and restore the best weights. The monitored loss is ``val_loss`` with
a ``validation_split``, else the training loss (then training stops where
the training loss has reached a plateau)."""),
    "reduce_lr_patience": TrainingParameter(
        "int or None", None, [Interval(Integral, 0, None, closed="left"), None], """
Learning-rate schedule: multiply the learning rate by 0.3 after
``reduce_lr_patience`` epochs without a better monitored loss (as for
``patience``); None keeps it constant."""),
    "lr_schedule": TrainingParameter(
        'None or "cosine_restarts"', None, [StrOptions({"cosine_restarts"}), None], """
``"cosine_restarts"``: cosine decay with warm restarts (SGDR, Loshchilov
and Hutter 2017; Hu et al., 5.2) from ``learning_rate`` down to
``min_learning_rate`` over ``restart_period`` epochs, then again over
``restart_growth`` times as many, and so on. Needs ``optimizer`` by name
(Hu et al. train with ``"sgd_momentum"`` and ``learning_rate=0.1``) and no
``reduce_lr_patience``; end ``epochs`` at the end of a cycle. None keeps
the learning rate constant."""),
    "min_learning_rate": TrainingParameter(
        "float", 1e-5, [Interval(Real, 0, None, closed="left")], """
The learning rate at the end of every cosine cycle (``lr_schedule``)."""),
    "restart_period": TrainingParameter(
        "int", 4, [Interval(Integral, 1, None, closed="left")], """
Epochs of the first cosine cycle (``lr_schedule``)."""),
    "restart_growth": TrainingParameter(
        "float", 2.0, [Interval(Real, 1, None, closed="left")], """
Each cosine cycle lasts ``restart_growth`` times as long as the one before
(``lr_schedule``): with the defaults cycles end after epochs 4, 12, 28, 60."""),
    "snapshot_ensemble": TrainingParameter(
        "bool", False, ["boolean"], """
Average at prediction the outputs of the weights saved at the end of every
completed cosine cycle (``lr_schedule``), where the learning rate is at its
minimum (snapshot ensembles, Huang et al. 2017; Hu et al., 5.2)."""),
    "random_crop_frames": TrainingParameter(
        "int or None", None, [Interval(Integral, 1, None, closed="left"), None], """
Train on ``random_crop_frames`` consecutive frames of each sample, at a
random start drawn per sample and batch (Hu et al., 3: 400 of 423 frames).
The network is built for inputs of any length and predicts on the full
input: with convolutions and global pooling that averages over every crop
position, and it uses all the frames."""),
    "time_mask": TrainingParameter(
        "float", 0.0, [Interval(Real, 0, 1, closed="left")], """
SpecAugment (Park et al. 2019; Hu et al., 3): one time mask per training
sample, up to this fraction of its frames wide, filled with the sample's
mean; 0 is off."""),
    "frequency_mask": TrainingParameter(
        "float", 0.0, [Interval(Real, 0, 1, closed="left")], """
SpecAugment's frequency mask: up to this fraction of the bands (as
``time_mask``)."""),
    "channel_confusion": TrainingParameter(
        "float", 0.0, [Interval(Real, 0, 1, closed="both")], """
Channel confusion (Hu et al., 3): the probability that a training sample
has two random channels swapped (at least 2 channels); 0 is off."""),
    "class_weight": TrainingParameter(
        'dict, "balanced" or None', None, [dict, StrOptions({"balanced"}), None], """
Class weights, applied as sample weights."""),
    "mixup_alpha": TrainingParameter(
        "float", 0.0, [Interval(Real, 0, None, closed="left")], """
Mixup (Zhang et al.; Xu, 5.2.4, eq. 27): every training batch mixes each
example and its target with another example of the batch, with a weight
``lam ~ Beta(mixup_alpha, mixup_alpha)`` per example; 0 is off. Never at
prediction."""),
    "balanced_batches": TrainingParameter(
        "bool", False, ["boolean"], """
Mini-batch class balancing (Xu, 5.1.2): every training batch holds the
classes (multi-label: the labels) in equal numbers, to within one, minority
classes repeated."""),
    "input_normalization": TrainingParameter(
        "bool", False, ["boolean"], """
A BatchNormalization layer in front of the network (one mean and variance
per channel, learned from the training batches): a fixed affine map at
prediction, so it keeps an invariant front-end's invariance, and being
learned on the training set, it does not make LOG invariant to the input
gain. It centres inputs far from zero; the VGG-like network's own batch
normalisation (``batch_norm=True``) is what keeps it from stalling on LOG,
LOG-T or PERSA of padded speech, where this layer alone did not."""),
    "random_state": TrainingParameter(
        "int, RandomState instance or None", None, ["random_state"], """
Seeds weight initialisation, dropout, augmentation, shuffling and the
validation split: with an int, refitting on the CPU gives the same model, in
any thread. No global random generator is read or written; None draws fresh
entropy from the operating system."""),
    "verbose": TrainingParameter(
        "int", 0, ["verbose"], """
Keras's progress output: 0 silent, 1 a progress bar, 2 one line per epoch."""),
    "run_eagerly": TrainingParameter(
        "bool", False, ["boolean"], """
Run Keras op by op instead of compiling the training step with XLA:
slower on real data, faster for tiny networks (where compilation
dominates) and easier to debug."""),
}

_PLACEHOLDER = "{training_parameters}"


class TrainingParameters:
    """Mixin: the training parameters of :data:`TRAINING_PARAMETERS`, declared once.

    A subclass lists its own parameters in ``__init__``, ends the signature
    with ``**training_params`` and calls ``super().__init__(**training_params)``;
    ``_parameter_constraints`` holds its own constraints only. The subclass may
    leave parameters out (``_training_excluded``) or change their defaults
    (``_training_defaults``); its docstring's ``{training_parameters}`` line
    becomes their documentation.
    """

    _training_excluded = ()
    _training_defaults = {}

    def __init__(self, **training_params):
        defaults = self._training_parameter_defaults()
        unknown = sorted(set(training_params) - set(defaults))
        if unknown:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword "
                            f"argument {unknown[0]!r}")
        for name, default in defaults.items():
            setattr(self, name, training_params.get(name, default))

    @classmethod
    def _training_parameter_defaults(cls):
        return {name: cls._training_defaults.get(name, param.default)
                for name, param in TRAINING_PARAMETERS.items()
                if name not in cls._training_excluded}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        defaults = cls._training_parameter_defaults()
        own = [p for p in inspect.signature(cls.__init__).parameters.values()
               if p.kind is not p.VAR_KEYWORD and p.name not in TRAINING_PARAMETERS]
        init = cls.__dict__.get("__init__")
        if init is None:  # the parent's, with a signature of this class's defaults
            parent_init = cls.__init__

            def init(self, *args, **kwargs):
                parent_init(self, *args, **kwargs)
            cls.__init__ = init
        init.__signature__ = inspect.Signature(
            own + [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=value)
                   for name, value in defaults.items()])
        # Its own parameters' constraints, wherever in the hierarchy declared.
        declared = {}
        for klass in reversed(cls.__mro__):
            declared.update(klass.__dict__.get("_parameter_constraints", {}))
        cls._parameter_constraints = {
            **{name: TRAINING_PARAMETERS[name].constraints for name in defaults},
            **{p.name: declared[p.name] for p in own if p.name in declared},
        }
        if cls.__doc__ and _PLACEHOLDER in cls.__doc__:
            cls.__doc__ = cls.__doc__.replace("    " + _PLACEHOLDER, "\n".join(
                f"    {name} : {TRAINING_PARAMETERS[name].type}, default={value!r}\n"
                f"{TRAINING_PARAMETERS[name].doc}" for name, value in defaults.items()))

    def _training_callbacks(self):
        """Keras callbacks of ``patience`` and ``reduce_lr_patience``."""
        monitor = "val_loss" if self.validation_split else "loss"
        callbacks = []
        if self.reduce_lr_patience is not None:
            callbacks.append(keras.callbacks.ReduceLROnPlateau(
                monitor=monitor, factor=LR_REDUCTION_FACTOR,
                patience=self.reduce_lr_patience, min_delta=MIN_LOSS_IMPROVEMENT))
        if self.patience is not None:
            callbacks.append(keras.callbacks.EarlyStopping(
                monitor=monitor, patience=self.patience, min_delta=MIN_LOSS_IMPROVEMENT,
                restore_best_weights=True))
        return callbacks


def make_optimizer(optimizer, learning_rate):
    """A Keras optimizer from its name (with ``learning_rate``, a float or a
    schedule) or as given."""
    if optimizer == "sgd_momentum":
        return keras.optimizers.SGD(learning_rate=learning_rate, momentum=SGD_MOMENTUM)
    if isinstance(optimizer, str):
        return keras.optimizers.get(
            {"class_name": optimizer, "config": {"learning_rate": learning_rate}})
    return optimizer


def cosine_restarts(learning_rate, min_learning_rate, period_steps, growth):
    """SGDR's learning rate: cosine decay from ``learning_rate`` to
    ``min_learning_rate`` over ``period_steps``, restarted with cycles
    ``growth`` times longer each time (Loshchilov and Hutter 2017).

    At step ``t`` of a cycle of ``T`` steps the rate is
    ``min + (max - min) * (1 + cos(pi * t / T)) / 2``.
    """
    return keras.optimizers.schedules.CosineDecayRestarts(
        learning_rate, period_steps, t_mul=growth, m_mul=1.0,
        alpha=min_learning_rate / learning_rate)


def cycle_ends(period, growth, epochs):
    """The epochs (1-based) at which the cosine cycles end, up to ``epochs``.

    A cycle that ends inside an epoch counts as ended at the end of the
    epoch before (the rate then is near its minimum; at the end of that
    epoch it has restarted).
    """
    ends, end, length = [], 0.0, float(period)
    while end + length <= epochs + 1e-9:
        end += length
        ends.append(int(end + 1e-9))
        length *= growth
    return ends


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
    path : str or None, default=None
        Cache folder; None: ``$SKAUDIO_COMPILATION_CACHE`` if it names one,
        else ``~/.cache/skaudio/jax``. Ignored when JAX already has a cache
        directory (that one stays in use).

    Returns
    -------
    str or None
        The cache folder in use (JAX's existing one, if it had one), or None
        when nothing was enabled (a backend other than JAX, or
        ``SKAUDIO_COMPILATION_CACHE=0``).

    Notes
    -----
    Sets JAX's process-wide options ``jax_compilation_cache_dir`` and
    ``jax_persistent_cache_min_compile_time_secs`` (0.1 s: programs that
    compile faster are not stored).

    References
    ----------
    .. [1] L. Buitinck et al., "API design for machine learning software:
       experiences from the scikit-learn project," ECML PKDD Workshop on
       Languages for Data Mining and Machine Learning, 2013 (the
       cross-validation and grid-search conventions, in which every fold and
       candidate fits a fresh clone and so compiles the same network again).

    Examples
    --------
    Calling it again changes nothing and returns the same folder:

    >>> from skaudio.estimators import enable_compilation_cache
    >>> folder = enable_compilation_cache()
    >>> enable_compilation_cache() == folder
    True
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
