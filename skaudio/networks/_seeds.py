"""Seeds for the random layers of a network, drawn from the network's own seed.

A Keras initializer or dropout layer built without a seed draws one from
Python's global ``random`` module, so a network built that way reads (and
advances) a generator the user owns, and two networks built at once in
threads change each other's weights. Every builder of :mod:`skaudio.networks`
instead takes ``seed`` and gives each random layer a seed drawn in order from
``numpy.random.default_rng(seed)``: the same seed builds the same network, in
any thread, and no global generator is read or written. ``seed=None`` draws
fresh entropy from the operating system (not from a global generator).

The stream lives in a :class:`contextvars.ContextVar`, so it is private to a
thread (and to an asyncio task). A builder called inside another's
:func:`layer_seeds` block with ``seed=None`` continues the outer stream, so an
estimator seeds the whole model it assembles from one ``random_state``.
"""

import contextlib
import contextvars
import inspect

import keras
import numpy as np

from ._dropout import Dropout

_STREAM = contextvars.ContextVar("skaudio_layer_seeds", default=None)


@contextlib.contextmanager
def layer_seeds(seed):
    """Seed the random layers built in this block from ``seed`` (int or None).

    ``None`` inside another ``layer_seeds`` block continues that block's
    stream; at the outermost level it draws fresh entropy.
    """
    if seed is None and _STREAM.get() is not None:
        yield
        return
    token = _STREAM.set(np.random.default_rng(seed))
    try:
        yield
    finally:
        _STREAM.reset(token)


def next_seed():
    """The next layer seed of the current stream (fresh entropy outside any)."""
    rng = _STREAM.get()
    if rng is None:
        rng = np.random.default_rng()
    return int(rng.integers(1, 2**31 - 1))


def initializer(identifier="glorot_uniform"):
    """A Keras initializer, seeded from the current stream when it is random.

    ``identifier`` is a name of :mod:`keras.initializers` (``"he_normal"``,
    ``"orthogonal"``, ``"zeros"``, ...) or an initializer instance, which is
    returned as it is.
    """
    if not isinstance(identifier, str):
        return keras.initializers.get(identifier)
    cls = getattr(keras.initializers, identifier, None)
    if not inspect.isclass(cls):
        return keras.initializers.get(identifier)  # Keras's own error for a bad name
    if "seed" in inspect.signature(cls).parameters:
        return cls(seed=next_seed())
    return cls()


def seeded_dropout(rate, name):
    """A seeded :class:`skaudio.networks._dropout.Dropout` (Keras's, cheaper on JAX)."""
    return Dropout(rate, seed=next_seed(), name=name)
