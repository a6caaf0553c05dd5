"""Run every benchmark, each in its own process, then print the table of their goals.

    python benchmarks/run_all.py [--quick] [--only NAME ...] [--skip NAME ...]

Runs each ``benchmarks/<name>.py`` (helpers starting with ``_``, this script,
``report.py`` and the long ``persa_plus_paper.py``, ``training_defaults.py``,
``dcase_networks.py``, ``two_stage.py``, ``export.py`` and ``raw_waveform.py``
excepted) with this
interpreter, one after the other so that they do not compete for the cores,
prints each one's output, a summary of exit statuses and times, and finally
runs ``report.py`` to print the table of goals from ``benchmarks/results/*.json``
(the documentation build puts it on docs/benchmarks.md). ``--quick`` passes
``--quick`` on: a check that every script runs (quick results go to
``*_quick.json`` and stay out of the
table). A script that exits with status 3 was skipped because an optional
package is missing (``dask_grid_search.py`` without ``skaudio[dask]``); the
Keras backends measured are those installed here (``backends.py --python``
measures another interpreter's).

Exit status: 1 if any benchmark failed, else 0.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

from _common import SKIPPED

HERE = Path(__file__).resolve().parent
NOT_BENCHMARKS = {"run_all", "report", "persa_plus_paper", "training_defaults",
                  "dcase_networks", "two_stage", "export", "raw_waveform"}


def benchmarks():
    """Names of the benchmark scripts, sorted."""
    return sorted(p.stem for p in HERE.glob("*.py")
                  if not p.stem.startswith("_") and p.stem not in NOT_BENCHMARKS)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="check that every benchmark runs (tiny sizes)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these")
    parser.add_argument("--skip", nargs="+", metavar="NAME", default=[],
                        help="do not run these")
    args = parser.parse_args(argv)
    names = benchmarks()
    unknown = [n for n in (args.only or []) + args.skip if n not in names]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {names}")
    names = [n for n in names if (not args.only or n in args.only) and n not in args.skip]

    summary = []
    for name in names:
        command = [sys.executable, str(HERE / f"{name}.py")] + (["--quick"] if args.quick
                                                                 else [])
        print(f"\n=== {name} ===", flush=True)
        tic = time.perf_counter()
        status = subprocess.run(command, cwd=HERE.parent, check=False).returncode
        seconds = time.perf_counter() - tic
        state = {0: "ok", SKIPPED: "skipped"}.get(status, f"FAILED ({status})")
        summary.append((name, state, seconds))

    print("\n| benchmark | status | seconds |\n|---|---|---|")
    for name, state, seconds in summary:
        print(f"| {name} | {state} | {seconds:.0f} |")
    print("\n=== report ===", flush=True)
    subprocess.run([sys.executable, str(HERE / "report.py")], cwd=HERE.parent, check=True)
    if any(state.startswith("FAILED") for _, state, _ in summary):
        sys.exit(1)


if __name__ == "__main__":
    main()
