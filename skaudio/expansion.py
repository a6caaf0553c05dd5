"""Training-set expansion: new clips made from old ones (Hu et al., DCASE 2020, section 3).

Hu et al. train their device-robust acoustic scene classifiers on the original
clips plus extra clips made by spectrum correction, pitch shift, speed change,
random noise and same-class mixing ("5*Aug" in their Table 1) and by
reverberation followed by dynamic range compression ("Reverb+DRC", the
recipe of the DCASE organisers' simulated devices s1-s11). Each is a function
here. It takes waveforms ``X`` of shape ``(n_clips, n_samples)`` with their
labels ``y`` (and ``groups``) and returns the *new* clips only, float32 with
the same ``n_samples``, with their labels (and groups, when given) aligned::

    X_new, y_new, g_new = pitch_shift(X_train, y_train, sr=sr, groups=g_train,
                                      random_state=0)
    X_train = np.concatenate([X_train, X_new])   # and so on for y and groups

Why functions and not scikit-learn transformers: they change the number of
samples, which a pipeline step cannot do (a transformer maps ``n`` samples to
``n`` outputs and never sees ``y`` in ``transform``), as
:func:`skaudio.pitch_shift_balance`. Run them on the training part of a split
only, after the split: a copy of a test clip in the training set leaks the
test clip into training. Within a cross-validation, expand each training
fold inside the loop. (Expanding first and splitting on ``groups`` keeps each
copy in its source's fold, except for :func:`mix_same_class`, whose mixes
hold the audio of two clips, possibly of two groups.)

The building blocks are public too: :func:`synthetic_impulse_response`,
:func:`reverberate`, :func:`compress_dynamic_range` and
:func:`device_spectrum`, and :func:`simulate_device` is a deterministic
transform (one simulated recording device per integer) for device-robustness
experiments.

Randomness comes from ``random_state`` only, through
``sklearn.utils.check_random_state``: an int gives the same clips on every
call, a ``RandomState`` instance new ones on each call, and ``None`` draws
from numpy's global ``RandomState`` as scikit-learn does; nothing seeds or
replaces a global generator. The caller's arrays are never modified.
"""

from numbers import Integral, Real

import librosa
import numpy as np
import soxr
from scipy.interpolate import PchipInterpolator
from scipy.signal import fftconvolve, firwin2
from sklearn.utils import check_random_state

from ._params import Interval, check_params, invalid_parameter
from ._validation import check_labels, check_waveforms
from .io import fit_length

__all__ = [
    "add_noise",
    "change_speed",
    "compress_dynamic_range",
    "correct_spectrum",
    "device_spectrum",
    "mix_same_class",
    "pitch_shift",
    "reverb_drc",
    "reverberate",
    "simulate_device",
    "synthetic_impulse_response",
]

_POSITIVE = Interval(Real, 0, None, closed="neither")
_NON_NEGATIVE = Interval(Real, 0, None, closed="left")
_FINITE = Interval(Real, None, None, closed="neither")
_NOT_ABOVE_ZERO = Interval(Real, None, 0, closed="right")
_RATIO = Interval(Real, 1, None, closed="left")
_POSITIVE_INT = Interval(Integral, 1, None, closed="left")
_N_FFT = Interval(Integral, 2, None, closed="left")

# Levels below this amplitude (-200 dBFS) count as this amplitude: no log(0).
_TINY = 1e-10
# Elements of float64 work arrays processed at once (128 MiB); batches of clips
# larger than that go in chunks of whole clips.
_CHUNK_ELEMENTS = 2**24


# --------------------------------------------------------------- helpers
def _check_input(X, y, groups, owner, *, multi_output=True):
    """Waveforms, labels and groups, checked and aligned."""
    X = check_waveforms(X, name=owner)
    y, groups = check_labels(y, groups, X.shape[0], name=owner, multi_output=multi_output)
    return X, y, groups


def _check_range(value, name, owner, interval):
    """A parameter given as one number or a ``(low, high)`` pair, as ``(low, high)``."""
    def is_number(v):
        return isinstance(v, Real) and not isinstance(v, bool) and v in interval

    pair = (value, value) if isinstance(value, Real) and not isinstance(value, bool) else value
    try:
        low, high = pair
        ok = is_number(low) and is_number(high) and low <= high
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise invalid_parameter(
            owner,
            f"{name} must be {interval}, or a (low, high) pair of them with "
            f"low <= high; got {value!r}.",
        )
    return float(low), float(high)


def _draw(rng, bounds, size):
    """``size`` values uniform in ``bounds``; a fixed value draws nothing."""
    low, high = bounds
    if low == high:
        return np.full(size, low)
    return rng.uniform(low, high, size)


def _expanded(X_new, y, groups, sources):
    """The return value of every expansion: new clips, their labels and groups."""
    X_new = np.asarray(X_new, dtype=np.float32)
    if groups is None:
        return X_new, y[sources]
    return X_new, y[sources], groups[sources]


def _row_chunks(n_rows, row_size):
    """Slices of whole rows holding about ``_CHUNK_ELEMENTS`` elements each."""
    step = max(1, _CHUNK_ELEMENTS // max(1, row_size))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def _peak(a):
    return np.max(np.abs(a), axis=1)


def _rms(a):
    """Root mean square of each row, without overflow for large float64 values."""
    peak = _peak(a)
    safe = np.where(peak > 0, peak, 1.0)
    return peak * np.sqrt(np.mean((a / safe[:, None]) ** 2, axis=1))


def _match_rms(out, ref):
    """Rows of ``out`` scaled to the RMS of the rows of ``ref``; silent rows stay silent."""
    have, want = _rms(out), _rms(ref)
    gain = np.divide(want, have, out=np.zeros_like(want), where=have > 0)
    return out * gain[:, None]


def _db(amplitude):
    return 20.0 * np.log10(np.maximum(amplitude, _TINY))


# ------------------------------------------------------------ pitch shift
def _pitch_shift_clips(X, sources, n_steps, *, sr, dtype=np.float32):
    """``X[sources[i]]`` shifted by ``n_steps[i]`` semitones, one row each."""
    out = np.empty((len(sources), X.shape[1]), dtype=dtype)
    for row, (source, steps) in enumerate(zip(sources, n_steps)):
        out[row] = librosa.effects.pitch_shift(X[source], sr=sr, n_steps=float(steps))
    return out


def pitch_shift(X, y, *, sr, groups=None, max_semitones=2.0, random_state=None):
    """One pitch-shifted copy of every clip, by a random number of semitones.

    Each clip is shifted by its own number of semitones, drawn uniformly in
    ``[-max_semitones, max_semitones]`` (not rounded), with
    ``librosa.effects.pitch_shift`` (a phase-vocoder time stretch followed
    by resampling), so that its duration is kept (Hu et al., "Pitch shift").

    A function, not a transformer: it adds training samples, which a
    scikit-learn pipeline step cannot do. Run it on the training part of a
    split only.

    Parameters
    ----------
    X : array-like of shape (n_clips, n_samples)
        Training waveforms.
    y : array-like of shape (n_clips,) or (n_clips, n_outputs)
        Their labels.
    sr : float
        Sample rate of ``X`` in Hz.
    groups : array-like of shape (n_clips,), default=None
        Group (source file, speaker, device) of each clip; a copy keeps its
        source's group.
    max_semitones : float, default=2.0
        Largest shift, up or down, in semitones (> 0).
    random_state : int, RandomState instance or None, default=None
        Draws the shifts. An int gives the same copies on every call.

    Returns
    -------
    X_new : ndarray of shape (n_clips, n_samples), float32
        The shifted copies, row ``i`` made from ``X[i]``.
    y_new : ndarray
        ``y``, aligned with ``X_new``.
    groups_new : ndarray of shape (n_clips,)
        ``groups``, aligned with ``X_new``; only when ``groups`` is given.

    See Also
    --------
    skaudio.pitch_shift_balance : pitch-shifted copies that balance classes.

    References
    ----------
    .. [1] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section 3.
    .. [2] B. McFee et al., "librosa: Audio and music signal analysis in
       python," Proc. 14th Python in Science Conference, 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from skaudio.expansion import pitch_shift
    >>> t = np.arange(4000) / 8000
    >>> X = np.stack([np.sin(2 * np.pi * f * t) for f in (300, 400, 500)])
    >>> X_new, y_new, g_new = pitch_shift(X, ["a", "a", "b"], sr=8000,
    ...                                   groups=[0, 1, 2], random_state=0)
    >>> X_new.shape, X_new.dtype, y_new.tolist(), g_new.tolist()
    ((3, 4000), dtype('float32'), ['a', 'a', 'b'], [0, 1, 2])
    """
    owner = "pitch_shift"
    check_params({"sr": [_POSITIVE], "max_semitones": [_POSITIVE],
                  "random_state": ["random_state"]},
                 {"sr": sr, "max_semitones": max_semitones, "random_state": random_state},
                 owner)
    X, y, groups = _check_input(X, y, groups, owner)
    rng = check_random_state(random_state)
    n_steps = rng.uniform(-max_semitones, max_semitones, size=X.shape[0])
    sources = np.arange(X.shape[0])
    return _expanded(_pitch_shift_clips(X, sources, n_steps, sr=sr), y, groups, sources)


# ----------------------------------------------------------- speed change
def _change_speed_clip(x, factor, n_samples):
    """``x`` played ``factor`` times faster, cut or zero-padded to ``n_samples``."""
    faster = soxr.resample(np.ascontiguousarray(x), float(factor), 1.0, quality="HQ")
    return fit_length(faster, n_samples)


def change_speed(X, y, *, groups=None, max_change=0.1, random_state=None):
    """One copy of every clip played faster or slower, by a random factor.

    Each clip is played ``f`` times as fast, ``f`` drawn uniformly in
    ``[1 - max_change, 1 + max_change]``: it is resampled from ``n`` to about
    ``n / f`` samples (band-limited resampling, soxr's "HQ" quality, so
    speeding up does not alias), which changes its tempo *and* its pitch by
    the factor ``f``, as a tape played at another speed (unlike
    ``librosa.effects.time_stretch``, which keeps the pitch). As Hu et al.
    do, a longer result loses its extra samples at the end and a shorter one
    is zero-padded at the end, so the length stays ``n_samples``.

    A function, not a transformer: it adds training samples, which a
    scikit-learn pipeline step cannot do. Run it on the training part of a
    split only.

    Parameters
    ----------
    X : array-like of shape (n_clips, n_samples)
        Training waveforms.
    y : array-like of shape (n_clips,) or (n_clips, n_outputs)
        Their labels.
    groups : array-like of shape (n_clips,), default=None
        Group of each clip; a copy keeps its source's group.
    max_change : float, default=0.1
        Largest relative change of speed, in (0, 1): 0.1 draws factors in
        ``[0.9, 1.1]``.
    random_state : int, RandomState instance or None, default=None
        Draws the factors. An int gives the same copies on every call.

    Returns
    -------
    X_new : ndarray of shape (n_clips, n_samples), float32
        The copies, row ``i`` made from ``X[i]``.
    y_new : ndarray
        ``y``, aligned with ``X_new``.
    groups_new : ndarray of shape (n_clips,)
        Only when ``groups`` is given.

    References
    ----------
    .. [1] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section 3.
    .. [2] T. Ko, V. Peddinti, D. Povey and S. Khudanpur, "Audio augmentation
       for speech recognition," Proc. Interspeech, 2015 (speed perturbation).

    Examples
    --------
    >>> import numpy as np
    >>> from skaudio.expansion import change_speed
    >>> X = np.random.default_rng(0).standard_normal((2, 8000))
    >>> X_new, y_new = change_speed(X, [0, 1], max_change=0.2, random_state=0)
    >>> X_new.shape, y_new.tolist()
    ((2, 8000), [0, 1])
    """
    owner = "change_speed"
    check_params({"max_change": [Interval(Real, 0, 1, closed="neither")],
                  "random_state": ["random_state"]},
                 {"max_change": max_change, "random_state": random_state}, owner)
    X, y, groups = _check_input(X, y, groups, owner)
    rng = check_random_state(random_state)
    factors = rng.uniform(1.0 - max_change, 1.0 + max_change, size=X.shape[0])
    out = np.empty(X.shape, dtype=np.float32)
    for i, factor in enumerate(factors):
        out[i] = _change_speed_clip(X[i], factor, X.shape[1])
    return _expanded(out, y, groups, np.arange(X.shape[0]))


# ------------------------------------------------------------------ noise
def add_noise(X, y, *, groups=None, snr_db=(10.0, 30.0), random_state=None):
    """One copy of every clip with white Gaussian noise at a signal-to-noise ratio.

    Each clip gets Gaussian noise whose power is the clip's own mean power
    divided by ``10 ** (snr / 10)``, ``snr`` being ``snr_db`` or, for a
    ``(low, high)`` pair, drawn uniformly in it for each clip. The noise is
    scaled to that power exactly (not only in expectation), so the SNR of a
    copy, measured against its source, is the SNR drawn (Hu et al., "Random
    noise").

    A silent clip (all zeros) has no SNR: its copy is returned silent, with no
    noise added (and never NaN).

    A function, not a transformer: it adds training samples, which a
    scikit-learn pipeline step cannot do. Run it on the training part of a
    split only.

    Parameters
    ----------
    X : array-like of shape (n_clips, n_samples)
        Training waveforms.
    y : array-like of shape (n_clips,) or (n_clips, n_outputs)
        Their labels.
    groups : array-like of shape (n_clips,), default=None
        Group of each clip; a copy keeps its source's group.
    snr_db : float or (float, float), default=(10.0, 30.0)
        Signal-to-noise ratio in dB, or the range it is drawn from.
    random_state : int, RandomState instance or None, default=None
        Draws the ratios and the noise. An int gives the same copies on
        every call.

    Returns
    -------
    X_new : ndarray of shape (n_clips, n_samples), float32
        The noisy copies, row ``i`` made from ``X[i]``.
    y_new : ndarray
        ``y``, aligned with ``X_new``.
    groups_new : ndarray of shape (n_clips,)
        Only when ``groups`` is given.

    References
    ----------
    .. [1] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section 3.

    Examples
    --------
    >>> import numpy as np
    >>> from skaudio.expansion import add_noise
    >>> X = np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)[np.newaxis]
    >>> X_new, _ = add_noise(X, [0], snr_db=20, random_state=0)
    >>> noise = X_new - X
    >>> print(round(10 * np.log10(np.mean(X ** 2) / np.mean(noise ** 2)), 2))
    20.0
    """
    owner = "add_noise"
    check_params({"random_state": ["random_state"]}, {"random_state": random_state}, owner)
    bounds = _check_range(snr_db, "snr_db", owner, _FINITE)
    X, y, groups = _check_input(X, y, groups, owner)
    rng = check_random_state(random_state)
    snr = _draw(rng, bounds, X.shape[0])
    noise = rng.standard_normal(X.shape)
    X64 = X.astype(np.float64)
    noise_rms = np.maximum(_rms(noise), _TINY)
    scale = _rms(X64) * 10.0 ** (-snr / 20.0) / noise_rms
    sources = np.arange(X.shape[0])
    return _expanded(X64 + scale[:, None] * noise, y, groups, sources)


# ----------------------------------------------------------------- mixing
def mix_same_class(X, y, *, groups=None, n_mixes=None, random_state=None):
    """New clips that are the average of two different clips of one class.

    Each new clip is ``(X[i] + X[j]) / 2`` for two different clips ``i`` and
    ``j`` of the same class, so its label is theirs (Hu et al., "Mix audios":
    mixing two recordings of a scene makes a new recording of it, and may
    help simulate a new device). The first clips ``i`` are taken in turn from
    a shuffled order of every clip whose class has at least two clips (so
    with ``n_mixes=None`` every such clip is the first clip of exactly one
    mix); each partner ``j`` is drawn uniformly from the other clips of the
    class. Classes with a single clip take no part.

    A function, not a transformer: it adds training samples, which a
    scikit-learn pipeline step cannot do. Run it on the training part of a
    split only.

    Parameters
    ----------
    X : array-like of shape (n_clips, n_samples)
        Training waveforms.
    y : array-like of shape (n_clips,)
        Their class labels (one class per clip).
    groups : array-like of shape (n_clips,), default=None
        Group of each clip. A mix gets the group of its *first* clip ``i``.
        Mixing across groups couples them: a mix holds audio of its partner's
        group too, so in a grouped cross-validation over the expanded set a
        mix in the training folds can carry audio of a test group. Mix within
        each training fold, after splitting (or call this once per group to
        mix within groups only).
    n_mixes : int or None, default=None
        Number of new clips; ``None``: one per clip of the classes that have
        at least two clips.
    random_state : int, RandomState instance or None, default=None
        Draws the pairs. An int gives the same mixes on every call.

    Returns
    -------
    X_new : ndarray of shape (n_mixes, n_samples), float32
        The mixes.
    y_new : ndarray of shape (n_mixes,)
        Their class (that of both clips mixed).
    groups_new : ndarray of shape (n_mixes,)
        The group of each mix's first clip; only when ``groups`` is given.

    Raises
    ------
    ValueError
        If no class has two clips to mix.

    References
    ----------
    .. [1] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section 3.

    Examples
    --------
    >>> import numpy as np
    >>> from skaudio.expansion import mix_same_class
    >>> X = np.array([[1.0, 1.0], [3.0, 3.0], [10.0, 10.0], [20.0, 20.0], [7.0, 7.0]])
    >>> X_new, y_new = mix_same_class(X, ["a", "a", "b", "b", "c"], random_state=0)
    >>> sorted(zip(y_new.tolist(), X_new[:, 0].tolist()))
    [('a', 2.0), ('a', 2.0), ('b', 15.0), ('b', 15.0)]
    """
    owner = "mix_same_class"
    check_params({"n_mixes": [_POSITIVE_INT, None], "random_state": ["random_state"]},
                 {"n_mixes": n_mixes, "random_state": random_state}, owner)
    X, y, groups = _check_input(X, y, groups, owner, multi_output=False)
    _, label = np.unique(y, return_inverse=True)
    label = label.ravel()
    counts = np.bincount(label)
    eligible = np.flatnonzero(counts[label] >= 2)
    if eligible.size == 0:
        raise ValueError(
            f"{owner}: no class has two clips to mix; every class in y has a "
            "single clip."
        )
    if n_mixes is None:
        n_mixes = eligible.size
    rng = check_random_state(random_state)
    first = np.concatenate([rng.permutation(eligible)
                            for _ in range(-(-n_mixes // eligible.size))])[:n_mixes]
    # The clips sorted by class: class c occupies order[start[c]:start[c] + counts[c]],
    # and clip k sits at position[k] within its class.
    order = np.argsort(label, kind="stable")
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    position = np.empty_like(label)
    position[order] = np.arange(label.size) - start[label[order]]
    cls = label[first]
    r = rng.randint(0, counts[cls] - 1)         # one of the other counts - 1 clips ...
    r = r + (r >= position[first])              # ... skipping the first clip itself
    second = order[start[cls] + r]
    mixes = 0.5 * (X[first].astype(np.float64) + X[second])
    return _expanded(mixes, y, groups, first)


# ----------------------------------------------- reverberation and compression
def _synthetic_ir(sr, rt60, n, drr_db, rng):
    """:func:`synthetic_impulse_response` on checked arguments (float64)."""
    t = np.arange(n) / sr
    h = rng.standard_normal(n) * 10.0 ** (-3.0 * t / rt60)   # -60 dB at t = rt60
    if drr_db is not None:
        h[0] = 0.0
        tail = np.sum(h ** 2)
        if tail > 0:
            h *= np.sqrt(10.0 ** (-drr_db / 10.0) / tail)
        h[0] = 1.0
    return h / np.sqrt(np.sum(h ** 2))


def synthetic_impulse_response(*, sr, rt60, length=None, drr_db=None, random_state=None):
    """A room impulse response made of exponentially decaying noise.

    The statistical model of late reverberation: white Gaussian noise under
    an exponential envelope ``10 ** (-3 t / rt60)`` that falls by 60 dB in
    ``rt60`` seconds (Moorer). With ``drr_db``, the first sample is a direct
    path of amplitude 1 and the noise tail after it is scaled so that the
    energy of the direct path over that of the tail is ``drr_db`` (the
    direct-to-reverberant ratio); without it the response is the noise alone
    (fully diffuse). Normalised to unit energy (``sum(h ** 2) == 1``).

    Parameters
    ----------
    sr : float
        Sample rate in Hz.
    rt60 : float
        Reverberation time in seconds (> 0): the time the envelope takes to
        fall by 60 dB.
    length : int or None, default=None
        Number of samples; ``None``: ``ceil(rt60 * sr)``, where the envelope
        reaches -60 dB.
    drr_db : float or None, default=None
        Direct-to-reverberant energy ratio in dB, or ``None`` for no separate
        direct path.
    random_state : int, RandomState instance or None, default=None
        Draws the noise.

    Returns
    -------
    h : ndarray of shape (length,), float32

    See Also
    --------
    reverberate : convolve waveforms with an impulse response.

    References
    ----------
    .. [1] J. A. Moorer, "About this reverberation business," Computer Music
       Journal, vol. 3, no. 2, pp. 13-28, 1979.

    Examples
    --------
    >>> import numpy as np
    >>> from skaudio.expansion import synthetic_impulse_response
    >>> h = synthetic_impulse_response(sr=8000, rt60=0.5, drr_db=6, random_state=0)
    >>> h.shape, float(np.round(np.sum(h.astype(float) ** 2), 4))
    ((4000,), 1.0)
    """
    owner = "synthetic_impulse_response"
    check_params({"sr": [_POSITIVE], "rt60": [_POSITIVE], "length": [_POSITIVE_INT, None],
                  "drr_db": [_FINITE, None], "random_state": ["random_state"]},
                 {"sr": sr, "rt60": rt60, "length": length, "drr_db": drr_db,
                  "random_state": random_state}, owner)
    n = max(1, int(np.ceil(rt60 * sr))) if length is None else int(length)
    h = _synthetic_ir(float(sr), float(rt60), n, drr_db, check_random_state(random_state))
    return h.astype(np.float32)


def _check_impulse_response(h, owner, name="impulse_response"):
    """A finite, non-zero impulse response of at least one sample, as float64."""
    try:
        h = np.asarray(h, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{owner}: {name} must be an array of numbers; got {type(h).__name__}."
        ) from None
    if h.ndim == 0 or h.shape[-1] == 0:
        raise ValueError(f"{owner}: {name} is empty; it needs at least one sample.")
    if not np.isfinite(h).all():
        raise ValueError(f"{owner}: {name} contains NaN or infinity.")
    if not np.any(h, axis=-1).all():
        raise ValueError(
            f"{owner}: {name} is all zeros, which would silence the audio; "
            "pass [1.0] for no reverberation."
        )
    return h


def _reverberate(X, H):
    """Rows of ``X`` convolved with the rows of ``H`` (one row broadcasts), cut to length."""
    return fftconvolve(X, H, axes=1)[:, :X.shape[1]]


def reverberate(X, impulse_response):
    """Convolve waveforms with an impulse response, keeping their length and level.

    ``out = (x * h)[:n_samples]``: the convolution (``scipy.signal.fftconvolve``)
    cut to the input's length (the reverberant tail past the end is dropped),
    then scaled to the RMS level of the input clip, so that only the
    reverberation changes, not the loudness. A silent clip stays silent. The
    response starts at its first sample: trim the silence before the direct
    sound of a measured response, or the output is delayed by it.

    Parameters
    ----------
    X : array-like of shape (n_clips, n_samples)
        Waveforms.
    impulse_response : array-like of shape (length,) or (n_clips, length)
        One response for every clip, or one per clip.

    Returns
    -------
    X_reverberant : ndarray of shape (n_clips, n_samples), float32

    See Also
    --------
    synthetic_impulse_response : a response made of decaying noise.
    reverb_drc : training-set expansion by reverberation and compression.

    References
    ----------
    .. [1] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section 3.

    Examples
    --------
    >>> import numpy as np
    >>> from skaudio.expansion import reverberate
    >>> X = np.random.default_rng(0).standard_normal((2, 1000))
    >>> np.allclose(reverberate(X, [1.0]), X, atol=1e-5)
    True
    >>> wet = reverberate(X, [1.0, 0.0, 0.0, 0.5])
    >>> def rms(a):
    ...     return np.sqrt(np.mean(np.square(a, dtype=float), axis=1))
    >>> wet.shape, bool(np.allclose(rms(wet), rms(X), rtol=1e-5))
    ((2, 1000), True)
    """
    owner = "reverberate"
    X = check_waveforms(X, name=owner)
    h = _check_impulse_response(impulse_response, owner)
    if h.ndim == 1:
        h = h[np.newaxis]
    elif h.ndim != 2 or h.shape[0] != X.shape[0]:
        raise ValueError(
            f"{owner}: impulse_response must have shape (length,) or ({X.shape[0]}, "
            f"length), one per clip; got shape {h.shape}."
        )
    out = np.empty(X.shape, dtype=np.float32)
    for rows in _row_chunks(X.shape[0], X.shape[1] + h.shape[1]):
        clips = X[rows].astype(np.float64)
        wet = _reverberate(clips, h if h.shape[0] == 1 else h[rows])
        out[rows] = _match_rms(wet, clips)
    return out


def _smooth_branching(gr, alpha_attack, alpha_release):
    """Giannoulis et al.'s smooth branching peak detector, over the rows of ``gr``.

    ``s[n] = a s[n-1] + (1 - a) g[n]`` with ``a = alpha_attack`` while the
    input rises above the state and ``alpha_release`` otherwise. A recursion
    whose coefficient depends on its own state cannot run as a linear filter
    (``scipy.signal.lfilter``): it loops over samples, each step one vector
    operation over every clip, so its cost grows with ``n_samples`` but
    hardly with ``n_clips``.
    """
    g = np.ascontiguousarray(gr.T)            # time-major: each step reads one row
    out = np.zeros_like(g)
    active = np.flatnonzero(g.any(axis=1))
    if active.size == 0:                      # no gain reduction anywhere
        return out.T
    state = np.zeros(g.shape[1])
    rise, fall = 1.0 - alpha_attack, 1.0 - alpha_release
    for n in range(active[0], g.shape[0]):    # before the first reduction the state is 0
        x = g[n]
        state += np.where(x > state, rise, fall) * (x - state)
        out[n] = state
    return out.T


def _compress(X, *, sr, threshold_db, ratio, attack, release, knee_db=0.0, makeup_db=0.0):
    """:func:`compress_dynamic_range` on a float64 array; ``threshold_db`` and
    ``ratio`` are scalars or per-clip columns of shape ``(n_clips, 1)``."""
    level = _db(np.abs(X))
    over = level - threshold_db
    slope = 1.0 - 1.0 / ratio
    reduction = np.maximum(over, 0.0) * slope
    if knee_db > 0:
        in_knee = 2.0 * np.abs(over) <= knee_db
        knee = slope * (over + knee_db / 2.0) ** 2 / (2.0 * knee_db)
        reduction = np.where(in_knee, knee, reduction)
    alpha_attack = np.exp(-1.0 / (attack * sr)) if attack > 0 else 0.0
    alpha_release = np.exp(-1.0 / (release * sr)) if release > 0 else 0.0
    smoothed = _smooth_branching(reduction, alpha_attack, alpha_release)
    return X * 10.0 ** ((makeup_db - smoothed) / 20.0)


def compress_dynamic_range(X, *, sr, threshold_db=-20.0, ratio=4.0, attack=0.005,
                           release=0.05, knee_db=0.0, makeup_db=0.0):
    """Feed-forward dynamic range compression, clip by clip.

    The design Giannoulis, Massberg and Reiss recommend (log domain, smooth
    branching peak detector):

    1. level of every sample in dBFS: ``L[n] = 20 log10 |x[n]|`` (full scale
       is amplitude 1);
    2. static gain computer: above the threshold ``T`` the output level rises
       by ``1 / ratio`` dB per dB, so the gain reduction is
       ``G[n] = (1 - 1/ratio) * max(L[n] - T, 0)`` (with a quadratic soft
       knee of width ``knee_db`` dB around ``T`` when ``knee_db > 0``);
    3. the gain reduction is smoothed by a one-pole filter whose time
       constant is ``attack`` while the reduction grows and ``release``
       while it shrinks: ``s[n] = a s[n-1] + (1 - a) G[n]``,
       ``a = exp(-1 / (tau * sr))``;
    4. ``y[n] = x[n] * 10 ** ((makeup_db - s[n]) / 20)``.

    In steady state, a loud part longer than a few attack times whose
    magnitude ``|x[n]|`` stays at a level ``L > T`` (a square wave, say)
    comes out at exactly ``T + (L - T) / ratio``; a sine's magnitude swings,
    and its peaks come out a little higher (about 1 dB with the defaults at
    200 Hz), since the detector relaxes between them. Parts below the
    threshold keep their level once a few release times have passed, and a
    clip that never exceeds the threshold is returned unchanged (up to
    ``makeup_db``). Every clip is compressed on its own; step 3 is a
    nonlinear recursion, so it runs as a loop over samples, vectorised over
    clips (a batch of clips costs little more than one).

    Parameters
    ----------
    X : array-like of shape (n_clips, n_samples)
        Waveforms, full scale 1.0.
    sr : float
        Sample rate in Hz (for the time constants).
    threshold_db : float, default=-20.0
        Threshold in dBFS.
    ratio : float, default=4.0
        Compression ratio, >= 1 (1: no compression).
    attack : float, default=0.005
        Attack time constant in seconds (>= 0; 0: instant).
    release : float, default=0.05
        Release time constant in seconds (>= 0; 0: instant).
    knee_db : float, default=0.0
        Width of the soft knee in dB (0: hard knee).
    makeup_db : float, default=0.0
        Gain added after compression, in dB.

    Returns
    -------
    X_compressed : ndarray of shape (n_clips, n_samples), float32

    References
    ----------
    .. [1] D. Giannoulis, M. Massberg and J. D. Reiss, "Digital dynamic range
       compressor design - A tutorial and analysis," Journal of the Audio
       Engineering Society, vol. 60, no. 6, pp. 399-408, 2012.
    .. [2] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section 3.

    Examples
    --------
    >>> import numpy as np
    >>> from skaudio.expansion import compress_dynamic_range
    >>> square = np.sign(np.sin(2 * np.pi * 50.5 * np.arange(8000) / 8000))
    >>> X = np.stack([square, 0.01 * square])      # 0 dBFS and -40 dBFS
    >>> out = compress_dynamic_range(X, sr=8000, threshold_db=-20, ratio=4)
    >>> print(np.round(20 * np.log10(np.abs(out[:, -1])), 2))   # -20 + 20 / 4; untouched
    [-15. -40.]
    """
    owner = "compress_dynamic_range"
    params = {"sr": sr, "threshold_db": threshold_db, "ratio": ratio, "attack": attack,
              "release": release, "knee_db": knee_db, "makeup_db": makeup_db}
    check_params({"sr": [_POSITIVE], "threshold_db": [_FINITE], "ratio": [_RATIO],
                  "attack": [_NON_NEGATIVE], "release": [_NON_NEGATIVE],
                  "knee_db": [_NON_NEGATIVE], "makeup_db": [_FINITE]}, params, owner)
    X = check_waveforms(X, name=owner)
    out = np.empty(X.shape, dtype=np.float32)
    for rows in _row_chunks(X.shape[0], X.shape[1]):
        out[rows] = _compress(X[rows].astype(np.float64), **params)
    return out


def _check_impulse_responses(impulse_responses, owner):
    """A list of 1-D impulse responses (rows of a 2-D array, or a list of 1-D arrays)."""
    name = "impulse_responses"
    if isinstance(impulse_responses, np.ndarray) and impulse_responses.ndim == 2:
        responses = list(impulse_responses)
    elif isinstance(impulse_responses, (list, tuple)) and len(impulse_responses) > 0:
        responses = list(impulse_responses)
    else:
        raise ValueError(
            f"{owner}: {name} must be a list of 1-D impulse responses or a 2-D array "
            f"with one per row; got {type(impulse_responses).__name__}."
        )
    checked = []
    for k, h in enumerate(responses):
        h = _check_impulse_response(h, owner, name=f"{name}[{k}]")
        if h.ndim != 1:
            raise ValueError(
                f"{owner}: {name}[{k}] must be 1-D; got shape {h.shape}."
            )
        checked.append(h)
    return checked


def _stack_padded(rows):
    """1-D arrays of different lengths as the rows of one zero-padded array."""
    out = np.zeros((len(rows), max(r.size for r in rows)))
    for i, r in enumerate(rows):
        out[i, :r.size] = r
    return out


def reverb_drc(X, y, *, sr, groups=None, impulse_responses=None, rt60=(0.2, 0.8),
               drr_db=(0.0, 10.0), threshold_db=(-30.0, -10.0), ratio=(2.0, 8.0),
               random_state=None):
    """One reverberated and compressed copy of every clip (Hu et al., "Reverb + DRC").

    The DCASE 2020 organisers made their simulated devices s1-s11 from device
    A's recordings with impulse responses followed by dynamic range
    compression; Hu et al. do the same to expand the training set, which
    helped most on unseen simulated devices. Each clip is

    1. convolved with an impulse response: one of ``impulse_responses``,
       chosen at random, or a :func:`synthetic_impulse_response` with a
       reverberation time drawn from ``rt60`` and a direct-to-reverberant
       ratio drawn from ``drr_db``;
    2. compressed by :func:`compress_dynamic_range` (5 ms attack, 50 ms
       release) with a ratio drawn from ``ratio`` and a threshold drawn from
       ``threshold_db`` *relative to the reverberated clip's peak* (so that
       every clip is compressed, whatever its recording level);
    3. scaled back to its source's RMS level.

    A function, not a transformer: it adds training samples, which a
    scikit-learn pipeline step cannot do. Run it on the training part of a
    split only.

    Parameters
    ----------
    X : array-like of shape (n_clips, n_samples)
        Training waveforms.
    y : array-like of shape (n_clips,) or (n_clips, n_outputs)
        Their labels.
    sr : float
        Sample rate in Hz.
    groups : array-like of shape (n_clips,), default=None
        Group of each clip; a copy keeps its source's group.
    impulse_responses : list of 1-D arrays, 2-D array or None, default=None
        Measured impulse responses (at ``sr``, starting at the direct sound)
        to choose from; ``None``: synthetic ones, then ``rt60`` and
        ``drr_db`` apply (they are ignored otherwise).
    rt60 : float or (float, float), default=(0.2, 0.8)
        Reverberation time of the synthetic responses in seconds, or its range.
    drr_db : float, (float, float) or None, default=(0.0, 10.0)
        Direct-to-reverberant ratio of the synthetic responses in dB, or its
        range; ``None``: no direct path (fully diffuse).
    threshold_db : float or (float, float), default=(-30.0, -10.0)
        Compressor threshold in dB relative to each clip's peak (<= 0), or
        its range.
    ratio : float or (float, float), default=(2.0, 8.0)
        Compression ratio (>= 1), or its range.
    random_state : int, RandomState instance or None, default=None
        Draws the responses and compressor settings. An int gives the same
        copies on every call.

    Returns
    -------
    X_new : ndarray of shape (n_clips, n_samples), float32
        The copies, row ``i`` made from ``X[i]``.
    y_new : ndarray
        ``y``, aligned with ``X_new``.
    groups_new : ndarray of shape (n_clips,)
        Only when ``groups`` is given.

    References
    ----------
    .. [1] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section 3.
    .. [2] T. Heittola, A. Mesaros and T. Virtanen, "Acoustic scene
       classification in DCASE 2020 challenge: generalization across
       devices and low complexity solutions," Proc. DCASE 2020 Workshop,
       2020 (arXiv:2005.14623).

    Examples
    --------
    >>> import numpy as np
    >>> from skaudio.expansion import reverb_drc
    >>> X = np.random.default_rng(0).standard_normal((3, 4000)) * [[0.1], [0.2], [0.3]]
    >>> X_new, y_new = reverb_drc(X, [0, 1, 1], sr=8000, random_state=0)
    >>> X_new.shape, y_new.tolist()
    ((3, 4000), [0, 1, 1])
    >>> rms = np.sqrt(np.mean(np.square(X_new, dtype=float), axis=1))
    >>> bool(np.allclose(rms, np.sqrt(np.mean(X ** 2, axis=1)), rtol=1e-5))  # levels kept
    True
    """
    owner = "reverb_drc"
    check_params({"sr": [_POSITIVE], "random_state": ["random_state"]},
                 {"sr": sr, "random_state": random_state}, owner)
    rt60 = _check_range(rt60, "rt60", owner, _POSITIVE)
    drr = None if drr_db is None else _check_range(drr_db, "drr_db", owner, _FINITE)
    threshold = _check_range(threshold_db, "threshold_db", owner, _NOT_ABOVE_ZERO)
    ratio = _check_range(ratio, "ratio", owner, _RATIO)
    pool = (None if impulse_responses is None
            else _check_impulse_responses(impulse_responses, owner))
    X, y, groups = _check_input(X, y, groups, owner)
    rng = check_random_state(random_state)
    n_clips = X.shape[0]
    if pool is None:
        times = _draw(rng, rt60, n_clips)
        drrs = [None] * n_clips if drr is None else _draw(rng, drr, n_clips)
        responses = [_synthetic_ir(float(sr), t, max(1, int(np.ceil(t * sr))), d, rng)
                     for t, d in zip(times, drrs)]
    else:
        responses = [pool[k] for k in rng.randint(len(pool), size=n_clips)]
    thresholds = _draw(rng, threshold, n_clips)
    ratios = _draw(rng, ratio, n_clips)
    out = np.empty(X.shape, dtype=np.float32)
    longest = max(h.size for h in responses)
    for rows in _row_chunks(n_clips, X.shape[1] + longest):
        clips = X[rows].astype(np.float64)
        wet = _reverberate(clips, _stack_padded(responses[rows]))
        compressed = _compress(
            wet, sr=float(sr), threshold_db=(_db(_peak(wet)) + thresholds[rows])[:, None],
            ratio=ratios[rows][:, None], attack=0.005, release=0.05)
        out[rows] = _match_rms(compressed, clips)
    return _expanded(out, y, groups, np.arange(n_clips))


# ------------------------------------------------------- spectrum correction
def _check_stft_params(n_fft, hop_length, owner):
    check_params({"n_fft": [_N_FFT], "hop_length": [_POSITIVE_INT, None]},
                 {"n_fft": n_fft, "hop_length": hop_length}, owner)
    if hop_length is None:
        return n_fft // 4
    if hop_length > n_fft:
        raise invalid_parameter(
            owner, f"hop_length must be at most n_fft={n_fft} (frames with gaps "
            f"between them cannot be inverted); got {hop_length}.")
    return hop_length


def _stft(X, n_fft, hop_length):
    return librosa.stft(X, n_fft=n_fft, hop_length=hop_length)


def device_spectrum(X, *, n_fft=2048, hop_length=None):
    """The mean magnitude spectrum of a set of recordings (one device's, say).

    The magnitude of the short-time Fourier transform (Hann window,
    ``librosa.stft`` with centred frames), averaged over every frame of every
    clip: the long-term spectrum that Nguyen et al.'s spectrum correction
    compares between devices. Every frame counts the same, silent ones too,
    so compare sets of similar content (ideally parallel recordings).

    Parameters
    ----------
    X : array-like of shape (n_clips, n_samples)
        Recordings.
    n_fft : int, default=2048
        FFT length (Hu et al.'s; about 2048 at 44.1 kHz, 512 at 8 kHz give
        the same resolution in Hz).
    hop_length : int or None, default=None
        Frame step; ``None``: ``n_fft // 4``.

    Returns
    -------
    spectrum : ndarray of shape (1 + n_fft // 2,), float64

    See Also
    --------
    correct_spectrum : correct clips from one spectrum to another.

    References
    ----------
    .. [1] T. Nguyen, F. Pernkopf and M. Kosmider, "Acoustic scene
       classification for mismatched recording devices using heated-up
       softmax and spectrum correction," Proc. ICASSP, 2020, pp. 126-130.
    .. [2] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section 3.

    Examples
    --------
    >>> import numpy as np
    >>> from skaudio.expansion import device_spectrum
    >>> X = np.random.default_rng(0).standard_normal((4, 8000))
    >>> device_spectrum(X, n_fft=512).shape
    (257,)
    """
    owner = "device_spectrum"
    hop_length = _check_stft_params(n_fft, hop_length, owner)
    X = check_waveforms(X, name=owner)
    total = np.zeros(1 + n_fft // 2)
    frames = 0
    for rows in _row_chunks(X.shape[0], 4 * X.shape[1]):
        magnitude = np.abs(_stft(X[rows], n_fft, hop_length))   # (clips, bins, frames)
        total += magnitude.sum(axis=(0, 2), dtype=np.float64)
        frames += magnitude.shape[0] * magnitude.shape[2]
    return total / frames


def _check_spectrum(spectrum, name, n_bins, n_fft, owner):
    try:
        spectrum = np.asarray(spectrum, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: {name} must be an array of numbers.") from None
    if spectrum.shape != (n_bins,):
        raise ValueError(
            f"{owner}: {name} must have shape ({n_bins},), the bins of n_fft={n_fft}; "
            f"got shape {spectrum.shape}. Compute it with device_spectrum(..., "
            f"n_fft={n_fft})."
        )
    if not np.isfinite(spectrum).all() or (spectrum < 0).any():
        raise ValueError(f"{owner}: {name} must be finite and non-negative.")
    if not spectrum.max() > 0:
        raise ValueError(f"{owner}: {name} is all zeros.")
    return spectrum


def correct_spectrum(X, y, *, source_spectrum, reference_spectrum, groups=None,
                     n_fft=2048, hop_length=None, floor=1e-3):
    """Copies of clips with the spectrum of another device (spectrum correction).

    Nguyen et al.'s spectrum correction: every frame of a clip's short-time
    Fourier transform is multiplied by the correction coefficients
    ``reference_spectrum / source_spectrum`` (one per frequency bin), and the
    clip is rebuilt by the inverse transform, to its own length. Hu et al.
    use it to expand the training set: the reference is the average of the
    spectra of every training device except device A, and the clips of
    device A get corrected copies::

        reference = np.mean([device_spectrum(X[device == d]) for d in others], axis=0)
        X_new, y_new = correct_spectrum(X[device == "a"], y[device == "a"],
                                        source_spectrum=device_spectrum(X[device == "a"]),
                                        reference_spectrum=reference)

    Source bins below ``floor`` times the source's largest bin are raised to
    that value before the division, so that a bin the source device hardly
    records is not amplified without bound. With equal spectra the copies
    equal the clips (up to the rounding of the transforms).

    A function, not a transformer: it adds training samples, which a
    scikit-learn pipeline step cannot do. Run it on the training part of a
    split only, with spectra computed from training clips.

    Parameters
    ----------
    X : array-like of shape (n_clips, n_samples)
        Training waveforms of the source device.
    y : array-like of shape (n_clips,) or (n_clips, n_outputs)
        Their labels.
    source_spectrum : array-like of shape (1 + n_fft // 2,)
        Mean magnitude spectrum of the source device (:func:`device_spectrum`).
    reference_spectrum : array-like of shape (1 + n_fft // 2,)
        Mean magnitude spectrum of the reference device.
    groups : array-like of shape (n_clips,), default=None
        Group of each clip; a copy keeps its source's group.
    n_fft : int, default=2048
        FFT length; the spectra must have been computed with the same.
    hop_length : int or None, default=None
        Frame step, at most ``n_fft``; ``None``: ``n_fft // 4``.
    floor : float, default=1e-3
        Smallest source bin, relative to the largest, in (0, 1].

    Returns
    -------
    X_new : ndarray of shape (n_clips, n_samples), float32
        The corrected copies, row ``i`` made from ``X[i]``.
    y_new : ndarray
        ``y``, aligned with ``X_new``.
    groups_new : ndarray of shape (n_clips,)
        Only when ``groups`` is given.

    References
    ----------
    .. [1] T. Nguyen, F. Pernkopf and M. Kosmider, "Acoustic scene
       classification for mismatched recording devices using heated-up
       softmax and spectrum correction," Proc. ICASSP, 2020, pp. 126-130.
    .. [2] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section 3.

    Examples
    --------
    >>> import numpy as np
    >>> from skaudio.expansion import correct_spectrum, device_spectrum
    >>> X = np.random.default_rng(0).standard_normal((2, 4000))
    >>> flat = device_spectrum(X, n_fft=256)
    >>> X_new, _ = correct_spectrum(X, [0, 1], source_spectrum=flat,
    ...                             reference_spectrum=flat, n_fft=256)
    >>> bool(np.allclose(X_new, X, atol=1e-4))
    True
    >>> X_half, _ = correct_spectrum(X, [0, 1], source_spectrum=flat,
    ...                              reference_spectrum=flat / 2, n_fft=256)
    >>> bool(np.allclose(X_half, X / 2, atol=1e-4))
    True
    """
    owner = "correct_spectrum"
    hop_length = _check_stft_params(n_fft, hop_length, owner)
    check_params({"floor": [Interval(Real, 0, 1, closed="right")]}, {"floor": floor}, owner)
    n_bins = 1 + n_fft // 2
    source = _check_spectrum(source_spectrum, "source_spectrum", n_bins, n_fft, owner)
    reference = _check_spectrum(reference_spectrum, "reference_spectrum", n_bins, n_fft, owner)
    X, y, groups = _check_input(X, y, groups, owner)
    coefficients = (reference / np.maximum(source, floor * source.max()))[:, np.newaxis]
    out = np.empty(X.shape, dtype=np.float32)
    for rows in _row_chunks(X.shape[0], 4 * X.shape[1]):
        S = _stft(X[rows], n_fft, hop_length) * coefficients
        out[rows] = librosa.istft(S, hop_length=hop_length, n_fft=n_fft, length=X.shape[1])
    return _expanded(out, y, groups, np.arange(X.shape[0]))


# -------------------------------------------------------- simulated devices
# Salt of the seed of simulate_device, so that device k does not reuse the
# noise of random_state=k elsewhere.
_DEVICE_SALT = 20200601
# Control points of the random EQ curve: octaves below Nyquist.
_EQ_OCTAVES = np.arange(-7.0, 1.0)


def _device_settings(device, sr, eq_db, rt60, drr, threshold, ratio):
    """The fixed filters and compressor settings of one simulated device."""
    rng = np.random.RandomState([device, _DEVICE_SALT])
    u = rng.uniform(size=5)          # always 5 draws: the settings never shift
    gains_db = eq_db * rng.standard_normal(_EQ_OCTAVES.size)

    def pick(bounds, v):
        return bounds[0] + v * (bounds[1] - bounds[0])

    nyquist = sr / 2.0
    corner = min(100.0 + 300.0 * u[0], nyquist / 4.0)
    settings = {"rt60": pick(rt60, u[1]), "drr_db": None if drr is None else pick(drr, u[2]),
                "threshold_db": pick(threshold, u[3]), "ratio": pick(ratio, u[4]),
                "low_cut_hz": corner}
    # The EQ: a monotone cubic through the random gains over log frequency
    # (flat beyond the outer points), times a 12 dB/octave low cut.
    freqs = np.linspace(0.0, nyquist, 513)
    octaves = np.log2(np.maximum(freqs, nyquist * 2.0 ** -12) / nyquist)
    curve = PchipInterpolator(_EQ_OCTAVES, gains_db)(
        np.clip(octaves, _EQ_OCTAVES[0], _EQ_OCTAVES[-1]))
    curve -= np.clip(12.0 * np.log2(corner / np.maximum(freqs, corner * 2.0 ** -5)), 0.0, 60.0)
    n_taps = 2 * int(round(0.016 * sr)) + 1
    settings["eq"] = firwin2(n_taps, freqs, 10.0 ** (curve / 20.0), fs=sr)
    n_ir = max(1, int(np.ceil(settings["rt60"] * sr)))
    settings["impulse_response"] = _synthetic_ir(sr, settings["rt60"], n_ir,
                                                  settings["drr_db"], rng)
    return settings


def simulate_device(X, *, sr, device, eq_db=6.0, rt60=(0.1, 0.5), drr_db=(0.0, 10.0),
                    threshold_db=(-30.0, -10.0), ratio=(2.0, 8.0)):
    """Recordings as a simulated recording device would make them.

    A deterministic transform, as the DCASE 2020 organisers made their
    simulated devices s1-s11 from device A's recordings: ``device`` (an int)
    seeds one fixed set of settings, drawn once from the given ranges, and
    every clip goes through

    1. the device's frequency response: a smooth random EQ curve (gains drawn
       from a normal distribution of standard deviation ``eq_db`` at 8
       octave-spaced frequencies up to Nyquist, joined by a monotone cubic
       over log frequency) with a 12 dB/octave low cut below a corner
       between 100 and 400 Hz (small microphones lose the bass), as a
       linear-phase FIR filter of 32 ms, delay compensated;
    2. reverberation with the device's fixed :func:`synthetic_impulse_response`
       (reverberation time and direct-to-reverberant ratio drawn from
       ``rt60`` and ``drr_db``);
    3. the device's :func:`compress_dynamic_range` (ratio drawn from
       ``ratio``, threshold drawn from ``threshold_db`` relative to each
       clip's peak, 5 ms attack, 50 ms release);
    4. a gain back to the clip's own RMS level, so that devices differ in
       spectrum, reverberation and dynamics rather than in a plain gain.

    The same ``device`` and arguments give the same transform on every call
    and on any batch: a clip's output does not depend on the other clips.
    It keeps the number of clips (a transform, not an expansion), so it can
    make test sets of unseen devices as well as training data.

    Parameters
    ----------
    X : array-like of shape (n_clips, n_samples)
        Waveforms (the real device's recordings).
    sr : float
        Sample rate in Hz.
    device : int
        Which simulated device, a non-negative int (its seed).
    eq_db : float, default=6.0
        Standard deviation of the EQ gains in dB (0: flat apart from the
        low cut).
    rt60 : float or (float, float), default=(0.1, 0.5)
        Reverberation time in seconds, or the range a device draws it from.
    drr_db : float, (float, float) or None, default=(0.0, 10.0)
        Direct-to-reverberant ratio in dB, or its range; ``None``: no direct
        path.
    threshold_db : float or (float, float), default=(-30.0, -10.0)
        Compressor threshold in dB relative to each clip's peak (<= 0), or
        its range.
    ratio : float or (float, float), default=(2.0, 8.0)
        Compression ratio (>= 1), or its range.

    Returns
    -------
    X_device : ndarray of shape (n_clips, n_samples), float32

    References
    ----------
    .. [1] T. Heittola, A. Mesaros and T. Virtanen, "Acoustic scene
       classification in DCASE 2020 challenge: generalization across
       devices and low complexity solutions," Proc. DCASE 2020 Workshop,
       2020 (arXiv:2005.14623).
    .. [2] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section 3.

    Examples
    --------
    >>> import numpy as np
    >>> from skaudio.expansion import simulate_device
    >>> X = np.random.default_rng(0).standard_normal((2, 4000)).astype(np.float32)
    >>> s1 = simulate_device(X, sr=8000, device=1)
    >>> s1.shape, s1.dtype
    ((2, 4000), dtype('float32'))
    >>> bool(np.array_equal(s1, simulate_device(X, sr=8000, device=1)))
    True
    >>> bool(np.allclose(s1, simulate_device(X, sr=8000, device=2)))
    False
    """
    owner = "simulate_device"
    check_params({"sr": [_POSITIVE], "device": [Interval(Integral, 0, 2**32 - 1, closed="both")],
                  "eq_db": [_NON_NEGATIVE]},
                 {"sr": sr, "device": device, "eq_db": eq_db}, owner)
    rt60 = _check_range(rt60, "rt60", owner, _POSITIVE)
    drr = None if drr_db is None else _check_range(drr_db, "drr_db", owner, _FINITE)
    threshold = _check_range(threshold_db, "threshold_db", owner, _NOT_ABOVE_ZERO)
    ratio = _check_range(ratio, "ratio", owner, _RATIO)
    X = check_waveforms(X, name=owner)
    settings = _device_settings(int(device), float(sr), float(eq_db), rt60, drr,
                                threshold, ratio)
    eq = settings["eq"][np.newaxis]
    ir = settings["impulse_response"][np.newaxis]
    out = np.empty(X.shape, dtype=np.float32)
    for rows in _row_chunks(X.shape[0], X.shape[1] + eq.size + ir.size):
        clips = X[rows].astype(np.float64)
        filtered = fftconvolve(clips, eq, mode="same", axes=1)
        wet = _reverberate(filtered, ir)
        compressed = _compress(
            wet, sr=float(sr), threshold_db=_db(_peak(wet))[:, None] + settings["threshold_db"],
            ratio=settings["ratio"], attack=0.005, release=0.05)
        out[rows] = _match_rms(compressed, clips)
    return out

