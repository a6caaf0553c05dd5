"""Training and inference speed of the reference CNN on every Keras backend installed.

    python benchmarks/backends.py [--quick] [--python PATH]

The PERSA+ paper's VGG-like CNN (``VGGLikeClassifier`` with its defaults,
~100k parameters) on inputs of 32 frames x 64 mel bands -- a 1-second clip at
16 kHz through ``MelSpectrogram(n_mels=64) -> PersaPlus`` -- trained and used
through skaudio's estimator on each Keras backend (JAX, TensorFlow, PyTorch)
whose package imports in the interpreter ``--python`` (default: this one, or
``$SKAUDIO_BENCH_PYTHON``). Keras fixes its backend at import, so each
measurement runs in its own process with ``KERAS_BACKEND`` set; the backends
alternate, round after round, and the figures are medians over rounds:

* ``fit``: wall time of ``VGGLikeClassifier(epochs=E).fit`` in a fresh process
  (building, compiling or tracing, and training: what one grid-search
  candidate costs);
* training samples/s: steady state, more epochs of the already-compiled model;
* inference samples/s: ``predict_proba`` on a batch (the estimator's batch
  size), and the latency of one sample.

Ratios are to JAX, measured in the same run. Absolute times are noisy on a
shared machine.
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("KERAS_BACKEND", "jax")  # this process's Keras (machine description)

from _common import BACKENDS, available  # noqa: E402

SHAPE = (32, 64)
N_CLASSES = 4


def worker(backend, n, epochs, batch):
    """Measure one backend in this process; print one JSON line."""
    os.environ["KERAS_BACKEND"] = backend
    import keras
    import numpy as np

    import skaudio  # noqa: F401
    from skaudio import VGGLikeClassifier

    assert keras.backend.backend() == backend, keras.backend.backend()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, *SHAPE)).astype(np.float32)
    y = rng.integers(0, N_CLASSES, size=n)
    X[np.arange(n), :, y * 8] += 2.0  # learnable: a band per class

    def timed(fn):
        tic = time.perf_counter()
        fn()
        return time.perf_counter() - tic

    clf = VGGLikeClassifier(epochs=epochs, batch_size=batch, random_state=0)
    fit_seconds = timed(lambda: clf.fit(X, y))
    # steady state: the compiled model trains on, with the inputs exactly as the
    # estimator passed them (another dtype would make JAX compile again)
    X4 = clf.feature_encoder_.transform(X)
    y_enc = clf.target_encoder_.transform(y)
    clf.model_.fit(X4, y_enc, epochs=1, batch_size=batch, verbose=0)
    train_seconds = timed(lambda: clf.model_.fit(X4, y_enc, epochs=epochs,
                                                 batch_size=batch, verbose=0))
    clf.predict_proba(X)  # warm the prediction step
    predict_seconds = float(np.median([timed(lambda: clf.predict_proba(X))
                                       for _ in range(3)]))
    clf.predict_proba(X[:1])
    single = float(np.median([timed(lambda: clf.predict_proba(X[:1])) for _ in range(20)]))
    threads = None
    if backend == "torch":
        import torch
        threads = torch.get_num_threads()
    print(json.dumps({
        "backend": backend, "version": __import__(BACKENDS[backend]).__version__,
        "fit_seconds": fit_seconds,
        "train_samples_per_second": n * epochs / train_seconds,
        "predict_samples_per_second": n / predict_seconds,
        "single_sample_seconds": single,
        "train_accuracy": float(np.mean(clf.predict(X) == y)),
        "threads": threads,
    }))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round")
    parser.add_argument("--python", default=os.environ.get("SKAUDIO_BENCH_PYTHON",
                                                           sys.executable),
                        help="interpreter whose installed backends are measured")
    parser.add_argument("--backends", nargs="+", choices=list(BACKENDS),
                        default=list(BACKENDS), help="measure only these")
    parser.add_argument("--rounds", type=int, help="rounds of alternation (default 3)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    n, epochs, rounds, batch = (64, 1, 1, 32) if args.quick else (512, 2, 3, 32)
    rounds = args.rounds or rounds
    if args.worker:
        worker(args.worker, args.n or n, args.epochs or epochs, batch)
        return

    backends = [b for b in args.backends if available(args.python, b)]
    missing = [b for b in args.backends if b not in backends]
    if "jax" not in backends:
        sys.exit(f"JAX, skaudio's default backend, does not import in {args.python}")
    runs = {b: [] for b in backends}
    for _ in range(rounds):
        for backend in backends:
            env = {**os.environ, "KERAS_BACKEND": backend}
            proc = subprocess.run(
                [args.python, os.path.abspath(__file__), "--worker", backend,
                 "--n", str(n), "--epochs", str(epochs)],
                env=env, capture_output=True, text=True)
            if proc.returncode:
                sys.exit(f"the {backend} worker failed:\n{proc.stderr[-3000:]}")
            runs[backend].append(json.loads(proc.stdout.strip().splitlines()[-1]))

    import numpy as np
    from _common import write

    keys = ("fit_seconds", "train_samples_per_second", "predict_samples_per_second",
            "single_sample_seconds")
    med = {b: {k: float(np.median([r[k] for r in runs[b]])) for k in keys}
           for b in backends}
    print(f"Keras backends: VGGLikeClassifier (defaults) on {n} samples of "
          f"{SHAPE[0]}x{SHAPE[1]}, {epochs} epochs, batch {batch}, {rounds} alternating "
          f"rounds (medians); not installed: {', '.join(missing) or 'none'}")
    print("| backend | version | fit (s) | training samples/s | inference samples/s "
          "| one sample (ms) | training vs JAX | inference vs JAX |")
    print("|---|---|---|---|---|---|---|---|")
    for b in backends:
        m, j = med[b], med["jax"]
        print(f"| {b} | {runs[b][0]['version']} | {m['fit_seconds']:.1f} | "
              f"{m['train_samples_per_second']:.0f} | {m['predict_samples_per_second']:.0f} "
              f"| {1e3 * m['single_sample_seconds']:.1f} | "
              f"{m['train_samples_per_second'] / j['train_samples_per_second']:.2f}x | "
              f"{m['predict_samples_per_second'] / j['predict_samples_per_second']:.2f}x |")
    print("(absolute figures are noisy on a shared machine; the ratios come from one "
          "run with the backends alternating)")

    goals = []
    for b in backends:
        for key, label in (("train_samples_per_second", "training"),
                           ("predict_samples_per_second", "inference")):
            goals.append({"figure": f"{b} backend: {label} samples/s",
                          "value": med[b][key], "unit": "samples/s", "goal": "report",
                          "met": None})
    others = [b for b in backends if b != "jax"]
    if others:
        for key, label in (("train_samples_per_second", "training"),
                           ("predict_samples_per_second", "inference"),
                           ("fit_seconds", "fit time")):
            if key == "fit_seconds":  # lower is better
                best = min(med[b][key] for b in others)
                value = best / med["jax"][key]
            else:
                best = max(med[b][key] for b in others)
                value = med["jax"][key] / best
            goals.append({"figure": f"default backend JAX: {label}, best other backend "
                                    "= 1", "value": value, "unit": "x",
                          "goal": ">= 1 (JAX stays default)", "met": bool(value >= 1)})
    path = write("backends_quick" if args.quick else "backends", {
        "setup": {"n_samples": n, "shape": list(SHAPE), "epochs": epochs,
                  "batch_size": batch, "rounds": rounds, "python": args.python,
                  "quick": args.quick},
        "not_installed": missing, "runs": runs, "medians": med, "goals": goals,
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
