"""Fixed-length windows cut from clips, and window predictions averaged per clip.

The raw-waveform network of Abrol and Sharma trains on 2-s pieces cut from
longer recordings (section IV-C), each a training example with its
recording's label; skaudio classifies a recording by the average of its
windows' probabilities. These are the plain functions behind that.
"""

import numpy as np

__all__ = [
    "average_per_clip",
    "cut_windows",
    "window_starts",
]



def window_starts(n_samples, window, hop):
    """First sample of every window of ``window`` samples, ``hop`` apart.

    Windows start at 0, ``hop``, ``2 hop``, ... while they fit in the clip;
    when the last one stops short of the clip's end, one more window ends
    exactly at the end, so that every sample is in a window. A clip shorter
    than a window gives one window at 0 (padded by
    :func:`skaudio.windows.cut_windows`).

    Parameters
    ----------
    n_samples : int
        Length of the clip.
    window : int
        Samples per window.
    hop : int
        Samples between the starts of consecutive windows (``window`` minus
        the overlap).

    Returns
    -------
    ndarray of int of shape (n_windows,)
        Increasing start samples; the last window ends at ``n_samples`` or
        (for a clip shorter than ``window``) is the single window at 0.

    Raises
    ------
    ValueError
        ``window`` or ``hop`` below one sample.

    References
    ----------
    .. [1] V. Abrol and P. Sharma, "Learning hierarchy aware embedding from raw
       audio for acoustic scene classification," IEEE/ACM Transactions on
       Audio, Speech, and Language Processing, 2020, section IV-C (the
       network trains on 2 s windows chunked, overlapping by 0.5 s, from 5 s
       recordings).

    Examples
    --------
    With 2 s windows at 16 kHz overlapping by 0.5 s (a hop of 1.5 s), a 5 s
    clip gives three windows, the last one ending at the clip's end:

    >>> (window_starts(80000, 32000, 24000) / 16000).tolist()
    [0.0, 1.5, 3.0]
    >>> window_starts(10, 4, 3).tolist()
    [0, 3, 6]
    >>> window_starts(11, 4, 3).tolist()
    [0, 3, 6, 7]
    >>> window_starts(3, 4, 2).tolist()
    [0]
    """
    if window < 1 or hop < 1:
        raise ValueError(f"window and hop must be at least one sample; got window="
                         f"{window}, hop={hop}.")
    if n_samples <= window:
        return np.zeros(1, dtype=int)
    starts = np.arange(0, n_samples - window + 1, hop)
    if starts[-1] + window < n_samples:
        starts = np.append(starts, n_samples - window)
    return starts


def cut_windows(X, window, hop):
    """Every clip's windows, and the clip each window comes from.

    Parameters
    ----------
    X : ndarray of shape (n_clips, n_samples)
        Clips of one length.
    window, hop : int
        As :func:`skaudio.windows.window_starts`. Clips shorter than
        ``window`` are padded with zeros at the end, as
        :class:`skaudio.AudioLoader` pads (``pad_mode="constant"``).

    Returns
    -------
    windows : ndarray of shape (n_clips * n_windows, window)
        Clip 0's windows first, then clip 1's, ..., in the dtype of ``X``;
        ``n_windows`` is ``len(window_starts(n_samples, window, hop))``.
    clip_index : ndarray of int of shape (n_clips * n_windows,)
        The row of ``X`` each window comes from.

    Raises
    ------
    ValueError
        ``X`` not 2-D, or ``window`` or ``hop`` below one sample.

    See Also
    --------
    skaudio.windows.average_per_clip : the windows' outputs back to one row
        per clip.

    References
    ----------
    .. [1] V. Abrol and P. Sharma, "Learning hierarchy aware embedding from raw
       audio for acoustic scene classification," IEEE/ACM Transactions on
       Audio, Speech, and Language Processing, 2020, section IV-C (the
       network trains on 2 s windows chunked, overlapping by 0.5 s, from 5 s
       recordings).

    Examples
    --------
    >>> import numpy as np
    >>> windows, clips = cut_windows(np.arange(10.0).reshape(2, 5), window=3, hop=2)
    >>> windows.tolist()
    [[0.0, 1.0, 2.0], [2.0, 3.0, 4.0], [5.0, 6.0, 7.0], [7.0, 8.0, 9.0]]
    >>> clips.tolist()
    [0, 0, 1, 1]
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"cut_windows takes clips of shape (n_clips, n_samples); got "
                         f"shape {X.shape}.")
    if X.shape[1] < window:
        X = np.pad(X, ((0, 0), (0, window - X.shape[1])))
    starts = window_starts(X.shape[1], window, hop)
    windows = X[:, starts[:, None] + np.arange(window)]  # (n_clips, n_windows, window)
    clip_index = np.repeat(np.arange(X.shape[0]), starts.size)
    return windows.reshape(-1, window), clip_index


def average_per_clip(values, clip_index, n_clips):
    """The mean of the rows of ``values`` that belong to each clip.

    Parameters
    ----------
    values : ndarray of shape (n_windows, ...)
        One row per window (probabilities, embeddings).
    clip_index : ndarray of int of shape (n_windows,)
        The clip of every window.
    n_clips : int
        Number of clips; every clip ``0 .. n_clips - 1`` needs a window.

    Returns
    -------
    ndarray of shape (n_clips, ...)
        Row ``i`` is the unweighted mean of the windows of clip ``i``, in
        ``numpy.result_type(values, numpy.float32)`` (float32 for float32
        probabilities, float64 for float64).

    Raises
    ------
    ValueError
        A clip without a window.

    See Also
    --------
    skaudio.windows.cut_windows : the windows and their ``clip_index``.

    References
    ----------
    .. [1] V. Abrol and P. Sharma, "Learning hierarchy aware embedding from raw
       audio for acoustic scene classification," IEEE/ACM Transactions on
       Audio, Speech, and Language Processing, 2020, section IV-C (the
       network trains on 2 s windows chunked, overlapping by 0.5 s, from 5 s
       recordings); averaging the windows'
       outputs is how skaudio scores a whole recording.

    Examples
    --------
    >>> import numpy as np
    >>> average_per_clip(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]),
    ...                  np.array([0, 0, 1]), 2).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    values = np.asarray(values)
    counts = np.bincount(clip_index, minlength=n_clips)
    if (counts == 0).any():
        raise ValueError(f"clip {int(np.argmin(counts))} has no window.")
    sums = np.zeros((n_clips, *values.shape[1:]), dtype=np.result_type(values, np.float32))
    np.add.at(sums, clip_index, values)
    return sums / counts.reshape(-1, *([1] * (values.ndim - 1)))
