"""Grid search over PERSA+'s q, with every file's features computed once
=====================================================================

    python examples/cached_grid_search.py [FSDD folder]

The features -- decoding, resampling, the mel spectrogram -- do not depend on
``q``, and neither ``AudioLoader`` (given a ``duration``) nor
``MelSpectrogram`` learns anything in ``fit``. ``CachedTransformer(...,
per_sample=True)`` therefore keeps each file's features on disk on their own:
the first search decodes every file once, whatever the folds and candidates,
and a second search (over the classifier's alpha too) reads them all back.
Without a folder argument the script writes 240 synthetic clips to a
temporary folder and searches over those.

.. note::

   Not run when this documentation is built: it writes, decodes and caches audio files
   and runs two grid searches (minutes on 2 cores).
"""

import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skaudio import (
    AudioLoader,
    CachedTransformer,
    MelSpectrogram,
    PersaPlus,
    TemporalStatistics,
)
from skaudio.datasets import load_fsdd, make_audio_classification

SR = 8000


def audio_files(folder, fsdd=None):
    """FSDD's file names and digits, or synthetic clips written to ``folder``."""
    if fsdd is not None:
        data = load_fsdd(fsdd)
        return list(data.filenames), data.target
    data = make_audio_classification(n_samples=240, n_classes=6, sr=SR,
                                      gain_db=(-30, 0), random_state=0)
    paths = []
    for i, clip in enumerate(data.data):
        paths.append(str(Path(folder) / f"clip{i:03d}.wav"))
        sf.write(paths[-1], clip, SR)
    return paths, data.target


def search(files, y, cache, grid):
    features = CachedTransformer(
        make_pipeline(AudioLoader(sr=SR, duration=1.0),
                      MelSpectrogram(sr=SR, n_fft=256, hop_length=64, n_mels=64)),
        memory=cache, per_sample=True)
    pipe = make_pipeline(features, PersaPlus(random_state=0), TemporalStatistics(),
                         StandardScaler(), RidgeClassifier())
    search = GridSearchCV(pipe, grid, cv=StratifiedKFold(5, shuffle=True, random_state=0))
    tic = time.perf_counter()
    search.fit(files, y)
    print(f"{len(search.cv_results_['params'])} candidates x 5 folds: best "
          f"{search.best_params_}, CV accuracy {search.best_score_:.3f}, "
          f"{time.perf_counter() - tic:.1f} s")
    return search


def main(fsdd=None):
    with tempfile.TemporaryDirectory() as folder:
        files, y = audio_files(folder, fsdd)
        cache = Path(folder) / "cache"
        print(f"{len(files)} files; features cached per file in {cache}")
        # The first search decodes every file once; the second, none.
        search(files, y, cache, {"persaplus__q": [3, 6, 9, 12, 15]})
        search(files, y, cache, {"persaplus__q": [9, 12, 15],
                                 "ridgeclassifier__alpha": [0.1, 1.0, 10.0]})


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
