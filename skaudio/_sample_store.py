"""A folder of per-sample outputs, keyed by a hash of each input sample.

:class:`skaudio.CachedTransformer` with ``per_sample=True`` keeps here every
sample's output of a transformer that learns nothing from data, so that any
subset of samples seen before -- another fold, the refit, another search --
is read back instead of computed.

Layout: one folder per transformer configuration; each call that computes new
samples adds one *segment*, ``<id>.npy`` (the outputs, one row per sample) and
``<id>.keys.npy`` (their 16-byte keys, written last, so that a segment exists
once its keys do). Segments are written under temporary names and renamed, so
concurrent processes (a parallel grid search) can share a folder: at worst
two of them compute the same samples and both keep them.
"""

import hashlib
import os
import uuid
from pathlib import Path

import joblib
import numpy as np
import scipy.sparse

_KEY_BYTES = 16


def _digest(*parts):
    h = hashlib.blake2b(digest_size=_KEY_BYTES)
    for part in parts:
        h.update(part)
    return h.digest()


def _path_key(path):
    """A file's absolute path, size and modification time: a changed file misses."""
    path = os.path.abspath(os.fspath(path))
    try:
        stat = os.stat(path)
        version = f"{stat.st_size}:{stat.st_mtime_ns}"
    except OSError:  # the transformer gives its own error for a missing file
        version = "missing"
    return _digest(b"path\0", path.encode(), b"\0", version.encode())


def _array_key(row):
    row = np.ascontiguousarray(row)
    return _digest(b"array\0", f"{row.dtype.str}{row.shape}".encode(), b"\0",
                   memoryview(row).cast("B"))


def _element_key(element):
    if isinstance(element, (str, os.PathLike)):
        return _path_key(element)
    if isinstance(element, np.ndarray) and element.dtype.kind in "biufc":
        return _array_key(element)
    return _digest(b"object\0", joblib.hash(element).encode())


def check_samples(X):
    """``X`` in a form whose samples can be keyed and indexed."""
    if scipy.sparse.issparse(X):
        raise TypeError("CachedTransformer(per_sample=True) does not cache sparse "
                        "input; use per_sample=False.")
    if hasattr(X, "to_numpy"):  # pandas
        return X.to_numpy()
    if not isinstance(X, (list, tuple, np.ndarray)) and hasattr(X, "__array__"):
        return np.asarray(X)
    return X


def sample_keys(X):
    """One 16-byte key per sample of ``X``.

    A file path is keyed by its absolute path, size and modification time; a
    numeric array row by its dtype, shape and bytes; anything else by
    :func:`joblib.hash`.

    Parameters
    ----------
    X : list or 1-D array of file paths, numeric array (one sample per row),
        or list of samples
    """
    X = check_samples(X)
    if isinstance(X, np.ndarray) and X.dtype.kind in "biufc" and X.ndim >= 1:
        return [_array_key(row) for row in X]
    return [_element_key(element) for element in X]


class SampleStore:
    """The per-sample outputs of one transformer configuration in ``folder``."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self._index = {}  # key -> (segment id, row)
        self._segments = set()

    def __getstate__(self):  # the index is rebuilt from the folder
        return {"folder": self.folder, "_index": {}, "_segments": set()}

    def _refresh(self):
        if not self.folder.is_dir():
            return
        for name in os.listdir(self.folder):
            if not name.endswith(".keys.npy"):
                continue
            segment = name[:-len(".keys.npy")]
            if segment in self._segments:
                continue
            keys = np.load(self.folder / name)
            for row, key in enumerate(keys):
                self._index.setdefault(key.tobytes(), (segment, row))
            self._segments.add(segment)

    def missing(self, keys):
        """Positions of ``keys`` that have no stored output."""
        self._refresh()
        return [i for i, key in enumerate(keys) if key not in self._index]

    def add(self, keys, outputs):
        """Store ``outputs`` (an array, one row per key) as a new segment."""
        self.folder.mkdir(parents=True, exist_ok=True)
        segment = uuid.uuid4().hex
        key_array = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(
            len(keys), _KEY_BYTES)
        for suffix, array in ((".npy", outputs), (".keys.npy", key_array)):
            temporary = self.folder / f"tmp-{segment}{suffix}"
            with open(temporary, "wb") as file:
                np.save(file, array, allow_pickle=False)
            os.replace(temporary, self.folder / f"{segment}{suffix}")
        for row, key in enumerate(keys):
            self._index.setdefault(key, (segment, row))
        self._segments.add(segment)

    def get(self, keys):
        """The stored outputs of ``keys`` (every one present), as one new array."""
        by_segment = {}
        for position, key in enumerate(keys):
            segment, row = self._index[key]
            by_segment.setdefault(segment, ([], []))
            by_segment[segment][0].append(position)
            by_segment[segment][1].append(row)
        out = None
        for segment, (positions, rows) in by_segment.items():
            stored = np.load(self.folder / f"{segment}.npy", mmap_mode="r")
            if out is None:
                out = np.empty((len(keys), *stored.shape[1:]), dtype=stored.dtype)
            elif stored.shape[1:] != out.shape[1:] or stored.dtype != out.dtype:
                raise ValueError(
                    f"CachedTransformer: the cached samples in {self.folder} have "
                    f"outputs of different shapes or types ({out.shape[1:]} "
                    f"{out.dtype} and {stored.shape[1:]} {stored.dtype}); clear "
                    "that folder."
                )
            out[positions] = stored[rows]
        return out
