"""Spoken digits with PERSA+ and the VGG-like CNN on the FSDD official split.

    python examples/fsdd_persa_plus.py [PATH_TO_FSDD] [--epochs 40] [--out DIR]

Pipeline: AudioLoader (8 kHz, 1 s) -> MelSpectrogram (64 bands, 8 ms hop) ->
PersaPlus (q=9) -> VGGLikeClassifier (the PERSA+ paper's CNN, ±3 dB training
gain). Trained on recordings with index 5-49, tested on index 0-4 (the official
split). Beside it, a plain baseline on the same split: MFCC statistics (mean
and std of 20 MFCCs) with LogisticRegression. Prints both accuracies and the
CNN's confusion matrix, and saves it as PNG when matplotlib is installed
(``pip install "skaudio[plot]"``).
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

from skaudio import AudioLoader, MelSpectrogram, PersaPlus, VGGLikeClassifier
from skaudio.datasets import load_fsdd

DEFAULT_FSDD = Path(__file__).resolve().parents[2] / "shared" / "data" / "fsdd"
SR = 8000


def mfcc_statistics(X):
    """Mean and standard deviation over time of 20 MFCCs per clip."""
    mfcc = librosa.feature.mfcc(y=X, sr=SR, n_mfcc=20, n_fft=256, hop_length=64)
    return np.concatenate([mfcc.mean(axis=-1), mfcc.std(axis=-1)], axis=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=DEFAULT_FSDD, help="FSDD folder")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=Path(__file__).resolve().parent / "results",
                        help="folder for the confusion matrix PNG and the JSON figures")
    args = parser.parse_args(argv)

    train = load_fsdd(args.path, split="train")
    test = load_fsdd(args.path, split="test")
    print(f"FSDD: {len(train.filenames)} training and {len(test.filenames)} test recordings")

    loader = AudioLoader(sr=SR, duration=1.0, n_jobs=-1)
    X_train = loader.fit_transform(train.filenames)
    X_test = loader.transform(test.filenames)

    cnn = make_pipeline(
        MelSpectrogram(sr=SR, n_fft=256, hop_length=64, n_mels=64),
        PersaPlus(q=9, random_state=args.seed),
        VGGLikeClassifier(epochs=args.epochs, batch_size=32, learning_rate=1e-3,
                          gain_augment_db=3.0, random_state=args.seed, verbose=2),
    )
    baseline = make_pipeline(FunctionTransformer(mfcc_statistics), StandardScaler(),
                             LogisticRegression(max_iter=5000))

    figures = {}
    for name, pipe in [("MFCC statistics + LogisticRegression", baseline),
                       ("MelSpectrogram -> PersaPlus -> VGGLikeClassifier", cnn)]:
        tic = time.perf_counter()
        pipe.fit(X_train, train.target)
        pred = pipe.predict(X_test)
        figures[name] = {"accuracy": accuracy_score(test.target, pred),
                         "fit_seconds": time.perf_counter() - tic}
    print()
    for name, fig in figures.items():
        print(f"{name:50s} test accuracy {100 * fig['accuracy']:.1f} % "
              f"(fit {fig['fit_seconds']:.0f} s)")

    pred = cnn.predict(X_test)
    print("\nConfusion matrix of the CNN (rows: true digit, columns: predicted):")
    print(confusion_matrix(test.target, pred))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fsdd_persa_plus.json").write_text(json.dumps(figures, indent=2) + "\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        from sklearn.metrics import ConfusionMatrixDisplay

        display = ConfusionMatrixDisplay.from_predictions(test.target, pred)
        display.ax_.set_title("FSDD official split: PERSA+ and VGG-like CNN")
        display.figure_.savefig(out / "fsdd_persa_plus_confusion.png", dpi=100)
        print(f"\nSaved {out / 'fsdd_persa_plus_confusion.png'}")
    except ImportError:
        print("\nmatplotlib is not installed: no PNG (pip install 'skaudio[plot]').")


if __name__ == "__main__":
    main()
