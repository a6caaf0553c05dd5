"""Loaders for datasets kept on disk: FSDD, class folders, ESC-50, UrbanSound8K.

Every loader returns a :class:`sklearn.utils.Bunch` with ``filenames`` (paths
for :class:`skaudio.AudioLoader`), labels and the dataset's grouping or folds;
``return_waveforms=True`` also decodes the audio into ``data``. Nothing is
downloaded: point ``path`` at a copy of the dataset.
"""

import csv
import os
import re

import numpy as np
from sklearn.utils import Bunch

from ..io import AudioLoader

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")


def _check_dir(path, dataset, expected):
    path = os.fspath(path)
    if not os.path.isdir(path):
        raise ValueError(
            f"{dataset} not found at {path!r}: expected a folder holding {expected}."
        )
    return path


def _read_csv(path, dataset, columns):
    if not os.path.isfile(path):
        raise ValueError(f"{dataset} metadata file {path!r} is missing.")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"{dataset} metadata file {path!r} has no rows.")
    missing = set(columns) - set(rows[0])
    if missing:
        raise ValueError(
            f"{dataset} metadata file {path!r} lacks the columns {sorted(missing)}."
        )
    return rows


def _finish(bunch, return_waveforms, sr, duration, pad_mode, n_jobs):
    if return_waveforms:
        loader = AudioLoader(sr=sr, duration=duration, pad_mode=pad_mode, n_jobs=n_jobs)
        bunch.data = loader.fit_transform(bunch.filenames)
        bunch.sr = sr
    return bunch


def load_fsdd(path, *, split=None, return_waveforms=False, sr=8000, duration=1.0,
              pad_mode="constant", n_jobs=None):
    """Free Spoken Digit Dataset: 3,000 recordings of digits by 6 speakers.

    Parameters
    ----------
    path : str or os.PathLike
        The dataset folder (holding ``recordings/`` with files named
        ``{digit}_{speaker}_{index}.wav``), or ``recordings/`` itself.
    split : {None, "train", "test"}, default=None
        The official split: index 0-4 is the test set, 5-49 the training set.
        ``None`` returns every recording with ``is_test`` marking the split.
    return_waveforms : bool, default=False
        Also decode the audio into ``data``, a float32 array of shape
        ``(n_recordings, round(sr * duration))``, by :class:`skaudio.AudioLoader`.
    sr : int, default=8000
        Sample rate of ``data`` in Hz; the recordings are 8 kHz, so the default
        decodes them without resampling.
    duration : float or None, default=1.0
        Seconds per decoded clip: longer recordings are trimmed, shorter ones
        padded by ``pad_mode``; ``None`` takes the longest recording. The
        recordings last 0.1-2.3 s; 1 s keeps nearly all of every digit.
    pad_mode : {"constant", "repeat", "nan"}, default="constant"
        How short recordings are lengthened: zeros, the recording repeated, or
        NaN (see :class:`skaudio.AudioLoader`).
    n_jobs : int or None, default=None
        Files decoded in parallel threads (``-1``: all cores).

    Returns
    -------
    Bunch
        ``filenames`` (ndarray of str), ``target`` (digit 0-9), ``speaker``
        (name), ``index`` (0-49), ``is_test``, ``groups`` (one id per
        recording), ``target_names`` (``"0"`` to ``"9"``), and ``data``/``sr``
        with ``return_waveforms``. Use ``y = bunch.speaker`` for speaker
        identification, and ``groups=bunch.speaker`` to keep each speaker's
        recordings in one fold.

    Raises
    ------
    ValueError
        If ``path`` is not a folder, holds no file named
        ``{digit}_{speaker}_{index}.wav``, or ``split`` is not one of the three.

    References
    ----------
    .. [1] Z. Jackson et al., "Free Spoken Digit Dataset (FSDD)," 2018: the
       recordings, their file names and the index 0-4 test split read here.
    .. [2] B. McFee et al., "librosa: Audio and music signal analysis in
       python," Proc. 14th Python in Science Conference, 2015: the decoding
       of ``data`` (mono float32, resampled as ``librosa.load`` does).

    Examples
    --------
    >>> fsdd = load_fsdd("path/to/fsdd", split="test")  # doctest: +SKIP
    >>> len(fsdd.filenames), sorted(set(fsdd.target))[:3]      # doctest: +SKIP
    (300, [0, 1, 2])
    """
    path = _check_dir(path, "FSDD", "recordings/{digit}_{speaker}_{index}.wav")
    folder = os.path.join(path, "recordings")
    folder = folder if os.path.isdir(folder) else path
    if split not in (None, "train", "test"):
        raise ValueError(f"load_fsdd: split must be None, 'train' or 'test'; got {split!r}.")
    records = []
    for name in sorted(os.listdir(folder)):
        stem, ext = os.path.splitext(name)
        parts = stem.split("_")
        if ext.lower() != ".wav" or len(parts) != 3 or not parts[0].isdigit() \
                or not parts[2].isdigit():
            continue
        records.append((os.path.join(folder, name), int(parts[0]), parts[1], int(parts[2])))
    if not records:
        raise ValueError(
            f"FSDD: no recordings named {{digit}}_{{speaker}}_{{index}}.wav in {folder!r}."
        )
    filenames, digit, speaker, index = map(np.array, zip(*records))
    is_test = index < 5
    keep = {None: slice(None), "test": is_test, "train": ~is_test}[split]
    bunch = Bunch(
        filenames=filenames[keep], target=digit[keep], speaker=speaker[keep],
        index=index[keep], is_test=is_test[keep],
        groups=np.arange(len(records))[keep], target_names=[str(d) for d in range(10)],
    )
    return _finish(bunch, return_waveforms, sr, duration, pad_mode, n_jobs)


def _from_names(filenames, pattern, what):
    """A value per file from a regular expression on its name (its first group)."""
    regex = re.compile(pattern)
    values = []
    for name in filenames:
        match = regex.search(os.path.basename(name))
        if match is None:
            raise ValueError(
                f"The {what} pattern {pattern!r} does not match the file name "
                f"{os.path.basename(name)!r} ({name}); every file needs a {what}.")
        values.append(match.group(1) if regex.groups else match.group(0))
    return np.asarray(values)


def load_audio_folder(path, *, extensions=AUDIO_EXTENSIONS, label_pattern=None,
                      group_pattern=None, return_waveforms=False, sr=16000, duration=None,
                      pad_mode="constant", n_jobs=None):
    """Load a class-per-subfolder layout ``path/<class>/<file>``, or labelled names.

    Parameters
    ----------
    path : str or os.PathLike
        The folder holding one subfolder of audio files per class.
    extensions : tuple of str, default=(".wav", ".flac", ".ogg", ".mp3")
        File name endings (case-insensitive) of the files to list; other files
        are ignored.
    label_pattern : str or None, default=None
        A regular expression searched in every file name: its first group (or
        the whole match) is the file's class, for every audio file under
        ``path`` instead of class subfolders. FSDD's
        ``recordings/{digit}_{speaker}_{index}.wav`` gives digits with
        ``"^(\\d+)_"``.
    group_pattern : str or None, default=None
        A regular expression searched in every file name: its first group (or
        the whole match) is the file's group, its source (speaker, session,
        original recording), for grouped cross-validation. FSDD's
        ``{digit}_{speaker}_{index}.wav`` gives speakers with ``"_([a-z]+)_"``.
    return_waveforms : bool, default=False
        Also decode the audio into ``data``, a float32 array of shape
        ``(n_files, n_samples)``, by :class:`skaudio.AudioLoader`.
    sr : int, default=16000
        Sample rate of ``data`` in Hz; files at other rates are resampled.
    duration : float or None, default=None
        Seconds per decoded clip: longer files are trimmed, shorter ones
        padded by ``pad_mode``; ``None`` takes the longest file.
    pad_mode : {"constant", "repeat", "nan"}, default="constant"
        How short files are lengthened: zeros, the file repeated, or NaN (see
        :class:`skaudio.AudioLoader`).
    n_jobs : int or None, default=None
        Files decoded in parallel threads (``-1``: all cores).

    Returns
    -------
    Bunch
        ``filenames`` (ndarray of str, by folder, then file name), ``target``
        (int), ``target_names`` (the sorted folder names, or the sorted
        labels ``label_pattern`` found), ``groups`` (string ids, or None
        without ``group_pattern``), and ``data``/``sr`` with
        ``return_waveforms``.

    Raises
    ------
    ValueError
        If ``path`` is not a folder, no audio file is found, or a pattern does
        not match a file name.

    References
    ----------
    .. [1] B. McFee et al., "librosa: Audio and music signal analysis in
       python," Proc. 14th Python in Science Conference, 2015: the decoding
       of ``data`` (mono float32, resampled as ``librosa.load`` does).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, soundfile as sf
    >>> root = tempfile.mkdtemp()
    >>> for label in ("dog", "rain"):
    ...     os.mkdir(os.path.join(root, label))
    ...     for i in range(2):
    ...         sf.write(os.path.join(root, label, f"{i}.wav"), np.zeros(800), 8000)
    >>> bunch = load_audio_folder(root, return_waveforms=True, sr=8000)
    >>> bunch.target_names, bunch.target.tolist(), bunch.data.shape
    (['dog', 'rain'], [0, 0, 1, 1], (4, 800))
    """
    path = _check_dir(path, "Audio folder", "one subfolder of audio files per class")
    extensions = tuple(e.lower() for e in extensions)
    if label_pattern is None:
        folders = sorted(d for d in os.listdir(path) if os.path.isdir(os.path.join(path, d)))
    else:
        folders = [""]
    filenames, labels = [], []
    for folder in folders:
        for root, _, files in sorted(os.walk(os.path.join(path, folder))):
            for f in sorted(files):
                if f.lower().endswith(extensions):
                    filenames.append(os.path.join(root, f))
                    labels.append(folder)
    if not filenames:
        where = "under" if label_pattern is not None else "in class subfolders of"
        raise ValueError(f"No audio files ({', '.join(extensions)}) {where} {path!r}.")
    if label_pattern is not None:
        labels = _from_names(filenames, label_pattern, "label")
    names, target = np.unique(labels, return_inverse=True)
    bunch = Bunch(filenames=np.array(filenames), target=target,
                  target_names=[str(n) for n in names],
                  groups=None if group_pattern is None
                  else _from_names(filenames, group_pattern, "group"))
    return _finish(bunch, return_waveforms, sr, duration, pad_mode, n_jobs)


def load_audio_csv(path, *, return_waveforms=False, sr=16000, duration=None,
                   pad_mode="constant", n_jobs=None):
    """Load the files a CSV lists, with columns ``path,label[,group]``.

    Relative paths are relative to the CSV's folder. ``group`` (optional) is
    each file's source (speaker, session, original recording), for grouped
    cross-validation.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file, with a header row.
    return_waveforms : bool, default=False
        Also decode the audio into ``data``, a float32 array of shape
        ``(n_files, n_samples)``, by :class:`skaudio.AudioLoader`.
    sr : int, default=16000
        Sample rate of ``data`` in Hz; files at other rates are resampled.
    duration : float or None, default=None
        Seconds per decoded clip: longer files are trimmed, shorter ones
        padded by ``pad_mode``; ``None`` takes the longest file.
    pad_mode : {"constant", "repeat", "nan"}, default="constant"
        How short files are lengthened: zeros, the file repeated, or NaN (see
        :class:`skaudio.AudioLoader`).
    n_jobs : int or None, default=None
        Files decoded in parallel threads (``-1``: all cores).

    Returns
    -------
    Bunch
        ``filenames`` (ndarray of str, in the CSV's row order), ``target``
        (int), ``target_names`` (the sorted labels), ``groups`` (string ids,
        or None without a ``group`` column), and ``data``/``sr`` with
        ``return_waveforms``.

    Raises
    ------
    ValueError
        If the CSV is missing, has no rows, lacks the ``path`` or ``label``
        column, or a row has an empty path, label or group.

    References
    ----------
    .. [1] B. McFee et al., "librosa: Audio and music signal analysis in
       python," Proc. 14th Python in Science Conference, 2015: the decoding
       of ``data`` (mono float32, resampled as ``librosa.load`` does).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, soundfile as sf
    >>> root = tempfile.mkdtemp()
    >>> for name in ("a.wav", "b.wav", "c.wav"):
    ...     sf.write(os.path.join(root, name), np.zeros(800), 8000)
    >>> with open(os.path.join(root, "files.csv"), "w") as f:
    ...     _ = f.write("path,label,group\\na.wav,dog,rec1\\nb.wav,rain,rec2\\nc.wav,dog,rec3\\n")
    >>> bunch = load_audio_csv(os.path.join(root, "files.csv"))
    >>> bunch.target.tolist(), bunch.target_names, bunch.groups.tolist()
    ([0, 1, 0], ['dog', 'rain'], ['rec1', 'rec2', 'rec3'])
    """
    path = os.fspath(path)
    rows = _read_csv(path, "CSV", ["path", "label"])
    folder = os.path.dirname(os.path.abspath(path))
    empty = [i for i, r in enumerate(rows, start=2) if not (r["path"] or "").strip()
             or not (r["label"] or "").strip()]
    if empty:
        raise ValueError(f"CSV {path!r}: row {empty[0]} has an empty path or label.")
    names, target = np.unique([r["label"].strip() for r in rows], return_inverse=True)
    groups = None
    if "group" in rows[0]:
        groups = np.asarray([(r["group"] or "").strip() for r in rows])
        if (groups == "").any():
            raise ValueError(f"CSV {path!r}: row {int(np.argmax(groups == '')) + 2} has "
                             "an empty group; give every file one or drop the column.")
    bunch = Bunch(
        filenames=np.array([os.path.join(folder, r["path"].strip()) for r in rows]),
        target=target, target_names=[str(n) for n in names], groups=groups)
    return _finish(bunch, return_waveforms, sr, duration, pad_mode, n_jobs)


def load_esc50(path, *, esc10=False, return_waveforms=False, sr=44100, duration=5.0,
               pad_mode="constant", n_jobs=None):
    """ESC-50: 2,000 five-second environmental recordings in 50 classes, 5 folds.

    Reads ``meta/esc50.csv`` and ``audio/``. Use ``PredefinedSplit(fold - 1)``
    or ``GroupKFold`` over ``groups`` (the Freesound source clip) for
    cross-validation: takes of one source must stay in one fold.

    Parameters
    ----------
    path : str or os.PathLike
        The dataset folder, holding ``meta/esc50.csv`` and ``audio/``.
    esc10 : bool, default=False
        Keep only the ESC-10 subset (the rows whose ``esc10`` column is True:
        400 clips in 10 classes). ``target`` keeps the ESC-50 class numbers.
    return_waveforms : bool, default=False
        Also decode the audio into ``data``, a float32 array of shape
        ``(n_clips, round(sr * duration))``, by :class:`skaudio.AudioLoader`.
    sr : int, default=44100
        Sample rate of ``data`` in Hz; the recordings are 44.1 kHz, so the
        default decodes them without resampling.
    duration : float or None, default=5.0
        Seconds per decoded clip (every ESC-50 clip lasts 5 s); ``None`` takes
        the longest clip.
    pad_mode : {"constant", "repeat", "nan"}, default="constant"
        How short clips are lengthened: zeros, the clip repeated, or NaN (see
        :class:`skaudio.AudioLoader`).
    n_jobs : int or None, default=None
        Files decoded in parallel threads (``-1``: all cores).

    Returns
    -------
    Bunch
        ``filenames`` (ndarray of str, in the metadata's row order), ``target``
        (0-49), ``target_names`` (the category of each class number),
        ``fold`` (1-5), ``groups`` (int id of the Freesound source clip), and
        ``data``/``sr`` with ``return_waveforms``.

    Raises
    ------
    ValueError
        If ``path`` is not a folder, or ``meta/esc50.csv`` is missing, empty
        or lacks one of the columns ``filename``, ``fold``, ``target``,
        ``category``, ``esc10``, ``src_file``.

    References
    ----------
    .. [1] K. J. Piczak, "ESC: Dataset for environmental sound
       classification," Proc. ACM Multimedia, 2015: the dataset, its ESC-10
       subset and its five predefined folds read here.
    .. [2] B. McFee et al., "librosa: Audio and music signal analysis in
       python," Proc. 14th Python in Science Conference, 2015: the decoding
       of ``data`` (mono float32, resampled as ``librosa.load`` does).

    Examples
    --------
    >>> from sklearn.model_selection import PredefinedSplit
    >>> esc = load_esc50("ESC-50-master")                  # doctest: +SKIP
    >>> len(esc.filenames), len(esc.target_names)           # doctest: +SKIP
    (2000, 50)
    >>> cv = PredefinedSplit(esc.fold - 1)                  # doctest: +SKIP
    """
    path = _check_dir(path, "ESC-50", "meta/esc50.csv and audio/")
    rows = _read_csv(os.path.join(path, "meta", "esc50.csv"), "ESC-50",
                     ["filename", "fold", "target", "category", "esc10", "src_file"])
    if esc10:
        rows = [r for r in rows if r["esc10"].strip().lower() == "true"]
    target = np.array([int(r["target"]) for r in rows])
    names = {int(r["target"]): r["category"] for r in rows}
    bunch = Bunch(
        filenames=np.array([os.path.join(path, "audio", r["filename"]) for r in rows]),
        target=target,
        target_names=[names.get(k, "") for k in range(max(names) + 1)],
        fold=np.array([int(r["fold"]) for r in rows]),
        groups=np.unique([r["src_file"] for r in rows], return_inverse=True)[1],
    )
    return _finish(bunch, return_waveforms, sr, duration, pad_mode, n_jobs)


def load_urbansound8k(path, *, return_waveforms=False, sr=22050, duration=4.0,
                      pad_mode="constant", n_jobs=None):
    """UrbanSound8K: 8,732 urban sound slices in 10 classes, 10 predefined folds.

    Reads ``metadata/UrbanSound8K.csv`` and ``audio/fold<k>/``. Its authors ask
    for the predefined folds (``PredefinedSplit(fold - 1)``): slices of one
    Freesound recording (``groups``) must not be split between training and
    test.

    Parameters
    ----------
    path : str or os.PathLike
        The dataset folder, holding ``metadata/UrbanSound8K.csv`` and
        ``audio/fold1/`` to ``audio/fold10/``.
    return_waveforms : bool, default=False
        Also decode the audio into ``data``, a float32 array of shape
        ``(n_slices, round(sr * duration))``, by :class:`skaudio.AudioLoader`.
    sr : int, default=22050
        Sample rate of ``data`` in Hz; files at other rates are resampled.
    duration : float or None, default=4.0
        Seconds per decoded clip: slices last at most 4 s, shorter ones are
        padded by ``pad_mode``; ``None`` takes the longest slice.
    pad_mode : {"constant", "repeat", "nan"}, default="constant"
        How short slices are lengthened: zeros, the slice repeated, or NaN
        (see :class:`skaudio.AudioLoader`).
    n_jobs : int or None, default=None
        Files decoded in parallel threads (``-1``: all cores).

    Returns
    -------
    Bunch
        ``filenames`` (ndarray of str, in the metadata's row order), ``target``
        (classID 0-9), ``target_names`` (the class of each classID), ``fold``
        (1-10), ``groups`` (Freesound id of the source recording),
        ``salience`` (1 foreground, 2 background), and ``data``/``sr`` with
        ``return_waveforms``.

    Raises
    ------
    ValueError
        If ``path`` is not a folder, or ``metadata/UrbanSound8K.csv`` is
        missing, empty or lacks one of the columns ``slice_file_name``,
        ``fsID``, ``fold``, ``classID``, ``class``, ``salience``.

    References
    ----------
    .. [1] J. Salamon, C. Jacoby and J. P. Bello, "A dataset and taxonomy for
       urban sound research," Proc. ACM Multimedia, 2014: the dataset, its
       metadata and its ten predefined folds read here.
    .. [2] B. McFee et al., "librosa: Audio and music signal analysis in
       python," Proc. 14th Python in Science Conference, 2015: the decoding
       of ``data`` (mono float32, resampled as ``librosa.load`` does).

    Examples
    --------
    >>> from sklearn.model_selection import PredefinedSplit
    >>> us8k = load_urbansound8k("UrbanSound8K")            # doctest: +SKIP
    >>> len(us8k.filenames), len(us8k.target_names)         # doctest: +SKIP
    (8732, 10)
    >>> cv = PredefinedSplit(us8k.fold - 1)                 # doctest: +SKIP
    """
    path = _check_dir(path, "UrbanSound8K", "metadata/UrbanSound8K.csv and audio/")
    rows = _read_csv(os.path.join(path, "metadata", "UrbanSound8K.csv"), "UrbanSound8K",
                     ["slice_file_name", "fsID", "fold", "classID", "class", "salience"])
    names = {int(r["classID"]): r["class"] for r in rows}
    bunch = Bunch(
        filenames=np.array([
            os.path.join(path, "audio", f"fold{r['fold']}", r["slice_file_name"])
            for r in rows
        ]),
        target=np.array([int(r["classID"]) for r in rows]),
        target_names=[names.get(k, "") for k in range(max(names) + 1)],
        fold=np.array([int(r["fold"]) for r in rows]),
        groups=np.array([int(r["fsID"]) for r in rows]),
        salience=np.array([int(r["salience"]) for r in rows]),
    )
    return _finish(bunch, return_waveforms, sr, duration, pad_mode, n_jobs)
