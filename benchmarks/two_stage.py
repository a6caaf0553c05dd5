"""Two-stage classification and fusion on GM instruments from three soundfonts (and synthetic).

    python benchmarks/two_stage.py [--notes 32] [--rotations 3] [--epochs 20] [--quick]

A genuinely hierarchical task of real sampled sounds: single notes of General
MIDI instruments, rendered by FluidSynth from three soundfonts that Debian
ships (FluidR3_GM, TimGM6mb, MuseScore_General_Lite: three independent sets of
recordings of every instrument, i.e. three *devices*); see
``benchmarks/_soundfonts.py`` for the fetching (``apt-get download`` +
``dpkg -x`` into ``$SKAUDIO_BENCHMARK_CACHE``, nothing installed) and the
deterministic rendering. Without apt-get or the network the script exits
with status 3 (skipped) and says why.

* **Classes.** Fine: 32 instruments, 2 of each of the 16 GM families (the
  family's first and fifth program: Acoustic Grand Piano and Electric Piano 1,
  Celesta and Marimba, ..., Guitar Fret Noise and Telephone Ring). Coarse: the
  16 families (Hu et al.'s two-stage classifier fuses a coarse and a fine
  network; here the hierarchy is GM's, program // 8).
* **Notes.** ``--notes`` (32) notes per instrument and soundfont, the same
  notes in every soundfont: pitch MIDI 48-72, velocity 50-127, held 0.25-0.75
  s, drawn from a seed; clips of 1 s at 16 kHz from the note-on (reverb and
  chorus off). 32 x 32 = 1,024 clips per soundfont, 3,072 in all.
* **Evaluations.** (1) Cross-device: train on two soundfonts (2,048 clips),
  test on the third (1,024); ``--rotations`` of them (3: each soundfont
  tested once). (2) Within one soundfont: FluidR3_GM alone, a stratified
  random 60/40 split (614 / 410 clips). (3) Synthetic:
  ``skaudio.datasets.make_audio_classification``, its 8 kinds of sound as fine
  classes and its own coarse groups (tonal: harmonic, vibrato, tremolo, dyad;
  sweep: chirp up/down; noisy: noise bursts, clicks) as coarse classes; 960
  clips (240 sources of 4 clips), 0 dB SNR, levels -20..0 dB, split 60/40 by
  source (no source on both sides).
* **Networks.** Every network is the PERSA+ paper's VGG-like CNN narrowed to
  8-16-32-64 filters (28 k parameters, 2.6x faster to train on 2 cores than
  the paper's 16-128; in a trial, 20 epochs on 24 notes, tested on TimGM6mb,
  the full width reached 54 % vs 53 % with LOG but 53 % vs 43 % with PCEN, so
  the narrowing costs some front-ends accuracy) on 64-band mel spectrograms
  (1,024-sample FFT, 256 hop: 63 frames x 64 bands, computed once per dataset,
  they are stateless) with one of three front-ends: LOG
  (``LogCompression``), PCEN and PERSA+ (q = 9 dB, ±3 dB training gain). One
  recipe: Adam 1e-3, batch 32, ``--epochs`` (20) epochs, no early stopping.
  Each evaluation trains four networks, each once with its own seed: the fine
  LOG, PCEN and PERSA+ networks and a coarse LOG network on the families.
* **Held-out part.** The networks train on 80 % of the training set
  (stratified; by source for the synthetic data); the other 20 % fits the
  logistic regression of the stacking row and nothing else, so every row
  uses the same networks and differs only in how it fuses them.
* **Rows.** Single networks (LOG, PCEN, PERSA+). Two-stage:
  ``skaudio.TwoStageClassifier`` with the coarse LOG network and the fine LOG
  network as stages (``P1(family) * P2(instrument)``, renormalised). Fusions
  of 2 (LOG + PCEN) and 3 networks: average (scikit-learn's
  ``VotingClassifier(voting="soft")``), LR stacking (``StackingClassifier``
  with a ``LogisticRegression`` on the held-out part) and geometric mean
  (``skaudio.GeometricMeanVotingClassifier``). Two-stage over the geometric
  fusion of 3: the coarse network times that fusion. The fitted networks enter
  the fusions as ``sklearn.frozen.FrozenEstimator``, so a fusion's ``fit``
  fits only its combiner.
* **Columns.** Fine accuracy (instrument) and coarse accuracy (the family of
  the predicted instrument; for the coarse network alone, its own
  prediction), training seconds (the networks' ``fit`` summed, plus the
  combiner's), prediction seconds on the test set, parameters. For every row
  the paired difference in fine accuracy to the single LOG network with its
  standard error (over test clips) says which differences exceed the noise of
  one test set; each network is trained once, so seed-to-seed variation is
  not in that error.
* **float32 vs int8.** The Keras float32 size and latency (batch 1 and
  batched, waveform in: mel + front-end + network) of the single networks
  are measured here; ``export_rows()`` is where the exported float32 and int8
  rows (``skaudio.export``) go.

Results: benchmarks/results/two_stage.{json,md}, written after every
evaluation (``--quick``: two_stage_quick.*, 4 families x 2 instruments, 8
notes, one rotation, 2 epochs, eager Keras, to check that the script runs, in
about a minute). Run time of the full benchmark: 13.6 minutes on this 2-core
machine with other work on it (load average 3-5), about 50 s per network
trained on 1,638 clips; rendering the 3,072 notes takes 5 s, the download of
the 160 MB of packages about 10 s.
"""

import argparse
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402
from _common import RESULTS, SKIPPED, machine  # noqa: E402
from _soundfonts import SOUNDFONTS, SoundfontsUnavailable, load_gm_notes  # noqa: E402
from sklearn.ensemble import StackingClassifier, VotingClassifier  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import KFold, train_test_split  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402

from skaudio import (  # noqa: E402
    PCEN,
    GeometricMeanVotingClassifier,
    LogCompression,
    MelSpectrogram,
    PersaPlus,
    TwoStageClassifier,
    VGGLikeClassifier,
)
from skaudio.datasets import make_audio_classification  # noqa: E402
from skaudio.datasets._synthetic import SOUND_CLASSES  # noqa: E402
from skaudio.hierarchy import coarse_labels  # noqa: E402

SR, N_FFT, HOP, N_MELS = 16000, 1024, 256, 64
MEL = MelSpectrogram(sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS, n_jobs=-1)
FILTERS = (8, 16, 32, 64)
RECIPE = dict(filters=FILTERS, learning_rate=1e-3, batch_size=32, epochs=20)
QUICK_RECIPE = dict(RECIPE, epochs=2, run_eagerly=True)
HOLDOUT = 0.2
WITHIN = "FluidR3_GM"
WITHIN_TEST = 0.4
# name -> (front-end factory of a seed, training gain augmentation in dB, seed offset)
FRONT_ENDS = {
    "LOG": (lambda seed: LogCompression(), 0.0, 0),
    "PCEN": (lambda seed: PCEN(sr=SR, hop_length=HOP), 0.0, 1),
    "PERSA+": (lambda seed: PersaPlus(q=9.0, random_state=seed), 3.0, 2),
}
COARSE_SEED_OFFSET = 3
PAIR, TRIO = ("LOG", "PCEN"), ("LOG", "PCEN", "PERSA+")
START = time.perf_counter()


def log(message):
    print(f"[{time.perf_counter() - START:7.1f} s] {message}", flush=True)


def network(front, seed, recipe):
    """Front-end -> VGG-like CNN, taking mel spectrograms."""
    factory, gain, offset = FRONT_ENDS[front]
    return make_pipeline(factory(seed + offset),
                         VGGLikeClassifier(gain_augment_db=gain, random_state=seed + offset,
                                           **recipe))


def waveform_pipeline(fitted):
    """The fitted network (or fusion) behind the stateless mel spectrogram: waveforms in."""
    return Pipeline([("melspectrogram", MEL), ("system", fitted)])


def n_params(pipe):
    return int(pipe.steps[-1][1].model_.count_params())


def frozen(estimators):
    return [(name, FrozenEstimator(est)) for name, est in estimators]


def split(y, groups, test_size, seed):
    """Indices (train, test) stratified by class; whole sources (``groups``) when given.

    With groups, each class's sources are shuffled and ``test_size`` of them
    (at least one) go to the test side, so that every class is on both sides.
    """
    index = np.arange(len(y))
    if groups is None:
        return train_test_split(index, test_size=test_size, stratify=y, random_state=seed)
    rng = np.random.default_rng(seed)
    test = []
    for label in np.unique(y):
        sources = rng.permutation(np.unique(groups[y == label]))
        n = min(max(1, round(test_size * sources.size)), sources.size - 1)
        test += sources[:n].tolist()
    is_test = np.isin(groups, test)
    return index[~is_test], index[is_test]


def timed_fit(estimator, X, y):
    tic = time.perf_counter()
    estimator.fit(X, y)
    return estimator, time.perf_counter() - tic


def latency(predict, X, *, single=20, batch=256):
    """Median ms per clip predicting one clip at a time, and per clip in one batch."""
    predict(X[:1])  # compile / warm up
    ones = []
    for k in range(single):
        tic = time.perf_counter()
        predict(X[k % len(X)][None])
        ones.append(time.perf_counter() - tic)
    Xb = X[:batch]
    predict(Xb)
    tic = time.perf_counter()
    predict(Xb)
    return 1000 * float(np.median(ones)), 1000 * (time.perf_counter() - tic) / len(Xb)


def evaluate(name, M_train, y_train, M_test, y_test, hierarchy, recipe, seed, *,
             groups=None, W_test=None):
    """Train the four networks once and score every row on the test set."""
    fit_idx, hold_idx = split(y_train, groups, HOLDOUT, seed)
    M_fit, y_fit = M_train[fit_idx], y_train[fit_idx]
    M_hold, y_hold = M_train[hold_idx], y_train[hold_idx]
    coarse_test = coarse_labels(y_test, hierarchy)
    if not np.array_equal(np.unique(y_fit), np.unique(y_hold)):
        raise ValueError(f"{name}: the held-out part lacks classes the networks learn")

    nets, seconds = {}, {}
    for front in FRONT_ENDS:
        log(f"{name}: fine {front} network on {len(y_fit)} clips")
        nets[front], seconds[front] = timed_fit(network(front, seed, recipe), M_fit, y_fit)
    log(f"{name}: coarse LOG network")
    coarse = network("LOG", seed + COARSE_SEED_OFFSET, recipe)
    coarse, seconds["coarse"] = timed_fit(coarse, M_fit, coarse_labels(y_fit, hierarchy))

    def members(names):
        return [(f, nets[f]) for f in names]

    geometric3 = GeometricMeanVotingClassifier(frozen(members(TRIO)))
    systems = {  # row -> (estimator, networks it uses, combiner fitted on the held-out part)
        **{f"single {f}": (nets[f], [f], False) for f in FRONT_ENDS},
        "two-stage (coarse LOG x fine LOG)": (
            TwoStageClassifier(FrozenEstimator(coarse), FrozenEstimator(nets["LOG"]),
                               hierarchy), ["coarse", "LOG"], True),
    }
    for names in (PAIR, TRIO):
        tag = f"{len(names)}: {' + '.join(names)}"
        systems[f"average ({tag})"] = (
            VotingClassifier(frozen(members(names)), voting="soft"), list(names), True)
        # frozen members ignore the folds: the LR learns from their predictions of
        # the held-out part, which they never trained on
        systems[f"LR stacking ({tag})"] = (
            StackingClassifier(frozen(members(names)),
                               final_estimator=LogisticRegression(max_iter=2000),
                               cv=KFold(2, shuffle=True, random_state=seed)),
            list(names), True)
        systems[f"geometric ({tag})"] = (
            GeometricMeanVotingClassifier(frozen(members(names))), list(names), True)
    systems["two-stage x geometric (3)"] = (
        TwoStageClassifier(FrozenEstimator(coarse), geometric3, hierarchy),
        ["coarse", *TRIO], True)

    rows, reference = [], None
    tic = time.perf_counter()
    coarse_pred = coarse.predict(M_test)
    rows.append({"system": "coarse LOG network (families only)", "networks": ["coarse"],
                 "fine_accuracy": None,
                 "coarse_accuracy": float(np.mean(coarse_pred == coarse_test)),
                 "fit_seconds": seconds["coarse"],
                 "predict_seconds": time.perf_counter() - tic,
                 "parameters": n_params(coarse)})
    fitted = {"coarse": coarse, **nets}
    for row, (estimator, used, combiner) in systems.items():
        fit_s = sum(seconds[u] for u in used)
        if combiner:
            estimator, extra = timed_fit(estimator, M_hold, y_hold)
            fit_s += extra
        tic = time.perf_counter()
        pred = estimator.predict(M_test)
        predict_s = time.perf_counter() - tic
        correct = (pred == y_test).astype(float)
        if reference is None:
            reference = correct  # the first row, single LOG
        diff = correct - reference
        rows.append({
            "system": row, "networks": used,
            "fine_accuracy": float(correct.mean()),
            "coarse_accuracy": float(np.mean(coarse_labels(pred, hierarchy) == coarse_test)),
            "vs_single_log": float(diff.mean()),
            "vs_single_log_se": float(diff.std(ddof=1) / np.sqrt(diff.size)),
            "fit_seconds": fit_s, "predict_seconds": predict_s,
            "parameters": sum(n_params(fitted[u]) for u in used),
        })
        fitted[row] = estimator
        log(f"{name}: {row}: fine {correct.mean():.3f}, "
            f"family {rows[-1]['coarse_accuracy']:.3f}")
    deployment = []
    if W_test is not None:
        for front in FRONT_ENDS:
            pipe = waveform_pipeline(nets[front])
            one, batched = latency(pipe.predict, W_test)
            deployment.append({"system": f"single {front}", "format": "Keras float32",
                               "parameters": n_params(nets[front]),
                               "size_kb": 4 * n_params(nets[front]) / 1024,
                               "fine_accuracy": next(r["fine_accuracy"] for r in rows
                                                     if r["system"] == f"single {front}"),
                               "latency_ms_one_clip": one, "latency_ms_per_clip_batched":
                               batched})
        deployment += export_rows(fitted, W_test, y_test, hierarchy)
    return {"evaluation": name, "n_fit": int(len(fit_idx)), "n_holdout": int(len(hold_idx)),
            "n_test": int(len(y_test)), "classes": int(np.unique(y_train).size),
            "coarse_classes": int(np.unique(coarse_labels(y_train, hierarchy)).size),
            "rows": rows, "deployment": deployment}


def export_rows(fitted, W_test, y_test, hierarchy):
    """float32 vs int8 ONNX rows of the single networks (``skaudio.export``), waveforms in.

    Each single network, behind the mel spectrogram, is exported with
    ``quantize=None`` and ``"int8"`` (LOG and PCEN wholly inside the graph;
    PERSA+ and the steps before it stay in Python), then predicts the test
    clips: fine and family accuracy, file size, latency.
    """
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        log("export rows skipped: onnx and onnxruntime are not installed "
            "(pip install 'skaudio[export]')")
        return []
    from skaudio.export import export_network

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for front in FRONT_ENDS:
            pipe = waveform_pipeline(fitted[front])
            for quantize in (None, "int8"):
                path = os.path.join(tmp, f"{front}_{quantize}.onnx")
                deployed = export_network(pipe, path, quantize=quantize)
                pred = deployed.predict(W_test)
                one, batched = latency(deployed.predict, W_test)
                rows.append({"system": f"single {front}",
                             "format": f"ONNX {quantize or 'float32'}",
                             "parameters": n_params(fitted[front]),
                             "size_kb": os.path.getsize(path) / 1024,
                             "fine_accuracy": float(np.mean(pred == y_test)),
                             "coarse_accuracy": float(np.mean(
                                 coarse_labels(pred, hierarchy)
                                 == coarse_labels(y_test, hierarchy))),
                             "latency_ms_one_clip": one,
                             "latency_ms_per_clip_batched": batched})
    return rows


def gm_evaluations(data, args, recipe, payload, name):
    """Cross-device rotations and the within-soundfont split on the GM notes."""
    log(f"mel spectrograms of {len(data['target'])} GM clips")
    M = MEL.transform(data["data"])
    y, device, hierarchy = data["target"], data["device"], data["hierarchy"]
    for test_device in list(SOUNDFONTS)[::-1][:args.rotations]:
        # MuseScore_General_Lite tested first, then TimGM6mb, then FluidR3_GM
        test = device == test_device
        train_devices = sorted(set(device[~test]))
        result = evaluate(f"test {test_device}", M[~test], y[~test], M[test], y[test],
                          hierarchy, recipe, args.seed,
                          W_test=data["data"][test] if not payload["evaluations"] else None)
        result.update(kind="cross-device", train=train_devices, test=test_device)
        payload["evaluations"].append(result)
        write(payload, name)
    within = np.flatnonzero(device == WITHIN)
    train, test = (within[i] for i in split(y[within], None, WITHIN_TEST, args.seed))
    result = evaluate(f"within {WITHIN}", M[train], y[train], M[test], y[test], hierarchy,
                      recipe, args.seed)
    result.update(kind="within", train=[WITHIN], test=WITHIN)
    payload["evaluations"].append(result)
    write(payload, name)


def synthetic_evaluation(args, recipe, payload, name):
    n = 160 if args.quick else 960
    d = make_audio_classification(n_samples=n, n_classes=8, snr_db=0.0, gain_db=(-20, 0),
                                  clips_per_group=4, random_state=args.seed)
    names = np.array(d.target_names)
    y = names[d.target]
    hierarchy = {c[0]: c[1] for c in SOUND_CLASSES}
    train, test = split(y, d.groups, 0.4, args.seed)
    log(f"mel spectrograms of {n} synthetic clips")
    M = MEL.transform(d.data)
    result = evaluate("synthetic", M[train], y[train], M[test], y[test], hierarchy, recipe,
                      args.seed, groups=d.groups[train])
    result.update(kind="synthetic", train=["make_audio_classification"], test="same",
                  setup={"n_samples": n, "n_classes": 8, "snr_db": 0.0,
                         "gain_db": [-20, 0], "clips_per_group": 4})
    payload["evaluations"].append(result)
    write(payload, name)


def write(payload, name):
    payload["summary"] = summary(payload["evaluations"])
    payload["findings"] = findings(payload)
    payload["goals"] = goals(payload)
    payload["seconds"] = time.perf_counter() - START
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=1) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown(payload))


def summary(evaluations):
    """Per row: mean fine / family accuracy over the cross-device rotations, and the others."""
    out = {}
    for kind in ("cross-device", "within", "synthetic"):
        runs = [e for e in evaluations if e["kind"] == kind]
        if not runs:
            continue
        table = {}
        for row in runs[0]["rows"]:
            cells = [next(r for r in e["rows"] if r["system"] == row["system"]) for e in runs]
            fine = [c["fine_accuracy"] for c in cells if c["fine_accuracy"] is not None]
            table[row["system"]] = {
                "fine_accuracy": float(np.mean(fine)) if fine else None,
                "coarse_accuracy": float(np.mean([c["coarse_accuracy"] for c in cells])),
                "vs_single_log": (float(np.mean([c["vs_single_log"] for c in cells]))
                                  if "vs_single_log" in cells[0] else None),
                "runs": len(cells)}
        out[kind] = table
    return out


def pct(value, digits=1):
    return "--" if value is None else f"{100 * value:.{digits}f}"


def markdown(payload):
    setup, evaluations = payload["setup"], payload["evaluations"]
    s = payload["summary"]
    cross = [e for e in evaluations if e["kind"] == "cross-device"]
    lines = [
        "# Two-stage classification and fusion: GM instruments from three soundfonts",
        "",
        f"{setup['instruments']} General MIDI instruments ({setup['programs_per_family']} "
        f"of each of {setup['families']} families) x {setup['notes']} notes, rendered by "
        f"{setup['renderer']} from {', '.join(setup['soundfonts'])} (the three *devices*; "
        "the same seeded notes in each), 1 s clips at 16 kHz; fine = instrument, coarse = "
        "GM family. Every network: VGG-like CNN "
        f"{'-'.join(map(str, setup['recipe']['filters']))} filters on 64-band mel "
        f"spectrograms, Adam 1e-3, batch {setup['recipe']['batch_size']}, "
        f"{setup['recipe']['epochs']} epochs, trained once (seed {setup['seed']}) on 80 % of "
        "the training set; the other 20 % fits only the LR stacker. Accuracy in %; family "
        "= the family of the predicted instrument. Run: "
        f"{payload['seconds'] / 60:.1f} min on {payload['machine']['cores']} cores.",
        "",
        "## Summary (fine / family accuracy, %)",
        "",
    ]
    kinds = [k for k in ("cross-device", "within", "synthetic") if k in s]
    heads = {"cross-device": f"cross-device (mean of {len(cross)})",
             "within": f"within {WITHIN}", "synthetic": "synthetic (8 / 3 classes)"}
    lines += ["| system | " + " | ".join(f"{heads[k]} fine | family" for k in kinds) + " |",
              "|---|" + "---:|---:|" * len(kinds)]
    for system in s[kinds[0]] if kinds else []:
        cells = []
        for k in kinds:
            c = s[k].get(system, {})
            cells += [pct(c.get("fine_accuracy")), pct(c.get("coarse_accuracy"))]
        lines.append(f"| {system} | " + " | ".join(cells) + " |")
    for e in evaluations:
        lines += ["", f"## {e['evaluation']} ({e['kind']}; trained on "
                  f"{', '.join(e['train'])})", "",
                  f"{e['n_fit']} training clips (+{e['n_holdout']} held out for the "
                  f"stacker), {e['n_test']} test clips, {e['classes']} fine / "
                  f"{e['coarse_classes']} coarse classes. Difference: fine accuracy minus "
                  "the single LOG network's, on the same test clips, ± its standard error.",
                  "", "| system | fine | family | difference (points) | fit s | predict s "
                  "| parameters |", "|---|---:|---:|---:|---:|---:|---:|"]
        for r in e["rows"]:
            diff = ("--" if "vs_single_log" not in r else
                    f"{100 * r['vs_single_log']:+.1f} ± {100 * r['vs_single_log_se']:.1f}")
            lines.append(f"| {r['system']} | {pct(r['fine_accuracy'])} | "
                         f"{pct(r['coarse_accuracy'])} | {diff} | {r['fit_seconds']:.0f} | "
                         f"{r['predict_seconds']:.1f} | {r['parameters']:,} |")
    deployment = [(e, d) for e in evaluations for d in e.get("deployment", [])]
    lines += ["", "## Size and latency: float32 vs int8", ""]
    if deployment:
        lines += [f"On {deployment[0][0]['evaluation']}; waveform in (mel spectrogram, "
                  "front-end, network); latency: median of 20 single-clip predictions, "
                  "and per clip in one batch of 256.", "",
                  "| system | format | parameters | size KB | fine | ms (1 clip) "
                  "| ms per clip (batch) |", "|---|---|---:|---:|---:|---:|---:|"]
        for _, d in deployment:
            lines.append(f"| {d['system']} | {d['format']} | {d['parameters']:,} | "
                         f"{d['size_kb']:.0f} | {pct(d['fine_accuracy'])} | "
                         f"{d['latency_ms_one_clip']:.1f} | "
                         f"{d['latency_ms_per_clip_batched']:.2f} |")
    if not any(d["format"] != "Keras float32" for _, d in deployment):
        lines += ["", "Exported float32 and int8 rows: not measured yet (`export_rows()`, "
                  "to be filled with `skaudio.export`)."]
    if payload.get("findings"):
        lines += ["", "## Findings", "", *[f"- {f}" for f in payload["findings"]]]
    return "\n".join(lines) + "\n"


def findings(payload):
    """What the numbers say, computed from them."""
    out = []
    for kind, table in payload["summary"].items():
        base = table.get("single LOG")
        if base is None:
            continue
        fine = {k: v for k, v in table.items() if v["fine_accuracy"] is not None}
        best = max(fine, key=lambda k: fine[k]["fine_accuracy"])
        out.append(f"{kind}: best fine accuracy {pct(fine[best]['fine_accuracy'])} % "
                   f"({best}); single LOG {pct(base['fine_accuracy'])} %; two-stage "
                   f"{pct(table['two-stage (coarse LOG x fine LOG)']['fine_accuracy'])} % "
                   f"(mean over {base['runs']} evaluation(s)).")
        coarse = table["coarse LOG network (families only)"]["coarse_accuracy"]
        out.append(f"{kind}: family accuracy of the coarse network {pct(coarse)} % vs "
                   f"{pct(base['coarse_accuracy'])} % for the families of the single LOG "
                   "network's instruments.")
        # the two-stage row uses two networks: is it the hierarchy or the second network?
        two = table["two-stage (coarse LOG x fine LOG)"]["fine_accuracy"]
        pairs = {k: v["fine_accuracy"] for k, v in fine.items() if k.endswith(
            f"(2: {' + '.join(PAIR)})")}
        pair = max(pairs, key=pairs.get)
        out.append(f"{kind}: two-stage (2 networks) {pct(two)} % vs the best fusion of 2 "
                   f"fine networks, {pair}, {pct(pairs[pair])} % "
                   f"({100 * (two - pairs[pair]):+.1f} points).")
    for e in payload["evaluations"]:
        significant = [r["system"] for r in e["rows"] if r.get("vs_single_log_se")
                       and abs(r["vs_single_log"]) > 2 * r["vs_single_log_se"]]
        out.append(f"{e['evaluation']}: rows differing from single LOG by more than 2 "
                   f"standard errors: {', '.join(significant) or 'none'}.")
    return out


def goals(payload):
    out = []
    where = {"cross-device": "GM instruments, cross-device (mean over rotations)",
             "within": f"GM instruments, within {WITHIN}",
             "synthetic": "synthetic sounds (8 classes in 3 groups)"}
    for kind, table in payload["summary"].items():
        for system in ("single LOG", "two-stage (coarse LOG x fine LOG)",
                       "geometric (3: LOG + PCEN + PERSA+)"):
            if system in table:
                out.append({"figure": f"{where[kind]}: fine accuracy, {system}",
                            "value": round(100 * table[system]["fine_accuracy"], 1),
                            "unit": "%", "goal": "report", "met": None})
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=32, help="notes per instrument and "
                        "soundfont")
    parser.add_argument("--programs-per-family", type=int, default=2)
    parser.add_argument("--rotations", type=int, default=3, choices=(1, 2, 3))
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-synthetic", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    recipe, name, families = RECIPE, "two_stage", None
    if args.quick:
        recipe, name, families = QUICK_RECIPE, "two_stage_quick", (0, 4, 7, 11)
        args.notes, args.rotations = 8, 1
    if args.epochs:
        recipe = dict(recipe, epochs=args.epochs)
    try:
        data = load_gm_notes(n_notes=args.notes, programs_per_family=args.programs_per_family,
                             families=families, seed=args.seed, sr=SR, log=log)
    except SoundfontsUnavailable as exc:
        print(f"skipped: {exc}")
        return SKIPPED
    payload = {
        "setup": {"task": "GM instrument (fine) and family (coarse) from rendered notes",
                  "instruments": len(data["hierarchy"]),
                  "families": len(set(data["hierarchy"].values())),
                  "programs_per_family": args.programs_per_family, "notes": args.notes,
                  "clips": int(len(data["target"])), "soundfonts": list(SOUNDFONTS),
                  "soundfont_files": data["soundfont_files"], "renderer": data["renderer"],
                  "hierarchy": data["hierarchy"], "sr": SR,
                  "mel": {"n_fft": N_FFT, "hop_length": HOP, "n_mels": N_MELS},
                  "recipe": recipe, "holdout": HOLDOUT, "seed": args.seed},
        "evaluations": [], "machine": machine(), "script": "two_stage",
    }
    gm_evaluations(data, args, recipe, payload, name)
    if not args.no_synthetic:
        synthetic_evaluation(args, recipe, payload, name)
    log("done")
    print(markdown(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
