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
    """


class VersionedStateMixin:
    """Stamp pickles with the skaudio version and warn when another version loads them.

    scikit-learn does the same for its own version (``_sklearn_version``); this
    mixin goes first among an estimator's bases.
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
