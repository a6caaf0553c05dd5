"""Do the PERSA+ paper's six systems train with skaudio's defaults? (issue: accuracy)

    python benchmarks/training_defaults.py [--fsdd PATH] [--tasks fsdd synthetic]
                                           [--paper-network] [--quick] [--report]

Every system of :func:`skaudio.make_frontend_pipeline` with its default
training parameters (only the mel settings of the FSDD example's clips: 1 s at
8 kHz, 256-sample FFT, 80-sample hop, 40 bands), as a new user would run it:

* FSDD digits: trained on 900 recordings of the official training split (3
  disjoint subsets: index mod 3 = k, the network seeded with k) and tested on
  the 300 of the official test split;
* the built-in synthetic sounds (``make_audio_classification``, 6 classes, 360
  clips at 20 dB SNR): 3 seeds of data and network, 2/3 training, 1/3 test.

Per run: the first epoch whose training accuracy is above twice chance (None
if never), the last training loss against chance's ``ln K``, test accuracy.
With ``--paper-network``, for contrast, the paper's network exactly
(``batch_norm=False``) on the first FSDD subset and seed. The mel spectrogram
is stateless, so it is computed once and the pipelines start at the front-end.
About 40 minutes on 2 cores; ``--report`` rebuilds the table and goals from
the stored JSON without training.
Results: benchmarks/results/training_defaults[_TASK].json (one file per task
when ``--tasks`` names one).
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402
from _common import FSDD, RESULTS, machine  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from skaudio import AudioLoader, MelSpectrogram  # noqa: E402
from skaudio.datasets import load_fsdd, make_audio_classification  # noqa: E402
from skaudio.systems import SYSTEM_NAMES, make_frontend_pipeline  # noqa: E402

SR, N_FFT, HOP, N_MELS = 8000, 256, 80, 40
SYSTEMS = ("log", "log-au", "log-t", "persa", "persa+", "pcen")
START = time.perf_counter()


def log(message):
    print(f"[{time.perf_counter() - START:7.1f} s] {message}", flush=True)


def fsdd_runs(path, quick):
    train = load_fsdd(path, split="train")
    test = load_fsdd(path, split="test")
    loader = AudioLoader(sr=SR, duration=1.0, n_jobs=-1)
    mel = MelSpectrogram(sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    X_test = mel.transform(loader.transform(test.filenames))
    X_train = mel.transform(loader.transform(train.filenames))
    for k in range(1 if quick else 3):
        keep = train.index % 3 == k
        if quick:
            keep &= train.index < 10
        yield k, X_train[keep], train.target[keep], X_test, test.target


def synthetic_runs(quick):
    mel = MelSpectrogram(sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    for seed in range(1 if quick else 3):
        data = make_audio_classification(n_samples=60 if quick else 360, n_classes=6,
                                         duration=1.0, sr=SR, snr_db=20,
                                         random_state=seed)
        X = mel.transform(data.data)
        X_train, X_test, y_train, y_test = train_test_split(
            X, data.target, test_size=1 / 3, stratify=data.target, random_state=seed)
        yield seed, X_train, y_train, X_test, y_test


def run(system, seed, X_train, y_train, X_test, y_test, epochs, **params):
    pipe = make_frontend_pipeline(system, sr=SR, n_fft=N_FFT, hop_length=HOP,
                                  n_mels=N_MELS, random_state=seed, **params,
                                  **({"epochs": epochs} if epochs else {}))
    pipe = Pipeline(pipe.steps[1:])
    tic = time.perf_counter()
    pipe.fit(X_train, y_train)
    history = pipe[-1].history_
    n_classes = len(np.unique(y_train))
    above = [i + 1 for i, a in enumerate(history["accuracy"]) if a > 2 / n_classes]
    return {"system": system, "seed": seed, **params,
            "epochs": len(history["loss"]),
            "left_chance_at_epoch": above[0] if above else None,
            "final_loss": history["loss"][-1], "chance_loss": float(np.log(n_classes)),
            "test_accuracy": pipe.score(X_test, y_test),
            "fit_seconds": time.perf_counter() - tic}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fsdd", default=FSDD, help="FSDD folder")
    parser.add_argument("--quick", action="store_true",
                        help="a few clips and one epoch: checks that the script runs")
    parser.add_argument("--tasks", nargs="+", choices=("fsdd", "synthetic"),
                        default=["fsdd", "synthetic"])
    parser.add_argument("--paper-network", action="store_true",
                        help="also the paper's network (no batch normalisation)")
    parser.add_argument("--report", action="store_true",
                        help="only rebuild the table and goals from the stored JSON")
    args = parser.parse_args(argv)
    name = "training_defaults" + ("" if len(args.tasks) > 1 else f"_{args.tasks[0]}") \
        + ("_quick" if args.quick else "")
    if args.report:
        results = json.loads((RESULTS / f"{name}.json").read_text())
        save(results, name)
        return
    epochs = 1 if args.quick else None  # None: the default
    tasks = {}
    if "fsdd" in args.tasks:
        if (Path(args.fsdd) / "recordings").is_dir():
            tasks["FSDD digits"] = fsdd_runs(args.fsdd, args.quick)
        else:
            log(f"FSDD not found at {args.fsdd}: no FSDD task")
    if "synthetic" in args.tasks:
        tasks["synthetic"] = synthetic_runs(args.quick)
    results = {"setup": {"sr": SR, "n_fft": N_FFT, "hop_length": HOP, "n_mels": N_MELS,
                         "quick": args.quick}, "runs": {}}
    for task, runs in tasks.items():
        rows = results["runs"][task] = []
        for seed, *data in runs:
            contrast = args.paper_network and seed == 0 and task == "FSDD digits"
            variants = [{}] + ([{"batch_norm": False}] if contrast else [])
            for system in SYSTEMS:
                for params in variants:
                    row = run(system, seed, *data, epochs, **params)
                    rows.append(row)
                    net = " (paper's network)" if params else ""
                    log(f"{task} seed {seed} {SYSTEM_NAMES[system]}{net}: "
                        f"left chance at epoch {row['left_chance_at_epoch']}, loss "
                        f"{row['final_loss']:.3f} (chance {row['chance_loss']:.3f}), test "
                        f"{100 * row['test_accuracy']:.1f} % in {row['fit_seconds']:.0f} s")
        results["machine"] = machine()
        save(results, name)  # after every task: a cut-short run keeps what it measured


def save(results, name):
    results["script"] = "training_defaults"
    results["goals"] = goals(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))


def goals(results):
    """Per task: how many systems leave chance, with their defaults, in every run."""
    out = []
    for task, rows in results["runs"].items():
        default = [r for r in rows if r.get("batch_norm", True)]
        trained = sum(all(r["left_chance_at_epoch"] is not None
                          for r in default if r["system"] == system) for system in SYSTEMS)
        out.append({"figure": f"{task}: systems leaving chance in every run (defaults)",
                    "value": trained, "unit": f"of {len(SYSTEMS)}",
                    "goal": f"{len(SYSTEMS)} of {len(SYSTEMS)}",
                    "met": trained == len(SYSTEMS)})
    return out


def table(results):
    lines = ["| task | system | network | runs | left chance at epoch | final loss / ln K | "
             "test accuracy (%) |", "|---|---|---|---|---|---|---|"]
    for task, rows in results["runs"].items():
        for system in SYSTEMS:
            for paper in (False, True):
                cell = [r for r in rows if r["system"] == system
                        and (r.get("batch_norm") is False) == paper]
                if not cell:
                    continue
                epochs = ", ".join(str(r["left_chance_at_epoch"]) for r in cell)
                loss = ", ".join(f"{r['final_loss'] / r['chance_loss']:.2f}" for r in cell)
                acc = [100 * r["test_accuracy"] for r in cell]
                lines.append(f"| {task} | {SYSTEM_NAMES[system]} | "
                             f"{'paper (no BN)' if paper else 'default'} | {len(cell)} | "
                             f"{epochs} | {loss} | {np.mean(acc):.1f} "
                             f"(min {np.min(acc):.1f}) |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
