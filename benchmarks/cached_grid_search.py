"""Grid search over PERSA+'s q with and without caching the features.

    python benchmarks/cached_grid_search.py [--quick]

``GridSearchCV`` over 5 values of ``persaplus__q`` on 1,000 FSDD recordings
(``../shared/data/fsdd`` or ``$SKAUDIO_FSDD``), 5-fold ``StratifiedKFold``, of

    Pipeline([("features", Pipeline([("audio_mel", make_pipeline(AudioLoader,
                                                                  MelSpectrogram)),
                                      ("out", "passthrough")], memory=memory)),
              PersaPlus, TemporalStatistics, StandardScaler, RidgeClassifier])

The features -- decoding, resampling and the mel spectrogram -- do not depend
on ``q``; they are one step, so that the cache is keyed on the file names
(hashed in microseconds) rather than on a waveform array (joblib hashes about
150 MB/s here: as long as the mel spectrogram of the same clips takes), and
the memory sits on a sub-pipeline that holds only that step: a pipeline's
memory caches every transformer but its last, and caching the ``q``-dependent
steps too costs hashes and disk writes of their inputs and outputs for no hit
(measured here: that made the cached search no faster than the uncached one).
The classifier is a cheap one, so the
figure is about the features. Four ways, alternating, each with a new, empty
cache folder per run:

* ``no cache``: ``memory=None``: the features of every fold, for every
  candidate (and the refit);
* ``Pipeline(memory)``: the features cached as above;
* ``CachedTransformer``: the features step wrapped in
  ``skaudio.CachedTransformer(..., memory=...)``, which caches ``transform`` as
  well as ``fit``;
* ``CachedTransformer(per_sample)``: the same with ``per_sample=True``, which
  caches every file's features on their own, since ``AudioLoader`` (with a
  ``duration``) and ``MelSpectrogram`` learn nothing in ``fit``: each file is
  decoded once in the whole search. What the goal measures (at least 3x);
* ``features once``: the features of all files computed before the search,
  leak-free for the same reason; the grid then runs over ``PersaPlus -> ... ->
  RidgeClassifier``. The best any cache can do.

scikit-learn's ``memory`` caches ``fit_transform`` on the training folds only:
scoring a candidate on its test fold calls ``transform`` again. With ``k``
folds and ``c`` candidates, the feature work falls from ``k c + 1`` passes over
the data (each fold's training and test files, for every candidate, plus the
refit) to ``(k - 1) + c + 1``, so the ratio cannot pass ``(k c + 1) / (k + c)``
-- 2.6x for 5 folds and 5 candidates -- whatever the cache costs. The script
prints that bound next to the measurement. ``CachedTransformer`` also caches
the test folds' features (and a training fold that is another fold's test
rows): each fold's files are decoded once, plus the refit's. With
``per_sample=True`` every file is decoded once. All five give the same
``cv_results_`` scores and ``best_params_`` (checked).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(__file__))

import librosa  # noqa: E402
import numpy as np  # noqa: E402
from _common import FSDD, SKIPPED, alternate, median, write  # noqa: E402
from joblib import Memory  # noqa: E402
from sklearn.linear_model import RidgeClassifier  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skaudio import (  # noqa: E402
    AudioLoader,
    CachedTransformer,
    MelSpectrogram,
    PersaPlus,
    TemporalStatistics,
)
from skaudio.datasets import load_fsdd  # noqa: E402

SR, N_MELS = 8000, 64


def features():
    """The q-independent work: decode, resample, pad to 1 s, mel spectrogram."""
    return make_pipeline(AudioLoader(sr=SR, duration=1.0),
                         MelSpectrogram(sr=SR, n_fft=256, hop_length=64, n_mels=N_MELS))


def make_search(*, with_features=True, memory=None, cached_transformer=False,
                per_sample=False, qs, cv):
    """GridSearchCV over q; ``memory`` caches the features step only.

    A ``Pipeline``'s memory caches every transformer but the last step, each
    keyed on a hash of its input; the steps after the features change with
    ``q``, so caching them would only cost hashing and disk writes. The cache
    therefore sits on a small pipeline holding the features step (keyed on
    the file names) and a ``"passthrough"`` last step. With
    ``cached_transformer``, ``memory`` goes to a ``CachedTransformer`` around
    the features step instead (caching per sample with ``per_sample``).
    """
    bands = librosa.mel_frequencies(N_MELS + 2, fmax=SR / 2)[1:-1]
    steps = [("persaplus", PersaPlus(band_frequencies=bands, random_state=0)),
             ("stats", TemporalStatistics()), ("scale", StandardScaler()),
             ("ridge", RidgeClassifier())]
    if cached_transformer:
        steps.insert(0, ("features", CachedTransformer(features(), memory=memory,
                                                       per_sample=per_sample)))
    elif with_features:
        steps.insert(0, ("features", Pipeline([("audio_mel", features()),
                                               ("out", "passthrough")], memory=memory)))
    return GridSearchCV(Pipeline(steps), {"persaplus__q": qs}, cv=cv)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer clips and repeats")
    args = parser.parse_args(argv)
    if args.quick:
        step, qs, k, repeats = 30, [3.0, 9.0], 2, 1
    else:
        step, qs, k, repeats = 3, [3.0, 6.0, 9.0, 12.0, 15.0], 5, 3
    if not (FSDD / "recordings").is_dir():
        print(f"skipped: FSDD not found at {FSDD} (set SKAUDIO_FSDD)")
        sys.exit(SKIPPED)
    fsdd = load_fsdd(FSDD)
    X, y = np.asarray(fsdd.filenames)[::step], np.asarray(fsdd.target)[::step]
    n = len(X)
    cv = list(StratifiedKFold(n_splits=k, shuffle=True, random_state=0).split(X, y))
    searches = {}

    def no_cache():
        searches["no cache"] = make_search(qs=qs, cv=cv).fit(X, y)

    def cached(name, **kwargs):
        def run():
            folder = tempfile.mkdtemp(prefix="skaudio-bench-cache-")
            try:
                searches[name] = make_search(memory=Memory(folder, verbose=0), qs=qs,
                                             cv=cv, **kwargs).fit(X, y)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        return run

    feature_pass = []  # seconds of one pass of the features over all files

    def features_once():
        tic = time.perf_counter()
        S = features().fit_transform(X)
        feature_pass.append(time.perf_counter() - tic)
        searches["features once"] = make_search(with_features=False, qs=qs,
                                                cv=cv).fit(S, y)

    # warm: the first mel spectrogram of a process imports librosa's numba code
    make_search(qs=qs[:1], cv=cv[:1]).fit(X, y)
    times = alternate({"no cache": no_cache, "Pipeline(memory)": cached("Pipeline(memory)"),
                       "CachedTransformer": cached("CachedTransformer",
                                                   cached_transformer=True),
                       "CachedTransformer(per_sample)": cached(
                           "CachedTransformer(per_sample)", cached_transformer=True,
                           per_sample=True),
                       "features once": features_once}, repeats)
    reference = searches["no cache"]
    for name, search in searches.items():
        np.testing.assert_allclose(search.cv_results_["mean_test_score"],
                                   reference.cv_results_["mean_test_score"], rtol=1e-6,
                                   err_msg=f"{name} scores differ from the uncached search")
        assert search.best_params_ == reference.best_params_, name

    base = median(times["no cache"])
    ratios = {name: base / median(t) for name, t in times.items()}
    bound = (k * len(qs) + 1) / (k + len(qs))
    # What each cache would give if storing and loading cost nothing: the
    # features-once search plus the feature passes the cache still makes
    # (fold sizes add up to k passes for the training folds, 1 for the test
    # folds, 1 for the refit), each as long as the measured pass over all files.
    F, once = median(feature_pass), median(times["features once"])
    ceiling = {"Pipeline(memory)": base / (once + (k - 1 + len(qs)) * F),
               "CachedTransformer": base / (once + k * F)}
    print(f"cached grid search: {n} FSDD files (1 s at {SR} Hz), q in {qs}, {k}-fold "
          f"StratifiedKFold, RidgeClassifier, {repeats} alternating repeats")
    print("| way | median time (s) | all runs (s) | speed-up over no cache |")
    print("|---|---|---|---|")
    for name, t in times.items():
        runs = ", ".join(f"{v:.2f}" for v in t)
        print(f"| {name} | {median(t):.2f} | {runs} | {ratios[name]:.2f}x |")
    print(f"\nPipeline(memory=...) speed-up: {ratios['Pipeline(memory)']:.2f}x (at most "
          f"{bound:.2f}x with {k} folds and {len(qs)} candidates, since scikit-learn "
          "caches fit_transform only and each test fold is transformed per candidate)")
    print(f"CachedTransformer speed-up: {ratios['CachedTransformer']:.2f}x (it caches "
          "the test folds' transform too)")
    print("CachedTransformer(per_sample=True) speed-up: "
          f"{ratios['CachedTransformer(per_sample)']:.2f}x (goal >= 3x; every file is "
          "decoded once)")
    print(f"one pass of the features over the {n} files: {F:.2f} s; the q-dependent "
          f"rest of the search: {once - F:.2f} s. With a free cache: Pipeline(memory) "
          f"{ceiling['Pipeline(memory)']:.2f}x, CachedTransformer "
          f"{ceiling['CachedTransformer']:.2f}x")
    print(f"best parameters, equal in all five: {reference.best_params_}")
    print("(absolute times are noisy on a shared machine; the ratios are measured in one "
          "run, alternating the five ways)")
    path = write("cached_grid_search_quick" if args.quick else "cached_grid_search", {
        "setup": {"n_files": n, "sr": SR, "clip_seconds": 1.0, "qs": qs, "folds": k,
                  "classifier": "RidgeClassifier",
                  "repeats": repeats, "quick": args.quick},
        "seconds": times, "speedup": ratios, "memory_bound": bound,
        "feature_pass_seconds": feature_pass, "speedup_with_a_free_cache": ceiling,
        "best_params": reference.best_params_,
        "goals": [
            {"figure": f"grid search over {len(qs)} q values, {k} folds: no cache / "
                       "features in CachedTransformer(memory=..., per_sample=True)",
             "value": ratios["CachedTransformer(per_sample)"], "unit": "x",
             "goal": ">= 3", "met": bool(ratios["CachedTransformer(per_sample)"] >= 3)},
            {"figure": "same search: no cache / CachedTransformer(memory=...) (caches "
                       "each fold's features)",
             "value": ratios["CachedTransformer"], "unit": "x", "goal": "report",
             "met": None},
            {"figure": "same search: no cache / Pipeline(memory=...) (caches training "
                       "folds only)",
             "value": ratios["Pipeline(memory)"], "unit": "x",
             "goal": f"report (at most {bound:.1f}x by construction)", "met": None},
            {"figure": "same search: no cache / CachedTransformer if storing and loading "
                       "cost nothing (measured feature pass and q-dependent rest)",
             "value": ceiling["CachedTransformer"], "unit": "x", "goal": "report",
             "met": None},
            {"figure": "same search: no cache / mel features computed once before it "
                       "(the best a cache can do)",
             "value": ratios["features once"], "unit": "x", "goal": "report",
             "met": None},
        ],
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
