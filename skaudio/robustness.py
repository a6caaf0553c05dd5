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

    Parameters
    ----------
    X : ndarray of shape (n_clips, n_samples)
    y : array-like of shape (n_clips,)
    folds : array-like of shape (n_clips,)
        Fold id of every clip.
    gains_db : sequence of float, default=(0, -10, -20, -30)
    random_state : int, RandomState instance or None

    Returns
    -------
    X_v3 : ndarray, the scaled waveforms
    gain_db : ndarray of shape (n_clips,), the gain each clip received
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


def mix_at_snr(x, interference, snr_db):
    """Add ``interference`` to ``x`` scaled to the signal-to-noise ratio ``snr_db``.

    The SNR is the ratio of the mean powers over the whole clip:
    ``10 log10(mean(x**2) / mean(n**2)) == snr_db`` for the scaled interference
    ``n`` (exactly, up to float rounding). Works on one clip ``(n_samples,)`` or
    a batch ``(n_clips, n_samples)`` with one SNR per clip; the interference is
    tiled or trimmed to the clip's length. A silent clip stays silent, and a
    silent interference adds nothing.

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
    N = np.resize(N, (N.shape[0], X.shape[1])) if N.shape[1] != X.shape[1] else N
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

    Returns
    -------
    plan : list of dict
        ``plan[f][label]`` is a class label or ``"noise"``.
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
    y, folds : array-like of shape (n_clips,)
    plan : list of dict or None
        ``plan[k][label]`` for the k-th fold in sorted order; ``None`` uses
        :func:`default_interference_plan`.
    noise : ndarray of shape (n_noises, n_samples) or (n_samples,) or None
        Noise clips for the ``"noise"`` entries; ``None`` draws pink noise.
    snr_mean_db, snr_std_db : float, default=9.0, 3.0
    random_state : int, RandomState instance or None

    Returns
    -------
    X_v4 : ndarray
    info : dict of arrays
        ``snr_db`` of every clip and its ``source`` (class label or "noise").
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
            interference[cell] = np.resize(picks, (cell.size, X.shape[1]))
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
    X_train : array of shape (n_clips, ...)
        The version the models are trained on.
    y, folds : array-like of shape (n_clips,)
    test_sets : dict of name -> array of shape (n_clips, ...)
        Versions of the same clips, in the same order, to test on.

    Returns
    -------
    dict of name -> list of float
        The score of every fold on every test set.
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
    """Gaussian noise with a 1/f power spectrum, unit RMS per row."""
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
    per condition; :meth:`to_markdown` prints them.
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
        lines = [f"| {self.name}: condition | accuracy (mean ± std over folds) |",
                 "|---|---|"]
        for kind, value, mean, std, _ in self.summary():
            label = ("clean" if value == np.inf else f"SNR {value:g} dB") if kind == "snr" \
                else f"gain {value:+g} dB"
            lines.append(f"| {label} | {100 * mean:.1f} ± {100 * std:.1f} % |")
        return "\n".join(lines)

    def to_dict(self):
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
    estimator : classifier taking waveforms ``(n_clips, n_samples)``
    X : ndarray of shape (n_clips, n_samples)
    y : array-like of shape (n_clips,)
    gains_db, snrs_db : sequences of float
    noise : ndarray of shape (n_samples,) or (n_clips, n_samples) or None
        Interference for the SNR conditions; ``None`` uses pink noise.
    cv : int, cross-validation generator or iterable, default=3
        As in scikit-learn (stratified for classifiers); pass ``groups`` for
        group splitters.
    name : str or None
        Label of the pipeline in tables and plots.
    random_state : int or None
        Seeds the noise.

    Returns
    -------
    RobustnessReport
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
    y : array-like of shape (n_clips,)
    test_indices : list of arrays or None, default=None
        The test clips of each pipeline of ``fitted``.
    gains_db, snrs_db, noise, name, random_state
        As :func:`robustness_report`.

    Returns
    -------
    RobustnessReport
        One fold per pipeline.

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
