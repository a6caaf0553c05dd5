"""The README's demo: the PERSA+ paper's six systems on built-in data.

Run it with ``python -m skaudio demo``. It generates a seeded synthetic dataset
(no download), trains each of the six systems of Vrysis et al. --
``MelSpectrogram -> front-end -> VGGLikeClassifier`` with LOG, LOG-AU, LOG-T,
PERSA, PERSA+ and PCEN -- on three quarters of the sound sources, and tests
each on the held-out sources twice: as recorded, and with one random gain of
0, -10, -20 or -30 dB per class (the paper's LVLib-v3 protocol, which fools
front-ends that let the level decide the class).
"""

import time

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from .datasets import make_audio_classification
from .robustness import V3_GAINS_DB, make_gain_version
from .systems import SYSTEM_NAMES, SYSTEMS, make_frontend_pipeline

__all__ = [
    "per_class_gain",
    "run_demo",
]



def per_class_gain(X, y, *, gains_db=V3_GAINS_DB, random_state=None):
    """Scale every clip by a gain drawn once per class from ``gains_db``.

    The v3 protocol of :func:`skaudio.robustness.make_gain_version` on one
    fold: all the clips of a class get the same gain, so that level betrays
    the class, and a front-end that lets level decide fails on it.

    Parameters
    ----------
    X : ndarray of shape (n_clips, n_samples)
        Waveforms, float in [-1, 1].
    y : array-like of shape (n_clips,)
        Class labels.
    gains_db : sequence of float, default=(0.0, -10.0, -20.0, -30.0)
        The gains in dB to draw from, one draw per class (amplitude factor
        ``10 ** (gain / 20)``).
    random_state : int, RandomState instance or None, default=None
        Seeds the draws.

    Returns
    -------
    ndarray of shape (n_clips, n_samples)
        The scaled waveforms: float32 or float64 as ``X`` (integer PCM
        becomes float32 in [-1, 1) first).

    See Also
    --------
    skaudio.robustness.make_gain_version : the same, one gain per (fold, class).

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       section V-B (LVLib-v3: a random gain from {0, -10, -20, -30} dBFS per
       fold and class).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.full((4, 8), 0.5, dtype=np.float32)
    >>> out = per_class_gain(X, [0, 0, 1, 1], random_state=0)
    >>> (20 * np.log10(out[:, 0] / 0.5)).round(1).tolist()  # the gain of each clip, dB
    [0.0, 0.0, -30.0, -30.0]
    """
    return make_gain_version(X, y, np.zeros(len(y)), gains_db=gains_db,
                             random_state=random_state)[0]


def run_demo(n_samples=360, n_classes=6, systems=tuple(SYSTEMS), epochs=25,
             random_state=0, print_fn=print):
    """Train and test the six systems; print a markdown table.

    The README's demo (``python -m skaudio demo``): a seeded synthetic
    dataset (:func:`skaudio.datasets.make_audio_classification`, 1 s clips at
    16 kHz, 15 dB SNR), split by sound source with one fold of a 4-fold
    :class:`sklearn.model_selection.StratifiedGroupKFold` (a quarter of the
    sources held out); each system of
    :func:`skaudio.systems.make_frontend_pipeline` (64 mel bands, 1024-point
    FFT, hop 512, learning rate 3e-3) is trained on the rest and scored on
    the held-out clips as recorded and with one random gain per class
    (:func:`skaudio.demo.per_class_gain`). Trains ``len(systems)`` networks:
    minutes on a CPU with the defaults.

    Parameters
    ----------
    n_samples : int, default=360
        Clips generated.
    n_classes : int, default=6
        Sound classes.
    systems : sequence of str, default=("log", "log-au", "log-t", "persa", "persa+", "pcen")
        The systems to train, as :func:`skaudio.systems.make_frontend_pipeline`
        names them.
    epochs : int, default=25
        Training epochs of every network.
    random_state : int, default=0
        Seeds the data, the split, the gains, the front-ends and the networks.
    print_fn : callable, default=print
        Called with each piece of text (the header, the table's rows as
        they finish, the closing line).

    Returns
    -------
    results : dict
        ``system -> {"clean": accuracy, "gain": accuracy, "seconds": fit time}``,
        accuracies in [0, 1] on the held-out clips.

    See Also
    --------
    skaudio.robustness.robustness_report : any pipeline under a grid of gains
        and SNRs.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       section V-B (LVLib-v3: a random gain from {0, -10, -20, -30} dBFS per
       fold and class), and Table II (LOG and LOG-AU lose accuracy on
       LVLib-v3, the other front-ends do not).

    Examples
    --------
    >>> lines = []
    >>> results = run_demo(n_samples=48, n_classes=3, systems=("log", "persa+"),
    ...                    epochs=2, print_fn=lines.append)  # doctest: +SKIP
    >>> sorted(results)  # doctest: +SKIP
    ['log', 'persa+']
    >>> "Chance is 33.3 %" in lines[-1]  # doctest: +SKIP
    True
    """
    start = time.perf_counter()
    data = make_audio_classification(n_samples=n_samples, n_classes=n_classes,
                                     duration=1.0, sr=16000, snr_db=15.0,
                                     random_state=random_state)
    cv = StratifiedGroupKFold(n_splits=4, shuffle=True, random_state=random_state)
    train, test = next(cv.split(data.data, data.target, data.groups))
    X_test, y_test = data.data[test], data.target[test]
    X_gain = per_class_gain(X_test, y_test, random_state=random_state)
    print_fn(
        f"skaudio demo: the PERSA+ paper's six systems (MelSpectrogram -> front-end -> "
        f"VGG-like CNN)\non {n_samples} synthetic 1 s clips of {n_classes} sound classes "
        f"({', '.join(data.target_names)}).\nTrained on {train.size} clips, tested on "
        f"{test.size} clips of other sources: as recorded, and with a random\ngain of "
        f"0/-10/-20/-30 dB per class (the paper's LVLib-v3 protocol).\n"
    )
    rows = ["| system | test accuracy, as recorded | with a random gain per class "
            "| training time |", "|---|---|---|---|"]
    results = {}
    for system in systems:
        pipe = make_frontend_pipeline(system, sr=16000, n_fft=1024, hop_length=512,
                                      n_mels=64, random_state=random_state, epochs=epochs,
                                      learning_rate=3e-3)
        tic = time.perf_counter()
        pipe.fit(data.data[train], data.target[train])
        seconds = time.perf_counter() - tic
        results[system] = {"clean": pipe.score(X_test, y_test),
                           "gain": pipe.score(X_gain, y_test), "seconds": seconds}
        rows.append(f"| {SYSTEM_NAMES[system]} | {100 * results[system]['clean']:.1f} % "
                    f"| {100 * results[system]['gain']:.1f} % | {seconds:.0f} s |")
        print_fn(rows[-1] if len(results) > 1 else "\n".join(rows))
    print_fn(f"\nChance is {100 / n_classes:.1f} %; "
             f"{time.perf_counter() - start:.0f} s in all.")
    return results
