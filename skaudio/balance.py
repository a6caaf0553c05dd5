"""Class balancing of a training set by pitch-shifted copies (Xu, 5.2.3).

A function, not a transformer: it adds samples (and labels), which a
scikit-learn transformer cannot do. Run it on the training part of a split
only, after the split, so that no shifted copy of a test clip is trained on.
Mini-batch balancing and mixup, which change batches rather than the data set,
are training parameters of the network estimators (``balanced_batches``,
``mixup_alpha``). :mod:`skaudio.expansion` holds more training-set expansions
(pitch shift, speed change, noise, mixing, reverberation and compression,
spectrum correction).
"""

import numpy as np
from sklearn.utils import check_random_state

from ._validation import check_labels, check_positive_int, check_scalar_real, check_waveforms
from .expansion import _pitch_shift_clips

__all__ = [
    "pitch_shift_balance",
]



def pitch_shift_balance(X, y, *, sr, groups=None, n_per_class=None, max_semitones=12,
                        random_state=None):
    """Add pitch-shifted copies of the clips of small classes until classes are equal.

    Every class with fewer than ``n_per_class`` clips (default: as many as the
    largest class) gets copies of its own clips, taken in turn in a shuffled
    order, each shifted by a random whole number of semitones in
    ``[-max_semitones, max_semitones]`` other than 0
    (``librosa.effects.pitch_shift``; Xu shifts by up to 12 semitones until
    every class has 600 clips). Classes already that large are kept as they
    are; nothing is removed.

    Parameters
    ----------
    X : array-like of shape (n_clips, n_samples)
        Training waveforms.
    y : array-like of shape (n_clips,)
        Their labels.
    sr : float
        Sample rate of ``X``.
    groups : array-like of shape (n_clips,), default=None
        Group (source file, speaker) of each clip; a copy keeps its source's
        group, so group-aware splits keep copies with their source.
    n_per_class : int or None, default=None
        Target number of clips per class; ``None``: the largest class's count.
    max_semitones : int, default=12
        Largest shift, in semitones, either way.
    random_state : int, RandomState instance or None, default=None
        Draws the order of the copies and their shifts.

    Returns
    -------
    X_balanced : ndarray of shape (n_clips + n_added, n_samples)
        ``X`` (unchanged, first) followed by the shifted copies.
    y_balanced : ndarray of shape (n_clips + n_added,)
        ``y`` followed by the copies' labels.
    groups_balanced : ndarray of shape (n_clips + n_added,)
        Only when ``groups`` is given.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo, 2018,
       section 5.2.3 (pitch shifts of an integer number of semitones between -12
       and 12 until every class has 600 training examples).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(4000) / 8000
    >>> X = np.stack([np.sin(2 * np.pi * f * t) for f in (300, 400, 500, 600)])
    >>> Xb, yb = pitch_shift_balance(X, ["a", "a", "a", "b"], sr=8000, random_state=0)
    >>> Xb.shape, yb.tolist()
    ((6, 4000), ['a', 'a', 'a', 'b', 'b', 'b'])
    """
    name = "pitch_shift_balance"
    X = check_waveforms(X, name=name)
    y, groups = check_labels(y, groups, X.shape[0], name=name)
    sr = check_scalar_real(sr, "sr", owner=name, min_val=0, include_min=False)
    max_semitones = check_positive_int(max_semitones, "max_semitones", owner=name)
    classes, counts = np.unique(y, return_counts=True)
    target = counts.max() if n_per_class is None else \
        check_positive_int(n_per_class, "n_per_class", owner=name)
    rng = check_random_state(random_state)
    steps = np.concatenate([np.arange(-max_semitones, 0), np.arange(1, max_semitones + 1)])
    sources = []
    for label, count in zip(classes, counts):
        if count >= target:
            continue
        members = np.flatnonzero(y == label)
        need = target - count
        order = np.concatenate([rng.permutation(members)
                                for _ in range(-(-need // members.size))])
        sources.extend(order[:need])
    sources = np.asarray(sources, dtype=int)
    n_steps = [int(rng.choice(steps)) for _ in sources]
    shifted = _pitch_shift_clips(X, sources, n_steps, sr=sr, dtype=X.dtype)
    X_out = np.concatenate([X, shifted])
    y_out = np.concatenate([y, y[sources]])
    if groups is None:
        return X_out, y_out
    return X_out, y_out, np.concatenate([groups, groups[sources]])
