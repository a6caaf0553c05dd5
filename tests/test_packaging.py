"""The package under ``python -OO``, which strips docstrings (``__doc__`` is None).

Code that edits a class's docstring when the module is imported (shared
parameter documentation, say) must not fail there: optimised installs and
frozen applications run that way.
"""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from packaging.version import Version


def _run_optimised(code):
    return subprocess.run([sys.executable, "-OO", "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=600)


def test_every_module_imports_and_every_estimator_builds_without_docstrings():
    result = _run_optimised("""
        import pkgutil, importlib
        import skaudio, skaudio.estimators, skaudio.embedding, skaudio.systems
        import skaudio.datasets, skaudio.metrics, skaudio.networks
        if skaudio.__doc__ is not None:  # (no assert: -OO strips those too)
            raise SystemExit("python -OO kept the docstrings")
        for module in pkgutil.walk_packages(skaudio.__path__, prefix="skaudio."):
            importlib.import_module(module.name)
        from skaudio.discovery import all_estimators, cheap_instances
        estimators = all_estimators()
        for name, cls in estimators:
            for estimator in cheap_instances(cls):
                repr(estimator.get_params())
        print(len(estimators))
    """)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) > 0


def test_command_line_help_without_docstrings():
    result = subprocess.run([sys.executable, "-OO", "-m", "skaudio", "--help"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "demo" in result.stdout


def test_the_oldest_versions_ci_tests_are_the_declared_lower_bounds():
    # .ci/run's second pass installs .ci/oldest.txt: every lower bound declared
    # in pyproject.toml is pinned there, at that version, and nothing else.
    tomllib = pytest.importorskip("tomllib", reason="tomllib is Python 3.11's")
    root = Path(__file__).resolve().parents[1]
    declared = {}
    for requirement in tomllib.loads((root / "pyproject.toml").read_text())["project"][
            "dependencies"]:
        name, _, bound = re.match(r"([A-Za-z0-9_.-]+)\s*(>=|==)\s*([^,;\s]+)",
                                  requirement).groups()
        declared[name.lower()] = Version(bound)
    pinned = {name: Version(version) for name, version in (
        line.split("==") for line in (root / ".ci" / "oldest.txt").read_text().splitlines()
        if line and not line.startswith("#"))}
    assert pinned == declared
