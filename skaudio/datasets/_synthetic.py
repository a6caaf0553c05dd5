"""A seeded generator of audio classification data with real acoustic structure."""

import numpy as np
from sklearn.utils import Bunch, check_random_state

from .._validation import check_scalar_real


def _envelope(t, rng, duration):
    """A smooth onset/offset envelope placed at a random time in the clip."""
    start = rng.uniform(0.0, 0.2) * duration
    stop = start + rng.uniform(0.6, 0.8) * duration
    ramp = 0.02 * duration
    return np.clip((t - start) / ramp, 0, 1) * np.clip((stop - t) / ramp, 0, 1)


def _harmonic(t, p, rng, duration):
    f0 = p["f0"] * rng.uniform(0.97, 1.03)
    k = np.arange(1, 6)[:, np.newaxis]
    return (np.sin(2 * np.pi * k * f0 * t) / k).sum(0) * _envelope(t, rng, duration)


def _chirp(direction):
    def sweep(t, p, rng, duration):
        lo, hi = p["f0"], p["f0"] * p["ratio"]
        f_start, f_end = (lo, hi) if direction > 0 else (hi, lo)
        # exponential sweep: phase = integral of f_start * (f_end/f_start)^(t/T)
        k = np.log(f_end / f_start) / duration
        phase = 2 * np.pi * f_start * np.expm1(k * t) / k
        return np.sin(phase) * _envelope(t, rng, duration)
    return sweep


def _noise_bursts(t, p, rng, duration):
    noise = rng.standard_normal(t.shape[0])
    rate = p["rate"] * rng.uniform(0.9, 1.1)
    gate = (np.sin(2 * np.pi * rate * t + rng.uniform(0, 2 * np.pi)) > 0.3)
    return noise * gate * 0.7


def _clicks(t, p, rng, duration):
    sr = t.shape[0] / duration
    rate = p["rate"] * rng.uniform(0.95, 1.05)
    y = np.zeros_like(t)
    onsets = np.arange(rng.uniform(0, 1 / rate), duration, 1 / rate)
    decay = np.exp(-np.arange(int(0.01 * sr)) / (0.002 * sr))
    click = decay * np.sin(2 * np.pi * p["f0"] * 8 * np.arange(decay.size) / sr)
    for onset in (onsets * sr).astype(int):
        seg = y[onset:onset + click.size]
        seg += click[: seg.size]
    return y * 3


def _vibrato(t, p, rng, duration):
    rate, depth = p["rate"] / 2, 0.03
    phase = 2 * np.pi * p["f0"] * (t - depth / (2 * np.pi * rate) * np.cos(2 * np.pi * rate * t))
    return np.sin(phase) * _envelope(t, rng, duration)


def _tremolo(t, p, rng, duration):
    am = 0.5 * (1 + np.sin(2 * np.pi * p["rate"] * t))
    return np.sin(2 * np.pi * p["f0"] * 1.5 * t) * am * _envelope(t, rng, duration)


def _dyad(t, p, rng, duration):
    f0 = p["f0"]
    return (np.sin(2 * np.pi * f0 * t) + np.sin(2 * np.pi * f0 * 1.26 * t)) \
        * _envelope(t, rng, duration) / 2


# name, coarse group, generator
SOUND_CLASSES = (
    ("harmonic", "tonal", _harmonic),
    ("chirp_up", "sweep", _chirp(+1)),
    ("noise_bursts", "noisy", _noise_bursts),
    ("clicks", "noisy", _clicks),
    ("chirp_down", "sweep", _chirp(-1)),
    ("vibrato", "tonal", _vibrato),
    ("tremolo", "tonal", _tremolo),
    ("dyad", "tonal", _dyad),
)


def make_audio_classification(n_samples=120, n_classes=4, *, duration=1.0, sr=16000,
                              snr_db=20.0, gain_db=0.0, clips_per_group=4,
                              random_state=None):
    """Generate waveforms whose classes differ in acoustic structure.

    The audio analogue of :func:`sklearn.datasets.make_classification`. Each
    class is a kind of sound: harmonic tones, rising and falling chirps, gated
    noise bursts, click trains, vibrato, tremolo and two-tone chords. Clips come
    in groups of ``clips_per_group`` *recordings* of the same source (same
    pitch, rate and level, new background noise and timing), so that a
    ``GroupKFold`` over ``groups`` keeps every source in one fold, as real
    datasets with segments of one file need.

    Parameters
    ----------
    n_samples : int, default=120
        Number of clips.
    n_classes : int, default=4
        Number of classes, at most 8 (in the order above, so coarse groups
        mix once ``n_classes >= 3``).
    duration : float, default=1.0
        Seconds per clip.
    sr : int, default=16000
        Sample rate in Hz.
    snr_db : float, default=20.0
        Signal-to-noise ratio of the white background noise, in dB (mean
        powers over the clip); ``np.inf`` adds no noise.
    gain_db : float or (low, high), default=0.0
        Level of each group in dB relative to a peak of 0.5: a number, or a
        range drawn uniformly per group (e.g. ``(-30, 0)`` for the PERSA+
        paper's gain robustness).
    clips_per_group : int, default=4
        Clips drawn from each source.
    random_state : int, RandomState instance or None, default=None
        Seeds every draw (sources, timing, noise); an int gives the same clips
        on every call.

    Returns
    -------
    Bunch
        ``data`` (n_samples, round(duration * sr)) float32 waveforms,
        ``target`` int labels, ``target_names``, ``groups`` (source id of each
        clip), ``coarse_target`` and ``coarse_names`` (tonal / sweep / noisy),
        ``sr``.

    Raises
    ------
    ValueError
        If ``n_classes`` is not in 1-8, ``n_samples < n_classes``,
        ``duration`` is not positive or ``clips_per_group < 1``.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A
       Deep Learning Front-End for Context-Agnostic Audio Classification",
       section V-B: the level variation ``gain_db=(-30, 0)`` imitates
       (LVLib-v3 applies a gain of 0, -10, -20 or -30 dB).
    .. [2] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section
       2.1: the coarse classes of ``coarse_target``, for two-stage
       classification.

    Examples
    --------
    >>> d = make_audio_classification(n_samples=8, n_classes=2, duration=0.5,
    ...                               sr=8000, random_state=0)
    >>> d.data.shape, d.groups.tolist()
    ((8, 4000), [0, 0, 0, 0, 1, 1, 1, 1])
    """
    owner = "make_audio_classification"
    if not 1 <= n_classes <= len(SOUND_CLASSES):
        raise ValueError(
            f"{owner}: n_classes must be between 1 and {len(SOUND_CLASSES)}; "
            f"got {n_classes}."
        )
    if n_samples < n_classes:
        raise ValueError(f"{owner}: need n_samples >= n_classes; got {n_samples}.")
    duration = check_scalar_real(duration, "duration", owner=owner, min_val=0,
                                 include_min=False)
    snr_db = check_scalar_real(snr_db, "snr_db", owner=owner, allow_inf=True)
    if clips_per_group < 1:
        raise ValueError(f"{owner}: clips_per_group must be >= 1; got {clips_per_group}.")
    rng = check_random_state(random_state)
    gain_range = (gain_db, gain_db) if np.isscalar(gain_db) else tuple(gain_db)

    n_groups = int(np.ceil(n_samples / clips_per_group))
    group_class = rng.permutation(np.arange(n_groups) % n_classes)
    t = np.arange(int(round(duration * sr))) / sr
    data = np.empty((n_samples, t.size), dtype=np.float32)
    target = np.empty(n_samples, dtype=int)
    groups = np.empty(n_samples, dtype=int)
    for g in range(n_groups):
        label = group_class[g]
        source = {
            "f0": rng.uniform(150, 600),
            "rate": rng.uniform(3, 10),
            "ratio": rng.uniform(2.5, 5),
        }
        level = 0.5 * 10 ** (rng.uniform(*gain_range) / 20)
        for i in range(g * clips_per_group, min((g + 1) * clips_per_group, n_samples)):
            y = SOUND_CLASSES[label][2](t, source, rng, duration)
            y = y / max(np.abs(y).max(), 1e-12)
            noise = rng.standard_normal(t.size) * np.sqrt(np.mean(y**2) / 10 ** (snr_db / 10))
            data[i] = level * (y + noise)
            target[i], groups[i] = label, g
    names = [c[0] for c in SOUND_CLASSES[:n_classes]]
    coarse_names = sorted({c[1] for c in SOUND_CLASSES[:n_classes]})
    coarse = np.array([coarse_names.index(SOUND_CLASSES[k][1]) for k in target])
    return Bunch(data=data, target=target, target_names=names, groups=groups,
                 coarse_target=coarse, coarse_names=coarse_names, sr=sr)
