"""Who is speaking? CAB-CNN on FSDD's recordings, each at its own length
=====================================================================

    python examples/fsdd_speaker_cab_cnn.py [PATH_TO_FSDD] [--seed 0] [--epochs 15]
                                            [--out DIR]

Speaker identification (6 speakers) on FSDD's official split (index 0-4 test,
300 recordings; 5-49 training, 2,700). The recordings last 0.14-2.28 s and
are not padded to one length: ``AudioLoader(pad_mode="nan")`` marks each
one's end with NaN, ``WaveformMaxPool`` z-normalises every recording and keeps
the maximum of each 1/4,000 s, and ``CABCNNClassifier`` classifies each at its
own length (CAB-CNN, Lu et al.; 10 % of the training set held out to stop
early). Prints the accuracy, the unweighted average recall and the macro F1
(the paper's scores), the confusion matrix and how the attention spreads over
the 40 classifiers; saves the confusion matrix as a PNG with scikit-learn's
``ConfusionMatrixDisplay`` when matplotlib is installed
(``pip install "skaudio[plot]"``). About 3 minutes on 2 cores.
``benchmarks/cab_cnn.py`` repeats this over seeds against the VGG-like CNN.

.. note::

   Not run when this documentation is built: it needs the FSDD recordings and trains for
   about 3 minutes; the CAB-CNN benchmark's figures are on the :doc:`reproductions page
   </reproductions>`.
"""

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix, get_scorer
from sklearn.pipeline import make_pipeline

from skaudio import AudioLoader, CABCNNClassifier, WaveformMaxPool
from skaudio.datasets import load_fsdd
from skaudio.evaluation import PAPER_SCORING

DEFAULT_FSDD = Path(__file__).resolve().parents[2] / "shared" / "data" / "fsdd"
SR = 8000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fsdd", nargs="?", default=str(DEFAULT_FSDD))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--out", default=".")
    args = parser.parse_args()

    fsdd = load_fsdd(args.fsdd)
    train, test = ~fsdd.is_test, fsdd.is_test
    pipe = make_pipeline(
        AudioLoader(sr=SR, pad_mode="nan", n_jobs=-1),
        WaveformMaxPool(sr=SR, points_per_second=4000),
        CABCNNClassifier(epochs=args.epochs, batch_size=64, validation_split=0.1,
                         patience=4, random_state=args.seed, verbose=2),
    )
    start = time.perf_counter()
    pipe.fit(fsdd.filenames[train], fsdd.speaker[train])
    print(f"fit in {time.perf_counter() - start:.0f} s")

    files, speakers = fsdd.filenames[test], fsdd.speaker[test]
    for name, scorer in PAPER_SCORING.items():
        print(f"{name:>18}: {get_scorer(scorer)(pipe, files, speakers):.3f}")
    labels = pipe.classes_
    print("confusion matrix (rows: true speaker)", labels.tolist())
    print(confusion_matrix(speakers, pipe.predict(files), labels=labels))

    # The ACB's attention over its classifiers, on the test recordings.
    pooled = pipe[:-1].transform(files)
    steps = np.concatenate(pipe[-1].attention_weights(pooled))
    mean = steps.mean(axis=0)
    print(f"classifiers receiving >= 1 % of the attention: {(mean >= 0.01).sum()} of "
          f"{mean.size}; the most weighted: {mean.max():.2f}")

    try:
        import matplotlib

        matplotlib.use("Agg")
        from sklearn.metrics import ConfusionMatrixDisplay
    except ImportError:
        print("matplotlib is not installed: no PNG (pip install 'skaudio[plot]')")
        return
    display = ConfusionMatrixDisplay.from_estimator(pipe, files, speakers)
    path = Path(args.out) / "fsdd_speaker_cab_cnn_confusion.png"
    display.figure_.savefig(path, dpi=120, bbox_inches="tight")
    print(f"saved {path}")


if __name__ == "__main__":
    main()
