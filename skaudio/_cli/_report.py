"""The HTML report of ``train --report`` and ``evaluate --report``."""

import numpy as np


def mel_power(model, X):
    """The pipeline's mel power spectrogram of ``X`` (the shortcut probe's input), or None."""
    from ..features import MelSpectrogram

    steps = getattr(model, "steps", [])
    for _, step in steps:
        if isinstance(step, MelSpectrogram):
            return step.transform(X)
    return None


def write_report(path, console, *, title, info, X, y, groups, predicted, folds, scores,
                 notes, model, seed):
    """Confusion, robustness of the fitted fold models, the shortcut probe: one HTML file."""
    from sklearn.metrics import confusion_matrix

    from ..diagnostics import shortcut_probe
    from ..report import html_report
    from ..robustness import fitted_robustness_report

    labels = sorted(np.unique(y).tolist())
    with console.progress("robustness: gains and noise", 1) as update:
        robustness = fitted_robustness_report([m for m, _ in folds], X, y,
                                              test_indices=[t for _, t in folds],
                                              name=info.get("system", "model"),
                                              random_state=seed)
        update(1)
    shortcut, notes = None, list(notes)
    spectrogram = mel_power(model, X)
    if spectrogram is None:
        notes.append("shortcut probe: the pipeline has no MelSpectrogram step to probe")
    else:
        try:
            shortcut = shortcut_probe(spectrogram, y, groups=groups, cv=min(len(folds), 5),
                                      warn=False)
        except ValueError as exc:
            reason = str(exc).removeprefix("shortcut_probe: ")
            notes.append(f"the shortcut probe does not apply: {reason}")
    settings = {k: v for k, v in info.items() if k != "cv_scores"}
    html_report(title=title, settings=settings, scores=scores,
                confusion=(labels, confusion_matrix(y, predicted, labels=labels)),
                robustness=robustness, shortcut=shortcut, notes=notes, path=path)
    console.info(f"wrote the report {path}")
