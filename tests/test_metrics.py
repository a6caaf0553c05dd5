"""Metrics of Xu's thesis against hand-computed values."""

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from skaudio import metrics
from skaudio.metrics import (
    auc_per_class,
    auc_score,
    average_precision_per_class,
    d_prime,
    d_prime_score,
    map_at_k,
    mean_average_precision,
    paired_t_test,
)


def ranked(relevance):
    """Binary y_true and strictly decreasing scores for a ranked result list."""
    relevance = np.asarray(relevance)
    return relevance, np.arange(relevance.size, 0, -1).astype(float)


@pytest.mark.parametrize("results, expected", [
    ([1, 0, 1, 1, 0, 1], (1 + 2 / 3 + 3 / 4 + 4 / 6) / 4),   # Xu's Table 2: 0.77
    ([0, 1, 0, 1, 0, 1], 0.5),                                # "every second correct"
    ([0, 0, 1, 0, 0, 1, 0, 0, 1], 1 / 3),                     # "every third correct"
    ([1, 1, 0, 0], 1.0),
])
def test_average_precision_of_the_thesis_examples(results, expected):
    y_true, y_score = ranked(results)
    ap = average_precision_per_class(y_true, y_score)[1]      # column 1: the positives
    assert ap == pytest.approx(expected)
    if results == [1, 0, 1, 1, 0, 1]:
        assert round(ap, 2) == 0.77


def test_mean_average_precision_multilabel_and_undefined_classes():
    Y = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 0]])
    S = np.array([[0.9, 0.2, 0.1], [0.3, 0.8, 0.5], [0.6, 0.1, 0.2], [0.7, 0.3, 0.9]])
    # class 0 ranking by score: 0.9 (1), 0.7 (0), 0.6 (1), 0.3 (0) -> (1 + 2/3) / 2
    # class 1 ranking: 0.8 (1), 0.3 (0), 0.2 (0), 0.1 (1) -> (1 + 2/4) / 2
    per_class = average_precision_per_class(Y, S)
    np.testing.assert_allclose(per_class[:2], [(1 + 2 / 3) / 2, (1 + 2 / 4) / 2])
    assert np.isnan(per_class[2])                             # no positives: undefined
    assert mean_average_precision(Y, S) == pytest.approx(((1 + 2 / 3) / 2 + 0.75) / 2)


def test_labels_map_columns_and_missing_classes():
    S = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.2, 0.3, 0.5]])
    y = np.array(["cat", "dog", "owl"])
    assert mean_average_precision(y, S) == pytest.approx(1.0)
    # "owl" absent from y_true: labels= gives the column order
    labels = ["cat", "dog", "owl"]
    assert map_at_k(y[:2], S[:2], labels=labels) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="pass labels="):
        map_at_k(y[:2], S[:2])
    with pytest.raises(ValueError, match="not in labels"):
        map_at_k(["cat", "eel"], S[:2], labels=labels)


def test_auc_and_d_prime_by_hand():
    y = np.array([0, 0, 1, 1])
    s = np.array([0.1, 0.4, 0.35, 0.8])
    # positive/negative pairs: (0.35 > 0.1), (0.35 < 0.4), (0.8 > both): 3 of 4
    assert auc_score(y, s) == pytest.approx(0.75)
    assert auc_per_class(y, s).tolist() == [0.75, 0.75]
    assert d_prime_score(y, s) == pytest.approx(np.sqrt(2) * stats.norm.ppf(0.75))
    assert d_prime(0.5) == 0.0
    assert d_prime(1.0) == np.inf
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        d_prime(1.2)


@pytest.mark.parametrize("auc, reported", [  # Xu's Table 10 (AUC rounded to 3 digits)
    (0.934, 2.133), (0.960, 2.482), (0.953, 2.367), (0.957, 2.422), (0.961, 2.497),
    (0.963, 2.520), (0.959, 2.457), (0.962, 2.506), (0.958, 2.439)])
def test_d_prime_reproduces_the_thesis_table(auc, reported):
    assert d_prime(auc) == pytest.approx(reported, abs=0.015)


def test_map_at_k_single_label_is_the_reciprocal_rank():
    S = np.array([[0.5, 0.3, 0.2, 0.0]] * 4)
    y = np.array([0, 1, 2, 3])                       # ranks 1, 2, 3, 4
    assert map_at_k(y, S, k=3) == pytest.approx((1 + 1 / 2 + 1 / 3 + 0) / 4)
    assert map_at_k(y, S, k=1) == pytest.approx(1 / 4)
    assert map_at_k(y, S, k=4) == pytest.approx((1 + 1 / 2 + 1 / 3 + 1 / 4) / 4)
    with pytest.raises(ValueError, match="positive integer"):
        map_at_k(y, S, k=0)


def test_map_at_k_multilabel_follows_the_reference_formula():
    Y = np.array([[1, 0, 1, 0], [0, 0, 0, 0]])
    S = np.array([[0.9, 0.8, 0.7, 0.1], [0.4, 0.3, 0.2, 0.1]])
    # sample 0: top 3 hits 1, 0, 1 -> (1/1 + 2/3) / min(2, 3); sample 1: no labels -> 0
    assert map_at_k(Y, S, k=3) == pytest.approx(((1 + 2 / 3) / 2 + 0) / 2)


def test_binary_scores_as_a_single_column():
    y = np.array([0, 1, 1, 0])
    s = np.array([0.2, 0.9, 0.6, 0.4])
    assert mean_average_precision(y, s) == \
        pytest.approx(mean_average_precision(y, np.column_stack([1 - s, s])))


def test_scorers_match_the_metrics_in_cross_validation():
    X, y = make_classification(n_samples=120, n_classes=3, n_informative=4, random_state=0)
    clf = LogisticRegression(max_iter=500)
    fitted = LogisticRegression(max_iter=500).fit(X[40:], y[40:])
    for scorer, metric in [(metrics.map_at_3_scorer, map_at_k),
                           (metrics.mean_average_precision_scorer, mean_average_precision),
                           (metrics.auc_scorer, auc_score),
                           (metrics.d_prime_scorer, d_prime_score)]:
        scores = cross_val_score(clf, X, y, cv=3, scoring=scorer)
        assert np.all(np.isfinite(scores)) and np.all(scores > 0)
        assert scorer(fitted, X[:40], y[:40]) == \
            pytest.approx(metric(y[:40], fitted.predict_proba(X[:40])))


def test_paired_t_test_is_scipys_ttest_rel():
    a = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    b = np.array([0.85, 0.8, 0.6, 0.65, 0.4])
    result = paired_t_test(a, b)
    expected = stats.ttest_rel(a, b)
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.pvalue == pytest.approx(expected.pvalue)
    # NaN (undefined per-class scores) pairs are left out
    with_nan = paired_t_test(np.append(a, np.nan), np.append(b, 0.3))
    assert with_nan.pvalue == pytest.approx(expected.pvalue)
    with pytest.raises(ValueError, match="class by class"):
        paired_t_test(a, b[:3])
    with pytest.raises(ValueError, match="identical"):
        paired_t_test(a, a)
