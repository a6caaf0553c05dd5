"""Pages the documentation build writes before Sphinx reads the sources.

* ``generated/api.rst``: the API reference, one autosummary table per module
  of ``skaudio.PUBLIC_MODULES`` listing its ``__all__``; every object gets
  one page, under the first submodule that exports it (the top-level
  ``skaudio`` table links to those pages).
* ``generated/benchmark_table.md``: every benchmark's goals, from
  ``benchmarks/results/*.json`` (``benchmarks/report.py``'s table).
* ``generated/results/<name>.md``: each benchmark's own table, written by the
  benchmark from the same run's JSON (``benchmarks/results/<name>.md``), its
  headings moved two levels down so that a page can include it in a section.
  Each section of it is also on its own, without its heading, in
  ``generated/results/<name>/<slug of the heading>.md`` (the text before the
  first section, the title's paragraph and table, in ``intro.md``), so that
  a guide page can include just the table it discusses.
* ``generated/backends.md``, ``generated/training_defaults.md``: the tables
  of ``benchmarks/backends.py`` and ``benchmarks/training_defaults.py``.
* ``generated/examples/<name>.md``: the stored results of the examples too
  slow for a docs build (``examples/results/*.json``) as tables.

Nothing here is typed by hand: rerun a benchmark or example and rebuild.
"""

import importlib
import inspect
import json
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
GENERATED = DOCS / "generated"


def _home_modules(public_modules):
    """``{id(obj): module}``: the first submodule whose ``__all__`` has it."""
    home = {}
    for module_name in sorted(public_modules, key=lambda m: (m == "skaudio", m)):
        module = importlib.import_module(module_name)
        for name in module.__all__:
            home.setdefault(id(getattr(module, name)), (module_name, name))
    return home


def api_page():
    """The reStructuredText of the API reference."""
    import skaudio

    home = _home_modules(skaudio.PUBLIC_MODULES)
    lines = [".. _api:", "", "API reference", "=============", "",
             "Every public name of skaudio, from its docstring. The top-level "
             "``skaudio`` namespace re-exports the components most pipelines use; each "
             "is documented once, in the module that defines it.", ""]
    for module_name in skaudio.PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        summary = (inspect.getdoc(module) or "").split("\n\n")[0].replace("\n", " ")
        title = f":mod:`{module_name}`"
        lines += [title, "-" * len(title), "", f".. automodule:: {module_name}",
                  "   :no-members:", "   :no-index:", "", summary, ""]
        own, elsewhere = [], []
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.ismodule(obj) or name.startswith("__"):
                continue
            where, home_name = home[id(obj)]
            (own if where == module_name else elsewhere).append(f"{where}.{home_name}")
        if own:
            lines += [f".. currentmodule:: {module_name}", "", ".. autosummary::",
                      "   :toctree: api/", "   :nosignatures:", ""]
            lines += [f"   {path.rsplit('.', 1)[1]}" for path in own] + [""]
        if elsewhere:
            lines += (["Also here:", ""] if own else []) + [".. currentmodule:: None", "",
                                                              ".. autosummary::",
                      "   :nosignatures:", ""]
            lines += [f"   ~{path}" for path in elsewhere] + [""]
    return "\n".join(lines)


def _demote(markdown, levels=2):
    return re.sub(r"^(#+) ", lambda m: "#" * (len(m.group(1)) + levels) + " ", markdown,
                  flags=re.MULTILINE)


_SHARES = re.compile(r"accuracy|recall|f1|precision|share")


def _slug(heading):
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def sections(markdown):
    """``{slug: text}`` of a results page: ``intro`` (after the title) and each ``##`` section."""
    found, slug, lines = {}, "intro", []
    for line in markdown.splitlines():
        if line.startswith("# "):
            continue
        if line.startswith("## "):
            found[slug] = "\n".join(lines).strip() + "\n"
            slug, lines = _slug(line[3:]), []
        else:
            lines.append(line)
    found[slug] = "\n".join(lines).strip() + "\n"
    return found


def _scalar(value, key=""):
    """A cell's text: shares (accuracy, recall, ...) in %, other numbers to 4 digits."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{100 * value:.1f} %" if _SHARES.search(key) else f"{value:,.4g}"
    if isinstance(value, (int, str)):
        return f"{value:,}" if isinstance(value, int) else value
    return None


def json_table(payload):
    """A markdown table of a ``{row: {column: scalar}}`` JSON, scalars at the top too."""
    rows = {k: v for k, v in payload.items() if isinstance(v, dict)}
    columns = []
    for row in rows.values():
        columns += [c for c, v in row.items() if _scalar(v) is not None and c not in columns]
    lines = []
    top = [f"{k}: {_scalar(v, k)}" for k, v in payload.items() if _scalar(v) is not None]
    if top:
        lines += ["; ".join(top), ""]
    if rows and columns:
        lines += ["| | " + " | ".join(columns) + " |",
                  "|---|" + "---:|" * len(columns)]
        for name, row in rows.items():
            cells = [_scalar(row[c], c) if c in row and _scalar(row[c]) is not None else "--"
                     for c in columns]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def training_defaults_table(payloads):
    """``benchmarks/training_defaults.py``'s runs, one row per task and system."""
    lines = ["| task | system | runs | left chance at epoch | final training loss / ln K "
             "| test accuracy (%), mean (min) |", "|---|---|---|---|---|---|"]
    for payload in payloads:
        for task, runs in payload["runs"].items():
            systems = dict.fromkeys(run["system"] for run in runs)
            for system in systems:
                mine = [run for run in runs if run["system"] == system]
                accuracy = [100 * run["test_accuracy"] for run in mine]
                lines.append(
                    f"| {task} | {system} | {len(mine)} | "
                    + ", ".join(str(run["left_chance_at_epoch"]) for run in mine) + " | "
                    + ", ".join(f"{run['final_loss'] / run['chance_loss']:.2f}" for run in mine)
                    + f" | {sum(accuracy) / len(accuracy):.1f} ({min(accuracy):.1f}) |")
    return "\n".join(lines) + "\n"


def generate_all():
    """Write every generated page (only files whose text changed, to keep rebuilds fast)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import report

    pages = {"api.rst": api_page(),
             "benchmark_table.md": report.table(report.load_results()) + "\n"}
    for path in sorted((ROOT / "benchmarks" / "results").glob("*.md")):
        if not path.stem.endswith("_quick"):
            pages[f"results/{path.name}"] = _demote(path.read_text())
            for slug, text in sections(path.read_text()).items():
                pages[f"results/{path.stem}/{slug}.md"] = _demote(text, levels=1)
    results = ROOT / "benchmarks" / "results"
    pages["backends.md"] = json_table(json.loads((results / "backends.json").read_text())
                                      ["medians"])
    pages["training_defaults.md"] = training_defaults_table(
        json.loads((results / f"training_defaults_{task}.json").read_text())
        for task in ("fsdd", "synthetic"))
    for path in sorted((ROOT / "examples" / "results").glob("*.json")):
        pages[f"examples/{path.stem}.md"] = json_table(json.loads(path.read_text()))
    for name, text in pages.items():
        target = GENERATED / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
