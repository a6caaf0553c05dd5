"""Ranking metrics of Xu's thesis (section 4.3): mAP, AUC, d-prime, MAP@k, t-tests.

Every metric takes ``y_true`` and class scores ``y_score`` (probabilities, as
``predict_proba`` gives):

* ``y_true`` of shape ``(n,)`` holds one label per sample (single-label);
  column ``j`` of ``y_score`` belongs to ``labels[j]``, with ``labels`` the
  sorted unique labels of ``y_true`` unless given (pass the estimator's
  ``classes_`` when a class may be missing from ``y_true``). A 1-D ``y_score``
  is the positive-class score of a binary problem, as scikit-learn's scorers
  pass it.
* ``y_true`` of shape ``(n, n_classes)`` is a 0/1 indicator matrix
  (multi-label, as AudioSet).

Per-class metrics (AP, AUC) are undefined for a class without positive samples
(AUC also without negatives): such classes are left out of the means, and the
per-class functions report them as NaN.

The ``*_scorer`` objects are scikit-learn scorers (``make_scorer`` on
``predict_proba``) for ``cross_val_score`` and ``GridSearchCV``.
"""

import numpy as np
from scipy import stats
from sklearn.metrics import average_precision_score, make_scorer, roc_auc_score
from sklearn.utils.validation import check_array, check_consistent_length

__all__ = [
    "auc_per_class",
    "auc_score",
    "auc_scorer",
    "average_precision_per_class",
    "d_prime",
    "d_prime_score",
    "d_prime_scorer",
    "map_at_3_scorer",
    "map_at_k",
    "mean_average_precision",
    "mean_average_precision_scorer",
    "paired_t_test",
]


def _indicator(y_true, y_score, labels):
    """Return ``(Y, S)``: a 0/1 indicator matrix and scores, both (n, n_classes)."""
    y_score = check_array(y_score, ensure_2d=False, dtype=np.float64,
                          input_name="y_score")
    y_true = np.asarray(y_true)
    check_consistent_length(y_true, y_score)
    if y_score.ndim == 1:  # binary: the positive class's score
        y_score = np.column_stack([1 - y_score, y_score])
    if y_score.ndim != 2:
        raise ValueError(f"y_score must be 1-D or 2-D; got shape {y_score.shape}.")
    if y_true.ndim == 2 and not (y_true.shape[1] == 1 and y_score.shape[1] != 1):
        if y_true.shape != y_score.shape:
            raise ValueError(
                f"A multi-label y_true of shape {y_true.shape} needs y_score of the same "
                f"shape; got {y_score.shape}."
            )
        if not np.isin(y_true, (0, 1)).all():
            raise ValueError("A 2-D y_true must be an indicator matrix of 0 and 1.")
        return y_true.astype(bool), y_score
    y_true = y_true.reshape(-1)
    labels = np.unique(y_true) if labels is None else np.asarray(labels)
    if labels.shape[0] != y_score.shape[1]:
        raise ValueError(
            f"y_score has {y_score.shape[1]} columns but there are {labels.shape[0]} "
            f"labels ({labels.tolist()[:10]}); pass labels= (the estimator's "
            "classes_), one per column of y_score."
        )
    unknown = ~np.isin(y_true, labels)
    if unknown.any():
        raise ValueError(
            f"y_true holds labels not in labels: {np.unique(y_true[unknown])[:5].tolist()}."
        )
    return y_true[:, np.newaxis] == labels[np.newaxis, :], y_score


def average_precision_per_class(y_true, y_score, *, labels=None):
    """Average precision of every class; NaN for a class without positives.

    AP is the mean of the precisions at the ranks of the positive samples,
    ranked by decreasing score (Xu, 4.3.1): the ranking 1, 0, 1, 1, 0, 1 has
    AP ``(1 + 2/3 + 3/4 + 4/6) / 4 = 0.77``. Tied scores count as one
    threshold (scikit-learn's ``average_precision_score``).

    Parameters
    ----------
    y_true : array-like of shape (n,) or (n, n_classes)
        Labels, or a 0/1 indicator matrix.
    y_score : array-like of shape (n, n_classes) or (n,)
    labels : array-like of shape (n_classes,), default=None
        The label of each column of ``y_score`` (single-label ``y_true``).

    Returns
    -------
    ndarray of shape (n_classes,)

    Examples
    --------
    >>> average_precision_per_class([1, 0, 1, 1, 0, 1], [6, 5, 4, 3, 2, 1]).round(2)
    array([0.45, 0.77])
    """
    Y, S = _indicator(y_true, y_score, labels)
    return np.array([average_precision_score(Y[:, k], S[:, k]) if Y[:, k].any() else np.nan
                     for k in range(Y.shape[1])])


def _mean_defined(values, what):
    defined = values[~np.isnan(values)]
    if defined.size == 0:
        raise ValueError(f"{what} is undefined: no class has both positive and "
                         "negative samples in y_true.")
    return float(defined.mean())


def mean_average_precision(y_true, y_score, *, labels=None):
    """Mean average precision (mAP, Xu eq. 24): AP averaged over the classes.

    Classes without positive samples are left out (their AP is undefined).

    Parameters
    ----------
    y_true : array-like of shape (n,) or (n, n_classes)
    y_score : array-like of shape (n, n_classes) or (n,)
    labels : array-like, default=None

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> Y = np.array([[1, 0], [0, 1], [1, 1]])
    >>> S = np.array([[0.9, 0.2], [0.3, 0.8], [0.6, 0.1]])
    >>> round(mean_average_precision(Y, S), 3)   # APs 1 and (1 + 2/3) / 2
    0.917
    """
    return _mean_defined(average_precision_per_class(y_true, y_score, labels=labels),
                         "mean average precision")


def auc_per_class(y_true, y_score, *, labels=None):
    """Area under the ROC curve of every class; NaN where it is undefined.

    Parameters
    ----------
    y_true : array-like of shape (n,) or (n, n_classes)
    y_score : array-like of shape (n, n_classes) or (n,)
    labels : array-like, default=None

    Returns
    -------
    ndarray of shape (n_classes,)

    Examples
    --------
    >>> auc_per_class([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).tolist()
    [0.75, 0.75]
    """
    Y, S = _indicator(y_true, y_score, labels)
    return np.array([roc_auc_score(Y[:, k], S[:, k]) if 0 < Y[:, k].sum() < Y.shape[0]
                     else np.nan for k in range(Y.shape[1])])


def auc_score(y_true, y_score, *, labels=None):
    """Mean over the classes of the ROC AUC (Xu, 4.3.2), one-vs-rest.

    Classes without positive or without negative samples are left out.

    Examples
    --------
    >>> auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    return _mean_defined(auc_per_class(y_true, y_score, labels=labels), "AUC")


def d_prime(auc):
    """d-prime of an AUC: ``sqrt(2) * Z(AUC)``, Z the standard normal quantile (eq. 26).

    0.5 (chance) gives 0; an AUC of 1 gives ``inf`` and 0 gives ``-inf``.

    Parameters
    ----------
    auc : float or array-like in [0, 1]

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(d_prime(0.934), 2)     # Xu's Table 10, DNN-1: AUC 0.934, d' 2.133
    2.13
    """
    auc_array = np.asarray(auc, dtype=np.float64)
    if np.isnan(auc_array).any() or (auc_array < 0).any() or (auc_array > 1).any():
        raise ValueError(f"d_prime needs AUC values in [0, 1]; got {auc!r}.")
    out = np.sqrt(2.0) * stats.norm.ppf(auc_array)
    return float(out) if out.ndim == 0 else out


def d_prime_score(y_true, y_score, *, labels=None):
    """d-prime of the mean AUC, as the AudioSet evaluation reports it.

    Examples
    --------
    >>> round(d_prime_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 3)
    0.954
    """
    return d_prime(auc_score(y_true, y_score, labels=labels))


def map_at_k(y_true, y_score, *, k=3, labels=None):
    """Mean average precision at ``k`` (MAP@k; Xu 4.3.1, the DCASE 2018 task 2 metric).

    Each sample's classes are ranked by decreasing score (ties: the earlier
    column first). With one true label per sample, the sample scores
    ``1 / rank`` when its label is among the top ``k`` and 0 otherwise. With a
    multi-label indicator ``y_true``, the sample's AP@k is the sum over the
    top ``k`` of the precision at each rank holding a true label, divided by
    ``min(n_true, k)`` (the reference implementation the thesis cites); a
    sample without true labels scores 0. The result is the mean over samples.

    Parameters
    ----------
    y_true : array-like of shape (n,) or (n, n_classes)
    y_score : array-like of shape (n, n_classes) or (n,)
    k : int, default=3
    labels : array-like, default=None

    Returns
    -------
    float

    Examples
    --------
    >>> scores = [[0.5, 0.3, 0.2], [0.5, 0.3, 0.2], [0.5, 0.3, 0.2]]
    >>> round(map_at_k(["a", "b", "c"], scores, k=3), 4)   # (1 + 1/2 + 1/3) / 3
    0.6111
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"map_at_k: k must be a positive integer; got {k!r}.")
    Y, S = _indicator(y_true, y_score, labels)
    top = np.argsort(-S, axis=1, kind="stable")[:, :k]
    hits = np.take_along_axis(Y, top, axis=1).astype(np.float64)
    precision = np.cumsum(hits, axis=1) / np.arange(1, hits.shape[1] + 1)
    n_true = np.minimum(Y.sum(axis=1), k)
    with np.errstate(invalid="ignore", divide="ignore"):
        ap = np.where(n_true > 0, (precision * hits).sum(axis=1) / np.maximum(n_true, 1), 0.0)
    return float(ap.mean())


def paired_t_test(scores_a, scores_b):
    """Paired t-test between two models' per-class scores (Xu, Tables 11, 14, 15).

    Pairs the scores class by class (``scipy.stats.ttest_rel``, two-sided);
    a p-value under the significance level (Xu: 0.05) says the models differ.
    Classes where either score is NaN (undefined, as from
    :func:`average_precision_per_class`) are left out.

    Parameters
    ----------
    scores_a, scores_b : array-like of shape (n_classes,)
        Per-class scores of two models on the same test set, e.g. their APs.

    Returns
    -------
    scipy.stats TtestResult
        ``statistic`` (positive when ``scores_a`` are higher), ``pvalue``, ``df``.

    Examples
    --------
    >>> result = paired_t_test([0.9, 0.8, 0.7, 0.6], [0.8, 0.75, 0.6, 0.6])
    >>> round(float(result.statistic), 3), round(float(result.pvalue), 3)
    (2.611, 0.08)
    """
    a = np.asarray(scores_a, dtype=np.float64).reshape(-1)
    b = np.asarray(scores_b, dtype=np.float64).reshape(-1)
    if a.shape != b.shape:
        raise ValueError(
            f"paired_t_test pairs the scores class by class; got {a.size} and {b.size} "
            "scores."
        )
    keep = ~(np.isnan(a) | np.isnan(b))
    if keep.sum() < 2:
        raise ValueError("paired_t_test needs at least two classes with both scores "
                         f"defined; got {int(keep.sum())}.")
    diff = a[keep] - b[keep]
    if np.all(diff == diff[0]):
        raise ValueError(
            "paired_t_test: the two models' scores differ by the same amount on every "
            "class (identical models?); the t statistic is undefined."
        )
    return stats.ttest_rel(a[keep], b[keep])


mean_average_precision_scorer = make_scorer(mean_average_precision,
                                            response_method="predict_proba")
auc_scorer = make_scorer(auc_score, response_method="predict_proba")
d_prime_scorer = make_scorer(d_prime_score, response_method="predict_proba")
map_at_3_scorer = make_scorer(map_at_k, response_method="predict_proba", k=3)
