"""The README's demo: front-ends compared by grid search on built-in data.

Run it with ``python -m skaudio demo``. It generates a seeded synthetic dataset
whose sources are recorded at random levels (0 to -30 dB) and background noise,
then cross-validates (``StratifiedGroupKFold`` over sources) one pipeline

    MelSpectrogram -> front-end -> TemporalStatistics -> StandardScaler
    -> LogisticRegression

with ``GridSearchCV`` over the front-end (LOG, PERSA, LOG-T, PCEN, PERSA+) and
PERSA+'s ``q``, and prints the table. The mel spectrograms are computed once per
fold thanks to the pipeline's ``memory`` cache.
"""

import tempfile
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .datasets import make_audio_classification
from .features import MelSpectrogram
from .frontends import PCEN, LogCompression, LogThreshold, PersaPlus, PerSampleNorm
from .pooling import TemporalStatistics

FRONTEND_NAMES = {
    LogCompression: "LOG",
    PerSampleNorm: "PERSA",
    LogThreshold: "LOG-T",
    PCEN: "PCEN",
    PersaPlus: "PERSA+",
}


def run_demo(n_samples=320, n_classes=8, q_values=(3, 6, 9, 15), n_splits=4,
             random_state=0, print_fn=print):
    """Cross-validate the five front-ends on synthetic data and print a table.

    Returns
    -------
    search : GridSearchCV
        The fitted search; ``search.cv_results_`` holds every figure.
    """
    start = time.perf_counter()
    data = make_audio_classification(
        n_samples=n_samples, n_classes=n_classes, duration=1.0, sr=16000,
        snr_db=10.0, gain_db=(-30.0, 0.0), random_state=random_state,
    )
    print_fn(
        f"skaudio demo: {n_samples} synthetic clips of 1 s at 16 kHz, "
        f"{n_classes} classes ({', '.join(data.target_names)}),\n"
        f"sources at random levels (0 to -30 dB) in noise (10 dB SNR); "
        f"{n_splits}-fold StratifiedGroupKFold over {len(np.unique(data.groups))} sources.\n"
    )
    with tempfile.TemporaryDirectory() as cache:
        pipe = Pipeline([
            ("mel", MelSpectrogram(sr=16000, n_fft=1024, hop_length=256, n_mels=64)),
            ("frontend", PersaPlus(random_state=random_state)),
            ("pool", TemporalStatistics()),
            ("scale", StandardScaler()),
            ("clf", LogisticRegression(max_iter=2000)),
        ], memory=cache)
        grid = [
            {"frontend": [LogCompression(), PerSampleNorm(), LogThreshold(c=30),
                          PCEN(hop_length=256)]},
            {"frontend": [PersaPlus(random_state=random_state)],
             "frontend__q": list(q_values)},
        ]
        cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True,
                                  random_state=random_state)
        search = GridSearchCV(pipe, grid, cv=cv, n_jobs=1)
        search.fit(data.data, data.target, groups=data.groups)
    print_fn(format_results(search))
    print_fn(f"\nbest: {describe(search.best_params_)} "
             f"({100 * search.best_score_:.1f} % accuracy); "
             f"{time.perf_counter() - start:.0f} s in all.")
    return search


def describe(params):
    """A front-end's short name with its parameter, e.g. ``PERSA+ (q=9)``."""
    frontend = params["frontend"]
    name = FRONTEND_NAMES[type(frontend)]
    if "frontend__q" in params:
        return f"{name} (q={params['frontend__q']})"
    if isinstance(frontend, LogThreshold):
        return f"{name} (c={frontend.c:g})"
    return name


def format_results(search):
    """Format ``cv_results_`` of the demo's search as a markdown table."""
    res = search.cv_results_
    rows = ["| front-end | accuracy (mean ± std over folds) |", "|---|---|"]
    for params, mean, std in zip(res["params"], res["mean_test_score"],
                                 res["std_test_score"]):
        rows.append(f"| {describe(params)} | {100 * mean:.1f} ± {100 * std:.1f} % |")
    return "\n".join(rows)
