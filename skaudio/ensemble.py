"""Geometric-mean ensembles: of fold models, and of different models (Xu, 5.2.5, 6.2)."""

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.ensemble import VotingClassifier
from sklearn.model_selection import check_cv
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, indexable

from ._validation import check_label_vector
from .base import VersionedStateMixin

__all__ = [
    "GeometricMeanEnsemble",
    "GeometricMeanVotingClassifier",
    "geometric_mean_proba",
]


# Probabilities are floored here before the logarithm, so a model that gives a
# class probability 0 vetoes it without a log(0).
TINY = 1e-12


def geometric_mean_proba(probas, *, normalize=True, weights=None):
    """Geometric mean of several models' class probabilities.

    ``exp(sum_m w_m log p_m / sum_m w_m)`` (equal weights by default), each
    probability floored at ``1e-12``. With ``normalize`` (single-label) the
    rows are rescaled to sum to 1; leave it off for multi-label
    (independent per-label) probabilities. Xu's ensembles of fold models and
    of fine-tuned feature extractors (Table 12) use it.

    Parameters
    ----------
    probas : sequence of array-like of shape (n_samples, n_classes)
        One array per model, columns in the same class order.
    normalize : bool, default=True
        Rescale each row to sum to 1 (single-label); ``False`` for multi-label
        probabilities.
    weights : array-like of shape (n_models,), default=None
        Non-negative weight of each model; None weighs them equally.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        The (weighted) geometric mean, float64.

    Raises
    ------
    ValueError
        If ``probas`` is empty, its arrays differ in shape or are not 2-D, a
        value lies outside [0, 1], or ``weights`` is invalid.

    See Also
    --------
    skaudio.ensemble.GeometricMeanEnsemble : the geometric mean of fold models.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo, 2018,
       section 5.2.5 (the geometric mean of the outputs of the 5 fold models)
       and section 6.2, Table 12 (of differently fine-tuned models).

    Examples
    --------
    >>> geometric_mean_proba([[[0.9, 0.1]], [[0.4, 0.6]]], normalize=False).round(3)
    array([[0.6  , 0.245]])
    """
    probas = [np.asarray(p, dtype=np.float64) for p in probas]
    if not probas:
        raise ValueError("geometric_mean_proba needs at least one array of probabilities.")
    shapes = {p.shape for p in probas}
    if len(shapes) != 1 or probas[0].ndim != 2:
        raise ValueError(
            "geometric_mean_proba needs arrays of one shape (n_samples, n_classes); got "
            f"shapes {sorted(shapes)}."
        )
    stacked = np.stack(probas)
    if not np.isfinite(stacked).all() or (stacked < 0).any() or (stacked > 1).any():
        raise ValueError("geometric_mean_proba needs probabilities in [0, 1].")
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != (len(probas),) or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(f"geometric_mean_proba: weights must be {len(probas)} "
                             f"non-negative numbers, not all 0; got {weights.tolist()}.")
    mean = np.exp(np.average(np.log(np.maximum(stacked, TINY)), axis=0, weights=weights))
    if normalize:
        mean /= mean.sum(axis=1, keepdims=True)
    return mean


class GeometricMeanVotingClassifier(VotingClassifier):
    """Soft voting by the geometric mean of different models' probabilities.

    scikit-learn's ``VotingClassifier(voting="soft")`` averages its members'
    probabilities (the DCASE paper's fusion); this one takes their geometric
    mean (:func:`geometric_mean_proba`, weighted by ``weights``), as Xu fuses
    feature extractors fine-tuned differently (Table 12): a member that
    gives a class a probability near 0 vetoes it. Everything else is
    ``VotingClassifier``'s: members fitted on the whole training set, named
    parameters (``GridSearchCV`` reaches ``name__param``), ``"drop"``.
    :class:`GeometricMeanEnsemble` instead fuses the fold models of one
    estimator.

    Parameters
    ----------
    estimators : list of (str, estimator) tuples
        The members, each with ``predict_proba`` (pipelines too).
    weights : array-like of shape (n_estimators,), default=None
        Weight of each member in the geometric mean; None weighs them equally.
    n_jobs : int, default=None
        Members fitted in parallel.
    verbose : bool, default=False

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods,"
       MSc thesis, Aalto University, 2018, section 6.2 and Table 12.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> X, y = make_classification(n_samples=60, random_state=0)
    >>> vote = GeometricMeanVotingClassifier([("lr", LogisticRegression()),
    ...                                       ("nb", GaussianNB())]).fit(X, y)
    >>> vote.predict_proba(X[:2]).shape
    (2, 2)
    """

    voting = "soft"  # VotingClassifier's methods read these two
    flatten_transform = True
    _parameter_constraints = {
        name: constraints for name, constraints in VotingClassifier._parameter_constraints.items()
        if name not in ("voting", "flatten_transform")
    }

    def __init__(self, estimators, *, weights=None, n_jobs=None, verbose=False):
        self.estimators = estimators
        self.weights = weights
        self.n_jobs = n_jobs
        self.verbose = verbose

    @classmethod
    def _get_test_params(cls):
        """Cheap configurations for the common tests (see :mod:`skaudio.discovery`)."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.naive_bayes import GaussianNB

        return [{"estimators": [("lr", LogisticRegression()), ("nb", GaussianNB())]}]

    def predict_proba(self, X):
        """The weighted geometric mean of the members' probabilities.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        kept = [w for (_, est), w in zip(self.estimators, self.weights or
                                          [1.0] * len(self.estimators)) if est != "drop"]
        return geometric_mean_proba([est.predict_proba(X) for est in self.estimators_],
                                    weights=kept)


class GeometricMeanEnsemble(VersionedStateMixin, ClassifierMixin, MetaEstimatorMixin,
                            BaseEstimator):
    """Train a classifier on every cross-validation fold; predict with the geometric mean.

    Xu (5.2.5) trains one model per fold of a 5-fold cross-validation, so that
    every clip is trained on, and takes the geometric mean of the fold
    models' probabilities as the prediction. ``fit`` clones ``estimator`` for
    every split of ``cv`` and fits it on that split's training part;
    ``predict_proba`` is :func:`geometric_mean_proba` of the fold models'
    (rescaled to sum to 1 per sample for single-label ``y``; per label, not
    rescaled, for a multi-label indicator ``y``). A fold model that never saw
    a class gives it probability 0, which the floor of 1e-12 turns into a
    strong vote against it. The held-out part of each fold predicts
    ``oof_proba_``, an honest estimate of the ensemble's parts.

    Parameters
    ----------
    estimator : classifier
        Any scikit-learn classifier with ``predict_proba`` (a pipeline too).
    cv : int, cross-validation generator, iterable or None, default=5
        As in ``cross_val_score`` (None: 5 folds): an int gives ``StratifiedKFold`` for labels
        (``KFold`` for multi-label); pass ``groups`` to ``fit`` for
        group-aware splitters such as ``GroupKFold``.

    Attributes
    ----------
    estimators_ : list of fitted classifiers
        One per fold.
    classes_ : ndarray
        Labels (``arange(n_labels)`` for multi-label y).
    oof_proba_ : ndarray of shape (n_samples, n_classes)
        Each training sample's probabilities from the fold model that did not
        train on it (samples in no test fold: NaN).

    See Also
    --------
    skaudio.ensemble.geometric_mean_proba : the fusion of the fold models.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo, 2018,
       section 5.2.5 (5-fold cross-validation training, then the geometric
       mean of the outputs of all 5 models).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = make_classification(n_samples=60, random_state=0)
    >>> ens = GeometricMeanEnsemble(LogisticRegression(), cv=3).fit(X, y)
    >>> len(ens.estimators_), ens.predict_proba(X[:2]).shape
    (3, (2, 2))
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "cv": ["cv_object"],
    }

    def __init__(self, estimator, cv=5):
        self.estimator = estimator
        self.cv = cv

    @classmethod
    def _get_test_params(cls):
        """Cheap configurations for the common tests (see :mod:`skaudio.discovery`)."""
        from sklearn.linear_model import LogisticRegression

        return [{"estimator": LogisticRegression(), "cv": 3}]

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, groups=None):
        """Fit one clone of ``estimator`` per training part of ``cv``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Whatever ``estimator`` takes (waveforms, spectrograms, embeddings).
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        groups : array-like of shape (n_samples,), default=None
            For group-aware splitters.

        Returns
        -------
        self
        """
        y = check_label_vector(y, X, name="GeometricMeanEnsemble", multi_label=True)
        X = indexable(X)[0]
        check_classification_targets(y)
        self._multilabel = y.ndim == 2 and type_of_target(y) == "multilabel-indicator"
        self._y_dtype = y.dtype
        self.classes_ = np.arange(y.shape[1]) if self._multilabel else np.unique(y)
        if not self._multilabel and y.ndim != 1:
            raise ValueError(f"GeometricMeanEnsemble expects y of shape (n_samples,) or a "
                             f"0/1 indicator matrix; got shape {y.shape}.")
        cv = check_cv(self.cv, y, classifier=True)
        self.estimators_ = []
        self.oof_proba_ = np.full((y.shape[0], self.classes_.size), np.nan)
        for train, test in cv.split(X, y, groups):
            model = clone(self.estimator).fit(_safe_indexing(X, train), y[train])
            self.estimators_.append(model)
            self.oof_proba_[test] = self._aligned_proba(model, _safe_indexing(X, test))
        first = self.estimators_[0]
        if hasattr(first, "n_features_in_"):
            self.n_features_in_ = first.n_features_in_
        return self

    def _aligned_proba(self, model, X):
        """A fold model's probabilities in the ensemble's class order."""
        proba = np.asarray(model.predict_proba(X), dtype=np.float64)
        if self._multilabel:
            return proba
        out = np.zeros((proba.shape[0], self.classes_.size))
        out[:, np.searchsorted(self.classes_, model.classes_)] = proba  # unseen: 0
        return out

    def predict_proba(self, X):
        """Geometric mean of the fold models' probabilities.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self, "estimators_")
        X = indexable(X)[0]
        return geometric_mean_proba([self._aligned_proba(m, X) for m in self.estimators_],
                                    normalize=not self._multilabel)

    def predict(self, X):
        """Labels of the highest mean probability (multi-label: those >= 0.5)."""
        proba = self.predict_proba(X)
        if self._multilabel:
            return (proba >= 0.5).astype(self._y_dtype)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags = inner.input_tags
        tags.classifier_tags.multi_label = inner.classifier_tags.multi_label \
            if inner.classifier_tags is not None else False
        tags.non_deterministic = inner.non_deterministic
        return tags
