"""Spoken digits on the FSDD official split: clean, and with interference at 9 dB
==============================================================================

    python examples/fsdd_persa_plus.py [PATH_TO_FSDD] [--systems log-t persa+]
                                       [--seed 0] [--out DIR]

The recipe: the PERSA+ paper's LOG-T (c=30) and PERSA+ (q=9, ±3 dB training
gain) systems, each ``AudioLoader``'s 1 s at 8 kHz -> MelSpectrogram (40
bands, 256-sample FFT, 16 ms hop) -> front-end -> VGGLikeClassifier, and their
soft vote (the mean of their probabilities, as scikit-learn's
``VotingClassifier(voting="soft")`` computes it). Each network trains for at
most 40 epochs, the learning rate x0.3 after 3 epochs without a lower
training loss, stopped early after 6. The training set (index 5-49, 2,700
recordings) is augmented with skaudio.robustness as the PERSA+ paper's v3 and
v4 versions: every recording with one random gain from {0, -10, -20, -30} dB
per (fold, digit), plus a copy mixed with another digit's recording or pink
noise at N(9, 3²) dB SNR (5,400 clips). Tested on index 0-4 (300 recordings)
as recorded and mixed at 9 dB with another digit's recording or pink noise
(the v4 protocol at a fixed SNR).

Beside it, a plain baseline on the same split: MFCC statistics (mean and std
of 20 MFCCs) with LogisticRegression. Prints every pipeline's accuracies and
fit time, the confusion matrix under interference, and saves the figures as
JSON and the confusion matrix as PNG when matplotlib is installed
(``pip install "skaudio[plot]"``).

.. note::

   Not run when this documentation is built: it needs the FSDD recordings and trains two
   networks for about 5 minutes on 2 cores (7 in all).
   Its output from the last run, stored in ``examples/results/``:

   .. literalinclude:: ../../examples/results/fsdd_persa_plus.json
      :language: json

   .. image:: ../../examples/results/fsdd_persa_plus_confusion.png
      :alt: fsdd_persa_plus_confusion.png
"""

import argparse
import json
import time
from pathlib import Path

import librosa
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix
from sklearn.pipeline import FunctionTransformer, make_pipeline
from sklearn.preprocessing import StandardScaler

from skaudio import AudioLoader, LogThreshold, MelSpectrogram, PersaPlus, VGGLikeClassifier
from skaudio.datasets import load_fsdd
from skaudio.robustness import make_gain_version, make_interference_version

DEFAULT_FSDD = Path(__file__).resolve().parents[2] / "shared" / "data" / "fsdd"
SR = 8000
TEST_SNR_DB = 9.0
DEFAULT_SYSTEMS = ["log-t", "persa+"]


def mfcc_statistics(X):
    """Mean and standard deviation over time of 20 MFCCs per clip."""
    mfcc = librosa.feature.mfcc(y=X, sr=SR, n_mfcc=20, n_fft=256, hop_length=64)
    return np.concatenate([mfcc.mean(axis=-1), mfcc.std(axis=-1)], axis=1)


def digit_network(frontend, seed, **params):
    """Mel spectrogram -> ``frontend`` -> the VGG-like CNN, trained to a plateau."""
    return make_pipeline(
        MelSpectrogram(sr=SR, n_fft=256, hop_length=128, n_mels=40),
        frontend,
        VGGLikeClassifier(epochs=40, reduce_lr_patience=3, patience=6, random_state=seed,
                          verbose=2, **params),
    )


def augmented_training_set(waves, y, index, seed):
    """The training recordings at v3 gains, plus a v4 copy mixed with interference."""
    gained, _ = make_gain_version(waves, y, index % 3, random_state=seed)
    mixed, _ = make_interference_version(gained, y, index % 5, random_state=seed + 1)
    return np.concatenate([gained, mixed]), np.concatenate([y, y])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=DEFAULT_FSDD, help="FSDD folder")
    parser.add_argument("--systems", nargs="+", choices=DEFAULT_SYSTEMS,
                        default=DEFAULT_SYSTEMS,
                        help="the systems to train; with two, their soft vote too")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=Path(__file__).resolve().parent / "results",
                        help="folder for the confusion matrix PNG and the JSON figures")
    args = parser.parse_args(argv)

    train = load_fsdd(args.path, split="train")
    test = load_fsdd(args.path, split="test")
    print(f"FSDD: {len(train.filenames)} training and {len(test.filenames)} test recordings")
    loader = AudioLoader(sr=SR, duration=1.0, n_jobs=-1)
    X_train, y_train = loader.fit_transform(train.filenames), train.target
    X_test, y_test = loader.transform(test.filenames), test.target
    X_fit, y_fit = augmented_training_set(X_train, y_train, train.index, args.seed)
    X_noisy, _ = make_interference_version(X_test, y_test, np.zeros(len(y_test)),
                                           snr_mean_db=TEST_SNR_DB, snr_std_db=0.0,
                                           random_state=args.seed + 2)

    frontends = {"log-t": (LogThreshold(c=30), 0.0),
                 "persa+": (PersaPlus(q=9, random_state=args.seed), 3.0)}
    baseline = make_pipeline(FunctionTransformer(mfcc_statistics), StandardScaler(),
                             LogisticRegression(max_iter=5000))
    tic = time.perf_counter()
    baseline.fit(X_train, y_train)
    figures = {"MFCC statistics + LogisticRegression (clean training set)": score(
        baseline.classes_, baseline.predict_proba(X_test), baseline.predict_proba(X_noisy),
        y_test, fit_seconds=time.perf_counter() - tic)}
    probas = []
    for system in args.systems:
        frontend, gain_db = frontends[system]
        pipe = digit_network(frontend, args.seed, gain_augment_db=gain_db)
        tic = time.perf_counter()
        pipe.fit(X_fit, y_fit)
        seconds, history = time.perf_counter() - tic, pipe[-1].history_
        classes = pipe.classes_
        probas.append((pipe.predict_proba(X_test), pipe.predict_proba(X_noisy)))
        figures[f"{system} VGG-like CNN (augmented training set)"] = score(
            classes, *probas[-1], y_test, fit_seconds=seconds,
            epochs=len(history["loss"]), final_training_loss=history["loss"][-1])
    if len(probas) > 1:
        figures[f"soft vote of {' and '.join(args.systems)}"] = score(
            classes, *(np.mean(p, axis=0) for p in zip(*probas)), y_test)
    print()
    for name, fig in figures.items():
        fit = f" (fit {fig['fit_seconds']:.0f} s)" if "fit_seconds" in fig else ""
        print(f"{name:56s} clean {100 * fig['accuracy']:.1f} %, interference at "
              f"{TEST_SNR_DB:g} dB {100 * fig['accuracy_9db']:.1f} %{fit}")
    print(f"\nConfusion matrix of the {name}, interference at {TEST_SNR_DB:g} dB "
          "(rows: true digit):")
    print(np.array(fig["confusion_9db"]))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "fsdd_persa_plus" + ("" if args.systems == DEFAULT_SYSTEMS
                                else "_" + "_".join(args.systems))
    (out / f"{stem}.json").write_text(json.dumps(figures, indent=2) + "\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        from sklearn.metrics import ConfusionMatrixDisplay

        display = ConfusionMatrixDisplay(np.array(fig["confusion_9db"]),
                                         display_labels=classes).plot()
        display.ax_.set_title(f"FSDD test split, interference at {TEST_SNR_DB:g} dB")
        display.figure_.savefig(out / f"{stem}_confusion.png", dpi=100)
        print(f"\nSaved {out / f'{stem}_confusion.png'}")
    except ImportError:
        print("\nmatplotlib is not installed: no PNG (pip install 'skaudio[plot]').")


def score(classes, proba_clean, proba_noisy, y_test, **extra):
    """Accuracy clean and under interference, and the confusion matrix under it."""
    clean = classes[np.argmax(proba_clean, axis=1)]
    noisy = classes[np.argmax(proba_noisy, axis=1)]
    return {"accuracy": accuracy_score(y_test, clean),
            "accuracy_9db": accuracy_score(y_test, noisy),
            "confusion_9db": confusion_matrix(y_test, noisy).tolist(), **extra}


if __name__ == "__main__":
    main()
