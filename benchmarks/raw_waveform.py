"""The hierarchy-aware raw-waveform network and its ablations (Abrol and Sharma, Tables II-VII).

    python benchmarks/raw_waveform.py [--epochs 20] [--quick]

The paper's data (DCASE 2016/2017 scenes, ESC-50) cannot be fetched here;
this runs its comparisons on the synthetic generator, whose 8 kinds of sound
fall into 3 groups (tonal: harmonic, vibrato, tremolo, dyad; sweep: chirps
up and down; noisy: noise bursts, clicks), a genuine fine/coarse hierarchy:

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

Results: benchmarks/results/raw_waveform.{json,md} (``--quick``:
raw_waveform_quick.*, 160 clips, 2 epochs).
"""

import argparse
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402
from _common import RESULTS, write  # noqa: E402
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
from skaudio.datasets import make_audio_classification  # noqa: E402
from skaudio.metrics import (  # noqa: E402
    inter_cluster_centroid_distance,
    intra_cluster_distance,
    top_k_scorer,
)

SR = 8000
NARROW = dict(sr=SR, window_s=2.0, frame_s=1.6, frame_overlap_s=1.2,
              filters=(16, 32, 32, 64, 64, 64), hidden_units=64, attention_units=32,
              embedding_dim=32, batch_size=32, learning_rate=1e-3, random_state=0)
ROWS = {
    "full (hierarchy, prototypes, attention, both pipelines)": {},
    "no hierarchy (flat)": {"hierarchy": None},
    "no prototype loss": {"prototype_weight": 0.0},
    "no attention (average)": {"attention": False},
    "short kernel only": {"segmental": False},
    "long kernel only": {"sub_segmental": False},
}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def split_by_source(groups, seed, test_share=0.4):
    rng = np.random.default_rng(seed)
    sources = rng.permutation(np.unique(groups))
    test = np.isin(groups, sources[:int(len(sources) * test_share)])
    return np.flatnonzero(~test), np.flatnonzero(test)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_samples, epochs = (160, 2) if args.quick else (640, args.epochs)
    data = make_audio_classification(n_samples=n_samples, n_classes=8, duration=2.0, sr=SR,
                                     snr_db=0.0, gain_db=(-20.0, 0.0), random_state=0)
    X = PreEmphasis().fit_transform(data.data)
    y = np.asarray(data.target_names)[data.target]
    coarse = np.asarray(data.coarse_names)[data.coarse_target]
    hierarchy = dict(zip(y.tolist(), coarse.tolist()))
    train, test = split_by_source(data.groups, seed=0)
    top3 = top_k_scorer(k=3)
    rows = []
    for name, change in ROWS.items():
        params = {**NARROW, "hierarchy": hierarchy, "epochs": epochs, **change}
        log(f"{name}: training on {len(train)} clips")
        tic = time.perf_counter()
        clf = RawWaveformClassifier(**params).fit(X[train], y[train])
        fit_s = time.perf_counter() - tic
        pred = clf.predict(X[test])
        Z = clf.embed(X[test])
        Z_train = clf.embed(X[train])
        svm = make_pipeline(StandardScaler(), SVC(kernel="poly", degree=3))
        svm.fit(Z_train, y[train])
        rows.append({
            "system": name, "fine_accuracy": float(np.mean(pred == y[test])),
            "top3_accuracy": float(top3(clf, X[test], y[test])),
            "coarse_accuracy": float(np.mean(
                np.vectorize(hierarchy.get)(pred) == coarse[test])),
            "svm_on_embeddings": float(svm.score(Z, y[test])),
            "icd_fine": float(intra_cluster_distance(Z, y[test])),
            "iccd_fine": float(inter_cluster_centroid_distance(Z, y[test])),
            "icd_coarse": float(intra_cluster_distance(Z, coarse[test])),
            "iccd_coarse": float(inter_cluster_centroid_distance(Z, coarse[test])),
            "parameters": int(clf.model_.count_params()), "fit_seconds": fit_s})
        log(f"{name}: fine {rows[-1]['fine_accuracy']:.3f}, top-3 "
            f"{rows[-1]['top3_accuracy']:.3f}, fit {fit_s:.0f} s")
    log("VGGLike on PERSA+: training")
    reference = make_pipeline(MelSpectrogram(sr=SR, n_fft=512, hop_length=128, n_mels=64),
                              PersaPlus(q=9.0, random_state=0),
                              VGGLikeClassifier(epochs=epochs, gain_augment_db=3.0,
                                                random_state=0))
    tic = time.perf_counter()
    reference.fit(X[train], y[train])
    pred = reference.predict(X[test])
    rows.append({"system": "VGGLike on PERSA+ (spectrogram reference)",
                 "fine_accuracy": float(np.mean(pred == y[test])),
                 "top3_accuracy": float(top3(reference, X[test], y[test])),
                 "coarse_accuracy": float(np.mean(
                     np.vectorize(hierarchy.get)(pred) == coarse[test])),
                 "parameters": int(reference[-1].model_.count_params()),
                 "fit_seconds": time.perf_counter() - tic})
    full, flat = rows[0], rows[1]
    payload = {"setup": {"train": int(len(train)), "test": int(len(test)), "epochs": epochs,
                         "sr": SR, "network": {k: v for k, v in NARROW.items()}},
               "rows": rows,
               "goals": [{"figure": "synthetic 8 sounds / 3 groups: fine accuracy, full "
                                    "network minus flat", "unit": "points", "goal": "report",
                          "value": 100 * (full["fine_accuracy"] - flat["fine_accuracy"]),
                          "met": None}]}
    name = "raw_waveform_quick" if args.quick else "raw_waveform"
    write(name, payload)
    lines = ["# The hierarchy-aware raw-waveform network on synthetic sounds (8 fine / 3 "
             "coarse)", "", f"{len(train)} training / {len(test)} test clips (split by "
             f"source), {epochs} epochs, one seed. Accuracy in %; ICD/ICCD: Euclidean, of "
             "the test embeddings.", "",
             "| system | fine | top-3 | coarse | SVM on embeddings | ICD fine | ICCD fine "
             "| ICD coarse | ICCD coarse | parameters | fit s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        def cell(key, scale=1.0, fmt=".1f", r=r):
            return "--" if key not in r else f"{scale * r[key]:{fmt}}"
        lines.append(f"| {r['system']} | {cell('fine_accuracy', 100)} | "
                     f"{cell('top3_accuracy', 100)} | {cell('coarse_accuracy', 100)} | "
                     f"{cell('svm_on_embeddings', 100)} | {cell('icd_fine', fmt='.2f')} | "
                     f"{cell('iccd_fine', fmt='.2f')} | {cell('icd_coarse', fmt='.2f')} | "
                     f"{cell('iccd_coarse', fmt='.2f')} | {r['parameters']:,} | "
                     f"{r['fit_seconds']:.0f} |")
    text = "\n".join(lines) + "\n"
    (RESULTS / f"{name}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
