"""Fit overhead of VGGLikeClassifier in a Pipeline against plain keras.Model.fit.

    python benchmarks/fit_overhead.py [--quick]

The same network (the PERSA+ paper's VGG-like CNN), data, epochs and batch size
are trained (a) through ``Pipeline(PerSampleNorm, VGGLikeClassifier)`` and (b)
by hand: ``per_sample_norm`` and ``keras.Model.fit`` on a model from
``build_vgg_like``. Both include building and compiling the model. The runs
alternate A, B, A, B, ...; the figure is the ratio of the medians (goal: at
most 1.10).
"""

import argparse
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(__file__))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from _common import alternate, median, write  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from skaudio import PerSampleNorm, VGGLikeClassifier  # noqa: E402
from skaudio.frontends import per_sample_norm  # noqa: E402
from skaudio.networks import build_vgg_like  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples and repeats")
    args = parser.parse_args(argv)
    n, repeats, epochs = (256, 3, 3) if args.quick else (1024, 5, 5)
    frames, bands, n_classes, batch = 64, 64, 5, 32

    rng = np.random.default_rng(0)
    X = (10 ** rng.uniform(-4, 0, size=(n, frames, bands))).astype(np.float32)
    y = rng.integers(0, n_classes, size=n)

    def skaudio_pipeline():
        make_pipeline(PerSampleNorm(), VGGLikeClassifier(
            epochs=epochs, batch_size=batch, random_state=0)).fit(X, y)

    def plain_keras():
        keras.utils.set_random_seed(0)
        Z = per_sample_norm(X)[..., np.newaxis]
        model = build_vgg_like((frames, bands, 1), n_classes)
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(Z, y, epochs=epochs, batch_size=batch, shuffle=True, verbose=0)

    plain_keras()  # warm both paths: imports, first compilation of shared kernels
    skaudio_pipeline()
    times = alternate({"skaudio": skaudio_pipeline, "keras": plain_keras}, repeats)
    ratio = median(times["skaudio"]) / median(times["keras"])

    print(f"fit overhead: {n} samples of {frames}x{bands}, {epochs} epochs, "
          f"batch {batch}, {repeats} alternating repeats")
    print("| path | median fit time (s) | all runs (s) |")
    print("|---|---|---|")
    for name in times:
        runs = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"| {name} | {median(times[name]):.2f} | {runs} |")
    print(f"\nratio skaudio / plain keras: {ratio:.3f} (goal <= 1.10)")
    print("(absolute times are noisy on a shared machine; the ratio is measured "
          "in one run, alternating the two paths)")
    path = write("fit_overhead_quick" if args.quick else "fit_overhead", {
        "setup": {"n_samples": n, "shape": [frames, bands], "epochs": epochs,
                  "batch_size": batch, "repeats": repeats, "quick": args.quick},
        "seconds": times, "ratio": ratio,
        "goals": [{
            "figure": "fit overhead: Pipeline(PerSampleNorm, VGGLikeClassifier).fit "
                      "/ hand-written keras.Model.fit",
            "value": ratio, "unit": "x", "goal": "<= 1.10", "met": bool(ratio <= 1.10),
        }],
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
