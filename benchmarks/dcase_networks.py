"""Device mismatch on FSDD: Hu et al.'s DCASE 2020 networks and augmentations (Table 1 analog).

    python benchmarks/dcase_networks.py [--fsdd PATH] [--systems NAME ...] [--epochs 12]
                                        [--seeds 1] [--quick] [--report]

The DCASE 2020 Task 1a data cannot be fetched here, so this builds its
analogue from FSDD digits (10 classes) and compares the networks and
augmentations of Hu et al.'s Table 1 on it:

* **Devices.** The recordings as they are are device A; simulated devices
  s1-s6 are made as the DCASE organisers made theirs, from device A's audio:
  ``skaudio.expansion.simulate_device(X, sr=8000, device=k)`` (a fixed EQ
  curve with a low cut, a fixed impulse response and a compressor per device,
  deterministic).
* **Split.** FSDD's documented split: recordings with index 0-4 are the test
  set (300), 5-49 the training set (2,700). Training set = every training
  recording as device A (2,700) + s1 copies of the recordings of index 5-9,
  s2 of 10-14, s3 of 15-19 (300 each, balanced over digits and speakers): 3,600
  clips, device A 75 % as in DCASE's training set (there A is 75 % and B, C,
  s1-s3 about 5 % each). Test = the 300 test recordings as A, as s1-s3 (seen
  devices) and as s4-s6 (unseen), 2,100 clips. Every clip carries the id of its
  recording (``groups``) and the script checks that no test recording, in any
  device version or expansion, is trained on.
* **Features.** 1 s at 8 kHz (zero-padded or cut, the FSDD example's
  clips), 40 mel bands, 256-sample FFT, 128-sample hop (63 frames), then
  ``LogCompression`` -> [``MinMaxScale``, the paper's "Scale"] ->
  ``Deltas(width=5, padding=False)``: (55 frames, 40 bands, 3 channels).
  Features are stateless: computed once per waveform set and reused by every
  system.
* **Augmentations** (the columns of Table 1). Scale: ``MinMaxScale``.
  Spec-aug: ``time_mask=0.1, frequency_mask=0.1``. 5*Aug: five expansions of
  the training set, each adding copies of a random 20 % of it (720 clips; the
  paper copies every clip, 5x the data, too slow here): spectrum correction of
  device-A clips toward the mean spectrum of s1-s3 (spectra from the parallel
  A/s recordings, 512-point FFT), pitch shift (±2 semitones), speed change
  (±10 %), Gaussian noise (10-30 dB SNR) and same-class mixes, so 3,600 clips
  more. Reverb+DRC: reverberated and compressed copies of 720 device-A clips
  (``skaudio.expansion.reverb_drc``, its own random rooms and compressors, not
  the devices'). Expansions are drawn once (seeded) and shared by every system
  and seed.
* **Training recipe** (the paper's, section 5.2, on every row): SGD with
  momentum 0.9, cosine learning rate with warm restarts from 0.1 to 1e-5
  (cycles of 4 and 8 epochs: 12 epochs), the output averaged over the
  snapshots at the end of each cycle; batch 32, mixup 0.4 and random crops of
  52 of the 55 frames (the paper's 400 of 423) on every row, as in the paper's
  Task 1a, where only the four columns above vary. No validation split: "val
  loss" is, as in the paper's Table 1, the log-loss on the test clips (all
  seven devices).
* **Networks**, narrowed to train on 2 CPU cores (each row states the
  parameters and float32 size of what was trained; the markdown also gives
  the full-size counts of the builders): VGGLike, the PERSA+ paper's
  network (103 k parameters, full size); FCNN at the authors' per-channel
  widths 24-48-96 instead of 3x that (331 k; full 2.95 M); fsFCNN (211 k) and
  fsFCNN-s (504 k) at full size; ResNet with a first width of 4 instead of
  24 (92 k; full 3.25 M) and ResNet-d doubling it (365 k; full 13.0 M);
  MobileNetV2 at full size (148 k).
* **Rows.** (0) VGGLike plain (the small-CNN baseline); the paper's ResNet
  rows (1)-(5): ResNet plain, +Scale, +Scale+Spec-aug, ResNet-d
  +Scale+Spec-aug, ResNet-d with all four; the full FCNN ablation: plain,
  +Scale, +Spec-aug, +5*Aug, +Reverb+DRC; then fsFCNN, fsFCNN-s, MobileNetV2
  and VGGLike with all four.

Columns: accuracy on A, on s1-s3 and on s4-s6 (means over devices), the
average over the 7 devices, the test log-loss, parameters, float32 KB
(parameters x 4 / 1024; the snapshot average at prediction holds one copy per
snapshot), training seconds (``fit``: XLA compilation, the epochs, the
batch-normalisation recalibration and the snapshot averaging). ``findings()``
says, from the numbers, which augmentation helped on the unseen devices and
which did not. Results: benchmarks/results/dcase_networks.{json,md}, written
after every row (``--quick``: dcase_networks_quick.*, which report.py skips).

Run time: measured on this 2-core machine with one core free (the other
busy with another benchmark), per epoch on the 3,600 base clips: fsFCNN 7 s,
FCNN and fsFCNN-s 8 s, VGGLike 9 s, ResNet 10 s, ResNet-d 21 s, MobileNetV2
30 s (its depth-wise convolutions are slow on XLA's CPU backend), 2.2x that
on the rows with both expansions (7,920 clips), plus 20-50 s per fit for
compilation, recalibration and snapshots. That makes about 65 minutes for the
15 rows with one seed (MobileNetV2 14, ResNet-d 15, the FCNN ablation 13);
with both cores free expect 40-65 minutes. ``--seeds N`` multiplies it by N.
``--quick`` (the five FCNN ablation rows on 360 training clips and 60 test
recordings, one epoch, eager Keras: no compilation) checks that the script
runs, in about 70 s; ``--quick --systems ...`` checks other rows (MobileNetV2
takes 100 s eagerly).
"""

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402
from _common import FSDD, RESULTS, machine  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402

from skaudio import (  # noqa: E402
    Deltas,
    FCNNClassifier,
    FsFCNNClassifier,
    LogCompression,
    MelSpectrogram,
    MinMaxScale,
    MobileNetV2Classifier,
    ResNetClassifier,
    VGGLikeClassifier,
)
from skaudio import expansion as ex  # noqa: E402
from skaudio.datasets import load_fsdd  # noqa: E402
from skaudio.networks import (  # noqa: E402
    build_fcnn,
    build_fsfcnn,
    build_mobilenet_v2,
    build_two_path_resnet,
    build_vgg_like,
)

SR, DURATION, N_FFT, HOP, N_MELS = 8000, 1.0, 256, 128, 40
CROP = 52                              # of 55 frames: the paper's 400 of 423
SEEN, UNSEEN = ("s1", "s2", "s3"), ("s4", "s5", "s6")
DEVICES = ("A", *SEEN, *UNSEEN)
# Training recordings (by FSDD index) that also get a copy from a seen device.
S_INDEX = {"s1": range(5, 10), "s2": range(10, 15), "s3": range(15, 20)}
QUICK_S_INDEX = {"s1": [5], "s2": [6], "s3": [7]}
EXPAND_FRACTION = 0.2                  # each expansion copies this share of the set
SPECTRUM_N_FFT = 512
DATA_SEED = 0
# The paper's recipe (section 5.2), on every row; epochs end at a cycle's end.
TRAINING = dict(epochs=12, batch_size=32, optimizer="sgd_momentum", learning_rate=0.1,
                min_learning_rate=1e-5, lr_schedule="cosine_restarts", restart_period=4,
                restart_growth=2.0, snapshot_ensemble=True, mixup_alpha=0.4,
                random_crop_frames=CROP)
SPEC_AUGMENT = dict(time_mask=0.1, frequency_mask=0.1)

# name -> (estimator, builder, trained architecture, full-size architecture)
NETWORKS = {
    "VGGLike": (VGGLikeClassifier, build_vgg_like, {}, {}),
    "FCNN": (FCNNClassifier, build_fcnn, dict(filters=(24, 48, 96)), {}),
    "fsFCNN": (FsFCNNClassifier, build_fsfcnn, {}, {}),
    "fsFCNN-s": (FsFCNNClassifier, build_fsfcnn, dict(split_bands=True),
                 dict(split_bands=True)),
    "ResNet": (ResNetClassifier, build_two_path_resnet, dict(filters=4), {}),
    "ResNet-d": (ResNetClassifier, build_two_path_resnet, dict(filters=4, width_multiplier=2),
                 dict(width_multiplier=2)),
    "MobileNetV2": (MobileNetV2Classifier, build_mobilenet_v2, {}, {}),
}
AUGMENTATIONS = ("scale", "specaug", "aug5", "reverb")
COLUMN = {"scale": "Scale", "specaug": "Spec-aug", "aug5": "5*Aug", "reverb": "Reverb+DRC"}


def _row(network, *augmentations):
    return {"network": network, **{a: a in augmentations for a in AUGMENTATIONS}}


# The rows, in the order of the table.
SYSTEMS = {
    "vgglike": _row("VGGLike"),
    "resnet": _row("ResNet"),
    "resnet+scale": _row("ResNet", "scale"),
    "resnet+scale+specaug": _row("ResNet", "scale", "specaug"),
    "resnet-d+scale+specaug": _row("ResNet-d", "scale", "specaug"),
    "resnet-d+all": _row("ResNet-d", *AUGMENTATIONS),
    "fcnn": _row("FCNN"),
    "fcnn+scale": _row("FCNN", "scale"),
    "fcnn+scale+specaug": _row("FCNN", "scale", "specaug"),
    "fcnn+scale+specaug+5aug": _row("FCNN", "scale", "specaug", "aug5"),
    "fcnn+all": _row("FCNN", *AUGMENTATIONS),
    "fsfcnn+all": _row("fsFCNN", *AUGMENTATIONS),
    "fsfcnn-s+all": _row("fsFCNN-s", *AUGMENTATIONS),
    "mobilenetv2+all": _row("MobileNetV2", *AUGMENTATIONS),
    "vgglike+all": _row("VGGLike", *AUGMENTATIONS),
}
# The comparisons findings() reads: (what is added, from row, to row, the paper's
# change of the s4-s6 accuracy in points where Table 1 has the same pair).
STEPS = (
    ("Scale", "resnet", "resnet+scale", 69.5 - 68.1),
    ("Scale", "fcnn", "fcnn+scale", None),
    ("Spec-aug", "resnet+scale", "resnet+scale+specaug", 67.7 - 69.5),
    ("Spec-aug", "fcnn+scale", "fcnn+scale+specaug", None),
    ("double width (ResNet-d)", "resnet+scale+specaug", "resnet-d+scale+specaug",
     70.7 - 67.7),
    ("5*Aug", "fcnn+scale+specaug", "fcnn+scale+specaug+5aug", None),
    ("Reverb+DRC", "fcnn+scale+specaug+5aug", "fcnn+all", 73.0 - 70.6),
    ("5*Aug and Reverb+DRC", "resnet-d+scale+specaug", "resnet-d+all", 71.0 - 70.7),
    ("all four", "fcnn", "fcnn+all", None),
    ("all four", "vgglike", "vgglike+all", None),
)
# --quick's default rows: the FCNN ablation, every code path of the script.
QUICK_SYSTEMS = ("fcnn", "fcnn+scale", "fcnn+scale+specaug", "fcnn+scale+specaug+5aug",
                 "fcnn+all")
# --quick trains eagerly (no XLA compilation), where every new batch shape costs
# compilations of its own: 24 divides every quick training set (360, 720, 792).
QUICK_BATCH_SIZE = 24

START = time.perf_counter()


def log(message):
    print(f"[{time.perf_counter() - START:7.1f} s] {message}", flush=True)


# ------------------------------------------------------------------ data
def cycle_schedule(epochs):
    """``(restart_period, n_cycles)`` whose cosine cycles (doubling) end at ``epochs``.

    The most cycles whose first lasts at least 4 epochs (or ``epochs``, if
    fewer): 12 -> cycles of 4 and 8, 28 -> 4, 8 and 16, 10 -> one of 10.
    """
    best = (epochs, 1)
    k = 2
    while 2 ** k - 1 <= epochs:
        period, rest = divmod(epochs, 2 ** k - 1)
        if rest == 0 and period >= min(4, epochs):
            best = (period, k)
        k += 1
    return best


def load_data(fsdd, quick):
    """Device A and s1-s6 waveforms of the training and test recordings."""
    data = load_fsdd(fsdd, return_waveforms=True, sr=SR, duration=DURATION, n_jobs=-1)
    s_index = QUICK_S_INDEX if quick else S_INDEX
    test = data.index < (1 if quick else 5)
    train = (data.index >= 5) & (data.index < (8 if quick else 50))
    waves, y, groups, device = [data.data[train]], [data.target[train]], \
        [data.groups[train]], ["A"] * int(train.sum())
    parallel = []                          # A versions of the recordings with s copies
    for k, name in enumerate(SEEN, start=1):
        keep = train & np.isin(data.index, list(s_index[name]))
        waves.append(ex.simulate_device(data.data[keep], sr=SR, device=k))
        y.append(data.target[keep])
        groups.append(data.groups[keep])
        device += [name] * int(keep.sum())
        parallel.append(data.data[keep])
    train_set = {"waves": np.concatenate(waves), "y": np.concatenate(y),
                 "groups": np.concatenate(groups), "device": np.array(device)}
    spectra = {"A": ex.device_spectrum(np.concatenate(parallel), n_fft=SPECTRUM_N_FFT)}
    for name, part in zip(SEEN, waves[1:]):
        spectra[name] = ex.device_spectrum(part, n_fft=SPECTRUM_N_FFT)
    test_set = {"y": data.target[test], "groups": data.groups[test],
                "names": [Path(f).stem for f in data.filenames[test]],
                "waves": {"A": data.data[test]}}
    for k, name in enumerate(DEVICES[1:], start=1):
        test_set["waves"][name] = ex.simulate_device(data.data[test], sr=SR, device=k)
    return train_set, test_set, spectra


def expansions(train, spectra):
    """The 5*Aug and Reverb+DRC clips: ``{name: (waves, y, groups)}``, drawn once."""
    rng = np.random.default_rng(DATA_SEED)
    W, y, g = train["waves"], train["y"], train["groups"]
    n_new = int(round(EXPAND_FRACTION * len(y)))
    device_a = np.flatnonzero(train["device"] == "A")
    every = np.arange(len(y))

    def pick(pool):
        return np.sort(rng.choice(pool, size=min(n_new, len(pool)), replace=False))

    reference = np.mean([spectra[name] for name in SEEN], axis=0)
    out = {}
    i = pick(device_a)
    out["spectrum correction"] = ex.correct_spectrum(
        W[i], y[i], groups=g[i], source_spectrum=spectra["A"], reference_spectrum=reference,
        n_fft=SPECTRUM_N_FFT)
    i = pick(every)
    out["pitch shift"] = ex.pitch_shift(W[i], y[i], sr=SR, groups=g[i], random_state=1)
    i = pick(every)
    out["speed change"] = ex.change_speed(W[i], y[i], groups=g[i], random_state=2)
    i = pick(every)
    out["noise"] = ex.add_noise(W[i], y[i], groups=g[i], random_state=3)
    # Mixes of two training clips of one digit (the partner is a training clip too).
    out["same-class mix"] = ex.mix_same_class(W, y, groups=g, n_mixes=n_new, random_state=4)
    i = pick(device_a)
    out["reverb+drc"] = ex.reverb_drc(W[i], y[i], sr=SR, groups=g[i], random_state=5)
    return out


class Features:
    """Log-mel (+ Scale) + deltas of every waveform set, each computed once."""

    def __init__(self):
        self.mel = MelSpectrogram(sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
        self.cache = {}

    def __call__(self, key, waves, scale):
        if (key, scale) not in self.cache:
            logmel = self.cache.get((key, "logmel"))
            if logmel is None:
                logmel = self.cache[(key, "logmel")] = LogCompression().transform(
                    self.mel.transform(waves))
            scaled = MinMaxScale().transform(logmel) if scale else logmel
            self.cache[(key, scale)] = Deltas(width=5, padding=False).transform(
                scaled).astype(np.float32)
        return self.cache[(key, scale)]


def training_set(system, train, extra, features):
    """Features and labels of a row's training clips (base, + 5*Aug, + Reverb+DRC)."""
    scale = system["scale"]
    X, y, groups = [features("train", train["waves"], scale)], [train["y"]], [train["groups"]]
    for name, (waves, labels, g) in extra.items():
        if (system["reverb"] if name == "reverb+drc" else system["aug5"]):
            X.append(features(name, waves, scale))
            y.append(labels)
            groups.append(g)
    return np.concatenate(X), np.concatenate(y), np.concatenate(groups)


# ------------------------------------------------------------------ rows
def size(network, full=False):
    """Parameters of the network as trained (or at full size) for 10 classes."""
    _, builder, arch, full_arch = NETWORKS[network]
    model = builder((None, N_MELS, 3), 10, **(full_arch if full else arch))
    return int(model.count_params())


def run(name, seed, train, extra, test, features, training, quick):
    """Train one row with one seed; its scores per device, log-loss and time."""
    system = SYSTEMS[name]
    estimator, _, arch, _ = NETWORKS[system["network"]]
    X, y, groups = training_set(system, train, extra, features)
    leaked = np.intersect1d(groups, test["groups"])
    if leaked.size:  # never: the split is by recording, expansions copy training clips
        raise RuntimeError(f"{name}: {leaked.size} test recordings in the training set")
    clf = estimator(**arch, **training, **(SPEC_AUGMENT if system["specaug"] else {}),
                    run_eagerly=quick, random_state=seed)
    tic = time.perf_counter()
    clf.fit(X, y)
    seconds = time.perf_counter() - tic
    accuracy, predictions, probas = {}, {}, []
    for device in DEVICES:
        proba = clf.predict_proba(features(f"test {device}", test["waves"][device],
                                           system["scale"]))
        pred = clf.classes_[np.argmax(proba, axis=1)]
        accuracy[device] = float(np.mean(pred == test["y"]))
        predictions[device] = "".join(str(int(p)) for p in pred)  # digits, test order
        probas.append(proba)
    y_all = np.tile(test["y"], len(DEVICES))
    return {"system": name, "seed": seed, "n_train": int(len(y)),
            "accuracy": accuracy,
            "A": accuracy["A"],
            "seen": float(np.mean([accuracy[d] for d in SEEN])),
            "unseen": float(np.mean([accuracy[d] for d in UNSEEN])),
            "average": float(np.mean(list(accuracy.values()))),
            "val_loss": float(log_loss(y_all, np.concatenate(probas), labels=clf.classes_)),
            "final_training_loss": float(clf.history_["loss"][-1]),
            "train_seconds": round(seconds, 1), "predictions": predictions}


# ------------------------------------------------------------------ report
def _cells(results, name):
    return [r for r in results["rows"] if r["system"] == name]


def _correct(results, name):
    """Per seed, per device, whether each test recording was classified right."""
    y = np.array([int(s.split("_")[0]) for s in results["setup"]["test_recordings"]])
    return np.array([[np.array(list(r["predictions"][d]), dtype=int) == y for d in DEVICES]
                     for r in _cells(results, name)])       # (seeds, devices, recordings)


def findings(results):
    """Which augmentation helped on the unseen devices (s4-s6), read off the numbers.

    For each step of :data:`STEPS` whose two rows were run: the change of the
    s4-s6 accuracy (and of A, s1-s3 and the average), in points, averaged
    over the seeds the two rows share. Its standard error combines the test
    clips' noise (paired: both rows are scored on the same clips; the three
    unseen versions of a recording count as one sample, being correlated) and,
    with two or more seeds, the spread of the change over seeds. The step
    *helped* when the change exceeds twice its standard error, *hurt* when it
    falls below minus that, else it had *no clear effect*. With one seed the
    error holds no training noise: re-run with ``--seeds 3`` before trusting a
    small change.
    """
    out = []
    unseen = [DEVICES.index(d) for d in UNSEEN]
    for what, before, after, paper in STEPS:
        a, b = _cells(results, before), _cells(results, after)
        seeds = sorted({r["seed"] for r in a} & {r["seed"] for r in b})
        if not seeds:
            continue
        pick = {r["seed"]: i for i, r in enumerate(a)}, {r["seed"]: i for i, r in enumerate(b)}
        ca = _correct(results, before)[[pick[0][s] for s in seeds]]
        cb = _correct(results, after)[[pick[1][s] for s in seeds]]
        # per recording: the change of its unseen-device accuracy, mean over seeds
        diff = (cb[:, unseen].mean(axis=1) - ca[:, unseen].mean(axis=1)).mean(axis=0)
        change = 100 * float(diff.mean())
        error2 = (100 * diff.std(ddof=1)) ** 2 / diff.size
        per_seed = 100 * (cb[:, unseen].mean(axis=(1, 2)) - ca[:, unseen].mean(axis=(1, 2)))
        if len(seeds) > 1:
            error2 += per_seed.var(ddof=1) / len(seeds)
        error = float(np.sqrt(error2))
        verdict = ("helped" if change > 2 * error else "hurt" if change < -2 * error
                   else "no clear effect")

        def delta(key):
            return 100 * float(np.mean([b[pick[1][s]][key] - a[pick[0][s]][key]
                                        for s in seeds]))

        out.append({"step": what, "from": before, "to": after, "seeds": len(seeds),
                    "unseen_change": round(change, 2), "stderr": round(error, 2),
                    "verdict": verdict, "A_change": round(delta("A"), 2),
                    "seen_change": round(delta("seen"), 2),
                    "average_change": round(delta("average"), 2),
                    "paper_unseen_change": None if paper is None else round(paper, 1)})
    return out


def summary(findings_list):
    """The findings in words."""
    lines = []
    for f in findings_list:
        paper = "" if f["paper_unseen_change"] is None else \
            f" (the paper's Table 1: {f['paper_unseen_change']:+.1f})"
        lines.append(
            f"- {f['step']} ({f['from']} -> {f['to']}): **{f['verdict']}** on the unseen "
            f"devices, {f['unseen_change']:+.1f} ± {f['stderr']:.1f} points{paper}; "
            f"A {f['A_change']:+.1f}, s1-s3 {f['seen_change']:+.1f}, average "
            f"{f['average_change']:+.1f}.")
    groups = {}
    for f in findings_list:
        groups.setdefault(f["verdict"], []).append(f"{f['step']} ({f['to']})")
    if findings_list:
        lines.append("")
        lines.append("On the unseen devices: " + "; ".join(
            f"{verdict}: {', '.join(steps)}" for verdict, steps in groups.items()) + ".")
    return lines


def goals(results):
    """Figures for the benchmark table of docs/benchmarks.md (benchmarks/report.py)."""
    means = {}
    for name in SYSTEMS:
        cells = _cells(results, name)
        if cells:
            means[name] = {k: np.mean([r[k] for r in cells]) for k in ("average", "unseen")}
    if not means:
        return []
    out = []
    for key, label in (("average", "average accuracy over the 7 devices"),
                       ("unseen", "accuracy on unseen devices s4-s6")):
        best = max(means, key=lambda n: means[n][key])
        out.append({"figure": f"FSDD device mismatch: best {label} ({best})",
                    "value": round(100 * means[best][key], 1), "unit": "%",
                    "goal": "report", "met": None})
    reverb = [f for f in results.get("findings", []) if f["step"] == "Reverb+DRC"]
    if reverb:
        out.append({"figure": "FSDD device mismatch: Reverb+DRC expansion, change of the "
                              "FCNN's unseen-device accuracy (points)",
                    "value": reverb[0]["unseen_change"], "unit": "",
                    "goal": "> 2 standard errors (paper: +2.4)",
                    "met": reverb[0]["verdict"] == "helped"})
    return out


def fmt(values, scale=100.0, digits=1):
    values = scale * np.asarray(values, dtype=float)
    text = f"{values.mean():.{digits}f}"
    return text + (f" ± {values.std():.{digits}f}" if values.size > 1 else "")


def markdown(results):
    setup = results["setup"]
    lines = [f"# DCASE 2020 networks on FSDD with simulated devices ({setup['note']})", "",
             "Hu et al.'s Table 1 analog. Train: FSDD's training recordings as device A "
             f"({setup['n_train_A']}) + s1-s3 copies of {setup['n_train_s_each']} each; "
             f"test: the {setup['n_test_recordings']} test recordings as A, s1-s3 (seen) and "
             "s4-s6 (unseen devices; `skaudio.expansion.simulate_device`). Accuracy (%) "
             "and test log-loss (the paper's \"val loss\", all 7 devices)"
             + (f", mean ± std over {setup['seeds']} seeds" if setup["seeds"] > 1 else
                ", one seed") + ". Every row: SGD momentum 0.9, cosine restarts 0.1 -> 1e-5 "
             f"(cycles ending at epoch {', '.join(map(str, setup['cycle_ends']))}, snapshot "
             f"average), batch "
             f"{setup['training']['batch_size']}, mixup 0.4, random crops of {CROP} of 55 "
             "frames. Params and float32 KB are one network's (the snapshot average holds "
             f"one per snapshot); train s is `fit`'s wall time on {setup['cores']} cores.",
             "",
             "| # | system | " + " | ".join(COLUMN[a] for a in AUGMENTATIONS)
             + " | A | s1-s3 | s4-s6 | avg (7) | val loss | params | float32 KB | n train | "
             "train s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for i, (name, system) in enumerate(SYSTEMS.items()):
        cells = _cells(results, name)
        if not cells:
            continue
        params = results["sizes"][system["network"]]["params"]
        flags = " | ".join("Y" if system[a] else "-" for a in AUGMENTATIONS)
        lines.append(
            f"| ({i}) | {system['network']} | {flags} | "
            + " | ".join(fmt([r[k] for r in cells]) for k in ("A", "seen", "unseen", "average"))
            + f" | {fmt([r['val_loss'] for r in cells], 1.0, 2)} | {params:,} | "
              f"{4 * params / 1024:,.0f} | {cells[0]['n_train']:,} | "
              f"{fmt([r['train_seconds'] for r in cells], 1.0, 0)} |")
    lines += ["", "Per device (accuracy %):", "",
              "| system | " + " | ".join(DEVICES) + " |", "|---|" + "---|" * len(DEVICES)]
    for name in SYSTEMS:
        cells = _cells(results, name)
        if cells:
            lines.append(f"| {name} | " + " | ".join(
                fmt([r["accuracy"][d] for r in cells]) for d in DEVICES) + " |")
    lines += ["", "Network sizes (10 classes, 3 channels; float32 KB = params x 4 / 1024):", "",
              "| network | trained as | params | float32 KB | full size (paper) | params | "
              "float32 KB |", "|---|---|---|---|---|---|---|"]
    for network, sizes in results["sizes"].items():
        arch = ", ".join(f"{k}={v}" for k, v in NETWORKS[network][2].items()) or "default"
        full = ", ".join(f"{k}={v}" for k, v in NETWORKS[network][3].items()) or "default"
        full_params = sizes["full_params"]
        lines.append(f"| {network} | {arch} | {sizes['params']:,} | "
                     f"{4 * sizes['params'] / 1024:,.0f} | {full} | "
                     + ("-- | -- |" if full_params is None else
                        f"{full_params:,} | {4 * full_params / 1024:,.0f} |"))
    if results.get("findings"):
        lines += ["", "## Findings (from the numbers above)", "",
                  "A step *helped* (or *hurt*) when it changed the s4-s6 accuracy by more "
                  "than twice its standard error (test clips paired by recording"
                  + (", and the spread over seeds" if setup["seeds"] > 1 else
                     "; one seed, so training noise is not in it") + "), else no clear "
                  "effect.", ""]
        lines += summary(results["findings"])
    return "\n".join(lines) + "\n"


def save(results, name):
    results["script"] = "dcase_networks"
    results["findings"] = findings(results)
    results["goals"] = goals(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown(results))


# ------------------------------------------------------------------ main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fsdd", default=FSDD, help="FSDD folder")
    parser.add_argument("--systems", nargs="+", choices=list(SYSTEMS), metavar="NAME",
                        help=f"rows to train (default: all; --quick: the FCNN ablation): "
                             f"{', '.join(SYSTEMS)}")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs per network (default 12: cosine cycles of 4 and 8; "
                             "--quick: 1)")
    parser.add_argument("--seeds", type=int, default=1, help="network seeds per row")
    parser.add_argument("--quick", action="store_true",
                        help="a few clips and one epoch, eager Keras: checks that the "
                             "script runs")
    parser.add_argument("--report", action="store_true",
                        help="only rebuild the markdown and findings from the stored JSON")
    args = parser.parse_args(argv)
    name = "dcase_networks_quick" if args.quick else "dcase_networks"
    if args.report:
        results = json.loads((RESULTS / f"{name}.json").read_text())
        save(results, name)
        print(markdown(results))
        return
    if not (Path(args.fsdd) / "recordings").is_dir():
        parser.error(f"FSDD not found at {args.fsdd}; pass --fsdd PATH")
    epochs = args.epochs or (1 if args.quick else TRAINING["epochs"])
    if epochs < 1 or args.seeds < 1:
        parser.error("--epochs and --seeds must be at least 1")
    period, n_cycles = cycle_schedule(epochs)
    training = {**TRAINING, "epochs": epochs, "restart_period": period}
    if args.quick:
        training["batch_size"] = QUICK_BATCH_SIZE
    systems = args.systems or list(QUICK_SYSTEMS if args.quick else SYSTEMS)
    ends = [period * (2 ** k - 1) for k in range(1, n_cycles + 1)]

    train, test, spectra = load_data(Path(args.fsdd), args.quick)
    extra = expansions(train, spectra)
    counts = {d: int(np.sum(train["device"] == d)) for d in ("A", *SEEN)}
    log(f"training clips {counts}, expansions "
        + ", ".join(f"{k} {len(v[1])}" for k, v in extra.items())
        + f"; test recordings {len(test['y'])} x {len(DEVICES)} devices")
    features = Features()
    note = ("quick check, not a measurement" if args.quick else
            f"FSDD official split, {len(DEVICES)} devices, {epochs} epochs, "
            f"{args.seeds} seed{'s' if args.seeds > 1 else ''}")
    results = {
        "setup": {"note": note, "sr": SR, "duration": DURATION, "n_fft": N_FFT,
                  "hop_length": HOP, "n_mels": N_MELS, "deltas": "width=5, padding=False",
                  "crop_frames": CROP, "training": training, "spec_augment": SPEC_AUGMENT,
                  "cycle_ends": ends, "seeds": args.seeds, "quick": args.quick,
                  "cores": os.cpu_count(), "devices": list(DEVICES),
                  "n_train_A": counts["A"], "n_train_s_each": counts["s1"],
                  "expansions": {k: len(v[1]) for k, v in extra.items()},
                  "expand_fraction": EXPAND_FRACTION, "n_test_recordings": len(test["y"]),
                  # predictions are digit strings in this order, one per device
                  "test_recordings": test["names"]},
        "systems": {n: SYSTEMS[n] for n in systems},
        "sizes": {}, "complete": False, "rows": []}
    for network in dict.fromkeys(SYSTEMS[n]["network"] for n in systems):
        # (building the full-size networks takes a minute: not in the quick check)
        results["sizes"][network] = {"params": size(network), "full_params": None
                                     if args.quick else size(network, full=True)}
    for seed in range(args.seeds):
        for system in systems:
            row = run(system, seed, train, extra, test, features, training, args.quick)
            results["rows"].append(row)
            log(f"{system} seed {seed}: A {100 * row['A']:.1f}, s1-s3 "
                f"{100 * row['seen']:.1f}, s4-s6 {100 * row['unseen']:.1f}, avg "
                f"{100 * row['average']:.1f} %, val loss {row['val_loss']:.3f}, "
                f"{row['n_train']} clips, {row['train_seconds']:.0f} s")
            results["machine"] = machine()   # with the load average at this row
            save(results, name)      # after every row: a cut-short run keeps what it measured
    results["complete"] = True
    results["wall_seconds"] = round(time.perf_counter() - START, 1)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 1)
    results["machine"] = machine()
    save(results, name)
    print(markdown(results))
    log(f"wrote {RESULTS / name}.json and .md")


if __name__ == "__main__":
    main()
