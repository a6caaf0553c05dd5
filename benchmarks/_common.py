"""Shared helpers of the benchmarks: machine description, timing, JSON output."""

import json
import os
import platform
import time
from importlib import metadata
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
# The spoken-digit recordings: $SKAUDIO_FSDD, or ../shared/data/fsdd beside the repository.
FSDD = Path(os.environ.get("SKAUDIO_FSDD",
                           Path(__file__).resolve().parents[2] / "shared" / "data" / "fsdd"))
# The exit status run_all.py reads as "skipped" (data or an optional package missing).
SKIPPED = 3


def machine():
    """What the figures were measured on."""
    import keras

    def version(pkg):
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return None

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        # The machine is shared: the 1, 5 and 15-minute load averages when the
        # results were written say how busy it was (above the core count, the
        # threaded paths could not use every core).
        "load_average": list(os.getloadavg()),
        "python": platform.python_version(),
        "keras_backend": keras.backend.backend(),
        "versions": {pkg: version(pkg) for pkg in
                     ("skaudio", "numpy", "scipy", "scikit-learn", "librosa", "keras",
                      "scikeras", "jax", "jaxlib",
                      # other Keras backends and Dask, where installed
                      "tensorflow", "torch", "dask", "distributed")},
    }


# Keras backends -> the package each needs (benchmarks/backends.py, training.py).
BACKENDS = {"jax": "jax", "tensorflow": "tensorflow", "torch": "torch"}


def available(python, backend):
    """Whether ``backend``'s package imports in the interpreter ``python``."""
    import subprocess

    probe = subprocess.run([python, "-c", f"import {BACKENDS[backend]}"],
                           capture_output=True, text=True)
    return probe.returncode == 0


def timed(fn):
    """Seconds one call of ``fn()`` takes."""
    tic = time.perf_counter()
    fn()
    return time.perf_counter() - tic


def alternate(candidates, repeats):
    """Time every candidate ``repeats`` times, alternating, and return the lists.

    Alternating A, B, A, B, ... spreads the machine's noise over both, so the
    ratio of medians is fair even when absolute times drift.
    """
    times = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            times[name].append(timed(fn))
    return times


def write(name, payload):
    """Write ``benchmarks/results/<name>.json`` with the machine description."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2,
                               default=float) + "\n")
    return path


def median(values):
    return float(np.median(values))


def require_dask(script):
    """``(Client, LocalCluster)`` of dask.distributed, or exit as skipped without it."""
    import sys
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        print(f"skipped: {script} needs dask.distributed ({exc}); "
              'install it with pip install "skaudio[dask]"')
        sys.exit(SKIPPED)
    return Client, LocalCluster
