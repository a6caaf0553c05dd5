"""A folder of per-sample outputs, keyed by a hash of each input sample.

:class:`skaudio.CachedTransformer` with ``per_sample=True`` keeps here every
sample's output of a transformer that learns nothing from data, so that any
subset of samples seen before -- another fold, the refit, another search --
is read back instead of computed.

Layout: one folder per transformer configuration; each call that computes new
samples adds one *segment*, ``<id>.npy`` (the outputs, one row per sample),
``<id>.sum`` (a CRC-32 of the outputs' and the keys' files) and
``<id>.keys.npy`` (their 16-byte keys, written last, so that a segment exists
once its keys do). Segments are written under temporary names and renamed, so
concurrent processes (a parallel grid search) can share a folder: at worst
two of them compute the same samples and both keep them.

Faults: a process killed while writing leaves only temporary files, which are
never read. A segment whose files are truncated, changed or unreadable fails
its checksum when a process first reads it: it is removed, with a warning, and
its samples are computed again (a process checks a segment again only when
its files' sizes or times change). A folder that cannot be written (read-only,
disk full) gives a warning and outputs computed but not cached, never a
partial segment.
"""

import hashlib
import io
import os
import uuid
import warnings
import zlib
from pathlib import Path

import joblib
import numpy as np
import scipy.sparse

_KEY_BYTES = 16
_WRITING = "tmp-"  # the prefix of segment files still being written


_SUFFIXES = (".npy", ".sum", ".keys.npy")  # in the order they are written


# Segments this process has checked, by keys file: (sizes and times of the
# segment's files, its keys). Segments are written once and never changed, so
# a segment is read in full again only when its files change.
_VERIFIED = {}


def _checksum(*contents):
    """CRC-32 of the contents, chained: it detects damage, at 4 GB/s."""
    crc = 0
    for content in contents:
        crc = zlib.crc32(content, crc)
    return f"{crc:08x}"


def _npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _digest(data):
    return hashlib.blake2b(data, digest_size=_KEY_BYTES).digest()


def _path_key(path):
    """A file's absolute path, size and modification time: a changed file misses."""
    path = os.fspath(path)
    if not os.path.isabs(path):
        path = os.path.abspath(path)
    try:
        stat = os.stat(path)
        version = b"%d:%d" % (stat.st_size, stat.st_mtime_ns)
    except OSError:  # the transformer gives its own error for a missing file
        version = b"missing"
    return _digest(b"path\0" + path.encode() + b"\0" + version)


def _array_key(row):
    row = np.ascontiguousarray(row)
    return _digest(b"array\0" + f"{row.dtype.str}{row.shape}\0".encode()
                   + memoryview(row).cast("B"))


def _element_key(element):
    if isinstance(element, (str, os.PathLike)):
        return _path_key(element)
    if isinstance(element, np.ndarray) and element.dtype.kind in "biufc":
        return _array_key(element)
    return _digest(b"object\0" + joblib.hash(element).encode())


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
        self._index = {}  # key -> (segment number, row)
        self._segments = []  # segment ids, by number

    def __getstate__(self):  # the index is rebuilt from the folder
        return {"folder": self.folder, "_index": {}, "_segments": []}

    def _enter(self, segment, keys):
        number = len(self._segments)
        self._segments.append(segment)
        for row, key in enumerate(keys):
            self._index.setdefault(key, (number, row))

    def _refresh(self):
        if not self.folder.is_dir():
            return
        known = set(self._segments)
        for name in os.listdir(self.folder):
            segment = name[:-len(".keys.npy")]
            if (name.endswith(".keys.npy") and not name.startswith(_WRITING)
                    and segment not in known):
                keys = self._verified_keys(segment)
                if keys is not None:
                    self._enter(segment, [key.tobytes() for key in keys])

    def _verified_keys(self, segment):
        """The keys of a stored segment whose checksum holds, else None (removed)."""
        paths = [self.folder / f"{segment}{suffix}" for suffix in _SUFFIXES]
        try:
            stamp = tuple((st.st_size, st.st_mtime_ns) for st in map(os.stat, paths))
            if _VERIFIED.get(paths[2]) is not None and _VERIFIED[paths[2]][0] == stamp:
                return _VERIFIED[paths[2]][1]
            outputs, checksum, keys = (path.read_bytes() for path in paths)
            if checksum.decode() == _checksum(outputs, keys):
                _VERIFIED[paths[2]] = stamp, np.load(paths[2], allow_pickle=False)
                return _VERIFIED[paths[2]][1]
            reason = "its checksum does not match"
        except (OSError, ValueError, UnicodeDecodeError) as error:
            reason = f"it cannot be read ({error})"
        warnings.warn(f"CachedTransformer: the cached segment {segment} in "
                      f"{self.folder} is corrupt ({reason}); it is removed and its "
                      "samples are computed again.", RuntimeWarning, stacklevel=4)
        for path in paths:
            path.unlink(missing_ok=True)
        return None

    def missing(self, keys):
        """Positions of ``keys`` that have no stored output."""
        self._refresh()
        return [i for i, key in enumerate(keys) if key not in self._index]

    def add(self, keys, outputs):
        """Store ``outputs`` (an array, one row per key) as a new segment.

        Returns whether it was stored: a folder that cannot be written gives a
        warning and False, and leaves no file behind.
        """
        segment = uuid.uuid4().hex
        key_array = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(
            len(keys), _KEY_BYTES)
        contents = [_npy_bytes(outputs), None, _npy_bytes(key_array)]
        contents[1] = _checksum(contents[0], contents[2]).encode()
        written = []
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for suffix, content in zip(_SUFFIXES, contents):  # the keys last
                temporary = self.folder / f"{_WRITING}{segment}{suffix}"
                written.append(temporary)
                temporary.write_bytes(content)
                os.replace(temporary, self.folder / f"{segment}{suffix}")
                written[-1] = self.folder / f"{segment}{suffix}"
        except OSError as error:
            for path in written:
                path.unlink(missing_ok=True)
            warnings.warn(f"CachedTransformer: cannot write the cache in {self.folder} "
                          f"({error}); the outputs are computed but not cached.",
                          RuntimeWarning, stacklevel=3)
            return False
        try:  # this process wrote it: no need to read it back to check it
            _VERIFIED[written[2]] = (tuple((st.st_size, st.st_mtime_ns)
                                           for st in map(os.stat, written)), key_array)
        except OSError:
            pass
        self._enter(segment, keys)
        return True

    def get(self, keys):
        """The stored outputs of ``keys`` (every one present), as one new array."""
        numbers, rows = np.array([self._index[key] for key in keys], dtype=np.intp).T
        used = np.unique(numbers)
        out = None
        for number in used:
            # Read from a memory map: only the rows asked for are copied.
            stored = np.asarray(np.load(self.folder / f"{self._segments[number]}.npy",
                                        mmap_mode="r"))
            if len(used) == 1:
                return stored[rows]
            if out is None:
                out = np.empty((len(keys), *stored.shape[1:]), dtype=stored.dtype)
            elif stored.shape[1:] != out.shape[1:] or stored.dtype != out.dtype:
                raise ValueError(
                    f"CachedTransformer: the cached samples in {self.folder} have "
                    f"outputs of different shapes or types ({out.shape[1:]} "
                    f"{out.dtype} and {stored.shape[1:]} {stored.dtype}); clear "
                    "that folder."
                )
            here = np.flatnonzero(numbers == number)
            out[here] = stored[rows[here]]
        return out
