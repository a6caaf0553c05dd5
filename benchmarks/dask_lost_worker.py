"""A grid search on Dask survives a worker process killed in the middle of it.

    python benchmarks/dask_lost_worker.py [--quick]

Needs ``pip install "skaudio[dask]"`` (``dask[distributed]``).

``GridSearchCV`` over a small PERSA+ CNN pipeline runs on a
``dask.distributed.LocalCluster`` of 2 worker processes through joblib's dask
backend; once the workers are busy with the search's fits, one worker
process is killed with SIGKILL (as the out-of-memory killer or a lost machine
would). Dask notices the lost worker, its nanny starts a new one, and the
scheduler runs the lost tasks again. The check: the search completes with the
same ``best_params_`` and the same cross-validation scores as a sequential
search in this process -- exactly the same, since every fit draws its random
numbers from its own ``random_state`` and from no global generator.
"""

import argparse
import os
import signal
import sys
import threading
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(__file__))

import joblib  # noqa: E402
import numpy as np  # noqa: E402
from _common import require_dask, write  # noqa: E402
from dask_grid_search import make_pipe  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold  # noqa: E402

from skaudio.datasets import make_audio_classification  # noqa: E402


def kill_a_busy_worker(client, killed):
    """Wait until a worker runs one of the search's fits, then SIGKILL its process."""
    pids = client.run(os.getpid)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        busy = [address for address, tasks in client.processing().items() if tasks]
        if busy:
            time.sleep(1.0)  # well inside the fit
            os.kill(pids[busy[0]], signal.SIGKILL)
            killed.update(address=busy[0], pid=pids[busy[0]], at=time.monotonic())
            return
        time.sleep(0.05)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller grid")
    args = parser.parse_args(argv)
    Client, LocalCluster = require_dask("dask_lost_worker")
    n, k, epochs = (48, 2, 2) if args.quick else (96, 3, 4)
    grid = {"persaplus__q": [3.0, 9.0, 15.0]}
    data = make_audio_classification(n_samples=n, n_classes=3, duration=0.5, sr=16000,
                                     gain_db=(-20, 0), clips_per_group=4, random_state=0)
    X, y, groups = data.data, data.target, data.groups
    cv = list(StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=0)
              .split(X, y, groups))

    tic = time.perf_counter()
    sequential = GridSearchCV(make_pipe(epochs), grid, cv=cv, n_jobs=1).fit(X, y)
    sequential_seconds = time.perf_counter() - tic

    killed = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        killer = threading.Thread(target=kill_a_busy_worker, args=(client, killed))
        killer.start()
        tic = time.perf_counter()
        with joblib.parallel_backend("dask"):
            on_dask = GridSearchCV(make_pipe(epochs), grid, cv=cv, n_jobs=-1).fit(X, y)
        dask_seconds = time.perf_counter() - tic
        killer.join()
        workers_after = len(client.scheduler_info()["workers"])

    if not killed:
        raise RuntimeError("no worker was busy with the search: nothing was killed")
    same_best = sequential.best_params_ == on_dask.best_params_
    score_diff = float(np.max(np.abs(sequential.cv_results_["mean_test_score"]
                                     - on_dask.cv_results_["mean_test_score"])))
    print(f"GridSearchCV on Dask with a worker killed: {n} clips, {len(cv)} folds x "
          f"{len(grid['persaplus__q'])} candidates, {epochs} epochs; worker {killed['pid']} "
          f"killed {killed['at'] - tic:.1f} s into the search")
    print(f"search completed in {dask_seconds:.1f} s (sequential {sequential_seconds:.1f} s);"
          f" workers after: {workers_after} (the nanny restarted the lost one)")
    print(f"same best parameters as sequential: {same_best} ({on_dask.best_params_}); "
          f"largest difference of mean CV scores: {score_diff:.2g}")
    path = write("dask_lost_worker_quick" if args.quick else "dask_lost_worker", {
        "setup": {"n_clips": n, "grid": grid, "folds": k, "epochs": epochs,
                  "workers": 2, "threads_per_worker": 1, "quick": args.quick},
        "killed_after_seconds": killed["at"] - tic, "dask_seconds": dask_seconds,
        "sequential_seconds": sequential_seconds, "workers_after": workers_after,
        "best_params": {"sequential": sequential.best_params_, "dask": on_dask.best_params_},
        "mean_test_scores": {
            "sequential": sequential.cv_results_["mean_test_score"].tolist(),
            "dask": on_dask.cv_results_["mean_test_score"].tolist()},
        "goals": [
            {"figure": "Dask grid search with a worker killed: same best parameters "
                       "as sequential", "value": float(same_best), "unit": "",
             "goal": "1 (yes)", "met": same_best},
            {"figure": "Dask grid search with a worker killed: largest difference of "
                       "mean CV scores from sequential", "value": score_diff, "unit": "",
             "goal": "0", "met": bool(score_diff == 0)},
        ],
    })
    print(f"wrote {path}")
    if not (same_best and score_diff == 0):
        sys.exit(1)


if __name__ == "__main__":
    main()
