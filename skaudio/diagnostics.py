"""Shortcut (watermark) diagnostic: does inaudible content predict the labels?

The PERSA+ paper's motivation (section IV): content far below a recording's
level -- a device's noise floor, hum, a codec's artefacts -- can "watermark" the
recordings of a class or a file. A network then learns the watermark instead of
the sound, and scores well only while training and test share it (for example
when segments of one file straddle folds). :func:`shortcut_probe` measures how
much of the labels such content predicts.
"""

import warnings

import numpy as np
from scipy.stats import binomtest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch

from ._validation import check_scalar_real, check_time_frequency


class ShortcutWarning(UserWarning):
    """Inaudible content alone predicts the labels better than chance."""


def inaudible_features(X_tf, *, threshold_db=-90.0, mask=None):
    """Per-band statistics of the time-frequency bins below ``threshold_db``.

    Every bin at or above the threshold is replaced by the threshold itself, so
    the features carry no information about audible content: only about where
    and how the quiet bins lie. Returns the mean and standard deviation over
    time of each band, in dB, plus each band's fraction of quiet bins.

    Parameters
    ----------
    X_tf : ndarray of shape (n, n_frames, n_bands[, n_channels])
        Power (as :class:`skaudio.MelSpectrogram` gives).
    threshold_db : float, default=-90.0
        Level in dB of power (``10 log10``) under which a bin counts as
        inaudible.
    mask : ndarray of bool, broadcastable to ``X_tf``, or None
        Bins to probe instead of the threshold rule (True: probe this bin).
    """
    X_tf = check_time_frequency(X_tf, name="shortcut_probe", min_ndim=3)
    level = 10 * np.log10(np.maximum(X_tf, 1e-30))
    quiet = level < threshold_db if mask is None else np.broadcast_to(mask, X_tf.shape)
    probed = np.where(quiet, level, threshold_db)
    flat = lambda a: a.reshape(a.shape[0], -1)  # noqa: E731
    return np.concatenate([flat(probed.mean(axis=1)), flat(probed.std(axis=1)),
                           flat(quiet.mean(axis=1))], axis=1)


def shortcut_probe(X_tf, y, *, threshold_db=-90.0, mask=None, groups=None, cv=5,
                   alpha=0.01, warn=True):
    """Cross-validate a simple classifier on inaudible content only.

    Fits ``StandardScaler -> LogisticRegression`` on
    :func:`inaudible_features` and compares its cross-validated accuracy with
    chance (the majority class's share). A one-sided binomial test over all
    test predictions gives a p-value; below ``alpha`` the probe warns: the
    labels are predictable from content below ``threshold_db`` dB, a shortcut
    a network can learn. Give ``groups`` (file ids) to split as the real
    evaluation should: a watermark per file is harmless across files, and
    flagged only by leaky splits that mix a file's segments.

    Parameters
    ----------
    X_tf : ndarray of shape (n, n_frames, n_bands[, n_channels])
        Power spectrograms.
    y : array-like of shape (n,)
    threshold_db : float, default=-90.0
    mask : ndarray of bool or None
        Bins to probe instead of the threshold rule.
    groups : array-like or None
        With groups, ``GroupKFold``; without, ``StratifiedKFold`` (shuffled).
    cv : int, default=5
        Number of folds.
    alpha : float, default=0.01
        Significance level of the warning.
    warn : bool, default=True
        Emit :class:`ShortcutWarning` when the probe beats chance.

    Returns
    -------
    Bunch
        ``accuracy`` (mean over folds), ``scores``, ``chance``, ``p_value``,
        ``shortcut`` (bool), ``quiet_fraction`` (share of probed bins).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((40, 10, 8))  # nothing below -90 dB
    >>> result = shortcut_probe(X, np.arange(40) % 2, warn=False)
    >>> bool(result.shortcut)
    False
    """
    check_scalar_real(threshold_db, "threshold_db", owner="shortcut_probe")
    features = inaudible_features(X_tf, threshold_db=threshold_db, mask=mask)
    y = np.asarray(y)
    splitter = GroupKFold(n_splits=cv) if groups is not None \
        else StratifiedKFold(n_splits=cv, shuffle=True, random_state=0)
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    scores = cross_val_score(probe, features, y, groups=groups, cv=splitter)
    _, counts = np.unique(y, return_counts=True)
    chance = counts.max() / counts.sum()
    n = y.shape[0]
    correct = int(round(np.mean(scores) * n))
    p_value = binomtest(correct, n, chance, alternative="greater").pvalue
    quiet_fraction = float(features[:, -features.shape[1] // 3:].mean())
    shortcut = bool(p_value < alpha)
    if shortcut and warn:
        warnings.warn(
            f"Content below {threshold_db:g} dB predicts the labels: probe accuracy "
            f"{100 * np.mean(scores):.1f} % against {100 * chance:.1f} % chance "
            f"(p = {p_value:.2g}). A network may learn this inaudible watermark; check "
            "that segments of one file never straddle folds (groups=...), and "
            "consider PersaPlus, whose noise floor masks it.",
            ShortcutWarning, stacklevel=2,
        )
    return Bunch(accuracy=float(np.mean(scores)), scores=scores, chance=float(chance),
                 p_value=float(p_value), shortcut=shortcut, quiet_fraction=quiet_fraction)
