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
``predict_proba``) for ``cross_val_score`` and ``GridSearchCV``;
:func:`top_k_scorer` makes the top-k accuracy scorer of Abrol and Sharma's
Tables II and IV.

:func:`intra_cluster_distance` and :func:`inter_cluster_centroid_distance`
measure how an embedding clusters by label (Abrol and Sharma, VI-B).
"""

import numpy as np
from scipy import stats
from sklearn.metrics import (
    average_precision_score,
    make_scorer,
    pairwise_distances,
    pairwise_distances_chunked,
    roc_auc_score,
    top_k_accuracy_score,
)
from sklearn.utils.validation import check_array, check_consistent_length

__all__ = [
    "auc_per_class",
    "auc_score",
    "auc_scorer",
    "average_precision_per_class",
    "d_prime",
    "d_prime_score",
    "d_prime_scorer",
    "inter_cluster_centroid_distance",
    "intra_cluster_distance",
    "map_at_3_scorer",
    "map_at_k",
    "mean_average_precision",
    "mean_average_precision_scorer",
    "paired_t_test",
    "top_k_scorer",
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
        Labels, or a 0/1 indicator matrix (multi-label).
    y_score : array-like of shape (n, n_classes) or (n,)
        Class scores (``predict_proba``); 1-D: the positive class's score of
        a binary problem.
    labels : array-like of shape (n_classes,), default=None
        The label of each column of ``y_score`` (single-label ``y_true``);
        None: the sorted unique labels of ``y_true``.

    Returns
    -------
    ndarray of shape (n_classes,)
        The AP of every column of ``y_score``; NaN for a class without
        positive samples.

    See Also
    --------
    skaudio.metrics.mean_average_precision : Their mean over the classes.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, section 4.3.1, Table 2.

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
        Labels, or a 0/1 indicator matrix (multi-label).
    y_score : array-like of shape (n, n_classes) or (n,)
        Class scores (``predict_proba``); 1-D: the positive class's score of
        a binary problem.
    labels : array-like of shape (n_classes,), default=None
        The label of each column of ``y_score`` (single-label ``y_true``);
        None: the sorted unique labels of ``y_true``.

    Returns
    -------
    float
        The mean of :func:`average_precision_per_class` over the classes
        with positive samples.

    Raises
    ------
    ValueError
        If no class has a positive sample.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, section 4.3.1, eq. 24.

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

    Each column is scored one-vs-rest (``sklearn.metrics.roc_auc_score``):
    the ROC curve plots the true against the false positive rate over all
    thresholds of the score.

    Parameters
    ----------
    y_true : array-like of shape (n,) or (n, n_classes)
        Labels, or a 0/1 indicator matrix (multi-label).
    y_score : array-like of shape (n, n_classes) or (n,)
        Class scores (``predict_proba``); 1-D: the positive class's score of
        a binary problem.
    labels : array-like of shape (n_classes,), default=None
        The label of each column of ``y_score`` (single-label ``y_true``);
        None: the sorted unique labels of ``y_true``.

    Returns
    -------
    ndarray of shape (n_classes,)
        The AUC of every column of ``y_score``; NaN for a class without
        positive or without negative samples.

    See Also
    --------
    skaudio.metrics.auc_score : Their mean over the classes.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, section 4.3.2, eq. 25.

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

    Parameters
    ----------
    y_true : array-like of shape (n,) or (n, n_classes)
        Labels, or a 0/1 indicator matrix (multi-label).
    y_score : array-like of shape (n, n_classes) or (n,)
        Class scores (``predict_proba``); 1-D: the positive class's score of
        a binary problem.
    labels : array-like of shape (n_classes,), default=None
        The label of each column of ``y_score`` (single-label ``y_true``);
        None: the sorted unique labels of ``y_true``.

    Returns
    -------
    float
        The mean of :func:`auc_per_class` over the classes where it is
        defined.

    Raises
    ------
    ValueError
        If no class has both positive and negative samples.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, section 4.3.2.

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
    auc : float or array-like
        Areas under the ROC curve, in [0, 1].

    Returns
    -------
    float or ndarray
        The d-prime of every AUC: a float for a scalar ``auc``, else an array of
        its shape.

    Raises
    ------
    ValueError
        If an AUC is NaN or outside [0, 1].

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, section 4.3.2, eq. 26; section 6.1, Table 10.
    .. [2] S. Hershey et al., "CNN architectures for large-scale audio
       classification," Proc. ICASSP, 2017: d-prime reported next to AUC for AudioSet.

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

    ``d_prime(auc_score(y_true, y_score, labels=labels))``: the mean AUC over
    the classes is mapped once, not the d-primes of the classes averaged.

    Parameters
    ----------
    y_true : array-like of shape (n,) or (n, n_classes)
        Labels, or a 0/1 indicator matrix (multi-label).
    y_score : array-like of shape (n, n_classes) or (n,)
        Class scores (``predict_proba``); 1-D: the positive class's score of
        a binary problem.
    labels : array-like of shape (n_classes,), default=None
        The label of each column of ``y_score`` (single-label ``y_true``);
        None: the sorted unique labels of ``y_true``.

    Returns
    -------
    float
        ``sqrt(2) * Z(mean AUC)``; ``inf`` for a mean AUC of 1.

    Raises
    ------
    ValueError
        If no class has both positive and negative samples.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, section 4.3.2, eq. 26.
    .. [2] S. Hershey et al., "CNN architectures for large-scale audio
       classification," Proc. ICASSP, 2017: d-prime reported next to AUC for AudioSet.

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
        Labels, or a 0/1 indicator matrix (multi-label).
    y_score : array-like of shape (n, n_classes) or (n,)
        Class scores (``predict_proba``); 1-D: the positive class's score of
        a binary problem.
    k : int, default=3
        Number of top-ranked classes scored per sample.
    labels : array-like of shape (n_classes,), default=None
        The label of each column of ``y_score`` (single-label ``y_true``);
        None: the sorted unique labels of ``y_true``.

    Returns
    -------
    float
        MAP@k in [0, 1].

    Raises
    ------
    ValueError
        If ``k`` is not a positive integer.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, section 4.3.1; the MAP@3 results of section 6.2,
       Tables 12-15.

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
    TtestResult
        The result of ``scipy.stats.ttest_rel``: ``statistic`` (positive
        when ``scores_a`` are higher), ``pvalue``, ``df``.

    Raises
    ------
    ValueError
        If the two have different lengths, fewer than two classes have both
        scores defined, or the scores differ by one constant on every class
        (the t statistic is then undefined).

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, section 6, Tables 11, 14 and 15.

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


class _TopKScorer:
    """Top-k accuracy of a fitted classifier's scores; see :func:`top_k_scorer`."""

    def __init__(self, k, labels, response_method):
        self.k = k
        self.labels = labels
        self.response_method = response_method

    def __call__(self, estimator, X, y_true, sample_weight=None):
        methods = ((self.response_method,) if isinstance(self.response_method, str)
                   else tuple(self.response_method))
        method = next((m for m in methods if hasattr(estimator, m)), None)
        if method is None:
            raise AttributeError(
                f"top_k_scorer: {type(estimator).__name__} has none of the methods "
                f"{list(methods)} that give class scores."
            )
        y_score = np.asarray(getattr(estimator, method)(X))
        labels = self.labels
        if labels is None:
            labels = getattr(estimator, "classes_", None)
        if labels is not None and len(labels) == 2 and y_score.ndim == 2:
            y_score = y_score[:, 1]  # scikit-learn's binary form: the positive class's
        return top_k_accuracy_score(y_true, y_score, k=self.k, labels=labels,
                                    sample_weight=sample_weight)

    def __repr__(self):
        return f"top_k_scorer(k={self.k})"


def top_k_scorer(k=3, *, labels=None, response_method="predict_proba"):
    """A scorer of top-k accuracy, for ``cross_validate`` and ``GridSearchCV``.

    The score is the fraction of samples whose true class is among the ``k``
    classes of highest score (``sklearn.metrics.top_k_accuracy_score``), the
    "Top-K" accuracy of Abrol and Sharma's Tables II and IV (``k=3``). The
    scores come from the estimator's ``response_method``, and each column is
    the class of the estimator's ``classes_``, so a test fold missing a class
    is scored correctly (``make_scorer(top_k_accuracy_score, ...)`` raises
    there, as it infers the classes from the fold's labels).

    Parameters
    ----------
    k : int, default=3
    labels : array-like of shape (n_classes,), default=None
        The sorted class of each score column; None takes the estimator's
        ``classes_``.
    response_method : str or sequence of str, default="predict_proba"
        The estimator's method giving ``(n_samples, n_classes)`` scores; the
        first one the estimator has, of a sequence.

    Returns
    -------
    callable
        ``scorer(estimator, X, y_true, sample_weight=None) -> float``.

    References
    ----------
    .. [1] Abrol and Sharma, "Learning hierarchy aware embedding from raw
       audio for acoustic scene classification", IEEE/ACM TASLP 28, 2020,
       Tables II, IV and V.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_validate
    >>> X, y = load_iris(return_X_y=True)
    >>> scores = cross_validate(LogisticRegression(max_iter=500), X, y, cv=3,
    ...                         scoring={"top1": top_k_scorer(k=1), "top2": top_k_scorer(k=2)})
    >>> bool((scores["test_top2"] >= scores["test_top1"]).all())
    True
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"top_k_scorer: k must be a positive integer; got {k!r}.")
    if labels is not None:
        labels = np.asarray(labels)
    return _TopKScorer(int(k), labels, response_method)


def _check_clusters(embeddings, labels, name):
    X = check_array(embeddings, dtype=np.float64, input_name="embeddings")
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"{name}: labels must be 1-D, one per embedding; got shape "
                         f"{labels.shape}.")
    check_consistent_length(X, labels)
    classes, codes = np.unique(labels, return_inverse=True)
    return X, classes, codes


def intra_cluster_distance(embeddings, labels, *, metric="euclidean"):
    """Intra-cluster distance (ICD): the mean over clusters of their mean pairwise distance.

    "The average over clusters of the average distance between all points
    inside a cluster" (Abrol and Sharma, VI-B, Table VII): for every label,
    the mean distance over all pairs of distinct points with that label;
    then the unweighted mean of those over the labels. Lower is better. A
    cluster of one point has no pair and is left out. Euclidean distance by
    default: the paper does not name it, but reports ICDs up to 6.12, beyond
    the range of a cosine distance (at most 2).

    Parameters
    ----------
    embeddings : array-like of shape (n_samples, n_features)
    labels : array-like of shape (n_samples,)
        The cluster (class) of each embedding.
    metric : str or callable, default="euclidean"
        A distance of ``sklearn.metrics.pairwise_distances`` (zero from a point
        to itself).

    Returns
    -------
    float

    References
    ----------
    .. [1] Abrol and Sharma, "Learning hierarchy aware embedding from raw
       audio for acoustic scene classification", IEEE/ACM TASLP 28, 2020,
       section VI-B, Table VII.

    Examples
    --------
    >>> X = [[0, 0], [0, 2], [0, 4], [10, 0], [13, 4]]
    >>> round(intra_cluster_distance(X, [0, 0, 0, 1, 1]), 4)  # mean of (2 + 4 + 2) / 3 and 5
    3.8333
    """
    X, classes, codes = _check_clusters(embeddings, labels, "intra_cluster_distance")
    means = []
    for k in range(classes.shape[0]):
        members = X[codes == k]
        n = members.shape[0]
        if n < 2:
            continue
        total = sum(float(chunk.sum()) for chunk in
                    pairwise_distances_chunked(members, metric=metric))
        means.append(total / (n * (n - 1)))  # each pair twice, the diagonal zero
    if not means:
        raise ValueError("intra_cluster_distance is undefined: no label has two or more "
                         "embeddings.")
    return float(np.mean(means))


def inter_cluster_centroid_distance(embeddings, labels, *, metric="euclidean"):
    """Inter-cluster centroid distance (ICCD): the mean distance between cluster centroids.

    "The average distance between all cluster centroids" (Abrol and Sharma,
    VI-B, Table VII): the centroid of a label is the mean of its embeddings,
    and the result the mean distance over all pairs of distinct centroids.
    Higher is better. Euclidean by default, as for
    :func:`intra_cluster_distance`.

    Parameters
    ----------
    embeddings : array-like of shape (n_samples, n_features)
    labels : array-like of shape (n_samples,)
        At least two distinct labels.
    metric : str or callable, default="euclidean"

    Returns
    -------
    float

    References
    ----------
    .. [1] Abrol and Sharma (2020), section VI-B, Table VII.

    Examples
    --------
    >>> X = [[0, 0], [0, 2], [3, 5], [3, 3], [6, 1], [6, -1]]
    >>> labels = [0, 0, 1, 1, 2, 2]        # centroids (0, 1), (3, 4), (6, 0)
    >>> round(inter_cluster_centroid_distance(X, labels), 4)  # (18**0.5 + 37**0.5 + 5) / 3
    5.1085
    """
    X, classes, codes = _check_clusters(embeddings, labels,
                                        "inter_cluster_centroid_distance")
    if classes.shape[0] < 2:
        raise ValueError("inter_cluster_centroid_distance needs at least two distinct "
                         f"labels; got {classes.shape[0]}.")
    centroids = np.stack([X[codes == k].mean(axis=0) for k in range(classes.shape[0])])
    distances = pairwise_distances(centroids, metric=metric)
    upper = np.triu_indices(classes.shape[0], k=1)
    return float(distances[upper].mean())


mean_average_precision_scorer = make_scorer(mean_average_precision,
                                            response_method="predict_proba")
auc_scorer = make_scorer(auc_score, response_method="predict_proba")
d_prime_scorer = make_scorer(d_prime_score, response_method="predict_proba")
map_at_3_scorer = make_scorer(map_at_k, response_method="predict_proba", k=3)
