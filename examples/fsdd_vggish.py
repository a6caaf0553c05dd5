"""Spoken digits with VGGish embeddings trained from scratch on the FSDD official split
====================================================================================

    python examples/fsdd_vggish.py [PATH_TO_FSDD] [--epochs 10] [--full-width] [--out DIR]

No published VGGish weights can be downloaded here, so the embedder is trained
from scratch (``VGGishEmbedder(weights=None).fit(X, y)``: the thesis's head,
128-D bottleneck -> 100 units -> softmax, on 0.96 s patches labelled with
their clip's label) on the training recordings (index 5-49), then two
back-ends are trained on its 128-D embeddings and tested on index 0-4:

* ``MultiLevelAttentionClassifier`` (Xu's thesis, Fig. 27) on the sequence of
  patch embeddings;
* the raw-waveform paper's transfer recipe: mean embedding ->
  ``StandardScaler`` -> ``SVC(kernel="poly", degree=3)``.

Every clip is loaded as 1.92 s, two patches (FSDD recordings are shorter,
zero-padded, so the second patch is mostly silence): the attention back-end has to learn
which patch to listen to. By default the network has a quarter of VGGish's
widths (convolutions 16-32-64x2-128x2, fully connected 256-256-128; same
input, same depth) so that it trains in minutes on a laptop's CPU;
``--full-width`` trains the published architecture (about 72 M parameters).
Figures go to ``examples/results/fsdd_vggish.json``.

.. note::

   Not run when this documentation is built: it needs the FSDD recordings and trains
   VGGish for about 20 minutes on 2 cores.
   Its output from the last run, stored in ``examples/results/``:

   .. literalinclude:: ../../examples/results/fsdd_vggish.json
      :language: json
"""

import argparse
import json
import time
from pathlib import Path

from sklearn.metrics import accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skaudio import AudioLoader
from skaudio.datasets import load_fsdd
from skaudio.embedding import VGGishEmbedder
from skaudio.estimators import MultiLevelAttentionClassifier

DEFAULT_FSDD = Path(__file__).resolve().parents[2] / "shared" / "data" / "fsdd"
SR = 16000
QUARTER_WIDTH = {"conv_blocks": ((16,), (32,), (64, 64), (128, 128)), "fc_units": (256, 256)}


def timed_fit(estimator, *args):
    tic = time.perf_counter()
    estimator.fit(*args)
    return time.perf_counter() - tic


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=DEFAULT_FSDD, help="FSDD folder")
    parser.add_argument("--epochs", type=int, default=10, help="epochs of VGGish training")
    parser.add_argument("--full-width", action="store_true",
                        help="train the published VGGish widths (slow on a CPU)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=Path(__file__).resolve().parent / "results",
                        help="folder for the JSON figures")
    args = parser.parse_args(argv)

    train = load_fsdd(args.path, split="train")
    test = load_fsdd(args.path, split="test")
    print(f"FSDD: {len(train.filenames)} training and {len(test.filenames)} test recordings")
    loader = AudioLoader(sr=SR, duration=1.92, n_jobs=-1)
    X_train = loader.fit_transform(train.filenames)
    X_test = loader.transform(test.filenames)

    widths = {} if args.full_width else QUARTER_WIDTH
    embedder = VGGishEmbedder(weights=None, sr=SR, n_segments=2, pad_mode="constant",
                              epochs=args.epochs, batch_size=32, random_state=args.seed,
                              verbose=2, **widths)
    figures = {"vggish_widths": "published" if args.full_width else "quarter",
               "vggish_epochs": args.epochs,
               "vggish_fit_seconds": timed_fit(embedder, X_train, train.target)}
    E_train, E_test = embedder.transform(X_train), embedder.transform(X_test)
    print(f"embeddings: train {E_train.shape}, test {E_test.shape}")

    attention = MultiLevelAttentionClassifier(epochs=40, batch_size=32,
                                              random_state=args.seed)
    svc = make_pipeline(StandardScaler(), SVC(kernel="poly", degree=3))
    for name, model, (A_train, A_test) in [
            ("VGGish -> MultiLevelAttentionClassifier", attention, (E_train, E_test)),
            ("VGGish -> mean -> SVC(poly, 3)", svc, (E_train.mean(axis=1),
                                                     E_test.mean(axis=1)))]:
        seconds = timed_fit(model, A_train, train.target)
        accuracy = accuracy_score(test.target, model.predict(A_test))
        figures[name] = {"accuracy": accuracy, "fit_seconds": seconds}
        print(f"{name:45s} test accuracy {100 * accuracy:.1f} % (fit {seconds:.0f} s)")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fsdd_vggish.json").write_text(json.dumps(figures, indent=2, default=float) + "\n")
    print(f"VGGish training took {figures['vggish_fit_seconds']:.0f} s; "
          f"wrote {out / 'fsdd_vggish.json'}")
    return figures


if __name__ == "__main__":
    main()
