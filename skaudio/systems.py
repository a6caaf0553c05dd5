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

    ========  =====================================  ==================
    system    front-end                              training gain
    ========  =====================================  ==================
    log       :class:`LogCompression`                none
    log-au    :class:`LogCompression`                ±30 dB
    log-t     :class:`LogThreshold` (``c``)          none
    persa     :class:`PerSampleNorm`                 none
    persa+    :class:`PersaPlus` (``q``)             ±3 dB
    pcen      :class:`PCEN`                          none
    ========  =====================================  ==================

    The steps are named as :func:`sklearn.pipeline.make_pipeline` names them
    (``melspectrogram``, ``persaplus``, ``logthreshold``, ...,
    ``vgglikeclassifier``), so ``GridSearchCV`` reaches ``persaplus__q`` and
    ``logthreshold__c``.

    Parameters
    ----------
    system : {"log", "log-au", "log-t", "persa", "persa+", "pcen"}, default="persa+"
    q : float, default=9.0
        PERSA+'s noise level in dB.
    c : float, default=30.0
        LOG-T's dynamic range in dB.
    sr, n_fft, hop_length, n_mels
        The :class:`MelSpectrogram`'s settings (PCEN's time constant uses
        ``sr`` and ``hop_length`` too).
    random_state : int or None, default=None
        Seeds PERSA+'s noise and the network.
    memory : str or joblib.Memory or None, default=None
        Cache of the fitted transformers (the pipeline's ``memory``).
    **classifier_params
        Passed to :class:`VGGLikeClassifier` (``epochs``, ``batch_size``, ...);
        ``gain_augment_db`` overrides the system's default.

    Returns
    -------
    sklearn.pipeline.Pipeline

    Examples
    --------
    >>> pipe = make_frontend_pipeline("log-t", c=30, epochs=5)
    >>> [name for name, _ in pipe.steps]
    ['melspectrogram', 'logthreshold', 'vgglikeclassifier']
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
