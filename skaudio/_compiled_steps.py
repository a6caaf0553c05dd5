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
settings and skaudio's trace-time convolution settings. Left out is only
what the steps do not read: the seeds of Keras's and skaudio's
initializers (used when the weights are created) and random layers (their
generators' states are variables), the optimizer's name (made unique per
instance) and a constant learning rate (an optimizer variable).
A model whose configuration does not serialise is not shared. The last
:data:`MAX_ARCHITECTURES` architectures are kept, each with the first
model that compiled them (which its steps trace again for a new input
shape): that model's weights and optimizer slots stay in memory while it is
kept, 36 MB for the DCASE FCNN.
"""

import hashlib
import json
import threading
from collections import OrderedDict

import keras
import numpy as np

from .networks import _conv

MAX_ARCHITECTURES = 4

_SHARED = OrderedDict()  # trace key -> {step name: function}
_LOCK = threading.Lock()


def trace_key(model):
    """What a compiled step of ``model`` depends on besides its arguments (or None).

    None where the model does not train compiled on JAX or its configuration
    does not serialise.
    """
    if keras.backend.backend() != "jax" or model.run_eagerly or not model.jit_compile:
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
             _conv.PATCH_BYTES, _conv.cpu_parts()],
            sort_keys=True, default=_encode)
    except (NotImplementedError, TypeError, KeyError):
        return None


def share_compiled_steps(model):
    """Give ``model`` the compiled train, test and predict steps of its architecture.

    The first model of an architecture makes them (``make_*_function``);
    later ones receive them. Call after ``compile``, which resets them.
    """
    key = trace_key(model)
    if key is None:
        return
    with _LOCK:
        steps = _steps_of(key)
        if model.compiled and "train" not in steps:
            model.make_train_function()
            model.make_test_function()
            steps.update(train=model.train_function, test=model.test_function)
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
