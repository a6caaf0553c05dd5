"""Input validation shared by every skaudio transformer.

Each helper raises a ``ValueError`` or ``TypeError`` whose message names the
component, the argument and what to do, so that bad input never fails deep
inside numpy, librosa or Keras.
"""

import numbers
import os
import warnings

import numpy as np
from sklearn.exceptions import DataConversionWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import _num_samples, check_array, check_non_negative

FLOAT_DTYPES = (np.float32, np.float64)


def _ndim_of(X, name):
    """Return the number of dimensions of array-like ``X`` without copying it."""
    if hasattr(X, "ndim") and hasattr(X, "shape"):
        return X.ndim
    try:
        return np.asarray(X).ndim
    except ValueError as exc:  # ragged nested lists
        raise ValueError(
            f"{name} expects a rectangular array; got a ragged sequence whose "
            f"rows have different lengths ({exc}). Pad or trim the clips to one "
            "length first, for example with skaudio.AudioLoader(duration=...)."
        ) from None


def _is_valid_float_ndarray(X, ensure_all_finite):
    """Whether ``check_array`` would return a plain float ndarray unchanged.

    The fast path of the checks below: ``check_array`` costs about 0.1 ms per
    call, most of it looking for dataframes, which single-clip prediction
    pays once per pipeline step. Anything else takes the full check, which
    also words the errors.
    """
    if type(X) is not np.ndarray or X.dtype not in FLOAT_DTYPES or X.ndim < 2:
        return False
    if X.shape[0] == 0 or X.shape[1] == 0:
        return False
    if not ensure_all_finite:
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(X.sum()) or np.isfinite(X).all())


def pcm_to_float(X):
    """Integer PCM samples as float32 in [-1, 1), as audio libraries read them.

    A signed integer of ``b`` bits is divided by ``2**(b - 1)`` (int16 by
    32768, int32 by 2**31); an unsigned one (8-bit WAV) is centred on
    ``2**(b - 1)`` first. This is what ``soundfile.read(..., dtype="float32")``
    and ``librosa.load`` return for the same file, so a pipeline gives the same
    output whether it is fed the integers or the floats.

    Examples
    --------
    >>> pcm_to_float(np.array([[-32768, 0, 16384]], dtype=np.int16)).tolist()
    [[-1.0, 0.0, 0.5]]
    >>> pcm_to_float(np.array([[0, 128, 255]], dtype=np.uint8)).tolist()
    [[-1.0, 0.0, 0.9921875]]
    """
    info = np.iinfo(X.dtype)
    half = 2.0 ** (info.bits - 1)
    offset = half if info.min == 0 else 0.0
    return ((X.astype(np.float64) - offset) / half).astype(np.float32)


def check_waveforms(X, *, name):
    """Validate a batch of waveforms of shape ``(n_clips, n_samples)``.

    Returns a floating array (float32 and float64 are kept; integer arrays,
    dataframes included, are PCM of their width and become float32 in [-1, 1)
    by :func:`pcm_to_float` -- int64, Python's default for lists of ints, is
    divided by 2**63; anything else becomes float32). The caller's array is
    never modified.
    """
    ndim = _ndim_of(X, name)
    if ndim != 2:
        raise ValueError(
            f"{name} expects waveforms of shape (n_clips, n_samples); got a "
            f"{ndim}-D array. Reshape your data: a single clip x becomes "
            "x[np.newaxis, :]."
        )
    if _is_valid_float_ndarray(X, ensure_all_finite=True):
        return X
    array = X if isinstance(X, np.ndarray) else np.asarray(X)  # lists, dataframes
    if np.issubdtype(array.dtype, np.integer):
        return pcm_to_float(check_array(array, dtype=None, estimator=name, input_name="X"))
    if array.dtype in FLOAT_DTYPES and np.isnan(array).any():
        raise ValueError(
            f"{name} expects finite waveforms of one length; X holds NaN. NaN after a "
            "clip's end marks clips of different lengths (AudioLoader(pad_mode='nan'), "
            "skaudio.ragged), which WaveformMaxPool and CABCNNClassifier take; for "
            "this step, load with pad_mode='constant' or 'repeat'."
        )
    return check_array(
        X,
        dtype=FLOAT_DTYPES if _is_float_array(X) else np.float32,
        ensure_all_finite=True,
        estimator=name,
        input_name="X",
    )


def check_labels(y, groups, n_clips, *, name, multi_output=False):
    """Validate labels (and optional groups) for ``n_clips`` clips.

    ``y`` holds one label per clip, shape ``(n_clips,)``; with
    ``multi_output`` also ``(n_clips, n_outputs)`` (a multi-label indicator
    matrix). ``groups``, when given, has shape ``(n_clips,)``. Returns both as
    arrays; the caller's arrays are never modified.
    """
    y = np.asarray(y)
    if y.ndim == 0 or y.shape[0] != n_clips or y.ndim > (2 if multi_output else 1):
        shape = f"({n_clips},)" + (f" or ({n_clips}, n_outputs)" if multi_output else "")
        raise ValueError(
            f"{name}: y must hold one label per clip, shape {shape}; got shape {y.shape}."
        )
    if groups is not None:
        groups = np.asarray(groups)
        if groups.shape != (n_clips,):
            raise ValueError(
                f"{name}: groups must hold one group per clip, shape ({n_clips},); got "
                f"shape {groups.shape}."
            )
    return y, groups


def check_time_frequency(X, *, name, non_negative=True, min_ndim=2, max_ndim=4,
                         check_values=True):
    """Validate a batch of time-frequency samples.

    Accepts ``(n_samples, n_features)`` (each row one flattened sample),
    ``(n_samples, n_frames, n_bands)`` and ``(n_samples, n_frames, n_bands,
    n_channels)``. Float32 and float64 are kept; other dtypes become float64.
    ``check_values=False`` checks the shape and dtype only, for callers that
    check finiteness and sign themselves while they pass over the data (and
    call this function again, with the checks, to raise the error).
    """
    ndim = _ndim_of(X, name)
    if not min_ndim <= ndim <= max_ndim:
        shapes = {
            2: "(n_samples, n_features)",
            3: "(n_samples, n_frames, n_bands)",
            4: "(n_samples, n_frames, n_bands, n_channels)",
        }
        allowed = " or ".join(shapes[k] for k in range(min_ndim, max_ndim + 1))
        raise ValueError(
            f"{name} expects a time-frequency array of shape {allowed}; got a "
            f"{ndim}-D array. Reshape your data: a single sample S becomes "
            "S[np.newaxis]."
        )
    if not _is_valid_float_ndarray(X, ensure_all_finite=check_values):
        X = check_array(
            X,
            dtype=list(FLOAT_DTYPES),
            allow_nd=True,
            ensure_all_finite=check_values,
            ensure_min_features=1,
            estimator=name,
            input_name="X",
        )
    if X.size == 0:
        raise ValueError(
            f"{name} got an empty time-frequency array of shape {X.shape}; "
            "every sample needs at least one frame and one band."
        )
    if non_negative and check_values:
        check_non_negative(X, name)
    return X


def check_scalar_real(value, name, *, owner, min_val=None, include_min=True,
                      allow_inf=False):
    """Check that a parameter is a real number within bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner}: {name} must be a real number; got {value!r} "
            f"of type {type(value).__name__}."
        )
    if np.isnan(value) or (np.isinf(value) and not allow_inf):
        raise ValueError(f"{owner}: {name} must be finite; got {value!r}.")
    if min_val is not None:
        if value < min_val or (value == min_val and not include_min):
            bound = ">=" if include_min else ">"
            raise ValueError(
                f"{owner}: {name} must be {bound} {min_val}; got {value!r}."
            )
    return float(value)


def check_positive_int(value, name, *, owner):
    """Check that a parameter is a positive integer and return it as an int."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer; got {value!r}.")
    return int(value)


def seed_of(random_state):
    """``random_state`` as an int seed: None stays None, an int is kept, a
    ``RandomState`` instance draws one (so each call advances it)."""
    if random_state is None:
        return None
    if isinstance(random_state, numbers.Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(2**31 - 1))


def check_paths(X, *, name):
    """Validate a 1-D sequence of audio file paths and return it as a list."""
    if isinstance(X, (str, bytes, os.PathLike)):
        raise TypeError(
            f"{name} expects a list of file paths; got a single path {X!r}. "
            "Wrap it in a list: [path]."
        )
    try:
        paths = np.asarray(X, dtype=object)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} expects a list of file paths; got {type(X).__name__}."
        ) from None
    if paths.ndim == 2 and paths.shape[1] == 1:  # a column, as ColumnTransformer gives
        paths = paths[:, 0]
    if paths.ndim != 1:
        raise ValueError(
            f"{name} expects a 1-D list of file paths; got an array of shape "
            f"{paths.shape}."
        )
    if len(paths) == 0:
        raise ValueError(f"{name} got an empty list of file paths.")
    for p in paths:
        if not isinstance(p, (str, os.PathLike)):
            raise TypeError(
                f"{name} expects file paths (str or os.PathLike); got "
                f"{p!r} of type {type(p).__name__}. Waveform arrays go straight "
                "to MelSpectrogram."
            )
    return [os.fspath(p) for p in paths]


def _is_float_array(X):
    dtype = getattr(X, "dtype", None)
    return dtype is not None and dtype in FLOAT_DTYPES


def check_label_vector(y, X, *, name, multi_label=False):
    """``y`` as an array of one label per sample of ``X`` (a meta-estimator's targets).

    A column vector is flattened with scikit-learn's ``DataConversionWarning``;
    ``multi_label`` also accepts a 2-D indicator matrix. Returns a new array
    or a view; the caller's ``y`` is not modified.
    """
    if y is None:
        raise ValueError(f"{name} requires y to be passed, but the target y is None.")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn("A column-vector y was passed when a 1d array was expected; "
                      "it is flattened.", DataConversionWarning, stacklevel=3)
        y = y.ravel()
    n_samples = _num_samples(X)
    if y.ndim == 0 or y.shape[0] != n_samples:
        raise ValueError(f"X and y have different lengths: {n_samples} samples, "
                         f"{0 if y.ndim == 0 else y.shape[0]} labels.")
    if y.ndim != 1 and not (multi_label and y.ndim == 2):
        shape = "(n_samples,)" + (" or a 0/1 indicator matrix" if multi_label else "")
        raise ValueError(f"{name} expects y of shape {shape}; got shape {y.shape}.")
    return y
