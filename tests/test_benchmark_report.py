"""benchmarks/report.py: the benchmark table (docs/benchmarks.md) from the results' goals."""

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


def test_update_readme_replaces_only_between_markers(report, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\nprose\n{report.START}\nold table\n{report.END}\nafter\n")
    assert report.update_readme("new table", readme)
    assert readme.read_text() == (f"# title\nprose\n{report.START}\nnew table\n"
                                  f"{report.END}\nafter\n")
    assert not report.update_readme("new table", readme)  # unchanged the second time


def test_update_readme_without_markers_says_what_to_do(report, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# title\nno markers\n")
    with pytest.raises(ValueError, match="benchmark-table:start"):
        report.update_readme("table", readme)
    assert readme.read_text() == "# title\nno markers\n"
