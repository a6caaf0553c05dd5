"""Mel spectrograms: skaudio's MelSpectrogram against librosa's batched call.

    python benchmarks/mel_features.py [--quick]

Both compute the power mel spectrogram (librosa's defaults: ``n_fft=2048``,
``hop_length=512``, 128 Slaney bands; ``sr=16000``) of the same 500 seeded
1-second float32 clips: ``MelSpectrogram().transform(X)`` (validation included)
against ``librosa.feature.melspectrogram(y=X)`` on the whole 2-D batch, which
is already several times faster than a loop over clips. The runs alternate
A, B, A, B, ...; the figure is the ratio of the medians, measured in one run
(the machine is shared, so absolute times are noisy; ratios are what to
compare). Goal: at least 1.5x, with results equal to ``1e-5`` of the largest
value, float32 throughout. Also: seconds of audio per second of compute, and
the ratio with one thread (``n_jobs=1``) to show what the second core adds.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import librosa  # noqa: E402
import numpy as np  # noqa: E402
from _common import alternate, median, write  # noqa: E402

import skaudio  # noqa: E402,F401  (selects skaudio's Keras backend first)
from skaudio import MelSpectrogram  # noqa: E402
from skaudio.datasets import make_audio_classification  # noqa: E402

SR = 16000


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a check that it runs (50 clips, 2 repeats), not a measurement")
    args = parser.parse_args(argv)
    n, repeats = (50, 2) if args.quick else (500, 9)

    X = make_audio_classification(n_samples=n, n_classes=5, sr=SR, duration=1.0,
                                  snr_db=10, random_state=0).data.astype(np.float32)
    mel, mel_1 = MelSpectrogram(sr=SR), MelSpectrogram(sr=SR, n_jobs=1)

    def librosa_batched():
        return librosa.feature.melspectrogram(y=X, sr=SR)

    ours, ref = mel.transform(X), np.moveaxis(librosa_batched(), -1, -2)
    assert ours.dtype == np.float32 and ref.dtype == np.float32
    max_rel = float(np.abs(ours - ref).max() / np.abs(ref).max())

    times = alternate({"skaudio": lambda: mel.transform(X),
                       "librosa batched": librosa_batched,
                       "skaudio, n_jobs=1": lambda: mel_1.transform(X)}, repeats)
    ratio = median(times["librosa batched"]) / median(times["skaudio"])
    ratio_1 = median(times["librosa batched"]) / median(times["skaudio, n_jobs=1"])
    audio_per_s = n * X.shape[1] / SR / median(times["skaudio"])

    print(f"mel spectrogram of {n} clips of 1 s at {SR} Hz (float32), "
          f"{repeats} alternating repeats; ratios are measured in this run")
    print("| path | median (s) | all runs (s) |")
    print("|---|---|---|")
    for name, runs in times.items():
        print(f"| {name} | {median(runs):.3f} | {', '.join(f'{t:.3f}' for t in runs)} |")
    print(f"\nlibrosa batched / skaudio: {ratio:.2f}x (goal >= 1.5x); "
          f"with one thread: {ratio_1:.2f}x")
    print(f"largest difference: {max_rel:.2e} of the largest value (goal <= 1e-5)")
    print(f"{audio_per_s:,.0f} seconds of audio per second of compute")

    goals = [
        {"figure": "mel: librosa batched time / MelSpectrogram time", "value": ratio,
         "unit": "x", "goal": ">= 1.5x", "met": ratio >= 1.5},
        {"figure": "mel: largest difference to librosa (relative to the largest value)",
         "value": max_rel, "unit": "", "goal": "<= 1e-5", "met": max_rel <= 1e-5},
        {"figure": "mel: seconds of audio per second of compute", "value": audio_per_s,
         "unit": "s/s", "goal": "", "met": None},
        {"figure": "mel: librosa batched / MelSpectrogram(n_jobs=1)", "value": ratio_1,
         "unit": "x", "goal": "", "met": None},
    ]
    path = write("mel_features_quick" if args.quick else "mel_features", {
        "setup": {"n_clips": n, "seconds_per_clip": 1.0, "sr": SR, "n_fft": 2048,
                  "hop_length": 512, "n_mels": 128, "dtype": "float32",
                  "repeats": repeats, "quick": args.quick},
        "seconds": times, "ratio": ratio, "ratio_one_thread": ratio_1,
        "max_relative_difference": max_rel, "audio_seconds_per_second": audio_per_s,
        "goals": goals,
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
