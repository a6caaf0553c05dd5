"""The PERSA+ paper's experiments (Vrysis et al., sections V-VI) on FSDD and synthetic data.

    python benchmarks/persa_plus_paper.py [--fsdd PATH] [--seeds 3] [--tasks digits ...]
                                          [--sweeps] [--quick]

Tasks: FSDD digits (10 classes), FSDD speakers (6 classes, the paper's
motivating kind of task: who or what is recorded, whatever the level) and the
built-in synthetic sounds (6 classes). Each task gets 3 folds and the paper's
three versions (skaudio.robustness): v1 as recorded, v3 with one random gain
from {0, -10, -20, -30} dB per (fold, class), v4 = v3 with every clip
contaminated by another class's clip or pink noise at N(9, 3^2) dB SNR.

* Table II analog: LOG, LOG-AU, LOG-T (c=30), PERSA, PERSA+ (q=9) and PCEN with
  the paper's VGG-like back-end (skaudio's default, with batch normalisation);
  v1 (trained and tested on v1), v3 (trained and tested on v3), v4 (the
  v3-trained model tested on the v4 test fold, as the paper does); mean ± std
  over seeds x folds. Then, from the figures alone: which front-ends lose
  accuracy on v3 against v1 (the paper: LOG and LOG-AU), which leads on v4
  (the paper: PERSA+).
* With ``--sweeps``: the Fig. 1 analog (PERSA+'s q and LOG-T's c on v3,
  digits, GridSearchCV over the 3 folds) and the Table I analog (PERSA+ for q
  in {inf, 15, 12, 9, 6, 3}, trained on v3, tested with interference at a
  fixed SNR in {inf, 15, 12, 9, 6, 3}; digits), one seed. The q sweep of
  Fig. 1 is this grid search's clean column: one GridSearchCV with a scorer
  that also scores every model on the interference versions of its test fold,
  so each model is trained once.

Every network trains until its training loss has reached a plateau: Adam
1e-3, batch 32, the learning rate times 0.3 after 2 epochs without a lower
training loss (by 1e-4), stopped after 5 such epochs with the best epoch's
weights restored, at most 100 epochs. Each cell reports its mean final
training loss and stopping epoch, so the reader can check that every network
converged. To finish on 2 cores it subsamples, and says so in the output: 900
FSDD recordings (indices 0-14 of every digit and speaker; folds by index mod
3), 1 s clips at 8 kHz (shorter recordings zero-padded), 40 mel bands
(256-sample FFT and hop: 32 ms frames). The mel spectrogram is stateless, so it
is computed once per dataset version and the pipelines start at the front-end.
Results: benchmarks/results/persa_plus_paper.{json,md} and *.png.
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
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    PredefinedSplit,
    StratifiedGroupKFold,
)
from sklearn.pipeline import Pipeline  # noqa: E402

from skaudio import AudioLoader, MelSpectrogram  # noqa: E402
from skaudio.datasets import load_fsdd, make_audio_classification  # noqa: E402
from skaudio.robustness import (  # noqa: E402
    make_gain_version,
    make_interference_version,
)
from skaudio.systems import SYSTEM_NAMES as NAMES  # noqa: E402
from skaudio.systems import make_frontend_pipeline  # noqa: E402

SR, N_FFT, HOP, N_MELS = 8000, 256, 256, 40
# Train to a plateau of the training loss (see the module docstring).
TRAINING = dict(epochs=100, batch_size=32, learning_rate=1e-3, patience=5,
                reduce_lr_patience=2)
TASKS = {"digits": "FSDD digits", "speakers": "FSDD speakers", "synthetic": "synthetic"}
SYSTEMS = ("log", "log-au", "log-t", "persa", "persa+", "pcen")
Q_SWEEP = (3.0, 6.0, 9.0, 12.0, 15.0)
C_SWEEP = (10.0, 20.0, 30.0, 40.0, 60.0)
Q_TABLE = (np.inf, 15.0, 12.0, 9.0, 6.0, 3.0)
SNR_TABLE = (np.inf, 15.0, 12.0, 9.0, 6.0, 3.0)


START = time.perf_counter()


def log(message):
    print(f"[{time.perf_counter() - START:7.1f} s] {message}", flush=True)


def frontend_pipeline(system, seed=0, **params):
    """A system of the paper, without its (precomputed) mel step."""
    pipe = make_frontend_pipeline(system, sr=SR, n_fft=N_FFT, hop_length=HOP,
                                  n_mels=N_MELS, random_state=seed, **{**TRAINING, **params})
    return Pipeline(pipe.steps[1:])


def load_tasks(fsdd, quick):
    per_cell = 3 if quick else 15
    tasks = {}
    if fsdd is not None:
        data = load_fsdd(fsdd)
        keep = data.index < per_cell
        waves = AudioLoader(sr=SR, duration=1.0, n_jobs=-1).fit_transform(
            data.filenames[keep])
        folds = data.index[keep] % 3
        tasks["FSDD digits"] = (waves, data.target[keep], folds)
        tasks["FSDD speakers"] = (waves, data.speaker[keep], folds)
    synth = make_audio_classification(n_samples=72 if quick else 360, n_classes=6,
                                      duration=1.0, sr=SR, snr_db=20, random_state=0)
    folds = np.empty(len(synth.target), dtype=int)  # sources stay in one fold
    splitter = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0)
    for fold, (_, test) in enumerate(splitter.split(synth.data, synth.target, synth.groups)):
        folds[test] = fold
    tasks["synthetic"] = (synth.data, synth.target, folds)
    return tasks


def versions(waves, y, folds):
    """Mel spectrograms of v1, v3 and v4."""
    v3, _ = make_gain_version(waves, y, folds, random_state=0)
    v4, _ = make_interference_version(v3, y, folds, random_state=0)
    mel = MelSpectrogram(sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    return {name: mel.transform(w) for name, w in (("v1", waves), ("v3", v3), ("v4", v4))}, v3


def table_ii(task, y, folds, mels, seeds, **params):
    """Every system on v1 and v3 (and v4), every seed and fold: scores and convergence."""
    cells = {}
    for system in SYSTEMS:
        cell = cells[system] = {"v1": [], "v3": [], "v4": [], "final_loss": [],
                                "stop_epoch": []}
        for seed in seeds:
            pipe = frontend_pipeline(system, seed, **params)
            for train_version, tests in (("v1", ("v1",)), ("v3", ("v3", "v4"))):
                for fold in np.unique(folds):
                    train, test = folds != fold, folds == fold
                    model = clone(pipe).fit(mels[train_version][train], y[train])
                    for version in tests:
                        cell[version].append(model.score(mels[version][test], y[test]))
                    cell["final_loss"].append(model[-1].history_["loss"][-1])
                    cell["stop_epoch"].append(len(model[-1].history_["loss"]))
        log(f"{task}: {NAMES[system]} " + ", ".join(
            f"{v} {fmt(cell[v])} %" for v in ("v1", "v3", "v4"))
            + f"; final training loss {np.mean(cell['final_loss']):.3f}, stopped at epoch "
            f"{np.mean(cell['stop_epoch']):.0f} (max {np.max(cell['stop_epoch'])})")
    return cells


def findings(cells):
    """The paper's two claims, read off one task's cells.

    A front-end *loses* on v3 when its mean v1 - v3 difference (over the
    paired seeds and folds) exceeds 1 point and twice its standard error.
    The v4 *leaders* are the front-end of the highest mean and those within
    one standard deviation (over seeds and folds) of it.
    """
    lose = {}
    for system, cell in cells.items():
        diff = 100 * (np.array(cell["v1"]) - np.array(cell["v3"]))
        err = diff.std(ddof=1) / np.sqrt(diff.size) if diff.size > 1 else 0.0
        lose[system] = {"v1_minus_v3": float(diff.mean()), "stderr": float(err),
                        "loses": bool(diff.mean() > max(1.0, 2 * err))}
    best = max(cells, key=lambda s: np.mean(cells[s]["v4"]))
    top = np.mean(cells[best]["v4"])
    leaders = [s for s in cells
               if np.mean(cells[s]["v4"]) >= top - np.std(cells[best]["v4"])]
    return {"v3_against_v1": lose, "v4_best": best, "v4_leaders": leaders}


class InterferenceScorer:
    """Score a fitted pipeline on a test fold as given and with interference.

    ``GridSearchCV`` hands a scorer the rows of the clean (v3) test fold; this
    one finds each row's interference-mixed versions by content and returns
    one accuracy per SNR, so one grid search gives both the Fig. 1 sweep (the
    clean column) and Table I (the rest) from the same trained models.
    """

    def __init__(self, clean, noisy):
        self.rows = {row.tobytes(): i for i, row in enumerate(clean)}
        if len(self.rows) != len(clean):
            raise ValueError("InterferenceScorer needs distinct clips")
        self.noisy = noisy

    def __call__(self, estimator, X, y):
        idx = [self.rows[row.tobytes()] for row in X]
        return {snr_key(snr): estimator.score(X if np.isinf(snr) else self.noisy[snr][idx], y)
                for snr in SNR_TABLE}


def snr_key(value):
    return "inf" if np.isinf(value) else f"{value:g}"


def grid(system, param, values, y, folds, X, scoring=None, **params):
    """GridSearchCV over one parameter on the paper's folds, without a refit."""
    search = GridSearchCV(frontend_pipeline(system, **params), {param: list(values)},
                          cv=PredefinedSplit(folds), scoring=scoring, refit=False)
    return search.fit(X, y).cv_results_


def per_fold(cv_results, key, n_folds=3):
    """Per-candidate lists of per-fold scores of one metric."""
    return np.stack([cv_results[f"split{k}_test_{key}"] for k in range(n_folds)], axis=1)


def sweeps_and_table_i(v3_waves, y, folds, mels, **params):
    """Fig. 1 (q and c on v3) and Table I (q against test SNR), one grid each."""
    mel = MelSpectrogram(sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    noisy = {}
    for snr in SNR_TABLE[1:]:
        mixed, _ = make_interference_version(v3_waves, y, folds, snr_mean_db=snr,
                                             snr_std_db=0.0, random_state=1)
        noisy[snr] = mel.transform(mixed)
    q_results = grid("persa+", "persaplus__q", Q_TABLE, y, folds, mels["v3"],
                     scoring=InterferenceScorer(mels["v3"], noisy), **params)
    table = {snr_key(q): {snr_key(snr): per_fold(q_results, snr_key(snr))[i].tolist()
                          for snr in SNR_TABLE} for i, q in enumerate(Q_TABLE)}
    for q, row in table.items():
        log(f"table I: q={q} " + ", ".join(f"{snr} dB {100 * np.mean(a):.1f} %"
                                           for snr, a in row.items()))
    sweep_q = [table[snr_key(q)]["inf"] for q in Q_SWEEP]
    c_scores = per_fold(grid("log-t", "logthreshold__c", C_SWEEP, y, folds, mels["v3"],
                             **params), "score")
    out = {}
    for param, values, scores in (("persaplus__q", Q_SWEEP, sweep_q),
                                  ("logthreshold__c", C_SWEEP, c_scores)):
        out[param] = {"values": list(values), "mean": np.mean(scores, axis=1).tolist(),
                      "std": np.std(scores, axis=1).tolist()}
        log(f"sweep {param}: " + ", ".join(
            f"{v:g}: {100 * m:.1f} %" for v, m in zip(values, out[param]["mean"])))
    return out, table


def fmt(values):
    return f"{100 * np.mean(values):.1f} ± {100 * np.std(values):.1f}"


def markdown(results):
    lines = [f"# PERSA+ paper experiments ({results['setup']['note']})", "",
             "Accuracy (%), mean ± std over seeds x folds. Convergence: every network "
             "trains until its training loss has not fallen (by 1e-4) for 5 epochs, the "
             "learning rate x0.3 after 2 (at most 100 epochs); the last two columns are the "
             "mean final training loss and stopping epoch of the cell's networks (v1 and "
             "v3 trainings together; max in brackets). A front-end *loses* on v3 when its "
             "v1 - v3 difference, paired over seeds and folds, exceeds 1 point and twice "
             "its standard error; the v4 leaders are the best and those within one std "
             "of it.", ""]
    for task, cells in results["table_ii"].items():
        lines += [f"## Table II analog: {task}", "",
                  "| front-end | v1 | v3 | v4 | v1 - v3 | final loss | stop epoch |",
                  "|---|---|---|---|---|---|---|"]
        found = findings(cells)
        for s, v in cells.items():
            lose = found["v3_against_v1"][s]
            mark = " **loses**" if lose["loses"] else ""
            lines.append(
                f"| {NAMES[s]} | {fmt(v['v1'])} | {fmt(v['v3'])} | {fmt(v['v4'])} | "
                f"{lose['v1_minus_v3']:+.1f} ± {lose['stderr']:.1f}{mark} | "
                f"{np.mean(v['final_loss']):.3f} | {np.mean(v['stop_epoch']):.0f} "
                f"({np.max(v['stop_epoch'])}) |")
        losers = [NAMES[s] for s, f in found["v3_against_v1"].items() if f["loses"]]
        close = ", ".join(NAMES[s] for s in found["v4_leaders"] if s != found["v4_best"])
        close = f" (within one std: {close})" if close else ""
        lines += ["", f"On v3, {', '.join(losers) or 'no front-end'} "
                      f"{'lose' if len(losers) > 1 else 'loses'} accuracy against v1 "
                      f"(the paper: LOG and LOG-AU). On v4, {NAMES[found['v4_best']]} "
                      f"leads{close} (the paper: PERSA+).", ""]
    if "sweeps" in results:
        lines += ["## Fig. 1 analog: v3, FSDD digits", ""]
        for param, sweep in results["sweeps"].items():
            lines += [f"| {param} | " + " | ".join(f"{v:g}" for v in sweep["values"]) + " |",
                      "|---|" + "---|" * len(sweep["values"]),
                      "| accuracy (%) | " + " | ".join(f"{100 * m:.1f}" for m in sweep["mean"])
                      + " |", ""]
    if "table_i" in results:
        lines += ["## Table I analog: PERSA+ on FSDD digits, v3-trained, interference at "
                  "a fixed test SNR", "",
                  "| q \\ SNR | " + " | ".join("clean" if np.isinf(s) else f"{s:g} dB"
                                              for s in SNR_TABLE) + " |",
                  "|---|" + "---|" * len(SNR_TABLE)]
        for q, row in results["table_i"].items():
            label = "off (PERSA)" if q == "inf" else q
            lines.append(f"| {label} | " + " | ".join(f"{100 * np.mean(a):.1f}"
                                                      for a in row.values()) + " |")
    return "\n".join(lines) + "\n"


def plots(results):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib is not installed: no PNG")
        return
    if "sweeps" in results:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
        for ax, (param, sweep) in zip(axes, results["sweeps"].items()):
            ax.errorbar(sweep["values"], 100 * np.array(sweep["mean"]),
                        yerr=100 * np.array(sweep["std"]), marker="o", capsize=3)
            ax.set(xlabel=param.split("__")[1] + " (dB)", ylabel="accuracy on v3 (%)",
                   title={"persaplus__q": "PERSA+", "logthreshold__c": "LOG-T"}[param])
            ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(RESULTS / "persa_plus_paper_sweeps.png", dpi=100)
    if "table_i" in results:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        for q, row in results["table_i"].items():
            snrs = [18.0 if s == "inf" else float(s) for s in row]
            ax.plot(snrs, [100 * np.mean(a) for a in row.values()], marker="o",
                    label="q off" if q == "inf" else f"q = {q}")
        ax.set(xlabel="test SNR (dB; 18 = clean)", ylabel="accuracy (%)",
               title="PERSA+ under interference (FSDD digits)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(RESULTS / "persa_plus_paper_table_i.png", dpi=100)


def save(results, name):
    results["machine"] = machine()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown(results))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fsdd", default=FSDD, help="FSDD folder")
    parser.add_argument("--seeds", type=int, default=3, help="network seeds per cell")
    parser.add_argument("--tasks", nargs="+", choices=sorted(TASKS), default=sorted(TASKS),
                        help="the Table II tasks to run (default: all)")
    parser.add_argument("--sweeps", action="store_true",
                        help="also the Fig. 1 and Table I analogs (one seed)")
    parser.add_argument("--quick", action="store_true",
                        help="a few clips and one epoch: checks that the script runs")
    args = parser.parse_args(argv)
    params = dict(epochs=1) if args.quick else {}
    seeds = range(1 if args.quick else args.seeds)
    fsdd = Path(args.fsdd) if (Path(args.fsdd) / "recordings").is_dir() else None
    if fsdd is None:
        log(f"FSDD not found at {args.fsdd}: synthetic task only")
    note = ("quick check, not a measurement" if args.quick else
            f"900 FSDD recordings, 3 folds, {len(seeds)} seeds, trained to a plateau, "
            f"1 s at {SR // 1000} kHz, {N_MELS} mel bands")
    results = {"setup": {"note": note, "training": {**TRAINING, **params},
                         "seeds": len(seeds), "sr": SR, "n_fft": N_FFT,
                         "hop_length": HOP, "n_mels": N_MELS},
               "complete": False, "table_ii": {}}
    name = "persa_plus_paper_quick" if args.quick else "persa_plus_paper"
    tasks = load_tasks(fsdd, args.quick)
    sweep_task = "FSDD digits" if fsdd is not None else "synthetic"
    prepared = {}
    for task, (waves, y, folds) in tasks.items():
        if task not in {TASKS[key] for key in args.tasks}:
            continue
        mels, v3 = prepared[task] = versions(waves, y, folds)
        log(f"{task}: {len(y)} clips, {len(np.unique(y))} classes, mel {mels['v1'].shape[1:]}")
        results["table_ii"][task] = table_ii(task, y, folds, mels, seeds, **params)
        results.setdefault("findings", {})[task] = findings(results["table_ii"][task])
        save(results, name)  # after every task: a cut-short run keeps what it measured
    if args.sweeps:
        waves, y, folds = tasks[sweep_task]
        mels, v3 = prepared.get(sweep_task) or versions(waves, y, folds)
        results["sweeps"], results["table_i"] = sweeps_and_table_i(v3, y, folds, mels,
                                                                   **params)
    results["complete"] = True
    results["wall_seconds"] = round(time.perf_counter() - START, 1)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 1)
    save(results, name)
    if not args.quick:
        plots(results)
    print(markdown(results))
    log(f"wrote {RESULTS / name}.json and .md")


if __name__ == "__main__":
    main()
