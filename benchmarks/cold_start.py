"""Cold start of ``skaudio predict``: one 1-s file in a fresh process.

    python benchmarks/cold_start.py [--repeats 5] [--quick]

Issue #22's goal: ``skaudio predict`` on one 1-s file, in a fresh process,
the compilation cache warm, in at most 3 s on 2 cores. Measured side by side,
alternating, in fresh processes (``hyperfine``'s method without hyperfine):

* the floors: ``python -c pass``, a bare ``import keras`` (JAX backend) and
  ``import skaudio``;
* ``skaudio predict model.joblib clip.wav``: the pipeline ``skaudio train``
  saved (mel spectrogram, LOG, the VGG-like CNN), Keras on JAX;
* ``skaudio predict model.onnx clip.wav``: the same pipeline after ``skaudio
  export`` (int8, the front-end inside the graph), onnxruntime, no Keras.

Where the time goes: a fresh process that runs the joblib path's phases one
after the other (imports, unpickling, decoding, the first and the second
prediction) and prints each one's seconds, and the same for the ONNX path.

The model is trained here on generated audio (``make_audio_classification``,
60 clips, 2 epochs): its accuracy does not matter, its size and layers do.
Results: benchmarks/results/cold_start.{json,md}.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402
from _common import RESULTS, SKIPPED, write  # noqa: E402

PHASES = r"""
import json, sys, time
t = {{}}; tic = time.perf_counter()
{imports}
t["imports"] = time.perf_counter() - tic; tic = time.perf_counter()
model = {load}
t["load model"] = time.perf_counter() - tic; tic = time.perf_counter()
from skaudio.io import load_files
X = load_files([{wav!r}], sr=16000, duration=1.0).data
t["decode"] = time.perf_counter() - tic; tic = time.perf_counter()
model.predict(X)
t["first prediction"] = time.perf_counter() - tic; tic = time.perf_counter()
model.predict(X)
t["second prediction"] = time.perf_counter() - tic
print(json.dumps(t))
"""


def run(command, env):
    tic = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - tic
    if result.returncode != 0:
        raise RuntimeError(f"{command} failed: {result.stderr[-2000:]}")
    return elapsed, result.stdout


def goals(medians):
    """Issue #22's goal: one file predicted in a fresh process in at most 3 s."""
    return [{"figure": f"`{name}`, one 1-s file, fresh process", "value": medians[name],
             "unit": "s", "goal": "<= 3 s", "met": bool(medians[name] <= 3.0)}
            for name in ("skaudio predict model.joblib", "skaudio predict model.onnx")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        print("skipped: onnx and onnxruntime are not installed (pip install "
              "'skaudio[export]')")
        sys.exit(SKIPPED)
    import soundfile as sf

    from skaudio.datasets import make_audio_classification

    repeats = 2 if args.quick else args.repeats
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    python, skaudio = sys.executable, [sys.executable, "-m", "skaudio"]
    with tempfile.TemporaryDirectory() as tmp:
        data = make_audio_classification(n_samples=60, n_classes=3, random_state=0)
        for i, (x, t) in enumerate(zip(data.data, data.target)):
            os.makedirs(f"{tmp}/data/c{t}", exist_ok=True)
            sf.write(f"{tmp}/data/c{t}/{i:03d}.wav", x, 16000)
        wav = f"{tmp}/data/c0/{int(np.flatnonzero(data.target == 0)[0]):03d}.wav"
        model, onnx_file = f"{tmp}/model.joblib", f"{tmp}/model.onnx"
        run([*skaudio, "train", f"{tmp}/data", "--system", "log", "--out", model,
             "--folds", "2", "--param", "epochs=2", "--quiet"], env)
        run([*skaudio, "export", model, onnx_file, "--quiet"], env)
        run([*skaudio, "predict", model, wav], env)  # warms the compilation cache
        candidates = {
            "python -c pass": [python, "-c", "pass"],
            "import keras (jax)": [python, "-c", "import keras"],
            "import skaudio": [python, "-c", "import skaudio"],
            "skaudio predict model.joblib": [*skaudio, "predict", model, wav],
            "skaudio predict model.onnx": [*skaudio, "predict", onnx_file, wav],
        }
        times = {name: [] for name in candidates}
        for _ in range(repeats):
            for name, command in candidates.items():
                times[name].append(run(command, env)[0])
        phases = {
            "joblib (Keras)": json.loads(run([python, "-c", PHASES.format(
                imports="import joblib, keras, skaudio", load=f"joblib.load({model!r})",
                wav=wav)], env)[1]),
            "onnx": json.loads(run([python, "-c", PHASES.format(
                imports="from skaudio.export import ONNXClassifier",
                load=f"ONNXClassifier({onnx_file!r})", wav=wav)], env)[1]),
        }
    medians = {name: float(np.median(v)) for name, v in times.items()}
    payload = {"repeats": repeats, "seconds": times, "median_seconds": medians,
               "phases": phases, "goals": goals(medians)}
    name = "cold_start_quick" if args.quick else "cold_start"
    write(name, payload)
    lines = ["# Cold start: one 1-s file in a fresh process (2 cores)", "",
             f"Median of {repeats} runs, alternating.", "", "| command | seconds |",
             "|---|---:|"]
    lines += [f"| `{k}` | {v:.2f} |" for k, v in medians.items()]
    lines += ["", "## Where the time goes (one fresh process each)", "",
              "| phase | " + " | ".join(phases) + " |", "|---|" + "---:|" * len(phases)]
    for phase in next(iter(phases.values())):
        lines.append(f"| {phase} | " + " | ".join(f"{p[phase]:.2f}" for p in
                                                   phases.values()) + " |")
    text = "\n".join(lines) + "\n"
    (RESULTS / f"{name}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
