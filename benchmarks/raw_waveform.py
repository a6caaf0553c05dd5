"""The hierarchy-aware raw-waveform network and its ablations (Abrol and Sharma, Tables II-VII).

    python benchmarks/raw_waveform.py [--data synthetic|fsdd] [--epochs 20] [--quick]

The paper's data (DCASE 2016/2017 scenes, ESC-50) cannot be fetched here;
this runs its comparisons on real spoken digits (``--data fsdd``) and on the
synthetic generator (``--data synthetic``, the default), whose 8 kinds of
sound fall into 3 groups (tonal: harmonic, vibrato, tremolo, dyad; sweep:
chirps up and down; noisy: noise bursts, clicks), a genuine fine/coarse
hierarchy.

**FSDD** (``--data fsdd``; 2,700 training / 300 test recordings, the
official split by recording index, so every speaker is on both sides):

* *Digits*, with a phonetic hierarchy: the coarse class is the manner of
  the word's first consonant, **fricative onset** (zero /z/, three /θ/,
  four /f/, five /f/, six /s/, seven /s/) against **non-fricative onset**
  (one /w/, two /t/, eight (vowel), nine /n/). A fricative onset is noise
  spread over high frequencies for 50-150 ms, the first thing a raw-waveform
  filter bank sees, so the coarse head has an acoustic cue to learn; the
  benchmark checks the hierarchy against the data by the share of each
  system's errors that stay inside the true digit's group, next to the
  share expected if errors fell on the other digits at random.
* *Speakers*, with the accent of ``speakers.csv`` as the coarse class
  (USA: jackson, theo; German: lucas, yweweler; other: nicolas (Belgian
  French), george (Greek)): all six speakers are men, so accent is the
  grouping the metadata offers.
* The recordings are resampled to 16 kHz, the paper's rate: Table I gives
  kernel sizes and strides in samples, so at 16 kHz the first kernels span
  the paper's 1.25 ms (sub-segmental) and 18.75 ms (segmental). Windows of
  1 s (the clip, padded with zeros as ``load_fsdd`` pads; nearly every digit
  fits), frames of 0.8 s every 0.2 s (two frames: attention chooses between
  the word's start and its end). Rows: the ablations on digits; full, flat
  and the reference on speakers.

**Synthetic** (``--data synthetic``):

* **Data.** ``make_audio_classification(n_samples=640, n_classes=8,
  duration=2.0, sr=8000, snr_db=0, gain_db=(-20, 0))``, pre-emphasised
  (``PreEmphasis``); split 60/40 by source (no source on both sides).
* **Network.** ``RawWaveformClassifier`` narrowed to train on 2 CPU cores
  (filters 16-32-32-64-64-64 instead of Table I's 100-300-300-512-512-500,
  FC 64, embedding 32): windows of the whole 2-s clip, frames of 1.6 s every
  0.4 s (the segmental pipeline needs 12,500 samples per frame, 1.56 s at
  8 kHz), Adam 1e-3, batch 32, ``--epochs``, one seed.
* **Rows** (the paper's ablations): the full network (both pipelines,
  attention, hierarchy with the coarse head and the prototype loss); without
  the hierarchy (flat, fine head only); without the prototype loss; without
  attention (frames averaged); the short-kernel pipeline only; the long-kernel
  pipeline only; and the PERSA+ paper's VGG-like CNN on PERSA+ of 64-band mel
  spectrograms as the spectrogram reference.
* **Columns.** Fine accuracy, top-3 accuracy (``skaudio.metrics.top_k_scorer``),
  coarse accuracy (of the predicted fine class's group), fit seconds; for the
  raw-waveform rows the intra-cluster distance (ICD) and inter-cluster
  centroid distance (ICCD) of the test embeddings by fine and by coarse class
  (Table VII: a hierarchy-aware embedding should have coarse clusters
  farther apart), and the transfer recipe: a polynomial SVM on the
  embeddings (``RawWaveformEmbedding`` -> ``SVC(kernel="poly", degree=3)``).

Results: benchmarks/results/raw_waveform.{json,md} (synthetic) and
raw_waveform_fsdd.{json,md}; ``--quick`` writes ``*_quick.*`` from 160 clips
(FSDD: 300 training / 100 test recordings) and 2 epochs.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402
from _common import FSDD, RESULTS, SKIPPED, write  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

from skaudio import (  # noqa: E402
    MelSpectrogram,
    PersaPlus,
    PreEmphasis,
    RawWaveformClassifier,
    VGGLikeClassifier,
)
from skaudio.datasets import load_fsdd, make_audio_classification  # noqa: E402
from skaudio.metrics import (  # noqa: E402
    inter_cluster_centroid_distance,
    intra_cluster_distance,
    top_k_scorer,
)

# The network narrowed to train on 2 CPU cores (Table I: 100-300-300-512-512-500).
NARROW = dict(filters=(16, 32, 32, 64, 64, 64), hidden_units=64, attention_units=32,
              embedding_dim=32, batch_size=32, learning_rate=1e-3, random_state=0)
SYNTHETIC = dict(sr=8000, window_s=2.0, frame_s=1.6, frame_overlap_s=1.2)
FSDD_NETWORK = dict(sr=16000, window_s=1.0, frame_s=0.8, frame_overlap_s=0.6)
ABLATIONS = {
    "full (hierarchy, prototypes, attention, both pipelines)": {},
    "no hierarchy (flat)": {"hierarchy": None},
    "no prototype loss": {"prototype_weight": 0.0},
    "no attention (average)": {"attention": False},
    "short kernel only": {"segmental": False},
    "long kernel only": {"sub_segmental": False},
}
FULL_AND_FLAT = {name: ABLATIONS[name] for name in list(ABLATIONS)[:2]}
# Digits by the manner of their first consonant (see the module docstring).
DIGIT_ONSETS = {"0": "fricative", "3": "fricative", "4": "fricative", "5": "fricative",
                "6": "fricative", "7": "fricative",
                "1": "non-fricative", "2": "non-fricative", "8": "non-fricative",
                "9": "non-fricative"}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def split_by_source(groups, seed, test_share=0.4):
    rng = np.random.default_rng(seed)
    sources = rng.permutation(np.unique(groups))
    test = np.isin(groups, sources[:int(len(sources) * test_share)])
    return np.flatnonzero(~test), np.flatnonzero(test)


def errors_within_group(y_true, y_pred, hierarchy):
    """Share of the errors whose predicted class is in the true class's group.

    Returned with the share expected if every error fell on one of the other
    classes at random, so that a hierarchy the data supports shows as a
    first figure well above the second.
    """
    wrong = y_true != y_pred
    if not wrong.any():
        return None, None
    group = np.vectorize(hierarchy.get)
    observed = np.mean(group(y_true[wrong]) == group(y_pred[wrong]))
    sizes = {g: sum(1 for v in hierarchy.values() if v == g) for g in set(hierarchy.values())}
    expected = np.mean([(sizes[hierarchy[c]] - 1) / (len(hierarchy) - 1)
                        for c in y_true[wrong]])
    return float(observed), float(expected)


def run_task(X_train, y_train, X_test, y_test, hierarchy, network, rows_to_run, epochs):
    """Every raw-waveform row of ``rows_to_run`` and the VGG-like reference."""
    top3 = top_k_scorer(k=3)
    coarse_test = np.vectorize(hierarchy.get)(y_test)

    def scores(model, pred):
        within, expected = errors_within_group(y_test, pred, hierarchy)
        return {"fine_accuracy": float(np.mean(pred == y_test)),
                "top3_accuracy": float(top3(model, X_test, y_test)),
                "coarse_accuracy": float(np.mean(np.vectorize(hierarchy.get)(pred)
                                                 == coarse_test)),
                "errors_within_group": within, "errors_within_group_at_random": expected}

    rows = []
    for name, change in rows_to_run.items():
        params = {**NARROW, **network, "hierarchy": hierarchy, "epochs": epochs, **change}
        log(f"{name}: training on {len(y_train)} clips")
        tic = time.perf_counter()
        clf = RawWaveformClassifier(**params).fit(X_train, y_train)
        fit_s = time.perf_counter() - tic
        Z, Z_train = clf.embed(X_test), clf.embed(X_train)
        svm = make_pipeline(StandardScaler(), SVC(kernel="poly", degree=3))
        svm.fit(Z_train, y_train)
        rows.append({
            "system": name, **scores(clf, clf.predict(X_test)),
            "svm_on_embeddings": float(svm.score(Z, y_test)),
            "icd_fine": float(intra_cluster_distance(Z, y_test)),
            "iccd_fine": float(inter_cluster_centroid_distance(Z, y_test)),
            "icd_coarse": float(intra_cluster_distance(Z, coarse_test)),
            "iccd_coarse": float(inter_cluster_centroid_distance(Z, coarse_test)),
            "parameters": int(clf.model_.count_params()), "fit_seconds": fit_s})
        log(f"{name}: fine {rows[-1]['fine_accuracy']:.3f}, top-3 "
            f"{rows[-1]['top3_accuracy']:.3f}, fit {fit_s:.0f} s")
    log("VGGLike on PERSA+: training")
    sr = network["sr"]
    reference = make_pipeline(
        MelSpectrogram(sr=sr, n_fft=sr // 16, hop_length=sr // 64, n_mels=64),
        PersaPlus(q=9.0, random_state=0),
        VGGLikeClassifier(epochs=epochs, gain_augment_db=3.0, random_state=0))
    tic = time.perf_counter()
    reference.fit(X_train, y_train)
    rows.append({"system": "VGGLike on PERSA+ (spectrogram reference)",
                 **scores(reference, reference.predict(X_test)),
                 "parameters": int(reference[-1].model_.count_params()),
                 "fit_seconds": time.perf_counter() - tic})
    return rows


def synthetic_task(quick, epochs):
    n_samples = 160 if quick else 640
    data = make_audio_classification(n_samples=n_samples, n_classes=8, duration=2.0,
                                     sr=SYNTHETIC["sr"], snr_db=0.0, gain_db=(-20.0, 0.0),
                                     random_state=0)
    X = PreEmphasis().fit_transform(data.data)
    y = np.asarray(data.target_names)[data.target]
    coarse = np.asarray(data.coarse_names)[data.coarse_target]
    hierarchy = dict(zip(y.tolist(), coarse.tolist()))
    train, test = split_by_source(data.groups, seed=0)
    rows = run_task(X[train], y[train], X[test], y[test], hierarchy, SYNTHETIC, ABLATIONS,
                    epochs)
    return {"title": "synthetic sounds (8 fine / 3 coarse)",
            "setup": {"train": int(len(train)), "test": int(len(test)), "epochs": epochs,
                      "split": "by source", "network": {**NARROW, **SYNTHETIC}},
            "hierarchy": hierarchy, "rows": rows}


def fsdd_tasks(quick, epochs):
    data = load_fsdd(FSDD, return_waveforms=True, sr=FSDD_NETWORK["sr"],
                     duration=FSDD_NETWORK["window_s"])
    X = PreEmphasis().fit_transform(data.data)
    train, test = np.flatnonzero(~data.is_test), np.flatnonzero(data.is_test)
    if quick:
        rng = np.random.default_rng(0)
        train, test = np.sort(rng.choice(train, 300, replace=False)), \
            np.sort(rng.choice(test, 100, replace=False))
    import csv
    with open(FSDD / "speakers.csv") as f:
        accent = {row["speaker"]: row["accent"].split("/")[0] for row in csv.DictReader(f)}
    accents = {s: a if a in ("USA", "DEU") else "other" for s, a in accent.items()}
    tasks = []
    for title, y, hierarchy, rows_to_run in (
            ("FSDD digits (10 fine / 2 coarse: onset manner)",
             data.target.astype(str), DIGIT_ONSETS, ABLATIONS),
            ("FSDD speakers (6 fine / 3 coarse: accent)", data.speaker, accents,
             FULL_AND_FLAT)):
        log(f"{title}: {len(train)} training / {len(test)} test recordings")
        rows = run_task(X[train], y[train], X[test], y[test], hierarchy, FSDD_NETWORK,
                        rows_to_run, epochs)
        tasks.append({"title": title,
                      "setup": {"train": int(len(train)), "test": int(len(test)),
                                "epochs": epochs, "split": "official (recording index)",
                                "network": {**NARROW, **FSDD_NETWORK}},
                      "hierarchy": hierarchy, "rows": rows})
    return tasks


def markdown(tasks):
    lines = ["# The hierarchy-aware raw-waveform network and its ablations", "",
             "Accuracy in %, one seed. *Within group*: share of the errors that stay in "
             "the true class's coarse group (at random in brackets). ICD/ICCD: Euclidean, "
             "of the test embeddings."]
    for task in tasks:
        setup = task["setup"]
        lines += ["", f"## {task['title']}", "",
                  f"{setup['train']} training / {setup['test']} test clips (split "
                  f"{setup['split']}), {setup['epochs']} epochs.", "",
                  "| system | fine | top-3 | coarse | within group | SVM on embeddings "
                  "| ICD fine | ICCD fine | ICD coarse | ICCD coarse | parameters | fit s |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in task["rows"]:
            def cell(key, scale=1.0, fmt=".1f", r=r):
                return "--" if r.get(key) is None else f"{scale * r[key]:{fmt}}"
            within = cell("errors_within_group", 100)
            if within != "--":
                within += f" ({cell('errors_within_group_at_random', 100)})"
            lines.append(
                f"| {r['system']} | {cell('fine_accuracy', 100)} | "
                f"{cell('top3_accuracy', 100)} | {cell('coarse_accuracy', 100)} | {within} "
                f"| {cell('svm_on_embeddings', 100)} | {cell('icd_fine', fmt='.2f')} | "
                f"{cell('iccd_fine', fmt='.2f')} | {cell('icd_coarse', fmt='.2f')} | "
                f"{cell('iccd_coarse', fmt='.2f')} | {r['parameters']:,} | "
                f"{r['fit_seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("synthetic", "fsdd"), default="synthetic")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    epochs = 2 if args.quick else args.epochs
    if args.data == "fsdd":
        if not (FSDD / "recordings").is_dir():
            print(f"FSDD not found at {FSDD} (set SKAUDIO_FSDD): skipped.")
            return SKIPPED
        tasks = fsdd_tasks(args.quick, epochs)
    else:
        tasks = [synthetic_task(args.quick, epochs)]
    goals = []
    for task in tasks:
        rows = {r["system"]: r for r in task["rows"]}
        full = rows[next(iter(ABLATIONS))]
        flat = rows["no hierarchy (flat)"]
        goals.append({"figure": f"{task['title']}: fine accuracy, full network minus flat",
                      "unit": "points", "goal": "report",
                      "value": 100 * (full["fine_accuracy"] - flat["fine_accuracy"]),
                      "met": None})
    name = "raw_waveform" + ("_fsdd" if args.data == "fsdd" else "") + \
        ("_quick" if args.quick else "")
    write(name, {"tasks": tasks, "goals": goals})
    text = markdown(tasks)
    (RESULTS / f"{name}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
