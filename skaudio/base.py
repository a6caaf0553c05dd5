"""What every skaudio estimator shares: a versioned pickle state."""

import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._version import __version__

__all__ = [
    "ArrayOutputMixin",
    "InconsistentSkaudioVersionWarning",
    "VersionedStateMixin",
]



class InconsistentSkaudioVersionWarning(UserWarning):
    """A pickled estimator was saved by another skaudio version than the one loading it.

    Its behaviour may differ (parameters, defaults or numerics that changed
    between versions); refit it, or load it with the version that saved it.
    Issued by :class:`skaudio.base.VersionedStateMixin` on unpickling.

    See Also
    --------
    sklearn.exceptions.InconsistentVersionWarning : scikit-learn's own warning.

    References
    ----------
    .. [1] L. Buitinck et al., "API design for machine learning software: experiences
       from the scikit-learn project," ECML PKDD Workshop on Languages for Data
       Mining and Machine Learning, 2013 (the scikit-learn estimator conventions;
       this warning mirrors scikit-learn's later ``InconsistentVersionWarning``
       for pickles saved by another version).

    Examples
    --------
    >>> import warnings
    >>> from skaudio.preprocessing import TrimSilence
    >>> state = TrimSilence().__getstate__()
    >>> state["_skaudio_version"] = "0.0.0"          # as if saved by another version
    >>> loaded = TrimSilence.__new__(TrimSilence)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     loaded.__setstate__(state)
    >>> [w.category.__name__ for w in caught]
    ['InconsistentSkaudioVersionWarning']
    """


class VersionedStateMixin:
    """Stamp pickles with the skaudio version and warn when another version loads them.

    scikit-learn does the same for its own version (``_sklearn_version``); this
    mixin goes first among an estimator's bases. ``__getstate__`` adds
    ``_skaudio_version`` to the state; ``__setstate__`` removes it and issues
    :class:`skaudio.base.InconsistentSkaudioVersionWarning` when it differs
    from the running version (or is missing).

    See Also
    --------
    skaudio.base.InconsistentSkaudioVersionWarning : the warning it issues.

    References
    ----------
    .. [1] L. Buitinck et al., "API design for machine learning software: experiences
       from the scikit-learn project," ECML PKDD Workshop on Languages for Data
       Mining and Machine Learning, 2013 (the scikit-learn estimator conventions;
       this mixin repeats for skaudio scikit-learn's later ``_sklearn_version``
       stamp on pickled estimators).

    Examples
    --------
    >>> import pickle
    >>> import skaudio
    >>> from skaudio.preprocessing import TrimSilence
    >>> TrimSilence().__getstate__()["_skaudio_version"] == skaudio.__version__
    True
    >>> type(pickle.loads(pickle.dumps(TrimSilence()))).__name__  # same version: silent
    'TrimSilence'
    """

    def __getstate__(self):
        state = super().__getstate__()
        state["_skaudio_version"] = __version__
        return state

    def __setstate__(self, state):
        saved = state.pop("_skaudio_version", "unknown (pre-0.1.0 or foreign)")
        if saved != __version__:
            warnings.warn(
                f"Loading {type(self).__name__} saved by skaudio {saved} with skaudio "
                f"{__version__}: results may differ; refit it or use skaudio {saved}.",
                InconsistentSkaudioVersionWarning,
                stacklevel=2,
            )
        super().__setstate__(state)


class ArrayOutputMixin:
    """``set_output`` and feature names for a step whose output is not a table.

    Waveforms and time-frequency arrays stay NumPy arrays under any
    ``set_output`` configuration: a 3-D array has no DataFrame form, and a
    waveform's samples are not features. The step accepts ``set_output``
    nevertheless, so that a pipeline's ``set_output(transform="pandas")``
    reaches the steps that make a table (``TemporalStatistics``,
    scikit-learn's), and it names its output features -- a waveform's samples,
    the features of one time-frequency frame -- so that those steps can name
    theirs (``Pipeline.get_feature_names_out``, ``FeatureUnion``,
    ``ColumnTransformer``). It goes before ``TransformerMixin`` among a
    class's bases; the class defines ``_feature_names_out(input_features)``.

    References
    ----------
    .. [1] L. Buitinck et al., "API design for machine learning software: experiences
       from the scikit-learn project," ECML PKDD Workshop on Languages for Data
       Mining and Machine Learning, 2013 (the transformer interface;
       ``set_output`` and ``get_feature_names_out`` are scikit-learn's later
       additions to it, which this mixin accepts).

    Examples
    --------
    >>> import numpy as np
    >>> from skaudio.features import MelSpectrogram
    >>> mel = MelSpectrogram(sr=8000, n_mels=4).set_output(transform="pandas")
    >>> out = mel.fit_transform(np.zeros((2, 8000), dtype=np.float32))
    >>> type(out).__name__, out.shape, mel.get_feature_names_out().tolist()
    ('ndarray', (2, 16, 4), ['mel0', 'mel1', 'mel2', 'mel3'])
    """

    def __init_subclass__(cls, auto_wrap_output_keys=None, **kwargs):
        # No wrapping: scikit-learn would put every output in a DataFrame.
        super().__init_subclass__(auto_wrap_output_keys=auto_wrap_output_keys, **kwargs)

    def set_output(self, *, transform=None):
        """Accept an output configuration; the output stays a NumPy array.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            Accepted for the steps after this one; this step's output is
            waveforms or time-frequency arrays, which have no table form.

        Returns
        -------
        self : object
        """
        if transform not in (None, "default", "pandas", "polars"):
            raise ValueError(
                f'{type(self).__name__}.set_output: transform must be "default", '
                f'"pandas", "polars" or None; got {transform!r}.'
            )
        return self

    def get_feature_names_out(self, input_features=None):
        """Names of the output's features (of one frame of a time-frequency output).

        Parameters
        ----------
        input_features : array-like of str, default=None
            Names of the input's features, where the step keeps them.

        Returns
        -------
        ndarray of str objects
        """
        check_is_fitted(self)
        return np.asarray(self._feature_names_out(input_features), dtype=object)
