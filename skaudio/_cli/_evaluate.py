"""``skaudio evaluate MODEL DATA``: scores, confusion and robustness of a fitted model."""

import numpy as np

from ._console import CLIError
from ._data import label_scores, load_model, read_dataset
from ._report import write_report


def run(args, console):
    from sklearn.metrics import accuracy_score

    from ..robustness import make_gain_version, make_interference_version

    model, info = load_model(args.model, sr=args.sr, duration=args.duration)
    sr, duration = int(info["sample_rate"]), float(info["duration"])
    X, y, groups, _, skipped = read_dataset(args.data, sr=sr, duration=duration,
                                            group_pattern=args.group_pattern,
                                            label_pattern=args.label_pattern,
                                            on_error=args.on_error, console=console)
    known = set(np.asarray(model.classes_).tolist())
    unknown = sorted(set(y.tolist()) - known)
    if unknown:
        raise CLIError(f"the data has classes the model was not trained on: {unknown} "
                       f"(it knows {sorted(known)})")
    with console.progress(f"predicting {len(y)} files", 1) as update:
        predicted = model.predict(X)
        update(1)
    scores = {name: [value] for name, value in label_scores(y, predicted).items()}
    for name, (value,) in scores.items():
        console.info(f"{name:>18}: {100 * value:.1f} %")
    # The PERSA+ paper's protocols on this data: v3, one random gain per class;
    # v4, every clip mixed with a clip of another class at 9 ± 3 dB SNR.
    single_fold = np.zeros(len(y), dtype=int)
    protocols = {
        "v3 per-class gain": make_gain_version(X, y, single_fold, random_state=args.seed)[0],
        "v4 interference": make_interference_version(X, y, single_fold,
                                                     random_state=args.seed)[0],
    }
    for name, version in protocols.items():
        value = accuracy_score(y, model.predict(version))
        scores[f"accuracy, {name}"] = [value]
        console.info(f"{'accuracy, ' + name:>18}: {100 * value:.1f} %")
    if args.report:
        info = {**info, "evaluated_on": str(args.data), "n_files": int(len(y))}
        write_report(args.report, console, title=f"skaudio evaluate: {args.model} on "
                     f"{args.data}", info=info, X=X, y=y, groups=groups, predicted=predicted,
                     folds=[(model, np.arange(len(y)))], scores=scores,
                     notes=[f"skipped {f}: {reason}" for f, reason in skipped], model=model,
                     seed=args.seed)
    return 0
