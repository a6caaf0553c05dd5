"""The repeated-runs protocol: fit k times with k seeds, report the best and the mean.

A network's score depends on its seed. CAB-CNN's paper (Lu et al., Tables 3
and 7) trains every network eight times on one split and reports both the
best run and the mean of all runs: its claim is that CAB-CNN's mean stays
close to its best while other networks' means fall far below. Reporting
only the best of k runs overstates what one training run gives a user;
:func:`repeated_runs` reports both, with the spread.

The paper's scores are scikit-learn's: its "unweighted recall" (the mean of
the per-class recalls) is ``balanced_accuracy`` and its F1-score (the mean of
the per-class F1) is ``f1_macro``, so :data:`PAPER_SCORING` names those
scorers rather than rewriting them. For confusion matrices of any fitted
pipeline use :func:`sklearn.metrics.confusion_matrix` or
:meth:`sklearn.metrics.ConfusionMatrixDisplay.from_estimator`.
"""

import time

import numpy as np
import sklearn
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import accuracy_score, check_scoring, make_scorer
from sklearn.utils import Bunch

__all__ = ["PAPER_SCORING", "accuracy_per_group", "group_accuracy_scorers", "repeated_runs",
           "seeded"]

#: Accuracy, unweighted average recall and macro F1 (Lu et al., section 4).
PAPER_SCORING = {
    "accuracy": "accuracy",
    "unweighted_recall": "balanced_accuracy",
    "macro_f1": "f1_macro",
}


def seeded(estimator, seed):
    """A clone of ``estimator`` whose every ``random_state`` is drawn from ``seed``.

    Every parameter named ``random_state``, nested ones (``step__random_state``)
    included, gets its own integer from ``numpy.random.default_rng(seed)``, in
    the sorted order of the parameter names; the estimator given is not
    modified.

    Parameters
    ----------
    estimator : estimator or Pipeline
        The model to clone; it may be fitted or not.
    seed : int
        Seed of the generator that draws the ``random_state`` values; the same
        seed gives the same values.

    Returns
    -------
    estimator
        An unfitted clone, every ``random_state`` an int in ``[0, 2**31 - 1)``.

    See Also
    --------
    skaudio.evaluation.repeated_runs : Fits one seeded clone per seed.

    References
    ----------
    .. [1] H. Lu, H. Zhang and A. Nayak, "A deep neural network for audio
       classification with a classifier attention mechanism" (preprint,
       University of Ottawa), section 4, Tables 3 and 7: every network
       trained eight times, the best and the mean run reported.
    .. [2] L. Buitinck et al., "API design for machine learning software:
       experiences from the scikit-learn project," ECML PKDD Workshop on
       Languages for Data Mining and Machine Learning, 2013: the nested
       ``get_params``/``set_params`` parameters seeded here.

    Examples
    --------
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.linear_model import SGDClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> pipe = make_pipeline(PCA(2), SGDClassifier())
    >>> name = "sgdclassifier__random_state"
    >>> seeded(pipe, 0).get_params()[name] == seeded(pipe, 0).get_params()[name]
    True
    >>> pipe.get_params()["pca__random_state"] is None  # the original is untouched
    True
    """
    estimator = clone(estimator)
    names = sorted(name for name in estimator.get_params(deep=True)
                   if name == "random_state" or name.endswith("__random_state"))
    draws = np.random.default_rng(seed).integers(0, 2**31 - 1, size=len(names))
    estimator.set_params(**{name: int(d) for name, d in zip(names, draws)})
    return estimator


def _fit_and_score(estimator, seed, X_train, y_train, X_test, y_test, scorers):
    start = time.perf_counter()
    fitted = seeded(estimator, seed).fit(X_train, y_train)
    fit_time = time.perf_counter() - start
    return fitted, fit_time, {name: float(scorer(fitted, X_test, y_test))
                              for name, scorer in scorers.items()}


def repeated_runs(estimator, X_train, y_train, X_test, y_test, *, seeds=8, scoring=None,
                  select=None, n_jobs=None, return_estimators=False):
    """Fit ``estimator`` once per seed on one split; the best run, the mean and std.

    Parameters
    ----------
    estimator : estimator or Pipeline
        Cloned and seeded with :func:`seeded` for every run.
    X_train, y_train, X_test, y_test : array-like
        One fixed split (the paper's protocol); the runs differ by seed only.
    seeds : int or sequence of int, default=8
        The seeds, or their number (``range(seeds)``). The paper runs 8.
    scoring : dict of {str: str or callable}, default=None
        Scores by name, each a scorer name or a scorer ``(estimator, X, y)``.
        None uses :data:`PAPER_SCORING`.
    select : str, default=None
        The score that picks the best run (the paper picks by accuracy); None
        is the first of ``scoring``.
    n_jobs : int or None, default=None
        Runs fitted in parallel (joblib).
    return_estimators : bool, default=False
        Also return the fitted estimators.

    Returns
    -------
    Bunch
        ``seeds`` (array of the seeds); ``scores`` (name -> array, one entry
        per run); ``mean`` and ``std`` (name -> float; ``std`` with ``ddof=1``,
        the spread between runs); ``best_seed`` and ``best`` (the scores of
        the run with the highest ``select`` score, all scores of that one
        run); ``fit_time`` (seconds of every fit); ``estimators`` with
        ``return_estimators``.

    References
    ----------
    .. [1] H. Lu, H. Zhang and A. Nayak, "A deep neural network for audio
       classification with a classifier attention mechanism" (preprint), section 4,
       Tables 3 and 7.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import SGDClassifier
    >>> X, y = make_classification(200, random_state=0)
    >>> runs = repeated_runs(SGDClassifier(), X[:150], y[:150], X[150:], y[150:], seeds=3)
    >>> sorted(runs.mean), runs.scores["accuracy"].shape
    (['accuracy', 'macro_f1', 'unweighted_recall'], (3,))
    >>> bool(runs.best["accuracy"] == runs.scores["accuracy"].max())
    True
    """
    seeds = np.arange(seeds) if np.ndim(seeds) == 0 else np.asarray(seeds)
    if seeds.ndim != 1 or seeds.size == 0 or not np.issubdtype(seeds.dtype, np.integer):
        raise ValueError(f"repeated_runs: seeds must be a positive int or a sequence of "
                         f"ints; got {seeds!r}.")
    scoring = PAPER_SCORING if scoring is None else scoring
    if not isinstance(scoring, dict) or not scoring:
        raise ValueError("repeated_runs: scoring must be a non-empty dict of name -> "
                         f"scorer name or callable; got {scoring!r}.")
    select = next(iter(scoring)) if select is None else select
    if select not in scoring:
        raise ValueError(f"repeated_runs: select={select!r} is not one of the scores "
                         f"{sorted(scoring)}.")
    scorers = {name: check_scoring(estimator, scoring=s) for name, s in scoring.items()}
    runs = Parallel(n_jobs=n_jobs)(
        delayed(_fit_and_score)(estimator, int(seed), X_train, y_train, X_test, y_test,
                                scorers) for seed in seeds)
    scores = {name: np.array([run[2][name] for run in runs]) for name in scoring}
    best = int(np.argmax(scores[select]))
    result = Bunch(
        seeds=seeds, scores=scores,
        mean={name: float(v.mean()) for name, v in scores.items()},
        std={name: float(v.std(ddof=1)) if v.size > 1 else 0.0
             for name, v in scores.items()},
        best_seed=int(seeds[best]), best={name: float(v[best]) for name, v in scores.items()},
        fit_time=np.array([run[1] for run in runs]),
    )
    if return_estimators:
        result.estimators = [run[0] for run in runs]
    return result


def accuracy_per_group(y_true, y_pred, groups):
    """Accuracy within every group: per recording device, speaker, site, ...

    The DCASE 2020 paper reports accuracy per device (Hu et al., Table 1:
    devices A, B and C, s1-s3 and the unseen s4-s6) next to the overall one.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    groups : array-like of shape (n_samples,)
        The group of every sample.

    Returns
    -------
    dict
        Group -> accuracy of its samples (float), groups in sorted order.

    Raises
    ------
    ValueError
        If the three arrays are not 1-D of one length.

    See Also
    --------
    skaudio.evaluation.group_accuracy_scorers : The same accuracies as
        scorers, per cross-validation fold.

    References
    ----------
    .. [1] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section
       5.3, Table 1: accuracy on the device subsets A, B & C, s1-s3 and
       s4-s6.

    Examples
    --------
    >>> accuracy_per_group([0, 1, 1, 0], [0, 1, 0, 0], ["A", "A", "s4", "s4"])
    {'A': 1.0, 's4': 0.5}
    """
    y_true, y_pred, groups = (np.asarray(a) for a in (y_true, y_pred, groups))
    if not y_true.shape == y_pred.shape == groups.shape or y_true.ndim != 1:
        raise ValueError(f"accuracy_per_group: y_true, y_pred and groups need one entry "
                         f"per sample; got shapes {y_true.shape}, {y_pred.shape}, "
                         f"{groups.shape}.")
    return {g.item() if hasattr(g, "item") else g:
            float(accuracy_score(y_true[groups == g], y_pred[groups == g]))
            for g in np.unique(groups)}


def _accuracy_of_group(y_true, y_pred, *, score_groups, group):
    members = np.asarray(score_groups) == group
    if not members.any():
        return np.nan  # the group has no sample in this test fold
    return accuracy_score(np.asarray(y_true)[members], np.asarray(y_pred)[members])


def group_accuracy_scorers(group_values, *, prefix="accuracy_"):
    """One scorer per group, for ``cross_validate`` and ``GridSearchCV``.

    The scorers take every sample's group through scikit-learn's metadata
    routing: enable it (``sklearn.set_config(enable_metadata_routing=True)``
    or within ``sklearn.config_context(...)``) before calling this, and pass
    the groups as ``params={"score_groups": groups}`` (a name of their own, so
    that a group-aware splitter can still split by ``groups``). A fold
    without samples of a group scores NaN for it.

    Parameters
    ----------
    group_values : iterable
        The groups to score (``np.unique(groups)``).
    prefix : str
        The scorers are named ``prefix + str(group)``; ``"accuracy_"`` by
        default.

    Returns
    -------
    dict of str -> scorer
        ``prefix + str(group)`` -> a scorer of the accuracy on that group's
        samples, requesting ``score_groups``.

    Raises
    ------
    RuntimeError
        If scikit-learn's metadata routing is not enabled.

    See Also
    --------
    skaudio.evaluation.accuracy_per_group : The same accuracies from
        predictions.

    References
    ----------
    .. [1] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section
       5.3, Table 1: accuracy on the device subsets A, B & C, s1-s3 and
       s4-s6.

    Examples
    --------
    >>> import numpy as np, sklearn
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_validate
    >>> X, y = make_classification(60, random_state=0)
    >>> devices = np.array(["A", "s1", "s4"] * 20)
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     scores = cross_validate(LogisticRegression(), X, y, cv=3,
    ...                             scoring=group_accuracy_scorers(np.unique(devices)),
    ...                             params={"score_groups": devices})
    >>> scores["test_accuracy_s4"].shape
    (3,)
    """
    if not sklearn.get_config().get("enable_metadata_routing", False):
        raise RuntimeError(
            "group_accuracy_scorers: the scorers receive the groups through "
            "scikit-learn's metadata routing; enable it first with "
            "sklearn.set_config(enable_metadata_routing=True) (or inside "
            "sklearn.config_context(enable_metadata_routing=True)).")
    return {f"{prefix}{g}": make_scorer(_accuracy_of_group, group=g).set_score_request(
        score_groups=True) for g in group_values}
