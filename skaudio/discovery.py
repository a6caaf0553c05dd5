"""Discovery of skaudio's public estimators, as ``sklearn.utils.discovery`` does it.

:func:`all_estimators` imports every skaudio module and lists the public
estimator classes defined in them, so that the common tests run
scikit-learn's checks on every estimator, including ones added later,
without a hand-kept list. Each class may provide cheap configurations for
those tests with a ``_get_test_params`` class method (sktime's
``get_test_params`` idea): a list of parameter dicts, each giving a small,
fast instance that exercises the same code paths as the full-size one.
"""

import importlib
import inspect
import pkgutil

from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClusterMixin,
    RegressorMixin,
    TransformerMixin,
)

__all__ = [
    "all_estimators",
    "cheap_instances",
]


_TYPE_MIXINS = {
    "classifier": ClassifierMixin,
    "regressor": RegressorMixin,
    "transformer": TransformerMixin,
    "cluster": ClusterMixin,
}

# Modules that run something when imported, not libraries.
_SKIPPED_MODULES = {"skaudio.__main__"}


def all_estimators(type_filter=None):
    """Every public estimator class that skaudio defines.

    Parameters
    ----------
    type_filter : {"classifier", "regressor", "transformer", "cluster"}, list of them, or None
        Keep only the estimators of these kinds (by scikit-learn's mixins);
        ``None`` keeps all.

    Returns
    -------
    list of (str, type)
        ``(name, class)`` pairs sorted by name; abstract base classes (such as
        :class:`skaudio.estimators.NetworkClassifier`) and private classes
        are left out.

    Raises
    ------
    ValueError
        A ``type_filter`` outside the four kinds.

    See Also
    --------
    sklearn.utils.discovery.all_estimators : scikit-learn's own list.
    skaudio.discovery.cheap_instances : small instances of each class.

    References
    ----------
    .. [1] L. Buitinck et al., "API design for machine learning software:
       experiences from the scikit-learn project," ECML PKDD Workshop on
       Languages for Data Mining and Machine Learning, 2013 (the estimator
       interface these classes implement and scikit-learn's checks test).

    Examples
    --------
    >>> from skaudio.discovery import all_estimators
    >>> dict(all_estimators(type_filter="classifier"))["VGGLikeClassifier"].__name__
    'VGGLikeClassifier'
    """
    import skaudio

    if type_filter is None:
        mixins = None
    else:
        kinds = [type_filter] if isinstance(type_filter, str) else list(type_filter)
        unknown = [k for k in kinds if k not in _TYPE_MIXINS]
        if unknown:
            raise ValueError(
                f"type_filter must be None or among {sorted(_TYPE_MIXINS)}; got {unknown}."
            )
        mixins = tuple(_TYPE_MIXINS[k] for k in kinds)

    found = {}
    for module_info in pkgutil.walk_packages(skaudio.__path__, prefix="skaudio."):
        if module_info.name in _SKIPPED_MODULES:
            continue
        module = importlib.import_module(module_info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (name.startswith("_") or not cls.__module__.startswith("skaudio")
                    or not issubclass(cls, BaseEstimator) or inspect.isabstract(cls)):
                continue
            if mixins is None or issubclass(cls, mixins):
                found[name] = cls
    return sorted(found.items())


def cheap_instances(cls):
    """The cheap instances of ``cls`` that the common tests check.

    ``cls``, a skaudio estimator class (such as one that
    :func:`skaudio.discovery.all_estimators` lists), is instantiated once per
    parameter dict of its ``_get_test_params()`` class method, or once with
    its defaults when the class declares none.

    Returns
    -------
    list of estimator
        Unfitted instances of ``cls``, in the order of ``_get_test_params()``.

    References
    ----------
    .. [1] L. Buitinck et al., "API design for machine learning software:
       experiences from the scikit-learn project," ECML PKDD Workshop on
       Languages for Data Mining and Machine Learning, 2013 (the estimator
       interface these classes implement and scikit-learn's checks test).

    Examples
    --------
    >>> from skaudio import MelSpectrogram, PersaPlus
    >>> cheap_instances(MelSpectrogram)
    [MelSpectrogram(hop_length=2, n_fft=8, n_mels=2, sr=100)]
    >>> len(cheap_instances(PersaPlus))
    2
    """
    params = getattr(cls, "_get_test_params", None)
    return [cls(**p) for p in (params() if params is not None else [{}])]
