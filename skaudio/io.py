"""Audio decoding: :func:`load_audio` and the :class:`AudioLoader` transformer.

Decoding goes through soundfile (libsndfile: WAV, FLAC, OGG/Vorbis, Opus and,
with libsndfile >= 1.1, MP3); resampling through soxr at the quality librosa
uses by default (``soxr_hq``), so the waveforms equal ``librosa.load``'s.
"""

import os
from numbers import Integral, Real

import numpy as np
import soundfile as sf
import soxr
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._params import N_JOBS_CONSTRAINT, check_params, invalid_parameter
from ._validation import check_paths
from .base import ArrayOutputMixin, VersionedStateMixin

__all__ = [
    "AudioLoader",
    "fit_length",
    "load_audio",
    "load_files",
]


PAD_MODES = ("constant", "repeat")
# AudioLoader's: also "nan", clips at their own lengths (skaudio.ragged).
_LOADER_PAD_MODES = (*PAD_MODES, "nan")

# Sample rates and durations: finite and positive; offsets: finite, from 0.
_POSITIVE = Interval(Real, 0, np.inf, closed="neither")
_NON_NEGATIVE = Interval(Real, 0, np.inf, closed="left")
_LOAD_AUDIO_CONSTRAINTS = {
    "sr": [_POSITIVE, None],
    "mono": ["boolean"],
    "duration": [_POSITIVE, None],
    "offset": [_NON_NEGATIVE],
}
_LOAD_FILES_CONSTRAINTS = {
    "sr": [_POSITIVE],
    "duration": [_POSITIVE],
    "pad_mode": [StrOptions(set(PAD_MODES))],
    "on_error": [StrOptions({"raise", "skip"})],
    "n_jobs": [Integral, None],
    "callback": [callable, None],
}

# Files one thread decodes per task of AudioLoader.transform.
_FILES_PER_TASK = 16


def load_audio(path, sr=16000, *, mono=True, duration=None, offset=0.0):
    """Decode one audio file to a float32 waveform.

    Parameters
    ----------
    path : str or os.PathLike
        The file to decode (WAV, FLAC, OGG, and MP3 where libsndfile can).
    sr : int or None, default=16000
        Target sample rate in Hz; ``None`` keeps the file's own rate.
    mono : bool, default=True
        Average the channels into one.
    duration : float or None, default=None
        Seconds to read from ``offset``; ``None`` reads to the end.
    offset : float, default=0.0
        Seconds to skip at the start. Only the requested frames are decoded.

    Returns
    -------
    y : ndarray of float32
        Shape ``(n_samples,)`` if ``mono`` else ``(n_channels, n_samples)``.
    sr : int
        The sample rate of ``y``.

    Raises
    ------
    ValueError
        If the file is missing, is a directory, or cannot be decoded; the
        message names the file and the reason.

    See Also
    --------
    skaudio.io.load_files : many files into one fixed-length batch.
    skaudio.io.AudioLoader : the same as a scikit-learn transformer.

    References
    ----------
    .. [1] B. McFee et al., "librosa: Audio and music signal analysis in python,"
       Proc. 14th Python in Science Conference, 2015 (the conventions of
       ``librosa.load``: float32 samples (integer PCM scaled to [-1, 1]),
       channels averaged to mono, ``soxr_hq`` resampling).

    Examples
    --------
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> sf.write(path, np.zeros(8000, dtype=np.float32), 8000)
    >>> y, sr = load_audio(path, sr=16000)
    >>> y.shape, y.dtype, sr
    ((16000,), dtype('float32'), 16000)
    """
    check_params(_LOAD_AUDIO_CONSTRAINTS,
                 {"sr": sr, "mono": mono, "duration": duration, "offset": offset},
                 "load_audio")
    return _decode(os.fspath(path), None if sr is None else int(sr), float(offset),
                   None if duration is None else float(duration), mono)


def _decode(path, sr, offset, duration, mono=True):
    """:func:`load_audio` on checked arguments: decode, mix down, resample."""
    data, native_sr = _read(path, offset, duration)
    if mono:
        data = data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0]
    if sr is not None and sr != native_sr and data.shape[0] > 0:
        data = soxr.resample(data, native_sr, sr, quality="HQ")
    else:
        sr = native_sr
    data = np.ascontiguousarray(data.T if data.ndim == 2 else data, dtype=np.float32)
    return data, sr


# Frames a header may declare before they are read in blocks instead of in one
# array of the declared size: 2**24 float32 frames are 64 MiB a channel.
_TRUSTED_FRAMES = 2**24
_BLOCK_FRAMES = 2**20


def _read_frames(f, n):
    """Up to ``n`` frames (all for -1) of the open ``soundfile.SoundFile`` ``f``.

    ``soundfile`` allocates the frame count the header declares before
    decoding: a corrupt or hostile FLAC header declaring 2**36 samples asks
    for 256 GiB. Beyond :data:`_TRUSTED_FRAMES` the frames are therefore read
    in blocks until the data ends, so memory follows what the file holds.
    """
    declared = max(f.frames - f.tell(), 0)
    n = declared if n < 0 else min(n, declared)
    if n <= _TRUSTED_FRAMES:
        return f.read(n, dtype="float32", always_2d=True)
    blocks = []
    while n > 0:
        block = f.read(min(_BLOCK_FRAMES, n), dtype="float32", always_2d=True)
        blocks.append(block)
        n -= block.shape[0]
        if block.shape[0] < _BLOCK_FRAMES:  # the data ended before the header said
            break
    return np.concatenate(blocks)


def _read(path, offset, duration):
    """Read ``(n_frames, n_channels)`` float32 frames and the native rate."""
    try:
        with sf.SoundFile(path) as f:
            native_sr = f.samplerate
            start = int(round(offset * native_sr))
            if start:
                f.seek(min(start, f.frames))
            n = -1 if duration is None else int(round(duration * native_sr))
            data = _read_frames(f, n)
    except (sf.LibsndfileError, RuntimeError, TypeError, OSError) as exc:
        # Diagnose only on failure: the common path makes no extra system call.
        if not os.path.exists(path):
            raise ValueError(f"Cannot read audio file {path!r}: no such file.") from None
        if os.path.isdir(path):
            raise ValueError(
                f"Cannot read audio file {path!r}: it is a directory.") from None
        raise ValueError(
            f"Cannot read audio file {path!r}: soundfile (libsndfile "
            f"{sf.__libsndfile_version__}) could not decode it: {exc}"
        ) from None
    if not np.isfinite(data).all():
        raise ValueError(f"Audio file {path!r} decodes to NaN or infinite samples.")
    return data, native_sr


def fit_length(y, n_samples, pad_mode="constant"):
    """Trim or pad a 1-D waveform to exactly ``n_samples``.

    A longer clip keeps its first ``n_samples``. ``pad_mode="constant"``
    appends zeros; ``"repeat"`` tiles the clip until it is long enough (the
    repeat-to-length of Xu's thesis, section 5.2.3). An empty clip is padded
    with zeros in either mode.

    Parameters
    ----------
    y : ndarray of shape (n,)
        The waveform.
    n_samples : int
        Length of the output in samples.
    pad_mode : {"constant", "repeat"}, default="constant"
        How a shorter clip is lengthened: zeros, or the clip repeated.

    Returns
    -------
    ndarray of shape (n_samples,)
        In the dtype of ``y``; a view of ``y`` when it is trimmed, a new array
        when it is padded.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo, 2018,
       section 5.2.3 (shorter clips repeated and concatenated to a fixed length).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> fit_length(y, 7, pad_mode="repeat")
    array([1., 2., 3., 1., 2., 3., 1.])
    >>> fit_length(y, 5), fit_length(y, 2)
    (array([1., 2., 3., 0., 0.]), array([1., 2.]))
    """
    if pad_mode not in PAD_MODES:
        raise ValueError(f"pad_mode must be one of {PAD_MODES}; got {pad_mode!r}.")
    if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 0:
        raise ValueError(f"n_samples must be a non-negative int; got {n_samples!r}.")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"fit_length expects a 1-D waveform; got shape {y.shape}.")
    if y.shape[0] >= n_samples:
        return y[:n_samples]
    if pad_mode == "repeat" and y.shape[0] > 0:
        return np.resize(y, n_samples)
    out = np.zeros(n_samples, dtype=y.dtype)
    out[: y.shape[0]] = y
    return out


def _fit_into(row, y, pad_mode):
    """Write ``fit_length(y, row.size, pad_mode)`` into ``row`` without a copy."""
    n = min(y.shape[0], row.shape[0])
    row[:n] = y[:n]
    if n == row.shape[0]:
        return
    if pad_mode == "repeat" and n > 0:
        filled = n
        while filled < row.shape[0]:  # doubling copies: log2(ratio) passes
            step = min(filled, row.shape[0] - filled)
            row[filled:filled + step] = row[:step]
            filled += step
    else:
        row[n:] = np.nan if pad_mode == "nan" else 0.0


def load_files(filenames, *, sr=16000, duration=1.0, pad_mode="constant",
               on_error="raise", n_jobs=None, callback=None):
    """Decode files into one ``(n, sr * duration)`` batch, reporting the ones that fail.

    Unlike :class:`AudioLoader`, which stops at the first file it cannot
    decode, ``on_error="skip"`` goes on without such files and says which
    they were and why; nothing is dropped silently.

    Parameters
    ----------
    filenames : sequence of str or os.PathLike
        The audio files, in the order of the output's rows.
    sr : int, default=16000
        Sample rate of the output in Hz.
    duration : float, default=1.0
        Seconds of every clip: longer files are cut, shorter ones padded.
    pad_mode : {"constant", "repeat"}, default="constant"
        As :func:`fit_length`.
    on_error : {"raise", "skip"}, default="raise"
        A file that cannot be decoded raises ``ValueError`` (naming it and the
        reason), or is left out and listed in ``errors``.
    n_jobs : int or None, default=None
        Decoding threads (``None``, ``-1`` or any int below 1: one per core).
    callback : callable or None, default=None
        Called with the number of files done so far after each file (a
        progress bar's update).

    Returns
    -------
    Bunch
        ``data`` float32 of shape ``(n_decoded, n_samples)``, ``decoded`` (a
        boolean mask over ``filenames``) and ``errors``, a list of
        ``(filename, reason)``.

    Raises
    ------
    ValueError
        With ``on_error="raise"``, for the first file (in order) that cannot
        be decoded.
    InvalidParameterError
        A ``ValueError``/``TypeError`` for an invalid ``sr``, ``duration``,
        ``pad_mode``, ``on_error``, ``n_jobs`` or ``callback``, before any
        file is read.

    References
    ----------
    .. [1] B. McFee et al., "librosa: Audio and music signal analysis in python,"
       Proc. 14th Python in Science Conference, 2015 (decoding and
       resampling as ``librosa.load``, through :func:`skaudio.io.load_audio`).

    Examples
    --------
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> sf.write(os.path.join(folder, "a.wav"), np.zeros(4000, np.float32), 8000)
    >>> open(os.path.join(folder, "b.wav"), "w").write("not audio")
    9
    >>> out = load_files([os.path.join(folder, f) for f in ("a.wav", "b.wav")],
    ...                  sr=8000, duration=1.0, on_error="skip")
    >>> out.data.shape, out.decoded.tolist(), len(out.errors)
    ((1, 8000), [True, False], 1)
    """
    from concurrent.futures import ThreadPoolExecutor

    from sklearn.utils import Bunch

    # Checked here, not per file: with on_error="skip" a bad sr or duration
    # would otherwise skip every file, each with the same parameter error.
    check_params(_LOAD_FILES_CONSTRAINTS,
                 {"sr": sr, "duration": duration, "pad_mode": pad_mode, "on_error": on_error,
                  "n_jobs": n_jobs, "callback": callback}, "load_files")
    filenames = [os.fspath(f) for f in filenames]
    n_samples = int(round(float(duration) * sr))
    data = np.zeros((len(filenames), n_samples), dtype=np.float32)
    decoded = np.zeros(len(filenames), dtype=bool)
    errors = []

    def decode(i):
        try:
            y, _ = load_audio(filenames[i], sr=sr, duration=duration)
        except ValueError as exc:
            return i, str(exc)
        _fit_into(data[i], y, pad_mode)
        return i, None

    workers = n_jobs if n_jobs and n_jobs > 0 else os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for done, (i, error) in enumerate(pool.map(decode, range(len(filenames))), 1):
            if error is not None:
                if on_error == "raise":
                    pool.shutdown(cancel_futures=True)
                    raise ValueError(error)
                errors.append((filenames[i], error))
            else:
                decoded[i] = True
            if callback is not None:
                callback(done)
    return Bunch(data=data[decoded], decoded=decoded, errors=errors)


class AudioLoader(VersionedStateMixin, ArrayOutputMixin, TransformerMixin, BaseEstimator):
    """Decode a list of audio files into a fixed-length waveform batch.

    The first stage of a file-based pipeline: ``X`` is a list (or 1-D array) of
    paths; the output is ``(n_clips, n_samples)`` float32 at ``sr``, every clip
    trimmed or padded to one length so that the batch is rectangular.

    Parameters
    ----------
    sr : int, default=16000
        Sample rate of the output in Hz (files are resampled with soxr).
    mono : bool, default=True
        Average the channels. ``False`` is not supported by the batch output
        (it needs one channel per clip) and raises in ``fit``.
    duration : float or None, default=None
        Length of every output clip in seconds. ``None`` uses the longest clip
        seen in ``fit`` (learned as ``n_samples_``).
    offset : float, default=0.0
        Seconds skipped at the start of every file.
    pad_mode : {"constant", "repeat", "nan"}, default="constant"
        How short clips are lengthened: zeros, the clip repeated, or NaN,
        which marks each clip's end and keeps clips at their own lengths for
        the steps that take them (:class:`~skaudio.WaveformMaxPool`,
        :class:`~skaudio.estimators.CABCNNClassifier`; see
        :mod:`skaudio.ragged`).
    n_jobs : int or None, default=None
        Files decoded in parallel threads (``-1``: all cores).
    verbose : int, default=0
        joblib's progress messages while decoding.

    Attributes
    ----------
    n_samples_ : int
        Length of every output clip in samples.

    See Also
    --------
    skaudio.io.load_files : a batch that leaves out the files it cannot decode.

    References
    ----------
    .. [1] B. McFee et al., "librosa: Audio and music signal analysis in python,"
       Proc. 14th Python in Science Conference, 2015 (decoding and
       resampling as ``librosa.load``, the same as :func:`skaudio.io.load_audio`).

    Examples
    --------
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> for i, n in enumerate([4000, 8000]):
    ...     sf.write(os.path.join(d, f"{i}.wav"), np.ones(n, np.float32) / 2, 8000)
    >>> paths = [os.path.join(d, "0.wav"), os.path.join(d, "1.wav")]
    >>> AudioLoader(sr=8000, pad_mode="repeat").fit_transform(paths).shape
    (2, 8000)
    """

    _parameter_constraints = {
        "sr": [_POSITIVE],
        "mono": ["boolean"],
        "duration": [_POSITIVE, None],
        "offset": [_NON_NEGATIVE],
        "pad_mode": [StrOptions(set(_LOADER_PAD_MODES))],
        "n_jobs": N_JOBS_CONSTRAINT,
        "verbose": ["verbose"],
    }

    def __init__(self, sr=16000, mono=True, duration=None, offset=0.0,
                 pad_mode="constant", n_jobs=None, verbose=0):
        self.sr = sr
        self.mono = mono
        self.duration = duration
        self.offset = offset
        self.pad_mode = pad_mode
        self.n_jobs = n_jobs
        self.verbose = verbose

    @classmethod
    def _get_test_params(cls):
        """Cheap configurations for the common tests (see :mod:`skaudio.discovery`)."""
        return [{}]

    def _check_mono(self):
        """The rule the constraints leave out: the batch has one channel per clip.

        Returns the sample rate as an int.
        """
        if not self.mono:
            raise invalid_parameter(
                type(self).__name__,
                "mono=False is not supported, the batch holds one channel per clip: "
                "use mono=True, or load_audio(..., mono=False) for multichannel files.")
        return int(self.sr)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fix the output length: ``duration`` or the longest clip in ``X``."""
        sr = self._check_mono()
        paths = check_paths(X, name=type(self).__name__)
        if self.duration is not None:
            self.n_samples_ = self._output_length(sr)
        else:
            self.n_samples_ = self._longest(paths, sr)
            if self.n_samples_ == 0:
                raise ValueError(
                    f"{type(self).__name__}: every file is empty after "
                    f"offset={self.offset} s; set duration=... to pad them."
                )
        return self

    def transform(self, X):
        """Decode, resample, and trim or pad every file to ``n_samples_``.

        With a ``duration``, the loader learns nothing and needs no ``fit``, so
        the parameters are checked here too.
        """
        check_params(self._parameter_constraints,
                     {name: getattr(self, name) for name in self._parameter_constraints},
                     type(self).__name__)
        sr = self._check_mono()
        n_samples = self._output_length(sr)
        paths = check_paths(X, name=type(self).__name__)
        out = np.empty((len(paths), n_samples), dtype=np.float32)
        offset = float(self.offset)
        duration = None if self.duration is None else float(self.duration)

        def fill(start, stop):
            for i in range(start, stop):
                y, _ = _decode(paths[i], sr, offset, duration)
                _fit_into(out[i], y, self.pad_mode)

        # Threads share ``out``: memory grows with the output, not with the
        # number of decoded files in flight. Files go in batches, so that the
        # scheduling costs little next to the decoding (which releases the GIL).
        batch = _FILES_PER_TASK
        Parallel(n_jobs=self.n_jobs, prefer="threads", verbose=self.verbose)(
            delayed(fill)(start, min(start + batch, len(paths)))
            for start in range(0, len(paths), batch)
        )
        return out

    def _feature_names_out(self, input_features):
        return [f"sample{i}" for i in range(self._output_length(self._check_mono()))]

    def _output_length(self, sr):
        if self.duration is not None:
            return int(round(self.duration * sr))
        check_is_fitted(self, "n_samples_")
        return self.n_samples_

    def _longest(self, paths, sr):
        """The longest clip's output length: headers, checked by decoding.

        A header can declare more frames than the file holds (a corrupt or
        hostile file), and the batch is allocated at the longest length. So
        the file that declares the longest is decoded, and the next, while
        one declares more than the longest found: one file for honest data.
        """
        declared = np.array([self._resampled_length(p, sr) for p in paths])
        longest = 0
        for i in np.argsort(-declared, kind="stable"):
            if declared[i] <= longest:
                break
            y, _ = _decode(paths[i], sr, float(self.offset), None)
            longest = max(longest, y.shape[0])
        return int(longest)

    def _resampled_length(self, path, sr):
        """Output length of one file, read from its header (nothing decoded)."""
        if not os.path.isfile(path):
            _read(path, 0.0, 0.0)  # raises the clear error for missing paths
        try:
            info = sf.info(path)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise ValueError(
                f"Cannot read audio file {path!r}: soundfile could not "
                f"decode it: {exc}"
            ) from None
        frames = max(info.frames - int(round(self.offset * info.samplerate)), 0)
        return int(np.ceil(frames * sr / info.samplerate))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = self.duration is None  # else nothing is learned
        return tags
