"""The README's demo command."""

import subprocess
import sys

import pytest

from skaudio.__main__ import main
from skaudio.demo import run_demo


def test_demo_prints_a_table_of_every_frontend():
    lines = []
    search = run_demo(n_samples=64, n_classes=4, q_values=(3, 9), n_splits=2,
                      print_fn=lines.append)
    text = "\n".join(lines)
    for name in ("LOG ", "PERSA ", "LOG-T (c=30)", "PCEN", "PERSA+ (q=3)", "PERSA+ (q=9)"):
        assert f"| {name.strip()}" in text
    assert "best:" in text
    assert len(search.cv_results_["params"]) == 6
    assert search.best_score_ > 0.25  # above chance for 4 classes


def test_cli_help_lists_demo():
    out = subprocess.run([sys.executable, "-m", "skaudio", "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert "demo" in out


def test_cli_rejects_unknown_command(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
