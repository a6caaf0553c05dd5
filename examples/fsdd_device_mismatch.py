"""Recording-device mismatch: a DCASE 2020 network trained on a few devices, tested on new ones
============================================================================================

    python examples/fsdd_device_mismatch.py [PATH_TO_FSDD] [--epochs 12] [--seed 0]

Hu et al.'s recipe (DCASE 2020 Task 1a) on spoken digits. FSDD's recordings
are "device A"; ``skaudio.expansion.simulate_device`` makes the simulated
devices s1-s6 as the DCASE organisers made theirs (a fixed EQ curve, impulse
response and compressor per device). The training set is FSDD's training
recordings (index 5-49) as device A plus copies of a sixth of them through
s1-s3, expanded with reverberated and compressed copies
(``expansion.reverb_drc``); the test recordings (index 0-4) are played
through every device, s4-s6 never seen in training.

The pipeline: log-mel -> the paper's "Scale" (``MinMaxScale``) -> deltas
without padding -> ``FsFCNNClassifier`` trained as the paper trains it: SGD
with momentum, cosine learning rate with warm restarts and the average of
the snapshots at each cycle's end, random crops (prediction on the full
input), SpecAugment and mixup. It prints the accuracy per device; the full
comparison of the paper's networks and augmentations is
``benchmarks/dcase_networks.py``. About 3 minutes on 2 CPU cores.

.. note::

   Not run when this documentation is built: it needs the FSDD recordings and trains for
   about 3 minutes; the benchmark behind it stores its figures on the
   :doc:`reproductions page </reproductions>`.
"""

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.pipeline import make_pipeline

from skaudio import Deltas, FsFCNNClassifier, LogCompression, MelSpectrogram, MinMaxScale
from skaudio.datasets import load_fsdd
from skaudio.expansion import reverb_drc, simulate_device

DEFAULT_FSDD = Path(__file__).resolve().parents[2] / "shared" / "data" / "fsdd"
SR = 8000
SEEN, UNSEEN = (1, 2, 3), (4, 5, 6)


def device_mismatch_system(epochs, seed):
    """Log-mel, Scale and deltas (55 frames x 40 bands x 3), then fsFCNN."""
    return make_pipeline(
        MelSpectrogram(sr=SR, n_fft=256, hop_length=128, n_mels=40),
        LogCompression(), MinMaxScale(), Deltas(width=5, padding=False),
        FsFCNNClassifier(random_crop_frames=52, time_mask=0.1, frequency_mask=0.1,
                         mixup_alpha=0.4, optimizer="sgd_momentum", learning_rate=0.1,
                         lr_schedule="cosine_restarts", epochs=epochs,
                         snapshot_ensemble=True, random_state=seed))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fsdd", nargs="?", default=DEFAULT_FSDD, help="FSDD folder")
    parser.add_argument("--epochs", type=int, default=12,
                        help="training epochs: 4, 12, 28, ... end a cosine cycle")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    data = load_fsdd(args.fsdd, return_waveforms=True, sr=SR, duration=1.0, n_jobs=-1)
    train, test = data.index >= 5, data.index < 5
    X, y, groups = data.data[train], data.target[train], data.groups[train]
    parts = [(X, y, groups)]
    for device in SEEN:  # a sixth of the training recordings through each seen device
        keep = data.index[train] % 6 == device
        parts.append((simulate_device(X[keep], sr=SR, device=device), y[keep],
                      groups[keep]))
    parts.append(reverb_drc(X[::5], y[::5], sr=SR, groups=groups[::5],
                            random_state=args.seed))
    X_train, y_train, groups_train = (np.concatenate(part) for part in zip(*parts))
    assert not set(groups_train) & set(data.groups[test]), "a test recording is trained on"

    system = device_mismatch_system(args.epochs, args.seed)
    tic = time.perf_counter()
    system.fit(X_train, y_train)
    print(f"fsFCNN trained on {len(y_train)} clips (device A, s1-s3, reverb+DRC) in "
          f"{time.perf_counter() - tic:.0f} s")

    X_test, y_test = data.data[test], data.target[test]
    print("| device | seen in training | accuracy |")
    print("|---|---|---|")
    accuracies = {}
    for device in (0, *SEEN, *UNSEEN):
        waves = X_test if device == 0 else simulate_device(X_test, sr=SR, device=device)
        name = "A" if device == 0 else f"s{device}"
        accuracies[name] = float(np.mean(system.predict(waves) == y_test))
        seen = "yes" if device in (0, *SEEN) else "no"
        print(f"| {name} | {seen} | {100 * accuracies[name]:.1f} % |")
    unseen = np.mean([accuracies[f"s{d}"] for d in UNSEEN])
    print(f"unseen devices s4-s6: {100 * unseen:.1f} % on {len(y_test)} test recordings")


if __name__ == "__main__":
    main()
