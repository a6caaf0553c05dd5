"""Compiled Keras steps shared by the networks of one architecture in a process.

On JAX, Keras compiles a model's train, test and predict steps as
``jax.jit`` of the model's own methods, so every new model is traced and
lowered again, and its executable fetched from the compilation cache, even
when a model of the same architecture was compiled a moment before: every
grid-search candidate, every cross-validation fold. For the DCASE FCNN that
is 0.8 s of a 3.4-s short fit (``benchmarks/training.py``). The steps are
stateless (weights, optimizer slots, metric totals and the random layers'
generator states are their arguments; the layers' Python objects are read
only while tracing), so models of the same architecture, loss, optimizer and
metrics can run one model's compiled steps, which then trace once per input
shape in the process.

Two models share steps when their :func:`trace_key` is equal: the JSON of
the model's configuration and compile configuration, the Keras numeric
settings, skaudio's trace-time convolution settings and its compiler
options. Left out is only what the steps do not read: the seeds of Keras's
and skaudio's initializers (used when the weights are created) and random
layers (their generators' states are variables), the optimizer's name (made
unique per instance) and a constant learning rate (an optimizer variable).
A model whose configuration does not serialise is not shared. The last
:data:`MAX_ARCHITECTURES` architectures are kept, each with the first
model that compiled them (which its steps trace again for a new input
shape): that model's weights and optimizer slots stay in memory while it is
kept, 36 MB for the DCASE FCNN.

On JAX's CPU backend the training steps (train, test and the batch-norm
recalibration pass) are compiled with :data:`CPU_COMPILER_OPTIONS`
(:func:`compiler_options`): XLA's CPU compiler hands 2-D convolutions and
matrix products to YNNPACK by default, whose kernels run each operation on
one thread, and XLA's executor starts a second thread only when more than 8
operations are ready at once, so the convolutions of a training step used
one core of two. Left to XLA's own (Eigen's) kernels, which share every
operation among the cores, they run 1.3-2 times faster (32 samples of 32 x
32 x 32 -> 64 channels: 4.5 ms against 8.2 ms forwards), and training steps
1.01-1.2 times (``benchmarks/compiler_options.py``). Reductions stay
YNNPACK's (XLA's own make the batch-normalisation statistics several times
slower). The predict step keeps XLA's defaults: waking the threads for a
single clip costs more than they save (``predict_proba`` of one clip of the
VGG-like CNN takes 1.2-1.4 times as long with the options; 256 clips 4 %
less). Only these steps are affected, never the process's other JAX code;
the numbers differ from YNNPACK's in float32 rounding. A process that may
use one thread only (joblib's workers when ``n_jobs`` fills the cores) keeps
YNNPACK's kernels, which are the faster ones there: its fits equal the main
process's up to that rounding.
"""

import functools
import hashlib
import inspect
import json
import os
import threading
from collections import OrderedDict

import keras
import numpy as np

from .networks import _conv

MAX_ARCHITECTURES = 4

#: XLA options of skaudio's compiled training steps on JAX's CPU backend (see
#: the module): YNNPACK takes only reductions, convolutions and matrix products
#: run on XLA's multi-threaded kernels.
CPU_COMPILER_OPTIONS = {"xla_cpu_experimental_ynn_fusion_type": "LIBRARY_FUSION_TYPE_REDUCE"}

_SHARED = OrderedDict()  # trace key -> {step name: function}
_LOCK = threading.Lock()


def trace_key(model):
    """What a compiled step of ``model`` depends on besides its arguments (or None).

    None where the model does not train compiled on JAX or its configuration
    does not serialise.
    """
    if not _compiled_on_jax(model):
        return None
    try:
        config = _without_seeds(model.get_config())
        compiled = model.get_compile_config() if model.compiled else None
        if compiled is not None:
            optimizer = dict(compiled["optimizer"]["config"], name=None)  # a unique name
            if isinstance(optimizer.get("learning_rate"), float):
                optimizer["learning_rate"] = None
            compiled["optimizer"] = {**compiled["optimizer"], "config": optimizer}
        return json.dumps(
            [type(model).__module__, type(model).__qualname__, config, compiled,
             keras.config.floatx(), keras.config.epsilon(), keras.config.image_data_format(),
             _conv.PATCH_BYTES, _conv.SHIFTED_SUM_POSITIONS, _conv.cpu_parts(),
             compiler_options()],
            sort_keys=True, default=_encode)
    except (NotImplementedError, TypeError, KeyError):
        return None


def share_compiled_steps(model):
    """Give ``model`` the compiled train, test and predict steps of its architecture.

    The first model of an architecture makes them (the train and test steps
    with :func:`compiler_options`); later ones receive them. A model whose
    configuration does not serialise gets steps of its own. Call after
    ``compile``, which resets them.
    """
    if not _compiled_on_jax(model):
        return
    key = trace_key(model)
    with _LOCK:
        steps = _steps_of(key) if key is not None else {}
        if model.compiled and "train" not in steps:
            steps.update(_make_steps(model))
        if "predict" not in steps:
            model.make_predict_function()
            steps["predict"] = model.predict_function
        if model.compiled:
            model.train_function, model.test_function = steps["train"], steps["test"]
        model.predict_function = steps["predict"]


def shared_function(model, name, make):
    """The function ``name`` of ``model``'s architecture, made by ``make()`` if new.

    None where ``model`` does not share compiled steps (:func:`trace_key`).
    ``make`` must build a compiled function of the model's state (not of its
    variables' current values) whose trace reads only what the key covers.
    """
    key = trace_key(model)
    if key is None:
        return None
    with _LOCK:
        steps = _steps_of(key)
        if name not in steps:
            steps[name] = make()
        return steps[name]


def jit(function, **kwargs):
    """``jax.jit(function, **kwargs)`` compiled with :func:`compiler_options`."""
    import jax

    options = compiler_options()
    return jax.jit(function, **kwargs) if options is None \
        else jax.jit(function, compiler_options=options, **kwargs)


@functools.cache
def compiler_options():
    """:data:`CPU_COMPILER_OPTIONS` where JAX compiles for CPU and knows them, else None.

    None on other backends and devices; with a JAX whose ``jax.jit`` takes
    no ``compiler_options`` or whose XLA lacks the options (checked by
    compiling a trivial function with them); and where the process may use
    one thread only (one core, or ``OMP_NUM_THREADS=1``, which joblib sets in
    its worker processes when ``n_jobs`` fills the cores): there YNNPACK's
    single-threaded kernels are the faster ones (two processes training the
    VGG-like CNN side by side on 2 cores: 8-13 % faster with them). Decided
    once per process.
    """
    if keras.backend.backend() != "jax" or _threads() < 2:
        return None
    import jax

    if jax.default_backend() != "cpu" \
            or "compiler_options" not in inspect.signature(jax.jit).parameters:
        return None
    try:
        jax.jit(lambda x: x + 1, compiler_options=CPU_COMPILER_OPTIONS).lower(
            np.float32(0)).compile()
    except (RuntimeError, ValueError):  # an XLA without them
        return None
    return dict(CPU_COMPILER_OPTIONS)


def _threads():
    """Threads this process may use: its cores, fewer where ``OMP_NUM_THREADS`` says so."""
    cores = _conv.cpu_parts()
    try:
        limit = int(os.environ.get("OMP_NUM_THREADS", ""))
    except ValueError:
        return cores
    return min(cores, limit) if limit > 0 else cores


def clear():
    """Forget every shared step (the next model of each architecture compiles its own)."""
    with _LOCK:
        _SHARED.clear()


def _steps_of(key):
    """The steps shared under ``key`` (new: none yet), the most recently used now."""
    steps = _SHARED.setdefault(key, {})
    _SHARED.move_to_end(key)
    while len(_SHARED) > MAX_ARCHITECTURES:
        _SHARED.popitem(last=False)
    return steps


def _compiled_on_jax(model):
    """Whether ``model``'s steps are compiled JAX functions."""
    return keras.backend.backend() == "jax" and not model.run_eagerly and model.jit_compile


def _make_steps(model):
    """``model``'s Keras train and test step functions, newly made.

    What Keras's ``make_train_function`` and ``make_test_function`` build,
    compiled by :func:`jit` with the compiler options; Keras's own where
    there are none or the functions cannot be rebuilt so (a distribution,
    Flax NNX, a Keras without ``_make_function``).
    """
    replicable = hasattr(model, "_make_function") and keras.distribution.distribution() is None \
        and not getattr(keras.config, "is_nnx_enabled", lambda: False)()
    if compiler_options() is None or not replicable:
        model.make_train_function()
        model.make_test_function()
        return {"train": model.train_function, "test": model.test_function}
    return {"train": model._make_function(jit(model.train_step, donate_argnums=0)),
            "test": model._make_function(jit(model.test_step, donate_argnums=0))}


def _without_seeds(config):
    """``config`` without the seeds of Keras's and skaudio's layers and initializers.

    Their initializers run when the weights are created; their random layers
    draw from a ``keras.random.SeedGenerator``, whose state is a variable:
    neither seed is read by a step.
    """
    if isinstance(config, (list, tuple)):
        return [_without_seeds(v) for v in config]
    if not isinstance(config, dict):
        return config
    config = {k: _without_seeds(v) for k, v in config.items()}
    if str(config.get("module")).startswith(("keras.", "skaudio.")) \
            and isinstance(config.get("config"), dict):
        config["config"] = {k: v for k, v in config["config"].items() if k != "seed"}
    return config


def _encode(value):
    """JSON for the NumPy values a configuration may hold; a TypeError otherwise."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [str(value.dtype), value.shape, hashlib.sha256(value.tobytes()).hexdigest()]
    raise TypeError(f"{type(value).__name__} in a model configuration")
