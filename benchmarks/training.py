"""Training throughput on every Keras backend, before and after, against the machine's limit.

    python benchmarks/training.py [--quick] [--python PATH] [--before REV]
                                  [--networks vgg_like fcnn raw_waveform]

What a grid-search candidate or a cross-validation fold costs, measured for
skaudio's default backend (JAX), the other Keras backends that import in
``--python`` (TensorFlow CPU, PyTorch CPU), and JAX on the code of commit
``--before`` (checked out into a temporary git worktree: the "today's JAX"
of the goals). Each measurement runs in its own process (Keras fixes its
backend at import), the candidates alternate round after round, and the
figures are medians over rounds.

* **steady**: training samples per second of an already-compiled network
  (``model_.fit`` on the estimator's encoded arrays, after one warm-up
  epoch), batch 32;
* **short fit**: seconds of a fresh estimator's ``fit`` for 2 epochs in a
  process that has fitted one before (the XLA compilation cache warm), as a
  grid search's candidates and folds see it: building, tracing, compiling or
  loading the compiled step (on JAX, sharing the steps compiled for the
  previous fit: :mod:`skaudio._compiled_steps`), training, and batch-norm
  recalibration;
* **first fit of an architecture**: the same with the shared steps forgotten
  first, as the first candidate of a new architecture sees it (the XLA
  compilation cache still warm; the other backends have nothing to forget);
* **FLOPs**: the network's training FLOPs per sample, counted from its layers:
  2 x multiply-adds of every convolution and dense layer forwards, 3 x that
  for a training step (the backward pass computes gradients for the inputs
  and the weights, each as costly as the forward pass), minus the first
  layer's input gradient, which nothing needs; normalisation, pooling and
  activations (a few operations per activation, under 2 % here) are not
  counted. Achieved GFLOP/s = FLOPs per sample x samples per second;
* **the limit**: NumPy's float32 matrix product (``sgemm``, 2048 x 2048,
  every core) in the same run; the achieved rate is given as a fraction of it.

Networks (``--networks``): the PERSA+ paper's ``VGGLikeClassifier`` with its
defaults on 1-s clips (32 frames x 64 mel bands) and on 128 x 128 inputs;
the DCASE ``FCNNClassifier`` at its default size on 64 x 64 x 3 log-mel +
deltas; ``RawWaveformClassifier`` narrowed as in ``benchmarks/raw_waveform.py``
(2 s at 8 kHz: one window of two frames per clip). Results:
``benchmarks/results/training.{json,md}`` (``--quick``: ``training_quick.*``).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("KERAS_BACKEND", "jax")

from _common import BACKENDS, available, timed  # noqa: E402

# name -> (estimator, its parameters, the input shape of one sample)
NETWORKS = {
    "vgg_like": ("VGGLikeClassifier", {}, (32, 64)),
    "vgg_like_128": ("VGGLikeClassifier", {}, (128, 128)),
    "fcnn": ("FCNNClassifier", {}, (64, 64, 3)),
    "raw_waveform": ("RawWaveformClassifier",
                     {"sr": 8000, "window_s": 2.0, "frame_s": 1.6, "frame_overlap_s": 1.2,
                      "filters": [16, 32, 32, 64, 64, 64], "hidden_units": 64,
                      "attention_units": 32, "embedding_dim": 32}, (16000,)),
}
N_CLASSES = 4


def training_flops(model):
    """Training FLOPs per sample of ``model``'s convolutions and dense layers (see above)."""
    import numpy as np

    total = 0
    for k, layer in enumerate(_weighted_layers(model)):
        # a kernel's weights meet the input once per output position (a dense
        # layer on a sequence: once per step)
        positions = int(np.prod(layer.output.shape[1:-1]))
        forward = 2 * positions * int(np.prod(layer.kernel.shape))
        total += forward * (2 if k == 0 else 3)
    return total


def _weighted_layers(model):
    import keras

    kinds = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.DepthwiseConv2D,
             keras.layers.Dense)
    found = []
    for layer in model.layers:
        if hasattr(layer, "layers"):
            found += _weighted_layers(layer)
        elif isinstance(layer, kinds):
            found.append(layer)
    return found


def worker(backend, network, n, epochs):
    """Measure one backend and network in this process; print one JSON line."""
    import keras
    import numpy as np

    import skaudio

    name, params, shape = NETWORKS[network]
    estimator = getattr(skaudio, name)
    assert keras.backend.backend() == backend, keras.backend.backend()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, *shape)).astype(np.float32) * (0.1 if len(shape) == 1 else 1.0)
    y = rng.integers(0, N_CLASSES, size=n)
    if len(shape) > 1:
        X[np.arange(n), :, y * (shape[1] // N_CLASSES)] += 2.0  # learnable: a band per class

    def make():
        return estimator(epochs=epochs, batch_size=32, random_state=0, **params)

    try:
        from skaudio._compiled_steps import clear as forget_steps
    except ImportError:  # code before the shared steps: nothing to forget
        def forget_steps():
            pass

    make().fit(X, y)  # warm: imports, the compilation cache, first-use costs
    fit_seconds = timed(lambda: make().fit(X, y))
    forget_steps()
    first_fit_seconds = timed(lambda: make().fit(X, y))
    clf = make().fit(X, y)
    X_in = clf.feature_encoder_.transform(X)
    y_in = clf.target_encoder_.transform(y)
    clf.model_.fit(X_in, y_in, epochs=1, batch_size=32, verbose=0)
    train_seconds = timed(lambda: clf.model_.fit(X_in, y_in, epochs=epochs, batch_size=32,
                                                 verbose=0))
    print(json.dumps({
        "backend": backend, "version": __import__(BACKENDS[backend]).__version__,
        "fit_seconds": fit_seconds, "first_fit_seconds": first_fit_seconds,
        "train_samples_per_second": len(X_in) * epochs / train_seconds,
        "training_flops_per_sample": training_flops(clf.model_),
    }))


def _ratio(value, best):
    return "--" if best is None else f"{value / best:.2f}x"


def sgemm_gflops(size=2048, repeats=5):
    """NumPy's float32 matrix product on every core, in GFLOP/s (best of ``repeats``)."""
    import numpy as np

    a = np.random.default_rng(0).random((size, size), dtype=np.float32)
    a @ a
    best = min(timed(lambda: a @ a) for _ in range(repeats))
    return 2 * size ** 3 / best / 1e9


def worktree(rev):
    """A temporary checkout of ``rev`` (removed by the caller)."""
    folder = tempfile.mkdtemp(prefix="skaudio_before_")
    subprocess.run(["git", "worktree", "add", "--detach", folder, rev], check=True,
                   capture_output=True, cwd=os.path.dirname(os.path.abspath(__file__)))
    return folder


def run_worker(python, candidate, network, n, epochs, before):
    backend = candidate.split()[0]
    env = {**os.environ, "KERAS_BACKEND": backend}
    if candidate.endswith("before"):
        env["PYTHONPATH"] = before  # the old skaudio first on the path
    script = os.path.abspath(__file__)
    proc = subprocess.run([python, script, "--worker", backend, "--network", network,
                           "--n", str(n), "--epochs", str(epochs)],
                          env=env, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"the {candidate} worker on {network} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round")
    parser.add_argument("--python", default=os.environ.get("SKAUDIO_BENCH_PYTHON",
                                                           sys.executable))
    parser.add_argument("--before", help="a commit whose JAX figures are 'today's'")
    parser.add_argument("--networks", nargs="+", choices=list(NETWORKS),
                        default=["vgg_like", "vgg_like_128"])
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--network", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.network, args.n, args.epochs)
        return
    rounds = args.rounds or (1 if args.quick else 3)
    sizes = {"vgg_like": 512, "vgg_like_128": 128, "fcnn": 96, "raw_waveform": 96}
    backends = [b for b in BACKENDS if available(args.python, b)]
    if "jax" not in backends:
        sys.exit(f"JAX, skaudio's default backend, does not import in {args.python}")
    candidates = (["jax before"] if args.before else []) + backends
    before = worktree(args.before) if args.before else None
    runs = {net: {c: [] for c in candidates} for net in args.networks}
    gemm = []
    try:
        for _ in range(rounds):
            gemm.append(sgemm_gflops())
            for net in args.networks:
                n = 64 if args.quick else sizes[net]
                for candidate in candidates:
                    runs[net][candidate].append(
                        run_worker(args.python, candidate, net, n, 1 if args.quick else 2,
                                   before))
                    print(f"{net} {candidate}: {runs[net][candidate][-1]}", flush=True)
    finally:
        if before:
            subprocess.run(["git", "worktree", "remove", "--force", before],
                           capture_output=True, cwd=os.path.dirname(os.path.abspath(__file__)))
            shutil.rmtree(before, ignore_errors=True)

    import numpy as np
    from _common import RESULTS, write

    limit = float(np.median(gemm))
    keys = ("fit_seconds", "first_fit_seconds", "train_samples_per_second")
    med = {net: {c: {k: float(np.median([r[k] for r in runs[net][c]])) for k in keys}
                 for c in candidates} for net in args.networks}
    goals, lines = [], [
        "# Training throughput by Keras backend", "",
        f"Medians of {rounds} alternating rounds; batch 32; sgemm limit {limit:.0f} GFLOP/s "
        "(NumPy float32, 2048 x 2048, every core, same run).", "",
        "| network | candidate | steady samples/s | vs best other backend | short fit (s) "
        "| vs best other | first fit of its architecture (s) | vs best other | GFLOP/s "
        "| of sgemm |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for net in args.networks:
        flops = runs[net]["jax"][0]["training_flops_per_sample"]
        others = [b for b in backends if b != "jax"]
        best_rate = max((med[net][b]["train_samples_per_second"] for b in others), default=None)
        best_fit, best_first = (min((med[net][b][k] for b in others), default=None)
                                for k in ("fit_seconds", "first_fit_seconds"))
        for c in candidates:
            rate, fit, first = (med[net][c][k] for k in ("train_samples_per_second",
                                                          "fit_seconds", "first_fit_seconds"))
            achieved = flops * rate / 1e9
            lines.append(
                f"| {net} | {c} | {rate:,.0f} | {_ratio(rate, best_rate)} | {fit:.2f} | "
                f"{_ratio(fit, best_fit)} | {first:.2f} | {_ratio(first, best_first)} | "
                f"{achieved:.1f} | {achieved / limit:.0%} |")
        jax_rate, jax_fit, jax_first = (med[net]["jax"][k] for k in (
            "train_samples_per_second", "fit_seconds", "first_fit_seconds"))
        if best_rate is not None:
            goals.append({"figure": f"{net}: JAX steady training / best other backend",
                          "value": jax_rate / best_rate, "unit": "x", "goal": ">= 1",
                          "met": bool(jax_rate >= best_rate)})
            goals.append({"figure": f"{net}: JAX short fit time / best other backend",
                          "value": jax_fit / best_fit, "unit": "x", "goal": "<= 1",
                          "met": bool(jax_fit <= best_fit)})
            goals.append({"figure": f"{net}: JAX first fit of an architecture / best other",
                          "value": jax_first / best_first, "unit": "x", "goal": "report",
                          "met": None})
        if args.before:
            old = med[net]["jax before"]["train_samples_per_second"]
            goals.append({"figure": f"{net}: JAX steady training / JAX at {args.before}",
                          "value": jax_rate / old, "unit": "x", "goal": ">= 1.5",
                          "met": bool(jax_rate / old >= 1.5)})
        goals.append({"figure": f"{net}: JAX training GFLOP/s as a share of sgemm",
                      "value": 100 * flops * jax_rate / 1e9 / limit, "unit": "%",
                      "goal": "report", "met": None})
        lines.append(f"| {net} | training FLOPs per sample | {flops / 1e6:.1f} M "
                     "| | | | | | | |")
    text = "\n".join(lines) + "\n"
    name = "training_quick" if args.quick else "training"
    write(name, {"setup": {"networks": args.networks, "rounds": rounds, "before": args.before,
                           "python": args.python, "sizes": sizes, "quick": args.quick},
                 "sgemm_gflops": gemm, "runs": runs, "medians": med, "goals": goals})
    (RESULTS / f"{name}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
