"""One self-contained HTML report of a trained classifier.

:func:`html_report` gathers what a user needs to judge a trained audio
classifier into one HTML file that opens anywhere, offline: the settings it
was trained with, its cross-validation scores, a confusion matrix, the
robustness curves of :mod:`skaudio.robustness` (the PERSA+ paper's gain and
noise conditions) and the verdict of :func:`skaudio.diagnostics.shortcut_probe`.
Figures are PNG images embedded as ``data:`` URIs; the page loads nothing
from the network, runs no script (its Content-Security-Policy forbids both)
and escapes every text it is given.

Figures need matplotlib (``pip install 'skaudio[plot]'``); they are drawn on
:class:`matplotlib.figure.Figure` objects, never through pyplot, so the
user's backend and pyplot's figures are left as they were.
"""

import base64
import html
import io
import os
import reprlib
import secrets
from collections.abc import Mapping

import numpy as np

from ._version import __version__
from .robustness import RobustnessReport, plot_robustness

__all__ = ["html_report"]

# No network, no script, no plugin: images only as data: URIs, the inline <style>.
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 64em;
       padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; border-bottom: 2px solid #ccc; padding-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: .6em 0; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left;
         vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; height: auto; }
figure { margin: .6em 0; }
figcaption { font-size: .9em; color: #555; }
.warnings { background: #fff4e5; border: 2px solid #e69500; padding: .4em 1em;
            margin: 1em 0; }
.warnings ul { margin: .3em 0; padding-left: 1.2em; }
.verdict { padding: .5em 1em; border-left: 6px solid; }
.verdict.ok { border-color: #2e8b57; background: #eef8f1; }
.verdict.warning { border-color: #c0392b; background: #fdecea; font-weight: bold; }
footer { margin-top: 3em; font-size: .85em; color: #777; }
"""


def html_report(*, title, settings, scores=None, confusion=None, robustness=None,
                shortcut=None, notes=(), path=None):
    """One self-contained HTML page describing a trained classifier.

    Every section but the settings is optional and appears only when given.
    The page embeds its figures as PNG ``data:`` URIs, loads nothing from the
    network, needs no script, and escapes every text it is given (titles,
    labels, setting names and values, notes).

    Parameters
    ----------
    title : str
        Heading and window title of the page.
    settings : dict
        What was trained and on what: the system, its parameters, the
        classes, sample rate, clip duration, skaudio version, data source,
        number of files, whether groups were given... Shown as a table in the
        given order; a nested dict (e.g. the parameters) becomes a nested
        table, a list or array a comma-separated line, anything else ``str``.
    scores : dict of str -> sequence of float, default=None
        Per-fold scores by metric name, e.g. the ``test_*`` arrays of
        :func:`sklearn.model_selection.cross_validate`. Shown as mean ± std
        over folds (``ddof=0``) and every fold's value.
    confusion : tuple (labels, matrix), default=None
        The class labels and the ``(n_classes, n_classes)`` confusion matrix
        (rows: true class, columns: predicted), e.g. from
        :func:`sklearn.metrics.confusion_matrix`. Drawn as an annotated
        heatmap and given as a table.
    robustness : RobustnessReport or list of RobustnessReport, default=None
        Results of :func:`skaudio.robustness.robustness_report`: the curves of
        :func:`skaudio.robustness.plot_robustness` and a table of mean ± std
        accuracy per condition, one column per report.
    shortcut : Bunch, default=None
        The result of :func:`skaudio.diagnostics.shortcut_probe`: a verdict
        sentence with the probe's accuracy, chance level and p-value. A
        detected shortcut is also listed among the warnings at the top.
    notes : str or sequence of str, default=()
        Warnings shown prominently at the top of the page, e.g. ``"no groups
        given: clips of one source may sit in both train and test"``.
    path : str or path-like, default=None
        Also write the page there (UTF-8), atomically: a temporary file in
        the same folder replaces ``path`` once complete, so a reader never
        sees half a report.

    Returns
    -------
    str
        The HTML text.

    Raises
    ------
    ImportError
        When a figure is needed (``confusion`` or ``robustness``) and
        matplotlib is not installed.

    See Also
    --------
    skaudio.robustness.robustness_report : the gain and SNR grid.
    skaudio.diagnostics.shortcut_probe : the inaudible-content probe.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A Deep
       Learning Front-End for Context-Agnostic Audio Classification", section
       V-B: the v3 (random gain per fold and class) and v4 (interference at
       random SNR) robustness protocols.

    Examples
    --------
    >>> page = html_report(
    ...     title="Digits <demo>",
    ...     settings={"system": "PERSA+ -> VGG-like", "sample rate": 8000},
    ...     scores={"accuracy": [0.90, 0.80, 0.85]},
    ...     notes=["no groups given: clips of one source may sit in both train and test"],
    ... )
    >>> "<h1>Digits &lt;demo&gt;</h1>" in page
    True
    >>> "0.850 ± 0.041" in page
    True
    """
    if not isinstance(title, str):
        raise TypeError(f"html_report: title must be a str; got {type(title).__name__}.")
    if not isinstance(settings, Mapping):
        raise TypeError(
            f"html_report: settings must be a dict of name -> value; got "
            f"{type(settings).__name__}."
        )
    notes = [notes] if isinstance(notes, str) else list(notes)
    sections = [_settings_section(settings)]
    if scores is not None:
        sections.append(_scores_section(scores))
    if confusion is not None:
        sections.append(_confusion_section(confusion))
    if robustness is not None:
        sections.append(_robustness_section(robustness))
    if shortcut is not None:
        verdict, flagged = _shortcut_verdict(shortcut)
        sections.append(_shortcut_section(shortcut, verdict, flagged))
        if flagged:
            notes.append("Shortcut probe: labels are predictable from inaudible content "
                         "(see the shortcut probe below).")
    page = "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="skaudio {_esc(__version__)}">',
        f"<title>{_esc(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{_esc(title)}</h1>",
        _notes_section(notes),
        *sections,
        f"<footer>Report made by skaudio {_esc(__version__)}.</footer>",
        "</body>",
        "</html>",
        "",
    ])
    if path is not None:
        _write_atomically(path, page)
    return page


# -- sections ---------------------------------------------------------------------------

def _notes_section(notes):
    if not notes:
        return ""
    items = "\n".join(f"<li>{_esc(note)}</li>" for note in notes)
    return (f'<section class="warnings" id="warnings">\n<strong>Warnings</strong>\n'
            f"<ul>\n{items}\n</ul>\n</section>")


def _settings_section(settings):
    body = _value_html(settings) if settings else "<p>(no settings given)</p>"
    return f'<section id="settings">\n<h2>Settings</h2>\n{body}\n</section>'


def _value_html(value):
    if isinstance(value, Mapping):
        rows = [f"<tr><th>{_esc(key)}</th><td>{_value_html(item)}</td></tr>"
                for key, item in value.items()]
        return "<table>\n" + "\n".join(rows) + "\n</table>"
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return _esc(", ".join(str(item) for item in value))
    return _esc(value)


def _scores_section(scores):
    if not isinstance(scores, Mapping) or not scores:
        raise TypeError(
            "html_report: scores must be a non-empty dict of metric name -> per-fold "
            "scores, e.g. {'accuracy': cross_validate(...)['test_score']}."
        )
    per_metric = {}
    for name, values in scores.items():
        try:
            values = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            values = None
        if values is None or values.ndim != 1 or values.size == 0:
            raise ValueError(
                f"html_report: scores[{name!r}] must be a non-empty sequence of "
                f"per-fold numbers; got {reprlib.repr(scores[name])}."
            )
        per_metric[name] = values
    n_folds = max(values.size for values in per_metric.values())
    header = ["metric", "mean ± std"] + [f"fold {k + 1}" for k in range(n_folds)]
    rows = []
    for name, values in per_metric.items():
        folds = [_number(v) for v in values] + [""] * (n_folds - values.size)
        rows.append([_esc(name),
                     f"{_number(np.mean(values))} ± {_number(np.std(values))}", *folds])
    return (f'<section id="scores">\n<h2>Cross-validation scores</h2>\n'
            f"{_table(header, rows, numeric_from=1)}\n</section>")


def _confusion_section(confusion):
    try:
        labels, matrix = confusion
    except (TypeError, ValueError):
        raise TypeError("html_report: confusion must be a pair (labels, matrix).") from None
    labels = [str(label) for label in np.asarray(labels, dtype=object).ravel()]
    matrix = np.asarray(matrix)
    n = len(labels)
    if n == 0 or matrix.shape != (n, n) or not np.issubdtype(matrix.dtype, np.number):
        raise ValueError(
            f"html_report: confusion needs at least one label and a numeric matrix of "
            f"shape (n_labels, n_labels) = ({n}, {n}); got {matrix.dtype} of shape "
            f"{matrix.shape}."
        )
    counts = np.issubdtype(matrix.dtype, np.integer) or bool(
        np.all(np.isfinite(matrix)) and np.all(matrix == np.round(matrix)))
    cell = (lambda v: str(int(v))) if counts else _number

    fig = _confusion_figure(labels, matrix, cell)
    image = _figure_html(fig, alt=f"Confusion matrix heatmap of {n} classes: rows are true "
                                  "classes, columns predicted classes.",
                         caption="Rows: true class; columns: predicted class.")
    header = ["true \\ predicted"] + labels
    rows = [[_esc(label)] + [cell(v) for v in row] for label, row in zip(labels, matrix)]
    summary = ""
    total = matrix.sum()
    if counts and total > 0:
        summary = (f"<p>{int(total)} predictions, {int(np.trace(matrix))} correct: accuracy "
                   f"{_number(np.trace(matrix) / total)}.</p>\n")
    return (f'<section id="confusion">\n<h2>Confusion matrix</h2>\n{image}\n{summary}'
            f"{_table(header, rows, numeric_from=1, row_headers=True)}\n</section>")


def _confusion_figure(labels, matrix, cell):
    Figure = _matplotlib_figure()
    n = len(labels)
    side = min(4.0 + 0.45 * n, 16.0)
    fig = Figure(figsize=(side + 1.0, side))
    ax = fig.subplots()
    values = matrix.astype(np.float64)
    image = ax.imshow(values, cmap="Blues", interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    # "$" would start matplotlib's mathtext: labels are shown as given.
    ticks = [label.replace("$", r"\$") for label in labels]
    slanted = n > 4 or max(len(label) for label in labels) > 6
    ax.set_xticks(np.arange(n), labels=ticks, rotation=45 if slanted else 0,
                  ha="right" if slanted else "center", rotation_mode="anchor")
    ax.set_yticks(np.arange(n), labels=ticks)
    ax.set(xlabel="predicted class", ylabel="true class", title="Confusion matrix")
    if n <= 30:  # beyond, the numbers would overlap: the table below has them
        finite = values[np.isfinite(values)]
        middle = (finite.max() + finite.min()) / 2 if finite.size else 0.0
        for i in range(n):
            for j in range(n):
                ax.text(j, i, cell(matrix[i, j]), ha="center", va="center", fontsize=9,
                        color="white" if values[i, j] > middle else "black")
    fig.tight_layout()
    return fig


def _robustness_section(robustness):
    reports = [robustness] if isinstance(robustness, RobustnessReport) else list(robustness)
    if not reports:
        raise ValueError("html_report: robustness is an empty list of reports.")
    for report in reports:
        if not isinstance(report, RobustnessReport):
            raise TypeError(
                "html_report: robustness must be a RobustnessReport (from "
                "skaudio.robustness.robustness_report) or a list of them; got "
                f"{type(report).__name__}."
            )
        if not report.rows:
            raise ValueError(f"html_report: robustness report {report.name!r} has no rows.")
    _matplotlib_figure()  # the clear error, before plot_robustness's own
    image = _figure_html(
        plot_robustness(reports),
        alt="Robustness curves: accuracy against test SNR and against input gain, "
            "one line per pipeline, mean and std over folds.",
        caption="Accuracy (mean ± std over folds) under noise at each SNR and under "
                "each input gain; the rightmost SNR point is the clean test set.",
    )
    summaries = [{(kind, value): (mean, std, n) for kind, value, mean, std, n
                  in report.summary()} for report in reports]
    conditions = list(dict.fromkeys(key for summary in summaries for key in summary))
    header = ["condition"] + [f"{report.name}: accuracy %" for report in reports]
    rows = []
    for kind, value in conditions:
        row = [_esc(_condition_label(kind, value))]
        for summary in summaries:
            if (kind, value) in summary:
                mean, std, n = summary[kind, value]
                row.append(f"{100 * mean:.1f} ± {100 * std:.1f} ({n} fold{'s' * (n != 1)})")
            else:
                row.append("")
        rows.append(row)
    header = [_esc(h) for h in header]
    return (f'<section id="robustness">\n<h2>Robustness</h2>\n{image}\n'
            f"{_table(header, rows, numeric_from=1, escaped_header=True)}\n</section>")


def _condition_label(kind, value):
    if kind == "snr":
        return "clean" if value == np.inf else f"SNR {value:g} dB"
    if kind == "gain":
        return f"gain {value:+g} dB"
    return f"{kind} {value:g}"


def _shortcut_verdict(shortcut):
    if not isinstance(shortcut, Mapping):
        raise TypeError(
            "html_report: shortcut must be the Bunch returned by "
            f"skaudio.diagnostics.shortcut_probe; got {type(shortcut).__name__}."
        )
    missing = [k for k in ("accuracy", "chance", "p_value", "shortcut") if k not in shortcut]
    if missing:
        raise ValueError(
            f"html_report: shortcut lacks {', '.join(missing)}: pass the Bunch returned "
            "by skaudio.diagnostics.shortcut_probe."
        )
    numbers = (f"a simple classifier on inaudible content only reaches "
               f"{100 * float(shortcut['accuracy']):.1f} % accuracy against "
               f"{100 * float(shortcut['chance']):.1f} % chance "
               f"(p = {float(shortcut['p_value']):.2g})")
    if bool(shortcut["shortcut"]):
        return (f"WARNING: labels are predictable from inaudible content: {numbers}. A "
                "network may learn this watermark instead of the sound; check that "
                "segments of one file never straddle folds (groups=...), and consider "
                "PersaPlus, whose noise floor masks it."), True
    return (f"no shortcut found: {numbers}, not significantly better than chance."), False


def _shortcut_section(shortcut, verdict, flagged):
    css = "warning" if flagged else "ok"
    folds = ""
    if shortcut.get("scores") is not None:
        values = ", ".join(_number(v) for v in np.ravel(shortcut["scores"]))
        folds = f"\n<p>Probe accuracy per fold: {values}.</p>"
    return (f'<section id="shortcut">\n<h2>Shortcut probe</h2>\n'
            f'<p class="verdict {css}">{_esc(verdict)}</p>{folds}\n</section>')


# -- building blocks --------------------------------------------------------------------

def _esc(value):
    return html.escape(str(value), quote=True)


def _number(value):
    return f"{float(value):.3f}"


def _table(header, rows, *, numeric_from=None, row_headers=False, escaped_header=False):
    """An HTML table; the cells of ``rows`` are HTML already (escaped by the caller)."""
    head = "".join(f"<th>{h if escaped_header else _esc(h)}</th>" for h in header)
    lines = ["<table>", f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for row in rows:
        cells = []
        for k, item in enumerate(row):
            if k == 0 and row_headers:
                cells.append(f'<th scope="row">{item}</th>')
            elif numeric_from is not None and k >= numeric_from:
                cells.append(f'<td class="num">{item}</td>')
            else:
                cells.append(f"<td>{item}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines)


def _matplotlib_figure():
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "html_report needs matplotlib for its figures (confusion, robustness): "
            "pip install 'skaudio[plot]'"
        ) from None
    return Figure


def _figure_html(fig, *, alt, caption, dpi=100):
    """``fig`` as a PNG ``<img>`` with a data: URI (no pyplot involved)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    png = buffer.getvalue()
    # The size in pixels, from the PNG's IHDR chunk (bytes 16-24: width, height).
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure>\n<img src="data:image/png;base64,{data}" alt="{_esc(alt)}" '
            f'width="{width}" height="{height}">\n'
            f"<figcaption>{_esc(caption)}</figcaption>\n</figure>")


def _write_atomically(path, text):
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.tmp")
    try:
        # Mode "x": created new, with the permissions of any new file (umask).
        with open(temporary, "x", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
