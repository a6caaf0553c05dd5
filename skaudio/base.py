"""What every skaudio estimator shares: a versioned pickle state."""

import warnings

from ._version import __version__


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
