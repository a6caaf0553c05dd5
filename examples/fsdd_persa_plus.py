"""Spoken digits on the FSDD official split: clean, and with interference at 9 dB.

    python examples/fsdd_persa_plus.py [PATH_TO_FSDD] [--seed 0] [--out DIR]

The recipe: two of the PERSA+ paper's systems, PERSA+ (q=9, ±3 dB training
gain) and LOG-T (c=30), each ``AudioLoader``'s 1 s at 8 kHz -> MelSpectrogram
(40 bands, 256-sample FFT, 16 ms hop) -> front-end -> VGGLikeClassifier, their
probabilities averaged by scikit-learn's ``VotingClassifier``. Each network
trains until its training loss has reached a plateau (the learning rate x0.3
after 3 epochs without a lower training loss, stopped after 6, at most 40
epochs). The training set (index 5-49, 2,700 recordings) is augmented with
skaudio.robustness as the PERSA+ paper's v3 and v4 versions: every recording
with one random gain from {0, -10, -20, -30} dB per (fold, digit), plus a copy
mixed with another digit's recording or pink noise at N(9, 3²) dB SNR (5,400
clips). Tested on index 0-4 (300 recordings) as recorded and mixed at 9 dB
with another digit's recording or pink noise (the v4 protocol at a fixed SNR).

Beside it, a plain baseline on the same split: MFCC statistics (mean and std
of 20 MFCCs) with LogisticRegression. Prints the accuracies, the ensemble's
confusion matrix, and saves the figures as JSON and the confusion matrix as
PNG when matplotlib is installed (``pip install "skaudio[plot]"``).
"""

import argparse
import json
import time
from pathlib import Path

import librosa
import numpy as np
from sklearn.ensemble import VotingClassifier
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

    ensemble = VotingClassifier([
        ("persa+", digit_network(PersaPlus(q=9, random_state=args.seed), args.seed,
                                 gain_augment_db=3.0)),
        ("log-t", digit_network(LogThreshold(c=30), args.seed)),
    ], voting="soft")
    baseline = make_pipeline(FunctionTransformer(mfcc_statistics), StandardScaler(),
                             LogisticRegression(max_iter=5000))

    figures = {}
    for name, pipe, X, y in [
            ("MFCC statistics + LogisticRegression (clean training set)", baseline,
             X_train, y_train),
            ("PERSA+ and LOG-T VGG-like CNNs, soft vote (augmented training set)",
             ensemble, X_fit, y_fit)]:
        tic = time.perf_counter()
        pipe.fit(X, y)
        figures[name] = {"fit_seconds": time.perf_counter() - tic,
                         "accuracy": accuracy_score(y_test, pipe.predict(X_test)),
                         "accuracy_9db": accuracy_score(y_test, pipe.predict(X_noisy))}
    for name, member in ensemble.named_estimators_.items():
        history = member[-1].history_
        figures[f"{name} alone"] = {
            "accuracy": accuracy_score(y_test, member.predict(X_test)),
            "accuracy_9db": accuracy_score(y_test, member.predict(X_noisy)),
            "epochs": len(history["loss"]), "final_training_loss": history["loss"][-1]}
    print()
    for name, fig in figures.items():
        fit = f" (fit {fig['fit_seconds']:.0f} s)" if "fit_seconds" in fig else ""
        print(f"{name:70s} clean {100 * fig['accuracy']:.1f} %, interference at "
              f"{TEST_SNR_DB:g} dB {100 * fig['accuracy_9db']:.1f} %{fit}")

    pred = ensemble.predict(X_test)
    print("\nConfusion matrix of the ensemble, clean test set (rows: true digit):")
    print(confusion_matrix(y_test, pred))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fsdd_persa_plus.json").write_text(json.dumps(figures, indent=2) + "\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        from sklearn.metrics import ConfusionMatrixDisplay

        display = ConfusionMatrixDisplay.from_predictions(y_test, ensemble.predict(X_noisy))
        display.ax_.set_title(f"FSDD test split, interference at {TEST_SNR_DB:g} dB")
        display.figure_.savefig(out / "fsdd_persa_plus_confusion.png", dpi=100)
        print(f"\nSaved {out / 'fsdd_persa_plus_confusion.png'}")
    except ImportError:
        print("\nmatplotlib is not installed: no PNG (pip install 'skaudio[plot]').")


if __name__ == "__main__":
    main()
