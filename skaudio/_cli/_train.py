"""``skaudio train DATA``: cross-validated scores, the fitted pipeline, a report."""

import ast
import time

import numpy as np

from .._version import __version__
from ._console import CLIError
from ._data import label_scores, read_dataset, save_model, sidecar_path
from ._report import write_report

NO_GROUPS = ("no groups given (--group-pattern, or a 'group' column in the CSV): clips of "
             "one source (speaker, session, recording) may fall in both the training and "
             "the test folds and inflate the scores")


def parse_value(text):
    """``"12"`` -> 12, ``"0.5"`` -> 0.5, ``"(16, 32)"`` -> (16, 32), else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def resolve_parameter(pipe, key):
    """``key`` or the one ``step__key`` of ``pipe`` that ends in it."""
    params = pipe.get_params()
    if key in params:
        return key
    matches = sorted(p for p in params if p.endswith(f"__{key}"))
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise CLIError(f"parameter {key!r} is ambiguous: {', '.join(matches)}")
    steps = ", ".join(name for name, _ in pipe.steps)
    raise CLIError(f"unknown parameter {key!r}: name it as step__parameter (steps: {steps})")


def split_assignment(text, option):
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise CLIError(f"{option} expects key=value; got {text!r}")
    return key.strip(), value.strip()


def build_pipeline(args):
    """The system's pipeline with ``--param`` applied, and the ``--grid``."""
    from ..systems import SYSTEMS, make_frontend_pipeline

    if args.system not in SYSTEMS:
        raise CLIError(f"unknown system {args.system!r}; choose from {', '.join(SYSTEMS)}")
    pipe = make_frontend_pipeline(args.system, sr=args.sr, n_fft=args.n_fft,
                                  hop_length=args.n_fft // 4, n_mels=args.n_mels,
                                  random_state=args.seed)
    for text in args.param:
        key, value = split_assignment(text, "--param")
        pipe.set_params(**{resolve_parameter(pipe, key): parse_value(value)})
    grid = {}
    for text in args.grid:
        key, values = split_assignment(text, "--grid")
        grid[resolve_parameter(pipe, key)] = [parse_value(v) for v in values.split(",")]
    return pipe, grid


def check_folds(y, groups, folds):
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise CLIError(f"the data has one class ({classes[0]!r}): a classifier needs two "
                       "or more class folders or labels")
    if counts.min() < folds:
        rare = classes[np.argmin(counts)]
        raise CLIError(f"class {rare!r} has {counts.min()} files, fewer than the {folds} "
                       "folds: lower --folds or add files")
    if groups is not None and len(np.unique(groups)) < folds:
        raise CLIError(f"only {len(np.unique(groups))} groups for {folds} folds: lower "
                       "--folds or give finer groups")


def run(args, console):
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, StratifiedKFold

    pipe, grid = build_pipeline(args)  # bad parameters fail before decoding
    X, y, groups, _, skipped = read_dataset(args.data, sr=args.sr, duration=args.duration,
                                            group_pattern=args.group_pattern,
                                            label_pattern=args.label_pattern,
                                            on_error=args.on_error, console=console)
    check_folds(y, groups, args.folds)
    notes = []
    if groups is None:
        console.warn(NO_GROUPS)
        notes.append(NO_GROUPS)
        cv = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    else:
        cv = StratifiedGroupKFold(args.folds, shuffle=True, random_state=args.seed)
    notes += [f"skipped {f}: {reason}" for f, reason in skipped]
    estimator = pipe
    if grid:
        inner = (StratifiedKFold(3, shuffle=True, random_state=args.seed) if groups is None
                 else StratifiedGroupKFold(3, shuffle=True, random_state=args.seed))
        estimator = GridSearchCV(pipe, grid, cv=inner, scoring="accuracy")
        notes.append(f"grid search over {grid} inside every fold (nested cross-validation)")

    scores = {}
    folds, predicted = [], np.empty(len(y), dtype=y.dtype)
    splits = list(cv.split(X, y, groups))
    tic = time.perf_counter()
    with console.progress(f"cross-validation, {args.folds} folds", len(splits)) as update:
        for k, (train, test) in enumerate(splits, 1):
            fitted = clone(estimator).fit(X[train], y[train],
                                          **({"groups": groups[train]}
                                             if grid and groups is not None else {}))
            predicted[test] = fitted.predict(X[test])  # once: scores and confusion
            for name, value in label_scores(y[test], predicted[test]).items():
                scores.setdefault(name, []).append(value)
            if args.report:  # the report scores each fold's model under gains and noise
                folds.append((fitted, test))
            update(k)
    for name, values in scores.items():
        console.info(f"{name:>18}: {100 * np.mean(values):.1f} ± "
                     f"{100 * np.std(values):.1f} % over {len(values)} folds")

    with console.progress("training the final model on every file", 1) as update:
        final = clone(estimator).fit(X, y, **({"groups": groups} if grid and groups is not None
                                              else {}))
        update(1)
    info = {
        "skaudio_version": __version__, "system": args.system, "data": str(args.data),
        "n_files": int(len(y)), "classes": sorted(np.unique(y).tolist()),
        "sample_rate": args.sr, "duration": args.duration, "grouped": groups is not None,
        "parameters": dict(split_assignment(p, "--param") for p in args.param),
        "cv_scores": {name: {"mean": float(np.mean(v)), "std": float(np.std(v)),
                             "folds": v} for name, v in scores.items()},
        "train_seconds": round(time.perf_counter() - tic, 1), "skipped_files": len(skipped),
    }
    if grid:
        info["best_parameters"] = final.best_params_
        final = final.best_estimator_
    save_model(final, args.out, info)
    console.info(f"saved {args.out} and {sidecar_path(args.out)}")
    if args.report:
        write_report(args.report, console, title=f"skaudio train: {args.system} on "
                     f"{args.data}", info=info, X=X, y=y, groups=groups, predicted=predicted,
                     folds=folds, scores=scores, notes=notes, model=final, seed=args.seed)
    return 0
