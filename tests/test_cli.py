"""The ``skaudio`` command line, end to end on small folders of generated audio."""

import csv
import io
import json
import os
import subprocess
import sys

import joblib
import numpy as np
import pytest
import soundfile as sf

from skaudio._cli import main
from skaudio.datasets import make_audio_classification

SR = 8000
CLASSES = ("tone", "chirp", "noise")
# A network small enough to train in seconds.
FAST = ["--sr", str(SR), "--duration", "0.5", "--n-mels", "16", "--n-fft", "256",
        "--folds", "2", "--param", "epochs=2", "--param", "filters=(8, 16)",
        "--param", "dense_units=8"]


def write_folder(folder, n_samples=24, random_state=0):
    data = make_audio_classification(n_samples=n_samples, n_classes=3, duration=0.5, sr=SR,
                                     random_state=random_state)
    paths = []
    for i, (x, t, g) in enumerate(zip(data.data, data.target, data.groups)):
        os.makedirs(folder / CLASSES[t], exist_ok=True)
        path = folder / CLASSES[t] / f"src{g:03d}_{i:03d}.wav"
        sf.write(path, x, SR)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A folder of recordings and the model ``skaudio train`` made of it."""
    root = tmp_path_factory.mktemp("cli")
    paths = write_folder(root / "data")
    model = root / "model.joblib"
    status = main(["train", str(root / "data"), "--system", "log", "--out", str(model),
                   "--group-pattern", r"^src(\d+)_", "--quiet", *FAST])
    assert status == 0
    return root, paths, model


def test_train_saves_the_pipeline_and_what_it_was_trained_on(trained):
    root, paths, model = trained
    info = json.loads((root / "model.joblib.json").read_text())
    assert info["classes"] == sorted(CLASSES)
    assert info["sample_rate"] == SR and info["duration"] == 0.5 and info["grouped"]
    assert set(info["cv_scores"]) == {"accuracy", "unweighted_recall", "macro_f1"}
    assert len(info["cv_scores"]["accuracy"]["folds"]) == 2
    pipe = joblib.load(model)
    assert pipe[-1].epochs == 2 and pipe[-1].filters == (8, 16)


def test_predict_prints_one_line_per_file_as_the_model_predicts(trained, capsys):
    root, paths, model = trained
    files = [str(p) for p in paths[:5]]
    capsys.readouterr()
    assert main(["predict", str(model), *files, "--proba", "--batch-size", "2"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["path"] for r in rows] == files
    waveforms = np.stack([sf.read(f, dtype="float32")[0] for f in files])
    expected = joblib.load(model).predict(waveforms)
    assert [r["label"] for r in rows] == list(expected)
    assert {f"p_{c}" for c in CLASSES} <= set(rows[0])
    total = sum(float(rows[0][f"p_{c}"]) for c in CLASSES)
    assert total == pytest.approx(1.0, abs=1e-4)


def test_predict_json_lines_and_skipping_a_bad_file(trained, capsys, tmp_path):
    root, paths, model = trained
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    capsys.readouterr()
    status = main(["predict", str(model), str(paths[0]), str(bad), "--format", "json",
                   "--on-error", "skip"])
    out, err = capsys.readouterr()
    assert status == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["path"] for line in lines] == [str(paths[0])]
    assert "skipped" in err and "bad.wav" in err
    assert main(["predict", str(model), str(bad)]) == 1  # --on-error stop (default)
    assert "bad.wav" in capsys.readouterr().err


def test_evaluate_scores_the_model_clean_and_under_the_protocols(trained, capsys):
    root, paths, model = trained
    capsys.readouterr()
    assert main(["evaluate", str(model), str(root / "data")]) == 0
    err = capsys.readouterr().err
    for name in ("accuracy", "unweighted_recall", "macro_f1", "v3 per-class gain",
                 "v4 interference"):
        assert name in err


def test_train_and_evaluate_write_an_html_report(trained, tmp_path):
    pytest.importorskip("matplotlib", reason="the report's figures need matplotlib")
    root, paths, model = trained
    report = tmp_path / "evaluate.html"
    assert main(["evaluate", str(model), str(root / "data"), "--report", str(report),
                 "--quiet"]) == 0
    text = report.read_text()
    assert "data:image/png;base64," in text and "chirp" in text


def test_export_then_predict_from_the_onnx_file(trained, capsys, tmp_path):
    pytest.importorskip("onnxruntime", reason="export needs skaudio[export]")
    root, paths, model = trained
    onnx_file = tmp_path / "model.onnx"
    assert main(["export", str(model), str(onnx_file), "--quantize", "none",
                 "--quiet"]) == 0
    capsys.readouterr()
    files = [str(p) for p in paths[:6]]
    assert main(["predict", str(onnx_file), *files]) == 0
    onnx_rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert main(["predict", str(model), *files]) == 0
    keras_rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert onnx_rows == keras_rows


@pytest.mark.parametrize("problem, make, message", [
    ("empty folder", lambda p: p.mkdir(), "No audio files"),
    ("one class", lambda p: write_folder(p, 9) and [
        os.rename(p / c, p / f"_{c}") for c in ()] and None, None),
    ("missing", lambda p: None, "does not exist"),
])
def test_malformed_data_is_one_line_and_writes_nothing(problem, make, message, tmp_path,
                                                       capsys):
    data = tmp_path / "data"
    make(data)
    if problem == "one class":
        for name in CLASSES[1:]:
            for f in (data / name).iterdir():
                f.unlink()
            (data / name).rmdir()
        message = "one class"
    out = tmp_path / "model.joblib"
    assert main(["train", str(data), "--out", str(out), *FAST]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("skaudio: error:") and message in err[-1]
    assert not out.exists() and not (tmp_path / "model.joblib.json").exists()


def test_more_malformed_inputs(trained, tmp_path, capsys):
    root, paths, model = trained
    table = tmp_path / "files.csv"
    table.write_text("file,label\nx.wav,a\n")
    assert main(["train", str(table), "--out", str(tmp_path / "m.joblib"), *FAST]) == 1
    assert "lacks the columns ['path']" in capsys.readouterr().err
    assert main(["train", str(root / "data"), "--out", str(tmp_path / "m.joblib"),
                 "--param", "no_such=1", *FAST[:-6]]) == 1
    assert "unknown parameter 'no_such'" in capsys.readouterr().err
    not_a_model = tmp_path / "model.joblib"
    not_a_model.write_text("hello")
    assert main(["predict", str(not_a_model), str(paths[0])]) == 1
    assert "is not a skaudio model" in capsys.readouterr().err
    assert main(["train", str(root / "data"), "--out", str(tmp_path / "m.joblib"),
                 "--folds", "30", *FAST[:-8]]) == 1
    assert "fewer than the 30 folds" in capsys.readouterr().err


def test_train_from_a_csv_with_groups_and_a_bad_file_skipped(tmp_path, capsys):
    paths = write_folder(tmp_path / "data")
    (tmp_path / "data" / "broken.wav").write_text("not audio")
    rows = ["path,label,group"] + [f"data/{p.parent.name}/{p.name},{p.parent.name},"
                                   f"{p.name[:6]}" for p in paths]
    rows.append("data/broken.wav,tone,src999")
    (tmp_path / "files.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "model.joblib"
    assert main(["train", str(tmp_path / "files.csv"), "--out", str(out), "--on-error",
                 "skip", *FAST]) == 0
    err = capsys.readouterr().err
    assert "skipped" in err and "broken.wav" in err
    assert json.loads((tmp_path / "model.joblib.json").read_text())["n_files"] == len(paths)


def test_ungrouped_data_warns_that_scores_may_be_inflated(tmp_path, capsys):
    write_folder(tmp_path / "data")
    assert main(["train", str(tmp_path / "data"), "--out", str(tmp_path / "m.joblib"),
                 *FAST]) == 0
    assert "no groups given" in capsys.readouterr().err


def test_the_console_script_runs_in_a_fresh_process(trained):
    root, paths, model = trained
    result = subprocess.run([sys.executable, "-m", "skaudio", "predict", str(model),
                             str(paths[0])], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "path,label"
    assert "Warning" not in result.stderr  # Keras's and JAX's messages stay hidden


def test_a_flat_folder_with_labels_and_groups_in_the_file_names(tmp_path, capsys):
    # FSDD's layout: recordings/{digit}_{speaker}_{index}.wav
    data = make_audio_classification(n_samples=24, n_classes=2, duration=0.5, sr=SR,
                                     random_state=1)
    (tmp_path / "recordings").mkdir()
    for i, (x, t, g) in enumerate(zip(data.data, data.target, data.groups)):
        sf.write(tmp_path / "recordings" / f"{t}_speaker{'abcdef'[g % 6]}_{i}.wav", x, SR)
    out = tmp_path / "model.joblib"
    assert main(["train", str(tmp_path / "recordings"), "--out", str(out), "--label-pattern",
                 r"^(\d)_", "--group-pattern", r"_(speaker[a-z])_", *FAST]) == 0
    info = json.loads((tmp_path / "model.joblib.json").read_text())
    assert info["classes"] == ["0", "1"] and info["grouped"]
    assert "no groups given" not in capsys.readouterr().err
    assert main(["train", str(tmp_path / "recordings"), "--out", str(out), "--label-pattern",
                 r"^(\d)_", "--group-pattern", r"_(nobody)_", *FAST]) == 1
    assert "does not match the file name" in capsys.readouterr().err
