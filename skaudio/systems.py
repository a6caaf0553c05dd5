"""The six systems of the PERSA+ paper as ready-made pipelines.

Each system is ``MelSpectrogram -> front-end -> VGGLikeClassifier`` (Vrysis et
al., sections V-C and V-D); they differ only in the front-end and in the
training-time gain augmentation of the network.
"""

from sklearn.pipeline import make_pipeline

from .estimators import VGGLikeClassifier
from .features import MelSpectrogram
from .frontends import PCEN, LogCompression, LogThreshold, PerSampleNorm, PersaPlus

__all__ = [
    "make_frontend_pipeline",
]


#: system name -> (front-end factory, training gain augmentation in dB)
SYSTEMS = {
    "log": (lambda p: LogCompression(), 0.0),
    "log-au": (lambda p: LogCompression(), 30.0),
    "log-t": (lambda p: LogThreshold(c=p["c"]), 0.0),
    "persa": (lambda p: PerSampleNorm(), 0.0),
    "persa+": (lambda p: PersaPlus(q=p["q"], random_state=p["random_state"]), 3.0),
    "pcen": (lambda p: PCEN(sr=p["sr"], hop_length=p["hop_length"]), 0.0),
}


#: system name -> how tables and reports print it
SYSTEM_NAMES = {"log": "LOG", "log-au": "LOG-AU", "log-t": "LOG-T (c=30)",
                "persa": "PERSA", "persa+": "PERSA+ (q=9)", "pcen": "PCEN"}


def make_frontend_pipeline(system="persa+", *, q=9.0, c=30.0, sr=16000, n_fft=2048,
                           hop_length=512, n_mels=128, random_state=None, memory=None,
                           **classifier_params):
    """One of the PERSA+ paper's systems as a scikit-learn ``Pipeline``.

    ``MelSpectrogram -> front-end -> VGGLikeClassifier``: waveforms in,
    power mel spectrograms, the system's front-end (bels for the log
    front-ends), then the ~100k-parameter VGG-like network trained with the
    system's random gain augmentation:

    ========  ===================================  =============
    system    front-end                            training gain
    ========  ===================================  =============
    log       :class:`skaudio.LogCompression`      none
    log-au    :class:`skaudio.LogCompression`      ±30 dB
    log-t     :class:`skaudio.LogThreshold` (c)    none
    persa     :class:`skaudio.PerSampleNorm`       none
    persa+    :class:`skaudio.PersaPlus` (q)       ±3 dB
    pcen      :class:`skaudio.PCEN`                none
    ========  ===================================  =============

    The steps are named as :func:`sklearn.pipeline.make_pipeline` names them
    (``melspectrogram``, ``persaplus``, ``logthreshold``, ...,
    ``vgglikeclassifier``), so ``GridSearchCV`` reaches ``persaplus__q`` and
    ``logthreshold__c``.

    Parameters
    ----------
    system : {"log", "log-au", "log-t", "persa", "persa+", "pcen"}, default="persa+"
        The front-end and its training gain (case-insensitive).
    q : float, default=9.0
        PERSA+'s noise level in dB below the sample's power (used by
        ``"persa+"`` only).
    c : float, default=30.0
        LOG-T's dynamic range in dB (used by ``"log-t"`` only).
    sr : float, default=16000
        Sample rate of the input waveforms in Hz, for the
        :class:`skaudio.MelSpectrogram` and PCEN's time constant.
    n_fft : int, default=2048
        FFT length of the :class:`skaudio.MelSpectrogram`, in samples.
    hop_length : int, default=512
        Hop between frames in samples (also PCEN's time constant).
    n_mels : int, default=128
        Mel bands.
    random_state : int, RandomState instance or None, default=None
        Seeds PERSA+'s noise and the network (unless ``classifier_params``
        holds its own ``random_state``).
    memory : str, joblib.Memory or None, default=None
        Cache of the fitted transformers (the pipeline's ``memory``).
    **classifier_params : dict
        Passed to :class:`skaudio.VGGLikeClassifier` (``epochs``,
        ``batch_size``, ...); ``gain_augment_db`` overrides the system's
        training gain.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Unfitted; ``fit`` takes waveforms of shape ``(n_clips, n_samples)``.

    Raises
    ------
    ValueError
        An unknown ``system``.

    See Also
    --------
    skaudio.demo.run_demo : the six systems trained and compared.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       section III (PERSA), section IV (PERSA+, eq. 1-3, the ±3 dB training
       gain), section V-C (LOG, LOG-AU's ±30 dB, LOG-T eq. 4, PCEN), section
       V-D (the back-end); q = 9 dB and c = 30 dB from section VI, Fig. 1.

    Examples
    --------
    >>> pipe = make_frontend_pipeline("log-t", c=30, epochs=5)
    >>> [name for name, _ in pipe.steps]
    ['melspectrogram', 'logthreshold', 'vgglikeclassifier']
    >>> make_frontend_pipeline("persa+", random_state=0)[-1].gain_augment_db
    3.0
    """
    key = str(system).lower()
    if key not in SYSTEMS:
        raise ValueError(f"Unknown system {system!r}; choose one of {sorted(SYSTEMS)}.")
    make_frontend, gain_db = SYSTEMS[key]
    params = {"q": q, "c": c, "sr": sr, "hop_length": hop_length,
              "random_state": random_state}
    classifier_params.setdefault("gain_augment_db", gain_db)
    classifier_params.setdefault("random_state", random_state)
    return make_pipeline(
        MelSpectrogram(sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels),
        make_frontend(params),
        VGGLikeClassifier(**classifier_params),
        memory=memory,
    )
