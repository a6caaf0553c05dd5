"""Training steps and single-clip prediction with and without skaudio's CPU compiler options.

    python benchmarks/compiler_options.py [--quick] [--networks vgg_like fcnn ...]

skaudio compiles its training steps on JAX's CPU backend with
``skaudio._compiled_steps.CPU_COMPILER_OPTIONS``, which leave convolutions
and matrix products to XLA's multi-threaded kernels instead of YNNPACK's
single-threaded ones, and its predict step without them. This measures both
choices in one process, so that the machine's noise falls on both sides:

* **training step**: the fitted network's ``train_step`` under ``jax.jit``
  twice, with and without the options, on the same batch of 32; the two
  alternate, 5 steps at a time, and the figure is the ratio of the median
  times (goal: at least 1, the options are on because they win);
* **one clip**: ``predict_proba`` of single clips of the VGG-like CNN with
  its predict step compiled with the options and with Keras's own (XLA's
  defaults), alternating (reported: the reason prediction keeps the
  defaults).

The networks are those of ``benchmarks/training.py``. Where this JAX or its
XLA cannot take the options, the script says so and exits as skipped.
Results: ``benchmarks/results/compiler_options.json``.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402
from _common import SKIPPED, alternate, median, write  # noqa: E402
from training import N_CLASSES, NETWORKS  # noqa: E402


def training_step_times(network, rounds, steps=5):
    """Seconds of ``steps`` training steps, with and without the options, alternating."""
    import jax

    import skaudio
    from skaudio import _compiled_steps

    name, params, shape = NETWORKS[network]
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(64, *shape)) * 0.1).astype(np.float32)
    y = rng.integers(0, N_CLASSES, size=64)
    clf = getattr(skaudio, name)(epochs=1, batch_size=32, random_state=0, **params).fit(X, y)
    model = clf.model_
    data = (jax.device_put(clf.feature_encoder_.transform(X)[:32]),
            jax.device_put(clf.target_encoder_.transform(y)[:32]), None)
    state = model._get_jax_state(trainable_variables=True, non_trainable_variables=True,
                                 optimizer_variables=True, metrics_variables=True)
    candidates = {}
    for label, options in (("options", _compiled_steps.compiler_options()), ("defaults", None)):
        step = jax.jit(model.train_step, donate_argnums=0, compiler_options=options)
        own = {"state": jax.tree.map(lambda a: jax.numpy.array(a, copy=True), state)}
        own["state"] = step(own["state"], data)[1]  # compile

        def run(step=step, own=own):
            for _ in range(steps):
                own["state"] = step(own["state"], data)[1]
            jax.block_until_ready(own["state"])
        candidates[label] = run
    return alternate(candidates, rounds)


def one_clip_times(rounds, clips=50):
    """Seconds of ``clips`` single-clip ``predict_proba`` calls, each predict step."""
    from skaudio import VGGLikeClassifier, _compiled_steps

    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, *NETWORKS["vgg_like"][2])).astype(np.float32)
    clf = VGGLikeClassifier(epochs=1, random_state=0).fit(X, rng.integers(0, N_CLASSES, 256))
    model = clf.model_

    def predict_step(state, data):  # what Keras's make_predict_function compiles
        outputs, non_trainable_variables = model.predict_step(state, data)
        return outputs, (state[0], non_trainable_variables)

    functions = {"options": model._make_function(_compiled_steps.jit(
                     predict_step, donate_argnums=0), concatenate_outputs=True),
                 "defaults": model.predict_function}

    def predicting(function):
        def run():
            model.predict_function = function
            for i in range(clips):
                clf.predict_proba(X[i:i + 1])
        return run
    for function in functions.values():
        predicting(function)()  # compile
    times = alternate({label: predicting(f) for label, f in functions.items()}, rounds)
    return {label: [t / clips for t in runs] for label, runs in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, two networks")
    parser.add_argument("--networks", nargs="+", choices=sorted(NETWORKS),
                        default=["vgg_like", "vgg_like_128", "fcnn", "raw_waveform"])
    args = parser.parse_args(argv)
    from skaudio import _compiled_steps

    if _compiled_steps.compiler_options() is None:
        print("skipped: this JAX, its XLA or this process's thread budget does not "
              "take skaudio's CPU compiler options")
        sys.exit(SKIPPED)
    rounds = 3 if args.quick else 9
    networks = args.networks[:2] if args.quick else args.networks
    results, goals = {}, []
    print(f"training steps of a batch of 32, with {_compiled_steps.CPU_COMPILER_OPTIONS} "
          f"and with XLA's defaults, {rounds} alternating rounds of 5 steps (medians)")
    print("| network | with the options (ms/step) | defaults (ms/step) | speed-up |")
    print("|---|---:|---:|---:|")
    for network in networks:
        times = training_step_times(network, rounds)
        ratio = median(times["defaults"]) / median(times["options"])
        results[network] = {"seconds_per_5_steps": times, "speedup": ratio}
        print(f"| {network} | {median(times['options']) / 5 * 1e3:.1f} | "
              f"{median(times['defaults']) / 5 * 1e3:.1f} | {ratio:.2f}x |", flush=True)
        goals.append({"figure": f"{network}: training step with skaudio's CPU compiler "
                                "options / without", "value": ratio, "unit": "x",
                      "goal": ">= 1", "met": bool(ratio >= 1)})
    clip = one_clip_times(rounds)
    slowdown = median(clip["options"]) / median(clip["defaults"])
    print(f"\nVGG-like predict_proba of one clip: {median(clip['options']) * 1e3:.2f} ms with "
          f"the options, {median(clip['defaults']) * 1e3:.2f} ms with the defaults "
          f"({slowdown:.2f}x): prediction keeps the defaults")
    goals.append({"figure": "vgg_like: one-clip predict_proba time with the options / "
                            "with XLA's defaults (why prediction keeps the defaults)",
                  "value": slowdown, "unit": "x", "goal": "report", "met": None})
    path = write("compiler_options_quick" if args.quick else "compiler_options", {
        "setup": {"options": _compiled_steps.CPU_COMPILER_OPTIONS, "rounds": rounds,
                  "batch_size": 32, "networks": networks, "quick": args.quick},
        "training_steps": results, "one_clip_seconds": clip, "goals": goals})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
