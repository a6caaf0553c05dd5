"""benchmarks/report.py: the table of the results' goals (docs/benchmarks.md shows it)."""

import importlib.util
import json
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def report():
    spec = importlib.util.spec_from_file_location("report", BENCHMARKS / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_result(folder, name, goals):
    payload = {"machine": {"cores": 2, "keras_backend": "jax", "processor": "x86_64"},
               "goals": goals}
    (folder / f"{name}.json").write_text(json.dumps(payload))


def test_table_lists_every_goal_of_full_runs_only(report, tmp_path):
    write_result(tmp_path, "speed", [
        {"figure": "A / B", "value": 3.456, "unit": "x", "goal": ">= 3", "met": True},
        {"figure": "latency", "value": 12.5, "unit": "ms", "goal": "report", "met": None},
    ])
    write_result(tmp_path, "overhead", [
        {"figure": "C / D", "value": 1.2, "unit": "x", "goal": "<= 1.10", "met": False}])
    write_result(tmp_path, "speed_quick", [
        {"figure": "quick only", "value": 1.0, "unit": "x", "goal": ">= 3", "met": False}])
    (tmp_path / "no_goals.json").write_text(json.dumps({"ratio": 1.0}))

    results = report.load_results(tmp_path)
    assert list(results) == ["overhead", "speed"]
    rows = [line for line in report.table(results).splitlines()
            if line.startswith("| `")]
    assert rows == [
        "| `overhead.py` | C / D | 1.20x | <= 1.10 | **no** |",
        "| `speed.py` | A / B | 3.46x | >= 3 | yes |",
        "| `speed.py` | latency | 12.5 ms | report | -- |",
    ]
