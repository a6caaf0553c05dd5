"""Robustness protocols and reports: the PERSA+ paper's gain and noise conditions.

Vrysis et al. (section V-B) test front-ends on three versions of a dataset
with folds: **v1** as recorded; **v3** with one random gain from {0, -10, -20,
-30} dB per (fold, class), so that level betrays the class inside a training
fold but not across folds; **v4** with every clip contaminated by an
interference (a clip of another class, or a noise) at an SNR drawn from
N(9, 3^2) dB, trained on v3's folds and tested on v4's test fold. This module
builds those versions for any dataset with folds, and evaluates any
pipeline under a grid of input gains and SNRs (:func:`robustness_report`, the
paper's Table I for any pipeline).
"""

from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state

from ._validation import check_scalar_real, check_waveforms

__all__ = [
    "RobustnessReport",
    "apply_gain",
    "cross_validate_protocol",
    "default_interference_plan",
    "fitted_robustness_report",
    "make_gain_version",
    "make_interference_version",
    "mix_at_snr",
    "pink_noise",
    "plot_robustness",
    "robustness_report",
]


V3_GAINS_DB = (0.0, -10.0, -20.0, -30.0)


def apply_gain(X, gain_db):
    """Scale waveforms by ``gain_db`` decibels (one value, or one per clip).

    The amplitude factor is ``10 ** (gain_db / 20)``; nothing is clipped, so a
    positive gain can leave [-1, 1].

    Parameters
    ----------
    X : array-like of shape (n_clips, n_samples)
        Waveforms; integer PCM is first converted to float32 in [-1, 1).
    gain_db : float or array-like of shape (n_clips,)
        Gain in dB: one for every clip, or one per clip.

    Returns
    -------
    ndarray of shape (n_clips, n_samples)
        The scaled waveforms, in the floating dtype of ``X``.

    Raises
    ------
    ValueError
        If ``gain_db`` is neither one number nor one per clip, or is not
        finite.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       section V-B (the gains of LVLib-v3) and section V-C (LOG-AU's random
       gain of -30 to 30 dB).

    Examples
    --------
    >>> import numpy as np
    >>> apply_gain(np.ones((2, 3), np.float32), [0.0, -20.0])
    array([[1. , 1. , 1. ],
           [0.1, 0.1, 0.1]], dtype=float32)
    """
    X = check_waveforms(X, name="apply_gain")
    gain_db = np.asarray(gain_db, dtype=np.float64)
    if gain_db.ndim > 1 or (gain_db.ndim == 1 and gain_db.shape[0] != X.shape[0]):
        raise ValueError(
            f"apply_gain: gain_db must be one number or one per clip ({X.shape[0]}); "
            f"got shape {gain_db.shape}."
        )
    if not np.all(np.isfinite(gain_db)):
        raise ValueError("apply_gain: gain_db must be finite.")
    factor = (10 ** (gain_db / 20)).astype(X.dtype)
    return X * (factor[:, np.newaxis] if factor.ndim else factor)


def make_gain_version(X, y, folds, *, gains_db=V3_GAINS_DB, random_state=None):
    """The v3 protocol: one random gain per (fold, class).

    Every clip of one class in one fold gets the same gain, drawn uniformly
    (with replacement) from ``gains_db``: inside a training fold the level
    betrays the class, across folds it does not, so a model that learned the
    level fails on the test fold.

    Parameters
    ----------
    X : ndarray of shape (n_clips, n_samples)
        Waveforms.
    y : array-like of shape (n_clips,)
        Class of every clip.
    folds : array-like of shape (n_clips,)
        Fold id of every clip.
    gains_db : sequence of float, default=(0.0, -10.0, -20.0, -30.0)
        The gains to draw from, in dB.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws (one per fold and class, in sorted order of both).

    Returns
    -------
    X_v3 : ndarray of shape (n_clips, n_samples)
        The scaled waveforms.
    gain_db : ndarray of shape (n_clips,)
        The gain each clip received, in dB.

    Raises
    ------
    ValueError
        If ``y`` or ``folds`` does not hold one entry per clip.

    See Also
    --------
    skaudio.robustness.make_interference_version : The v4 protocol.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       section V-B (LVLib-v3: random gain of {0, -10, -20, -30} dBFS for each
       fold and class, 3 folds) and Table II.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = 0.1 * rng.standard_normal((8, 1000))
    >>> y = np.array(["music", "music", "speech", "speech"] * 2)
    >>> folds = np.array([1, 1, 1, 1, 2, 2, 2, 2])
    >>> X_v3, gain_db = make_gain_version(X, y, folds, random_state=0)
    >>> gain_db
    array([  0.,   0., -30., -30., -10., -10.,   0.,   0.])
    >>> bool(np.allclose(X_v3, apply_gain(X, gain_db)))
    True
    """
    X = check_waveforms(X, name="make_gain_version")
    y, folds = _check_labels(X, y, folds, "make_gain_version")
    rng = check_random_state(random_state)
    gain_db = np.empty(X.shape[0])
    for fold in np.unique(folds):
        for label in np.unique(y):
            cell = (folds == fold) & (y == label)
            gain_db[cell] = rng.choice(np.asarray(gains_db, dtype=float))
    return apply_gain(X, gain_db), gain_db


def _repeat_to_length(N, n_samples):
    """Every row of ``N`` repeated (or cut) to ``n_samples``, each from its own samples."""
    if N.shape[1] == n_samples:
        return N
    return np.tile(N, (1, -(-n_samples // N.shape[1])))[:, :n_samples]


def mix_at_snr(x, interference, snr_db):
    """Add ``interference`` to ``x`` scaled to the signal-to-noise ratio ``snr_db``.

    The SNR is the ratio of the mean powers over the whole clip:
    ``10 log10(mean(x**2) / mean(n**2)) == snr_db`` for the scaled interference
    ``n`` (exactly, up to float rounding). Works on one clip ``(n_samples,)`` or
    a batch ``(n_clips, n_samples)`` with one SNR per clip; the interference is
    tiled or trimmed to the clip's length. A silent clip stays silent, and a
    silent interference adds nothing.

    Parameters
    ----------
    x : ndarray of shape (n_samples,) or (n_clips, n_samples)
        The clean waveform(s).
    interference : ndarray of shape (n_samples_i,) or (n_clips, n_samples_i)
        One interference for every clip, or one per clip.
    snr_db : float or array-like of shape (n_clips,)
        Signal-to-interference ratio in dB, one for every clip or one per
        clip; ``np.inf`` adds nothing.

    Returns
    -------
    ndarray of the shape of ``x``
        ``x`` plus the scaled interference, in the floating dtype of ``x``;
        not clipped.

    Raises
    ------
    ValueError
        If there is neither one interference nor one per clip, or ``snr_db``
        is NaN or ``-inf``.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       section IV-A, eq. 1 (noise scaled by ``p_s / (p_n 10^(q/10))``, the
       same power ratio) and section V-B (LVLib-v4's interference at an SNR
       of 9 +/- 3 dB).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, n = rng.standard_normal(8000), rng.standard_normal(4000)
    >>> mixed = mix_at_snr(x, n, 6.0)
    >>> snr = 10 * np.log10(np.mean(x**2) / np.mean((mixed - x)**2))
    >>> round(float(snr), 6)
    6.0
    """
    x = np.asarray(x)
    single = x.ndim == 1
    X = check_waveforms(x[np.newaxis] if single else x, name="mix_at_snr")
    N = np.asarray(interference)
    N = check_waveforms(N[np.newaxis] if N.ndim == 1 else N, name="mix_at_snr")
    if N.shape[0] not in (1, X.shape[0]):
        raise ValueError(
            f"mix_at_snr: give one interference or one per clip ({X.shape[0]}); "
            f"got {N.shape[0]}."
        )
    N = _repeat_to_length(N, X.shape[1])
    snr_db = np.broadcast_to(np.asarray(snr_db, dtype=np.float64), (X.shape[0],))
    if not np.all(np.isfinite(snr_db) | (snr_db == np.inf)):
        raise ValueError("mix_at_snr: snr_db must be a number or +inf.")
    p_x = np.mean(X.astype(np.float64) ** 2, axis=1)
    p_n = np.mean(N.astype(np.float64) ** 2, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.sqrt(p_x / (p_n * 10 ** (snr_db / 10)))
    scale = np.where(np.isfinite(scale), scale, 0.0).astype(X.dtype)
    mixed = X + N * scale[:, np.newaxis]
    return mixed[0] if single else mixed


def default_interference_plan(classes, n_folds):
    """A v4 plan in the spirit of the paper's: each class meets a new source per fold.

    In fold ``f`` class ``i`` is contaminated by source ``(i + f + 1) mod
    (n_classes + 1)`` among the classes followed by ``"noise"``: a rotation in
    which no class is contaminated by itself and every fold mixes other
    classes and noise. (The paper's 3-class SMO plan is the same idea:
    fold 1 Music<-Speech, Speech<-Music, Other<-noise; ...)

    Parameters
    ----------
    classes : sequence
        The class labels, in the order the rotation follows.
    n_folds : int
        Number of folds.

    Returns
    -------
    list of dict
        ``plan[f][label]`` is a class label or ``"noise"``, one dict per fold.

    See Also
    --------
    skaudio.robustness.make_interference_version : Applies a plan.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       section V-B: the LVLib-v4 plan, a different interfering class or
       machinery noise for each class in each of 3 folds.

    Examples
    --------
    >>> for row in default_interference_plan(["music", "speech", "other"], 3):
    ...     print(row)
    {'music': 'speech', 'speech': 'other', 'other': 'noise'}
    {'music': 'other', 'speech': 'noise', 'other': 'music'}
    {'music': 'noise', 'speech': 'music', 'other': 'speech'}
    """
    classes = list(classes)
    sources = classes + ["noise"]
    plan = []
    for f in range(n_folds):
        row = {}
        for i, label in enumerate(classes):
            source = sources[(i + f + 1) % len(sources)]
            if source == label:  # only possible when the rotation wraps onto itself
                source = "noise"
            row[label] = source
        plan.append(row)
    return plan


def make_interference_version(X, y, folds, *, plan=None, noise=None, snr_mean_db=9.0,
                              snr_std_db=3.0, random_state=None):
    """The v4 protocol: every clip contaminated by another class or by noise.

    Each clip of class ``c`` in fold ``f`` is mixed with a random clip of class
    ``plan[f][c]`` from the same fold (or with ``noise``) at an SNR drawn from
    ``N(snr_mean_db, snr_std_db**2)``.

    Parameters
    ----------
    X : ndarray of shape (n_clips, n_samples)
        Waveforms (v3's, to follow the paper).
    y : array-like of shape (n_clips,)
        Class of every clip.
    folds : array-like of shape (n_clips,)
        Fold id of every clip.
    plan : list of dict or None, default=None
        ``plan[k][label]`` for the k-th fold in sorted order: a class label or
        ``"noise"``; ``None`` uses :func:`default_interference_plan`.
    noise : ndarray of shape (n_noises, n_samples) or (n_samples,) or None, \
default=None
        Noise clips for the ``"noise"`` entries, one drawn at random per
        clip; ``None`` draws 8 clips of :func:`pink_noise`.
    snr_mean_db : float, default=9.0
        Mean of the SNR in dB.
    snr_std_db : float, default=3.0
        Standard deviation of the SNR in dB.
    random_state : int, RandomState instance or None, default=None
        Seeds the SNRs, the interfering clips and the pink noise.

    Returns
    -------
    X_v4 : ndarray of shape (n_clips, n_samples)
        The contaminated waveforms.
    info : dict of str -> ndarray of shape (n_clips,)
        ``snr_db`` of every clip and its ``source`` (class label or
        ``"noise"``).

    Raises
    ------
    ValueError
        If ``plan`` has not one entry per fold, lacks a class, or names a
        class that has no clip in the fold.

    See Also
    --------
    skaudio.robustness.mix_at_snr : The mixing of every clip.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       section V-B (LVLib-v4: interference by another class or machinery
       noise at an SNR of 9 +/- 3 dB; trained on v3, tested on v4's test fold)
       and Table II.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = 0.1 * rng.standard_normal((8, 1000))
    >>> y = np.array(["music", "music", "speech", "speech"] * 2)
    >>> folds = np.array([1, 1, 1, 1, 2, 2, 2, 2])
    >>> X_v4, info = make_interference_version(X, y, folds, random_state=0)
    >>> [str(source) for source in info["source"]]
    ['speech', 'speech', 'noise', 'noise', 'noise', 'noise', 'music', 'music']
    >>> snr = 10 * np.log10(np.mean(X**2, axis=1) / np.mean((X_v4 - X)**2, axis=1))
    >>> bool(np.allclose(snr, info["snr_db"]))
    True
    """
    X = check_waveforms(X, name="make_interference_version")
    y, folds = _check_labels(X, y, folds, "make_interference_version")
    rng = check_random_state(random_state)
    fold_ids = np.unique(folds)
    classes = np.unique(y)
    plan = default_interference_plan(classes, len(fold_ids)) if plan is None else plan
    if len(plan) != len(fold_ids):
        raise ValueError(
            f"make_interference_version: plan has {len(plan)} folds, the data {len(fold_ids)}."
        )
    if noise is None:
        noise = pink_noise((8, X.shape[1]), random_state=rng).astype(X.dtype)
    noise = np.atleast_2d(np.asarray(noise, dtype=X.dtype))
    snr_db = rng.normal(snr_mean_db, snr_std_db, size=X.shape[0])
    interference = np.empty_like(X)
    sources = np.empty(X.shape[0], dtype=object)
    for fold, row in zip(fold_ids, plan):
        in_fold = folds == fold
        for label in classes:
            cell = np.flatnonzero(in_fold & (y == label))
            source = row.get(label, row.get(str(label)))
            if source is None:
                raise ValueError(f"make_interference_version: plan lacks class {label!r}.")
            if isinstance(source, str) and source == "noise":
                pool = noise
            else:
                pool = X[in_fold & (y == source)]
                if pool.shape[0] == 0:
                    raise ValueError(
                        f"make_interference_version: fold {fold!r} has no clip of class "
                        f"{source!r} to contaminate class {label!r} with."
                    )
            picks = pool[rng.randint(pool.shape[0], size=cell.size)]
            interference[cell] = _repeat_to_length(picks, X.shape[1])
            sources[cell] = source
    return mix_at_snr(X, interference, snr_db), {"snr_db": snr_db, "source": sources}


def cross_validate_protocol(estimator, X_train, y, folds, test_sets):
    """Train on one dataset version's folds, test on other versions' held-out fold.

    For every fold ``f``: fit a clone of ``estimator`` on ``X_train[folds != f]``
    and score it on ``X[folds == f]`` of each array in ``test_sets``. The
    paper's v4 evaluation is ``cross_validate_protocol(pipe, X_v3, y, folds,
    {"v3": X_v3, "v4": X_v4})``: trained on v3, tested on v3 and on v4.

    Parameters
    ----------
    estimator : classifier
        Cloned and fitted once per fold, scored by its ``score`` method
        (accuracy, for a classifier).
    X_train : ndarray of shape (n_clips, ...)
        The version the models are trained on.
    y : array-like of shape (n_clips,)
        Class of every clip.
    folds : array-like of shape (n_clips,)
        Fold id of every clip; one model per fold, in sorted order.
    test_sets : dict of str -> ndarray of shape (n_clips, ...)
        Versions of the same clips, in the same order, to test on.

    Returns
    -------
    dict of str -> list of float
        The score of every fold on every test set.

    Raises
    ------
    ValueError
        If ``y``, ``folds`` or a test set does not hold one entry per clip.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       section V-B: trained on LVLib-v3 with the test fold substituted by the
       corresponding fold of LVLib-v4.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skaudio import LogThreshold, MelSpectrogram, TemporalStatistics
    >>> from skaudio.datasets import make_audio_classification
    >>> data = make_audio_classification(n_samples=24, n_classes=2, duration=0.25,
    ...                                  sr=8000, clips_per_group=1, random_state=0)
    >>> folds = np.arange(24) % 3
    >>> X_v3, _ = make_gain_version(data.data, data.target, folds, random_state=0)
    >>> X_v4, _ = make_interference_version(X_v3, data.target, folds, random_state=0)
    >>> pipe = make_pipeline(MelSpectrogram(sr=8000, n_fft=512, hop_length=256, n_mels=16),
    ...                      LogThreshold(), TemporalStatistics(), LogisticRegression())
    >>> scores = cross_validate_protocol(pipe, X_v3, data.target, folds,
    ...                                  {"v3": X_v3, "v4": X_v4})
    >>> sorted(scores), len(scores["v4"])
    (['v3', 'v4'], 3)
    """
    y, folds = np.asarray(y), np.asarray(folds)
    if y.shape != (len(X_train),) or folds.shape != (len(X_train),):
        raise ValueError(
            f"cross_validate_protocol: y and folds need one entry per clip "
            f"({len(X_train)}); got shapes {y.shape} and {folds.shape}."
        )
    for name, X in test_sets.items():
        if len(X) != len(X_train):
            raise ValueError(
                f"cross_validate_protocol: test set {name!r} has {len(X)} clips, the "
                f"training version {len(X_train)}: give versions of the same clips."
            )
    scores = {name: [] for name in test_sets}
    for fold in np.unique(folds):
        train, test = folds != fold, folds == fold
        model = clone(estimator).fit(X_train[train], y[train])
        for name, X in test_sets.items():
            scores[name].append(float(model.score(X[test], y[test])))
    return scores


def pink_noise(shape, *, random_state=None):
    """Gaussian noise with a 1/f power spectrum, unit RMS per row.

    White Gaussian noise whose spectrum is divided by ``sqrt(f)`` along the
    last axis (the DC bin is left as it is), then scaled to an RMS of 1 along
    that axis.

    Parameters
    ----------
    shape : tuple of int
        Shape of the output; the last axis is time.
    random_state : int, RandomState instance or None, default=None
        Seeds the white noise.

    Returns
    -------
    ndarray of shape ``shape``
        Noise (float64) with an RMS of 1 along the last axis.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       section IV-A: pink noise, the noise PERSA+ injects.

    Examples
    --------
    >>> import numpy as np
    >>> noise = pink_noise((2, 8000), random_state=0)
    >>> noise.shape, np.sqrt(np.mean(noise**2, axis=1)).round(6).tolist()
    ((2, 8000), [1.0, 1.0])
    """
    rng = check_random_state(random_state)
    white = np.fft.rfft(rng.standard_normal(shape), axis=-1)
    f = np.arange(white.shape[-1], dtype=np.float64)
    f[0] = 1.0
    pink = np.fft.irfft(white / np.sqrt(f), n=shape[-1], axis=-1)
    return pink / np.sqrt(np.mean(pink**2, axis=-1, keepdims=True))


def _check_labels(X, y, folds, name):
    y, folds = np.asarray(y), np.asarray(folds)
    if y.shape != (X.shape[0],) or folds.shape != (X.shape[0],):
        raise ValueError(
            f"{name}: y and folds need one entry per clip ({X.shape[0]}); got "
            f"shapes {y.shape} and {folds.shape}."
        )
    return y, folds


@dataclass
class RobustnessReport:
    """Accuracy of one pipeline per test condition and fold.

    ``rows`` holds one dict per (condition, fold): ``kind`` ("gain" or "snr"),
    ``value`` (dB), ``fold`` and ``score``. :meth:`summary` gives mean and std
    per condition; :meth:`to_markdown` formats them as a table.

    Parameters
    ----------
    name : str
        Label of the pipeline in tables and plots.
    rows : list of dict, default=[]
        The scores, one dict per (condition, fold); a new empty list when not
        given.

    See Also
    --------
    skaudio.robustness.robustness_report : Fills a report by cross-validation.
    skaudio.robustness.plot_robustness : Plots reports.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       Table I: accuracy per test SNR, the grid one report holds for one
       pipeline.

    Examples
    --------
    >>> report = RobustnessReport("LOG-T", rows=[
    ...     {"kind": "snr", "value": 9.0, "fold": 0, "score": 1.0},
    ...     {"kind": "snr", "value": 9.0, "fold": 1, "score": 0.5}])
    >>> report.summary()
    [('snr', 9.0, 0.75, 0.25, 2)]
    >>> print(report.to_markdown())
    | LOG-T: condition | accuracy (mean ± std over folds) |
    |---|---|
    | SNR 9 dB | 75.0 ± 25.0 % |
    """

    name: str
    rows: list = field(default_factory=list)

    def summary(self):
        """``[(kind, value, mean, std, n_folds), ...]`` in grid order."""
        out = []
        keys = list(dict.fromkeys((r["kind"], r["value"]) for r in self.rows))
        for kind, value in keys:
            scores = [r["score"] for r in self.rows if (r["kind"], r["value"]) == (kind, value)]
            out.append((kind, value, float(np.mean(scores)), float(np.std(scores)),
                        len(scores)))
        return out

    def to_markdown(self):
        """A Markdown table of :meth:`summary`, accuracies in percent."""
        lines = [f"| {self.name}: condition | accuracy (mean ± std over folds) |",
                 "|---|---|"]
        for kind, value, mean, std, _ in self.summary():
            label = ("clean" if value == np.inf else f"SNR {value:g} dB") if kind == "snr" \
                else f"gain {value:+g} dB"
            lines.append(f"| {label} | {100 * mean:.1f} ± {100 * std:.1f} % |")
        return "\n".join(lines)

    def to_dict(self):
        """``name``, ``rows`` and ``summary`` as plain types, for JSON."""
        return {"name": self.name, "rows": self.rows,
                "summary": [dict(zip(("kind", "value", "mean", "std", "n_folds"), s))
                            for s in self.summary()]}


def robustness_report(estimator, X, y, *, gains_db=(0.0, -10.0, -20.0, -30.0),
                      snrs_db=(np.inf, 15.0, 12.0, 9.0, 6.0, 3.0), noise=None, cv=3,
                      groups=None, name=None, random_state=None):
    """Evaluate a pipeline under a grid of input gains and SNRs, per fold.

    For each cross-validation fold, ``estimator`` (a pipeline from waveforms)
    is fitted once on the clean training clips, then scored on the test clips
    scaled by each gain in ``gains_db`` and mixed with noise at each SNR in
    ``snrs_db`` (``np.inf``: clean). The PERSA+ paper's Table I, for any
    pipeline.

    Parameters
    ----------
    estimator : classifier
        A pipeline taking waveforms ``(n_clips, n_samples)``, scored by its
        ``score`` method (accuracy).
    X : ndarray of shape (n_clips, n_samples)
        Waveforms.
    y : array-like of shape (n_clips,)
        Class of every clip.
    gains_db : sequence of float, default=(0.0, -10.0, -20.0, -30.0)
        Input gains in dB, each applied to the clean test clips.
    snrs_db : sequence of float, default=(inf, 15.0, 12.0, 9.0, 6.0, 3.0)
        SNRs in dB at which ``noise`` is mixed into the test clips
        (:func:`mix_at_snr`); ``np.inf`` scores the clean clips.
    noise : ndarray of shape (n_samples,) or (n_clips, n_samples) or None, \
default=None
        Interference for the SNR conditions: one for every clip, or one per
        clip of ``X`` (the test clips take theirs); ``None`` uses one clip of
        :func:`pink_noise`.
    cv : int, cross-validation generator or iterable, default=3
        As in scikit-learn (an int: ``StratifiedKFold`` for classifiers).
    groups : array-like of shape (n_clips,) or None, default=None
        Passed to the splitter's ``split``: give a group splitter
        (``GroupKFold``) as ``cv`` to keep each source in one fold;
        ``StratifiedKFold`` ignores them.
    name : str or None, default=None
        Label of the pipeline in tables and plots; ``None``: the estimator's
        class name.
    random_state : int, RandomState instance or None, default=None
        Seeds the pink noise.

    Returns
    -------
    RobustnessReport
        One row per condition and fold.

    Raises
    ------
    ValueError
        If a gain or SNR is NaN, a gain is infinite or an SNR is ``-inf``.

    See Also
    --------
    skaudio.robustness.fitted_robustness_report : The same for fitted
        pipelines.
    skaudio.robustness.plot_robustness : Plots the reports.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       Table I (accuracy at test SNRs of inf, 15, 12, 9, 6 and 3 dB) and
       section V-B (the gains of LVLib-v3).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skaudio import LogThreshold, MelSpectrogram, TemporalStatistics
    >>> from skaudio.datasets import make_audio_classification
    >>> data = make_audio_classification(n_samples=24, n_classes=2, duration=0.25,
    ...                                  sr=8000, random_state=0)
    >>> pipe = make_pipeline(MelSpectrogram(sr=8000, n_fft=512, hop_length=256, n_mels=16),
    ...                      LogThreshold(), TemporalStatistics(), LogisticRegression())
    >>> report = robustness_report(pipe, data.data, data.target, gains_db=(0, -20),
    ...                            snrs_db=(np.inf, 9), cv=2, random_state=0)
    >>> [(kind, value, n_folds) for kind, value, _, _, n_folds in report.summary()]
    [('gain', 0.0, 2), ('gain', -20.0, 2), ('snr', inf, 2), ('snr', 9.0, 2)]
    """
    X = check_waveforms(X, name="robustness_report")
    y = np.asarray(y)
    for value in (*gains_db, *snrs_db):
        check_scalar_real(value, "gains_db/snrs_db", owner="robustness_report",
                          allow_inf=True)
    rng = check_random_state(random_state)
    if noise is None:
        noise = pink_noise((1, X.shape[1]), random_state=rng).astype(X.dtype)
    cv = check_cv(cv, y, classifier=True)
    report = RobustnessReport(name or type(estimator).__name__)
    for fold, (train, test) in enumerate(cv.split(X, y, groups)):
        model = clone(estimator).fit(X[train], y[train])
        report.rows += _condition_scores(model, X, y, test, noise, gains_db, snrs_db, fold)
    return report


def _condition_scores(model, X, y, test, noise, gains_db, snrs_db, fold):
    """Rows of ``model``'s accuracy on ``X[test]`` under every gain and SNR."""
    X_test, y_test = X[test], y[test]
    noise_test = noise if np.ndim(noise) == 1 or len(noise) == 1 else noise[test]
    rows = [{"kind": "gain", "value": float(gain), "fold": fold,
             "score": float(model.score(apply_gain(X_test, gain), y_test))}
            for gain in gains_db]
    rows += [{"kind": "snr", "value": float(snr), "fold": fold,
              "score": float(model.score(mix_at_snr(X_test, noise_test, snr), y_test))}
             for snr in snrs_db]
    return rows


def fitted_robustness_report(fitted, X, y, *, test_indices=None,
                             gains_db=(0.0, -10.0, -20.0, -30.0),
                             snrs_db=(np.inf, 15.0, 9.0, 3.0), noise=None, name=None,
                             random_state=None):
    """:func:`robustness_report` of pipelines already fitted: nothing is refitted.

    Scores a fitted pipeline on ``X`` (an evaluation set) under every gain and
    SNR, or, with ``test_indices``, each of several fitted pipelines (the
    estimators of a cross-validation, ``cross_validate(...,
    return_estimator=True, return_indices=True)``) on its own test fold.

    Parameters
    ----------
    fitted : classifier or list of classifiers
        Fitted pipelines taking waveforms; a list goes with ``test_indices``.
    X : ndarray of shape (n_clips, n_samples)
        Waveforms: an evaluation set, or the clips the ``test_indices`` index.
    y : array-like of shape (n_clips,)
        Class of every clip.
    test_indices : list of arrays or None, default=None
        The test clips of each pipeline of ``fitted``; ``None``: the one
        pipeline is scored on all of ``X``.
    gains_db : sequence of float, default=(0.0, -10.0, -20.0, -30.0)
        Input gains in dB, each applied to the clean test clips.
    snrs_db : sequence of float, default=(inf, 15.0, 9.0, 3.0)
        SNRs in dB at which ``noise`` is mixed into the test clips
        (:func:`mix_at_snr`); ``np.inf`` scores the clean clips.
    noise : ndarray of shape (n_samples,) or (n_clips, n_samples) or None, \
default=None
        Interference for the SNR conditions: one for every clip, or one per
        clip of ``X``; ``None`` uses one clip of :func:`pink_noise`.
    name : str or None, default=None
        Label in tables and plots; ``None``: the class name of the (first)
        pipeline.
    random_state : int, RandomState instance or None, default=None
        Seeds the pink noise.

    Returns
    -------
    RobustnessReport
        One fold per pipeline.

    Raises
    ------
    ValueError
        If ``fitted`` and ``test_indices`` differ in length, a gain or SNR is
        NaN, a gain is infinite or an SNR is ``-inf``.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       Table I (accuracy at test SNRs from inf to 3 dB) and section V-B (the
       gains of LVLib-v3).

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skaudio import MelSpectrogram, LogThreshold, TemporalStatistics
    >>> from skaudio.datasets import make_audio_classification
    >>> data = make_audio_classification(n_samples=40, n_classes=2, random_state=0)
    >>> pipe = make_pipeline(MelSpectrogram(n_mels=32), LogThreshold(),
    ...                      TemporalStatistics(), LogisticRegression())
    >>> pipe = pipe.fit(data.data, data.target)
    >>> report = fitted_robustness_report(pipe, data.data, data.target,
    ...                                   gains_db=(0, -20), snrs_db=(), random_state=0)
    >>> [(kind, value) for kind, value, *_ in report.summary()]
    [('gain', 0.0), ('gain', -20.0)]
    """
    X = check_waveforms(X, name="fitted_robustness_report")
    y = np.asarray(y)
    if test_indices is None:
        fitted, test_indices = [fitted], [np.arange(len(y))]
    elif len(fitted) != len(test_indices):
        raise ValueError(f"fitted_robustness_report: {len(fitted)} pipelines but "
                         f"{len(test_indices)} test folds; give one fold per pipeline.")
    for value in (*gains_db, *snrs_db):
        check_scalar_real(value, "gains_db/snrs_db", owner="fitted_robustness_report",
                          allow_inf=True)
    if noise is None:
        noise = pink_noise((1, X.shape[1]), random_state=check_random_state(random_state))
        noise = noise.astype(X.dtype)
    report = RobustnessReport(name or type(fitted[0]).__name__)
    for fold, (model, test) in enumerate(zip(fitted, test_indices)):
        report.rows += _condition_scores(model, X, y, np.asarray(test), noise, gains_db,
                                         snrs_db, fold)
    return report


def plot_robustness(reports, path=None):
    """Accuracy against SNR and against gain, one line per pipeline.

    Needs matplotlib (``pip install "skaudio[plot]"``). Saves a PNG to
    ``path`` when given, and returns the figure: a
    :class:`matplotlib.figure.Figure` made without pyplot, so the user's
    backend and pyplot's figures are left as they were.

    Parameters
    ----------
    reports : RobustnessReport or iterable of RobustnessReport
        One line per report on each panel, labelled by its ``name``: mean
        accuracy with the std over folds as error bars. The clean condition
        (SNR ``inf``) is drawn 3 dB right of the highest finite SNR.
    path : str, os.PathLike or None, default=None
        Where to save the figure as PNG (100 dpi); ``None`` saves nothing.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: accuracy against SNR, and against gain.

    Raises
    ------
    ImportError
        If matplotlib is not installed.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       Table I: the accuracy against test SNR that the first panel plots.

    Examples
    --------
    >>> report = RobustnessReport("LOG-T", rows=[
    ...     {"kind": "gain", "value": 0.0, "fold": 0, "score": 0.9},
    ...     {"kind": "gain", "value": -20.0, "fold": 0, "score": 0.8},
    ...     {"kind": "snr", "value": float("inf"), "fold": 0, "score": 0.9},
    ...     {"kind": "snr", "value": 9.0, "fold": 0, "score": 0.6}])
    >>> fig = plot_robustness(report)
    >>> [ax.get_title() for ax in fig.axes]
    ['Accuracy under noise', 'Accuracy under gain']
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "plot_robustness needs matplotlib: pip install 'skaudio[plot]'"
        ) from None
    reports = [reports] if isinstance(reports, RobustnessReport) else list(reports)
    fig = Figure(figsize=(10, 4))
    axes = fig.subplots(1, 2)
    for report in reports:
        for ax, kind in zip(axes, ("snr", "gain")):
            points = [(v, m, s) for k, v, m, s, _ in report.summary() if k == kind]
            if not points:
                continue
            finite = [p for p in points if np.isfinite(p[0])]
            if kind == "snr" and len(finite) < len(points):  # clean drawn at the right
                top = max([p[0] for p in finite], default=0) + 3
                finite.append((top, *[p for p in points if not np.isfinite(p[0])][0][1:]))
            v, m, s = map(np.array, zip(*sorted(finite)))
            ax.errorbar(v, 100 * m, yerr=100 * s, marker="o", capsize=3, label=report.name)
    axes[0].set(xlabel="test SNR (dB; rightmost point: clean)", ylabel="accuracy (%)",
                title="Accuracy under noise")
    axes[1].set(xlabel="input gain (dB)", ylabel="accuracy (%)", title="Accuracy under gain")
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig
