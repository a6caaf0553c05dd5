"""The chunk-and-thread engine behind the mel spectrogram and the front-ends.

A batch is processed as chunks of whole samples (clips, spectrograms): each
chunk small enough that its arrays stay in the processor's cache between the
passes over it, the chunks shared by a few threads (numpy, ``scipy.fft`` and
skaudio's compiled kernels release the GIL), every thread taking the next
chunk as it finishes one and writing its part of one output array. Results do
not depend on the chunking or on the number of threads.

How many threads ``n_jobs`` gives (:func:`thread_count`):

* an int is obeyed, counted as joblib counts it: ``-1`` every core, ``-2``
  all but one, and so on;
* ``None`` gives the threads that scikit-learn's OpenMP-based estimators
  (``HistGradientBoostingClassifier``, ...) would use here: every core when
  called on its own, but inside the workers of a parallel scikit-learn call
  (``GridSearchCV(n_jobs=...)``, ``cross_val_score``) only the share the
  outer parallelism leaves, so that the cores are not oversubscribed. The
  share is read from the OpenMP thread limit, which joblib lowers in its
  loky worker processes (to ``cores // n_jobs``), Dask's nannies lower in
  their worker processes (to 1) and ``threadpoolctl.threadpool_limits``
  lowers anywhere; the tasks of joblib's threading and multiprocessing
  backends, whose workers get no such limit, get one thread, as joblib gives
  the parallel calls nested in them.
"""

import functools
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext

import joblib
from joblib.parallel import get_active_backend
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
from threadpoolctl import threadpool_limits

# The bytes a chunk's work touches (its input, intermediates and output
# together): 4 MiB. Measured on the mel spectrogram (chunks twice as large
# were about 13% slower) and the front-ends (as fast as with twice as large).
CHUNK_BYTES = 2**22


def map_chunks(work, n_items, item_bytes, n_jobs, *, single_threaded_blas=False):
    """Call ``work(rows)`` on consecutive slices of ``n_items`` items, in threads.

    Parameters
    ----------
    work : callable
        ``work(rows) -> bool`` processes the items of the slice ``rows`` (and
        writes their output); it returns False when something went wrong
        (non-finite output, invalid input), which the caller then diagnoses.
    n_items : int
        Number of items (clips, spectrograms) in the batch.
    item_bytes : int
        The bytes one item's work touches: chunks hold about
        ``CHUNK_BYTES // item_bytes`` items.
    n_jobs : int or None
        Threads, as :func:`thread_count` counts them; never more than chunks.
    single_threaded_blas : bool, default=False
        Limit BLAS to one thread while several threads run ``work`` (for
        work that multiplies matrices: the threads already use the cores).

    Returns
    -------
    bool
        Whether every call returned True. A thread stops at its first False.
    """
    per = max(1, CHUNK_BYTES // max(1, item_bytes))
    starts = range(0, n_items, per)
    if len(starts) <= 1:  # a single clip's latency: no thread, no look-up
        return bool(work(slice(0, n_items)))
    next_starts = iter(starts)  # shared: taking an item is atomic under the GIL

    def worker():
        return all(work(slice(start, start + per)) for start in next_starts)

    n_workers = min(thread_count(n_jobs), len(starts))
    if n_workers == 1:
        return worker()
    limit = _single_threaded_blas() if single_threaded_blas else nullcontext()
    with limit, ThreadPoolExecutor(n_workers) as pool:
        futures = [pool.submit(worker) for _ in range(n_workers)]
        return all([future.result() for future in futures])


@functools.lru_cache(maxsize=None)
def _cpu_count():
    # cgroup quotas and affinity included; read once per process (joblib's
    # effective_n_jobs reads it on every call, which showed in single-clip
    # latency, and warns inside Dask's daemonic workers).
    return joblib.cpu_count()


def thread_count(n_jobs):
    """The threads ``n_jobs`` asks for (see the module's docstring).

    Parameters
    ----------
    n_jobs : int or None
        A non-zero int (``-1``: every core) or ``None``: the threads the
        OpenMP limit allows, one inside a task of joblib's threading or
        multiprocessing backends.

    Returns
    -------
    int
        At least 1.
    """
    if n_jobs is None:
        return _default_thread_count()
    if n_jobs < 0:
        return max(1, _cpu_count() + 1 + n_jobs)
    return n_jobs


def _default_thread_count():
    if _in_joblib_task_without_thread_limit():
        return 1
    # omp_get_max_threads: OMP_NUM_THREADS, or threadpoolctl's current limit.
    return max(1, min(_cpu_count(), _openmp_effective_n_threads(only_physical_cores=False)))


def _in_joblib_task_without_thread_limit():
    """Whether this runs in a task of joblib's threading or multiprocessing backend.

    joblib marks the tasks it runs with a nested backend (``nesting_level``
    1 or more). Its loky workers (the default backend) run them in their main
    thread, with the OpenMP limit lowered; the threading backend runs them in
    threads of this process, the multiprocessing backend in daemonic
    processes, with no limit.
    """
    backend, _ = get_active_backend()
    if not getattr(backend, "nesting_level", 0):
        return False
    return (threading.current_thread() is not threading.main_thread()
            or multiprocessing.current_process().daemon)


_blas_lock = threading.Lock()
_blas_state = {"users": 0, "limiter": None}


@contextmanager
def _single_threaded_blas():
    """One BLAS thread while skaudio's own threads use the cores.

    threadpoolctl's limit is process-wide: concurrent callers share one limit,
    set by the first to enter and restored by the last to leave, so that
    overlapping calls (say, from a threaded grid search) cannot leave BLAS
    limited afterwards.
    """
    with _blas_lock:
        if _blas_state["users"] == 0:
            _blas_state["limiter"] = threadpool_limits(limits=1, user_api="blas")
        _blas_state["users"] += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_state["users"] -= 1
            if _blas_state["users"] == 0:
                _blas_state["limiter"].restore_original_limits()
                _blas_state["limiter"] = None
