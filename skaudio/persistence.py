"""Save and load fitted pipelines without pickle: nothing in the file runs on load.

A pickle (``joblib.dump``) is a program: loading one from an untrusted source
runs whatever it says, and it breaks across library versions. :func:`save`
writes one zip file instead, holding

* ``estimator.skops``: the pipeline, every scikit-learn and skaudio part of
  it, in the skops format, which stores data and the *names* of the types to
  rebuild, never code; :func:`load` lists the types the file names and
  refuses, before building anything, a file that names a type outside
  skaudio's own set and the ``trusted`` types the caller adds;
* ``keras/<k>.keras``: every network's Keras model in Keras's own format,
  loaded with ``safe_mode=True`` (a layer that would deserialise Python code,
  such as a ``Lambda``, is refused);
* ``manifest.json``: the format, the number of models and the versions that
  wrote it.

``joblib.dump`` / ``pickle`` keep working as before. skops is an optional
dependency: ``pip install "skaudio[safe]"``.

>>> import os, tempfile
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.linear_model import LogisticRegression
>>> from skaudio import MelSpectrogram, PersaPlus, TemporalStatistics
>>> from skaudio.datasets import make_audio_classification
>>> data = make_audio_classification(n_samples=24, n_classes=2, duration=0.25,
...                                  sr=8000, random_state=0)
>>> pipe = make_pipeline(MelSpectrogram(sr=8000, n_fft=256, hop_length=128, n_mels=16),
...                      PersaPlus(random_state=0), TemporalStatistics(),
...                      LogisticRegression()).fit(data.data, data.target)
>>> path = os.path.join(tempfile.mkdtemp(), "pipe.skaudio")
>>> save(pipe, path)
>>> bool((load(path).predict(data.data) == pipe.predict(data.data)).all())
True
"""

import contextlib
import contextvars
import json
import os
import tempfile
import zipfile

from ._version import __version__

__all__ = ["UntrustedTypeError", "load", "save", "trusted_types"]

FORMAT = "skaudio-safe"
FORMAT_VERSION = 1

# While save() runs: the list that collects the Keras models (NetworkClassifier
# hands its model over and stores its index); while load() runs: the loaded ones.
_KERAS_MODELS = contextvars.ContextVar("skaudio_keras_models", default=None)
_MODEL_KEY = "__skaudio_keras_model__"

# Types outside skaudio that its fitted estimators hold, trusted by load().
_TRUSTED = (
    "builtins.slice",
    "collections.defaultdict",
    "collections.OrderedDict",
    "numpy.dtype",
    "scikeras.utils.transformers.ClassifierLabelEncoder",
    "scikeras.utils.transformers.TargetReshaper",
)


class UntrustedTypeError(ValueError):
    """A file names types that :func:`skaudio.persistence.load` does not trust.

    Raised before anything is built: the message lists the refused type names
    (``"module.Class"``), which ``load(path, trusted=[...])`` accepts once
    the file's source is trusted. A subclass of ``ValueError``, built as one
    (from its message).

    References
    ----------
    .. [1] L. Buitinck et al., "API design for machine learning software:
       experiences from the scikit-learn project," ECML PKDD Workshop on
       Languages for Data Mining and Machine Learning, 2013 (the estimators
       and pipelines, parameters and fitted state, that these files hold).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> path = os.path.join(tempfile.mkdtemp(), "rfft.skaudio")
    >>> save(FunctionTransformer(np.fft.rfft), path)
    >>> try:
    ...     load(path)
    ... except UntrustedTypeError as error:
    ...     print(error)
    '...rfft.skaudio' names types skaudio does not trust: ['numpy.fft.rfft']. Nothing ...
    """


def _skops():
    try:
        import skops.io
    except ImportError:
        raise ImportError("skaudio.persistence needs skops: pip install 'skaudio[safe]' "
                          "(or pip install skops).") from None
    return skops.io


def hand_over_keras_model(state):
    """In ``save``: replace ``state["model_"]`` by a reference to a saved model.

    Called by :class:`skaudio.estimators.NetworkClassifier` when its state is
    taken; outside :func:`save` the state is returned as it is (pickle).
    """
    models = _KERAS_MODELS.get()
    if not isinstance(models, list) or state.get("model_") is None:
        return state
    model = state["model_"]
    index = next((k for k, saved in enumerate(models) if saved is model), len(models))
    if index == len(models):  # skops may take an object's state more than once
        models.append(model)
    return {**state, "model_": {_MODEL_KEY: index}}


def take_back_keras_model(state):
    """In ``load``: replace a model reference in ``state`` by the loaded model."""
    ref = state.get("model_")
    if not (isinstance(ref, dict) and _MODEL_KEY in ref):
        return state
    models = _KERAS_MODELS.get()
    if not isinstance(models, tuple):
        raise ValueError("a network's Keras model is stored beside this state; load the "
                         "file with skaudio.persistence.load.")
    return {**state, "model_": models[ref[_MODEL_KEY]]}


@contextlib.contextmanager
def _models(value):
    token = _KERAS_MODELS.set(value)
    try:
        yield value
    finally:
        _KERAS_MODELS.reset(token)


def trusted_types(untrusted):
    """The names among ``untrusted`` that skaudio trusts.

    Trusted are skaudio's own types (``skaudio.`` prefix) and the few types
    of other libraries that skaudio's fitted estimators hold (the private
    ``_TRUSTED`` list: ``builtins.slice``, ``collections.defaultdict``,
    ``collections.OrderedDict``, ``numpy.dtype`` and scikeras's label
    encoders). :func:`skaudio.persistence.load` trusts these and the
    caller's ``trusted`` names.

    Parameters
    ----------
    untrusted : iterable of str
        Type names (``"module.Class"``) that skops does not trust by default,
        as ``skops.io.get_untrusted_types`` lists them.

    Returns
    -------
    list of str
        The trusted names among ``untrusted``, in their order.

    References
    ----------
    .. [1] L. Buitinck et al., "API design for machine learning software:
       experiences from the scikit-learn project," ECML PKDD Workshop on
       Languages for Data Mining and Machine Learning, 2013 (the estimators
       and pipelines, parameters and fitted state, that these files hold).

    Examples
    --------
    >>> trusted_types(["skaudio.frontends._persa.PersaPlus", "numpy.dtype",
    ...                "numpy.fft.rfft"])
    ['skaudio.frontends._persa.PersaPlus', 'numpy.dtype']
    """
    return [name for name in untrusted
            if name.startswith("skaudio.") or name in _TRUSTED]


def save(estimator, path):
    """Write a fitted (or unfitted) estimator to ``path`` without pickle.

    Parameters
    ----------
    estimator : estimator or Pipeline
        Any composition of scikit-learn and skaudio estimators, networks included.
    path : str or os.PathLike
        The file to write (a zip archive; ``.skaudio`` is a good suffix). It is
        written whole or not at all: a temporary file in the same folder,
        renamed at the end; an existing file is replaced.

    Raises
    ------
    ImportError
        skops is not installed (``pip install "skaudio[safe]"``).

    See Also
    --------
    skaudio.persistence.load : read the file back.

    References
    ----------
    .. [1] L. Buitinck et al., "API design for machine learning software:
       experiences from the scikit-learn project," ECML PKDD Workshop on
       Languages for Data Mining and Machine Learning, 2013 (the estimators
       and pipelines, parameters and fitted state, that these files hold).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skaudio import LogCompression, MelSpectrogram, TemporalStatistics
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.uniform(-0.5, 0.5, (8, 4000)), np.arange(8) % 2
    >>> pipe = make_pipeline(MelSpectrogram(sr=8000, n_fft=256, hop_length=128, n_mels=16),
    ...                      LogCompression(), TemporalStatistics(),
    ...                      LogisticRegression()).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "pipe.skaudio")
    >>> save(pipe, path)
    >>> bool((load(path).predict(X) == pipe.predict(X)).all())
    True
    """
    sio = _skops()
    with _models([]) as models:
        data = sio.dumps(estimator)
    import keras

    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "skaudio": __version__,
                "keras": keras.__version__, "keras_models": len(models)}
    folder = os.path.dirname(os.path.abspath(path))
    fd, partial = tempfile.mkstemp(dir=folder, suffix=".partial")
    os.close(fd)
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive, \
                tempfile.TemporaryDirectory() as scratch:
            archive.writestr("manifest.json", json.dumps(manifest, indent=1))
            archive.writestr("estimator.skops", data)
            for k, model in enumerate(models):
                model_path = os.path.join(scratch, f"{k}.keras")
                model.save(model_path)
                archive.write(model_path, f"keras/{k}.keras")
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def load(path, *, trusted=()):
    """Load an estimator written by :func:`save`, running no code from the file.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`skaudio.persistence.save`.
    trusted : sequence of str, default=()
        Type names (``"module.Class"``) to trust beyond skaudio's own set, such
        as the estimators of another library in the pipeline. Inspect them
        first: ``skops.io.get_untrusted_types(data=...)`` lists a file's types.

    Returns
    -------
    estimator
        The estimator as saved (fitted if it was); its networks' Keras models
        are loaded with ``compile=False`` (prediction needs no compilation).

    Raises
    ------
    UntrustedTypeError
        The file names a type that is neither skaudio's nor in ``trusted``;
        nothing is built.
    ValueError
        The file is not a skaudio model file, or a Keras model in it is unsafe.
    ImportError
        skops is not installed (``pip install "skaudio[safe]"``).

    See Also
    --------
    skaudio.persistence.save : write the file.

    References
    ----------
    .. [1] L. Buitinck et al., "API design for machine learning software:
       experiences from the scikit-learn project," ECML PKDD Workshop on
       Languages for Data Mining and Machine Learning, 2013 (the estimators
       and pipelines, parameters and fitted state, that these files hold).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skaudio import LogCompression, MelSpectrogram, TemporalStatistics
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.uniform(-0.5, 0.5, (8, 4000)), np.arange(8) % 2
    >>> pipe = make_pipeline(MelSpectrogram(sr=8000, n_fft=256, hop_length=128, n_mels=16),
    ...                      LogCompression(), TemporalStatistics(),
    ...                      LogisticRegression()).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "pipe.skaudio")
    >>> save(pipe, path)
    >>> bool((load(path).predict(X) == pipe.predict(X)).all())
    True

    A type that is neither skaudio's nor scikit-learn's must be named:

    >>> from sklearn.preprocessing import FunctionTransformer
    >>> save(FunctionTransformer(np.fft.rfft), path)
    >>> load(path, trusted=["numpy.fft.rfft"]).func is np.fft.rfft
    True
    """
    sio = _skops()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, IsADirectoryError):
        raise ValueError(f"{os.fspath(path)!r} is not a model file written by "
                         "skaudio.persistence.save (not a zip archive).") from None
    with archive:
        names = set(archive.namelist())
        if not {"manifest.json", "estimator.skops"} <= names:
            raise ValueError(f"{os.fspath(path)!r} is not a model file written by "
                             "skaudio.persistence.save (no manifest).")
        manifest = json.loads(archive.read("manifest.json"))
        if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{os.fspath(path)!r}: unknown format {manifest.get('format')!r} "
                             f"version {manifest.get('format_version')!r}.")
        data = archive.read("estimator.skops")
        untrusted = sio.get_untrusted_types(data=data)
        allowed = set(trusted_types(untrusted)) | set(trusted)
        refused = sorted(set(untrusted) - allowed)
        if refused:
            raise UntrustedTypeError(
                f"{os.fspath(path)!r} names types skaudio does not trust: {refused}. "
                "Nothing was loaded. If you trust the file's source and these types, "
                "pass them as load(path, trusted=[...])."
            )
        models = tuple(_load_keras(archive, k) for k in range(manifest["keras_models"]))
    with _models(models):
        return sio.loads(data, trusted=sorted(untrusted))


def _load_keras(archive, k):
    import keras

    from . import augment, networks  # noqa: F401  (register skaudio's layers with Keras)

    with tempfile.TemporaryDirectory() as scratch:
        model_path = os.path.join(scratch, f"{k}.keras")
        with open(model_path, "wb") as out:
            out.write(archive.read(f"keras/{k}.keras"))
        return keras.saving.load_model(model_path, safe_mode=True, compile=False)
