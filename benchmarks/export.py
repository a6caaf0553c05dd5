"""float32 vs int8: networks exported to ONNX on FSDD digits (the DCASE paper's section 4).

    python benchmarks/export.py [--fsdd PATH] [--epochs 12] [--systems NAME ...] [--quick]

Hu et al. compress their Task 1b networks (a small FCNN and a MobileNet) by
TensorFlow Lite's post-training dynamic-range quantisation: 8-bit weights,
float activations, "about 1/8 of the original size" with an accuracy drop of
0.1-0.4 points (Table 2). This measures the same for skaudio's export
(:func:`skaudio.export.export_report`) on real recordings:

* **Task.** FSDD digits, the documented split (2,700 training / 300 test
  recordings), 1 s at 8 kHz; 40-band mel spectrograms (256-sample FFT,
  128 hop: 63 frames) and a front-end.
* **Formats.** ``float32``, ``int8`` (int8 weights dequantised at load,
  float computation) and ``int8-dynamic`` (onnxruntime's integer kernels,
  activations quantised at every call), so that the default is chosen by
  measurement.
* **Systems.** The PERSA+ paper's VGG-like CNN on LOG and on PCEN, the DCASE
  paper's fsFCNN and MobileNetV2 on LOG, each trained once (seed 0, Adam
  1e-3, batch 32, ``--epochs``). Each is exported twice, ``quantize=None``
  (float32, the size reference) and ``"int8"``, the front-end inside the
  graph (the files read waveforms).
* **Columns.** Parameters; size of the Keras model file (``.keras``, which
  also holds the optimiser's state: what the paper's "original size" most
  likely was), of the float32 and of the int8 ONNX file, int8 / float32;
  test accuracy of the Keras pipeline, the float32 and the int8 file; the
  int8 drop in points and its agreement with the Keras labels; the median
  latency of one clip (waveform in, probabilities out) for each.

Results: benchmarks/results/export.{json,md} (``--quick``: export_quick.*,
300 training recordings, one epoch).
"""

import argparse
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(__file__))

from _common import FSDD, RESULTS, SKIPPED, write  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from skaudio import (  # noqa: E402
    PCEN,
    FsFCNNClassifier,
    LogCompression,
    MelSpectrogram,
    MobileNetV2Classifier,
    VGGLikeClassifier,
)
from skaudio.datasets import load_fsdd  # noqa: E402

SR = 8000
SYSTEMS = {
    "VGGLike LOG": (VGGLikeClassifier, LogCompression),
    "VGGLike PCEN": (VGGLikeClassifier, lambda: PCEN(sr=SR, hop_length=128)),
    "fsFCNN LOG": (FsFCNNClassifier, LogCompression),
    "MobileNetV2 LOG": (MobileNetV2Classifier, LogCompression),
}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def pipeline(system, epochs):
    network, frontend = SYSTEMS[system]
    return make_pipeline(MelSpectrogram(sr=SR, n_fft=256, hop_length=128, n_mels=40),
                         frontend(),
                         network(epochs=epochs, batch_size=32, learning_rate=1e-3,
                                 random_state=0))


def markdown(payload):
    lines = [
        "# float32 vs int8 ONNX export on FSDD digits",
        "",
        f"{payload['setup']['train']} training / {payload['setup']['test']} test "
        f"recordings, {payload['setup']['epochs']} epochs; sizes in KB, accuracy in %, "
        "latency: median ms per clip, one clip per call, waveform in.",
        "",
        "| system | parameters | .keras KB | float32 KB | int8 KB | int8/float32 "
        "| acc Keras | acc float32 | acc int8 | drop (points) | int8 agreement "
        "| ms Keras | ms float32 | ms int8 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    dynamic = ["", "## int8 with onnxruntime's integer kernels (`int8-dynamic`)", "",
               "| system | KB | acc | drop (points) | agreement | ms |",
               "|---|---:|---:|---:|---:|---:|"]
    for r in payload["rows"]:
        k, f, q = r["keras"], r["float32"], r["int8"]
        lines.append(
            f"| {r['system']} | {r['parameters']:,} | {k['size_kb']:.0f} | "
            f"{f['size_kb']:.0f} | {q['size_kb']:.0f} | {r['size_ratio']:.3f} | "
            f"{100 * k['accuracy']:.1f} | {100 * f['accuracy']:.1f} | "
            f"{100 * q['accuracy']:.1f} | {100 * (k['accuracy'] - q['accuracy']):.1f} | "
            f"{100 * q['agreement']:.1f} | {k['latency_ms']:.2f} | "
            f"{f['latency_ms']:.2f} | {q['latency_ms']:.2f} |")
        d = r["int8-dynamic"]
        dynamic.append(f"| {r['system']} | {d['size_kb']:.0f} | {100 * d['accuracy']:.1f} | "
                       f"{100 * (k['accuracy'] - d['accuracy']):.1f} | "
                       f"{100 * d['agreement']:.1f} | {d['latency_ms']:.2f} |")
    return "\n".join(lines + dynamic) + "\n"


def goals(rows):
    """The issue's goals: int8 loses at most 0.5 points and is at most 1/4 of float32."""
    out = []
    for r in rows:
        drop = 100 * (r["keras"]["accuracy"] - r["int8"]["accuracy"])
        out += [{"figure": f"{r['system']}: int8 accuracy drop (FSDD digits)", "value": drop,
                 "unit": "points", "goal": "<= 0.5", "met": bool(drop <= 0.5)},
                {"figure": f"{r['system']}: int8 / float32 file size",
                 "value": r["size_ratio"], "unit": "x", "goal": "<= 0.25x",
                 "met": bool(r["size_ratio"] <= 0.25)}]
    return out


def main():
    from skaudio.export import export_report

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fsdd", default=str(FSDD))
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=SYSTEMS)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if not os.path.isdir(args.fsdd):
        print(f"skipped: no FSDD recordings at {args.fsdd} (--fsdd or $SKAUDIO_FSDD)")
        sys.exit(SKIPPED)
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        print("skipped: onnx and onnxruntime are not installed (pip install "
              "'skaudio[export]')")
        sys.exit(SKIPPED)
    fsdd = load_fsdd(args.fsdd, return_waveforms=True, sr=SR, duration=1.0)
    train, test = ~fsdd.is_test, fsdd.is_test
    X_train, y_train = fsdd.data[train], fsdd.target[train]
    if args.quick:
        X_train, y_train, args.epochs = X_train[::9], y_train[::9], 1
    X_test, y_test = fsdd.data[test], fsdd.target[test]
    rows = []
    for system in args.systems:
        log(f"{system}: training on {len(y_train)} recordings")
        pipe = pipeline(system, args.epochs)
        tic = time.perf_counter()
        pipe.fit(X_train, y_train)
        fit_s = time.perf_counter() - tic
        report = export_report(pipe, X_test, y_test, quantize=("int8", "int8-dynamic"),
                               n_latency=64)
        rows.append({"system": system, "parameters": int(pipe[-1].model_.count_params()),
                     "fit_seconds": fit_s, **report})
        log(f"{system}: accuracy Keras {report['keras']['accuracy']:.3f}, int8 "
            f"{report['int8']['accuracy']:.3f}, size int8/float32 "
            f"{report['size_ratio']:.3f}")
    payload = {"setup": {"train": int(len(y_train)), "test": int(len(y_test)),
                         "epochs": args.epochs, "sr": SR}, "rows": rows,
               "goals": goals(rows)}
    name = "export_quick" if args.quick else "export"
    write(name, payload)
    text = markdown(payload)
    (RESULTS / f"{name}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
