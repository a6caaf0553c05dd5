"""Shortcut (watermark) diagnostic: does inaudible content predict the labels?

The PERSA+ paper's motivation (sections I and IV): content far below a recording's
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

__all__ = [
    "ShortcutWarning",
    "inaudible_features",
    "shortcut_probe",
]



class ShortcutWarning(UserWarning):
    """Inaudible content alone predicts the labels better than chance.

    Emitted by :func:`skaudio.diagnostics.shortcut_probe` when a classifier
    of the content below its threshold beats chance at its significance
    level. Filter it as any warning: ``warnings.simplefilter("error",
    ShortcutWarning)`` makes a check fail on it.

    See Also
    --------
    skaudio.diagnostics.shortcut_probe : The probe that emits it.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       section I: a network that scored on file-specific watermarks below
       -90 dBFS, which a shuffled train/test split let it learn.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = np.arange(40) % 2
    >>> X = rng.random((40, 10, 8))
    >>> X[:, :, 6:] = 1e-12 * (1 + y[:, None, None])  # -120 or -117 dB: a watermark
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = shortcut_probe(X, y)
    >>> [w.category.__name__ for w in caught]
    ['ShortcutWarning']
    """


def inaudible_features(X_tf, *, threshold_db=-90.0, mask=None, coverage=0.95):
    """Per-band statistics of the inaudible part of the time-frequency bins.

    Probing every bin below the threshold would also reveal *where* each
    sample is loud, which is audible information. So the probe keeps only
    bands (per channel) that lie below ``threshold_db`` in at least
    ``coverage`` of all the dataset's bins -- a fixed region, the same for
    every sample -- clips them at the threshold, and describes each band by
    its mean and standard deviation over time, in dB. A ``mask`` replaces the
    automatic region.

    Parameters
    ----------
    X_tf : ndarray of shape (n, n_frames, n_bands[, n_channels])
        Power (as :class:`skaudio.MelSpectrogram` gives).
    threshold_db : float, default=-90.0
        Level in dB of power (``10 log10``) under which a bin is inaudible.
    mask : ndarray of bool, broadcastable to one sample, or None, default=None
        The bins to probe (True), instead of the automatic region.
    coverage : float, default=0.95
        Share of a band's bins, over the whole dataset, that must be inaudible
        for the band to be probed.

    Returns
    -------
    features : ndarray of shape (n, 2 * n_probed_bands)
        The mean over time of every probed band (per channel), then their
        standard deviations, in dB; levels above ``threshold_db`` and bins
        outside ``region`` count as ``threshold_db``.
    region : ndarray of bool of shape (n_frames, n_bands[, n_channels])
        The probed bins of one sample, the same for every sample.

    Raises
    ------
    ValueError
        If no band is probed (none is below ``threshold_db`` in ``coverage``
        of its bins, or ``mask`` selects none).

    See Also
    --------
    skaudio.diagnostics.shortcut_probe : Cross-validates a classifier on
        these features.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       section I (watermarks below -90 dBFS, the default ``threshold_db``)
       and section IV (low-level content may hold noise that can be
       watermarked).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((40, 10, 8))
    >>> X[:, :, 6:] = 1e-12  # two silent bands (-120 dB)
    >>> features, region = inaudible_features(X)
    >>> features.shape, region.shape, region.any(axis=0).tolist()
    ((40, 4), (10, 8), [False, False, False, False, False, False, True, True])
    """
    X_tf = check_time_frequency(X_tf, name="shortcut_probe", min_ndim=3)
    level = 10 * np.log10(np.maximum(X_tf, 1e-30))
    if mask is None:
        quiet_share = (level < threshold_db).mean(axis=(0, 1))  # per band (and channel)
        region = np.broadcast_to(quiet_share >= coverage, X_tf.shape[1:])
    else:
        region = np.broadcast_to(np.asarray(mask, dtype=bool), X_tf.shape[1:])
    bands = region.any(axis=0)
    if not bands.any():
        raise ValueError(
            f"shortcut_probe: no band is below {threshold_db:g} dB in {100 * coverage:g} % "
            "of its bins, so there is no inaudible region to probe; raise threshold_db "
            "or pass a mask."
        )
    probed = np.where(region, np.minimum(level, threshold_db), threshold_db)[:, :, bands]
    return np.concatenate([probed.mean(axis=1), probed.std(axis=1)], axis=1), region


def shortcut_probe(X_tf, y, *, threshold_db=-90.0, mask=None, coverage=0.95, groups=None,
                   cv=5, alpha=0.01, warn=True):
    """Cross-validate a simple classifier on inaudible content only.

    Fits ``StandardScaler -> LogisticRegression`` on
    :func:`inaudible_features` (bands below ``threshold_db`` in nearly all
    bins, the same region for every sample) and compares its cross-validated accuracy with
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
        Class labels.
    threshold_db : float, default=-90.0
        Level in dB of power (``10 log10``) under which a bin is inaudible.
    mask : ndarray of bool, broadcastable to one sample, or None, default=None
        Bins to probe instead of the threshold rule.
    coverage : float, default=0.95
        Share of a band's bins that must lie below the threshold for the band
        to be probed (see :func:`inaudible_features`).
    groups : array-like of shape (n,) or None, default=None
        With groups, ``GroupKFold``; without, ``StratifiedKFold`` (shuffled,
        ``random_state=0``).
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
        ``shortcut`` (bool), ``region`` (the probed bins of one sample).

    Raises
    ------
    ValueError
        If no band is probed (see :func:`inaudible_features`).

    Warns
    -----
    ShortcutWarning
        When ``p_value < alpha`` and ``warn`` is True.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       section I: file-specific watermarks below -90 dBFS that a network
       learned through a shuffled train/test split; section IV: why content
       in the lower dynamic range is better kept from the classifier.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((40, 10, 8))
    >>> X[:, :, 6:] = 1e-12  # two silent bands (-120 dB) carry nothing
    >>> result = shortcut_probe(X, np.arange(40) % 2, warn=False)
    >>> bool(result.shortcut), int(result.region.any(axis=0).sum())
    (False, 2)
    """
    check_scalar_real(threshold_db, "threshold_db", owner="shortcut_probe")
    features, region = inaudible_features(X_tf, threshold_db=threshold_db, mask=mask,
                                          coverage=coverage)
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
                 p_value=float(p_value), shortcut=shortcut, region=region)
