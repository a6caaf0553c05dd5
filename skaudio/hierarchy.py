"""Class hierarchies: fine classes grouped into coarse ones, and two-stage classification.

Hu et al.'s DCASE 2020 system classifies a scene twice, into 3 coarse
classes (indoor, outdoor, transportation) and into 10 fine ones, and fuses
the two: fine class ``q`` of coarse class ``p`` scores ``F1_p(x) * F2_q(x)``
(section 2.1). A ``hierarchy`` maps every fine class to its coarse class,
as a dict or as a function of the fine label (a General MIDI program's
family is ``program // 8``).
"""

from collections.abc import Mapping

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, indexable

from ._validation import check_label_vector
from .base import VersionedStateMixin

__all__ = ["TwoStageClassifier", "check_hierarchy", "coarse_labels", "two_stage_proba"]


def check_hierarchy(hierarchy, fine_classes, *, name="hierarchy"):
    """The coarse class of each of ``fine_classes``, validated.

    Parameters
    ----------
    hierarchy : dict or callable
        Fine class -> coarse class: a mapping with a key for every fine class,
        or a function of one fine label.
    fine_classes : array-like of shape (n_fine,)
        The fine classes present (``np.unique(y)``).
    name : str, default="hierarchy"
        The caller, named in errors.

    Returns
    -------
    ndarray of shape (n_fine,)
        The coarse class of each fine class, in the order given.

    Raises
    ------
    ValueError
        A fine class the mapping lacks, or a coarse class that is None or not
        a scalar.
    TypeError
        ``hierarchy`` neither a mapping nor callable.

    References
    ----------
    .. [1] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section
       2.1 (every fine class ``q`` belongs to one coarse class ``p``,
       ``p ⊃ q``).

    Examples
    --------
    >>> check_hierarchy({"bus": "transport", "tram": "transport", "park": "outdoor"},
    ...                 ["bus", "park", "tram"]).tolist()
    ['transport', 'outdoor', 'transport']
    >>> check_hierarchy(lambda program: program // 8, [0, 7, 8, 41]).tolist()
    [0, 0, 1, 5]
    """
    fine_classes = np.asarray(fine_classes)
    if isinstance(hierarchy, Mapping):
        missing = [c for c in fine_classes.tolist() if c not in hierarchy]
        if missing:
            raise ValueError(
                f"{name}: the hierarchy gives no coarse class for the fine class(es) "
                f"{missing[:10]}{' ...' if len(missing) > 10 else ''}; map every fine "
                "class of y to its coarse class."
            )
        coarse = [hierarchy[c] for c in fine_classes.tolist()]
    elif callable(hierarchy):
        coarse = [hierarchy(c) for c in fine_classes.tolist()]
    else:
        raise TypeError(f"{name}: hierarchy must be a dict (fine -> coarse class) or a "
                        f"function of a fine label; got {type(hierarchy).__name__}.")
    if any(c is None or np.ndim(c) != 0 for c in coarse):
        raise ValueError(f"{name}: the hierarchy must give one coarse label (not None) "
                         f"per fine class; got {coarse[:10]}.")
    return np.asarray(coarse)


def coarse_labels(y, hierarchy):
    """Map fine labels ``y`` to their coarse labels.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Fine labels.
    hierarchy : dict or callable
        Fine class -> coarse class, for every fine class of ``y`` (see
        :func:`skaudio.hierarchy.check_hierarchy`); a callable is called once
        per distinct fine label.

    Returns
    -------
    ndarray of shape (n_samples,)
        The coarse label of every sample, in the order of ``y``.

    References
    ----------
    .. [1] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section
       2.1 (every fine class ``q`` belongs to one coarse class ``p``,
       ``p ⊃ q``).

    Examples
    --------
    >>> coarse_labels(["cat", "dog", "car"], {"cat": "animal", "dog": "animal",
    ...                                       "car": "vehicle"}).tolist()
    ['animal', 'animal', 'vehicle']
    """
    fine, inverse = np.unique(np.asarray(y), return_inverse=True)
    return check_hierarchy(hierarchy, fine)[inverse.reshape(-1)]


def two_stage_proba(coarse_proba, fine_proba, fine_to_coarse):
    """Fuse coarse and fine probabilities: ``P1(p(q) | x) * P2(q | x)``, renormalised.

    Parameters
    ----------
    coarse_proba : array-like of shape (n_samples, n_coarse)
    fine_proba : array-like of shape (n_samples, n_fine)
    fine_to_coarse : array-like of int, shape (n_fine,)
        The column of ``coarse_proba`` of each fine class.

    Returns
    -------
    ndarray of shape (n_samples, n_fine)
        Rows sum to 1. A row whose products are all 0 (the two stages
        disagree with certainty) falls back to the fine probabilities.

    References
    ----------
    .. [1] Hu et al., "Device-robust acoustic scene classification based on
       two-stage categorization and data augmentation", DCASE 2020, section 2.1.

    Examples
    --------
    >>> two_stage_proba([[0.8, 0.2]], [[0.3, 0.3, 0.4]], [0, 0, 1]).round(3)
    array([[0.429, 0.429, 0.143]])
    """
    coarse_proba = np.asarray(coarse_proba, dtype=np.float64)
    fine_proba = np.asarray(fine_proba, dtype=np.float64)
    fused = coarse_proba[:, np.asarray(fine_to_coarse)] * fine_proba
    total = fused.sum(axis=1, keepdims=True)
    degenerate = total[:, 0] <= 0
    fused[degenerate] = fine_proba[degenerate]
    total[degenerate] = fine_proba[degenerate].sum(axis=1, keepdims=True)
    return fused / total


class TwoStageClassifier(VersionedStateMixin, ClassifierMixin, MetaEstimatorMixin,
                         BaseEstimator):
    """A coarse and a fine classifier fused by the class hierarchy (Hu et al., 2.1).

    ``fit(X, y)`` takes fine labels: a clone of ``coarse`` learns their coarse
    classes (``hierarchy``), a clone of ``fine`` the fine classes. Fine class
    ``q`` of coarse class ``p`` then scores ``P1(p | x) * P2(q | x)``,
    renormalised over the fine classes (:func:`two_stage_proba`); ``predict``
    is its argmax, in the type of ``y``. Any classifiers with
    ``predict_proba`` serve as stages (pipelines, skaudio networks), and
    ``GridSearchCV`` reaches their parameters as ``coarse__...`` and
    ``fine__...``.

    Parameters
    ----------
    coarse : classifier
        Learns the coarse classes.
    fine : classifier
        Learns the fine classes.
    hierarchy : dict or callable
        Fine class -> coarse class, for every fine class of ``y``; a function
        of a fine label works too.

    Attributes
    ----------
    coarse_ : classifier
        The fitted clone of ``coarse``.
    fine_ : classifier
        The fitted clone of ``fine``.
    classes_ : ndarray
        The fine classes.
    coarse_classes_ : ndarray
        The coarse classes.
    fine_to_coarse_ : ndarray of int
        For each fine class, the index of its coarse class in ``coarse_classes_``.

    References
    ----------
    .. [1] Hu et al., "Device-robust acoustic scene classification based on
       two-stage categorization and data augmentation", DCASE 2020, section
       2.1 and Table 1 (rows 11-12).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = make_classification(n_samples=90, n_classes=3, n_informative=4,
    ...                            random_state=0)
    >>> clf = TwoStageClassifier(LogisticRegression(), LogisticRegression(),
    ...                          hierarchy={0: "a", 1: "a", 2: "b"}).fit(X, y)
    >>> clf.coarse_classes_.tolist(), clf.predict_proba(X[:2]).shape
    (['a', 'b'], (2, 3))
    """

    _parameter_constraints = {
        "coarse": [HasMethods(["fit", "predict_proba"])],
        "fine": [HasMethods(["fit", "predict_proba"])],
        "hierarchy": [Mapping, callable],
    }

    def __init__(self, coarse, fine, hierarchy):
        self.coarse = coarse
        self.fine = fine
        self.hierarchy = hierarchy

    @classmethod
    def _get_test_params(cls):
        """Cheap configurations for the common tests (see :mod:`skaudio.discovery`)."""
        from sklearn.linear_model import LogisticRegression

        return [{"coarse": LogisticRegression(), "fine": LogisticRegression(),
                 "hierarchy": _EachItsOwn()}]

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit the coarse stage on the coarse labels and the fine stage on ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Whatever the stages take.
        y : array-like of shape (n_samples,)
            Fine labels.

        Returns
        -------
        self
        """
        name = type(self).__name__
        X, y = indexable(X, y)
        y = check_label_vector(y, X, name=name)
        check_classification_targets(y)
        classes = np.unique(y)
        if classes.size < 2:
            raise ValueError(f"{name} needs at least two fine classes to train; y has "
                             f"{'no samples' if y.size == 0 else 'only one class'}.")
        coarse_of_fine = check_hierarchy(self.hierarchy, classes, name=name)
        if isinstance(self.hierarchy, Mapping):
            empty = sorted(set(self.hierarchy.values()) - set(coarse_of_fine.tolist()),
                           key=str)
            if empty:
                raise ValueError(
                    f"{name}: the coarse class(es) {empty[:10]} have no fine class in y; "
                    "the coarse stage would never learn them. Give training samples of "
                    "their fine classes, or leave them out of the hierarchy."
                )
        self.coarse_classes_, self.fine_to_coarse_ = np.unique(coarse_of_fine,
                                                               return_inverse=True)
        self.fine_to_coarse_ = self.fine_to_coarse_.reshape(-1)
        if self.coarse_classes_.size < 2:
            raise ValueError(
                f"{name}: every fine class maps to one coarse class "
                f"({self.coarse_classes_[0]!r}): a two-stage classifier needs at least "
                "two coarse classes; use the fine classifier alone."
            )
        y_coarse = coarse_of_fine[np.searchsorted(classes, y)]
        self.coarse_ = clone(self.coarse).fit(X, y_coarse)
        self.fine_ = clone(self.fine).fit(X, y)
        self.classes_ = classes
        for stage, expected in ((self.coarse_, self.coarse_classes_),
                                (self.fine_, self.classes_)):
            if not np.array_equal(stage.classes_, expected):
                raise ValueError(f"{name}: a stage learned classes {stage.classes_!r}, "
                                 f"expected {expected!r}.")
        if hasattr(self.fine_, "n_features_in_"):
            self.n_features_in_ = self.fine_.n_features_in_
        return self

    def predict_proba(self, X):
        """Fused fine-class probabilities, shape ``(n_samples, n_fine_classes)``."""
        check_is_fitted(self, "fine_")
        return two_stage_proba(self.coarse_.predict_proba(X), self.fine_.predict_proba(X),
                               self.fine_to_coarse_)

    def predict(self, X):
        """The fine class of the highest fused probability."""
        check_is_fitted(self, "fine_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def predict_coarse(self, X):
        """The coarse stage's prediction, in the type of the hierarchy's coarse labels."""
        check_is_fitted(self, "coarse_")
        return self.coarse_classes_[np.argmax(self.coarse_.predict_proba(X), axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags = get_tags(self.fine).input_tags
        tags.non_deterministic = (get_tags(self.coarse).non_deterministic
                                  or get_tags(self.fine).non_deterministic)
        return tags


class _EachItsOwn:
    """Each fine class its own coarse class: the common checks' hierarchy, which
    must map labels of every type the checks draw (with a stable repr, which
    names the test)."""

    def __call__(self, label):
        return label

    def __repr__(self):
        return "each_its_own"
