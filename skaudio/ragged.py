"""Clips of different lengths in one array: NaN after each clip's end.

Raw-waveform networks (CAB-CNN) classify each clip at its own length, while
scikit-learn moves samples through a :class:`~sklearn.pipeline.Pipeline`,
``GridSearchCV``'s folds, ``cross_val_score`` and joblib's caches as arrays
it can index by row. skaudio therefore holds a batch of clips of different
lengths as one float array of shape ``(n_clips, longest)``, each row a clip
followed by NaN up to the longest: the convention of tslearn's variable-length
time series. A finite value is always a sample and NaN never is (waveform
checks reject NaN inside a clip), so the end of every clip is exact, the array
slices, hashes and pickles like any other, and clips of one length are plain
2-D arrays without NaN. :class:`~skaudio.AudioLoader` ``(pad_mode="nan")``
decodes files into this form; a list of 1-D arrays is accepted wherever it is.

>>> import numpy as np
>>> X = pad_clips([np.ones(3, np.float32), np.arange(2, dtype=np.float32)])
>>> X
array([[ 1.,  1.,  1.],
       [ 0.,  1., nan]], dtype=float32)
>>> clip_lengths(X).tolist()
[3, 2]
>>> [clip.tolist() for clip in unpad(X)]
[[1.0, 1.0, 1.0], [0.0, 1.0]]
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_array

from ._validation import FLOAT_DTYPES, pcm_to_float

__all__ = ["check_clips", "clip_lengths", "pad_clips", "unpad"]


def _is_clip_sequence(X):
    """Whether ``X`` is a sequence of clips (a list or an object array of 1-D arrays)."""
    if isinstance(X, np.ndarray):
        return X.dtype == object and X.ndim == 1
    if not isinstance(X, (list, tuple)) or not X:
        return False
    return all(np.ndim(clip) == 1 for clip in X)


def pad_clips(clips, *, name="pad_clips"):
    """Stack 1-D clips of any lengths into one NaN-padded array.

    Parameters
    ----------
    clips : sequence of 1-D array-like
        Float or integer samples; every clip finite and at least one sample
        long. Integer clips are PCM, scaled to [-1, 1) as ``soundfile`` and
        librosa read them (int16 divided by 32768, unsigned 8-bit centred
        first); other non-float clips are cast to float32.
    name : str, default="pad_clips"
        The caller, named in errors.

    Returns
    -------
    ndarray of shape (n_clips, longest)
        Row ``i`` holds clip ``i`` followed by NaN up to the longest clip's
        length; float64 where any clip is float64, else float32.

    Raises
    ------
    ValueError
        No clips; a clip that is not 1-D, empty, non-numeric or holds NaN or
        infinite samples.

    See Also
    --------
    skaudio.ragged.unpad : the clips back, as 1-D views.
    skaudio.ragged.check_clips : validate either form for an estimator.

    References
    ----------
    .. [1] H. Lu, H. Zhang and A. Nayak, "A deep neural network for audio
       classification with a classifier attention mechanism" (preprint,
       University of Ottawa), section 4 ("Model training": at most the first
       T seconds of each file, a shorter file whole), the variable-length
       clips this module holds.

    Examples
    --------
    >>> import numpy as np
    >>> X = pad_clips([np.ones(3, np.float32), np.array([1000, -16384], np.int16)])
    >>> X
    array([[ 1.        ,  1.        ,  1.        ],
           [ 0.03051758, -0.5       ,         nan]], dtype=float32)
    """
    arrays = []
    for i, clip in enumerate(clips):
        clip = np.asarray(clip)
        if clip.ndim != 1:
            raise ValueError(f"{name}: clip {i} must be 1-D (one channel); got shape "
                             f"{clip.shape}.")
        if np.issubdtype(clip.dtype, np.integer):
            clip = pcm_to_float(clip)
        elif clip.dtype not in FLOAT_DTYPES:
            try:
                clip = clip.astype(np.float32)
            except (TypeError, ValueError):
                raise ValueError(f"{name}: clip {i} holds non-numeric values of dtype "
                                 f"{clip.dtype}.") from None
        if clip.size == 0:
            raise ValueError(f"{name}: clip {i} is empty; every clip needs at least one "
                             "sample.")
        if not np.isfinite(clip).all():
            raise ValueError(f"{name}: clip {i} holds NaN or infinite samples.")
        arrays.append(clip)
    if not arrays:
        raise ValueError(f"{name}: got no clips; pass at least one.")
    dtype = np.result_type(*arrays)
    out = np.full((len(arrays), max(clip.size for clip in arrays)), np.nan, dtype=dtype)
    for row, clip in zip(out, arrays):
        row[:clip.size] = clip
    return out


def clip_lengths(X):
    """The length of every clip of a NaN-padded array: its samples before the NaN.

    A clip's length is the index after its last finite sample; NaN is not
    looked for inside a clip (:func:`skaudio.ragged.check_clips` rejects it).

    Parameters
    ----------
    X : ndarray of shape (n_clips, n_samples)
        Clips, each followed by NaN up to ``n_samples`` (see
        :func:`skaudio.ragged.pad_clips`).

    Returns
    -------
    ndarray of int of shape (n_clips,)
        Samples in each clip; 0 for a row that is all NaN.

    References
    ----------
    .. [1] H. Lu, H. Zhang and A. Nayak, "A deep neural network for audio
       classification with a classifier attention mechanism" (preprint,
       University of Ottawa), section 4 ("Model training": at most the first
       T seconds of each file, a shorter file whole), the variable-length
       clips this module holds.

    Examples
    --------
    >>> import numpy as np
    >>> clip_lengths(np.array([[0.1, 0.2, 0.3], [0.5, np.nan, np.nan]])).tolist()
    [3, 1]
    """
    finite = ~np.isnan(X)
    last = X.shape[1] - np.argmax(finite[:, ::-1], axis=1)
    return np.where(finite.any(axis=1), last, 0)


def unpad(X):
    """The clips of a NaN-padded array, as a list of 1-D views.

    Parameters
    ----------
    X : ndarray of shape (n_clips, n_samples)
        Clips, each followed by NaN up to ``n_samples`` (see
        :func:`skaudio.ragged.pad_clips`).

    Returns
    -------
    list of ndarray
        Clip ``i`` as ``X[i, :length_i]``, a view of ``X`` (no copy) of the
        length :func:`skaudio.ragged.clip_lengths` gives.

    References
    ----------
    .. [1] H. Lu, H. Zhang and A. Nayak, "A deep neural network for audio
       classification with a classifier attention mechanism" (preprint,
       University of Ottawa), section 4 ("Model training": at most the first
       T seconds of each file, a shorter file whole), the variable-length
       clips this module holds.

    Examples
    --------
    >>> import numpy as np
    >>> [clip.tolist() for clip in unpad(np.array([[0.1, 0.2], [0.5, np.nan]]))]
    [[0.1, 0.2], [0.5]]
    """
    return [row[:n] for row, n in zip(X, clip_lengths(X))]


def check_clips(X, *, name):
    """Validate clips of any lengths; return them NaN-padded, and their lengths.

    Parameters
    ----------
    X : array-like of shape (n_clips, n_samples), or sequence of 1-D array-like
        A 2-D array (NaN after a clip's end marks a shorter clip: this
        module's convention), or a list (or object array) of 1-D clips.
        Integer samples are PCM, scaled to [-1, 1) (see
        :func:`skaudio.ragged.pad_clips`); other non-float input becomes
        float32.
    name : str
        The caller, named in errors.

    Returns
    -------
    X : ndarray of shape (n_clips, longest)
        float32 or float64; the caller's array is never modified.
    lengths : ndarray of int of shape (n_clips,)
        Samples in each clip, as :func:`skaudio.ragged.clip_lengths`.

    Raises
    ------
    ValueError
        An array that is not 2-D, a clip that is all NaN, NaN before a clip's
        last finite sample, infinite values, or a sequence whose clips
        :func:`skaudio.ragged.pad_clips` refuses.
    TypeError
        Sparse input.

    References
    ----------
    .. [1] H. Lu, H. Zhang and A. Nayak, "A deep neural network for audio
       classification with a classifier attention mechanism" (preprint,
       University of Ottawa), section 4 ("Model training": at most the first
       T seconds of each file, a shorter file whole), the variable-length
       clips this module holds.

    Examples
    --------
    >>> import numpy as np
    >>> X, lengths = check_clips([np.zeros(4), np.zeros(2)], name="demo")
    >>> X.shape, lengths.tolist()
    ((2, 4), [4, 2])
    >>> check_clips(np.array([[0.1, np.nan, 0.2]]), name="demo")
    Traceback (most recent call last):
    ...
    ValueError: demo: clip 0 holds NaN before its last finite sample. NaN marks only ...
    """
    if _is_clip_sequence(X):
        X = pad_clips(list(X), name=name)
    else:
        if sp.issparse(X):  # scikit-learn's error for sparse input
            check_array(X, accept_sparse=False, estimator=name, input_name="X")
        array = X if isinstance(X, np.ndarray) else np.asarray(X)
        if array.ndim != 2:
            raise ValueError(
                f"{name} expects clips as a 2-D array (n_clips, n_samples), NaN after "
                f"the end of a shorter clip, or as a list of 1-D arrays; got a "
                f"{array.ndim}-D array. Reshape your data: a single clip x becomes [x] "
                "or x[np.newaxis, :]."
            )
        if np.issubdtype(array.dtype, np.integer):
            X = pcm_to_float(check_array(array, dtype=None, estimator=name,
                                         input_name="X"))
        else:
            X = check_array(X, dtype=list(FLOAT_DTYPES) if array.dtype in FLOAT_DTYPES
                            else np.float32, ensure_all_finite="allow-nan",
                            estimator=name, input_name="X")
    lengths = clip_lengths(X)
    if lengths.min() == 0:
        raise ValueError(
            f"{name}: clip {int(np.argmin(lengths))} is all NaN; every clip needs at "
            "least one finite sample (NaN marks the padding after a clip's end)."
        )
    nan_inside = np.isnan(X).sum(axis=1) != X.shape[1] - lengths
    if nan_inside.any():
        raise ValueError(
            f"{name}: clip {int(np.argmax(nan_inside))} holds NaN before its last "
            "finite sample. NaN marks only the padding after a clip's end; a NaN "
            "inside a clip is missing data to repair (or drop) first."
        )
    return X, lengths
