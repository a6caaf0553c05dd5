"""The README's demo command."""

import subprocess
import sys

import numpy as np
import pytest

from skaudio.__main__ import main
from skaudio.demo import per_class_gain, run_demo


def test_demo_prints_a_row_per_system():
    lines = []
    results = run_demo(n_samples=48, n_classes=3, systems=("log", "persa+"), epochs=2,
                       print_fn=lines.append)
    text = "\n".join(lines)
    assert "| LOG |" in text and "| PERSA+ (q=9) |" in text and "Chance is 33.3 %" in text
    assert set(results) == {"log", "persa+"}
    for figures in results.values():
        assert 0 <= figures["clean"] <= 1 and 0 <= figures["gain"] <= 1


def test_per_class_gain_is_constant_within_a_class():
    X = np.ones((6, 10), dtype=np.float32)
    y = np.array([0, 0, 1, 1, 2, 2])
    out = per_class_gain(X, y, random_state=0)
    gains_db = 20 * np.log10(out[:, 0])
    assert out.dtype == np.float32
    assert np.all(gains_db[::2] == gains_db[1::2])
    assert set(np.round(gains_db)) <= {0.0, -10.0, -20.0, -30.0}


def test_cli_help_lists_demo():
    out = subprocess.run([sys.executable, "-m", "skaudio", "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert "demo" in out


def test_cli_rejects_unknown_command(capsys):
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
