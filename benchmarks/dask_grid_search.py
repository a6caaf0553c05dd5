"""GridSearchCV over a CNN pipeline on a dask.distributed cluster vs sequentially.

    python benchmarks/dask_grid_search.py [--quick]

Needs ``pip install "skaudio[dask]"`` (``dask[distributed]``).

The same ``GridSearchCV`` over ``make_frontend_pipeline("persa+")`` (a small
VGG-like CNN) runs (a) sequentially in this process and (b) on a
``dask.distributed.LocalCluster`` of 2 worker *processes* (one thread each,
talking over loopback TCP) through joblib's dask backend::

    with Client(cluster), joblib.parallel_backend("dask"):
        search.fit(X, y, groups=groups)

No scheduler of skaudio's own: scikit-learn hands its fits to joblib and
joblib to Dask. The runs alternate; the figure is the ratio of the medians.
Checked in the same run:

* both give the same ``best_params_`` and the same cross-validation scores
  (training is seeded, so CPU runs are reproducible across processes);
* fitted Keras models travel between processes: ``cross_validate(...,
  return_estimator=True)`` on the cluster pickles fitted pipelines *from* the
  workers; sending them back *to* a worker and predicting there gives the
  same probabilities as predicting here.

Cluster start-up and the workers' first imports (skaudio, librosa, JAX) are
timed separately and not part of the ratio. Absolute times are noisy on a
shared machine; the ratio is measured in one run, alternating.
"""

import argparse
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(__file__))

import joblib  # noqa: E402
import numpy as np  # noqa: E402
from _common import alternate, median, require_dask, timed, write  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    StratifiedGroupKFold,
    cross_validate,
)

from skaudio import make_frontend_pipeline  # noqa: E402
from skaudio.datasets import make_audio_classification  # noqa: E402


def make_pipe(epochs):
    """A small PERSA+ CNN system: 0.5-s clips, 32 mel bands, two conv blocks."""
    return make_frontend_pipeline(
        "persa+", sr=16000, n_fft=512, hop_length=256, n_mels=32, random_state=0,
        filters=(8, 16), dense_units=16, epochs=epochs, batch_size=16,
        run_eagerly=True)


def predict_proba(estimator, X):
    """Runs on a worker: the fitted estimator arrives pickled."""
    return estimator.predict_proba(X)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny grid, one repeat")
    args = parser.parse_args(argv)
    Client, LocalCluster = require_dask("dask_grid_search")
    if args.quick:
        n, grid, k, epochs, repeats = 48, {"persaplus__q": [3.0, 15.0]}, 2, 2, 1
    else:
        n, k, epochs, repeats = 96, 3, 5, 2
        grid = {"persaplus__q": [3.0, 9.0, 15.0], "vgglikeclassifier__dropout": [0.1, 0.3]}
    data = make_audio_classification(n_samples=n, n_classes=3, duration=0.5, sr=16000,
                                     gain_db=(-20, 0), clips_per_group=4, random_state=0)
    X, y, groups = data.data, data.target, data.groups
    cv = list(StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=0)
              .split(X, y, groups))
    n_fits = k * int(np.prod([len(v) for v in grid.values()]))

    searches = {}

    def sequential():
        searches["sequential"] = GridSearchCV(make_pipe(epochs), grid, cv=cv,
                                              n_jobs=1).fit(X, y)

    def on_dask():
        with joblib.parallel_backend("dask"):
            searches["dask"] = GridSearchCV(make_pipe(epochs), grid, cv=cv,
                                            n_jobs=-1).fit(X, y)

    setup = {}
    cluster = client = None
    try:
        def start():
            nonlocal cluster, client
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None)
            client = Client(cluster)
        setup["cluster_start_seconds"] = timed(start)
        # Dask's worker processes are daemons, which joblib will not let start
        # their own pools: skaudio's front-ends then run on one thread there,
        # as they should with one thread per worker; do not warn about it.
        # warm both sides: imports, librosa's numba code, first network traces
        setup["warm_up_seconds"] = timed(lambda: client.gather(client.map(
            lambda seed: make_pipe(1).fit(X[:16], y[:16]).score(X[:16], y[:16]),
            range(2), pure=False)))
        make_pipe(1).fit(X[:16], y[:16])

        times = alternate({"sequential": sequential, "dask": on_dask}, repeats)

        seq, dsk = searches["sequential"], searches["dask"]
        same_best = seq.best_params_ == dsk.best_params_
        score_diff = float(np.max(np.abs(seq.cv_results_["mean_test_score"]
                                         - dsk.cv_results_["mean_test_score"])))

        # fitted Keras models to and from worker processes
        best = make_pipe(epochs).set_params(**seq.best_params_)
        with joblib.parallel_backend("dask"):
            from_workers = cross_validate(best, X, y, cv=cv, n_jobs=-1,
                                          return_estimator=True)["estimator"]
        local = cross_validate(best, X, y, cv=cv, n_jobs=1,
                               return_estimator=True)["estimator"]
        here = [est.predict_proba(X) for est in from_workers]
        there = client.gather([client.submit(predict_proba, est, X, pure=False)
                               for est in from_workers])
        round_trip_diff = float(max(np.max(np.abs(a - b)) for a, b in zip(here, there)))
        vs_local_diff = float(max(np.max(np.abs(a - est.predict_proba(X)))
                                  for a, est in zip(here, local)))
        workers = len(client.scheduler_info()["workers"])
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    ratio = median(times["sequential"]) / median(times["dask"])
    print(f"GridSearchCV on Dask: {n} clips of 0.5 s, {n_fits} CNN fits per search "
          f"({k} folds x {n_fits // k} candidates, {epochs} epochs), {workers} worker "
          f"processes x 1 thread on loopback, {repeats} alternating repeats")
    print("| run | median time (s) | all runs (s) |")
    print("|---|---|---|")
    for name, t in times.items():
        print(f"| {name} | {median(t):.1f} | {', '.join(f'{v:.1f}' for v in t)} |")
    print(f"\nspeed-up sequential / dask: {ratio:.2f}x "
          f"(cluster start {setup['cluster_start_seconds']:.1f} s and worker warm-up "
          f"{setup['warm_up_seconds']:.1f} s not included)")
    print(f"same best parameters: {same_best} ({seq.best_params_}); largest "
          f"difference of mean CV scores: {score_diff:.2g}")
    print(f"fitted pipelines from workers, predicted back on a worker: largest "
          f"probability difference {round_trip_diff:.2g}; against the same fits made "
          f"here: {vs_local_diff:.2g}")
    print("(absolute times are noisy on a shared machine; the ratio is measured in one "
          "run, alternating)")
    path = write("dask_grid_search_quick" if args.quick else "dask_grid_search", {
        "setup": {"n_clips": n, "grid": grid, "folds": k, "epochs": epochs,
                  "fits_per_search": n_fits, "workers": workers,
                  "threads_per_worker": 1, "repeats": repeats, "quick": args.quick,
                  **setup},
        "seconds": times, "speedup": ratio, "best_params": {
            "sequential": seq.best_params_, "dask": dsk.best_params_},
        "mean_test_scores": {
            "params": [str(p) for p in seq.cv_results_["params"]],
            "sequential": seq.cv_results_["mean_test_score"].tolist(),
            "dask": dsk.cv_results_["mean_test_score"].tolist()},
        "score_difference": score_diff, "round_trip_difference": round_trip_diff,
        "worker_vs_local_fit_difference": vs_local_diff,
        "goals": [
            {"figure": "GridSearchCV of a CNN pipeline: sequential time / Dask "
                       "LocalCluster (2 worker processes)", "value": ratio, "unit": "x",
             "goal": "> 1", "met": bool(ratio > 1)},
            {"figure": "Dask grid search: same best parameters as sequential",
             "value": float(same_best), "unit": "", "goal": "1 (yes)", "met": same_best},
            {"figure": "fitted pipelines pickled from and to workers: largest "
                       "predict_proba difference", "value": round_trip_diff, "unit": "",
             "goal": "0", "met": bool(round_trip_diff == 0)},
            {"figure": "the same fits on a worker and here: largest predict_proba "
                       "difference", "value": vs_local_diff, "unit": "", "goal": "0",
             "met": bool(vs_local_diff == 0)},
        ],
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
