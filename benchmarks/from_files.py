"""From files: AudioLoader -> MelSpectrogram against librosa.load + melspectrogram per file.

    python benchmarks/from_files.py [--quick]

Mel spectrograms of the 3,000 recordings of the Free Spoken Digit Dataset (8 kHz
WAV, read from ``../shared/data/fsdd`` or ``$SKAUDIO_FSDD``), resampled to
16 kHz and cut or zero-padded to 1 s:

* ``skaudio``: ``AudioLoader(sr=16000, duration=1.0, n_jobs=-1)`` (soundfile +
  soxr, files decoded in threads) then ``MelSpectrogram(sr=16000)`` on the
  batch;
* ``librosa per file``: what users write today, ``librosa.load(path,
  sr=16000)``, ``librosa.util.fix_length(y, size=16000)`` and
  ``librosa.feature.melspectrogram(y=y, sr=16000)`` for every file, stacked;
* (for information) ``librosa.load`` per file, then librosa's batched mel
  spectrogram: what is left once the per-file mel calls are batched.

Both decode with soundfile and resample with soxr at librosa's default quality,
so the waveforms are the same; the mel spectrograms agree to float32 rounding
(the largest difference relative to the largest value is reported; tolerance
``1e-5``). The runs alternate A, B, A, B, ...; the figure is the ratio of the
medians within this run (the machine is shared; absolute times are noisy).
Goal: at least 2x.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import librosa  # noqa: E402
import numpy as np  # noqa: E402
from _common import FSDD, alternate, median, write  # noqa: E402

import skaudio  # noqa: E402,F401  (selects skaudio's Keras backend first)
from skaudio import AudioLoader, MelSpectrogram  # noqa: E402
from skaudio.datasets import load_fsdd  # noqa: E402

SR, SECONDS = 16000, 1.0


def fsdd_files(n=None):
    if not (FSDD / "recordings").is_dir():
        sys.exit(f"FSDD not found at {FSDD}; set SKAUDIO_FSDD to its folder.")
    files = list(load_fsdd(FSDD).filenames)
    return files if n is None else files[:n]


def skaudio_features(files):
    waves = AudioLoader(sr=SR, duration=SECONDS, n_jobs=-1).fit_transform(files)
    return MelSpectrogram(sr=SR).transform(waves)


def librosa_features(files):
    size = int(SR * SECONDS)
    return np.stack([
        librosa.feature.melspectrogram(
            y=librosa.util.fix_length(librosa.load(f, sr=SR)[0], size=size), sr=SR).T
        for f in files
    ])


def librosa_load_then_batched_mel(files):
    size = int(SR * SECONDS)
    waves = np.stack([librosa.util.fix_length(librosa.load(f, sr=SR)[0], size=size)
                      for f in files])
    return np.moveaxis(librosa.feature.melspectrogram(y=waves, sr=SR), -1, -2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a check that it runs (100 files, 1 repeat), not a measurement")
    args = parser.parse_args(argv)
    files = fsdd_files(100 if args.quick else None)
    repeats = 1 if args.quick else 3

    ours, ref = skaudio_features(files), librosa_features(files)
    assert ours.shape == ref.shape and ours.dtype == ref.dtype == np.float32
    max_rel = float(np.abs(ours - ref).max() / np.abs(ref).max())
    waves = AudioLoader(sr=SR, duration=SECONDS).fit_transform(files[:50])
    waves_ref = np.stack([librosa.util.fix_length(librosa.load(f, sr=SR)[0],
                                                  size=int(SR * SECONDS))
                          for f in files[:50]])
    wave_diff = float(np.abs(waves - waves_ref).max())

    times = alternate({"skaudio": lambda: skaudio_features(files),
                       "librosa per file": lambda: librosa_features(files),
                       "librosa.load per file, batched mel":
                           lambda: librosa_load_then_batched_mel(files)}, repeats)
    ratio = median(times["librosa per file"]) / median(times["skaudio"])
    files_per_s = len(files) / median(times["skaudio"])
    ratio_batched = (median(times["librosa.load per file, batched mel"])
                     / median(times["skaudio"]))

    print(f"{len(files)} FSDD files -> 16 kHz, 1 s -> mel (128 bands), "
          f"{repeats} alternating repeats; ratios are measured in this run")
    print("| path | median (s) | all runs (s) |")
    print("|---|---|---|")
    for name, runs in times.items():
        print(f"| {name} | {median(runs):.2f} | {', '.join(f'{t:.2f}' for t in runs)} |")
    print(f"\nlibrosa per file / skaudio: {ratio:.1f}x (goal >= 2x); "
          f"{files_per_s:,.0f} files per second")
    print(f"against librosa.load per file + librosa's batched mel: {ratio_batched:.1f}x")
    print(f"waveforms: largest difference {wave_diff:.1e}; mel: largest difference "
          f"{max_rel:.1e} of the largest value (tolerance 1e-5)")

    goals = [
        {"figure": "from files: librosa.load + melspectrogram per file / "
                   "AudioLoader -> MelSpectrogram", "value": ratio, "unit": "x",
         "goal": ">= 2x", "met": ratio >= 2},
        {"figure": "from files: largest mel difference to librosa (relative)",
         "value": max_rel, "unit": "", "goal": "<= 1e-5", "met": max_rel <= 1e-5},
        {"figure": "from files: librosa.load per file + batched mel / skaudio",
         "value": ratio_batched, "unit": "x", "goal": "", "met": None},
        {"figure": "from files: files per second (decode, resample, mel)",
         "value": files_per_s, "unit": "files/s", "goal": "", "met": None},
    ]
    path = write("from_files_quick" if args.quick else "from_files", {
        "setup": {"n_files": len(files), "sr": SR, "seconds": SECONDS, "n_mels": 128,
                  "repeats": repeats, "quick": args.quick},
        "seconds": times, "ratio": ratio, "ratio_load_then_batched_mel": ratio_batched,
        "max_relative_difference": max_rel,
        "waveform_max_abs_difference": wave_diff, "goals": goals,
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
