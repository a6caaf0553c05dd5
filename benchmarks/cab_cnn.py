"""CAB-CNN on real recordings: FSDD speaker identification, repeated runs (Tables 3, 4, 7 analog).

    python benchmarks/cab_cnn.py [--fsdd PATH] [--seeds 5] [--systems NAME ...] [--quick]

The paper's task, accent identification on UT-Podcast, cannot be fetched
here; the closest task on the recordings at hand is FSDD speaker
identification: 6 speakers, 3,000 recordings of spoken digits lasting
0.14-2.28 s, of *different lengths* (the median recording has a fifth of the
longest's samples).

* **Split.** FSDD's documented split: index 0-4 is the test set (300
  recordings), 5-49 the training set (2,700); every speaker says every digit
  in both. Each fit holds out 10 % of its training set (drawn from its seed)
  to stop early.
* **Rows.** CAB-CNN with the paper's network (Table 2, 40 classifiers) on
  :class:`skaudio.WaveformMaxPool` (z-normalised, 4,000 points per second)
  of the whole recordings, each at its own length; the same with
  ``max_seconds`` 0.5 and 0.25 (the paper's first-T-seconds, Table 4, scaled
  to recordings of about half a second); and the PERSA+ paper's VGG-like CNN
  on PERSA+ (q=9, ±3 dB training gain) of 40-band mel spectrograms (256-sample
  FFT, 16 ms hop) of the whole recordings, zero-padded to the longest (2.28 s,
  143 frames). The raw-waveform hierarchy network (its own issue) has not
  landed, so it has no row.
* **Recipe** (one for every row, so that the network is the difference):
  Adam at 1e-3, batch 64, at most 40 epochs, the learning rate x0.3 after 3
  epochs without a lower validation loss, stopped after 6 (the paper: batch
  128, patience 15), the best weights restored.
* **Protocol** (the paper's Tables 3 and 7): every row is fitted with
  ``--seeds`` seeds (:func:`skaudio.evaluation.repeated_runs`), and reports
  the best run (by accuracy) and the mean ± standard deviation over runs of
  accuracy, unweighted average recall (``balanced_accuracy``) and macro F1.
* **Attention.** For every CAB-CNN run, over the test recordings' time steps:
  how many of the 40 classifiers receive 1 % or more of the attention on
  average, the effective number of classifiers ``exp(H)`` of the mean
  attention and, per step, of each step's attention, and which classifier
  each speaker's recordings weight most (the paper's claim is that the
  classifiers specialise).

Also: parameters, epochs trained and fit seconds per row, and the confusion
matrix of each row's best run. Results: benchmarks/results/cab_cnn.{json,md}
(``--quick``: cab_cnn_quick.*, 300 training recordings, two seeds, two
epochs, to check that the script runs, in about a minute).
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402
from _common import FSDD, RESULTS, SKIPPED, machine  # noqa: E402
from sklearn.metrics import confusion_matrix  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from skaudio import (  # noqa: E402
    CABCNNClassifier,
    MelSpectrogram,
    PersaPlus,
    VGGLikeClassifier,
    WaveformMaxPool,
)
from skaudio.datasets import load_fsdd  # noqa: E402
from skaudio.evaluation import PAPER_SCORING, repeated_runs  # noqa: E402

SR = 8000
RECIPE = dict(learning_rate=1e-3, batch_size=64, epochs=40, validation_split=0.1,
              reduce_lr_patience=3, patience=6)
QUICK_RECIPE = dict(RECIPE, epochs=2, patience=None, reduce_lr_patience=None)
# name -> (network, input: "waveform" (NaN-padded) or "zero-padded", front-end params)
SYSTEMS = {
    "cab-cnn": ("CAB-CNN", {}),
    "cab-cnn-0.5s": ("CAB-CNN", {"max_seconds": 0.5}),
    "cab-cnn-0.25s": ("CAB-CNN", {"max_seconds": 0.25}),
    "vgglike-persa+": ("VGGLike", {}),
}
SCORES = tuple(PAPER_SCORING)
START = time.perf_counter()


def log(message):
    print(f"[{time.perf_counter() - START:7.1f} s] {message}", flush=True)


def pipeline(system, recipe):
    network, front = SYSTEMS[system]
    if network == "CAB-CNN":
        return make_pipeline(WaveformMaxPool(sr=SR, points_per_second=4000, **front),
                             CABCNNClassifier(**recipe))
    return make_pipeline(MelSpectrogram(sr=SR, n_fft=256, hop_length=128, n_mels=40),
                         PersaPlus(q=9.0), VGGLikeClassifier(gain_augment_db=3.0, **recipe))


def attention_summary(clf, Z, y):
    """How the ACB spreads its attention over the classifiers on clips ``Z``."""
    weights = clf.attention_weights(Z)
    steps = np.concatenate(weights)
    mean = steps.mean(axis=0)

    def effective(p):
        p = np.clip(p, 1e-12, 1)
        return np.exp(-(p * np.log(p)).sum(axis=-1))

    per_class = {}
    for label in np.unique(y):
        attention = np.concatenate([w for w, t in zip(weights, y) if t == label]).mean(axis=0)
        top = int(np.argmax(attention))
        per_class[str(label)] = {"classifier": top, "weight": float(attention[top])}
    return {
        "classifiers": int(mean.size),
        "receiving_1pct": int((mean >= 0.01).sum()),
        "effective_overall": float(effective(mean)),
        "effective_per_step": float(effective(steps).mean()),
        "top_weight_per_step": float(steps.max(axis=1).mean()),
        "top_classifier_per_speaker": per_class,
        "distinct_top_classifiers": len({v["classifier"] for v in per_class.values()}),
    }


def run_system(system, data, seeds, recipe):
    train, test = ~data.is_test, data.is_test
    X = data.data if SYSTEMS[system][0] == "CAB-CNN" else np.nan_to_num(data.data)
    y = data.speaker
    runs = repeated_runs(pipeline(system, recipe), X[train], y[train], X[test], y[test],
                         seeds=seeds, return_estimators=True)
    best = runs.estimators[int(np.argmax(runs.scores["accuracy"]))]
    labels = np.unique(y)
    row = {
        "system": system,
        "network": SYSTEMS[system][0],
        "front_end": SYSTEMS[system][1],
        "seeds": runs.seeds.tolist(),
        "scores": {k: v.tolist() for k, v in runs.scores.items()},
        "best": runs.best, "mean": runs.mean, "std": runs.std,
        "parameters": int(best[-1].model_.count_params()),
        "epochs": [len(e[-1].history_["loss"]) for e in runs.estimators],
        "fit_seconds": runs.fit_time.tolist(),
        "labels": labels.tolist(),
        "best_confusion": confusion_matrix(y[test], best.predict(X[test]),
                                           labels=labels).tolist(),
    }
    if SYSTEMS[system][0] == "CAB-CNN":
        row["attention"] = [attention_summary(e[-1], e[:-1].transform(X[test]), y[test])
                            for e in runs.estimators]
    return row


def markdown(payload):
    rows = payload["rows"]
    lines = [
        "# CAB-CNN on FSDD speaker identification (6 speakers)",
        "",
        f"{payload['setup']['train']} training / {payload['setup']['test']} test "
        f"recordings, {len(rows[0]['seeds'])} seeds per row. Best run (by accuracy) "
        "and mean ± std over runs, in %.",
        "",
        "| system | best acc | best UAR | best F1 | mean acc | mean UAR | mean F1 "
        "| parameters | epochs | fit s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        mean = [f"{100 * r['mean'][k]:.1f} ± {100 * r['std'][k]:.1f}" for k in SCORES]
        best = [f"{100 * r['best'][k]:.1f}" for k in SCORES]
        lines.append(f"| {r['system']} | {' | '.join(best)} | {' | '.join(mean)} | "
                     f"{r['parameters']:,} | {np.mean(r['epochs']):.0f} | "
                     f"{np.mean(r['fit_seconds']):.0f} |")
    lines += ["", "UAR: unweighted average recall (scikit-learn's balanced_accuracy); "
              "F1: macro F1 (f1_macro).", "", "## Attention of the ACB (test recordings)",
              "", "| system | seed | classifiers >= 1 % | effective (mean attention) "
              "| effective per step | top weight per step | distinct top per speaker |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        for seed, a in zip(r["seeds"], r.get("attention", [])):
            lines.append(f"| {r['system']} | {seed} | {a['receiving_1pct']} of "
                         f"{a['classifiers']} | {a['effective_overall']:.1f} | "
                         f"{a['effective_per_step']:.1f} | {a['top_weight_per_step']:.2f} | "
                         f"{a['distinct_top_classifiers']} of "
                         f"{len(a['top_classifier_per_speaker'])} |")
    lines += ["", "## Confusion matrices of each row's best run (rows: true speaker)", ""]
    for r in rows:
        lines += [f"**{r['system']}**", "", "| | " + " | ".join(r["labels"]) + " |",
                  "|---|" + "---:|" * len(r["labels"])]
        lines += [f"| {label} | " + " | ".join(map(str, counts)) + " |"
                  for label, counts in zip(r["labels"], r["best_confusion"])]
        lines.append("")
    if payload.get("findings"):
        lines += ["## Findings", "", *[f"- {f}" for f in payload["findings"]], ""]
    return "\n".join(lines)


def findings(rows):
    """What the numbers say about the paper's claims."""
    by = {r["system"]: r for r in rows}
    out = []
    for r in rows:
        gap = 100 * (r["best"]["accuracy"] - r["mean"]["accuracy"])
        out.append(f"{r['system']}: best {100 * r['best']['accuracy']:.1f} %, mean "
                   f"{100 * r['mean']['accuracy']:.1f} ± {100 * r['std']['accuracy']:.1f} % "
                   f"(best - mean: {gap:.1f} points).")
    if "cab-cnn" in by and "vgglike-persa+" in by:
        cab, vgg = by["cab-cnn"], by["vgglike-persa+"]
        diff = 100 * (cab["mean"]["accuracy"] - vgg["mean"]["accuracy"])
        se = 100 * np.hypot(cab["std"]["accuracy"], vgg["std"]["accuracy"]) / np.sqrt(
            len(cab["seeds"]))
        out.append(f"CAB-CNN - VGGLike (mean accuracy): {diff:+.1f} points "
                   f"(± {se:.1f}, standard error over seeds).")
    for r in rows:
        if r.get("attention"):
            used = [a["receiving_1pct"] for a in r["attention"]]
            top = [a["distinct_top_classifiers"] for a in r["attention"]]
            out.append(f"{r['system']}: {min(used)}-{max(used)} of 40 classifiers receive "
                       f">= 1 % of the attention; the speakers' most-weighted classifiers "
                       f"are {min(top)}-{max(top)} distinct ones (of 6 speakers).")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fsdd", default=str(FSDD))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--systems", nargs="+", choices=sorted(SYSTEMS), default=list(SYSTEMS))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if not os.path.isdir(os.path.join(args.fsdd, "recordings")):
        print(f"skipped: FSDD recordings not found at {args.fsdd} (--fsdd or SKAUDIO_FSDD)")
        return SKIPPED
    data = load_fsdd(args.fsdd, return_waveforms=True, sr=SR, duration=None,
                     pad_mode="nan", n_jobs=-1)
    seeds, recipe, name = args.seeds, RECIPE, "cab_cnn"
    if args.quick:
        keep = data.index < 10  # 300 training (5-9) and 300 test (0-4) recordings
        data = type(data)(**{k: v[keep] if isinstance(v, np.ndarray) and len(v) == keep.size
                             else v for k, v in data.items()})
        seeds, recipe, name = 2, QUICK_RECIPE, "cab_cnn_quick"
    payload = {"setup": {"task": "FSDD speaker identification", "sr": SR,
                         "train": int((~data.is_test).sum()), "test": int(data.is_test.sum()),
                         "recipe": recipe, "seeds": seeds},
               "rows": [], "machine": machine(), "script": "benchmarks/cab_cnn.py"}
    for system in args.systems:
        log(f"{system}: {seeds} seeds")
        row = run_system(system, data, seeds, recipe)
        payload["rows"].append(row)
        log(f"{system}: best {row['best']['accuracy']:.3f}, mean "
            f"{row['mean']['accuracy']:.3f} ± {row['std']['accuracy']:.3f}, "
            f"{np.mean(row['fit_seconds']):.0f} s per fit")
        payload["findings"] = findings(payload["rows"])
        payload["goals"] = [
            {"figure": f"FSDD speaker ID, {r['system']}: mean accuracy over "
                       f"{len(r['seeds'])} seeds", "value": round(100 * r["mean"]["accuracy"], 1),
             "unit": "%", "goal": "report", "met": None} for r in payload["rows"]]
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=1))
        (RESULTS / f"{name}.md").write_text(markdown(payload))
    print(markdown(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
