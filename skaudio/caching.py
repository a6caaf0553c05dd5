"""A transformer whose ``fit`` and ``transform`` results are cached on disk.

``Pipeline(memory=...)`` caches a transformer's ``fit_transform`` on the data
it is fitted on, so a grid search computes each training fold's features once;
every candidate still transforms its test fold again. :class:`CachedTransformer`
caches ``transform`` as well, keyed on the fitted transformer and the input:
test folds, the refit and repeated searches then reuse the features too.
"""

import joblib
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted, check_memory

from .base import VersionedStateMixin


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
    return transformer.fit_transform(X, y, **fit_params), transformer


def _transform(transformer, fit_key, X):
    return transformer.transform(X)


class CachedTransformer(VersionedStateMixin, TransformerMixin, BaseEstimator):
    """Cache a transformer's ``fit`` and ``transform`` with :class:`joblib.Memory`.

    ``fit`` and ``fit_transform`` fit a clone of ``transformer``, cached on a
    hash of the unfitted clone (its class and parameters), ``X``, ``y`` and the
    fit parameters; ``transform`` is cached on that same hash, which stands for
    the fitted state, and a hash of its ``X``. A result is reused only when all
    of these are equal, so a cached output is the one the transformer would
    compute, for stateful transformers too, as long as fitting is
    deterministic.

    Use it for an expensive step whose input hashes fast: audio decoding and
    mel spectrograms fed with file names (hashed in microseconds), or
    :class:`~skaudio.VGGishEmbedder`. joblib hashes an array at roughly the
    speed a mel spectrogram is computed from it, so caching a cheap step fed
    with waveforms saves little. Don't cache a step whose output depends on a
    ``random_state=None``: the first draw would be replayed.

    Parameters
    ----------
    transformer : estimator with ``fit`` and ``transform``
        The transformer to cache; it is cloned, not modified.
    memory : None, str or joblib.Memory, default=None
        Where to cache: a folder, a :class:`joblib.Memory`, or None (no
        caching, the plain transformer), as for :class:`sklearn.pipeline.Pipeline`.

    Attributes
    ----------
    transformer_ : estimator
        The fitted clone of ``transformer``.
    n_features_in_ : int
        Copied from ``transformer_`` where it has one.

    See Also
    --------
    sklearn.pipeline.Pipeline : its ``memory`` caches ``fit_transform`` only.

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
    """

    def __init__(self, transformer, memory=None):
        self.transformer = transformer
        self.memory = memory

    def _memory(self):
        try:
            return check_memory(self.memory)
        except ValueError as error:
            raise ValueError(
                f"CachedTransformer: memory must be None, a folder path or a "
                f"joblib.Memory; got {self.memory!r}."
            ) from error

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
        self._set_fitted(self._cached_fit(_fit, X, y, fit_params))
        return self

    def _cached_fit(self, function, X, y, fit_params):
        """``function(clone, X, y, fit_params, fit_key)`` through the cache."""
        if not all(hasattr(self.transformer, m) for m in ("fit", "transform")):
            raise TypeError(
                "CachedTransformer: transformer must have fit and transform methods; "
                f"got {self.transformer!r}."
            )
        transformer = clone(self.transformer)
        self._fit_key = joblib.hash([transformer, X, y, fit_params])
        return self._memory().cache(function, ignore=_FIT_ARGUMENTS)(
            transformer, X, y, fit_params, self._fit_key)

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
        return self._memory().cache(_transform, ignore=["transformer"])(
            self.transformer_, self._fit_key, X)

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
        Xt, transformer = self._cached_fit(_fit_transform, X, y, fit_params)
        self._set_fitted(transformer)
        return Xt

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
