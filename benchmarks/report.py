"""The benchmark table of docs/benchmarks.md, from ``benchmarks/results/*.json``.

    python benchmarks/report.py

Every benchmark writes ``benchmarks/results/<name>.json`` with a ``"goals"``
list of ``{"figure", "value", "unit", "goal", "met"}`` entries and the machine
description. This script turns all of them (quick runs, ``*_quick.json``,
excepted) into one markdown table -- benchmark, figure, value, goal, met? --
and prints it. The documentation build (``docs/_generate.py``) puts the same
table on docs/benchmarks.md.
"""

import argparse
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def load_results(folder=RESULTS):
    """``{name: payload}`` of every full (not quick) result file, sorted by name."""
    results = {}
    for path in sorted(Path(folder).glob("*.json")):
        if path.stem.endswith("_quick"):
            continue
        payload = json.loads(path.read_text())
        if "goals" in payload:
            results[path.stem] = payload
    return results


def format_value(value, unit):
    if value is None:
        return "--"
    value = float(value)
    if unit == "x":
        text = f"{value:.2f}x"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 1 or value == 0:
        text = f"{value:.3g}"
    else:
        text = f"{value:.2g}"
    return text if unit in ("x", "") else f"{text} {unit}"


def table(results):
    """The markdown table of every goal of every result."""
    lines = ["| benchmark | figure | value | goal | met? |", "|---|---|---|---|---|"]
    for name, payload in results.items():
        for goal in payload["goals"]:
            met = {True: "yes", False: "**no**", None: "--"}[goal.get("met")]
            script = payload.get("script", name)  # a script may write several files
            lines.append(f"| `{script}.py` | {goal['figure']} | "
                         f"{format_value(goal.get('value'), goal.get('unit', ''))} | "
                         f"{goal.get('goal', '')} | {met} |")
    machines = sorted({(p["machine"].get("cores"), p["machine"].get("keras_backend"),
                        p["machine"].get("processor")) for p in results.values()
                       if "machine" in p}, key=str)
    where = "; ".join(f"{cores} cores, {proc}, Keras on {backend}"
                      for cores, backend, proc in machines)
    lines += ["", (f"Measured on: {where or 'unknown'}. Generated from "
                   "`benchmarks/results/*.json`; every ratio comes from runs with their "
                   "candidates alternating (the front-ends: the median of three processes).")]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    print(table(load_results()))


if __name__ == "__main__":
    main()
