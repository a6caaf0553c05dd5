"""A transformer whose ``fit`` and ``transform`` results are cached on disk.

``Pipeline(memory=...)`` caches a transformer's ``fit_transform`` on the data
it is fitted on, so a grid search computes each training fold's features once;
every candidate still transforms its test fold again. :class:`CachedTransformer`
caches ``transform`` as well, keyed on the fitted transformer and the input:
test folds, the refit and repeated searches then reuse the features too. With
``per_sample=True``, for transformers that learn nothing from data, it caches
each sample's output on its own: every file's features are computed once,
whatever the folds.
"""

import os
import pickle
import warnings
import zlib
from pathlib import Path

import joblib
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils._param_validation import HasMethods
from sklearn.utils._set_output import _safe_set_output
from sklearn.utils.validation import _num_samples, check_is_fitted, check_memory

from ._params import invalid_parameter
from ._sample_store import SampleStore, check_samples, sample_keys
from ._version import __version__
from .base import VersionedStateMixin

__all__ = [
    "CachedTransformer",
]


# The fit functions are cached on ``fit_key``, a hash of their other arguments
# computed once per fit, which also keys the transforms of the fitted
# transformer: hashing the fitted object instead would not do, since pickling
# a Keras model, say, gives different bytes every time.
_FIT_ARGUMENTS = ["transformer", "X", "y", "fit_params"]


def _fit(transformer, X, y, fit_params, fit_key):
    return transformer.fit(X, y, **fit_params)


def _fit_transform(transformer, X, y, fit_params, fit_key):
    # The transformer's own fit_transform: for a pipeline of AudioLoader and
    # MelSpectrogram, one decoding of the files instead of two.
    Xt = transformer.fit_transform(X, y, **fit_params)
    return Xt, transformer, _output_checksum(Xt)


def _transform(transformer, fit_key, X):
    Xt = transformer.transform(X)
    return Xt, _output_checksum(Xt)


def _output_checksum(output):
    """A checksum of an output's values, cached with it and checked on every load.

    joblib notices a truncated file (it fails to unpickle and recomputes) but
    not a changed byte inside an array, which would come back silently wrong.
    """
    if isinstance(output, np.ndarray) and output.dtype.kind in "biufc":
        # CRC-32 (4 GB/s here; BLAKE2b 0.9): it is checked on every cache hit.
        crc = zlib.crc32(f"{output.dtype.str}{output.shape}".encode())
        return zlib.crc32(memoryview(np.ascontiguousarray(output)).cast("B"), crc)
    return joblib.hash(output)


def _cache_key(*objects):
    """joblib's hash of ``objects``, with a clear error when they do not pickle."""
    try:
        return joblib.hash(list(objects))
    except (pickle.PicklingError, AttributeError, TypeError) as error:
        # joblib wraps pickle's message with a repr of everything it hashed.
        reason = error.args[0] if error.args else error
        if isinstance(reason, tuple):
            reason = reason[0]
        raise TypeError(
            "CachedTransformer: the cache key is a hash of the transformer's "
            f"parameters and the input, which must pickle, and they do not ({reason}). "
            "A lambda or a function defined inside another does not pickle: define "
            "it at a module's top level."
        ) from error


def _learns_nothing(estimator):
    """Whether ``estimator`` learns nothing in ``fit``: its tags say it needs no
    fit, or it is a Pipeline or FeatureUnion of such steps."""
    if isinstance(estimator, Pipeline):
        steps = [step for _, step in estimator.steps]
    elif isinstance(estimator, FeatureUnion):
        steps = [step for _, step in estimator.transformer_list]
    else:
        return not get_tags(estimator).requires_fit
    return all(_learns_nothing(step) for step in steps
               if step is not None and not isinstance(step, str))


class CachedTransformer(VersionedStateMixin, TransformerMixin, BaseEstimator,
                        auto_wrap_output_keys=None):
    """Cache a transformer's ``fit`` and ``transform`` with :class:`joblib.Memory`.

    ``fit`` and ``fit_transform`` fit a clone of ``transformer``, cached on a
    hash of the unfitted clone (its class and parameters), ``X``, ``y`` and the
    fit parameters; ``transform`` is cached on that same hash, which stands for
    the fitted state, and a hash of its ``X``. A result is reused only when all
    of these are equal, so a cached output is the one the transformer would
    compute, for stateful transformers too, as long as fitting is
    deterministic.

    With ``per_sample=True`` each sample's output is cached on its own, keyed
    on the unfitted transformer and the sample (a file path with its size and
    modification time, or an array row's bytes), and any set of samples seen
    before is read back, in any order or subset. This is for transformers
    that learn nothing from data and transform each sample independently --
    every skaudio feature and front-end, and :class:`~skaudio.AudioLoader`
    with a ``duration`` -- and is checked through their tags (``requires_fit``
    false, or a Pipeline of such steps): ``fit`` then only fits a clone on the
    first sample, to check the parameters. A grid search then computes each
    file's features once, instead of once per fold.

    Use it for an expensive step whose input hashes fast: audio decoding and
    mel spectrograms fed with file names (hashed in microseconds), or
    :class:`~skaudio.VGGishEmbedder`. joblib hashes an array at roughly the
    speed a mel spectrogram is computed from it, so caching a cheap step fed
    with waveforms saves little. Don't cache a step whose output depends on a
    ``random_state=None``: the first draw would be replayed. Clear the folder
    after upgrading skaudio or the libraries below it (the per-sample cache
    tells skaudio versions apart, not the others). Nothing is ever evicted:
    the folder grows with every parameter set and every rewritten file until
    it is deleted (:meth:`joblib.Memory.clear` clears joblib's part only, not
    the per-sample ``skaudio-per-sample`` subfolder).

    Faults: every cached output carries a checksum of its values, checked when
    it is read back; an output whose file was truncated, changed or damaged
    is computed again (with a ``RuntimeWarning``), never returned. Files are
    written under temporary names and renamed, so a process killed while
    writing leaves nothing that is read, and processes can fill one folder at
    once. The per-sample cache warns and computes without caching when the
    folder cannot be written (read-only, disk full). A cached *fit* (the
    fitted transformer) has no checksum: a Keras model pickles to other bytes
    every time; a damaged one fails to unpickle and joblib refits it.

    Parameters
    ----------
    transformer : estimator with ``fit`` and ``transform``
        The transformer to cache; it is cloned, not modified.
    memory : None, str, path or joblib.Memory, default=None
        Where to cache: a folder, a :class:`joblib.Memory`, or None (no
        caching, the plain transformer), as for :class:`sklearn.pipeline.Pipeline`.
    per_sample : bool, default=False
        Cache each sample's output on its own (see above); the transformer
        must learn nothing from data and return an array with one row per
        sample.

    Attributes
    ----------
    transformer_ : estimator
        The fitted clone of ``transformer``.
    n_features_in_ : int
        Copied from ``transformer_`` where it has one.

    See Also
    --------
    sklearn.pipeline.Pipeline : its ``memory`` caches ``fit_transform`` only.

    References
    ----------
    .. [1] L. Buitinck et al., "API design for machine learning software: experiences
       from the scikit-learn project," ECML PKDD Workshop on Languages for Data
       Mining and Machine Learning, 2013 (the transformer interface and the
       pipelines it composes into, whose caching this meta-estimator extends to
       ``transform``).

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from skaudio import CachedTransformer, MelSpectrogram
    >>> folder = tempfile.mkdtemp()
    >>> X = np.random.default_rng(0).standard_normal((4, 8000)).astype(np.float32)
    >>> mel = CachedTransformer(MelSpectrogram(sr=8000, n_mels=32), memory=folder)
    >>> mel = mel.fit(X)
    >>> first = mel.transform(X)   # computed and stored
    >>> again = mel.transform(X)   # read from the cache
    >>> first.shape, bool(np.array_equal(first, again))
    ((4, 16, 32), True)

    Per sample, any subset of clips seen before is read back:

    >>> mel = CachedTransformer(MelSpectrogram(sr=8000, n_mels=32), memory=folder,
    ...                         per_sample=True)
    >>> _ = mel.fit_transform(X)
    >>> bool(np.array_equal(mel.transform(X[[3, 1]]), first[[3, 1]]))
    True
    """

    _parameter_constraints = {
        "transformer": [HasMethods(["fit", "transform"])],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
        "per_sample": ["boolean"],
    }

    def __init__(self, transformer, memory=None, per_sample=False):
        self.transformer = transformer
        self.memory = memory
        self.per_sample = per_sample

    @classmethod
    def _get_test_params(cls):
        """Cheap configurations for the common tests (see :mod:`skaudio.discovery`).

        ``memory=None`` is a placeholder: the tests put a temporary folder there.
        """
        from sklearn.preprocessing import StandardScaler

        from .frontends import PerSampleNorm

        return [
            # A stateful transformer: cached fits and transforms.
            {"transformer": StandardScaler(), "memory": None},
            # A stateless one, each sample's output cached on its own.
            {"transformer": PerSampleNorm(), "memory": None, "per_sample": True},
        ]

    def _memory(self):
        memory = self.memory
        return check_memory(os.fspath(memory) if isinstance(memory, os.PathLike) else memory)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, **fit_params):
        """Fit a clone of ``transformer``, or load the one fitted on equal input.

        Parameters
        ----------
        X : input of ``transformer``
        y : array-like or None
        **fit_params : passed to ``transformer.fit``

        Returns
        -------
        self
        """
        if self._per_sample():
            self._fit_on_first_sample(X, y, fit_params)
        else:
            self._set_fitted(self._cached_fit(_fit, X, y, fit_params))
        return self

    def _per_sample(self):
        """Whether to cache per sample: asked for, with a folder to cache in."""
        if not self.per_sample or self._memory().location is None:
            return False
        if not _learns_nothing(self.transformer):
            raise invalid_parameter(
                "CachedTransformer",
                "per_sample=True caches each sample's output on its own, which needs "
                "a transformer that learns nothing from data; "
                f"{type(self.transformer).__name__} (or one of its steps) learns in "
                "fit. Use per_sample=False (for AudioLoader, set duration=...).")
        return True

    def _fit_on_first_sample(self, X, y, fit_params):
        # The transformer learns nothing: a fit on one sample checks its
        # parameters and gives the state a fit on all of them would.
        X = check_samples(X)
        first = [0] if _num_samples(X) else []
        y = None if y is None else _safe_indexing(check_samples(y), first)
        transformer = clone(self.transformer)
        key = _cache_key(transformer, __version__)
        self._set_fitted(transformer.fit(_safe_indexing(X, first), y, **fit_params))
        self._fit_key = None  # its transforms are cached per sample only
        self._store = SampleStore(Path(self._memory().location) / "skaudio-per-sample"
                                  / key)

    def _cached_fit(self, function, X, y, fit_params):
        """``function(clone, X, y, fit_params, fit_key)`` through the cache."""
        transformer = clone(self.transformer)
        self._fit_key = _cache_key(transformer, X, y, fit_params)
        return self._checked(function, _FIT_ARGUMENTS, transformer, X, y, fit_params,
                             self._fit_key)

    def _checked(self, function, ignore, *args):
        """``function(*args)`` through the cache; an output returned with its
        checksum (the last value) is recomputed when the loaded one does not match."""
        memory = self._memory()
        memorized = memory.cache(function, ignore=ignore)
        result = memorized(*args)
        if (memory.location is not None and isinstance(result, tuple)
                and result[-1] != _output_checksum(result[0])):
            warnings.warn(
                f"CachedTransformer: a cached output in {memory.location} does "
                "not match its checksum (the file changed or is corrupt); it is computed "
                "again.", RuntimeWarning, stacklevel=3)
            result, _ = memorized.call(*args)
        return result[:-1] if isinstance(result, tuple) else result

    def _set_fitted(self, transformer):
        self.transformer_ = transformer
        if hasattr(transformer, "n_features_in_"):
            self.n_features_in_ = transformer.n_features_in_

    def transform(self, X):
        """Transform ``X`` with the fitted transformer, or load the result.

        Parameters
        ----------
        X : input of ``transformer``

        Returns
        -------
        The output of ``transformer_.transform(X)``.
        """
        check_is_fitted(self, "transformer_")
        if self._fit_key is not None:
            Xt, = self._checked(_transform, ["transformer"], self.transformer_,
                                self._fit_key, X)
            return Xt
        X = check_samples(X)
        keys = sample_keys(X)
        if not keys:
            return self.transformer_.transform(X)
        missing = self._store.missing(keys)
        if missing:
            computed = self.transformer_.transform(_safe_indexing(X, missing))
            if not (hasattr(computed, "dtype") and computed.dtype.kind in "biufc"
                    and len(computed) == len(missing)):
                raise TypeError(
                    "CachedTransformer: per_sample=True needs a transformer whose "
                    "output is a numeric array with one row per sample; "
                    f"{type(self.transformer_).__name__} returned "
                    f"{type(computed).__name__}. Use per_sample=False."
                )
            if not self._store.add([keys[i] for i in missing], computed):
                out = np.empty((len(keys), *computed.shape[1:]), dtype=computed.dtype)
                out[missing] = computed
                cached = np.setdiff1d(np.arange(len(keys)), missing)
                if cached.size:
                    out[cached] = self._store.get([keys[i] for i in cached])
                return out
        return self._store.get(keys)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X, y=None, **fit_params):
        """The transformer's ``fit_transform``, cached like ``fit``.

        Parameters
        ----------
        X : input of ``transformer``
        y : array-like or None
        **fit_params : passed to ``transformer.fit_transform``

        Returns
        -------
        The output of ``transformer.fit_transform(X, y)``.
        """
        if self._per_sample():
            return self.fit(X, y, **fit_params).transform(X)
        Xt, transformer = self._cached_fit(_fit_transform, X, y, fit_params)
        self._set_fitted(transformer)
        return Xt

    def set_output(self, *, transform=None):
        """Configure the output of the wrapped transformer, which makes it.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            Passed to ``transformer.set_output`` (and to the fitted one). The
            configuration is part of the cache key, so a DataFrame output is
            cached apart from an array one.

        Returns
        -------
        self : object
        """
        _safe_set_output(self.transformer, transform=transform)
        if hasattr(self, "transformer_"):
            _safe_set_output(self.transformer_, transform=transform)
        return self

    def get_feature_names_out(self, input_features=None):
        """The fitted transformer's output feature names."""
        check_is_fitted(self, "transformer_")
        return self.transformer_.get_feature_names_out(input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.transformer)
        tags.input_tags = inner.input_tags
        tags.target_tags.required = inner.target_tags.required
        tags.non_deterministic = inner.non_deterministic
        if inner.transformer_tags is not None:
            tags.transformer_tags = inner.transformer_tags
        return tags
